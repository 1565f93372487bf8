"""Every test runs with its own cache directory and no key or model from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = ROOT / "fixtures"
NEWS = ROOT / "tests" / "data" / "news"
"""Short articles written for the tests, shaped like real coverage (tests/data/news/README.md)."""


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZE_MODEL", "SUMMARIZE_MODE"):
        monkeypatch.delenv(name, raising=False)


def news_text(cluster: str, name: str) -> str:
    """One of the project's own test articles under tests/data/news, exactly as stored."""
    return (NEWS / cluster / name).read_bytes().decode("utf-8")
