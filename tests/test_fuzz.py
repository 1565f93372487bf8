"""Fuzzing (hypothesis): hostile model answers and hostile files never crash a run and never put
an unverified item in its output.

The laws, for any answer the "model" gives and any file a user points at:
- the only exceptions that leave the API are summarize's own one-line SummarizeError;
- every claim in the result verifies against its article (evidence spans equal the text, the
  checks pass again), every citation's quote equals its source's text at its span, every number
  of an emitted sentence is in its cited evidence and every quotation in a cited source;
- the Markdown and JSON render and encode as UTF-8.

The model is httpx2.MockTransport in-process (no sockets), through the real openai SDK and
instructor. Example counts are small and fixed so the file runs in seconds on CI's two cores.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from summarize.api import Summarizer
from summarize.errors import SummarizeError
from summarize.extract import check_claim
from summarize.models import ExtractedClaim
from summarize.numbers import check_numbers
from summarize.report import Summary
from summarize.testing import Reply, completion_for, stand_in
from summarize.verify import quotations, verify_quote

ARTICLE = (
    "Netflix said on Thursday that it used generative AI to create a building collapse in "
    "El Eternauta. The sequence was finished 10 times faster than with traditional tools, "
    "co-CEO Ted Sarandos told analysts. Revenue rose 16% to $11.08 billion in the quarter.\n\n"
    '"We remain convinced that AI represents an incredible opportunity," Sarandos said. '
    "The company expects 2025 revenue of between $44.8 billion and $45.2 billion."
)
OTHER = (
    "Streaming company Netflix reported second-quarter revenue of $11.08 billion on Thursday. "
    "The results beat the forecasts of analysts polled by LSEG.\nShares rose 1% after hours."
)

CLAIMED = [  # the claims stand_in makes of the two articles, in id order c1, c2, ...
    sentence
    for article in (ARTICLE, OTHER)
    for paragraph in re.split(r"\n\s*\n", article)
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", " ".join(paragraph.split()))
    if 5 <= len(sentence.split()) <= 40 and '"' not in sentence
]

FUZZ = settings(
    max_examples=40,
    deadline=None,  # two shared cores: timing is not what is under test
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight (st.one_of cannot weigh)."""
    return _pick(options, sum(weight for weight, _ in options))


@st.composite
def _pick(draw: st.DrawFn, options: tuple[tuple[int, st.SearchStrategy[Any]], ...], total: int):
    """Defined once: hypothesis reads a composite's source each time one is defined."""
    n = draw(st.integers(0, total - 1))
    for weight, strategy in options:
        if n < weight:
            return draw(strategy)
        n -= weight
    raise AssertionError("unreachable")


text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
json_leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | text
json_value = st.recursive(
    json_leaf,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(text, kids, max_size=4),
    max_leaves=12,
)


@st.composite
def passages(draw: st.DrawFn, article: str = ARTICLE) -> str:
    """A run of the article's words, sometimes altered: a digit changed, a word added, noise."""
    words = [m.span() for m in re.finditer(r"\S+", article)]
    first = draw(st.integers(0, len(words) - 1))
    last = draw(st.integers(first, min(len(words) - 1, first + 30)))
    passage = article[words[first][0] : words[last][1]]
    change = draw(st.sampled_from(["keep", "keep", "digit", "drop", "noise"]))
    if change == "digit" and any(c.isdigit() for c in passage):
        i = next(i for i, c in enumerate(passage) if c.isdigit())
        passage = passage[:i] + str((int(passage[i]) + 1) % 10) + passage[i + 1 :]
    elif change == "drop" and " " in passage:
        passage = passage.replace(" ", " not ", 1)
    elif change == "noise":
        passage += draw(text)
    return passage


@functools.cache
def claim_payloads() -> st.SearchStrategy[Any]:
    """ArticleClaims-like payloads: right shape with hostile content, or the wrong shape.
    Built once (drawing from strategies built anew for every example cost a third of the
    file's time)."""
    kinds = st.sampled_from(["reported_fact", "reported_fact", "opinion", "background"])
    evidence = weighted(
        (9, st.lists(weighted((3, passages()), (1, text)), min_size=1, max_size=3)),
        (1, st.just([])),
    )
    claim = st.fixed_dictionaries(
        {
            "statement": weighted((3, passages()), (1, text)),
            "kind": weighted((8, kinds), (1, st.just("quote")), (1, text)),
            "speaker": weighted((3, st.none()), (1, text)),
            "evidence": evidence,
        }
    )
    # the statement is one of its own evidence passages (altered or not): verifies often
    claim = weighted((1, claim), (2, claim.flatmap(_own_evidence)))
    many = st.lists(claim, min_size=13, max_size=14)  # over the schema's maximum of 12
    shaped = st.fixed_dictionaries(
        {"claims": weighted((6, st.lists(claim, max_size=6)), (1, many))}
    )
    return weighted((8, shaped), (1, st.fixed_dictionaries({"claims": json_value})))


def _own_evidence(claim: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    if not claim["evidence"]:
        return st.just(claim)
    return st.sampled_from(claim["evidence"]).map(lambda e: {**claim, "statement": e})


@st.composite
def answers(draw: st.DrawFn, payloads: st.SearchStrategy[Any]) -> Any:
    """What the server sends back: a completion around a payload, or anything at all."""
    kind = draw(
        weighted((7, st.just("payload")), (1, st.sampled_from(["json", "bytes", "status"])))
    )
    if kind == "payload":
        payload = draw(payloads)
        raw = draw(st.integers(0, 4)) == 4  # the arguments as JSON, or as hostile text
        return lambda request: completion_for(
            request, json.dumps(payload) if not raw else draw_text(payload)
        )
    if kind == "json":
        body = draw(json_value)
        return lambda request: Reply(body=json.dumps(body))
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
        return lambda request: Reply(body=body.decode("latin-1"))
    status = draw(st.sampled_from([400, 404, 413, 422, 500, 503]))
    message = draw(text)
    return lambda request: Reply(status=status, body=message)


def draw_text(payload: Any) -> str:
    """Valid JSON with its first brace dropped, or control characters inside strings."""
    dumped = json.dumps(payload, ensure_ascii=False)
    return dumped[1:] if len(dumped) % 2 else dumped.replace('"', '"\x00', 1)


def transport(answer_for: dict[str, Any]) -> httpx2.MockTransport:
    """A model answering from `answer_for` by schema name, else as stand_in would."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        name = (body.get("tools") or [{"function": {"name": ""}}])[0]["function"]["name"]
        reply = answer_for.get(name, stand_in)(body)
        if not isinstance(reply, Reply):
            reply = Reply(body=reply)
        content = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return httpx2.Response(
            reply.status,
            content=content.encode("utf-8", "surrogatepass"),
            headers={"content-type": "application/json"},
        )

    return httpx2.MockTransport(handle)


def run(inputs: list[Any], answer_for: dict[str, Any]) -> Summary | None:
    """The result, or None when the run ended with a SummarizeError (never anything else)."""
    summarizer = Summarizer(
        transport=transport(answer_for), use_cache=False, retries=0, reasks=1, base_url="http://x"
    )
    try:  # a 5xx while two calls are in flight is retried: back off 1 ms, not ~1-2 s
        with mock.patch("summarize.llm.BACKOFF_BASE", 0.001):
            summary = asyncio.run(summarizer.arun(inputs))
    except SummarizeError as exc:
        assert "\n" not in str(exc)
        return None
    assert_only_verified(summary)
    return summary


def assert_only_verified(summary: Summary) -> None:
    texts = {s.id: s.text for s in summary.sources}
    for claim in summary.claims:
        source = next(s for s in summary.sources if s.id == claim.source_id)
        for e in claim.evidence:
            assert texts[claim.source_id][e.start : e.end] == e.quote
        again = ExtractedClaim(
            statement=claim.statement,
            kind=claim.kind,
            speaker=claim.speaker,
            evidence=[e.cited for e in claim.evidence],
        )
        assert check_claim(again, source)[1] == []
    for sentence in summary.sentences:
        assert sentence.citations
        for c in sentence.citations:
            assert texts[c.source_id][c.start : c.end] == c.quote
        evidence = "\n".join(c.quote for c in sentence.citations)
        assert check_numbers(sentence.text, evidence).ok
        for _, _, quoted in quotations(sentence.text):
            assert any(verify_quote(texts[c.source_id], quoted).ok for c in sentence.citations)
    summary.to_markdown().encode("utf-8")
    summary.to_json().encode("utf-8")


@pytest.mark.heavy
@FUZZ
@given(answers(claim_payloads()), answers(claim_payloads()))
def test_any_extraction_answer(first: Any, second: Any) -> None:
    """Two articles, each answered by a hostile extraction (repairs hostile too)."""
    answer_for = {"ArticleClaims": _by_article(first, second), "ClaimRepairs": second}
    with mock.patch("summarize.wire.MAX_ANSWER_BYTES", 20_000):
        run([ARTICLE, OTHER], answer_for)


def _by_article(first: Any, second: Any) -> Any:
    return lambda request: (first if "Netflix said on" in json.dumps(request) else second)(request)


@functools.cache
def compose_payloads() -> st.SearchStrategy[Any]:
    """ComposedSummary-like payloads: sentences faithful to a claim, altered, or anything."""
    ids = weighted((6, st.sampled_from([f"c{n}" for n in range(1, 9)])), (1, text))
    faithful = st.integers(0, len(CLAIMED) - 1).map(
        lambda i: {"text": CLAIMED[i], "claim_ids": [f"c{i + 1}"]}
    )
    sentence = st.fixed_dictionaries(
        {
            "text": weighted(
                (3, passages()),
                (3, passages(OTHER)),
                (1, text),
                (1, st.just('Sarandos said "an incredible chance".')),
            ),
            "claim_ids": st.lists(ids, min_size=1, max_size=3) | st.just([]),
        }
    )
    sentence = weighted((2, sentence), (1, faithful))
    shaped = st.fixed_dictionaries(
        {
            "title": passages() | text,
            "paragraphs": st.lists(
                st.fixed_dictionaries({"sentences": st.lists(sentence, max_size=3)}), max_size=3
            ),
            "single_source": st.lists(sentence, max_size=2),
            "conflicts": weighted((6, st.just([])), (1, json_value)),
        }
    )
    return weighted((8, shaped), (1, json_value))


@pytest.mark.heavy
@FUZZ
@given(answers(compose_payloads()), answers(compose_payloads()))
def test_any_compose_answer(compose: Any, repair: Any) -> None:
    """Verified claims, then a hostile composer: no unverified sentence reaches the output."""
    summary = run([ARTICLE, OTHER], {"ComposedSummary": compose, "SentenceRepairs": repair})
    assert summary is not None and summary.claims  # extraction was sound; compose may fail


names = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b"..")
)
contents = (
    st.binary(max_size=400)
    # every code point but the surrogates, i.e. what UTF-8 encodes (codec="utf-8" would have
    # hypothesis tabulate the codec first: ~1.1 s in each fresh checkout's worker)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=300).map(str.encode)
    | st.sampled_from([ARTICLE.encode("utf-16"), ARTICLE.encode("cp1252"), b"\xef\xbb\xbf"])
    | st.just(b"<html><body><article><p>" + ARTICLE.encode() + b"</p></article></body></html>")
)


@FUZZ
@given(
    st.lists(
        st.tuples(names, st.sampled_from([".txt", ".md", ".html", ""]), contents),
        min_size=1,
        max_size=3,
    )
)
def test_any_file_names_and_bytes(files: list[tuple[bytes, str, bytes]]) -> None:
    """Files with any name and any bytes: an InputError naming the file, or a sound result."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n, (name, suffix, data) in enumerate(files):
            path = os.path.join(os.fsencode(folder), str(n).encode() + name + suffix.encode())
            Path(os.fsdecode(path)).write_bytes(data)
            paths.append(Path(os.fsdecode(path)))
        summary = run([*paths, Path(folder)], {})
    for source in summary.sources if summary is not None else []:
        source.id.encode("utf-8")  # no lone surrogate from an undecodable name
        (source.path or "").encode("utf-8")
