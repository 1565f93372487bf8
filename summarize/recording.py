"""Record and replay Chat Completions exchanges as httpx2 transports.

A recording is one JSON file `{"request": <request body>, "response": <response body>}`:
bodies only, so no header, key, cookie or request id is ever written. It is named by
`request_hash` of the request body, but replay indexes the files by the hash of the request
they hold, so they may be renamed or moved into subfolders. Replay serves them through the
real openai client and instructor, so the production parsing path runs in tests.

A recording that cannot be written is an OutputError that stops the run at once (raised below
the SDK, it would otherwise be retried as a dropped connection while every paid answer is
thrown away). Replay reads regular files only: a FIFO named *.json would block forever.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import warnings
from pathlib import Path
from typing import Any

import httpx2

from summarize.errors import ConfigError, OutputError, ReplayMissError
from summarize.hashing import digest
from summarize.limits import MAX_RECORDING_BYTES


def request_hash(body: bytes) -> str:
    """First 16 hex digits of the sha256 of the body's canonical JSON."""
    return _hash_json(json.loads(body))


def _hash_json(value: Any) -> str:
    return digest(value)[:16]


def _is_completion(request: httpx2.Request) -> bool:
    return request.method == "POST" and request.url.path.rstrip("/").endswith("/chat/completions")


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Passes requests to `inner`; writes each successful chat completion to `record_dir`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, record_dir: Path) -> None:
        self.inner = inner
        self.record_dir = Path(record_dir)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        if _is_completion(request) and response.status_code == 200:
            await response.aread()
            try:
                answer = json.loads(response.content)
            except ValueError:
                return response  # not a completion: the LLM layer reports it, nothing to keep
            try:
                self._write(json.loads(body), answer)
            except OSError as exc:
                reason = (exc.strerror or type(exc).__name__).lower()
                raise OutputError(
                    f"{self.record_dir}: cannot write a recording ({reason}); stopped before "
                    "paying for more answers"
                ) from None
        return response

    def _write(self, request: Any, response: Any) -> None:
        """Write atomically: a temporary file in the same folder, then a rename."""
        self.record_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"request": request, "response": response}, indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.record_dir, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.replace(tmp, self.record_dir / f"{_hash_json(request)}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayTransport(httpx2.AsyncBaseTransport):
    """Answers each request with the recorded response to the same request body.

    Loads every *.json under `replay_dir` (recursively, not following symlinked folders) up
    front, skipping JSON objects that have neither "request" nor "response" (other files kept
    beside the recordings); what is not a regular file, is over MAX_RECORDING_BYTES or is not a
    JSON object is skipped with a warning; a malformed recording is a ConfigError naming it,
    a request without a recording a ReplayMissError naming its hash.
    """

    def __init__(self, replay_dir: Path) -> None:
        self.replay_dir = Path(replay_dir)
        if not self.replay_dir.is_dir():
            raise ConfigError(f"replay directory {self.replay_dir} does not exist")
        self.recordings: dict[str, Any] = {}
        for path in _json_files(self.replay_dir):
            try:
                info = path.stat()
                if not stat.S_ISREG(info.st_mode):
                    _skip(path, "not a regular file")
                    continue
                if info.st_size > MAX_RECORDING_BYTES:
                    _skip(path, f"{info.st_size:,} bytes, over {MAX_RECORDING_BYTES:,}")
                    continue
                data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    _skip(path, "not a JSON object")
                    continue
                if not {"request", "response"} & data.keys():
                    continue  # some other JSON file kept beside the recordings
                self.recordings[_hash_json(data["request"])] = data["response"]
            except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
                problem = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                raise ConfigError(f"{path}: not a valid recording ({problem})") from None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        key = request_hash(await request.aread())
        if key not in self.recordings:
            raise ReplayMissError(f"no recording for request {key} under {self.replay_dir}")
        return httpx2.Response(
            200,
            headers={"content-type": "application/json"},
            content=json.dumps(self.recordings[key], ensure_ascii=False).encode("utf-8"),
            request=request,
        )


def _json_files(directory: Path) -> list[Path]:
    """Every *.json under directory, sorted; symlinked folders are not entered (no loops)."""
    found = []
    for folder, _, names in os.walk(directory):
        found += [Path(folder, name) for name in names if name.endswith(".json")]
    return sorted(found)


def _skip(path: Path, why: str) -> None:
    warnings.warn(f"{path}: skipped, not a recording ({why})", RuntimeWarning, stacklevel=3)
