"""Extraction stage: verification decides, repair is tried once, failures stay local."""

from __future__ import annotations

import asyncio

import pytest
from conftest import SEEDS
from fakes import QueuedLLM, source

from summarize.errors import ModelAPIError
from summarize.extract import check_claim, extract_all, extract_article
from summarize.models import ExtractedClaim

SEED_002 = (SEEDS / "002_e6380d9e923ae68b.txt").read_text("utf-8")
REVENUE = "Netflix reported a strong second quarter, with $11.08 billion in revenue"
QUOTE = "We remain convinced that AI represents an incredible opportunity"


def fact(statement: str, *evidence: str) -> dict:
    return {
        "statement": statement,
        "kind": "reported_fact",
        "speaker": None,
        "evidence": list(evidence),
    }


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def seed():
    return source("002", SEED_002)


def test_verified_claim_keeps_exact_spans(seed):
    llm = QueuedLLM(
        {"claims": [fact("Netflix had $11.08 billion in second-quarter revenue.", REVENUE)]}
    )
    result = run(extract_article(llm, seed))
    assert not result.rejections and result.error is None
    (ev,) = result.claims[0].evidence
    assert seed.text[ev.start : ev.end] == ev.quote == REVENUE


def test_typographic_difference_is_normalized_not_rejected(seed):
    straight = "Eyeline Studios, which is Netflix's internal production innovation team"
    llm = QueuedLLM({"claims": [fact("Eyeline Studios made the sequence.", straight)]})
    result = run(extract_article(llm, seed))
    (ev,) = result.claims[0].evidence
    assert ev.match == "normalized"
    assert "Netflix’s" in ev.quote and seed.text[ev.start : ev.end] == ev.quote


def test_rounded_number_is_repaired_with_the_diagnosis(seed):
    rounded = fact("Netflix had $11.1 billion in revenue.", REVENUE)
    fixed = fact("Netflix had $11.08 billion in revenue.", REVENUE)
    llm = QueuedLLM(
        {"claims": [rounded]}, {"repairs": [{"number": 1, "statement": fixed["statement"]}]}
    )
    result = run(extract_article(llm, seed))
    assert [c.statement for c in result.claims] == [fixed["statement"]]
    assert result.claims[0].repaired
    assert [(r.outcome, r.item) for r in result.rejections] == [("repaired", rounded["statement"])]
    repair_request = llm.calls[1]["messages"][-1]["content"]
    assert "11.1" in repair_request and "11.08" in repair_request
    assert llm.usage.repairs == 1


def test_invented_quote_withdrawn_on_repair_is_rejected(seed):
    invented = {
        "statement": "Ted Sarandos said AI gives creators new tools.",
        "kind": "quote",
        "speaker": "Ted Sarandos",
        "evidence": ["AI is not replacing creators, it is giving them new tools"],
    }
    llm = QueuedLLM(
        {"claims": [invented, fact("Revenue was $11.08 billion.", REVENUE)]},
        {"repairs": [{"number": 1, "withdraw": True}]},
    )
    result = run(extract_article(llm, seed))
    assert [c.statement for c in result.claims] == ["Revenue was $11.08 billion."]
    (rejection,) = result.rejections
    assert rejection.item == invented["statement"] and "withdrawn" in rejection.reason
    assert rejection.repair_attempted


def test_claim_still_wrong_after_repair_is_rejected_with_new_diagnosis(seed):
    wrong = fact(
        "Sarandos said AI helps make films better.", QUOTE.replace("AI", "artificial intelligence")
    )
    still = fact(
        "Sarandos said AI helps make films better.", QUOTE.replace("incredible", "amazing")
    )
    llm = QueuedLLM(
        {"claims": [wrong]}, {"repairs": [{"number": 1, "evidence": still["evidence"]}]}
    )
    result = run(extract_article(llm, seed))
    assert not result.claims
    assert "still failing after repair" in result.rejections[0].reason
    assert "amazing" in result.rejections[0].reason


def test_quotation_inside_statement_must_be_verbatim(seed):
    claim = ExtractedClaim.model_validate(
        fact("Sarandos called AI “a wonderful opportunity for creators”.", QUOTE)
    )
    _, problems = check_claim(claim, seed)
    assert problems and "wonderful opportunity" in problems[0]


def test_number_must_be_in_the_claims_own_evidence(seed):
    # $3.13 billion is in the article, but not in this claim's evidence
    claim = ExtractedClaim.model_validate(fact("Netflix made $3.13 billion in profit.", REVENUE))
    _, problems = check_claim(claim, seed)
    assert problems and "3.13" in problems[0]


def test_repair_failure_keeps_verified_claims(seed):
    llm = QueuedLLM(
        {
            "claims": [
                fact("Revenue was $11.08 billion.", REVENUE),
                fact("Made up.", "no such words in it"),
            ]
        },
        ModelAPIError("002: gave up after 4 retries: 503"),
    )
    result = run(extract_article(llm, seed))
    assert [c.statement for c in result.claims] == ["Revenue was $11.08 billion."]
    assert "the repair request failed" in result.rejections[0].reason


def test_model_failure_ends_only_that_article(seed):
    other = source(
        "other", "Netflix reported a strong second quarter, with $11.08 billion in revenue."
    )
    llm = QueuedLLM(
        ModelAPIError("002: 500 Internal Server Error"),
        {"claims": [fact("Revenue was $11.08 billion.", REVENUE)]},
    )
    results = run(extract_all(llm, [seed, other]))
    assert results[0].error is not None and "500" in results[0].error.error
    assert [c.id for c in results[1].claims] == ["c1"]


def test_ids_follow_source_order_and_every_article_starts_at_once():
    sources = [source(f"s{i}", SEED_002) for i in range(6)]
    answers = [{"claims": [fact("Revenue was $11.08 billion.", REVENUE)]} for _ in sources]
    llm = QueuedLLM(*answers, latency=0.05)
    results = run(extract_all(llm, sources))
    assert [c.id for r in results for c in r.claims] == [f"c{i}" for i in range(1, 7)]
    assert llm.max_in_flight == 6  # the LLM's limiter, not the stage, bounds requests
    assert not any(call["urgent"] for call in llm.calls)


def test_a_repair_jumps_the_queue_of_extractions(seed):
    llm = QueuedLLM(
        {"claims": [fact("Netflix had $11.1 billion in second-quarter revenue.", REVENUE)]},
        {"repairs": [{"number": 1, "withdraw": True}]},
    )
    run(extract_article(llm, seed))
    assert [call["urgent"] for call in llm.calls] == [False, True]


def test_article_text_reaches_the_model_byte_identical():
    text = "Netflix said {{ budget }} and {% if x %} and {# hidden #} stay as written today."
    llm = QueuedLLM({"claims": []})
    run(extract_article(llm, source("braces", text)))
    assert text in llm.calls[0]["messages"][-1]["content"]


def seed_source(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return source(prefix, path.read_text("utf-8"))


def test_a_statement_may_not_quote_the_reporters_paraphrase():
    article = seed_source("004")
    claim = ExtractedClaim.model_validate(
        fact(
            "Inga Saffron said the goal is “to empower creatives, not replace them”.",
            "Inga Saffron, Vice President of Production Innovation at Netflix, emphasized that "
            "the goal is to empower creatives, not replace them.",
        )
    )
    _, problems = check_claim(claim, article)
    assert any("does not quote those words as anyone's speech" in p for p in problems)
    quoted = claim.model_copy(
        update={"statement": "Saffron said “This enables artists and teams”."}
    )
    quoted.evidence.append("“This enables artists and teams to spend more of their time")
    assert not check_claim(quoted, article)[1]


def test_a_quote_claims_speaker_is_named_in_the_evidence_paragraph():
    article = seed_source("000")
    delighted = "“The creators were delighted with the result. We were delighted with the result"

    def problems(speaker: str) -> list[str]:
        claim = {**fact(f"{speaker} said the creators were delighted.", delighted)}
        claim.update(kind="quote", speaker=speaker)
        return check_claim(ExtractedClaim.model_validate(claim), article)[1]

    assert any("not named in the paragraph" in p for p in problems("Ted Sarandos"))
    assert any("not named in the paragraph" in p for p in problems("Reed Hastings"))
    assert problems("Saraondos") == []  # as the article names him there, typo and all


def test_a_statement_whose_negation_differs_from_its_evidence_fails(seed):
    claim = ExtractedClaim.model_validate(
        fact(
            "The sequence was not finished ten times faster than with traditional methods.",
            "It was reportedly finished ten times faster and at a lower cost than using "
            "traditional methods",
        )
    )
    (problem,) = check_claim(claim, seed)[1]
    assert "negation" in problem and "not finished" in problem


def test_a_repair_patches_only_the_fields_it_gives_and_is_checked_again(seed):
    """The repair answer names what changes; the claim it makes is verified whole, as any."""
    quote = {
        "statement": "Ted Sarandos said AI is an incredible opportunity.",
        "kind": "quote",
        "speaker": "Ted Saraonds",  # not named so in the paragraph
        "evidence": [QUOTE],
    }
    llm = QueuedLLM({"claims": [quote]}, {"repairs": [{"number": 1, "speaker": "Sarandos"}]})
    result = run(extract_article(llm, seed))
    (repaired,) = result.claims
    assert (repaired.speaker, repaired.statement) == ("Sarandos", quote["statement"])
    assert [e.cited for e in repaired.evidence] == [QUOTE] and repaired.repaired

    llm = QueuedLLM({"claims": [quote]}, {"repairs": [{"number": 1, "speaker": " "}]})
    result = run(extract_article(llm, seed))
    assert not result.claims  # a quote left without a speaker is not a claim
    assert "must name its speaker" in result.rejections[0].reason
