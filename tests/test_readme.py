"""The README's Python examples run as written, from the repository's root, offline."""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings

import pytest
from conftest import ROOT

BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text("utf-8"), re.M | re.S)

# What a fresh `python3` shows without -W: every warning once per place, but deprecations only
# from the script itself (the filters CPython installs at start-up, in order of precedence).
FRESH_INTERPRETER_FILTERS = [
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
]


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 4
    assert any("replay_dir" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block-{n}" for n in range(len(BLOCKS))])
def test_a_readme_python_example_runs_as_written(block, tmp_path, monkeypatch):
    """Each block runs as a script of its own (`__main__`, fresh globals) in this process, from
    the repository's root, with no key, model or base URL in the environment and a cache of its
    own; what it prints and every warning it raises are captured. A fresh interpreter per block
    cost ~2 s each, almost all of it importing openai and instructor again."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "SUMMARIZE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    monkeypatch.chdir(ROOT)
    code = compile(block, "README.md", "exec")
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        warnings.catch_warnings(record=True) as caught,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        warnings.resetwarnings()
        for action, category, module in reversed(FRESH_INTERPRETER_FILTERS):
            warnings.filterwarnings(action, category=category, module=module)
        exec(code, {"__name__": "__main__"})
    assert [str(w.message) for w in caught] == []
    assert stderr.getvalue() == ""
    assert stdout.getvalue().strip()  # every example shows its reader something
