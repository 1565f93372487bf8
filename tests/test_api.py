"""The Python API: the simple function, the configurable object, the public names."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from conftest import FIXTURES, SEEDS

import summarize
from summarize.errors import ConfigError
from summarize.testing import FakeOpenAIServer, stand_in


def test_all_is_derived_sorted_and_matches_the_typed_imports():
    """One list of public names (summarize._MODULES): `__all__` is sorted and derived from it,
    the TYPE_CHECKING imports say the same, and each name is the object its module defines."""
    import ast
    from importlib import import_module
    from pathlib import Path

    assert summarize.__all__ == sorted(summarize.__all__)
    tree = ast.parse(Path(summarize.__file__).read_text("utf-8"))
    guarded = next(n for n in tree.body if isinstance(n, ast.If))
    typed = {
        (node.module, alias.name)
        for node in ast.walk(guarded)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed == {(module, name) for name, module in summarize._EXPORTS.items()}
    for name in summarize.__all__:
        assert not name.startswith("_")
        assert getattr(summarize, name) is getattr(import_module(summarize._EXPORTS[name]), name)


def test_the_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert summarize.__version__ == version("summarize")


def test_import_is_light():
    """No model client, and no package-metadata lookup (~20 ms), until a name needs them."""
    heavy = ("openai", "instructor", "summarize.version")
    code = f"import sys, summarize; print(*[m in sys.modules for m in {heavy!r}])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_summarize_function_on_the_seeds_replayed():
    result = summarize.summarize(SEEDS, replay_dir=FIXTURES)
    assert isinstance(result, summarize.Summary)
    assert [s.id for s in result.sources] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert result.sentences and all(s.citations for s in result.sentences)
    texts = {s.id: s.text for s in result.sources}
    for sentence in result.sentences:
        for c in sentence.citations:
            assert texts[c.source_id][c.start : c.end] == c.quote
    # the demo's planted mistakes: repaired or rejected, never emitted
    assert any(c.repaired for c in result.claims)
    assert {r.stage for r in result.rejections} == {"extract", "compose"}
    assert not any("11.1 billion" in s.text for s in result.sentences)
    assert result.usage.calls == 10 and result.usage.repairs == 4


def test_rerun_sends_no_request(tmp_path):
    first = summarize.summarize(SEEDS, replay_dir=FIXTURES, cache_dir=tmp_path)
    again = summarize.summarize(SEEDS, replay_dir=FIXTURES, cache_dir=tmp_path)
    assert first.usage.calls == 10
    assert again.usage.calls == 0 and again.usage.cache_hits == 10
    assert again.to_json() != "" and again.sentences == first.sentences


def test_async_api_and_texts_with_a_configured_object():
    text = (SEEDS / "004_fabe2c775880a544.txt").read_text("utf-8")
    with FakeOpenAIServer(stand_in) as server:
        summarizer = summarize.Summarizer(
            summarize.Settings(base_url=server.base_url, use_cache=False), concurrency=2
        )
        result = asyncio.run(summarizer.arun([text, SEEDS / "003_2b45c29ad5bec665.txt"]))
    assert [s.id for s in result.sources] == ["text-1", "003_2b45c29ad5bec665"]
    assert summarizer.settings.concurrency == 2
    assert result.claims and result.to_markdown().startswith("# ")


def test_sync_api_works_inside_a_running_event_loop():
    async def inside():
        return summarize.summarize(SEEDS, replay_dir=FIXTURES)

    assert asyncio.run(inside()).sentences


def test_unknown_setting_and_missing_key_are_config_errors():
    with pytest.raises(ConfigError, match="colour"):
        summarize.summarize(SEEDS, colour="red")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY") as error:
        summarize.summarize(SEEDS)
    message = str(error.value)  # in Python's terms: keywords, not the CLI's flags
    assert "base_url" in message and "replay_dir" in message and "--" not in message


def test_settings_repr_never_shows_the_key():
    assert "sk-secret" not in repr(summarize.Settings(api_key="sk-secret"))


def test_settings_precedence_is_keyword_then_environment_then_default(monkeypatch):
    assert summarize.Settings().model == "gpt-4.1-mini" and summarize.Settings().mode == "tools"
    monkeypatch.setenv("SUMMARIZE_MODEL", "llama3.1")
    monkeypatch.setenv("SUMMARIZE_MODE", "json_schema")
    assert (summarize.Settings().model, summarize.Settings().mode) == ("llama3.1", "json_schema")
    assert summarize.Settings(model="qwen2.5").model == "qwen2.5"
    assert summarize.Summarizer(mode="md_json").settings.mode == "md_json"
    monkeypatch.setenv("SUMMARIZE_MODE", "xml")
    with pytest.raises(ConfigError, match=r"'xml' \(from SUMMARIZE_MODE\)"):
        summarize.Settings()
    assert summarize.Settings(mode="tools").mode == "tools"  # an explicit value wins


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"timeout": -1}, "timeout must be more than 0 seconds, got -1"),
        ({"max_article_chars": 0}, "max_article_chars must be at least 1, got 0"),
    ],
)
def test_bad_settings_are_named_in_python_terms(setting, message):
    with pytest.raises(ConfigError, match=message):
        summarize.Settings(**setting)
