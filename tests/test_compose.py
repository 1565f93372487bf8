"""Compose stage: every sentence is checked; failures are repaired once, then dropped."""

from __future__ import annotations

import asyncio

import pytest
from conftest import SEEDS
from fakes import QueuedLLM, claim, source

from summarize.compose import SentenceChecker, compose
from summarize.conflicts import checked_conflicts, quantity_conflicts
from summarize.models import ComposedConflict, ComposedSentence


def seed(name: str):
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return source(path.stem, path.read_text("utf-8"))


@pytest.fixture(scope="module")
def world():
    s1, s2, s4 = seed("001"), seed("002"), seed("004")
    claims = [
        claim(
            "c1",
            s1,
            "Netflix reported second-quarter revenue of 11 billion USD.",
            "Netflix reported second-quarter revenue of 11 billion USD",
        ),
        claim(
            "c2",
            s2,
            "Netflix reported $11.08 billion in second-quarter revenue.",
            "Netflix reported a strong second quarter, with $11.08 billion in revenue",
        ),
        claim(
            "c3",
            s2,
            "The sequence was finished ten times faster than with traditional methods.",
            "It was reportedly finished ten times faster and at a lower cost than using "
            "traditional methods",
        ),
        claim(
            "c4",
            s4,
            "The building collapse was executed about ten times faster.",
            "the sequence was executed approximately ten times faster than with conventional "
            "methods",
        ),
        claim(
            "c5",
            s4,
            "Scanline VFX worked on the collapse scene.",
            "in collaboration with its VFX division, Scanline VFX",
        ),
        claim(
            "c6",
            s2,
            "Eyeline Studios worked on the collapse sequence.",
            "The sequence was completed in collaboration with Eyeline Studios",
        ),
        claim(
            "c7",
            s1,
            "Tyler Perry halted plans to expand his Atlanta studio.",
            "Actor Tyler Perry halted plans to expand his 800 million USD Atlanta studio",
        ),
    ]
    return claims, [s1, s2, s4]


def sentence(text: str, *ids: str) -> ComposedSentence:
    return ComposedSentence(text=text, claim_ids=list(ids))


def check(checker: SentenceChecker, text: str, *ids: str):
    verdict = checker.check(sentence(text, *ids), ("consensus", 0))
    return verdict.sentence, verdict


def test_merged_sentence_counts_distinct_sources(world):
    checked, verdict = check(
        SentenceChecker(*world),
        "The scene was made ten times faster than with traditional methods.",
        "c3",
        "c4",
    )
    assert checked is not None and not verdict.removed
    assert checked.support == 2
    assert {c.claim_id for c in checked.citations} == {"c3", "c4"}


def test_sentence_without_a_citation_fails(world):
    checked, verdict = check(SentenceChecker(*world), "Netflix used AI.")
    assert checked is None and "no cited source" in verdict.problems()[-1]


def test_unknown_claim_id_is_reported(world):
    checked, verdict = check(
        SentenceChecker(*world), "The sequence was finished ten times faster.", "c3", "c99"
    )
    assert checked is not None and "c99" in verdict.problems()[0]


def test_rounded_number_fails_even_if_another_claim_has_it(world):
    checker = SentenceChecker(*world)
    checked, verdict = check(checker, "Netflix earned $11.1 billion in revenue.", "c2")
    assert checked is None and "11.1" in verdict.problems()[0]
    # $11.08 billion is in c2's evidence, but the sentence cites only c1
    checked, _ = check(checker, "Revenue reached $11.08 billion.", "c1")
    assert checked is None


def test_each_cited_source_must_back_every_number(world):
    """$11.08 billion is in c2's evidence only: c1's source loses its footnote."""
    checked, verdict = check(
        SentenceChecker(*world), "Netflix reported $11.08 billion in revenue.", "c2", "c1"
    )
    assert checked is not None and checked.support == 1
    assert {c.claim_id for c in checked.citations} == {"c2"}
    (removed,) = verdict.removed
    assert removed.claim_ids == ["c1"] and "11.08" in removed.reasons[0]


def test_quotation_must_be_verbatim_in_each_cited_source(world):
    checker = SentenceChecker(*world)
    ok, _ = check(
        checker, "Netflix said it “was reportedly finished ten times faster” than usual.", "c3"
    )
    assert ok is None  # verbatim in 002, but the reporter's own words there, not quoted speech
    bad, verdict = check(
        checker, "Netflix said it “was finished ten times quicker” than usual.", "c3"
    )
    assert bad is None and "quotation" in verdict.problems()[0]


def test_over_citation_is_removed(world):
    checked, verdict = check(
        SentenceChecker(*world), "Scanline VFX worked on the collapse scene.", "c5", "c7"
    )
    assert checked is not None
    assert {c.claim_id for c in checked.citations} == {"c5"}
    assert verdict.problems()[0].startswith("c7:") and "c7:" not in verdict.reasons()


def test_quantity_conflict_between_sources(world):
    claims, sources = world
    conflicts = quantity_conflicts(claims, {s.id: "." for s in sources})
    (conflict,) = conflicts
    assert conflict.kind == "precision" and "rounding" in conflict.note
    assert [p.value for p in conflict.positions] == ["11 billion USD", "$11.08 billion"]
    assert "revenue" in conflict.topic.lower()
    for position in conflict.positions:
        for cit in position.citations:
            src = next(s for s in sources if s.id == cit.source_id)
            assert src.text[cit.start : cit.end] == cit.quote


def test_equal_values_are_no_conflict(world):
    claims, sources = world
    same = [c for c in claims if c.id in {"c3", "c4"}]
    assert quantity_conflicts(same, {s.id: "." for s in sources}) == []


def test_name_conflict_kept_only_when_each_side_is_in_its_evidence(world):
    claims, _ = world
    by_id = {c.id: c for c in claims}
    good = ComposedConflict.model_validate(
        {
            "topic": "Who made the effect",
            "positions": [
                {"value": "Eyeline Studios", "claim_ids": ["c6"]},
                {"value": "Scanline VFX", "claim_ids": ["c5"]},
            ],
        }
    )
    invented = ComposedConflict.model_validate(
        {
            "topic": "Who made the effect",
            "positions": [
                {"value": "Eyeline Studios", "claim_ids": ["c6"]},
                {"value": "Industrial Light & Magic", "claim_ids": ["c5"]},
            ],
        }
    )
    kept, rejected = checked_conflicts([good, invented], by_id)
    assert [c.kind for c in kept] == ["name"] and len(rejected) == 1
    assert "Industrial Light" in rejected[0].reason


def test_compose_repairs_then_drops_and_guards_single_source(world):
    claims, sources = world
    draft = {
        "title": "Netflix used generative AI for a building collapse in El Eternauta",
        "paragraphs": [
            {
                "sentences": [
                    {
                        "text": "The collapse was finished ten times faster than usual.",
                        "claim_ids": ["c3", "c4"],
                    },
                    {"text": "Netflix earned $11.1 billion.", "claim_ids": ["c2"]},
                    {"text": "Eyeline Studios worked on the sequence.", "claim_ids": ["c6"]},
                    {"text": "Revenue was 11 billion dollars, a 20% rise.", "claim_ids": ["c1"]},
                ]
            }
        ],
        "single_source": [],
        "conflicts": [],
    }
    repairs = {
        "repairs": [
            {
                "number": 1,
                "sentence": {
                    "text": "Netflix earned $11.08 billion in revenue.",
                    "claim_ids": ["c2"],
                },
            },
            {"number": 2, "sentence": {"text": "Revenue rose 20%.", "claim_ids": ["c1"]}},
        ]
    }
    llm = QueuedLLM(draft, repairs)
    result = asyncio.run(compose(llm, claims, sources))
    texts = {s.text: s for s in result.sentences}
    assert texts["The collapse was finished ten times faster than usual."].section == "consensus"
    assert texts["Netflix earned $11.08 billion in revenue."].repaired
    # one source only: never shown as consensus
    assert texts["Eyeline Studios worked on the sequence."].section == "single_source"
    assert texts["Netflix earned $11.08 billion in revenue."].section == "single_source"
    dropped = [r for r in result.rejections if r.repair_attempted]
    assert [(r.outcome, r.item) for r in dropped] == [
        ("repaired", "Netflix earned $11.1 billion."),
        ("dropped", "Revenue was 11 billion dollars, a 20% rise."),
    ]
    assert "still failing" in dropped[1].reason
    assert llm.usage.repairs == 1
    assert result.conflicts and result.conflicts[0].kind == "precision"  # 11 rounds 11.08


def test_title_with_unbacked_number_is_replaced(world):
    claims, sources = world
    draft = {
        "title": "Netflix revenue hits $12 billion",
        "paragraphs": [],
        "single_source": [],
        "conflicts": [],
    }
    result = asyncio.run(compose(QueuedLLM(draft), claims, sources))
    assert "$12" not in result.title
    (rejection,) = result.rejections
    assert rejection.outcome == "title replaced" and rejection.item == draft["title"]
