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
