"""Ready-made responders for `FakeOpenAIServer`: the deterministic `stand_in` model for
summarize's own prompts, and wrappers that make any responder behave like a particular
server (`capacity_limited`, as rate-limited endpoints do; `llama_cpp_python`, with that
server's request checks). They hold no server of their own: each is a function from a
parsed request body to an answer, which is why they sit apart from the HTTP code.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from summarize.testing.bodies import Reply, Responder, completion_for, error_body

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
