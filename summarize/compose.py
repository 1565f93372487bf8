"""Compose stage: one model call writes the summary; every sentence is then checked.

A sentence is emitted only if, after unknown and unrelated citations are removed, it still
cites a verified claim, each of its numbers is value-equal to one in the cited evidence, and
each of its quotations stands verbatim in a cited source. A failing sentence gets one repair
re-ask with the diagnosis, then is dropped and recorded. A sentence backed by one source is
never shown as consensus: it moves to the single-source section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from summarize.conflicts import checked_conflicts, citations, common_words, quantity_conflicts
from summarize.errors import ModelError
from summarize.llm import LLM
from summarize.models import (
    ArticleError,
    Claim,
    ComposedSentence,
    ComposedSummary,
    Conflict,
    Rejection,
    Sentence,
    SentenceRepairs,
    Source,
)
from summarize.numbers import check_numbers, detect_decimal
from summarize.prompts import load_prompt
from summarize.verify import index_for, quotations
from summarize.words import content_words

SINGLE_SOURCE = -1


@dataclass
class Composition:
    title: str
    sentences: list[Sentence] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)  # a failed repair call


class SentenceChecker:
    """The deterministic checks every composed sentence must pass."""

    def __init__(self, claims: list[Claim], sources: list[Source]) -> None:
        self.claims = {c.id: c for c in claims}
        self.sources = {s.id: s for s in sources}
        self.decimals = {s.id: detect_decimal(s.text) for s in sources}
        self.common = common_words(claims)

    def check(self, draft: ComposedSentence, paragraph: int) -> tuple[Sentence | None, list[str]]:
        """The checked sentence, or None and the problems that sink it."""
        problems: list[str] = []
        unknown = [i for i in draft.claim_ids if i not in self.claims]
        if unknown:
            problems.append(f"cites unknown claim id(s) {', '.join(unknown)}")
        cited = [self.claims[i] for i in dict.fromkeys(draft.claim_ids) if i in self.claims]
        related = [c for c in cited if self._shares_something(draft.text, c)]
        for claim in cited:
            if claim not in related:
                problems.append(f"{claim.id} (“{claim.statement}”) says nothing this sentence says")
        if not related:
            problems.append("it cites no verified claim that supports it")
            return None, problems
        evidence = "\n".join(e.quote for c in related for e in c.evidence)
        decimal = self.decimals[related[0].source_id]
        numbers = check_numbers(draft.text, evidence, decimal=decimal)
        fatal = []
        if not numbers.ok:
            fatal.append(f"a number is not in the cited evidence: {numbers.diagnosis}")
        for _, _, quoted in quotations(draft.text):
            matches = [index_for(self.sources[c.source_id].text).find(quoted) for c in related]
            if not any(m.ok for m in matches):
                fatal.append(f"the quotation “{quoted}” is {matches[0].diagnosis}")
        if fatal:
            return None, problems + fatal
        sentence = Sentence(
            text=draft.text.strip(),
            citations=[cit for c in related for cit in citations(c)],
            paragraph=paragraph,
            support=len({c.source_id for c in related}),
        )
        return sentence, problems

    def _shares_something(self, text: str, claim: Claim) -> bool:
        """Over-citation test: a cited claim must share a content word or a number."""
        claim_text = claim.statement + " " + " ".join(e.quote for e in claim.evidence)
        words = content_words(text)
        shared = words & content_words(claim_text)
        if shared - self.common or (shared and not words - self.common):
            return True
        numbers = check_numbers(text, claim_text, decimal=self.decimals[claim.source_id])
        return any(n.matched is not None for n in numbers.numbers)


def claims_listing(claims: list[Claim], sources: list[Source]) -> str:
    """The composer's view: verified claims grouped by source, with their evidence."""
    blocks = []
    for source in sources:
        own = [c for c in claims if c.source_id == source.id]
        if not own:
            continue
        lines = [f"## Source {source.id}"]
        for c in own:
            speaker = f" ({c.speaker})" if c.speaker else ""
            quotes = " / ".join(f"“{' '.join(e.quote.split())}”" for e in c.evidence)
            lines.append(f"{c.id} | {c.kind.value}{speaker} | {c.statement} | {quotes}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def compose(llm: LLM, claims: list[Claim], sources: list[Source]) -> Composition:
    """Write, check, repair once, and place every sentence; raises ModelError on API failure."""
    prompt = load_prompt("compose")
    used = [s for s in sources if any(c.source_id == s.id for c in claims)]
    messages = prompt.render(source_count=str(len(used)), claims=claims_listing(claims, used))
    draft = await llm.create(ComposedSummary, messages, prompt_key=prompt.key, label="compose")

    checker = SentenceChecker(claims, sources)
    title, title_problem = _checked_title(draft.title, claims, sources)
    result = Composition(title=title)
    if title_problem:
        result.rejections.append(_note(f"title: {draft.title}", title_problem))
    drafts = [(s, i) for i, p in enumerate(draft.paragraphs) for s in p.sentences]
    drafts += [(s, SINGLE_SOURCE) for s in draft.single_source]

    placed: list[tuple[int, Sentence]] = []
    failures: list[tuple[int, ComposedSentence, int, list[str]]] = []
    for order, (text, paragraph) in enumerate(drafts):
        sentence, problems = checker.check(text, paragraph)
        if sentence is None:
            failures.append((order, text, paragraph, problems))
        else:
            placed.append((order, sentence))
            if problems:
                result.rejections.append(
                    _note(text.text, "citation removed: " + "; ".join(problems))
                )
    if failures:
        placed += await _repair(llm, messages, prompt.key, failures, checker, result)

    last = max(len(draft.paragraphs) - 1, 0)
    for _, sentence in sorted(placed, key=lambda p: p[0]):
        if sentence.paragraph != SINGLE_SOURCE and sentence.support < 2:
            sentence.paragraph = SINGLE_SOURCE
        elif sentence.paragraph == SINGLE_SOURCE and sentence.support >= 2:
            sentence.paragraph = last
        result.sentences.append(sentence)

    found = quantity_conflicts(claims, checker.decimals)
    proposed, rejected = checked_conflicts(draft.conflicts, checker.claims)
    result.conflicts = _merge_conflicts(found, proposed)
    result.rejections += rejected
    return result


async def _repair(
    llm: LLM,
    messages: list[dict[str, str]],
    prompt_key: str,
    failures: list[tuple[int, ComposedSentence, int, list[str]]],
    checker: SentenceChecker,
    result: Composition,
) -> list[tuple[int, Sentence]]:
    repair_prompt = load_prompt("repair_sentences")
    listing = "\n\n".join(
        f"Sentence {n}: {draft.model_dump_json()}\nProblems:\n" + "\n".join(f"- {p}" for p in probs)
        for n, (_, draft, _, probs) in enumerate(failures, 1)
    )
    llm.usage.repairs += 1
    try:
        answer = await llm.create(
            SentenceRepairs,
            messages + repair_prompt.render(failures=listing),
            prompt_key=f"{prompt_key}+{repair_prompt.key}",
            label="compose",
        )
        repairs, repair_error = {r.number: r.sentence for r in answer.repairs}, ""
    except ModelError as exc:
        repairs, repair_error = {}, f" (repair failed: {exc})"
        result.errors.append(ArticleError(error=f"repair call failed: {exc}", stage="repair"))
    placed = []
    for n, (order, draft, paragraph, problems) in enumerate(failures, 1):
        fixed = repairs.get(n)
        if fixed is not None:
            sentence, new_problems = checker.check(fixed, paragraph)
            if sentence is not None:
                sentence.repaired = True
                placed.append((order, sentence))
                continue
            reason = "still failing after repair: " + "; ".join(new_problems)
        elif n in repairs:
            reason = "dropped by the model on repair: " + "; ".join(problems)
        else:
            reason = "not repaired: " + "; ".join(problems) + repair_error
        result.rejections.append(_note(draft.text, reason, repair_attempted=True))
    return placed


def _merge_conflicts(found: list[Conflict], proposed: list[Conflict]) -> list[Conflict]:
    """Detected quantity conflicts first, labelled with the composer's topic when it names the
    same claims (a label without digits asserts nothing); then the composer's other conflicts."""
    merged = list(found)
    for conflict in proposed:
        ids = _claim_ids(conflict)
        same = [c for c in merged if c.kind == "quantity" and ids <= _claim_ids(c)]
        if not same:
            merged.append(conflict)
        elif not any(ch.isdigit() for ch in conflict.topic):
            same[0].topic = conflict.topic
    return merged


def _claim_ids(conflict: Conflict) -> set[str]:
    return {c.claim_id for p in conflict.positions for c in p.citations}


def _note(item: str, reason: str, *, repair_attempted: bool = False) -> Rejection:
    return Rejection(stage="compose", item=item, reason=reason, repair_attempted=repair_attempted)


def _checked_title(title: str, claims: list[Claim], sources: list[Source]) -> tuple[str, str]:
    """The composer's title if its numbers and quotations are backed; a plain one otherwise."""
    evidence = "\n".join(e.quote for c in claims for e in c.evidence)
    numbers = check_numbers(title, evidence)
    if not numbers.ok:
        return f"What {len(sources)} sources report", f"title replaced: {numbers.diagnosis}"
    for _, _, quoted in quotations(title):
        if not any(index_for(s.text).find(quoted).ok for s in sources):
            return (
                f"What {len(sources)} sources report",
                f"title replaced: “{quoted}” is unverified",
            )
    return title.strip(), ""
