"""What went wrong in a model call, read from the exceptions of the openai SDK and instructor.

The retry policy in `summarize.llm` asks these questions of every failure: is it transient
(worth retrying), an overload (the limiter's to absorb), a server that cannot be reached at
all, a request shape the server rejects; how long does Retry-After say to wait; is the answer
a refusal. `api_error` turns what retries could not fix into the one-line, redacted error
the user sees. They sit apart from `llm` because they read exceptions and never send a
request; openai is imported inside each function, so importing this stays light.
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from summarize.errors import ModelAPIError, ModelError, ReplayMissError, SummarizeError, redact
from summarize.settings import Settings

if TYPE_CHECKING:
    from openai import APIError

MAX_WAIT = 60.0
"""Cap on any single wait, Retry-After included."""

_VALIDATION = re.compile(r"\bvalidation errors? for \w+|\[type=\w+_error\b")
_REFUSAL = re.compile(
    r"\bI(?:['’]m| am) (?:sorry|unable)|\bI (?:can(?:no|['’])t|won['’]t)\b"
    r"|\bunable to (?:help|assist|comply)",
    re.IGNORECASE,
)


def api_error(exc: APIError, label: str, settings: Settings) -> SummarizeError:
    """The one-line error for an API failure that retries could not (or must not) fix.

    An error of ours raised below the SDK (a replay miss, a malformed answer, a recording
    that could not be written) arrives wrapped in an APIConnectionError: unwrap it."""
    carried = _carried(exc)
    if isinstance(carried, ReplayMissError):
        return ReplayMissError(
            f"{label}: {carried}; record it first with a real model and record_dir"
        )
    if isinstance(carried, ModelError):
        return type(carried)(f"{label}: {one_line(str(carried), settings)}")
    if carried is not None:  # a local fault (OutputError): not the model's, never retried
        return carried
    unreachable = _unreachable(exc)
    if unreachable is not None:
        url = settings.resolved_base_url() or "https://api.openai.com/v1"
        return ModelAPIError(f"{label}: cannot reach {url} ({unreachable})")
    what = one_line(_describe(exc, settings.timeout), settings)
    if _rejected_request(exc) and "json_object" in what and settings.mode != "json":
        what += " (a server that takes the schema inside json_object needs the "
        what += "json_object_schema mode: llama-cpp-python)"
    if is_transient(exc):
        return ModelAPIError(f"{label}: gave up after {settings.retries} retries: {what}")
    return ModelAPIError(f"{label}: {what}")


def one_line(text: str, settings: Settings) -> str:
    """One line, at most 300 characters, with the API key and anything key-like removed."""
    return redact(" ".join(text.split()), settings.resolved_api_key())[:300]


def root_cause(exc: BaseException) -> BaseException:
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


def is_transient(exc: BaseException) -> bool:
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


def is_overload(exc: BaseException) -> bool:
    """The server is busy: 429, 503 or no answer in time. The limiter backs off on these."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (429, 503)
    return isinstance(exc, openai.APITimeoutError)


def retry_after(exc: BaseException | None) -> float | None:
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


def refusal_in(response: Any) -> str | None:
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


def short_reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        return f"{exc.error_count()} validation error(s), first at {where}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
