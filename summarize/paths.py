"""Where results are written, checked before the first paid call.

An output file that is one of the inputs would be overwritten by the summary of itself; a
recording folder that cannot be written would throw away every paid answer. Both are refused
up front with one line naming the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from summarize.errors import OutputError
from summarize.sources import ARTICLE_SUFFIXES


def check_not_an_input(output: Path, inputs: Iterable[str], *, stdin_fd: int | None = None) -> None:
    """Refuse an output path that is one of the inputs.

    Inputs are files, directories (their article files) or "-" (standard input, compared when
    it is redirected from a file). Compared by resolved path and by (device, inode), so a
    symlink or a hard link to an input is caught too.
    """
    target = output.resolve()
    identity = _identity(os.stat, output)
    for name in inputs:
        if name == "-":
            from_stdin = _identity(os.fstat, stdin_fd) if stdin_fd is not None else None
            if identity is not None and from_stdin == identity:
                raise OutputError(
                    f"{output}: is the article read from standard input; choose another output file"
                )
            continue
        for path in _files(Path(name)):
            if path.resolve() == target or (
                identity is not None and _identity(os.stat, path) == identity
            ):
                raise OutputError(
                    f"{output}: is one of the input articles ({path}); it would be overwritten "
                    "by the summary, so choose another output file"
                )


def prepare_record_dir(directory: Path) -> None:
    """Prove a recording can be written in the --record folder, before any call.

    The folder (and any missing parent) is created for the proof and removed again if it was
    not there before: a run answered wholly from the cache records nothing and leaves nothing.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: cannot record here (not a directory)")
    missing = []
    folder = directory
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise OutputError(f"{directory}: cannot record here ({reason})") from None
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _files(path: Path) -> list[Path]:
    """The path itself, or for a directory every article file it could hold (hidden ones too,
    and whatever their type: a superset of what sources.load_sources reads is what is wanted)."""
    try:
        if not path.is_dir():
            return [path]
        with os.scandir(path) as entries:
            return [
                Path(entry.path)
                for entry in entries
                if entry.name.lower().endswith(ARTICLE_SUFFIXES)
            ]
    except OSError:
        return [path]


def _identity(stat_call: Callable[[Any], os.stat_result], target: Any) -> tuple[int, int] | None:
    try:
        info = stat_call(target)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISREG(info.st_mode) else None
