"""URLs as inputs: fetched from a loopback HTTP server, never the network."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from conftest import NEWS, run_cli

from summarize import fetch
from summarize.errors import InputError
from summarize.fetch import url_id
from summarize.sources import load_sources
from summarize.testing import FakeOpenAIServer, stand_in

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta property="og:site_name" content="Harbour Times">
<title>Council approves harbour tunnel | Harbour Times</title></head><body>
<nav><a href="/">Home</a> <a href="/subscribe">Subscribe for unlimited access today</a></nav>
<article><h1>Council approves harbour tunnel</h1>
<p>The city council voted 7 to 2 on Tuesday to build a road tunnel under the harbour, ending a
debate that had lasted more than three years.</p>
<p>The tunnel is expected to cost $410 million and to open in 2031, the mayor said after the
vote. Residents near the entrance have asked for a noise study before any work starts.</p>
</article></body></html>
"""
PLAIN = b"Kmart agrees to buy Sears\n\nSears shares soared 17 percent.\n"
LATIN = "Café owners welcome the harbour tunnel, which will cost €410 million.\n".encode("cp1252")


class Pages(BaseHTTPRequestHandler):
    """Routes for every case; each answer is written by hand, headers included."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no ~40 ms stall between
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {
        "/story.html": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.encode()),
        "/plain.txt": (200, {"Content-Type": "text/plain; charset=utf-8"}, PLAIN),
        "/latin.txt": (200, {"Content-Type": "text/plain; charset=windows-1252"}, LATIN),
        "/moved": (301, {"Location": "/story.html"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/ftp": (302, {"Location": "ftp://127.0.0.1/story.txt"}, b""),
        "/report.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.7 not an article"),
        "/gone": (404, {"Content-Type": "text/html"}, b"<p>Not here</p>"),
        "/empty.html": (200, {"Content-Type": "text/html"}, b"<html><body></body></html>"),
    }

    def do_GET(self) -> None:
        if self.path == "/endless":  # no Content-Length: the cap must hold while streaming
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(10_000):
                    self.wfile.write(b"word " * 2000)
            except OSError:
                pass  # the client stopped reading at the cap
            return
        if self.path == "/huge":  # an honest Content-Length over the cap: refused unread
            self._send(200, {"Content-Type": "text/html", "Content-Length": "999999999"}, b"")
            return
        if self.path == "/slow":
            time.sleep(1.0)
        status, headers, body = self.routes.get(self.path, (404, {}, b"no route"))
        if self.path == "/slow":
            status, headers, body = self.routes["/plain.txt"]
        self._send(status, headers, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent."""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.005})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def fails(url: str) -> str:
    with pytest.raises(InputError) as info:
        load_sources(url)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{url}: ")
    return message.removeprefix(f"{url}: ")


def test_an_html_page_is_extracted_and_kept_with_its_url_and_hash(site):
    (source,) = load_sources(f"{site}/story.html")
    assert source.url == f"{site}/story.html" and source.path is None
    assert source.id == "story" and source.name == "Council approves harbour tunnel — Harbour Times"
    assert source.sha256 == hashlib.sha256(PAGE.encode()).hexdigest()
    assert "voted 7 to 2 on Tuesday" in source.text and "Subscribe" not in source.text
    assert source.warnings == ["text extracted from HTML; spans refer to the extracted text"]


def test_plain_text_is_kept_verbatim_and_named_by_its_heading(site):
    (source,) = load_sources(f"{site}/plain.txt")
    assert source.text == PLAIN.decode() and source.id == "plain"
    assert source.name == "Kmart agrees to buy Sears"
    assert source.sha256 == hashlib.sha256(PLAIN).hexdigest()


def test_the_charset_the_server_names_decodes_what_utf8_cannot(site):
    (source,) = load_sources(f"{site}/latin.txt")
    assert source.text == LATIN.decode("cp1252") and source.encoding == "windows-1252"


def test_a_redirect_is_followed_and_the_final_url_kept(site):
    (source,) = load_sources(f"{site}/moved")
    assert source.url == f"{site}/story.html" and source.id == "story"
    assert f"fetched from {site}/story.html (redirected)" in source.warnings


def test_failures_are_one_line_naming_the_url(site, monkeypatch):
    assert fails(f"{site}/gone") == "HTTP 404 Not Found"
    assert fails(f"{site}/report.pdf") == "not an article page: the server sent application/pdf"
    assert fails(f"{site}/loop") == f"more than {fetch.MAX_REDIRECTS} redirects"
    assert fails(f"{site}/ftp") == "redirected to a URL that is not http or https"
    assert fails(f"{site}/empty.html") == "no article text found in the HTML"
    assert (
        fails(f"{site}/huge")
        == f"999,999,999 bytes, over the size cap of {fetch.MAX_BYTES:,} bytes"
    )
    monkeypatch.setattr(fetch, "MAX_BYTES", 100_000)
    assert fails(f"{site}/endless") == "more, over the size cap of 100,000 bytes"
    monkeypatch.setattr(fetch, "READ_TIMEOUT", 0.1)  # /slow answers after 1 s
    assert fails(f"{site}/slow") == "could not answer within 0.1 s"


def test_a_closed_port_is_refused_at_once():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert fails(f"http://127.0.0.1:{port}/story.html") == "cannot connect (connection refused)"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/news/2024/story-one.html", "story-one"),
        ("https://example.com/news/kmart%20sears/", "kmart-sears"),
        ("https://example.com/", "example.com"),
        ("http://example.com/a/.hidden", "hidden"),
    ],
)
def test_ids_come_from_the_last_path_segment(url, expected):
    assert url_id(url) == expected


def test_the_cli_summarizes_a_url_beside_a_file(site):
    article = NEWS / "kmart-sears" / "03_broadcaster.txt"
    with FakeOpenAIServer(stand_in) as server:
        result = run_cli(
            f"{site}/story.html",
            str(article),
            "--base-url",
            server.base_url,
            "--no-cache",
            "--format",
            "json",
        )
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    page, file = graph["sources"]
    assert page["url"] == f"{site}/story.html" and page["path"] is None
    assert page["sha256"] == hashlib.sha256(PAGE.encode()).hexdigest()
    assert file["path"] == str(article) and file["url"] is None
    assert {c["source_id"] for c in graph["claims"]} == {"story", "03_broadcaster"}
