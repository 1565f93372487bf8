"""Local OpenAI-compatible servers: llama-cpp-python's request shape, unreachable endpoints.

The fake in summarize.testing.llama_cpp_python checks requests as llama-cpp-python's server
does (response_format.type "text" or "json_object", a schema inside json_object), answering
anything else with that server's HTTP 500 and pydantic message.
"""

from __future__ import annotations

import json
import socket

import pytest
from conftest import SEEDS, run_cli
from test_llm import KEY, Tiny, ask, make_llm, ok, one_line_error

from summarize import Summarizer
from summarize.errors import ModelAPIError
from summarize.llm import LLM
from summarize.models import ArticleClaims
from summarize.settings import Settings
from summarize.testing import FakeOpenAIServer, Reply, error_body, llama_cpp_python

PAIR = [SEEDS / "002_e6380d9e923ae68b.txt", SEEDS / "003_2b45c29ad5bec665.txt"]


def test_json_object_schema_mode_sends_the_schema_inside_response_format() -> None:
    with FakeOpenAIServer(llama_cpp_python(ok)) as server:
        assert ask(make_llm(server, mode="json_object_schema")) == Tiny(n=7)
    (request,) = server.requests
    assert request["response_format"] == {"type": "json_object", "schema": Tiny.model_json_schema()}
    assert "tools" not in request


def test_a_whole_run_against_llama_cpp_python_in_its_mode() -> None:
    with FakeOpenAIServer(llama_cpp_python()) as server:
        summary = Summarizer(
            base_url=server.base_url, mode="json_object_schema", use_cache=False
        ).run(PAIR)
    assert not summary.errors and summary.claims and summary.sentences
    schemas = {json.dumps(r["response_format"]["schema"]) for r in server.requests}
    assert json.dumps(ArticleClaims.model_json_schema()) in schemas
    assert all(r["response_format"]["type"] == "json_object" for r in server.requests)


def test_json_schema_against_llama_cpp_python_fails_once_and_names_the_mode() -> None:
    with FakeOpenAIServer(llama_cpp_python(ok)) as server:
        llm = make_llm(server, mode="json_schema", retries=4)
        with pytest.raises(ModelAPIError) as error:
            ask(llm)
    text = one_line_error(error)
    assert "HTTP 500" in text and "Input should be 'text' or 'json_object'" in text
    assert "json_object_schema mode" in text and "gave up" not in text
    assert len(server.requests) == 1 and llm.usage.retries == 0


def test_an_ordinary_500_is_still_retried() -> None:
    replies = iter([Reply(status=500, body=error_body("upstream overloaded"))])
    with FakeOpenAIServer(lambda r: next(replies, None) or ok(r)) as server:
        llm = make_llm(server, retries=2)
        assert ask(llm) == Tiny(n=7)
    assert len(server.requests) == 2 and llm.usage.retries == 1


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_fails_at_once_naming_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    llm = LLM(Settings(base_url=url, api_key=KEY, use_cache=False, retries=4))
    llm._backoff = 30.0  # a retry would make this test crawl; none may happen
    with pytest.raises(ModelAPIError) as error:
        ask(llm)
    assert (
        one_line_error(error)
        == f"001_abc: cannot reach {url} (connection refused: is the server running?)"
    )
    assert llm.usage.retries == 0 and KEY not in str(error.value)


def test_the_cli_names_an_unreachable_base_url_in_one_line() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    result = run_cli(*map(str, PAIR), "--base-url", url, "--no-cache")
    assert result.returncode == 4 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert f"cannot reach {url} (connection refused" in line
