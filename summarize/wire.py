"""Checks on the wire, before the openai SDK and instructor parse an answer.

Every answer is read with a size cap on its decoded bytes (a gzip bomb is caught too). A 200
answer to a chat completion must then be a JSON object with the shape the SDK and instructor
assume: a non-empty `choices` list whose first entry holds a `message` object, strings where
strings belong, whole numbers for token counts. Anything else raises MalformedResponse, which the
LLM layer reports as a one-line model error for that one call; unchecked, the SDK fails deep
inside instructor (an IndexError on `"choices": []`) or with "Expecting value: line 1 column 38".

Imported only when a request is about to be sent (it imports openai).
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai

from summarize.errors import MalformedResponse
from summarize.limits import MAX_ANSWER_BYTES
from summarize.tls import tls_context

_DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class GuardedHttpClient(httpx2.AsyncClient):
    """An async client with openai's defaults (pool limits, redirects; proxies from the
    environment when no transport is given) whose answers are size-capped and, for chat
    completions, shape-checked before anyone parses them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", openai.DEFAULT_TIMEOUT)
        kwargs.setdefault("limits", openai.DEFAULT_CONNECTION_LIMITS)
        kwargs.setdefault("follow_redirects", True)
        if kwargs.get("transport") is None:  # a transport given (a replay) brings its own TLS
            kwargs.setdefault("verify", tls_context())
        super().__init__(**kwargs)

    async def send(self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any) -> Any:
        response = await super().send(request, stream=True, **kwargs)
        if stream:
            return response
        try:
            data = await _read_capped(response)
        finally:
            await response.aclose()
        if response.status_code == 200 and _is_completion(request):
            problem = completion_problem(data, response.headers.get("content-type", ""))
            if problem is not None:
                raise MalformedResponse(problem)
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in _DROP_HEADERS
        ]
        extensions = {
            k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
        }
        return httpx2.Response(
            response.status_code,
            headers=headers,
            content=data,
            request=request,
            extensions=extensions,
        )


def _is_completion(request: httpx2.Request) -> bool:
    return request.method == "POST" and request.url.path.rstrip("/").endswith("/chat/completions")


async def _read_capped(response: httpx2.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise MalformedResponse(_too_large(int(declared)))
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise MalformedResponse(_too_large(size, at_least=True))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, *, at_least: bool = False) -> str:
    over = "over " if at_least else ""
    return f"the answer is {over}{size:,} bytes, more than the limit of {MAX_ANSWER_BYTES:,}"


def completion_problem(data: bytes, content_type: str = "") -> str | None:
    """What makes `data` unusable as a chat completion body, or None when its shape is right."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        kind = content_type.split(";")[0].strip() or "no content type"
        return f"the answer is not JSON ({len(data):,} bytes, {kind})"
    if not isinstance(body, dict):
        return f"the answer is a JSON {_kind(body)}, not an object"
    error = body.get("error")
    if error is not None and "choices" not in body:
        message = error.get("message") if isinstance(error, dict) else error
        return f"the server answered with an error: {str(message)[:200]}"
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return "the answer has no choices" if not choices else "choices is not a list"
    first = choices[0]
    if not isinstance(first, dict) or not isinstance(first.get("message"), dict):
        return "the answer's first choice has no message"
    message = first["message"]
    for name in ("content", "refusal", "role"):
        if message.get(name) is not None and not isinstance(message[name], str):
            return f"message.{name} is a {_kind(message[name])}, not a string"
    if first.get("finish_reason") is not None and not isinstance(first["finish_reason"], str):
        return "finish_reason is not a string"
    problem = _tool_calls_problem(message.get("tool_calls"))
    if problem is None:
        problem = _usage_problem(body.get("usage"))
    return problem


def _tool_calls_problem(calls: Any) -> str | None:
    if calls is None:
        return None
    if not isinstance(calls, list):
        return "message.tool_calls is not a list"
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            return "a tool call has no function"
        for name in ("name", "arguments"):
            if not isinstance(function.get(name), str):
                return f"a tool call's function.{name} is not a string"
    return None


def _usage_problem(usage: Any) -> str | None:
    if usage is None:
        return None
    if not isinstance(usage, dict):
        return "usage is not an object"
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = usage.get(name)
        if value is not None and (type(value) is not int or value < 0):
            return f"usage.{name} is not a whole number"
    return None


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
