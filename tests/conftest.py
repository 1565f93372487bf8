"""Every test runs with its own cache directory and no key or model from the environment."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
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


def run_cli(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`summarize ARGS` run in this process: `main(argv)` with its own standard streams (bytes
    underneath, as a terminal-less process has), environment, working directory and warning
    state, all restored after. Starting a Python per test cost ~1.5 s each in imports; the real
    entry point keeps one subprocess test of its own (tests/test_cli.py)."""
    from summarize.cli import main

    stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8")
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    os.environ.update(env or {})
    os.chdir(ROOT)
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        with warnings.catch_warnings():
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors and --help
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    stdout.flush()
    stderr.flush()
    return subprocess.CompletedProcess(
        ["summarize", *args],
        code,
        stdout.buffer.getvalue().decode("utf-8"),
        stderr.buffer.getvalue().decode("utf-8"),
    )
