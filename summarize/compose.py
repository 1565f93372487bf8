"""Compose stage: one model call writes the summary; every sentence is then checked.

The footnote rule: a footnote on a sentence means that source itself backs every checkable part
of the sentence. So each cited source is checked on its own, against the claims of it that the
sentence cites: every number of the sentence must be value-equal to one in that source's cited
evidence, every quotation must stand verbatim in that source, every proper name must be in a
cited claim of it, words the sentence attributes to someone must be attributed to them there,
and its negations must match. A source that fails loses its citation (recorded); `support`
counts the sources that remain. Words in quotation marks must also be quoted speech in at least
one cited source. A sentence left with no source, or with a paraphrase in quotation marks, gets
one repair re-ask with the diagnosis, then is dropped and recorded. A sentence backed by one
source is never shown as consensus: it moves to the single-source section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from summarize.anchors import (
    Name,
    attributions,
    mentions,
    polarity_problems,
    proper_names,
    same_person,
    vocabulary_test,
)
from summarize.conflicts import checked_conflicts, quantity_conflicts
from summarize.extract import tag_of
from summarize.llm import LLM
from summarize.models import (
    ArticleError,
    Claim,
    ClaimKind,
    ComposedSentence,
    ComposedSummary,
    Conflict,
    Rejection,
    Section,
    Sentence,
    SentenceRepairs,
    Source,
)
from summarize.numbers import check_numbers, detect_decimal
from summarize.prompts import load_prompt
from summarize.repair import repair_once
from summarize.verify import index_for, is_quoted_speech, quotations
from summarize.words import common_words, content_words, unquoted

Place = tuple[Section, int]
"""A drafted sentence's section and its paragraph there."""
SINGLE_SOURCE: Place = ("single_source", 0)


@dataclass
class Composition:
    title: str
    sentences: list[Sentence] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)  # a failed repair call


@dataclass
class Removal:
    """Citations of one source (or unknown ids) taken off a sentence, and why."""

    source_id: str | None
    claim_ids: list[str]
    reasons: list[str]


@dataclass
class Verdict:
    """What the checks made of one drafted sentence."""

    sentence: Sentence | None
    removed: list[Removal] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """The diagnosis for the repair re-ask: claim ids included, so the model can act."""
        out = [f"{', '.join(r.claim_ids)}: {'; '.join(r.reasons)}" for r in self.removed]
        return out + self.fatal

    def reasons(self) -> str:
        """The same, for people: sources by id, no claim ids."""
        parts = [
            f"{r.source_id}: {'; '.join(r.reasons)}" if r.source_id else "; ".join(r.reasons)
            for r in self.removed
        ]
        return "; ".join(self.fatal + parts)


def quote_spans(text: str, quoted: str) -> list[tuple[int, int]]:
    """Where `quoted` stands verbatim in `text` (every occurrence where it can tell); a short
    quotation (two words) is located word-bounded, since as a phrase in quotation marks it is
    checkable even though it is too short to serve as evidence."""
    index = index_for(text)
    match = index.find(quoted)
    if match.ok:
        assert match.start is not None and match.end is not None
        return index.locate_all(quoted) or [(match.start, match.end)]
    return index.locate_all(quoted) if match.kind == "too_short" else []


class SentenceChecker:
    """The deterministic checks every composed sentence must pass, source by source."""

    def __init__(self, claims: list[Claim], sources: list[Source]) -> None:
        self.claims = {c.id: c for c in claims}
        self.sources = {s.id: s for s in sources}
        self.decimals = {s.id: detect_decimal(s.text) for s in sources}
        self.common = common_words([c.statement for c in claims])
        self.is_common: Callable[[str], bool] = vocabulary_test(
            [s.text for s in sources] + [c.statement for c in claims]
        )

    def check(self, draft: ComposedSentence, place: Place) -> Verdict:
        """The checked sentence (or None), the citations removed, and what sinks it."""
        text = draft.text.strip()
        verdict = Verdict(sentence=None)
        unknown = [i for i in dict.fromkeys(draft.claim_ids) if i not in self.claims]
        if unknown:
            verdict.removed.append(Removal(None, unknown, ["cites a claim that does not exist"]))
        by_source: dict[str, list[Claim]] = {}
        for claim in (self.claims[i] for i in dict.fromkeys(draft.claim_ids) if i in self.claims):
            if self._shares_something(text, claim):
                by_source.setdefault(claim.source_id, []).append(claim)
            else:
                verdict.removed.append(
                    Removal(
                        claim.source_id,
                        [claim.id],
                        [f"its cited claim “{unquoted(claim.statement)}” says nothing of this"],
                    )
                )

        quoted = quotations(text)
        skip = [(a, b) for a, b, _ in quoted]
        names = proper_names(text, is_common=self.is_common, skip=skip)
        speakers = attributions(text, names)
        backing: dict[str, list[Claim]] = {}
        for source_id, claims in by_source.items():
            reasons = self._source_problems(text, quoted, skip, names, speakers, source_id, claims)
            if reasons:
                verdict.removed.append(Removal(source_id, [c.id for c in claims], reasons))
            else:
                backing[source_id] = claims
        if not backing:
            verdict.fatal.append("no cited source backs this sentence")
            return verdict
        for _, _, words in quoted:
            sources = [self.sources[sid].text for sid in backing]
            if not any(
                is_quoted_speech(t, a, b) for t in sources for a, b in quote_spans(t, words)
            ):
                verdict.fatal.append(
                    f"it puts “{unquoted(words)}” in quotation marks, but no cited source quotes "
                    "those words as someone's speech (report a paraphrase without quotation marks)"
                )
        if verdict.fatal:
            return verdict
        verdict.sentence = Sentence(
            text=text,
            citations=[cit for claims in backing.values() for c in claims for cit in c.citations()],
            section=place[0],
            paragraph=place[1],
            support=len(backing),
        )
        return verdict

    def _source_problems(
        self,
        text: str,
        quoted: list[tuple[int, int, str]],
        skip: list[tuple[int, int]],
        names: list[Name],
        speakers: list[Name],
        source_id: str,
        claims: list[Claim],
    ) -> list[str]:
        """Why this source, through the claims of it the sentence cites, does not back it."""
        source = self.sources[source_id]
        evidence = "\n".join(e.quote for c in claims for e in c.evidence)
        said = "\n".join([c.statement for c in claims] + [evidence])
        reasons = []
        numbers = check_numbers(text, evidence, decimal=self.decimals[source_id])
        for n in numbers.missing:
            reasons.append(f"its cited evidence does not state “{n.text}” ({n.reason})")
        for _, _, words in quoted:
            if not quote_spans(source.text, words):
                diagnosis = index_for(source.text).find(words).diagnosis
                reasons.append(
                    f"it does not contain the quotation “{unquoted(words)}” ({diagnosis})"
                )
        for name in names:
            if not mentions(said, name.text):
                reasons.append(f"its cited claims do not name “{name.text}”")
        said_by = [c.speaker for c in claims if c.speaker] if speakers else []
        if speakers:
            texts = [c.statement for c in claims] + [evidence]
            said_by += [a.text for t in texts for a in attributions(t)]
        for speaker in speakers:
            if not any(same_person(speaker.text, other) for other in said_by):
                reasons.append(f"its cited claims do not attribute this to “{speaker.text}”")
        reasons += polarity_problems(text, said, skip)
        return reasons

    def _shares_something(self, text: str, claim: Claim) -> bool:
        """Over-citation test: a cited claim must share a content word or a number."""
        claim_text = claim.statement + " " + " ".join(e.quote for e in claim.evidence)
        words = content_words(text)
        shared = words & content_words(claim_text)
        if shared - self.common or (shared and not words - self.common):
            return True
        numbers = check_numbers(text, claim_text, decimal=self.decimals[claim.source_id])
        return any(n.matched is not None for n in numbers.numbers)


_QUOTE_MARKS = set('“”„«»"')


CLAIM_LINE = re.compile(
    r"^(?P<id>c\d+)(?: \((?P<tag>[^)\n]*)\))?: (?P<statement>.*?)(?: \| “.*)?$", re.MULTILINE
)
"""Reads back the lines `claim_line` writes: id, kind and speaker, statement."""


def claim_line(claim: Claim) -> str:
    """`c5 (quote, Ted Sarandos): statement | “passage”`: the kind and speaker unless a plain
    fact, then the statement; evidence only where it adds words a sentence may quote (a quote
    claim's, or a passage with quotation marks). Otherwise the statement already says what its
    evidence says (a median 88% of its words are in it)."""
    passages = [" ".join(e.quote.split()) for e in claim.evidence]
    if claim.kind is not ClaimKind.QUOTE:
        passages = [p for p in passages if _QUOTE_MARKS & set(p)]
    line = f"{claim.id}{tag_of(claim.kind, claim.speaker)}: "
    return line + " | ".join([claim.statement, *(f"“{p}”" for p in passages)])


def claims_listing(claims: list[Claim], sources: list[Source]) -> str:
    """The composer's view: every verified claim once, grouped by source."""
    blocks = []
    for source in sources:
        own = [c for c in claims if c.source_id == source.id]
        if own:
            blocks.append("\n".join([f"## Source {source.id}", *map(claim_line, own)]))
    return "\n\n".join(blocks)


async def compose(llm: LLM, claims: list[Claim], sources: list[Source]) -> Composition:
    """Write, check, repair once, and place every sentence; raises ModelError on API failure."""
    prompt = load_prompt("compose")
    used = [s for s in sources if any(c.source_id == s.id for c in claims)]
    messages = prompt.render(source_count=str(len(used)), claims=claims_listing(claims, used))
    draft = await llm.create(
        ComposedSummary, messages, prompt_key=prompt.key, label="compose", urgent=True
    )

    checker = SentenceChecker(claims, sources)
    title, title_problem = checked_title(draft.title, claims, sources, checker.is_common)
    result = Composition(title=title)
    if title_problem:
        result.rejections.append(
            Rejection(
                stage="compose", outcome="title replaced", item=draft.title, reason=title_problem
            )
        )
    drafts = drafted(draft)

    placed: list[tuple[int, Sentence]] = []
    failures: list[tuple[int, ComposedSentence, Place, Verdict]] = []
    for order, (text, place) in enumerate(drafts):
        verdict = checker.check(text, place)
        if verdict.sentence is None:
            failures.append((order, text, place, verdict))
        else:
            placed.append((order, verdict.sentence))
            result.rejections += removals(verdict)
    if failures:
        placed += await _repair(llm, failures, checker, result)

    result.sentences = [sentence for _, sentence in sorted(placed, key=lambda p: p[0])]
    place_by_support(result.sentences, last=max(len(draft.paragraphs) - 1, 0))

    found = quantity_conflicts(claims, checker.decimals)
    proposed, rejected = checked_conflicts(
        draft.conflicts, checker.claims, checker.decimals, checker.is_common
    )
    result.conflicts = _merge_conflicts(found, proposed)
    result.rejections += rejected
    return result


def drafted(draft: ComposedSummary) -> list[tuple[ComposedSentence, Place]]:
    """The draft's sentences in order, each with the place the composer gave it."""
    places: list[tuple[ComposedSentence, Place]] = [
        (s, ("consensus", i)) for i, p in enumerate(draft.paragraphs) for s in p.sentences
    ]
    return places + [(s, SINGLE_SOURCE) for s in draft.single_source]


def place_by_support(sentences: list[Sentence], *, last: int) -> None:
    """One source is never consensus; more than one is never "reported by one source only"
    (such a sentence joins the last consensus paragraph)."""
    for sentence in sentences:
        if sentence.section == "consensus" and sentence.support < 2:
            sentence.section, sentence.paragraph = SINGLE_SOURCE
        elif sentence.section == "single_source" and sentence.support >= 2:
            sentence.section, sentence.paragraph = "consensus", last


def removals(verdict: Verdict) -> list[Rejection]:
    """One "citation removed" record per source a kept sentence no longer cites."""
    assert verdict.sentence is not None
    return [
        Rejection(
            stage="compose",
            outcome="citation removed",
            source_id=r.source_id,
            item=verdict.sentence.text,
            reason="; ".join(r.reasons),
        )
        for r in verdict.removed
    ]


def describe_sentence_failures(
    failures: list[tuple[int, ComposedSentence, Place, Verdict]], claims: dict[str, Claim]
) -> str:
    """The compose repair request: each failing sentence with the ids it cites
    (`Sentence 2 [c4, c9]: text`), its problems (which quote the numbers and passages it
    should have used) and the claims it cites, listed as for the composer; not the whole
    listing again."""
    blocks = []
    for n, (_, draft, _, verdict) in enumerate(failures, 1):
        lines = [f"Sentence {n} [{', '.join(draft.claim_ids)}]: {' '.join(draft.text.split())}"]
        lines += [f"- {p}" for p in verdict.problems()]
        lines += [claim_line(claims[i]) for i in dict.fromkeys(draft.claim_ids) if i in claims]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def _repair(
    llm: LLM,
    failures: list[tuple[int, ComposedSentence, Place, Verdict]],
    checker: SentenceChecker,
    result: Composition,
) -> list[tuple[int, Sentence]]:
    """One re-ask with the failing sentences and the claims they cite; what still fails is
    dropped and recorded, a passing repair stands in the draft's place."""
    verdicts: dict[int, Verdict] = {}

    def recheck(number: int, fix: object) -> tuple[Sentence | None, str]:
        assert isinstance(fix, ComposedSentence)
        verdicts[number] = again = checker.check(fix, failures[number - 1][2])
        return again.sentence, again.reasons()

    prompt = load_prompt("repair_sentences")
    outcomes, error = await repair_once(
        llm,
        SentenceRepairs,
        prompt,
        {"failures": describe_sentence_failures(failures, checker.claims)},
        label="compose",
        diagnoses=[verdict.reasons() for *_, verdict in failures],
        recheck=recheck,
    )
    if error is not None:
        result.errors.append(ArticleError(error=f"repair call failed: {error}", stage="repair"))
    placed = []
    for number, ((order, draft, _, verdict), outcome) in enumerate(
        zip(failures, outcomes, strict=True), 1
    ):
        sentence = outcome.result
        result.rejections.append(
            Rejection(
                stage="compose",
                outcome="repaired" if sentence is not None else "dropped",
                item=draft.text,
                reason=outcome.reason or verdict.reasons(),
                repair_attempted=True,
            )
        )
        if sentence is not None:
            sentence.repaired = True
            placed.append((order, sentence))
            result.rejections += removals(verdicts[number])
    return placed


def _merge_conflicts(found: list[Conflict], proposed: list[Conflict]) -> list[Conflict]:
    """Detected quantity conflicts first, labelled with the composer's topic when it names the
    same claims (a label without digits asserts nothing); then the composer's other conflicts."""
    merged = list(found)
    for conflict in proposed:
        ids = _claim_ids(conflict)
        same = [c for c in merged if c.kind != "name" and ids <= _claim_ids(c)]
        if not same:
            merged.append(conflict)
        elif not any(ch.isdigit() for ch in conflict.topic):
            same[0].topic = conflict.topic
    return merged


def _claim_ids(conflict: Conflict) -> set[str]:
    return {c.claim_id for p in conflict.positions for c in p.citations}


def checked_title(
    title: str, claims: list[Claim], sources: list[Source], is_common: Callable[[str], bool]
) -> tuple[str, str]:
    """The composer's title if its numbers, quotations and names are backed by the verified
    claims; a plain one and the reason otherwise."""
    plain = f"What {len(sources)} sources report"
    evidence = "\n".join(e.quote for c in claims for e in c.evidence)
    said = "\n".join([c.statement for c in claims] + [evidence])
    numbers = check_numbers(title, evidence)
    if not numbers.ok:
        return plain, f"a number is not in any verified evidence: {numbers.diagnosis}"
    quoted = quotations(title)
    for _, _, words in quoted:
        if not any(
            is_quoted_speech(s.text, a, b) for s in sources for a, b in quote_spans(s.text, words)
        ):
            return plain, f"“{unquoted(words)}” is not quoted speech in any source"
    skip = [(a, b) for a, b, _ in quoted]
    for name in proper_names(title, is_common=is_common, skip=skip):
        if not mentions(said, name.text):
            return plain, f"no verified claim names “{name.text}”"
    for problem in polarity_problems(title, said, skip):
        if "no such negation" in problem:
            return plain, problem.replace("the cited evidence", "no verified claim")
    return title.strip(), ""
