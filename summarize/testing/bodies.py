"""The wire-format pieces of the fakes: a scripted `Reply` and exact Chat Completions bodies.

`completion_for` answers a request in the shape it asks for (a tool call, JSON content, or a
```json fence for instructor's MD_JSON mode), `refusal_for` refuses, `error_body` is what
OpenAI sends with an HTTP error. They sit apart from the servers because responders, the
stand-in and fixtures/author.py build bodies without running a server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from summarize.hashing import digest


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
