"""Prompt templates: files under prompts/, validated on load, versioned for the cache key.

A prompt file is a small header and chat messages:

    ---
    name: extract
    version: 3
    variables: source_id, article
    ---
    === system
    ...
    === user
    ... {{article}} ...

Rendering is one pass of plain substitution, so an article that contains `{{`, `{%` or `{#`
reaches the model byte-identical (instructor renders Jinja only when `context=` is given, and
we never give it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from summarize.errors import PromptError

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_SECTION = re.compile(r"^=== (system|user|assistant)[ \t]*$", re.MULTILINE)


def prompts_dir() -> Path:
    """Installed wheels carry the prompts inside the package; a checkout keeps them at the top."""
    packaged = Path(__file__).with_name("prompts")
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    variables: tuple[str, ...]
    messages: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        """What the cache key takes from the prompt: its name and version."""
        return f"{self.name}@{self.version}"

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with every {{variable}} replaced, in a single pass."""
        if set(values) != set(self.variables):
            raise PromptError(
                f"prompt {self.name}: expected variables {sorted(self.variables)}, "
                f"got {sorted(values)}"
            )
        return [
            {"role": role, "content": _PLACEHOLDER.sub(lambda m: values[m[1]], body)}
            for role, body in self.messages
        ]

    def match(self, messages: list[dict[str, Any]]) -> dict[str, str] | None:
        """The variables `messages` were rendered with, if they begin with this prompt
        rendered; else None. What a client library adds is ignored: later messages (re-asks)
        and text appended to a message (instructor's JSON modes append the schema), which
        ends up in a message's last variable.

        The inverse of `render`, so a tool that must recognise summarize's requests (the
        stand-in model in summarize.testing) reads the prompt files, not copies of them."""
        if len(messages) < len(self.messages):
            return None
        values: dict[str, str] = {}
        for (role, body), message in zip(self.messages, messages, strict=False):
            if message.get("role") != role:
                return None
            found = _template_pattern(body).match(str(message.get("content") or ""))
            if found is None:
                return None
            for name, value in found.groupdict().items():
                if values.setdefault(name, value) != value:
                    return None
        return values


@cache
def _template_pattern(body: str) -> re.Pattern[str]:
    """A pattern matching `body` rendered with any values: each {{name}} a named group."""
    parts, seen, at = [], set(), 0
    for m in _PLACEHOLDER.finditer(body):
        parts.append(re.escape(body[at : m.start()]))
        parts.append(f"(?P={m[1]})" if m[1] in seen else f"(?P<{m[1]}>.*)")
        seen.add(m[1])
        at = m.end()
    parts.append(re.escape(body[at:]))
    return re.compile("".join(parts), re.DOTALL)


def parse_prompt(text: str, origin: str) -> Prompt:
    """Parse and validate one prompt file; every problem is a one-line PromptError."""
    head, sep, body = text.partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise PromptError(f"{origin}: missing the '---' header")
    fields = {}
    for line in head.splitlines()[1:]:
        key, colon, value = line.partition(":")
        if not colon:
            raise PromptError(f"{origin}: header line without a colon: {line!r}")
        fields[key.strip()] = value.strip()
    missing = {"name", "version", "variables"} - fields.keys()
    if missing:
        raise PromptError(f"{origin}: header lacks {', '.join(sorted(missing))}")
    variables = tuple(v.strip() for v in fields["variables"].split(",") if v.strip())
    parts = _SECTION.split(body)
    if parts[0].strip():
        raise PromptError(f"{origin}: text before the first '=== role' line")
    messages = tuple(
        (role, content.strip("\n")) for role, content in zip(parts[1::2], parts[2::2], strict=True)
    )
    if not messages:
        raise PromptError(f"{origin}: no '=== system' or '=== user' section")
    used = {name for _, content in messages for name in _PLACEHOLDER.findall(content)}
    if used != set(variables):
        raise PromptError(
            f"{origin}: placeholders {sorted(used)} do not match declared variables "
            f"{sorted(variables)}"
        )
    return Prompt(fields["name"], fields["version"], variables, messages)


@cache
def load_prompt(name: str) -> Prompt:
    path = prompts_dir() / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"{path}: cannot read prompt ({exc.strerror})") from None
    prompt = parse_prompt(text, str(path))
    if prompt.name != name:
        raise PromptError(f"{path}: header names it {prompt.name!r}, expected {name!r}")
    return prompt
