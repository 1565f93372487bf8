"""Compose within a context window: one call when it fits, groups and a checked merge when not."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from fakes import QueuedLLM, claim, source

import summarize
from summarize.budget import (
    UNKNOWN_CONTEXT,
    compose_tokens,
    compose_within_budget,
    context_window,
    estimate_tokens,
    group_claims,
    prompt_budget,
    window_chars_for,
)
from summarize.cli import main
from summarize.testing import (
    FakeOpenAIServer,
    Reply,
    completion_for,
    error_body,
    stand_in,
)

TOPICS = [
    ("harbour", "The harbour reopened on {day} after the storm damaged {n} piers."),
    ("vaccine", "The vaccine trial enrolled {n} volunteers by {day}, the ministry said."),
    ("bridge", "The bridge repairs will cost {n} million euros, engineers estimated on {day}."),
    ("election", "The election commission counted {n} postal ballots on {day} evening."),
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def article(i: int) -> str:
    """Article i: the four topics in its own words (its own numbers), one paragraph each."""
    lines = []
    for k, (_, template) in enumerate(TOPICS):
        lines.append(template.format(day=DAYS[(i + k) % 5], n=100 + (i * 7 + k) % 50))
    lines.append(f"Reporter {i} filed this dispatch from desk number {i} of the newsroom.")
    return f"Dispatch {i}.\n\n" + "\n\n".join(lines) + "\n"


CONSENSUS = {
    "harbour": "The harbour reopened after the storm damaged piers.",
    "vaccine": "The vaccine trial enrolled volunteers, the ministry said.",
    "bridge": "Engineers estimated what the bridge repairs will cost.",
    "election": "The election commission counted postal ballots.",
}
LINE = re.compile(  # compose: `c5 (quote, X): statement | “…”`; merge: `s1 | support | sentence`
    r"^(c\d+)(?: \([^)\n]*\))?: (.*?)(?: \| “.*)?$|^(s\d+) \| \d+ \| (.+)$", re.MULTILINE
)


def consensus_model(request: dict) -> dict:
    """Extracts like stand_in; composes (and merges) one number-free sentence a topic
    citing every listed claim (or sentence) on it, and one sentence for anything else."""
    if request["tools"][0]["function"]["name"] != "ComposedSummary":
        return stand_in(request)
    cited: dict[str, list[str]] = {}
    others = []
    lines = LINE.findall(request["messages"][-1]["content"])
    for item, text in ((c or s, a or b) for c, a, s, b in lines):
        topic = next((t for t in CONSENSUS if t in text.lower()), None)
        if topic:
            cited.setdefault(topic, []).append(item)
        else:
            others.append({"text": text, "claim_ids": [item]})
    sentences = [{"text": CONSENSUS[t], "claim_ids": ids} for t, ids in cited.items()]
    summary = {"title": "The week", "paragraphs": [{"sentences": sentences + others}]}
    return completion_for(request, summary)


def windowed(limit: int):
    """consensus_model behind a server that refuses any prompt over `limit` tokens, as an
    OpenAI endpoint does (HTTP 400, context_length_exceeded), counting tokens as chars / 4."""

    def responder(request: dict) -> Reply | dict:
        tokens = len(json.dumps(request["messages"], ensure_ascii=False)) // 4
        if tokens > limit:
            message = f"This model's maximum context length is {limit} tokens; you sent {tokens}."
            return Reply(status=400, body=error_body(message, type="invalid_request_error"))
        return consensus_model(request)

    return responder


def test_known_models_get_their_window_others_a_small_one():
    assert context_window("gpt-4o-2024-08-06") == 128_000
    assert context_window("gpt-4o-mini") == 128_000
    assert context_window("gpt-4.1-mini") == 1_047_576
    assert context_window("gpt-4") == 8_192 and context_window("gpt-4-turbo") == 128_000
    assert context_window("openai/gpt-5-mini") == 400_000
    assert context_window("llama3.1") == UNKNOWN_CONTEXT
    assert context_window("llama3.1", 32_000) == 32_000
    assert estimate_tokens("abc" * 100) == 100 and estimate_tokens("日本語") == 3
    # a small window shrinks the extraction window too
    assert window_chars_for(8_192, 60_000) < 20_000 <= window_chars_for(128_000, 60_000)


def test_the_compose_schema_is_built_once_per_process(monkeypatch):
    """The budget subtracts the schema's tokens on every run; pydantic would build it each time."""
    from summarize.models import ComposedSummary

    built = []
    schema = ComposedSummary.model_json_schema
    monkeypatch.setattr(
        ComposedSummary, "model_json_schema", lambda *a, **k: built.append(1) or schema(*a, **k)
    )
    first = [prompt_budget(128_000), window_chars_for(8_192, 60_000), prompt_budget(8_192)]
    assert first == [prompt_budget(128_000), window_chars_for(8_192, 60_000), prompt_budget(8_192)]
    assert len(built) <= 1  # none if an earlier test in this process built it


def test_claims_are_grouped_by_what_they_say_across_sources_and_every_group_fits():
    sources = [source(f"a{i}", article(i)) for i in range(40)]
    claims = []
    for s in sources:
        for k, (_, _) in enumerate(TOPICS):
            sentence = s.text.split("\n\n")[k + 1].strip()
            claims.append(claim(f"c{len(claims) + 1}", s, sentence, sentence))
    largest = max(
        compose_tokens([c for c in claims if word in c.statement.lower()], sources)
        for word, _ in TOPICS
    )
    budget = largest * 6 // 5  # room for any one topic and a fifth, never for two
    groups = group_claims(claims, sources, budget)
    assert len(groups) >= 4
    assert sorted(c.id for g in groups for c in g) == sorted(c.id for c in claims)  # each once
    for group in groups:
        ids = {c.source_id for c in group}
        assert compose_tokens(group, [s for s in sources if s.id in ids]) <= budget
    # all 40 sources' claims about one topic share a group, though a group could hold
    # a fifth more: interleaved, a topic would be split over groups
    for word, _ in TOPICS:
        homes = {i for i, g in enumerate(groups) for c in g if word in c.statement.lower()}
        assert len(homes) == 1, word


@pytest.mark.heavy
def test_a_small_window_composes_in_groups_and_merges_with_every_check():
    texts = [article(i) for i in range(40)]
    limit = 5_000
    with FakeOpenAIServer(windowed(limit)) as server:
        result = summarize.summarize(
            texts, base_url=server.base_url, use_cache=False, context_tokens=limit
        )
        refused = [r for r in server.requests if len(json.dumps(r["messages"])) // 4 > limit]
    assert not refused and not result.errors
    names = [r["tools"][0]["function"]["name"] for r in server.requests]
    contents = [r["messages"][0]["content"] for r in server.requests]
    assert names.count("ArticleClaims") == 40
    groups = names.count("ComposedSummary") - 1
    assert groups >= 3 and sum("combine partial summaries" in c for c in contents) == 1
    texts_by_id = {s.id: s.text for s in result.sources}
    assert result.sentences
    for sentence in result.sentences:
        assert sentence.citations
        for c in sentence.citations:
            assert texts_by_id[c.source_id][c.start : c.end] == c.quote
    # consensus kept across groups: each topic's sentence rests on every source, although
    # no group held all forty sources' claims on it
    listings = [r["messages"][-1]["content"] for r in server.requests[40:-1]]
    assert max(len(re.findall(r"^c\d+ .*harbour", c, re.M)) for c in listings) < 40
    for text in CONSENSUS.values():
        (sentence,) = [s for s in result.sentences if s.text == text]
        assert sentence.support == 40 and sentence.paragraph == 0


def test_the_same_run_in_one_window_is_one_compose_call():
    texts = [article(i) for i in range(6)]
    with FakeOpenAIServer(stand_in) as server:
        summarize.summarize(texts, base_url=server.base_url, use_cache=False)
    assert [r["tools"][0]["function"]["name"] for r in server.requests].count(
        "ComposedSummary"
    ) == 1


def test_a_merged_sentence_that_fails_the_check_is_replaced_by_the_sentences_it_cited():
    s1 = source("one", "The harbour reopened on Monday after the storm damaged 12 piers.\n")
    s2 = source("two", "The harbour reopened on Monday after the storm damaged 12 of its piers.\n")
    s3 = source("three", "The bridge repairs will cost 40 million euros, engineers said.\n")
    c1 = claim("c1", s1, "The harbour reopened after 12 piers were damaged.", s1.text.strip())
    c2 = claim("c2", s2, "The harbour reopened after 12 piers were damaged.", s2.text.strip())
    c3 = claim("c3", s3, "Bridge repairs will cost 40 million euros.", s3.text.strip())
    group_answers = [
        {
            "title": "Harbour",
            "paragraphs": [
                {
                    "sentences": [
                        {"text": "The harbour reopened after 12 piers were damaged.",
                         "claim_ids": ["c1", "c2"]}
                    ]
                }
            ],
        },
        {
            "title": "Bridge",
            "paragraphs": [],
            "single_source": [
                {"text": "Bridge repairs will cost 40 million euros.", "claim_ids": ["c3"]}
            ],
        },
    ]  # fmt: skip
    merged = {
        "title": "Storm repairs",
        "paragraphs": [
            {
                "sentences": [
                    {"text": "The harbour reopened after 13 piers were damaged.",
                     "claim_ids": ["s1"]},
                ]
            }
        ],
        "single_source": [
            {"text": "Bridge repairs will cost 40 million euros.", "claim_ids": ["s2"]}
        ],
    }  # fmt: skip
    claims, sources = [c1, c2, c3], [s1, s2, s3]
    llm = QueuedLLM(*group_answers, merged)
    budget = compose_tokens([c1, c2], [s1, s2]) + 20  # room for c1 and c2, not for c3 too
    assert compose_tokens(claims, sources) > budget
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("summarize.budget.prompt_budget", lambda _: budget)
        result = asyncio.run(compose_within_budget(llm, claims, sources, context_tokens=4_096))
    assert [c["prompt_key"].split("@")[0] for c in llm.calls] == ["compose", "compose", "merge"]
    texts = [s.text for s in result.sentences]
    assert "13 piers" not in " ".join(texts)
    assert texts == [
        "The harbour reopened after 12 piers were damaged.",
        "Bridge repairs will cost 40 million euros.",
    ]
    assert result.sentences[0].support == 2 and result.sentences[0].paragraph == 0
    assert {c.claim_id for c in result.sentences[0].citations} == {"c1", "c2"}
    (note,) = [r for r in result.rejections if "merged sentence" in r.reason]
    assert "13" in note.reason and "shown instead" in note.reason
    assert result.title == "Storm repairs"


def test_context_tokens_on_the_command_line(tmp_path, capsys):
    for i in range(3):
        (tmp_path / f"a{i}.txt").write_text(article(i), "utf-8")
    assert main([str(tmp_path), "--context-tokens", "100", "--base-url", "http://x"]) == 2
    assert "context_tokens must be at least 4096" in capsys.readouterr().err
