"""Extraction stage: one model call per article; the verifier decides which claims survive.

A claim survives only if every evidence passage is found in its article, every quotation in its
statement is found there as quoted speech (inside quotation marks, not the reporter's prose),
every number in the statement is value-equal to a number in its own evidence, its negations
match its evidence's, and a quote claim's speaker is named in the paragraph of its evidence.
Claims that fail get one repair re-ask carrying the verifier's diagnosis; what still fails is
dropped and recorded as a Rejection. A model failure ends that article alone.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from summarize.anchors import mentions, polarity_problems
from summarize.errors import ModelError
from summarize.llm import LLM
from summarize.models import (
    ArticleClaims,
    ArticleError,
    Claim,
    ClaimKind,
    ClaimRepair,
    ClaimRepairs,
    Evidence,
    ExtractedClaim,
    Rejection,
    Source,
)
from summarize.numbers import check_numbers, detect_decimal
from summarize.prompts import load_prompt
from summarize.repair import repair_once
from summarize.verify import index_for, is_quoted_speech, quotations
from summarize.words import unquoted


@dataclass
class ArticleResult:
    source: Source
    claims: list[Claim] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    error: ArticleError | None = None
    repair_error: ArticleError | None = None  # the repair call failed; the claims it held are
    # rejected, and the failure is reported as an error too (it is a model failure, exit 4)


def check_claim(
    claim: ExtractedClaim, source: Source, decimal: str | None = None
) -> tuple[list[Evidence], list[str]]:
    """The claim's evidence spans and the problems that sink it (none means it is verified).

    `decimal` is the article's number notation; detected from the article when not given."""
    index = index_for(source.text)
    evidence: list[Evidence] = []
    problems: list[str] = []
    for passage in claim.evidence:
        match = index.find(passage)
        if match.ok:
            assert match.start is not None and match.end is not None
            evidence.append(
                Evidence(
                    quote=source.text[match.start : match.end],
                    start=match.start,
                    end=match.end,
                    cited=passage,
                    match=match.kind,
                )
            )
        else:
            problems.append(f"evidence “{unquoted(passage)}” is {match.diagnosis}")
    quoted = quotations(claim.statement)
    for _, _, words in quoted:
        match = index.find(words)
        if not match.ok:
            problems.append(f"the statement quotes “{unquoted(words)}”, which is {match.diagnosis}")
        elif not is_quoted_speech(source.text, match.start or 0, match.end or 0):
            problems.append(
                f"the statement puts “{unquoted(words)}” in quotation marks, but the article "
                "does not quote those words as anyone's speech"
            )
    if evidence:
        joined = "\n".join(e.quote for e in evidence)
        notation = decimal or detect_decimal(source.text)
        numbers = check_numbers(claim.statement, joined, decimal=notation)
        if not numbers.ok:
            problems.append(
                f"a number in the statement is not in its evidence: {numbers.diagnosis}"
            )
        skip = [(a, b) for a, b, _ in quoted]
        problems += [
            f"the statement's negation differs from its evidence: {p}"
            for p in polarity_problems(claim.statement, joined, skip)
        ]
        if claim.kind is ClaimKind.QUOTE and claim.speaker:
            paragraphs = "\n".join(paragraph_of(source.text, e.start) for e in evidence)
            named = [w for w in claim.speaker.split() if w[:1].isupper() and len(w) > 2]
            if not any(mentions(paragraphs, w) for w in named):
                problems.append(
                    f"the speaker “{claim.speaker}” is not named in the paragraph of the "
                    "evidence; name the speaker as the article does there"
                )
    return evidence, problems


def paragraph_of(text: str, at: int) -> str:
    """The paragraph around offset `at`: the block between blank lines, or the line if that
    block is long (articles that put one paragraph per line)."""
    start = max(text.rfind("\n\n", 0, at), -2) + 2
    end = text.find("\n\n", at)
    block = text[start : len(text) if end < 0 else end]
    if len(block) <= 1500:
        return block
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    return text[line_start : len(text) if line_end < 0 else line_end]


_SENTENCE_BREAK = re.compile(r"(?<=[.!?][”’\"')])\s+|(?<=[.!?])\s+|\n\s*")
MAX_HINTS = 2
"""Article sentences shown per number a repair must find evidence for."""


def number_passages(claim: ExtractedClaim, source: Source, decimal: str) -> list[str]:
    """Sentences of the article holding a number of the statement that its evidence lacks.

    A repair sees the verifier's diagnosis, which already quotes the passage closest to a
    missed quotation, and these, not the whole article."""
    joined = "\n".join(claim.evidence)
    missing = check_numbers(claim.statement, joined, decimal=decimal).missing
    found: list[str] = []
    for number in missing:
        hits = [
            sentence
            for part in _SENTENCE_BREAK.split(source.text)
            if (sentence := " ".join(part.split()))
            and check_numbers(number.text, sentence, decimal=decimal).ok
        ]
        found += [h for h in hits[:MAX_HINTS] if h not in found]
    return found


def describe_failures(
    failures: list[tuple[ExtractedClaim, list[str]]], source: Source, decimal: str
) -> str:
    """The repair request: each failing claim once, what is wrong, and the article text it
    needs. A claim is written as the composer sees one (`Claim 2 (quote, Ted Sarandos):
    statement | “passage”`) with the passages that were found; each passage that was not is
    quoted by its problem, with the article's closest passage, so none is sent twice."""
    index = index_for(source.text)
    blocks = []
    for number, (claim, problems) in enumerate(failures, 1):
        found = [f"“{unquoted(p)}”" for p in claim.evidence if index.find(p).ok]
        lines = [f"Claim {number}{tag_of(claim.kind, claim.speaker)}: "]
        lines[0] += " | ".join([claim.statement, *found])
        lines += [f"- {p}" for p in problems]
        passages = number_passages(claim, source, decimal)
        if passages:
            lines.append("Article sentences with those numbers:")
            lines += [f"- “{p}”" for p in passages]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def tag_of(kind: ClaimKind, speaker: str | None) -> str:
    """` (quote, Ted Sarandos)`: a claim's kind and speaker as listed to the model; nothing
    for a plain fact without a speaker."""
    parts = [p for p in ("" if kind is ClaimKind.FACT else kind.value, speaker) if p]
    return f" ({', '.join(parts)})" if parts else ""


async def extract_article(llm: LLM, source: Source) -> ArticleResult:
    """Extract, verify and (once) repair the claims of one article."""
    result = ArticleResult(source)
    prompt = load_prompt("extract")
    messages = prompt.render(source_id=source.id, article=source.text)
    try:
        drafted = await llm.create(ArticleClaims, messages, prompt_key=prompt.key, label=source.id)
    except ModelError as exc:
        result.error = ArticleError(source_id=source.id, path=source.path, error=str(exc))
        return result

    decimal = detect_decimal(source.text)  # once per article, not once per claim
    failures: list[tuple[ExtractedClaim, list[str]]] = []
    for claim in drafted.claims:
        evidence, problems = check_claim(claim, source, decimal)
        if problems:
            failures.append((claim, problems))
        else:
            result.claims.append(_claim(claim, source, evidence, repaired=False))
    if failures:
        await _repair(llm, source, failures, result, decimal)
    return result


async def _repair(
    llm: LLM,
    source: Source,
    failures: list[tuple[ExtractedClaim, list[str]]],
    result: ArticleResult,
    decimal: str,
) -> None:
    """One re-ask carrying every diagnosis and the passages it needs (not the article again);
    what still fails becomes a Rejection."""
    checked: dict[int, list[Evidence]] = {}

    def recheck(number: int, fix: object) -> tuple[ExtractedClaim | None, str]:
        assert isinstance(fix, ClaimRepair)
        try:
            repaired = fix.applied_to(failures[number - 1][0])
        except ValidationError as exc:
            return None, "; ".join(e["msg"] for e in exc.errors())
        evidence, problems = check_claim(repaired, source, decimal)
        checked[number] = evidence
        return (None, "; ".join(problems)) if problems else (repaired, "")

    prompt = load_prompt("repair_claims")
    failing = describe_failures(failures, source, decimal)
    outcomes, error = await repair_once(
        llm,
        ClaimRepairs,
        prompt,
        {"source_id": source.id, "failures": failing},
        label=source.id,
        diagnoses=["; ".join(problems) for _, problems in failures],
        recheck=recheck,
    )
    if error is not None:
        result.repair_error = ArticleError(
            source_id=source.id,
            path=source.path,
            error=f"repair call failed: {error}",
            stage="repair",
        )
    for number, ((claim, problems), outcome) in enumerate(zip(failures, outcomes, strict=True), 1):
        if outcome.result is not None:
            result.claims.append(_claim(outcome.result, source, checked[number], repaired=True))
        result.rejections.append(
            Rejection(
                stage="extract",
                outcome="repaired" if outcome.result is not None else "dropped",
                source_id=source.id,
                item=claim.statement,
                reason=outcome.reason or "; ".join(problems),
                repair_attempted=True,
            )
        )


def _claim(
    claim: ExtractedClaim, source: Source, evidence: list[Evidence], *, repaired: bool
) -> Claim:
    """A verified claim; its id is assigned once every article is done."""
    return Claim(
        id="",
        source_id=source.id,
        statement=claim.statement,
        kind=claim.kind,
        speaker=claim.speaker,
        evidence=evidence,
        repaired=repaired,
    )


async def extract_all(
    llm: LLM,
    sources: list[Source],
    *,
    on_done: Callable[[ArticleResult], None] | None = None,
) -> list[ArticleResult]:
    """Extract every article concurrently, results in source order.

    Every article starts at once; the LLM's limiter decides how many requests are in flight,
    and a repair waits ahead of fresh extractions, so repairs form their own wave right behind
    the extraction wave instead of each holding an article's slot."""

    async def one(source: Source) -> ArticleResult:
        result = await extract_article(llm, source)
        if on_done is not None:
            on_done(result)
        return result

    return number_claims(list(await asyncio.gather(*(one(s) for s in sources))))


def number_claims(results: list[ArticleResult]) -> list[ArticleResult]:
    """Give every verified claim its id, c1, c2, ... in source order, once all are done."""
    number = 0
    for result in results:
        for i, claim in enumerate(result.claims):
            number += 1
            result.claims[i] = claim.model_copy(update={"id": f"c{number}"})
    return results
