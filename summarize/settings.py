"""Run settings: one frozen object that the API, the CLI and the LLM layer share.

Precedence, for every setting: an explicit value (a keyword, a CLI flag) wins over the
environment, which wins over the default. From the environment: SUMMARIZE_MODEL and
SUMMARIZE_MODE (read when a Settings is made), OPENAI_BASE_URL and OPENAI_API_KEY (read when a
request is about to be sent), SUMMARIZE_CACHE_DIR (see summarize.cache). The base URL keeps the
openai SDK's own variable, so one export serves every OpenAI-compatible tool.

A key given here stays in memory only (it is excluded from repr and never reaches a cache key,
a recording, a log line or an error message).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from summarize.errors import ConfigError

MODES = {  # mode -> the instructor.Mode that implements it
    "tools": "TOOLS",
    "json_schema": "JSON_SCHEMA",
    "json_object_schema": "JSON",  # plus the schema inside response_format: see llm._attempt
    "json": "JSON",
    "md_json": "MD_JSON",
}
DEFAULT_MODEL = "gpt-4.1-mini"
DEFAULT_MODE = "tools"
ENV_MODEL, ENV_MODE = "SUMMARIZE_MODEL", "SUMMARIZE_MODE"
DEFAULT_MAX_ARTICLE_CHARS = 32_000_000
DEFAULT_WINDOW_CHARS = 60_000
"""About 15,000 tokens of article per extraction call: room for the prompt and the answer in
any current model's window, and few enough claims lost to the answer's length limit."""
"""Tens of megabytes: a long report, transcript or live blog is read in windows (windows.py)."""
NO_KEY = (
    "no API key: set OPENAI_API_KEY, or set base_url (or OPENAI_BASE_URL) to a local "
    "OpenAI-compatible server such as http://localhost:11434/v1 (Ollama), or answer from "
    "recordings with replay_dir"
)
"""The Python API's message; the CLI adds its own flags (see summarize.cli)."""


def _from_env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


@dataclass(frozen=True)
class Settings:
    model: str = field(default_factory=lambda: _from_env(ENV_MODEL, DEFAULT_MODEL))
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: str = field(default_factory=lambda: _from_env(ENV_MODE, DEFAULT_MODE))
    timeout: float = 120.0
    retries: int = 4
    reasks: int = 1
    concurrency: int | None = None  # a hard cap; None: adapt (summarize.limiter)
    cache_dir: Path | None = None
    use_cache: bool = True
    replay_dir: Path | None = None
    record_dir: Path | None = None
    max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS
    window_chars: int = DEFAULT_WINDOW_CHARS
    context_tokens: int | None = None
    batch_api: bool = False

    @classmethod
    def default(cls, name: str) -> Any:
        """A setting's default, for help texts that must not repeat it."""
        f = cls.__dataclass_fields__[name]
        return f.default_factory() if callable(f.default_factory) else f.default

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            from_env = self.mode == os.environ.get(ENV_MODE, "").strip()
            where = f" (from {ENV_MODE})" if from_env else ""
            raise ConfigError(
                f"unknown mode {self.mode!r}{where}: choose one of {', '.join(MODES)}"
            )
        for name in ("retries", "reasks"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency}")
        if not self.timeout > 0:  # also refuses NaN
            raise ConfigError(f"timeout must be more than 0 seconds, got {self.timeout:g}")
        if self.max_article_chars < 1:
            raise ConfigError(f"max_article_chars must be at least 1, got {self.max_article_chars}")
        if self.context_tokens is not None and self.context_tokens < 4096:
            raise ConfigError(f"context_tokens must be at least 4096, got {self.context_tokens}")
        if self.window_chars < 1000:
            raise ConfigError(f"window_chars must be at least 1000, got {self.window_chars}")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Settings:
        """Settings from keyword arguments, naming any unknown one in a ConfigError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        for name in ("cache_dir", "replay_dir", "record_dir"):
            if kwargs.get(name) is not None:
                kwargs[name] = Path(kwargs[name])
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def resolved_api_key(self) -> str | None:
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def resolved_base_url(self) -> str | None:
        """The endpoint requests go to: this setting, else OPENAI_BASE_URL, else OpenAI's."""
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def needs_key(self) -> bool:
        """True when requests would go to the hosted API with no key to send."""
        return (
            self.replay_dir is None
            and self.resolved_base_url() is None
            and not self.resolved_api_key()
        )
