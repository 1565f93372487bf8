"""Fetch an article from an http(s) URL: one GET with httpx2, guarded, for summarize.sources.

Guards: a connect timeout, a read timeout and an overall deadline; at most MAX_REDIRECTS
redirects, to http(s) only; a size cap checked against Content-Length and again while the
body streams in, so a huge or endless answer is cut off; a content type that must be HTML or
plain text. The bytes received are what `sha256` hashes; they are decoded like a file (the
charset the server names, else UTF-8, Windows-1252, Latin-1), and HTML goes through trafilatura
as a .html file does. The Source keeps the URL its text came from (after redirects).
"""

from __future__ import annotations

import re
import time
from urllib.parse import unquote, urlsplit

from summarize.errors import InputError
from summarize.tls import tls_context

MAX_BYTES = 20_000_000
"""Largest page accepted, in bytes: a long live blog's HTML fits; a video does not."""
CONNECT_TIMEOUT, READ_TIMEOUT, DEADLINE = 10.0, 30.0, 60.0
"""Seconds: to connect, between two reads, for the whole fetch."""
MAX_REDIRECTS = 5
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain", "text/markdown")
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def is_url(text: str) -> bool:
    """True for an http:// or https:// URL (any case), the only schemes fetched."""
    return text[:8].lower().startswith(("http://", "https://"))


def fetch(url: str) -> tuple[bytes, str, bool, str | None]:
    """The page's bytes, the URL they came from, whether they are HTML, and the charset the
    server named; an InputError naming `url` on any failure."""
    import httpx2

    from summarize.version import VERSION

    headers = {
        "User-Agent": f"summarize/{VERSION} (news summarizer; one request per article)",
        "Accept": "text/html, application/xhtml+xml, text/plain;q=0.9",
    }
    timeout = httpx2.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    deadline = time.monotonic() + DEADLINE
    try:
        with (
            httpx2.Client(
                headers=headers,
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                verify=tls_context(),
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InputError(url, f"HTTP {response.status_code} {response.reason_phrase}")
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media not in _HTML_TYPES + _TEXT_TYPES:
                sent = media or "no content type"
                raise InputError(url, f"not an article page: the server sent {sent}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise InputError(url, _too_big(int(declared)))
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise InputError(url, _too_big(None))
                if time.monotonic() > deadline:
                    raise InputError(url, f"took longer than {DEADLINE:g} s to download")
            return bytes(body), str(response.url), media in _HTML_TYPES, response.charset_encoding
    except httpx2.TooManyRedirects:
        raise InputError(url, f"more than {MAX_REDIRECTS} redirects") from None
    except httpx2.UnsupportedProtocol:
        raise InputError(url, "redirected to a URL that is not http or https") from None
    except httpx2.TimeoutException as exc:
        what = "connect" if isinstance(exc, httpx2.ConnectTimeout) else "answer"
        limit = CONNECT_TIMEOUT if what == "connect" else READ_TIMEOUT
        raise InputError(url, f"could not {what} within {limit:g} s") from None
    except httpx2.ConnectError as exc:
        raise InputError(url, f"cannot connect ({_connect_reason(exc)})") from None
    except httpx2.HTTPError as exc:
        raise InputError(url, f"download failed ({type(exc).__name__}: {exc})") from None


def url_id(url: str) -> str:
    """A short id from the URL: the last path segment without its extension, else the host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = segment.rsplit(".", 1)[0] if "." in segment[1:] else segment
    slug = _SLUG.sub("-", stem).strip("-.")
    return slug or _SLUG.sub("-", parts.hostname or "page").strip("-.") or "page"


def _too_big(size: int | None) -> str:
    got = f"{size:,} bytes" if size is not None else "more"
    return f"{got}, over the size cap of {MAX_BYTES:,} bytes"


def _connect_reason(exc: BaseException) -> str:
    import socket

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "unknown host"
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__
