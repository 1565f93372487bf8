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
answers the rest 429 with Retry-After, as rate-limited endpoints do; `llama_cpp_python` adds
that server's request checks; `FakeBatchServer` adds the Batch API's files and batches.
Token counts default to a rough estimate of one token per four characters (of the request's
messages for the prompt, of the answer text for the completion); pass `prompt_tokens` /
`completion_tokens` for exact figures.

Where each lives: `bodies` (Reply and the body builders), `server` (FakeOpenAIServer),
`responders` (stand_in and the wrappers), `batch_server` (FakeBatchServer).
"""

from summarize.testing.batch_server import FakeBatchServer
from summarize.testing.bodies import Reply, completion_for, error_body, refusal_for
from summarize.testing.responders import capacity_limited, llama_cpp_python, stand_in
from summarize.testing.server import FakeOpenAIServer

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
