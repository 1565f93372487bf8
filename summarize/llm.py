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
never loads them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import threading
import time
import unicodedata
import warnings
from concurrent.futures import Future
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from summarize.errors import (
    ConfigError,
    MalformedResponse,
    ModelAPIError,
    ModelError,
    RefusedResponse,
    ReplayMissError,
    SummarizeError,
    TruncatedResponse,
    UnparseableResponse,
    redact,
)
from summarize.limiter import NORMAL, URGENT, Limiter
from summarize.models import Usage
from summarize.settings import MODES, NO_KEY, Settings

if TYPE_CHECKING:
    import httpx2
    from openai import APIError
    from tenacity import RetryCallState

M = TypeVar("M", bound=BaseModel)

BACKOFF_BASE = 1.0
"""Seconds before the first transport retry; doubles each time, plus as much jitter."""
MAX_WAIT = 60.0
"""Cap on any single wait, Retry-After included."""
MAX_ABSORBED = 16
"""Overloads per call that the limiter takes the blame for before they count as retries."""

_VALIDATION = re.compile(r"\bvalidation errors? for \w+|\[type=\w+_error\b")
_REFUSAL = re.compile(
    r"\bI(?:['’]m| am) (?:sorry|unable)|\bI (?:can(?:no|['’])t|won['’]t)\b"
    r"|\bunable to (?:help|assist|comply)",
    re.IGNORECASE,
)


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
                future.set_result(self._build_client())
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
            retry=retry_if_exception(_is_transient),
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return await retrying(self._limited, client, call, answer_type, messages, label)
        except APIError as exc:
            error = self._api_error(exc, label)
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
            if _is_overload(exc):
                self.limiter.overloaded(ticket, _retry_after(exc))
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
                lambda e: isinstance(e, parse_errors) and _refusal(last[0]) is None
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
                response_model=answer_type,
                messages=messages,
                model=self.settings.model,
                max_retries=reasking,
                hooks=hooks,
                **extra,
            )
            return result
        except Exception as exc:
            root = _root_cause(exc)
            refusal = _refusal(last[0])
            if refusal is not None and isinstance(root, (AssertionError, *parse_errors)):
                raise RefusedResponse(
                    f"{label}: the model refused: {self._clean(refusal)}"
                ) from None
            if isinstance(root, IncompleteOutputException):
                raise TruncatedResponse(
                    f"{label}: the answer was cut off at the model's output token limit "
                    "(finish_reason=length)"
                ) from None
            if isinstance(root, parse_errors):
                raise UnparseableResponse(
                    f"{label}: output still invalid after {self.settings.reasks} re-ask(s): "
                    f"{self._clean(_short_reason(root))}"
                ) from root
            if isinstance(root, APIError | SummarizeError):
                raise root from root.__cause__  # unwrapped: _ask retries or reports it
            # Anything else inside the SDK or instructor (an answer shape wire.py let through,
            # a request that could not be encoded) ends this call only.
            raise MalformedResponse(
                f"{label}: unexpected failure of the model call: "
                f"{self._clean(f'{type(root).__name__}: {root}')}"
            ) from root

    def _wait(self, state: RetryCallState, call: _Call) -> float:
        """Retry-After when the server gives one, else exponential backoff with jitter (the
        exponent counts only the retries this call is charged for)."""
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after(exc)
        if after is not None:
            return after
        counted = max(state.attempt_number - call.absorbed, 1)
        return min(self._backoff * 2 ** (counted - 1), MAX_WAIT) + random.uniform(0, self._backoff)

    def _count_retry(self, _: RetryCallState) -> None:
        self.usage.retries += 1

    async def _count_call(self, _: httpx2.Request) -> None:
        self.usage.calls += 1

    # ------------------------------------------------------------------ client and errors

    def _build_client(self) -> Any:
        """AsyncOpenAI (SDK retries off) over the chosen transport, wrapped by instructor."""
        import instructor
        import openai

        from summarize.recording import RecordingTransport, ReplayTransport
        from summarize.wire import GuardedHttpClient

        s = self.settings
        if s.needs_key():
            raise ConfigError(NO_KEY)
        transport = self._transport
        if transport is None and s.replay_dir is not None:
            transport = ReplayTransport(s.replay_dir)
        if s.record_dir is not None:
            import httpx2

            transport = RecordingTransport(transport or httpx2.AsyncHTTPTransport(), s.record_dir)
        http_client = GuardedHttpClient(
            transport=transport, event_hooks={"request": [self._count_call]}
        )
        client = openai.AsyncOpenAI(
            api_key=s.resolved_api_key() or "unused",
            base_url=s.resolved_base_url(),
            timeout=s.timeout,
            max_retries=0,
            http_client=http_client,
        )
        _quiet_instructor_log()
        return instructor.from_openai(client, mode=getattr(instructor.Mode, MODES[s.mode]))

    def _api_error(self, exc: APIError, label: str) -> SummarizeError:
        """The one-line error for an API failure that retries could not (or must not) fix.

        An error of ours raised below the SDK (a replay miss, a malformed answer, a recording
        that could not be written) arrives wrapped in an APIConnectionError: unwrap it."""
        carried = _carried(exc)
        if isinstance(carried, ReplayMissError):
            return ReplayMissError(
                f"{label}: {carried}; record it first with a real model and record_dir"
            )
        if isinstance(carried, ModelError):
            return type(carried)(f"{label}: {self._clean(str(carried))}")
        if carried is not None:  # a local fault (OutputError): not the model's, never retried
            return carried
        unreachable = _unreachable(exc)
        if unreachable is not None:
            url = self.settings.resolved_base_url() or "https://api.openai.com/v1"
            return ModelAPIError(f"{label}: cannot reach {url} ({unreachable})")
        what = self._clean(_describe(exc, self.settings.timeout))
        if _rejected_request(exc) and "json_object" in what and self.settings.mode != "json":
            what += " (a server that takes the schema inside json_object needs the "
            what += "json_object_schema mode: llama-cpp-python)"
        if _is_transient(exc):
            return ModelAPIError(f"{label}: gave up after {self.settings.retries} retries: {what}")
        return ModelAPIError(f"{label}: {what}")

    def _clean(self, text: str) -> str:
        """One line, at most 300 characters, with the API key and anything key-like removed."""
        return redact(" ".join(text.split()), self.settings.resolved_api_key())[:300]


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


def _root_cause(exc: BaseException) -> BaseException:
    """Unwrap instructor's InstructorRetryException (which carries the real error as cause)."""
    from instructor.core.exceptions import InstructorRetryException

    while isinstance(exc, InstructorRetryException) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _carried(exc: BaseException | None) -> SummarizeError | None:
    """Our own error the SDK wrapped in an APIConnectionError, if that is what this is."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, SummarizeError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__
    return None


def check_api_key(settings: Settings) -> None:
    """Refuse a key that cannot be an HTTP header value, naming the problem, never the key.

    A key pasted with a no-break space used to fail deep in the HTTP layer with the header in
    the message; one with a line break was retried as a connection failure. Real keys are
    printable ASCII without spaces, so anything else is a paste accident."""
    key = settings.resolved_api_key()
    if not key:
        return
    where = "the API key" if settings.api_key else "OPENAI_API_KEY"
    for position, char in enumerate(key, 1):
        if "!" <= char <= "~":
            continue
        name = unicodedata.name(char, "")
        if not char.isascii():
            kind = "a non-ASCII character"
        elif char == " ":
            kind = "a space"
        else:
            kind = "a control character"
        raise ConfigError(
            f"{where} cannot be sent in an HTTP header: character {position} of {len(key)} is "
            f"{kind} (U+{ord(char):04X}{' ' + name if name else ''}); set it again without it"
        )


def _is_transient(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        if _rejected_request(exc):
            return False
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return (
        isinstance(exc, openai.APIConnectionError)
        and _carried(exc) is None
        and _unreachable(exc) is None
    )


def _rejected_request(exc: BaseException) -> bool:
    """A 5xx whose message is a validation error of the request (pydantic's wording)."""
    import openai

    if not isinstance(exc, openai.APIStatusError) or exc.status_code < 500:
        return False
    return bool(_VALIDATION.search(f"{exc.body} {exc.message}"))


def _unreachable(exc: BaseException) -> str | None:
    """Why no connection could be made at all (refused, unknown host), else None."""
    import socket

    import httpx2

    chain: list[BaseException] = []
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        chain.append(link)
        link = link.__cause__ or link.__context__
    if not any(isinstance(e, httpx2.ConnectError) for e in chain):
        return None
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused: is the server running?"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "unknown host"
    return f"cannot connect: {next(str(e) for e in chain if isinstance(e, httpx2.ConnectError))}"


def _is_overload(exc: BaseException) -> bool:
    """The server is busy: 429, 503 or no answer in time. The limiter backs off on these."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (429, 503)
    return isinstance(exc, openai.APITimeoutError)


def _retry_after(exc: BaseException | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP-date), capped at MAX_WAIT."""
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_WAIT)


def _describe(exc: APIError, timeout: float) -> str:
    """Status, reason and the server's own message; or the timeout; or the connection fault."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        if isinstance(body, dict):
            inner = body.get("error", body)
            message = inner.get("message") if isinstance(inner, dict) else inner
        else:
            message = body
        reason = exc.response.reason_phrase
        return f"HTTP {exc.status_code} {reason}: {message or exc.message}"
    if isinstance(exc, openai.APITimeoutError):
        return f"no answer within the {timeout:g} s timeout"
    return f"connection failed: {exc.__cause__ or exc}"


def _refusal(response: Any) -> str | None:
    """The refusal in a raw completion: message.refusal, or refusal-like text and no tool call."""
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    if message.refusal:
        return str(message.refusal)
    content = (message.content or "").strip()
    if not message.tool_calls and "{" not in content and _REFUSAL.search(content):
        return content
    return None


def _short_reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        return f"{exc.error_count()} validation error(s), first at {where}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _QuietRetryLog(logging.Filter):
    """instructor logs every failed attempt at ERROR, server text included; we report errors
    ourselves, so demote those records to DEBUG and strip anything key-like from them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def _quiet_instructor_log() -> None:
    logger = logging.getLogger("instructor.v2.retry")
    if not any(isinstance(f, _QuietRetryLog) for f in logger.filters):
        logger.addFilter(_QuietRetryLog())
