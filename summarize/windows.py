"""Long articles: extraction in overlapping windows, claims verified against the whole text.

An article longer than one window is cut at paragraph boundaries (failing that, at sentence
ends, then at spaces) into windows of at most `size` characters; each window repeats the
last `overlap` characters or so of the one before, so a claim that straddles a cut is whole
in one of them. Each window is extracted like an article of its own (its own call, its own
repair). Its claims are then verified again against the WHOLE source text, so every span is
a span of the original article, found by the verifier and not by arithmetic; claims the
overlap made twice are kept once.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from summarize.extract import ArticleResult, check_claim, extract_all, number_claims
from summarize.llm import LLM
from summarize.models import ArticleError, Claim, ExtractedClaim, Rejection, Source
from summarize.numbers import detect_decimal
from summarize.settings import DEFAULT_WINDOW_CHARS
from summarize.sources import source_from_text

_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*|\u2029\s*")
_SENTENCE = re.compile(r"[.!?…][\"'”’»)\]]*\s+")


@dataclass(frozen=True)
class Window:
    """text[start:end] of an article: window `number` of `total`."""

    start: int
    end: int
    number: int
    total: int


def overlap_for(size: int) -> int:
    """The overlap used with windows of `size` characters: a twentieth of it."""
    return size // 20


def split_windows(text: str, size: int, overlap: int | None = None) -> list[Window]:
    """Windows covering `text`, each at most `size` characters, each starting inside the end of
    the one before (by at most `overlap` characters); cuts fall between paragraphs when one is
    near, else after a sentence, else at a space."""
    if size < 1:
        raise ValueError("window size must be at least 1")
    overlap = overlap_for(size) if overlap is None else min(overlap, size // 4)
    if len(text) <= size:
        return [Window(0, len(text), 1, 1)]
    cuts = _Cuts(text)
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        if len(text) - start <= size:
            spans.append((start, len(text)))
            break
        end = cuts.last(start + size // 2, start + size)
        spans.append((start, end))
        start = cuts.first(end - overlap, end) if overlap else end
    return [Window(a, b, n, len(spans)) for n, (a, b) in enumerate(spans, 1)]


class _Cuts:
    """Candidate cut positions of one text, best kind first: paragraphs, sentences, spaces."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.kinds = [
            [m.end() for m in _PARAGRAPH.finditer(text)],
            [m.end() for m in _SENTENCE.finditer(text)],
        ]

    def last(self, lo: int, hi: int) -> int:
        """The latest cut in (lo, hi]; hi itself when there is none."""
        for positions in self.kinds:
            i = bisect.bisect_right(positions, hi)
            if i and positions[i - 1] > lo:
                return positions[i - 1]
        space = self.text.rfind(" ", lo + 1, hi)
        return space + 1 if space >= 0 else hi

    def first(self, lo: int, hi: int) -> int:
        """The earliest cut in [lo, hi), for the most overlap; hi when there is none."""
        for positions in self.kinds:
            i = bisect.bisect_left(positions, lo)
            if i < len(positions) and positions[i] < hi:
                return positions[i]
        space = self.text.find(" ", lo, hi)
        return space + 1 if space >= 0 else hi


def window_sources(source: Source, size: int) -> list[tuple[Window, Source]]:
    """The windows of one source, each as a Source of its own for the extraction stage."""
    windows = split_windows(source.text, size)
    if len(windows) == 1:
        return [(windows[0], source)]
    parts = []
    for w in windows:
        part = source_from_text(
            source.text[w.start : w.end], f"{source.id} (part {w.number} of {w.total})"
        )
        parts.append((w, part.model_copy(update={"path": source.path})))
    return parts


def window_count(sources: list[Source], size: int) -> int:
    """How many extraction calls (windows) the sources take, repairs aside."""
    return sum(len(split_windows(s.text, size)) if len(s.text) > size else 1 for s in sources)


async def extract_windowed(
    llm: LLM,
    sources: list[Source],
    *,
    window_chars: int = DEFAULT_WINDOW_CHARS,
    on_done: Callable[[ArticleResult], None] | None = None,
) -> list[ArticleResult]:
    """extract_all, with every long source read in windows and its results joined into one.

    Results come back one per source, in source order, with claim ids c1, c2, ... in order."""
    plan = [(source, window_sources(source, window_chars)) for source in sources]
    parts = [part for _, windows in plan for _, part in windows]
    results = iter(await extract_all(llm, parts, on_done=on_done))
    joined = []
    for source, windows in plan:
        own = [next(results) for _ in windows]
        joined.append(own[0] if len(windows) == 1 else _join(source, own))
    return number_claims(joined)


def _join(source: Source, parts: list[ArticleResult]) -> ArticleResult:
    """One source's result from its windows' results: claims verified again on the whole text,
    and what a window's overlap repeats from an earlier window (the same statement, or the same
    evidence spans; the same rejected item) kept once; errors carried under the source's id."""
    joined = ArticleResult(source)
    decimal = detect_decimal(source.text)
    earlier: set[object] = set()
    for part in parts:
        own: set[object] = set()
        for claim in part.claims:
            checked = _reverified(claim, source, decimal)
            if isinstance(checked, Rejection):
                joined.rejections.append(checked)
                continue
            keys = {_statement_key(checked.statement), _evidence_key(checked)}
            if not keys & earlier:
                joined.claims.append(checked)
                own |= keys
        for rejection in part.rejections:
            key = _statement_key(rejection.item)
            if key not in earlier:
                joined.rejections.append(rejection.model_copy(update={"source_id": source.id}))
                own.add(key)
        earlier |= own
        if part.error is not None and joined.error is None:
            joined.error = ArticleError(
                source_id=source.id, path=source.path, error=part.error.error
            )
        if part.repair_error is not None and joined.repair_error is None:
            joined.repair_error = part.repair_error.model_copy(
                update={"source_id": source.id, "path": source.path}
            )
    return joined


def _reverified(claim: Claim, source: Source, decimal: str) -> Claim | Rejection:
    """The window's claim checked against the whole article, with spans into its text."""
    drafted = ExtractedClaim(
        statement=claim.statement,
        kind=claim.kind,
        speaker=claim.speaker,
        evidence=[e.cited for e in claim.evidence],
    )
    evidence, problems = check_claim(drafted, source, decimal)
    if problems:
        return Rejection(
            stage="extract",
            source_id=source.id,
            item=claim.statement,
            reason="verified in its window but not in the whole article: " + "; ".join(problems),
            repair_attempted=claim.repaired,
        )
    return claim.model_copy(update={"source_id": source.id, "evidence": evidence})


def _statement_key(statement: str) -> tuple[str, str]:
    return ("statement", " ".join(statement.casefold().split()))


def _evidence_key(claim: Claim) -> tuple[str, frozenset[tuple[int, int]]]:
    return ("evidence", frozenset((e.start, e.end) for e in claim.evidence))
