"""What each request carries: repairs without the article, each claim once, lean schemas."""

from __future__ import annotations

import asyncio
import json

from conftest import SEEDS
from fakes import QueuedLLM, claim, source
from test_extract import QUOTE, REVENUE, SEED_002, fact

from summarize.compose import claims_listing, compose
from summarize.extract import extract_article
from summarize.models import (
    ArticleClaims,
    ClaimKind,
    ClaimRepairs,
    ComposedSummary,
    SentenceRepairs,
)


def test_a_claim_repair_sends_the_diagnosis_and_passages_not_the_article() -> None:
    article = source("002", SEED_002)
    lacking = fact("Netflix earned $11.08 billion in revenue.", QUOTE)  # number not in evidence
    misquoted = fact("Sarandos praised AI.", QUOTE.replace("incredible", "amazing"))
    llm = QueuedLLM(
        {"claims": [lacking, misquoted]},
        {"repairs": [{"number": 1, "claim": None}, {"number": 2, "claim": None}]},
    )
    asyncio.run(extract_article(llm, article))
    repair = "\n".join(m["content"] for m in llm.calls[1]["messages"])
    assert SEED_002[:200] not in repair and len(repair) < len(SEED_002) / 2
    assert "Claim 1:" in repair and "Claim 2:" in repair
    assert "“$11.08 billion”" in repair  # the number the evidence lacks ...
    assert f"{REVENUE} and $3.13 billion in profit." in repair  # ... and where the article has it
    assert "closest passage is “We remain convinced" in repair  # the verifier's diagnosis
    assert llm.calls[1]["prompt_key"] == "repair_claims@2"


def world():
    s2, s4 = source("s2", SEED_002), source("s4", (SEEDS / "004_fabe2c775880a544.txt").read_text())
    claims = [
        claim("c1", s2, "Netflix reported $11.08 billion in second-quarter revenue.", REVENUE),
        claim("c2", s2, "Ted Sarandos said AI is an incredible opportunity.", QUOTE),
    ]
    claims[1] = claims[1].model_copy(update={"kind": ClaimKind.QUOTE, "speaker": "Ted Sarandos"})
    return claims, [s2, s4]


def test_the_listing_gives_each_claim_once_and_evidence_only_for_quotes() -> None:
    claims, sources = world()
    listing = claims_listing(claims, sources)
    assert listing.splitlines() == [
        "## Source s2",
        "c1: Netflix reported $11.08 billion in second-quarter revenue.",
        f"c2 (quote, Ted Sarandos): Ted Sarandos said AI is an incredible opportunity. | “{QUOTE}”",
    ]


def test_a_compose_repair_sends_only_failing_sentences_and_the_claims_they_cite() -> None:
    claims, sources = world()
    draft = {
        "title": "Netflix and AI",
        "paragraphs": [
            {
                "sentences": [
                    {"text": "Netflix reported $11.1 billion in revenue.", "claim_ids": ["c1"]},
                    {"text": "Ted Sarandos called AI an opportunity.", "claim_ids": ["c2"]},
                ]
            }
        ],
    }
    llm = QueuedLLM(draft, {"repairs": [{"number": 1, "sentence": None}]})
    asyncio.run(compose(llm, claims, sources))
    repair = "\n".join(m["content"] for m in llm.calls[1]["messages"])
    assert "Sentence 1:" in repair and "$11.1 billion" in repair
    assert f"c1: {claims[0].statement}" in repair.splitlines()  # cited, listed as for compose
    assert "c2" not in repair and "Sentence 2" not in repair  # the passing sentence stays out
    assert llm.calls[1]["prompt_key"] == "repair_sentences@2" and llm.calls[1]["urgent"]


def test_schemas_carry_no_titles_but_the_tool_name() -> None:
    for model in (ArticleClaims, ClaimRepairs, ComposedSummary, SentenceRepairs):
        schema = model.model_json_schema()
        assert schema["title"] == model.__name__  # instructor names the tool after it
        text = json.dumps({k: v for k, v in schema.items() if k != "title"})
        assert '"title": "' not in text.replace('"title": {"type"', "")
    assert "title" in ComposedSummary.model_json_schema()["properties"]  # a field, kept
