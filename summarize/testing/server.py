"""`FakeOpenAIServer`: a real HTTP server on 127.0.0.1 answering POST /v1/chat/completions
with whatever its responder decides, so the real openai SDK and instructor parse the answers
exactly as they parse OpenAI's. Only the HTTP plumbing lives here (threads, routing,
latency, faults); what to answer is the responder's business.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from summarize.testing.bodies import Reply, Responder, error_body


class _LoopbackServer(ThreadingHTTPServer):
    request_queue_size = 128  # the stdlib's 5 refuses bursts of concurrent calls

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (a timeout, an answer it refused to read) is part of the game:
        no traceback on stderr for that, where a test reading stderr would see it."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """A loopback OpenAI-compatible server answering POST /v1/chat/completions.

    Use it as a context manager; `base_url` is the value for Settings(base_url=...).
    `requests` holds every parsed request body in arrival order and `max_in_flight` the
    largest number of requests it was handling at once. `latency` seconds are slept in the
    handler thread before answering, so concurrent requests overlap. Binds 127.0.0.1 only.
    """

    def __init__(self, responder: Responder, latency: float = 0.0) -> None:
        self.responder = responder
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _LoopbackServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # shutdown() waits for serve_forever to look at its flag, once per poll_interval: at
        # 0.05 s that was ~25 ms at the end of every test using a server (~4 s a suite run)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _answer(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            self._closing.wait(self.latency)
            try:
                reply = self.responder(body)
            except Exception as exc:  # a broken responder shows up as a 500 naming it
                return Reply(status=500, body=error_body(f"responder failed: {exc!r}"))
            reply = reply if isinstance(reply, Reply) else Reply(body=reply)
            self._closing.wait(reply.delay)
            return reply
        finally:
            with self._lock:
                self._in_flight -= 1


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: the headers and the body go out in two writes, and on a kept-alive
        # connection Nagle's algorithm held the body until the client's delayed ACK, ~40 ms a
        # call (a real server does not make its clients wait for that)
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(Reply(status=404, body=error_body(f"no route {self.path}")))
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(Reply(status=400, body=error_body("request body is not JSON")))
                return
            reply = server._answer(body)
            if reply.drop:
                self.close_connection = True
                return
            try:
                self._send(reply)
            except OSError:  # the client gave up (timeout) before the answer was ready
                self.close_connection = True

        def _send(self, reply: Reply) -> None:
            body = reply.body
            if body is None and reply.status != 200:
                body = error_body(f"fake server error {reply.status}")
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests read `server.requests` instead."""

    return Handler
