"""The README's Python examples run as written, from the repository's root, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text("utf-8"), re.M | re.S)


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 4
    assert any("replay_dir" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block-{n}" for n in range(len(BLOCKS))])
def test_a_readme_python_example_runs_as_written(block, tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "SUMMARIZE_"))
    }
    env["SUMMARIZE_CACHE_DIR"] = str(tmp_path / "cache")  # never the user's cache
    result = subprocess.run(
        [sys.executable, "-c", block],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip()  # every example shows its reader something
