"""What `summarize batch` runs: the stories, read from a folder of story folders or from a
JSONL manifest (each bad line named by number), and a safe, distinct report file name for
each. Apart from the command and the running because it is pure input reading, tested on its
own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Story:
    name: str
    inputs: list[Path]


def read_stories(path: Path) -> list[Story]:
    """The stories of a folder of story folders, or of a JSONL manifest; errors name the line."""
    from summarize.errors import InputError

    if path.is_dir():
        folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            raise InputError(str(path), "no story folders in it (each sub-folder is one story)")
        return [Story(f.name, [f]) for f in folders]
    if not path.is_file():
        raise InputError(str(path), "no such folder or manifest")
    stories, names = [], set()
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the manifest ({exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except ValueError:
            raise InputError(where, "not a JSON object") from None
        name, paths = (
            (entry.get("story"), entry.get("paths")) if isinstance(entry, dict) else (0, 0)
        )
        if not isinstance(name, str) or not name.strip():
            raise InputError(where, 'needs "story": a non-empty name')
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise InputError(where, 'needs "paths": a non-empty list of article paths')
        if name in names:
            raise InputError(where, f"story {name!r} appears twice")
        names.add(name)
        stories.append(Story(name, [path.parent / p for p in paths]))
    if not stories:
        raise InputError(str(path), "the manifest lists no story")
    return stories


def report_names(stories: list[Story], suffix: str) -> list[str]:
    """A safe, distinct file name for each story's report."""
    taken: set[str] = set()
    names = []
    for story in stories:
        base = re.sub(r"[^\w.-]+", "_", story.name).strip("._") or "story"
        name, n = base, 2
        while name.lower() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.lower())
        names.append(name + suffix)
    return names
