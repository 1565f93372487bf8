"""Extraction stage: one model call per article; the verifier decides which claims survive.

A claim survives only if every evidence passage is found in its article, every quotation in its
statement is found there too, and every number in the statement is value-equal to a number in
its own evidence. Claims that fail get one repair re-ask carrying the verifier's diagnosis; what
still fails is dropped and recorded as a Rejection. A model failure ends that article alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from summarize.errors import ModelError
from summarize.llm import LLM
from summarize.models import (
    ArticleClaims,
    ArticleError,
    Claim,
    ClaimRepairs,
    Evidence,
    ExtractedClaim,
    Rejection,
    Source,
)
from summarize.numbers import check_numbers, detect_decimal
from summarize.prompts import load_prompt
from summarize.verify import index_for, quotations


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
            problems.append(f"evidence “{passage}” is {match.diagnosis}")
    for _, _, quoted in quotations(claim.statement):
        match = index.find(quoted)
        if not match.ok:
            problems.append(f"the statement quotes “{quoted}”, which is {match.diagnosis}")
    if evidence:
        joined = "\n".join(e.quote for e in evidence)
        notation = decimal or detect_decimal(source.text)
        numbers = check_numbers(claim.statement, joined, decimal=notation)
        if not numbers.ok:
            problems.append(
                f"a number in the statement is not in its evidence: {numbers.diagnosis}"
            )
    return evidence, problems


def _describe_failures(failures: list[tuple[ExtractedClaim, list[str]]]) -> str:
    blocks = []
    for number, (claim, problems) in enumerate(failures, 1):
        listed = "\n".join(f"- {p}" for p in problems)
        blocks.append(f"Claim {number}:\n{claim.model_dump_json()}\nProblems:\n{listed}")
    return "\n\n".join(blocks)


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
        await _repair(llm, source, messages, prompt.key, failures, result, decimal)
    return result


async def _repair(
    llm: LLM,
    source: Source,
    messages: list[dict[str, str]],
    prompt_key: str,
    failures: list[tuple[ExtractedClaim, list[str]]],
    result: ArticleResult,
    decimal: str,
) -> None:
    """One re-ask carrying every diagnosis; what still fails becomes a Rejection."""
    repair_prompt = load_prompt("repair_claims")
    llm.usage.repairs += 1
    try:
        answer = await llm.create(
            ClaimRepairs,
            messages + repair_prompt.render(failures=_describe_failures(failures)),
            prompt_key=f"{prompt_key}+{repair_prompt.key}",
            label=source.id,
        )
        repairs = {r.number: r for r in answer.repairs}
        repair_error = None
    except ModelError as exc:
        repairs, repair_error = {}, str(exc)
        result.repair_error = ArticleError(
            source_id=source.id,
            path=source.path,
            error=f"repair call failed: {exc}",
            stage="repair",
        )

    for number, (claim, problems) in enumerate(failures, 1):
        repair = repairs.get(number)
        if repair is not None and repair.claim is not None:
            evidence, new_problems = check_claim(repair.claim, source, decimal)
            if not new_problems:
                result.claims.append(_claim(repair.claim, source, evidence, repaired=True))
                continue
            reason = "still unverified after repair: " + "; ".join(new_problems)
        elif repair is not None:
            reason = "withdrawn by the model on repair: " + "; ".join(problems)
        elif repair_error is not None:
            reason = "; ".join(problems) + f" (repair failed: {repair_error})"
        else:
            reason = "not repaired: " + "; ".join(problems)
        result.rejections.append(
            Rejection(
                stage="extract",
                source_id=source.id,
                item=claim.statement,
                reason=reason,
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
    concurrency: int,
    on_done: Callable[[ArticleResult], None] | None = None,
) -> list[ArticleResult]:
    """Extract every article concurrently, at most `concurrency` at a time, in source order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(source: Source) -> ArticleResult:
        async with gate:
            result = await extract_article(llm, source)
        if on_done is not None:
            on_done(result)
        return result

    results = await asyncio.gather(*(one(s) for s in sources))
    number = 0
    for result in results:
        for i, claim in enumerate(result.claims):
            number += 1
            result.claims[i] = claim.model_copy(update={"id": f"c{number}"})
    return results
