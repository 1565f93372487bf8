"""Fakes for testing code built on summarize, without a model and without the network.

`FakeOpenAIServer` is a real HTTP server on 127.0.0.1 that speaks the Chat Completions wire
format, so the real openai SDK and instructor parse its answers exactly as they parse
OpenAI's. A *responder* decides each answer from the parsed request body:

    import summarize
    from summarize.testing import FakeOpenAIServer, completion_for

    def responder(request):  # every article yields no claim
        return completion_for(request, {"claims": []})

    with FakeOpenAIServer(responder) as server:
        summarize.summarize(["a.txt"], base_url=server.base_url, use_cache=False)
    assert server.requests  # every parsed request body, in arrival order

A responder returns a response body (a dict, sent with status 200) or a `Reply` to script a
fault: an HTTP error with headers (`Reply(status=429, headers={"Retry-After": "1"})`), a slow
answer that trips the client's timeout (`Reply(delay=5.0)`) or a dropped connection
(`Reply(drop=True)`).

The body builders (`completion_for`, `refusal_for`, `error_body`) produce exact Chat
Completions bodies; `stand_in` is a ready-made responder for summarize's own prompts;
`capacity_limited` wraps a responder into a server that holds at most N requests at once and
answers the rest 429 with Retry-After, as rate-limited endpoints do.
Token counts default to a rough estimate of one token per four characters (of the request's
messages for the prompt, of the answer text for the completion); pass `prompt_tokens` /
`completion_tokens` for exact figures.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from summarize.hashing import digest

__all__ = [
    "FakeBatchServer",
    "FakeOpenAIServer",
    "Reply",
    "capacity_limited",
    "completion_for",
    "error_body",
    "llama_cpp_python",
    "refusal_for",
    "stand_in",
]


@dataclass
class Reply:
    """One scripted answer: a status and body, optionally delayed, or a dropped connection.

    A non-200 reply without a body gets an OpenAI-style error body (see `error_body`).
    """

    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


Responder = Callable[[dict[str, Any]], "Reply | dict[str, Any]"]


def error_body(message: str, *, type: str = "server_error", code: str | None = None) -> dict:
    """The body OpenAI sends with an HTTP error."""
    return {"error": {"message": message, "type": type, "param": None, "code": code}}


def _digest(*parts: Any) -> str:
    return digest(parts)


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


def _body(
    request: dict[str, Any],
    message: dict[str, Any],
    finish_reason: str,
    answer: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
) -> dict[str, Any]:
    prompt = (
        prompt_tokens
        if prompt_tokens is not None
        else _estimate(json.dumps(request.get("messages", []), ensure_ascii=False))
    )
    completion = completion_tokens if completion_tokens is not None else _estimate(answer)
    digest = _digest(request, message)
    return {
        "id": f"chatcmpl-{digest[:29]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": None,
                    "annotations": [],
                    **message,
                },
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": f"fp_{digest[-10:]}",
    }


def completion_for(
    request: dict[str, Any],
    payload: dict[str, Any] | str,
    *,
    finish_reason: Literal["stop", "tool_calls", "length"] | None = None,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
) -> dict[str, Any]:
    """A completion answering `request` with `payload`, in the shape the request asks for.

    A request with `tools` gets a call to the first tool with the payload as its arguments
    (finish_reason "tool_calls"); a `response_format` of json_schema or json_object gets the
    payload as the message content; otherwise (instructor's MD_JSON mode) the content is the
    payload in a ```json fence. A dict payload is serialised with json.dumps; a str payload is
    sent as is, which lets a test send malformed JSON.
    """
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    if request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        call = {
            "id": f"call_{_digest(request, text)[:24]}",
            "type": "function",
            "function": {"name": name, "arguments": text},
        }
        message: dict[str, Any] = {"tool_calls": [call]}
        default_reason = "tool_calls"
    elif (request.get("response_format") or {}).get("type") in ("json_schema", "json_object"):
        message = {"content": text}
        default_reason = "stop"
    else:
        text = f"```json\n{text}\n```"
        message = {"content": text}
        default_reason = "stop"
    return _body(
        request,
        message,
        finish_reason or default_reason,
        text,
        prompt_tokens,
        completion_tokens,
    )


def refusal_for(request: dict[str, Any], text: str) -> dict[str, Any]:
    """A completion in which the model refuses (message.refusal set, no content)."""
    return _body(request, {"refusal": text}, "stop", text, None, None)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_QUOTE_MARKS = '"“”‘’«»'
_PROMPTS = ("repair_claims", "repair_sentences", "extract", "compose", "merge")


def recognise(request: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """Which of summarize's prompts a request renders, and with what values: read from the
    prompt files themselves (`Prompt.match`), in any structured-output mode."""
    from summarize.prompts import load_prompt

    messages = request.get("messages") or []
    for name in _PROMPTS:
        values = load_prompt(name).match(messages)
        if values is not None:
            return name, values
    return None


def stand_in(request: dict[str, Any], max_claims: int = 6) -> dict[str, Any] | Reply:
    """A deterministic stand-in model for end-to-end tests of summarize's own pipeline.

    Extraction: up to `max_claims` plain sentences of the article (5 to 40 words, no quotation
    marks), each a reported_fact that is its own evidence, so every claim verifies. Compose:
    one paragraph with one sentence per listed claim, citing it (and so for the merge of
    grouped summaries: one sentence per listed sentence). Repairs: none. Any other request
    gets a 400. It recognises requests through the prompt files and reads the listings with
    the patterns that sit beside the code writing them (`compose.CLAIM_LINE`,
    `budget.PARTIAL_LINE`), so it follows any change to them.
    """
    from summarize.budget import PARTIAL_LINE
    from summarize.compose import CLAIM_LINE

    found = recognise(request)
    if found is None:
        return Reply(status=400, body=error_body("stand_in: unrecognised request"))
    prompt, values = found
    if prompt.startswith("repair_"):
        return completion_for(request, {"repairs": []})
    if prompt == "extract":
        sentences = []
        for paragraph in re.split(r"\n\s*\n", values["article"]):
            for sentence in _SENTENCE_END.split(" ".join(paragraph.split())):
                if 5 <= len(sentence.split()) <= 40 and not set(sentence) & set(_QUOTE_MARKS):
                    sentences.append(sentence)
        claims = [
            {"statement": s, "kind": "reported_fact", "speaker": None, "evidence": [s]}
            for s in sentences[:max_claims]
        ]
        return completion_for(request, {"claims": claims})
    if prompt == "compose":
        listed = [(m["id"], m["statement"]) for m in CLAIM_LINE.finditer(values["claims"])]
    else:
        listed = [(m["id"], m["sentence"]) for m in PARTIAL_LINE.finditer(values["sentences"])]
    summary = {
        "title": "What the sources report",
        "paragraphs": [{"sentences": [{"text": t, "claim_ids": [i]} for i, t in listed]}],
        "single_source": [],
        "conflicts": [],
    }
    return completion_for(request, summary)


def capacity_limited(
    responder: Responder, capacity: int, *, latency: float = 0.0, retry_after: str = "1"
) -> Responder:
    """`responder` behind a server that works on at most `capacity` requests at once: each
    admitted request takes `latency` seconds; one arriving beyond capacity is answered at once
    with 429 and `Retry-After: retry_after`. Use with FakeOpenAIServer(latency=0)."""
    lock = threading.Lock()
    active = [0]

    def limited(request: dict[str, Any]) -> Reply | dict[str, Any]:
        with lock:
            if active[0] >= capacity:
                return Reply(
                    status=429,
                    headers={"Retry-After": retry_after},
                    body=error_body(
                        f"at most {capacity} requests at a time", type="rate_limit_error"
                    ),
                )
            active[0] += 1
        try:
            time.sleep(latency)
            return responder(request)
        finally:
            with lock:
                active[0] -= 1

    return limited


def llama_cpp_python(responder: Responder = stand_in) -> Responder:
    """`responder` behind the request checks of llama-cpp-python's server (0.3.x).

    That server validates `response_format` with pydantic: its `type` must be "text" or
    "json_object" (which may carry a JSON Schema under "schema" to constrain decoding), and
    anything else fails with HTTP 500 and pydantic's message, which is what this sends.
    """

    def checked(request: dict[str, Any]) -> Reply | dict[str, Any]:
        response_format = request.get("response_format")
        if response_format is not None:
            kind = response_format.get("type") if isinstance(response_format, dict) else None
            if kind not in ("text", "json_object"):
                return _pydantic_500(
                    "response_format.type",
                    "Input should be 'text' or 'json_object'",
                    "literal_error",
                    kind,
                )
            schema = response_format.get("schema")
            if schema is not None and not isinstance(schema, dict):
                return _pydantic_500(
                    "response_format.schema",
                    "Input should be a valid dictionary",
                    "dict_type",
                    schema,
                )
        return responder(request)

    return checked


def _pydantic_500(where: str, message: str, error_type: str, value: Any) -> Reply:
    text = (
        f"1 validation error for CreateChatCompletionRequest\n{where}\n  {message} "
        f"[type={error_type}, input_value={value!r}, input_type={type(value).__name__}]\n"
        f"    For further information visit https://errors.pydantic.dev/2.10/v/{error_type}"
    )
    return Reply(status=500, body=error_body(text, type="internal_server_error"))


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
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
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


class FakeBatchServer(FakeOpenAIServer):
    """A FakeOpenAIServer that also implements the Batch API's files and batches, on loopback.

    POST /v1/files (multipart, purpose "batch") stores a file; POST /v1/batches creates a batch
    over one; GET /v1/batches/{id} reports it and GET /v1/files/{id}/content returns a file.
    A batch is "validating" when created, "in_progress" at the first retrieve, and runs at
    the `polls`-th retrieve: each line's body goes to the responder (and into `requests`),
    answers into the output file, non-200 replies into the error file. Scripting:
    `expire_after=N` runs only the first N lines of the next batch, which then ends
    "expired" (the rest in the error file as batch_expired); `polls=None` keeps every batch
    in progress for ever (a run to interrupt). `batches` holds each created batch's custom
    ids in order; `direct` counts chat completions sent outside a batch.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        polls: int | None = 1,
        expire_after: int | None = None,
    ) -> None:
        super().__init__(responder)
        self.polls = polls
        self.expire_after = expire_after
        self.batches: list[list[str]] = []
        self.direct = 0
        self._files: dict[str, bytes] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._retrieves: dict[str, int] = {}
        self._httpd.RequestHandlerClass = _batch_handler_for(self, _handler_for(self))

    def _store(self, data: bytes) -> dict[str, Any]:
        file_id = f"file-{_digest(data.decode('utf-8', 'replace'), len(self._files))[:24]}"
        self._files[file_id] = data
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": "requests.jsonl",
            "purpose": "batch",
            "status": "processed",
        }

    def _create(self, request: dict[str, Any]) -> Reply:
        data = self._files.get(request.get("input_file_id", ""))
        if data is None:
            return Reply(status=404, body=error_body("no such input file"))
        lines = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        batch_id = f"batch_{_digest(request, len(self._batches))[:24]}"
        with self._lock:
            self.batches.append([line["custom_id"] for line in lines])
        self._batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": request.get("endpoint"),
            "input_file_id": request["input_file_id"],
            "completion_window": request.get("completion_window"),
            "status": "validating",
            "created_at": int(time.time()),
            "output_file_id": None,
            "error_file_id": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": request.get("metadata"),
            "_lines": lines,
            "_expire_after": self.expire_after,
        }
        self.expire_after = None
        return Reply(body=self._public(batch_id))

    def _retrieve(self, batch_id: str) -> Reply:
        batch = self._batches.get(batch_id)
        if batch is None:
            return Reply(status=404, body=error_body(f"no batch {batch_id}"))
        with self._lock:
            self._retrieves[batch_id] = seen = self._retrieves.get(batch_id, 0) + 1
        if batch["status"] == "validating":
            batch["status"] = "in_progress"
        if batch["status"] == "in_progress" and self.polls is not None and seen >= self.polls:
            self._run(batch)
        return Reply(body=self._public(batch_id))

    def _run(self, batch: dict[str, Any]) -> None:
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        limit = batch["_expire_after"]
        for n, line in enumerate(batch["_lines"]):
            key = line["custom_id"]
            if limit is not None and n >= limit:
                error = {"code": "batch_expired", "message": "expired before it ran"}
                errors.append({"id": f"r{n}", "custom_id": key, "response": None, "error": error})
                continue
            reply = self._answer(line["body"])
            reply = reply if isinstance(reply, Reply) else Reply(body=reply)
            body = reply.body if reply.body is not None else error_body("fake error")
            entry = {
                "id": f"batch_req_{n}",
                "custom_id": key,
                "response": {"status_code": reply.status, "request_id": f"r{n}", "body": body},
                "error": None,
            }
            (output if reply.status == 200 else errors).append(entry)
        for name, entries in (("output_file_id", output), ("error_file_id", errors)):
            if entries:
                data = "".join(json.dumps(e) + "\n" for e in entries).encode("utf-8")
                batch[name] = self._store(data)["id"]
        batch["status"] = "expired" if limit is not None else "completed"
        batch["request_counts"] = {
            "total": len(batch["_lines"]),
            "completed": len(output),
            "failed": len(errors),
        }

    def _public(self, batch_id: str) -> dict[str, Any]:
        return {k: v for k, v in self._batches[batch_id].items() if not k.startswith("_")}


def _multipart_file(content_type: str, raw: bytes) -> bytes | None:
    """The `file` part of a multipart/form-data body."""
    from email.parser import BytesParser
    from email.policy import default

    message = BytesParser(policy=default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


def _batch_handler_for(
    server: FakeBatchServer, base: type[BaseHTTPRequestHandler]
) -> type[BaseHTTPRequestHandler]:
    class BatchHandler(base):  # type: ignore[valid-type, misc]
        def do_POST(self) -> None:
            path = self.path.rstrip("/")
            if path.endswith("/chat/completions"):
                with server._lock:
                    server.direct += 1
                super().do_POST()
                return
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if path.endswith("/files"):
                data = _multipart_file(self.headers.get("Content-Type", ""), raw)
                if data is None:
                    self._send(Reply(status=400, body=error_body("no file part")))
                else:
                    self._send(Reply(body=server._store(data)))
            elif path.endswith("/batches"):
                self._send(server._create(json.loads(raw)))
            else:
                self._send(Reply(status=404, body=error_body(f"no route {self.path}")))

        def do_GET(self) -> None:
            parts = self.path.rstrip("/").split("/")
            if len(parts) >= 3 and parts[-2] == "batches":
                self._send(server._retrieve(parts[-1]))
            elif len(parts) >= 4 and parts[-3] == "files" and parts[-1] == "content":
                data = server._files.get(parts[-2])
                if data is None:
                    self._send(Reply(status=404, body=error_body("no such file")))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._send(Reply(status=404, body=error_body(f"no route {self.path}")))

    return BatchHandler
