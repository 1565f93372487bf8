"""Building the client: the openai SDK over our transports, wrapped by instructor.

`build_client` stacks what a request passes through (the replay or recording transport, the
guarded HTTP client that caps and shape-checks answers, AsyncOpenAI with its own retries off,
instructor in the chosen mode); `check_api_key` refuses a key that cannot be sent before
anything is built. Apart from `summarize.llm`, which decides when to build (in a background
thread, on the first cache miss) and what to do with the answers; openai and instructor are
imported only inside `build_client`.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from summarize.errors import ConfigError, redact
from summarize.settings import MODES, NO_KEY, Settings
from summarize.tls import tls_context

if TYPE_CHECKING:
    import httpx2


def build_client(
    settings: Settings,
    transport: httpx2.AsyncBaseTransport | None,
    on_request: Callable[[httpx2.Request], Awaitable[None]],
) -> Any:
    """AsyncOpenAI (SDK retries off) over the chosen transport, wrapped by instructor."""
    import instructor
    import openai

    from summarize.recording import RecordingTransport, ReplayTransport
    from summarize.wire import GuardedHttpClient

    if settings.needs_key():
        raise ConfigError(NO_KEY)
    if transport is None and settings.replay_dir is not None:
        transport = ReplayTransport(settings.replay_dir)
    if settings.record_dir is not None:
        import httpx2

        transport = RecordingTransport(
            transport or httpx2.AsyncHTTPTransport(verify=tls_context()), settings.record_dir
        )
    http_client = GuardedHttpClient(transport=transport, event_hooks={"request": [on_request]})
    client = openai.AsyncOpenAI(
        api_key=settings.resolved_api_key() or "unused",
        base_url=settings.resolved_base_url(),
        timeout=settings.timeout,
        max_retries=0,
        http_client=http_client,
    )
    _quiet_instructor_log()
    return instructor.from_openai(client, mode=getattr(instructor.Mode, MODES[settings.mode]))


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
