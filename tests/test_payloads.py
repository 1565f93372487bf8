"""What each request carries: repairs without the article, each claim once, lean schemas."""

from __future__ import annotations

import asyncio
import json

import pytest
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
        {"repairs": [{"number": 1, "withdraw": True}, {"number": 2, "withdraw": True}]},
    )
    asyncio.run(extract_article(llm, article))
    repair = "\n".join(m["content"] for m in llm.calls[1]["messages"])
    assert SEED_002[:200] not in repair and len(repair) < len(SEED_002) / 2
    assert "“$11.08 billion”" in repair  # the number the evidence lacks ...
    assert f"{REVENUE} and $3.13 billion in profit." in repair  # ... and where the article has it
    assert "closest passage is “We remain convinced" in repair  # the verifier's diagnosis
    assert llm.calls[1]["prompt_key"] == "repair_claims@4"


def test_a_claim_repair_gives_each_passage_once() -> None:
    """A claim as the composer sees one, with the passages that were found; a passage that was
    not is quoted once, by its problem. No JSON echo of the claim."""
    article = source("002", SEED_002)
    wrong = QUOTE.replace("incredible", "amazing")
    claim = fact("Netflix had $11.08 billion in revenue; Sarandos praised AI.", REVENUE, wrong)
    claim |= {"kind": "quote", "speaker": "Ted Sarandos"}
    llm = QueuedLLM({"claims": [claim]}, {"repairs": [{"number": 1, "withdraw": True}]})
    asyncio.run(extract_article(llm, article))
    repair = llm.calls[1]["messages"][-1]["content"]
    first, *problems = repair.split("\n\n", 1)[1].splitlines()
    assert first == f"Claim 1 (quote, Ted Sarandos): {claim['statement']} | “{REVENUE}”"
    assert problems[0].startswith(f"- evidence “{wrong}” is not found verbatim")
    assert repair.count(wrong) == 1 and repair.count(REVENUE) == 1
    assert '"evidence"' not in repair and "{" not in repair


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
    repair = llm.calls[1]["messages"][-1]["content"].splitlines()
    assert repair[0] == "Sentence 1 [c1]: Netflix reported $11.1 billion in revenue."
    assert repair[1].startswith("- c1: its cited evidence does not state “$11.1 billion”")
    assert f"c1: {claims[0].statement}" in repair  # cited, listed as for compose
    assert not any("c2" in line or "Sentence 2" in line for line in repair)  # passing: out
    assert not any("{" in line for line in repair)  # no JSON echo of the sentence
    assert llm.calls[1]["prompt_key"] == "repair_sentences@3" and llm.calls[1]["urgent"]


def test_schemas_carry_no_titles_but_the_tool_name() -> None:
    for model in (ArticleClaims, ClaimRepairs, ComposedSummary, SentenceRepairs):
        schema = model.model_json_schema()
        assert schema["title"] == model.__name__  # instructor names the tool after it
        text = json.dumps({k: v for k, v in schema.items() if k != "title"})
        assert '"title": "' not in text.replace('"title": {"type"', "")
    assert "title" in ComposedSummary.model_json_schema()["properties"]  # a field, kept


def test_schemas_say_only_what_constrains_the_answer() -> None:
    """No $defs (each type written where it is used), no defaults, no descriptions but the
    tool's line; an optional field that may be null is given as its type alone."""
    for model in (ArticleClaims, ClaimRepairs, ComposedSummary, SentenceRepairs):
        text = json.dumps(model.model_json_schema())
        assert "$defs" not in text and "$ref" not in text and '"default"' not in text
        assert text.count('"description"') == 1
    claim = ArticleClaims.model_json_schema()["properties"]["claims"]["items"]
    assert claim["properties"]["speaker"] == {"type": "string"}
    assert claim["required"] == ["statement", "kind", "evidence"]
    patch = ClaimRepairs.model_json_schema()["properties"]["repairs"]["items"]
    assert patch["required"] == ["number"]  # a repair gives only what changes
    answer = {"claims": [{"statement": "S.", "kind": "reported_fact", "evidence": ["S."]}]}
    assert ArticleClaims.model_validate(answer).claims[0].speaker is None


def test_a_recursive_answer_type_is_refused_rather_than_inlined_forever() -> None:
    from summarize.models import _Asked

    class Node(_Asked):
        children: list[Node]

    Node.model_rebuild(_types_namespace={"Node": Node})
    with pytest.raises(TypeError, match="Node refers to itself"):
        Node.model_json_schema()
