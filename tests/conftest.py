"""Every test runs with its own cache directory and no key or model from the environment.

Shared here: the paths of the project's data, `run_cli` (the command line in this process) and
`browser`, one Chromium session for every browser test of a worker."""

from __future__ import annotations

import gc
import io
import itertools
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = ROOT / "fixtures"
NEWS = ROOT / "tests" / "data" / "news"
"""Short articles written for the tests, shaped like real coverage (tests/data/news/README.md)."""
CHROMIUM = os.environ.get("SUMMARIZE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SUMMARIZE_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER = pytest.mark.xdist_group("browser")
"""Every test using `browser` carries this mark: with pytest-xdist's loadgroup they all run in
one worker, so the suite starts Chromium once (about 1 s of CPU and 1.5 s of wall a start)."""


# The garbage collector. Collecting the tests imports pytest's plugins, summarize, pydantic,
# openai and the test modules: a heap that lives for the whole session, which every full
# collection would walk again (~0.15 s each, six or so a worker, then pytest's five at the end
# to surface unraisable exceptions). So: no collection while the tests are collected; then that
# heap frozen (out of the collector's sight) and full collections spaced out by hand, since the
# rule that spaces them (a quarter of the long-lived heap) then sees only the heap not frozen;
# at the end, collections until nothing more is found, and what survives frozen too, so that
# pytest's five find the same garbage at no cost.
# Measured (farm-bench, 6 pairs): 0.90x the CPU and 0.92x the wall of collecting as usual.
gc.disable()
FULL_COLLECTION_SPACING = 100
"""Middle-generation collections between two full ones (Python's default is 10)."""


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Collection is over (or, in pytest-xdist's controller, was never done here)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_SPACING)
    gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    """After the terminal summary and before pytest's own cleanup."""
    for _ in range(5):
        if not gc.collect():
            break
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heavy tests first, the rest in their order. pytest-xdist hands tests out as workers free
    up, so a long test handed out last keeps one worker busy while the other has finished."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


_CACHE_NUMBERS = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """An empty cache folder of the test's own (numbered here: mktemp per test listed a
    folder that grew with every test, ~0.5 s a run)."""
    cache = tmp_path_factory.getbasetemp() / "caches" / str(next(_CACHE_NUMBERS))
    cache.mkdir(parents=True)
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(cache))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZE_MODEL", "SUMMARIZE_MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Chromium through chromium-driver, headless, 1366x900, logging the console and network.
    Tests that change the window or the emulated media put them back."""
    missing = [
        f"{path} is missing (apt-get install -y {package})"
        for path, package in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")]
        if shutil.which(path) is None
    ]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium is not installed (pip install -e '.[test]')")
    if missing:
        reason = "no browser to test the HTML report in: " + "; ".join(missing)
        if os.environ.get("SUMMARIZE_BROWSER_TESTS") == "required":  # CI: never skip
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1366, 900)
    try:
        yield driver
    finally:
        driver.quit()


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
