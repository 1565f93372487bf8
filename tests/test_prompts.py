"""Prompt files: validated on load, versioned, rendered in one pass."""

from __future__ import annotations

import pytest

from summarize.errors import PromptError
from summarize.prompts import load_prompt, parse_prompt, prompts_dir

GOOD = "---\nname: t\nversion: 2\nvariables: a, b\n---\n=== system\nS {{a}}\n=== user\nU {{b}}\n"


def test_every_shipped_prompt_loads_with_a_version():
    names = sorted(p.stem for p in prompts_dir().glob("*.md"))
    assert names == ["compose", "extract", "merge", "repair_claims", "repair_sentences"]
    for name in names:
        prompt = load_prompt(name)
        assert prompt.version and prompt.key == f"{name}@{prompt.version}"


def test_render_is_one_pass_so_values_are_never_rescanned():
    prompt = parse_prompt(GOOD, "t.md")
    messages = prompt.render(a="{{b}} {% x %} {# y #}", b="plain")
    assert messages == [
        {"role": "system", "content": "S {{b}} {% x %} {# y #}"},
        {"role": "user", "content": "U plain"},
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no header", "missing the '---' header"),
        ("---\nname: t\nvariables: a\n---\n=== user\n{{a}}\n", "lacks version"),
        ("---\nname: t\nversion: 1\nvariables: a\n---\n=== user\n{{a}} {{c}}\n", "do not match"),
        (
            "---\nname: t\nversion: 1\nvariables: a\n---\nstray\n=== user\n{{a}}\n",
            "before the first",
        ),
        ("---\nname: t\nversion: 1\nvariables:\n---\nno sections\n", "before the first"),
    ],
)
def test_malformed_prompts_are_one_line_errors(text, problem):
    with pytest.raises(PromptError, match=problem) as info:
        parse_prompt(text, "bad.md")
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.md")


def test_render_requires_exactly_the_declared_variables():
    with pytest.raises(PromptError, match="expected variables"):
        parse_prompt(GOOD, "t.md").render(a="x")


@pytest.mark.parametrize(
    "name", ["extract", "compose", "merge", "repair_claims", "repair_sentences"]
)
def test_match_gives_back_what_render_was_given(name):
    prompt = load_prompt(name)
    values = {v: f"<{v} {{{{x}}}} with\nlines and “marks”>" for v in prompt.variables}
    messages = prompt.render(**values)
    assert prompt.match(messages) == values
    messages[-1]["content"] += "\n\nappended by a client library"
    assert prompt.match([*messages, {"role": "user", "content": "a re-ask"}]) is not None
    others = [load_prompt(n) for n in ("extract", "compose", "merge") if n != name]
    assert all(other.match(messages) is None for other in others)


def test_the_listing_patterns_read_back_what_the_code_writes():
    from fakes import claim, source

    from summarize.compose import CLAIM_LINE, claim_line
    from summarize.models import ClaimKind

    article = source("a", "Ted Sarandos said “we remain convinced” on the call.")
    quote = claim(
        "c12",
        article,
        "Sarandos said Netflix remains convinced.",
        "“we remain convinced”",
        kind=ClaimKind.QUOTE,
    )
    quote.speaker = "Ted Sarandos"
    m = CLAIM_LINE.match(claim_line(quote))
    assert m is not None and (m["id"], m["statement"]) == ("c12", quote.statement)
    assert m["tag"] == "quote, Ted Sarandos"
