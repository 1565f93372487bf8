"""The disk cache of validated model answers: JSON strings in a diskcache `Cache`, never pickles.

A cache folder is treated as hostile input. diskcache unpickles values stored by pickle on `get`
(CVE-2025-69872), and a row's `filename` column may name any file, which diskcache reads as the
value and later deletes (with `os.removedirs` on its emptied parents). `JSONDisk` therefore
keeps every value in SQLite (never in a file, whatever the Settings table says), refuses to
read any row that is not a plain str stored that way, and never removes a file outside its own
folder. A Settings table with keys diskcache does not define (it sets them as attributes and
runs `sqlite_*` ones as PRAGMAs) is refused like corruption. The key hashes what determines the
answer (model, endpoint, mode, prompt version, response schema, messages) and never the API
key. A corrupted cache database is moved aside (only its own files, never the folder, which the
user may share with other things) with a warning; an unusable location is a one-line CacheError.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import DEFAULT_SETTINGS, METADATA, MODE_RAW

from summarize.errors import CacheError
from summarize.hashing import digest
from summarize.settings import Settings

DATABASE_FILES = ("cache.db", "cache.db-wal", "cache.db-shm")
"""What diskcache keeps in the folder for us: all that recovery ever moves aside."""

_SETTINGS = {**DEFAULT_SETTINGS, "disk_min_file_size": 2**62}
"""Every setting passed explicitly, so none is taken from a tampered Settings table."""


class UnsafeCacheEntry(Exception):
    """An entry not written by JSONDisk (a pickle, bytes, a file, a non-str key): never decoded."""


class JSONDisk(diskcache.Disk):
    """A diskcache Disk for str keys and str values only, kept in SQLite, never in files."""

    def __init__(self, directory: str, **kwargs: Any) -> None:
        super().__init__(directory, **kwargs)
        self.min_file_size = _SETTINGS["disk_min_file_size"]
        self._root = os.path.realpath(directory)

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError(f"cache keys must be str, got {type(key).__name__}")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeCacheEntry("refusing to unpickle a cache key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        """(size, mode, filename, value): always in the row itself, never a file."""
        if read or type(value) is not str:
            raise TypeError(f"cache values must be str, got {type(value).__name__}")
        return 0, MODE_RAW, None, value

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if filename is not None:
            raise UnsafeCacheEntry("refusing a cache value stored in a file")
        if mode != MODE_RAW or read:
            raise UnsafeCacheEntry(f"refusing to decode a cache value stored in mode {mode}")
        if type(value) is not str:
            raise UnsafeCacheEntry(f"cache value is {type(value).__name__}, not str")
        return value

    def remove(self, file_path: str) -> None:
        """Remove a file of this cache and its emptied folders, never anything outside it."""
        path = self._inside(file_path)
        if path is None:
            return
        with contextlib.suppress(OSError):
            os.remove(path)
        folder = os.path.dirname(path)
        while folder.startswith(self._root + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)

    def _inside(self, file_path: Any) -> str | None:
        """The real path of file_path if it lies inside the cache folder, else None."""
        if type(file_path) is not str or not file_path or os.path.isabs(file_path):
            return None
        full = os.path.join(self._root, file_path)
        name = os.path.basename(full)
        folder = os.path.realpath(os.path.dirname(full))
        if name in ("", ".", "..") or not (
            folder == self._root or folder.startswith(self._root + os.sep)
        ):
            return None
        return os.path.join(folder, name)


def default_cache_dir(settings: Settings) -> Path:
    """settings.cache_dir, else $SUMMARIZE_CACHE_DIR, else the platform's user cache dir."""
    if settings.cache_dir is not None:
        return Path(settings.cache_dir)
    if os.environ.get("SUMMARIZE_CACHE_DIR"):
        return Path(os.environ["SUMMARIZE_CACHE_DIR"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("summarize"))


def cache_key(
    settings: Settings, prompt_key: str, schema: dict[str, Any], messages: list[dict[str, str]]
) -> str:
    """sha256 of the canonical JSON of everything that determines the answer; no API key."""
    material = {
        "model": settings.model,
        "base_url": settings.resolved_base_url() or "default",
        "mode": settings.mode,
        "prompt_key": prompt_key,
        "schema": schema,
        "messages": messages,
    }
    return digest(material)


class ResultCache:
    """str -> JSON str on disk, self-healing: corruption is moved aside, pickles refused."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot create cache directory {self.directory}: {exc.strerror or exc}"
            ) from None
        self._cache = self._open()

    def _open(self) -> diskcache.Cache:
        try:
            problem = _settings_problem(self.directory / DATABASE_FILES[0])
            if problem is not None:
                self._move_aside(sqlite3.DatabaseError(problem))
            return diskcache.Cache(str(self.directory), disk=JSONDisk, **_SETTINGS)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # unwritable or locked, not garbage
                raise CacheError(f"cannot open cache in {self.directory}: {exc}") from None
            self._move_aside(exc)
            return diskcache.Cache(str(self.directory), disk=JSONDisk, **_SETTINGS)
        except OSError as exc:
            raise CacheError(
                f"cannot open cache in {self.directory}: {exc.strerror or exc}"
            ) from None

    def _move_aside(self, exc: Exception) -> None:
        """Rename the database files to <name>.corrupt-<timestamp> in place and start afresh;
        nothing else in the folder is touched."""
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        moved = []
        try:
            for name in DATABASE_FILES:
                path = self.directory / name
                if path.is_symlink() or path.exists():
                    path.rename(path.with_name(f"{name}.corrupt-{stamp}"))
                    moved.append(name)
        except OSError as err:
            raise CacheError(
                f"cache in {self.directory} is corrupted ({exc}) and cannot be moved aside: "
                f"{err.strerror or err}"
            ) from None
        warnings.warn(
            f"cache {self.directory} was corrupted ({exc}); moved {', '.join(moved)} aside "
            f"as *.corrupt-{stamp}",
            RuntimeWarning,
            stacklevel=4,
        )

    def _recover(self, exc: Exception) -> None:
        self._cache.close()
        self._move_aside(exc)
        self._cache = self._open()

    def get(self, key: str) -> str | None:
        """The stored JSON for key, or None; an unsafe entry is deleted and reported."""
        try:
            return self._cache.get(key)
        except UnsafeCacheEntry as exc:
            warnings.warn(
                f"cache {self.directory}: ignored and deleted an unsafe entry ({exc})",
                RuntimeWarning,
                stacklevel=3,
            )
            self._cache.delete(key)
            return None
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise CacheError(f"cannot read cache in {self.directory}: {exc}") from None
            self._recover(exc)
            return None

    def set(self, key: str, value: str) -> None:
        try:
            self._cache.set(key, value)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise CacheError(f"cannot write cache in {self.directory}: {exc}") from None
            self._recover(exc)
            self._cache.set(key, value)
        except OSError as exc:
            raise CacheError(
                f"cannot write cache in {self.directory}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        self._cache.close()


def _settings_problem(database: Path) -> str | None:
    """Why a cache database's Settings table is unsafe to open with diskcache, or None."""
    if not database.exists():
        return None
    connection = sqlite3.connect(str(database))
    try:
        keys = {row[0] for row in connection.execute("SELECT key FROM Settings")}
    except sqlite3.OperationalError:
        return None  # no Settings table yet: diskcache creates it
    finally:
        connection.close()
    unknown = sorted(str(k) for k in keys - DEFAULT_SETTINGS.keys() - METADATA.keys())
    if unknown:
        return f"unknown setting(s) in its Settings table: {', '.join(unknown)[:100]}"
    return None
