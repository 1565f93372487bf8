"""Long articles: windows at paragraph boundaries, spans in the whole text, overlap kept once."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from hypothesis import given, settings, strategies as st

import summarize
from summarize.settings import DEFAULT_MAX_ARTICLE_CHARS
from summarize.sources import load_sources
from summarize.testing import FakeOpenAIServer, completion_for, stand_in
from summarize.windows import overlap_for, split_windows

WINDOW = 60_000


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab .!\n", min_size=0, max_size=3000),
    st.integers(min_value=8, max_value=400),
)
def test_windows_cover_the_text_in_order_within_size_and_overlap(text, size):
    windows = split_windows(text, size)
    overlap = overlap_for(size)
    assert windows[0].start == 0 and windows[-1].end == len(text)
    assert [w.number for w in windows] == list(range(1, len(windows) + 1))
    assert all(w.total == len(windows) for w in windows)
    for w in windows:
        assert 0 < w.end - w.start <= size or len(text) == 0
    for before, after in itertools.pairwise(windows):
        assert before.start < after.start <= before.end  # no gap, always progress
        assert before.end - after.start <= overlap


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=60))
def test_cuts_fall_between_paragraphs_when_paragraphs_are_short(lengths):
    paragraphs = [("w" * n + ".") for n in lengths]
    text = "\n\n".join(paragraphs)
    starts = {m.end() for m in re.finditer(r"\n\n", text)} | {0}
    ends = {m.start() + 2 for m in re.finditer(r"\n\n", text)} | {len(text)}
    for w in split_windows(text, 160, overlap=40):
        assert w.start in starts and w.end in ends


# --------------------------------------------------------------------------- end to end

QUOTED = "“We moved 4,812 crates before noon,” said harbour master Ana Ruiz at milestone 7."
QUOTED_AS_TYPED = (
    '"We moved 4,812 crates before noon," said harbour master Ana Ruiz at milestone 7.'
)
INVENTED = "The port handled 9,999,999 crates during milestone 1 alone."


def long_article() -> tuple[str, list[str]]:
    """A 600,000-character article: filler paragraphs, and every ~7,000 characters a
    "milestone" sentence the stand-in model reports (so some overlaps hold one, and no window
    holds more than the 12 claims the schema allows a call)."""
    paragraphs, milestones, n = [], [], 0
    while sum(len(p) + 2 for p in paragraphs) < 600_000:
        n += 1
        filler = " ".join(
            f"Dock {n}-{k} logged {n * 37 + k} pallets and {k + 3} cranes on shift {k}."
            for k in range(90)
        )
        milestone = (
            QUOTED
            if n == 7
            else f"At milestone {n} the inspectors counted {n * 1013:,} crates in bay {n % 17}."
        )
        milestones.append(milestone)
        paragraphs.append(f"{filler} {milestone}")
    text = "\n\n".join(paragraphs)
    return text, milestones


def long_article_model(request: dict) -> dict:
    """Reports every milestone sentence of its window (the one with a curly quotation typed
    with straight quotes), plus one invented claim in the first window; repairs nothing."""
    name = request["tools"][0]["function"]["name"] if request.get("tools") else None
    if name != "ArticleClaims":
        return stand_in(request)  # compose, and no repairs
    article = re.search(r"<article>\n(.*)\n</article>", request["messages"][-1]["content"], re.S)
    sentences = re.findall(
        r"(?:“[^”]*” said [^.]*\.|At milestone [^.]*(?:\.\d+)*[^.]*\.)", article[1]
    )
    claims = []
    for sentence in sentences:
        evidence = QUOTED_AS_TYPED if sentence == QUOTED else sentence
        statement = (
            "Ana Ruiz said 4,812 crates moved before noon." if sentence == QUOTED else sentence
        )
        claims.append({"statement": statement, "kind": "reported_fact", "evidence": [evidence]})
    if "(part 1 of" in request["messages"][-1]["content"]:
        claims.append({"statement": INVENTED, "kind": "reported_fact", "evidence": [INVENTED]})
    return completion_for(request, {"claims": claims})


@pytest.mark.heavy
def test_a_600000_character_article_gives_verified_claims_with_exact_spans():
    text, milestones = long_article()
    assert len(text) >= 600_000 and len(text) < DEFAULT_MAX_ARTICLE_CHARS
    with FakeOpenAIServer(long_article_model) as server:
        result = summarize.summarize(
            [text, "A second, short article.\nIt says the port was busy at milestone 3 today."],
            base_url=server.base_url,
            use_cache=False,
        )
    windows = split_windows(text, WINDOW)
    assert len(windows) >= 10
    extraction = [
        r for r in server.requests if r["tools"][0]["function"]["name"] == "ArticleClaims"
    ]
    assert len(extraction) == len(windows) + 1  # one call a window, and the short article
    asked = [json.dumps(r["messages"]) for r in extraction]
    assert sum("(part " in a for a in asked) == len(windows)

    source = result.sources[0]
    assert source.text == text and source.id == "text-1"  # the whole article, one source
    claims = [c for c in result.claims if c.source_id == "text-1"]
    for claim in claims:
        for ev in claim.evidence:
            assert text[ev.start : ev.end] == ev.quote  # spans into the whole original text
    # every milestone once, though each overlap reported some twice; in article order
    assert len(claims) == len(milestones)
    for claim, milestone in zip(claims, milestones, strict=True):
        assert claim.evidence[0].quote in milestone  # less the enclosing marks and full stop
    parts = [r for r, a in zip(extraction, asked, strict=True) if "(part " in a]
    reported = sum(len(claims_answered(r)) for r in parts)
    assert reported - 1 > len(milestones)  # the overlaps repeated some (1 is the invented one)
    assert claims[-1].evidence[0].start > 590_000
    quoted = next(c for c in claims if c.evidence[0].quote in QUOTED)
    assert quoted.evidence[0].match == "normalized"
    assert [c.id for c in result.claims] == [f"c{i}" for i in range(1, len(result.claims) + 1)]
    # the invented number: one repair asked in its window, then one rejection under the source
    (rejection,) = [r for r in result.rejections if r.stage == "extract"]
    assert rejection.source_id == "text-1" and rejection.item == INVENTED
    assert not result.errors and result.sentences


def claims_answered(request: dict) -> list[dict]:
    """The claims the stand-in model gave for one extraction request."""
    call = long_article_model(request)["choices"][0]["message"]["tool_calls"][0]
    return json.loads(call["function"]["arguments"])["claims"]


def test_the_default_limit_reads_long_articles_and_names_the_setting_beyond_it(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("word " * 200_000, "utf-8")
    assert len(load_sources(path)[0].text) == 1_000_000
    assert DEFAULT_MAX_ARTICLE_CHARS >= 10_000_000
