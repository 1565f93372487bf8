"""LLM.create against a loopback fake server, through the real openai SDK and instructor."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from summarize.errors import (
    ConfigError,
    ModelAPIError,
    RefusedResponse,
    TruncatedResponse,
    UnparseableResponse,
)
from summarize.faults import MAX_WAIT, retry_after
from summarize.llm import LLM, MAX_ABSORBED
from summarize.models import ArticleClaims
from summarize.settings import Settings
from summarize.testing import (
    FakeOpenAIServer,
    Reply,
    capacity_limited,
    completion_for,
    refusal_for,
)

KEY = "sk-test-SECRETSECRETSECRET"
MESSAGES = [
    {"role": "system", "content": "Answer with a number."},
    {"role": "user", "content": "How many?"},
]


class Tiny(BaseModel):
    n: int


def ok(request: dict) -> dict:
    return completion_for(request, {"n": 7}, prompt_tokens=10, completion_tokens=3)


def script(*replies: Reply | str | None, then: Callable[[dict], Any] = ok) -> Callable:
    """A responder giving `replies` in order (a str is a malformed payload), then `then`."""
    pending: Iterator = iter(replies)

    def responder(request: dict) -> Any:
        reply = next(pending, None)
        if isinstance(reply, str):
            return completion_for(request, reply, prompt_tokens=10, completion_tokens=3)
        return reply if reply is not None else then(request)

    return responder


def make_llm(server: FakeOpenAIServer, **changes: Any) -> LLM:
    settings = Settings(base_url=server.base_url, api_key=KEY, use_cache=False, timeout=5.0)
    llm = LLM(settings.with_(**changes))
    llm._backoff = 0.01
    return llm


def ask(llm: LLM, messages: list[dict[str, str]] = MESSAGES, model: type = Tiny) -> Any:
    async def go() -> Any:
        try:
            return await llm.create(model, messages, prompt_key="test@1", label="001_abc")
        finally:
            await llm.aclose()

    return asyncio.run(go())


def one_line_error(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text
    assert text.startswith("001_abc: ")
    assert KEY not in text
    return text


# --------------------------------------------------------------------------- success


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_each_mode_parses_the_wire_answer(mode: str) -> None:
    with FakeOpenAIServer(ok) as server:
        llm = make_llm(server, mode=mode)
        assert ask(llm) == Tiny(n=7)
    request = server.requests[0]
    assert ("tools" in request) == (mode == "tools")
    formats = {"json_schema": "json_schema", "json": "json_object"}
    assert (request.get("response_format") or {}).get("type") == formats.get(mode)
    assert llm.usage.calls == 1
    assert (llm.usage.prompt_tokens, llm.usage.completion_tokens) == (10, 3)


def test_article_claims_round_trip() -> None:
    payload = {
        "claims": [
            {
                "statement": "Acme sold 3 units.",
                "kind": "reported_fact",
                "speaker": None,
                "evidence": ["Acme said it sold 3 units on Monday."],
            }
        ]
    }
    with FakeOpenAIServer(lambda r: completion_for(r, payload)) as server:
        result = ask(make_llm(server), model=ArticleClaims)
    assert result == ArticleClaims.model_validate(payload)


def test_an_answer_types_schema_is_built_once_however_many_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """instructor is handed the same response class on every call, so the schema it sends
    (pydantic's ~3 ms) is built on the first call only, and every call sends the same one."""
    from pydantic.json_schema import GenerateJsonSchema

    class Counted(BaseModel):
        n: int

    built: list[str] = []
    generate = GenerateJsonSchema.generate

    def counting(self: GenerateJsonSchema, *args: Any, **kwargs: Any) -> Any:
        built.append("schema")
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(GenerateJsonSchema, "generate", counting)
    with FakeOpenAIServer(ok) as server:
        llm = make_llm(server)
        assert [ask(llm, model=Counted) for _ in range(3)] == [Counted(n=7)] * 3
    assert built == ["schema"]
    assert server.requests[0]["tools"] == server.requests[2]["tools"]


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_template_syntax_in_an_article_reaches_the_request_verbatim(mode: str) -> None:
    article = "He wrote {{ x }} and {% if a %}b{% endif %} and {# c #} and {{article}} literally."
    messages = [{"role": "system", "content": "Extract."}, {"role": "user", "content": article}]
    with FakeOpenAIServer(ok) as server:
        ask(make_llm(server, mode=mode), messages)
    sent = server.requests[0]["messages"]
    if mode in ("tools", "json_schema"):
        assert sent == messages
    else:  # instructor appends its schema instructions, but never rewrites what we send
        assert any(article in m["content"] for m in sent if m["role"] == "user")
        assert sent[0]["content"].startswith("Extract.")


def test_concurrent_calls_overlap() -> None:
    together = threading.Barrier(8, timeout=4)  # no answer until all eight are in flight

    def all_at_once(request: dict) -> dict:
        together.wait()
        return ok(request)

    with FakeOpenAIServer(all_at_once) as server:
        llm = make_llm(server)
        results = gather(llm, 8)
    assert results == [Tiny(n=7)] * 8
    assert server.max_in_flight == 8  # the default starts wide
    assert llm.usage.calls == 8


def gather(llm: LLM, count: int) -> list[Any]:
    async def go() -> list[Any]:
        calls = [llm.create(Tiny, MESSAGES, prompt_key="t@1", label=f"{i}") for i in range(count)]
        try:
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await llm.aclose()

    return asyncio.run(go())


def test_a_server_that_admits_two_at_a_time_gets_every_answer() -> None:
    """Twelve calls at once, one retry each: the rejections of an over-wide wave are the
    limiter's to fix (it backs off), not the requests' (they keep their retry)."""
    limited = capacity_limited(ok, 2, latency=0.05, retry_after="0")
    with FakeOpenAIServer(limited) as server:
        llm = make_llm(server, retries=1)
        results = gather(llm, 12)
    assert results == [Tiny(n=7)] * 12
    assert len(server.requests) > 12  # some were turned away and came back
    assert llm.limiter.limit < 12  # and the limit came down from its wide start


def test_a_cap_bounds_requests_in_flight() -> None:
    with FakeOpenAIServer(ok, latency=0.05) as server:
        llm = make_llm(server, concurrency=3)
        assert gather(llm, 9) == [Tiny(n=7)] * 9
    assert server.max_in_flight == 3


def test_a_server_that_turns_everyone_away_still_ends_every_call() -> None:
    """The limiter's blame is bounded: once it is down to one request at a time, each 429
    counts against that request's retries, so a run against a closed server ends."""
    with FakeOpenAIServer(lambda r: Reply(status=429, headers={"Retry-After": "0"})) as server:
        llm = make_llm(server, retries=1)
        results = gather(llm, 6)
    assert all(isinstance(r, ModelAPIError) for r in results)
    assert len(server.requests) <= 6 * (2 + MAX_ABSORBED)
    assert llm.limiter.allowed == 1


def test_a_lone_request_turned_away_uses_up_its_retries() -> None:
    with FakeOpenAIServer(lambda r: Reply(status=429, headers={"Retry-After": "0"})) as server:
        llm = make_llm(server, retries=2)
        with pytest.raises(ModelAPIError, match="gave up after 2 retries"):
            ask(llm)
    assert len(server.requests) == 3


# --------------------------------------------------------------------------- transport faults


@pytest.mark.parametrize(
    "fault",
    [
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(status=503),
        Reply(status=500, body="<html>oops</html>"),
        Reply(delay=2.0),
        Reply(drop=True),
    ],
    ids=["429", "503", "500-html", "timeout", "dropped"],
)
def test_a_transport_fault_is_retried_once(fault: Reply) -> None:
    with FakeOpenAIServer(script(fault)) as server:
        llm = make_llm(server, timeout=0.3)
        assert ask(llm) == Tiny(n=7)
    assert len(server.requests) == 2
    assert (llm.usage.retries, llm.usage.calls, llm.usage.reasks) == (1, 2, 0)


def test_retry_after_is_honoured() -> None:
    arrivals: list[float] = []
    respond = script(Reply(status=429, headers={"Retry-After": "0.2"}))

    def timed(request: dict) -> Any:
        arrivals.append(time.monotonic())
        return respond(request)

    with FakeOpenAIServer(timed) as server:
        ask(make_llm(server))
    assert arrivals[1] - arrivals[0] >= 0.18  # the backoff alone would be ~0.02 s


def test_retry_after_forms() -> None:
    def fault(value: str) -> Exception:
        return type(
            "E", (Exception,), {"response": type("R", (), {"headers": {"retry-after": value}})}
        )()

    assert retry_after(fault("2.5")) == 2.5
    assert retry_after(fault("3600")) == MAX_WAIT
    assert retry_after(fault("soon")) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after(fault(later)) <= 30
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(fault(past)) == 0
    assert retry_after(ValueError()) is None


def test_exhausted_retries_are_not_multiplied() -> None:
    with FakeOpenAIServer(lambda r: Reply(status=503)) as server:
        llm = make_llm(server, retries=2, reasks=3)
        with pytest.raises(ModelAPIError) as error:
            ask(llm)
    text = one_line_error(error)
    assert "gave up after 2 retries" in text and "503" in text
    assert len(server.requests) == 3
    assert (llm.usage.retries, llm.usage.calls, llm.usage.reasks) == (2, 3, 0)


def test_exhausted_timeouts_name_the_timeout() -> None:
    slow = FakeOpenAIServer(lambda r: Reply(delay=2.0))
    with slow as server, pytest.raises(ModelAPIError) as error:
        ask(make_llm(server, retries=1, timeout=0.1))
    assert "gave up after 1 retries" in one_line_error(error)
    assert "0.1 s timeout" in str(error.value)


def test_401_is_not_retried_and_the_key_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    def unauthorized(request: dict) -> Reply:
        return Reply(status=401, body={"error": {"message": f"Incorrect API key: {KEY}"}})

    caplog.set_level(logging.DEBUG)
    with FakeOpenAIServer(unauthorized) as server:
        llm = make_llm(server)
        with pytest.raises(ModelAPIError) as error:
            ask(llm)
    text = one_line_error(error)
    assert "401" in text and "Incorrect API key" in text
    assert len(server.requests) == 1 and llm.usage.retries == 0
    assert error.value.__cause__ is None and error.value.__context__ is None
    assert KEY not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("instructor") and r.levelno > 10]


def test_a_key_is_required_for_the_hosted_api() -> None:
    """In the Python API's own terms: a key, a base_url, or replay_dir; no CLI flag."""
    with pytest.raises(ConfigError, match="OPENAI_API_KEY") as error:
        ask(LLM(Settings(use_cache=False)))
    message = str(error.value)
    assert "base_url" in message and "replay_dir" in message and "--" not in message


# --------------------------------------------------------------------------- model output


def test_malformed_output_is_reasked_once() -> None:
    with FakeOpenAIServer(script('{"n": "seven"}')) as server:
        llm = make_llm(server)
        assert ask(llm) == Tiny(n=7)
    assert len(server.requests) == 2
    assert len(server.requests[1]["messages"]) > len(server.requests[0]["messages"])
    usage = llm.usage
    assert (usage.calls, usage.reasks, usage.retries) == (2, 1, 0)
    assert (usage.prompt_tokens, usage.completion_tokens) == (20, 6)


@pytest.mark.parametrize("mode", ["tools", "md_json"])
def test_still_malformed_after_reasks_is_unparseable(mode: str) -> None:
    with FakeOpenAIServer(script(then=lambda r: completion_for(r, "{not json"))) as server:
        llm = make_llm(server, reasks=2, mode=mode)
        with pytest.raises(UnparseableResponse) as error:
            ask(llm)
    assert "after 2 re-ask" in one_line_error(error)
    assert len(server.requests) == 3 and llm.usage.reasks == 2


def test_a_truncated_answer_is_reported_not_reasked() -> None:
    def truncated(request: dict) -> dict:
        return completion_for(request, '{"n": ', finish_reason="length")

    with FakeOpenAIServer(truncated) as server:
        llm = make_llm(server, reasks=2)
        with pytest.raises(TruncatedResponse) as error:
            ask(llm)
    assert "finish_reason=length" in one_line_error(error)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", ["tools", "json_schema", "md_json"])
def test_a_refusal_is_reported_not_reasked(mode: str) -> None:
    with FakeOpenAIServer(lambda r: refusal_for(r, "I can't help with that.")) as server:
        llm = make_llm(server, mode=mode, reasks=2)
        with pytest.raises(RefusedResponse) as error:
            ask(llm)
    assert one_line_error(error).endswith("I can't help with that.")
    assert len(server.requests) == 1 and llm.usage.reasks == 0


def test_refusal_text_instead_of_a_tool_call_is_a_refusal() -> None:
    def prose(request: dict) -> dict:
        answer = refusal_for(request, "")
        answer["choices"][0]["message"].update(refusal=None, content="I'm sorry, I cannot do that.")
        return answer

    refused = pytest.raises(RefusedResponse, match="I'm sorry, I cannot do that")
    with FakeOpenAIServer(prose) as server, refused:
        ask(make_llm(server))
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- start-up cost


def test_importing_the_module_loads_neither_openai_nor_instructor() -> None:
    heavy = ("openai", "instructor", "httpx2", "tenacity")
    code = f"import sys, summarize.llm; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_fully_cached_rerun_never_loads_openai(tmp_path) -> None:
    """The client is built (in the background) on the first cache miss, not before. The first
    run fills the cache here; only the rerun needs a fresh interpreter, to see what it loads."""
    import summarize

    root = Path(__file__).resolve().parent.parent
    first = summarize.summarize(root / "seeds", replay_dir=root / "fixtures", cache_dir=tmp_path)
    assert first.usage.calls > 0 and first.usage.cache_hits == 0  # it asked the (replayed) model
    code = (
        "import sys, summarize\n"
        "result = summarize.summarize('seeds', replay_dir='fixtures', cache_dir=sys.argv[1])\n"
        "usage = result.usage\n"
        "print(usage.calls, usage.cache_hits, result.to_markdown() == sys.argv[2])\n"
        "print('openai' in sys.modules, 'instructor' in sys.modules)"
    )
    rerun = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), first.to_markdown()],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout.splitlines()
    assert rerun[0] == f"0 {first.usage.calls} True"  # answered from the cache alone
    assert rerun[1] == "False False"
