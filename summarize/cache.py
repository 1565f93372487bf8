"""The disk cache of validated model answers: JSON strings in a diskcache `Cache`, never pickles.

diskcache unpickles values stored by pickle on `get` (CVE-2025-69872), so a tampered cache
file could run code. `JSONDisk` stores str keys and values only and refuses to read anything
stored any other way. The key hashes what determines the answer (model, endpoint, mode,
prompt version, response schema, messages) and never the API key. A corrupted cache is moved
aside with a warning; an unusable location is a one-line CacheError.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import MODE_RAW, MODE_TEXT

from summarize.errors import CacheError
from summarize.hashing import digest
from summarize.settings import Settings


class UnsafeCacheEntry(Exception):
    """An entry not written by JSONDisk (a pickle, bytes or a non-str key): never decoded."""


class JSONDisk(diskcache.Disk):
    """A diskcache Disk for str keys and str values only."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError(f"cache keys must be str, got {type(key).__name__}")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeCacheEntry("refusing to unpickle a cache key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if type(value) is not str:
            raise TypeError(f"cache values must be str, got {type(value).__name__}")
        return super().store(value, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode not in (MODE_RAW, MODE_TEXT) or read:
            raise UnsafeCacheEntry(f"refusing to decode a cache value stored in mode {mode}")
        result = super().fetch(mode, filename, value, read)
        if type(result) is not str:
            raise UnsafeCacheEntry(f"cache value is {type(result).__name__}, not str")
        return result


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
            return diskcache.Cache(str(self.directory), disk=JSONDisk)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # unwritable or locked, not garbage
                raise CacheError(f"cannot open cache in {self.directory}: {exc}") from None
            self._move_aside(exc)
            return diskcache.Cache(str(self.directory), disk=JSONDisk)
        except OSError as exc:
            raise CacheError(
                f"cannot open cache in {self.directory}: {exc.strerror or exc}"
            ) from None

    def _move_aside(self, exc: Exception) -> None:
        """Rename the corrupted directory to <dir>.corrupt-<timestamp> and start afresh."""
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        aside = self.directory.with_name(f"{self.directory.name}.corrupt-{stamp}")
        try:
            self.directory.rename(aside)
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise CacheError(
                f"cache in {self.directory} is corrupted ({exc}) and cannot be moved aside: "
                f"{err.strerror or err}"
            ) from None
        warnings.warn(
            f"cache {self.directory} was corrupted ({exc}); moved it to {aside}",
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
