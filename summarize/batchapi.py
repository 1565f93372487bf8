"""The OpenAI Batch API as an httpx2 transport: half the price, answers within 24 hours.

Chat Completions requests are not sent one by one. The transport holds them, and once no new
one has arrived for `QUIET_SECONDS` it submits all it holds as one batch through the SDK
(`files.create` with purpose "batch", then `batches.create` with a 24 h window), polls
`batches.retrieve` every `POLL_SECONDS`, reads the output and error files, and answers each
held request with its own line, joined on `custom_id` (a hash of the request body). Everything
above the transport (instructor's parsing, the verifier, repairs, the cache) runs unchanged, so
a run's waves become batches: the extractions, then the repairs, then the compose call(s).

Resuming: every submitted batch is recorded in a state file beside the cache (one per
endpoint) with the ids it still owes. A rerun after an interruption sends the same requests,
finds them in a recorded batch and waits for that batch instead of paying for them again;
answers already received come from the cache and never reach the transport. A delivered id is
struck from the record, so a request that failed in a batch is sent again in a new one.

Failures: a line that failed answers its request with that HTTP status (a 429 or 500 is then
retried by the LLM layer, in a new batch); a request the batch never ran (expired, cancelled)
is answered 408, which the LLM layer also retries; a batch that failed validation answers 400
with the reason. An endpoint without /v1/batches (vLLM, llama.cpp, Ollama) answers 404 or 405
to files.create or batches.create: the transport warns once and sends every request as an
ordinary call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from summarize.settings import Settings
from summarize.tls import tls_context

QUIET_SECONDS = 0.5
"""Submit once no new request has arrived for this long (a wave is sent within milliseconds)."""
POLL_SECONDS = 30.0
"""Between two batches.retrieve calls."""
MAX_REQUESTS = 50_000
"""OpenAI's limit of requests per batch."""
ENDPOINT = "/v1/chat/completions"
_FINAL = frozenset({"completed", "failed", "expired", "cancelled"})
_NO_BATCHES = frozenset({404, 405, 501})
Answer = tuple[int, bytes]


WIDTH = 50_000
"""Requests in flight in Batch API mode: every request of a wave waits in the same batch."""


def for_run(
    settings: Settings,
    transport: httpx2.AsyncBaseTransport | None,
    notify: Callable[[str], None] | None,
) -> httpx2.AsyncBaseTransport | None:
    """The transport a run with `settings.batch_api` uses: `transport` under a BatchTransport
    (a shared one is used as is); unchanged when replaying recordings, with a warning."""
    if isinstance(transport, BatchTransport):
        return transport
    if settings.replay_dir is not None:
        warnings.warn("batch_api is ignored when replaying recordings", RuntimeWarning, 2)
        return transport
    return BatchTransport(
        transport or httpx2.AsyncHTTPTransport(verify=tls_context()),
        settings,
        notify=notify,
        owns_inner=transport is None,
    )


def wide_limiter() -> Any:
    """A limiter that lets a whole wave wait in one batch."""
    from summarize.limiter import Limiter

    return Limiter(WIDTH, start=WIDTH)


def custom_id(body: dict[str, Any]) -> str:
    """The id a request goes by in a batch: a hash of its canonical body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "req-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def state_path(settings: Settings) -> Path:
    """Where the batch ids of this endpoint are recorded: in the cache's folder."""
    from summarize.cache import default_cache_dir

    endpoint = settings.resolved_base_url() or "https://api.openai.com/v1"
    name = hashlib.sha256(endpoint.encode("utf-8")).hexdigest()[:16]
    return default_cache_dir(settings) / "batches" / f"{name}.json"


class BatchState:
    """batch id -> the custom ids it still owes an answer for; written atomically on change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            data = json.loads(path.read_text("utf-8"))
            self.batches: dict[str, dict[str, Any]] = {
                k: v for k, v in data.get("batches", {}).items() if isinstance(v, dict)
            }
        except (OSError, ValueError, AttributeError):
            self.batches = {}

    def holding(self, ids: set[str]) -> dict[str, set[str]]:
        """Recorded batches that owe some of `ids`, with those ids."""
        found = {}
        for batch_id, record in self.batches.items():
            owed = ids & set(record.get("ids", []))
            if owed:
                found[batch_id] = owed
        return found

    def add(self, batch_id: str, ids: list[str]) -> None:
        self.batches[batch_id] = {"ids": ids, "submitted": int(time.time())}
        self._save()

    def deliver(self, batch_id: str, ids: set[str]) -> None:
        record = self.batches.get(batch_id)
        if record is None:
            return
        record["ids"] = [i for i in record["ids"] if i not in ids]
        if not record["ids"]:
            del self.batches[batch_id]
        self._save()

    def forget(self, batch_id: str) -> None:
        if self.batches.pop(batch_id, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps({"batches": self.batches}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@dataclass
class _Held:
    request: httpx2.Request
    body: dict[str, Any]
    waiters: list[asyncio.Future[Answer]] = field(default_factory=list)


class BatchTransport(httpx2.AsyncBaseTransport):
    """Chat completions through the Batch API; any other request goes straight to `inner`."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        settings: Settings,
        *,
        notify: Callable[[str], None] | None = None,
        owns_inner: bool = True,
        shared: bool = False,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.state = BatchState(state_path(settings))
        self.notify = notify or (lambda _: None)
        self.owns_inner = owns_inner
        self.shared = shared
        self.fallback = False
        self.submitted: list[str] = []
        self._held: dict[str, _Held] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sdk: Any = None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.rstrip("/")
        if self.fallback or request.method != "POST" or not path.endswith("/chat/completions"):
            return await self.inner.handle_async_request(request)
        body = json.loads(await request.aread())
        key = custom_id(body)
        waiter: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._held.setdefault(key, _Held(request, body)).waiters.append(waiter)
        self._arm()
        status, content = await waiter
        return httpx2.Response(
            status, content=content, headers={"content-type": "application/json"}, request=request
        )

    async def aclose(self) -> None:
        """Closed with its client, unless shared by several runs (then its owner calls close)."""
        if not self.shared:
            await self.close()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None
        if self.owns_inner:
            await self.inner.aclose()

    # ------------------------------------------------------------------ waves

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._flush)

    def _flush(self) -> None:
        held, self._held, self._timer = self._held, {}, None
        task = asyncio.get_running_loop().create_task(self._wave(held))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wave(self, held: dict[str, _Held]) -> None:
        """Answer every held request: from recorded batches first, then from new ones."""
        try:
            await self._answer_all(held)
        except Exception as exc:  # a fault of the Batch API calls themselves
            _resolve(held, *_trouble(exc))
        except asyncio.CancelledError:
            _resolve(held, 499, _error("the run ended before the batch finished"))
            raise

    async def _answer_all(self, held: dict[str, _Held]) -> None:
        for batch_id, owed in self.state.holding(set(held)).items():
            owed = {i for i in owed if i in held}
            if not owed:
                continue
            self.notify(f"Batch API: waiting for batch {batch_id} ({len(owed)} requests)")
            answers = await self._collect(batch_id, owed)
            self._deliver(batch_id, {i: held.pop(i) for i in answers}, answers)
        keys = list(held)
        for start in range(0, len(keys), MAX_REQUESTS):
            chunk = {k: held[k] for k in keys[start : start + MAX_REQUESTS]}
            submitted = await self._submit(chunk)
            if submitted is None:
                await self._send_directly(chunk)
                continue
            answers = await self._collect(submitted, set(chunk))
            self._deliver(submitted, chunk, answers)

    def _deliver(self, batch_id: str, held: dict[str, _Held], answers: dict[str, Answer]) -> None:
        self.state.deliver(batch_id, set(answers))
        for key, item in held.items():
            for waiter in item.waiters:
                if not waiter.done():
                    waiter.set_result(answers[key])

    # ------------------------------------------------------------------ the SDK calls

    def _client(self) -> Any:
        if self._sdk is None:
            import openai

            s = self.settings
            self._sdk = openai.AsyncOpenAI(
                api_key=s.resolved_api_key() or "unused",
                base_url=s.resolved_base_url(),
                timeout=s.timeout,
                max_retries=2,
                http_client=openai.DefaultAsyncHttpx2Client(transport=_Borrowed(self.inner)),
            )
        return self._sdk

    async def _submit(self, chunk: dict[str, _Held]) -> str | None:
        """Upload the requests and create the batch; None when the endpoint has no Batch API."""
        import openai

        lines = [
            json.dumps({"custom_id": k, "method": "POST", "url": ENDPOINT, "body": h.body})
            for k, h in chunk.items()
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        client = self._client()
        try:
            uploaded = await client.files.create(
                file=("requests.jsonl", data, "application/jsonl"), purpose="batch"
            )
            batch = await client.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={"created_by": "summarize"},
            )
        except openai.APIStatusError as exc:
            if exc.status_code not in _NO_BATCHES:
                raise
            self.fallback = True
            url = self.settings.resolved_base_url() or "the endpoint"
            warnings.warn(
                f"{url} has no Batch API (/v1/batches answered {exc.status_code}): "
                "sending ordinary requests at the ordinary price",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        self.state.add(batch.id, list(chunk))
        self.submitted.append(batch.id)
        self.notify(
            f"Batch API: submitted batch {batch.id} with {len(chunk)} requests (answers within "
            "24 h; if interrupted, run the same command again to pick it up)"
        )
        return str(batch.id)

    async def _collect(self, batch_id: str, ids: set[str]) -> dict[str, Answer]:
        """Wait for the batch to end; an answer for every id in `ids`."""
        import openai

        client = self._client()
        try:
            batch = await client.batches.retrieve(batch_id)
            while batch.status not in _FINAL:
                await asyncio.sleep(POLL_SECONDS)
                batch = await client.batches.retrieve(batch_id)
        except openai.NotFoundError:  # deleted, or from another account: send them again
            self.state.forget(batch_id)
            return {i: (408, _error(f"batch {batch_id} is gone; sent again")) for i in ids}
        answers: dict[str, Answer] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await client.files.content(file_id)
                answers.update(_read_lines(content.text, ids))
        if batch.status == "failed":
            reasons = "; ".join(e.message or "" for e in (batch.errors.data or [])) or "unknown"
            missing = (400, _error(f"batch {batch_id} failed validation: {reasons}"))
        else:
            missing = (408, _error(f"batch {batch_id} {batch.status} before this request ran"))
        done = len([a for a in answers.values() if a[0] == 200])
        self.notify(
            f"Batch API: batch {batch_id} {batch.status}: {done} answered, "
            f"{len(ids) - done} to retry or report"
        )
        return {i: answers.get(i, missing) for i in ids}

    async def _send_directly(self, chunk: dict[str, _Held]) -> None:
        """The fallback: every held request as an ordinary call, concurrently."""

        async def one(item: _Held) -> None:
            try:
                response = await self.inner.handle_async_request(item.request)
                answer = (response.status_code, await response.aread())
                await response.aclose()
            except Exception as exc:
                answer = _trouble(exc)
            for waiter in item.waiters:
                if not waiter.done():
                    waiter.set_result(answer)

        await asyncio.gather(*(one(item) for item in chunk.values()))


class _Borrowed(httpx2.AsyncBaseTransport):
    """The inner transport, lent to the SDK client without letting it close it."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


def _read_lines(text: str, ids: set[str]) -> dict[str, Answer]:
    """Answers from an output or error file: the response body, or an error body."""
    answers = {}
    for line in text.splitlines():
        try:
            item = json.loads(line)
            key = item["custom_id"]
        except (ValueError, KeyError, TypeError):
            continue
        if key not in ids:
            continue
        response, error = item.get("response") or {}, item.get("error") or {}
        status = int(response.get("status_code") or 0)
        if status and response.get("body") is not None:
            answers[key] = (status, json.dumps(response["body"]).encode("utf-8"))
        else:
            code = error.get("code")
            status = status or (408 if code == "batch_expired" else 500)
            answers[key] = (status, _error(error.get("message") or f"batch error {code}"))
    return answers


def _trouble(exc: BaseException) -> Answer:
    """How a failed Batch API call answers the requests that waited on it."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code, _error(f"Batch API: {exc.message}")
    return 502, _error(f"Batch API: {type(exc).__name__}: {exc}")


def _error(message: str) -> bytes:
    body = {"error": {"message": message, "type": "batch_error", "param": None, "code": None}}
    return json.dumps(body).encode("utf-8")


def _resolve(held: dict[str, _Held], status: int, content: bytes) -> None:
    for item in held.values():
        for waiter in item.waiters:
            if not waiter.done():
                waiter.set_result((status, content))
