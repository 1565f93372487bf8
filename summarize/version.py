"""The installed package's version, read from its metadata: pyproject.toml is its one home."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("summarize")
except PackageNotFoundError:  # a source tree on sys.path that was never installed
    VERSION = "0+unknown"
