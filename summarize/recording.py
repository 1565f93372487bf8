"""Record and replay Chat Completions exchanges as httpx2 transports.

A recording is one JSON file `{"request": <request body>, "response": <response body>}`:
bodies only, so no header, key, cookie or request id is ever written. It is named by
`request_hash` of the request body, but replay indexes the files by the hash of the request
they hold, so they may be renamed or moved into subfolders. Replay serves them through the
real openai client and instructor, so the production parsing path runs in tests.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx2

from summarize.errors import ConfigError, ReplayMissError
from summarize.hashing import digest


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
            self._write(json.loads(body), json.loads(response.content))
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

    Loads every *.json under `replay_dir` (recursively) up front, skipping JSON objects that
    have neither "request" nor "response" (other files kept beside the recordings); a
    malformed recording is a ConfigError naming it, a request without a recording a
    ReplayMissError naming its hash.
    """

    def __init__(self, replay_dir: Path) -> None:
        self.replay_dir = Path(replay_dir)
        if not self.replay_dir.is_dir():
            raise ConfigError(f"replay directory {self.replay_dir} does not exist")
        self.recordings: dict[str, Any] = {}
        for path in sorted(self.replay_dir.rglob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and not {"request", "response"} & data.keys():
                    continue  # some other JSON file kept beside the recordings
                self.recordings[_hash_json(data["request"])] = data["response"]
            except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
                problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
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
