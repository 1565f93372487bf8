"""`FakeBatchServer`: the fake server plus the Batch API's files and batches on loopback, for
tests of `--batch-api` (upload, create, poll, download, expiry, interruption). Apart from
`server` because it is a state machine of its own that only batch tests need.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from summarize.hashing import digest
from summarize.testing.bodies import Reply, Responder, error_body
from summarize.testing.server import FakeOpenAIServer, _handler_for


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
        file_id = f"file-{digest((data.decode('utf-8', 'replace'), len(self._files)))[:24]}"
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
        batch_id = f"batch_{digest((request, len(self._batches)))[:24]}"
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
