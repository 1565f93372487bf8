"""The Batch API path, against a loopback fake of files and batches: waves become batches,
an interrupted run resumes its batch, failures and expiry are retried in new batches, and an
endpoint without /v1/batches falls back to ordinary calls."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

import summarize
from summarize.batchapi import custom_id, state_path
from summarize.cli import main
from summarize.settings import Settings
from summarize.testing import (
    FakeBatchServer,
    FakeOpenAIServer,
    Reply,
    stand_in,
)

ARTICLES = [
    "The harbour of Leith reopened on Monday after the storm damaged 12 piers.\n\n"
    "Port director Ana Ruiz said repairs would take until the end of the month.\n",
    "Leith harbour reopened on Monday, two days after a storm damaged 12 of its piers.\n\n"
    "Fishing boats were the first to return to the berths on Monday morning.\n",
    "The storm that hit Leith damaged 12 piers and closed the harbour for two days.\n\n"
    "Insurers have not yet estimated the cost of the damage to the harbour.\n",
]


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setattr("summarize.batchapi.QUIET_SECONDS", 0.05)
    monkeypatch.setattr("summarize.batchapi.POLL_SECONDS", 0.01)
    monkeypatch.setattr("summarize.llm.BACKOFF_BASE", 0.01)


def name(request: dict) -> str:
    return request["tools"][0]["function"]["name"]


def run(server, **settings):
    return summarize.summarize(ARTICLES, base_url=server.base_url, batch_api=True, **settings)


def test_each_wave_is_one_batch_and_nothing_goes_direct():
    with FakeBatchServer(stand_in) as server:
        result = run(server)
    assert server.direct == 0
    assert [len(b) for b in server.batches] == [3, 1]  # the extractions, then the compose
    assert [name(r) for r in server.requests] == ["ArticleClaims"] * 3 + ["ComposedSummary"]
    assert server.batches[0] == [custom_id(r) for r in server.requests[:3]]  # joined on ids
    assert result.sentences and not result.errors and result.usage.calls == 4
    texts = {s.id: s.text for s in result.sources}
    for c in (c for s in result.sentences for c in s.citations):
        assert texts[c.source_id][c.start : c.end] == c.quote
    state = json.loads(state_path(Settings(base_url=server.base_url)).read_text("utf-8"))
    assert state == {"batches": {}}  # every recorded batch delivered in full


def test_an_interrupted_run_waits_for_its_batch_instead_of_paying_again():
    with FakeBatchServer(stand_in, polls=None) as server:  # never finishes
        path = state_path(Settings(base_url=server.base_url))

        def recorded_batches() -> dict:
            return json.loads(path.read_text("utf-8"))["batches"] if path.exists() else {}

        async def interrupted():
            """Interrupted once its batch is recorded and it is waiting for the batch."""
            summarizer = summarize.Summarizer(base_url=server.base_url, batch_api=True)
            run = asyncio.ensure_future(summarizer.arun(ARTICLES))
            deadline = time.monotonic() + 60
            while not (run.done() or recorded_batches()) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # a few polls (POLL_SECONDS is 0.01 here)
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run

        asyncio.run(interrupted())
        assert [len(b) for b in server.batches] == [3] and not server.requests
        (recorded,) = recorded_batches().values()
        assert sorted(recorded["ids"]) == sorted(server.batches[0])

        server.polls = 2  # the batch ends while the rerun polls it
        result = run(server)
    assert [len(b) for b in server.batches] == [3, 1]  # no second batch of extractions
    assert result.sentences and not result.errors
    assert json.loads(path.read_text("utf-8")) == {"batches": {}}


def test_a_failed_line_is_retried_in_a_new_batch_and_a_bad_one_is_reported():
    failures = {"Fishing boats": 1}

    def responder(request: dict) -> Reply | dict:
        text = json.dumps(request)
        if "Insurers" in text and name(request) == "ArticleClaims":
            return Reply(status=400)  # not worth retrying: that article alone fails
        for marker, left in failures.items():
            if marker in text and left:
                failures[marker] -= 1
                return Reply(status=500)  # once: retried
        return stand_in(request)

    with FakeBatchServer(responder) as server:
        result = run(server)
    assert [len(b) for b in server.batches] == [3, 1, 1]  # wave, the 500 again, compose
    assert server.batches[1][0] in server.batches[0]
    (error,) = result.errors
    assert error.source_id == "text-3" and "400" in error.error
    assert {c.source_id for c in result.claims} == {"text-1", "text-2"}


def test_requests_an_expired_batch_never_ran_go_in_a_new_batch():
    with FakeBatchServer(stand_in, expire_after=2) as server:
        result = run(server)
    assert [len(b) for b in server.batches] == [3, 1, 1]  # 2 ran, 1 expired and resent
    assert server.batches[1][0] == server.batches[0][2]
    assert not result.errors and len({c.source_id for c in result.claims}) == 3


def test_an_endpoint_without_batches_falls_back_to_ordinary_calls_with_a_warning():
    with (
        FakeOpenAIServer(stand_in) as server,
        pytest.warns(RuntimeWarning, match="has no Batch API"),
    ):
        result = run(server)
    assert [name(r) for r in server.requests] == ["ArticleClaims"] * 3 + ["ComposedSummary"]
    assert result.sentences and not result.errors


def test_batch_command_puts_every_storys_wave_in_one_batch(tmp_path: Path, capsys):
    for story in ("harbour", "storm"):
        (tmp_path / "day" / story).mkdir(parents=True)
        for n, text in enumerate(ARTICLES[:2]):
            (tmp_path / "day" / story / f"a{n}.txt").write_text(f"{story}: {text}", "utf-8")
    with FakeBatchServer(stand_in) as server:
        code = main(
            ["batch", str(tmp_path / "day"), "-o", str(tmp_path / "out"), "--base-url",
             server.base_url, "--batch-api", "-m", "gpt-4.1-mini"]
        )  # fmt: skip
    assert code == 0 and server.direct == 0
    assert [len(b) for b in server.batches] == [4, 2]  # 4 extractions, then 2 composes
    captured = capsys.readouterr()
    assert "Batch API: submitted batch" in captured.err
    assert sorted(os.listdir(tmp_path / "out")) == [
        "batch.json",
        "batch.md",
        "harbour.md",
        "storm.md",
    ]


def test_the_command_line_names_its_batches_even_without_a_terminal(tmp_path, capsys):
    paths = []
    for n, text in enumerate(ARTICLES):
        paths.append(tmp_path / f"a{n}.txt")
        paths[-1].write_text(text, "utf-8")
    with FakeBatchServer(stand_in) as server:
        code = main([*map(str, paths), "--base-url", server.base_url, "--batch-api"])
    captured = capsys.readouterr()
    assert code == 0 and server.direct == 0 and captured.out.startswith("# ")
    submitted = [line for line in captured.err.splitlines() if "submitted batch" in line]
    assert len(submitted) == 2 and "3 requests" in submitted[0]  # stderr is not a tty here
