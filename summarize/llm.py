"""The one interface to the model: client factory, cache, record/replay, retries, usage.

Every stage calls `LLM.create(ResponseModel, messages, prompt_key=..., label=...)` and gets a
validated pydantic object or a one-line `summarize.errors.ModelError` that starts with the
label. Each concern has one owner, so attempts are never multiplied:

- how many requests are in flight: `summarize.limiter.Limiter` (adaptive; `settings.concurrency`
  caps it). Overload (429, 503, a timeout) shrinks it and a Retry-After pauses new requests;
- transport faults (408, 409, 429, 5xx, timeouts, dropped connections): tenacity, here, up to
  `settings.retries` times with exponential backoff and jitter, honouring Retry-After;
  the openai SDK's own retries are off (max_retries=0). An overload met by a request sent
  alongside others is the limiter's to fix, so it does not use up that request's retries (at
  most `MAX_ABSORBED` such per call). Not retried, because the same request gets the same
  answer: a server that cannot be reached at all (connection refused, unknown host: the error
  names the URL at once), and a 5xx whose body is a request validation error (llama-cpp-python
  answers a request shape it does not take with HTTP 500);
- malformed output: instructor re-asks, up to `settings.reasks` times, but never for a
  refusal (pointless) or a truncated answer (instructor raises at once on those);
- caching: `summarize.cache`, keyed on what determines the answer and never the API key;
- containment: `summarize.wire` caps and shape-checks every answer before the SDK parses it,
  and anything else that goes wrong inside one call is a ModelError for that call alone;
- secrets: a key that cannot be sent as an HTTP header is refused before anything is sent,
  and every message is redacted.

openai and instructor are imported, and the client built, in a background thread started by
the first request that misses the cache (or by `LLM.warm_up()`), while the event loop goes on
preparing the other requests; `import summarize.llm` stays light and a fully cached rerun
never loads them. The client is built in `summarize.client`; what a failure means (transient,
overload, unreachable, a refusal) and its one-line message are read in `summarize.faults`.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import warnings
from concurrent.futures import Future
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from summarize.client import build_client, check_api_key
from summarize.errors import (
    MalformedResponse,
    ModelError,
    RefusedResponse,
    SummarizeError,
    TruncatedResponse,
    UnparseableResponse,
)
from summarize.faults import (
    MAX_WAIT,
    api_error,
    is_overload,
    is_transient,
    one_line,
    refusal_in,
    retry_after,
    root_cause,
    short_reason,
)
from summarize.limiter import NORMAL, URGENT, Limiter
from summarize.models import Usage
from summarize.settings import Settings

if TYPE_CHECKING:
    import httpx2
    from tenacity import RetryCallState

M = TypeVar("M", bound=BaseModel)

BACKOFF_BASE = 1.0
"""Seconds before the first transport retry; doubles each time, plus as much jitter."""
MAX_ABSORBED = 16
"""Overloads per call that the limiter takes the blame for before they count as retries."""


class LLM:
    """One small interface to the model: client factory, cache, record/replay, retries, usage."""

    def __init__(
        self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        check_api_key(settings)
        if settings.record_dir is not None:
            from summarize.paths import prepare_record_dir

            prepare_record_dir(settings.record_dir)
        self.settings = settings
        self.usage = Usage()
        self._transport = transport
        self._backoff = BACKOFF_BASE
        self.limiter = Limiter(settings.concurrency)
        self._client: Any = None
        self._building: Future[Any] | None = None
        self._cache = None
        if settings.use_cache:
            from summarize.cache import ResultCache, default_cache_dir

            self._cache = ResultCache(default_cache_dir(settings))

    async def create(
        self,
        answer_type: type[M],
        messages: list[dict[str, str]],
        *,
        prompt_key: str,
        label: str,
        urgent: bool = False,
    ) -> M:
        """The model's answer to `messages` as a validated `answer_type`, from cache if seen.

        `prompt_key` (the prompt's name@version) enters the cache key; `label` (the article
        or stage id) starts every error message; `urgent` requests (repairs, compose) wait
        ahead of the others. Raises only ModelError subclasses for model trouble, ConfigError
        for a missing or unusable key, CacheError for an unusable cache, OutputError when a
        recording cannot be written.
        """
        key = None
        if self._cache is not None:
            from summarize.cache import cache_key

            key = cache_key(self.settings, prompt_key, _schema_of(answer_type), messages)
            hit = self._cache.get(key)
            if hit is not None:
                try:
                    result = answer_type.model_validate_json(hit)
                except ValidationError:
                    warnings.warn(f"{label}: ignored a stale cache entry", RuntimeWarning, 2)
                else:
                    self.usage.cache_hits += 1
                    return result
        answer = (await self._ask(answer_type, messages, label, urgent)).model_dump_json()
        if key is not None and self._cache is not None:
            self._cache.set(key, answer)
        # A fresh object, as on a cache hit: instructor hangs the raw completion on its result.
        return answer_type.model_validate_json(answer)

    def warm_up(self) -> None:
        """Import openai and instructor and build the client in a background thread, now.

        The first cache miss calls this; a caller that knows a request is coming can call it
        earlier. Imports hold the GIL, so they overlap file and cache I/O, not other Python
        work. Idempotent."""
        if self._client is not None or self._building is not None:
            return
        future: Future[Any] = Future()
        self._building = future

        def build() -> None:
            try:
                future.set_result(build_client(self.settings, self._transport, self._count_call))
            except BaseException as exc:  # handed to the first request, which raises it
                future.set_exception(exc)

        threading.Thread(target=build, name="summarize-client", daemon=True).start()

    async def _client_ready(self) -> Any:
        if self._client is None:
            self.warm_up()
            assert self._building is not None
            self._client = await asyncio.wrap_future(self._building)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client and the cache; the object is not usable afterwards."""
        building, self._building = self._building, None
        if self._client is None and building and building.done() and not building.exception():
            self._client = building.result()
        if self._client is not None:
            await self._client.client.close()
            self._client = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    # ------------------------------------------------------------------ requests and retries

    async def _ask(
        self, answer_type: type[M], messages: list[dict[str, str]], label: str, urgent: bool
    ) -> M:
        """One answer, retrying transport faults; every failure becomes a one-line ModelError."""
        client = await self._client_ready()
        from openai import APIError
        from tenacity import AsyncRetrying, retry_if_exception

        call = _Call(self.limiter.order(), URGENT if urgent else NORMAL)
        retrying = AsyncRetrying(
            stop=lambda state: state.attempt_number - call.absorbed > self.settings.retries,
            wait=lambda state: self._wait(state, call),
            retry=retry_if_exception(is_transient),
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return await retrying(self._limited, client, call, answer_type, messages, label)
        except APIError as exc:
            error = api_error(exc, label, self.settings)
        raise error  # outside the except block: no __context__ holding the server's raw text

    async def _limited(
        self,
        client: Any,
        call: _Call,
        answer_type: type[M],
        messages: list[dict[str, str]],
        label: str,
    ) -> M:
        """One attempt inside a limiter slot; its outcome tells the limiter about the load."""
        ticket = await self.limiter.acquire(call.priority, call.order)
        try:
            result = await self._attempt(client, answer_type, messages, label)
        except BaseException as exc:
            if is_overload(exc):
                self.limiter.overloaded(ticket, retry_after(exc))
                if ticket.crowded and call.absorbed < MAX_ABSORBED:
                    call.absorbed += 1
            elif isinstance(exc, ModelError):  # the server answered; the answer was bad
                self.limiter.succeeded(ticket)
            else:
                self.limiter.finished(ticket)
            raise
        self.limiter.succeeded(ticket)
        return result

    async def _attempt(
        self, client: Any, answer_type: type[M], messages: list[dict[str, str]], label: str
    ) -> M:
        """One instructor call (with its re-asks); API errors are re-raised unwrapped."""
        from instructor.core.exceptions import IncompleteOutputException, ResponseParsingError
        from instructor.core.hooks import Hooks
        from openai import APIError
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

        parse_errors = (ValidationError, json.JSONDecodeError, ResponseParsingError)
        last: list[Any] = [None]  # the latest raw completion of this call

        def on_response(response: Any) -> None:
            last[0] = response
            usage = getattr(response, "usage", None)
            if usage is not None:
                self.usage.prompt_tokens += usage.prompt_tokens or 0
                self.usage.completion_tokens += usage.completion_tokens or 0

        def count_reask(_: RetryCallState) -> None:
            self.usage.reasks += 1

        hooks = Hooks()
        hooks.on("completion:response", on_response)
        reasking = AsyncRetrying(  # instructor's own policy, minus re-asking a refusal
            stop=stop_after_attempt(self.settings.reasks + 1),
            retry=retry_if_exception(
                lambda e: isinstance(e, parse_errors) and refusal_in(last[0]) is None
            ),
            before_sleep=count_reask,
            reraise=True,
        )
        extra: dict[str, Any] = {}
        if self.settings.mode == "json_object_schema":  # llama-cpp-python's constrained JSON
            schema = _schema_of(answer_type)
            extra["extra_body"] = {"response_format": {"type": "json_object", "schema": schema}}
        try:
            result, _ = await client.chat.completions.create_with_completion(
                response_model=_for_instructor(answer_type),
                messages=messages,
                model=self.settings.model,
                max_retries=reasking,
                hooks=hooks,
                **extra,
            )
            return result
        except Exception as exc:
            root = root_cause(exc)
            refusal = refusal_in(last[0])
            if refusal is not None and isinstance(root, (AssertionError, *parse_errors)):
                raise RefusedResponse(
                    f"{label}: the model refused: {one_line(refusal, self.settings)}"
                ) from None
            if isinstance(root, IncompleteOutputException):
                raise TruncatedResponse(
                    f"{label}: the answer was cut off at the model's output token limit "
                    "(finish_reason=length)"
                ) from None
            if isinstance(root, parse_errors):
                raise UnparseableResponse(
                    f"{label}: output still invalid after {self.settings.reasks} re-ask(s): "
                    f"{one_line(short_reason(root), self.settings)}"
                ) from root
            if isinstance(root, APIError | SummarizeError):
                raise root from root.__cause__  # unwrapped: _ask retries or reports it
            # Anything else inside the SDK or instructor (an answer shape wire.py let through,
            # a request that could not be encoded) ends this call only.
            raise MalformedResponse(
                f"{label}: unexpected failure of the model call: "
                f"{one_line(f'{type(root).__name__}: {root}', self.settings)}"
            ) from root

    def _wait(self, state: RetryCallState, call: _Call) -> float:
        """Retry-After when the server gives one, else exponential backoff with jitter (the
        exponent counts only the retries this call is charged for)."""
        exc = state.outcome.exception() if state.outcome else None
        after = retry_after(exc)
        if after is not None:
            return after
        counted = max(state.attempt_number - call.absorbed, 1)
        return min(self._backoff * 2 ** (counted - 1), MAX_WAIT) + random.uniform(0, self._backoff)

    def _count_retry(self, _: RetryCallState) -> None:
        self.usage.retries += 1

    async def _count_call(self, _: httpx2.Request) -> None:
        self.usage.calls += 1


class _Call:
    """One request's place in the limiter's line and the overloads it was not charged for."""

    def __init__(self, order: int, priority: int) -> None:
        self.order = order
        self.priority = priority
        self.absorbed = 0


@lru_cache(maxsize=32)
def _schema_of(answer_type: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of an answer type, built once (pydantic takes ~4 ms a call); read only."""
    return answer_type.model_json_schema()


@lru_cache(maxsize=32)
def _for_instructor(answer_type: type[M]) -> type[M]:
    """`answer_type` as instructor's response schema, made once per type. Given a plain model,
    instructor makes a new subclass on every call (pydantic's create_model), so its schema
    cache, keyed by class, never hits: ~4 ms of CPU a call, a third of the demo's."""
    import instructor

    return instructor.openai_schema(answer_type)
