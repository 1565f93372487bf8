"""Robustness on news-shaped copy: the project's own short articles under tests/data/news."""

from __future__ import annotations

import pytest
from conftest import NEWS
from fakes import claim

from summarize import Summarizer, load_sources
from summarize.conflicts import quantity_conflicts
from summarize.numbers import detect_decimal
from summarize.testing import FakeOpenAIServer, stand_in

CLUSTERS = sorted(p.name for p in NEWS.iterdir() if p.is_dir())


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_pipeline_keeps_every_span_exact_on_news_copy(cluster):
    paths = sorted((NEWS / cluster).glob("*.txt"))
    with FakeOpenAIServer(stand_in) as server:
        summary = Summarizer(base_url=server.base_url, use_cache=False).run(paths)
    assert not summary.errors and summary.claims
    texts = {s.id: s.text for s in summary.sources}
    for c in summary.claims:
        for e in c.evidence:
            assert texts[c.source_id][e.start : e.end] == e.quote
    for sentence in summary.sentences:
        assert sentence.citations
        for cit in sentence.citations:
            assert texts[cit.source_id][cit.start : cit.end] == cit.quote


def test_kmart_outlets_disagree_on_the_deal_value_and_the_share_jump():
    sources = {s.id: s for s in load_sources(NEWS / "kmart-sears")}
    ap, reuters, bbc, cnn = (
        sources[k] for k in ("01_wire", "02_agency", "03_broadcaster", "04_business")
    )
    claims = [
        claim(
            "c1", ap, "Kmart is buying Sears for $11 billion.", "in a surprising $11 billion gamble"
        ),
        claim(
            "c2",
            reuters,
            "Kmart will buy Sears in an $11.5 billion deal.",
            "in a $11.5 billion deal unveiled on Wednesday",
        ),
        claim(
            "c3",
            cnn,
            "The deal is worth about $11 billion.",
            "The complex cash-and-stock deal is worth about $11 billion",
        ),
        claim("c4", bbc, "Sears shares jumped nearly 17%.", "while Sears jumped nearly 17%"),
        claim(
            "c5",
            cnn,
            "Sears stock rose 22 percent.",
            "sending Sears (up $7.79 to $52.99, Research) stock up 22 percent",
        ),
        claim(
            "c6", ap, "Sears shares soared 17 percent.", "Sears shares soared $7.70, or 17 percent"
        ),
    ]
    decimals = {k: detect_decimal(s.text) for k, s in sources.items()}
    conflicts = quantity_conflicts(claims, decimals)
    values = [sorted(p.value for p in c.positions) for c in conflicts]
    assert ["$11 billion", "$11.5 billion"] in values
    share = next(c for c in conflicts if any(p.value == "22 percent" for p in c.positions))
    jumps = {p.value: {x.source_id for x in p.citations} for p in share.positions}
    assert jumps["22 percent"] == {"04_business"}
    assert {"03_broadcaster", "01_wire"} <= set().union(*(v for k, v in jumps.items() if "17" in k))


def test_spanish_copy_reads_decimal_commas():
    sources = load_sources(NEWS / "ecuador-elecciones")
    assert any(detect_decimal(s.text) == "," for s in sources)


def test_each_figure_pairs_with_its_own_company():
    sources = {s.id: s for s in load_sources(NEWS / "kmart-sears")}
    reuters, bbc = sources["02_agency"], sources["03_broadcaster"]
    claims = [
        claim(
            "c1",
            reuters,
            "Sears rose 22 percent and Kmart 15 percent.",
            "with Sears up 22 percent and Kmart ahead 15 percent",
        ),
        claim(
            "c2",
            bbc,
            "Kmart climbed 8% and Sears nearly 17%.",
            "Kmart climbed 8%, while Sears jumped nearly 17%",
        ),
    ]
    (conflict,) = quantity_conflicts(claims, {"02_agency": ".", "03_broadcaster": "."})
    assert sorted(p.value for p in conflict.positions) == ["17%", "22 percent"]
    assert conflict.topic == "Sears"


def test_spanish_outlets_disagree_on_the_vote_shares():
    sources = {s.id: s for s in load_sources(NEWS / "ecuador-elecciones")}
    first, second = sources["01_diario"], sources["02_diario"]
    claims = [
        claim(
            "c1",
            first,
            "Arauz obtuvo 3.033.753 votos (32,72%).",
            "tras obtener 3.033.753 votos (32,72%) en la primera ronda",
        ),
        claim(
            "c2",
            second,
            "Arauz ganó con un 32,70 % de los votos.",
            "resultó victorioso Andrés Arauz con un 32,70 % de los votos",
        ),
    ]
    decimals = {k: detect_decimal(s.text) for k, s in sources.items()}
    (conflict,) = quantity_conflicts(claims, decimals)
    assert [p.value for p in conflict.positions] == ["32,70 %", "32,72%"]
