"""The shipped fakes: exact wire bodies and a loopback-only server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from openai.types.chat import ChatCompletion

from summarize.testing import (
    FakeOpenAIServer,
    Reply,
    completion_for,
    error_body,
    refusal_for,
    stand_in,
)

TOOLS_REQUEST = {
    "model": "gpt-test",
    "messages": [{"role": "user", "content": "x" * 40}],
    "tools": [{"type": "function", "function": {"name": "Tiny", "parameters": {}}}],
}


def post(server: FakeOpenAIServer, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_tool_call_body_is_exact() -> None:
    body = completion_for(TOOLS_REQUEST, {"n": 1})
    ChatCompletion.model_validate(body)
    assert set(body) == {
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "service_tier",
        "system_fingerprint",
    }
    assert body["id"].startswith("chatcmpl-") and body["system_fingerprint"].startswith("fp_")
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls" and choice["logprobs"] is None
    message = choice["message"]
    assert message["content"] is None and message["annotations"] == []
    call = message["tool_calls"][0]
    assert call["function"] == {"name": "Tiny", "arguments": '{"n": 1}'}
    usage = body["usage"]
    assert usage["prompt_tokens"] == len(json.dumps(TOOLS_REQUEST["messages"])) // 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens_details"]["rejected_prediction_tokens"] == 0


@pytest.mark.parametrize(
    ("response_format", "content"),
    [
        ({"type": "json_schema", "json_schema": {}}, '{"n": 1}'),
        ({"type": "json_object"}, '{"n": 1}'),
        (None, '```json\n{"n": 1}\n```'),
    ],
)
def test_a_content_body_follows_the_requested_format(response_format, content) -> None:
    request = {"model": "m", "messages": [], "response_format": response_format}
    body = completion_for(request, {"n": 1}, prompt_tokens=5, completion_tokens=2)
    ChatCompletion.model_validate(body)
    assert body["choices"][0]["message"]["content"] == content
    assert body["choices"][0]["finish_reason"] == "stop"
    assert (body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"]) == (5, 2)


def test_a_refusal_body() -> None:
    message = refusal_for(TOOLS_REQUEST, "No.")["choices"][0]["message"]
    assert (message["refusal"], message["content"], message["tool_calls"]) == ("No.", None, None)


def test_the_server_answers_scripts_and_records_on_loopback_only() -> None:
    replies = iter([Reply(status=429, headers={"Retry-After": "7"})])

    def responder(request: dict) -> Reply | dict:
        return next(replies, None) or completion_for(request, {"n": 1})

    with FakeOpenAIServer(responder) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert post(server, TOOLS_REQUEST) == (429, error_body("fake server error 429"))
        status, body = post(server, TOOLS_REQUEST)
        # bound to loopback only: no other interface can reach it (no DNS lookup needed)
        assert server._httpd.socket.getsockname()[0] == "127.0.0.1"
    assert status == 200 and body["choices"][0]["message"]["tool_calls"]
    assert server.requests == [TOOLS_REQUEST, TOOLS_REQUEST]
    assert server.max_in_flight == 1


def test_the_extractive_model_quotes_the_article_and_cites_the_listing() -> None:
    """Requests rendered from the real prompt files, in tools and md_json shapes."""
    from fakes import claim, source

    from summarize.compose import claims_listing
    from summarize.models import ClaimKind
    from summarize.prompts import load_prompt

    article = (
        "Acme sold 3 units on Monday in Paris.\n\n"
        "It said “no” to more. Rivals sold five units last week."
    )
    extract = {
        "model": "m",
        "messages": load_prompt("extract").render(source_id="a", article=article),
        "tools": [{"type": "function", "function": {"name": "ArticleClaims", "parameters": {}}}],
    }
    arguments = stand_in(extract)["choices"][0]["message"]["tool_calls"][0]["function"]
    claims = json.loads(arguments["arguments"])["claims"]
    assert [c["evidence"] for c in claims] == [
        ["Acme sold 3 units on Monday in Paris."],
        ["Rivals sold five units last week."],
    ]
    a = source("a", article)
    listed = [
        claim("c1", a, "Acme sold 3 units.", "Acme sold 3 units"),
        claim("c2", a, "Acme said no to more.", "It said “no” to more", kind=ClaimKind.QUOTE),
    ]
    messages = load_prompt("compose").render(source_count="1", claims=claims_listing(listed, [a]))
    messages[-1]["content"] += "\n\nReturn JSON matching this schema: {…}"  # as instructor does
    content = stand_in({"model": "m", "messages": messages})["choices"][0]["message"]
    summary = json.loads(content["content"].removeprefix("```json\n").removesuffix("\n```"))
    assert summary["paragraphs"][0]["sentences"] == [
        {"text": "Acme sold 3 units.", "claim_ids": ["c1"]},
        {"text": "Acme said no to more.", "claim_ids": ["c2"]},
    ]
    unknown = {"model": "m", "messages": [{"role": "user", "content": "Hello"}]}
    assert stand_in(unknown).status == 400
