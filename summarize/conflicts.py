"""Where the sources differ.

Two detectors, both deterministic in what they accept:
- quantities: numbers in different sources' verified evidence that share a unit, a context
  word (e.g. "revenue") and a magnitude (within 1.35x), but not a value. Precision comes
  first: years, and bare numbers under 1,000 (counts, dates, ranks, "Channel 4"), are left
  out, since a false disagreement misleads as surely as a false quote;
- names and other wording: disagreements the composer proposes (which studio, which person),
  kept only when each position's value stands verbatim in the evidence of the claims it cites
  and the positions come from at least two sources with different values.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from summarize.models import (
    Citation,
    Claim,
    ComposedConflict,
    Conflict,
    ConflictPosition,
    Evidence,
    Rejection,
)
from summarize.numbers import Number, find_numbers
from summarize.words import STOPWORDS, content_words, stem

_MAX_RATIO = Decimal("1.35")  # values further apart than this measure different things
_MIN_BARE = 1000  # a number without unit below this is a count, date, rank or name ("Channel 4")
_NUMBER_WORDS = frozenset(
    stem(w)
    for w in "billion million thousand trillion percent cent dollars euros pounds usd eur gbp "
    "bn times fold".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_CLAUSE = re.compile(r",(?!\d)|[;:—–]|\.\s|\b(?:and|while|but|whereas|y|pero|mientras)\b")
_PAREN = re.compile(r"\([^()]*\)")


def citations(claim: Claim, evidence: list[Evidence] | None = None) -> list[Citation]:
    """Citations for a claim's evidence (all of it, or the spans given)."""
    return [
        Citation(
            source_id=claim.source_id, claim_id=claim.id, quote=e.quote, start=e.start, end=e.end
        )
        for e in (claim.evidence if evidence is None else evidence)
    ]


@dataclass(frozen=True)
class _Mention:
    claim: Claim
    evidence: Evidence
    number: Number
    words: dict[str, str]  # stem -> word as written


def _context(text: str, number: Number) -> dict[str, str]:
    """Content words of the clause holding the number ("Kmart ahead 15 percent"), so that a
    sentence giving two companies' figures pairs each figure with its own company.

    A parenthetical aside is looked past ("Sears (up $7.79, Research) stock up 22 percent").
    A clause with no word of its own ("…soared $7.70, or 17 percent"; "votos (32,72%)") takes
    the clause before it, or the one around its parentheses."""
    parens = [m.span() for m in _PAREN.finditer(text)]
    inside = next(((a, b) for a, b in parens if a < number.start < b), None)
    if inside:
        words = _clause_words(text, number, inside[0] + 1, inside[1] - 1, [])
        if words:
            return words
        parens = [span for span in parens if span != inside]
    return _clause_words(text, number, 0, len(text), parens)


def _clause_words(
    text: str, number: Number, lo_limit: int, hi_limit: int, hidden: list[tuple[int, int]]
) -> dict[str, str]:
    def visible(i: int) -> bool:
        return not any(a <= i < b for a, b in hidden)

    breaks = [m for m in _CLAUSE.finditer(text, lo_limit, hi_limit) if visible(m.start())]
    starts = [lo_limit] + [m.end() for m in breaks if m.end() <= number.start]
    hi = min((m.start() for m in breaks if m.start() >= number.end), default=hi_limit)
    found: dict[str, str] = {}
    for lo in reversed(starts):
        for m in _WORD.finditer(text, lo, hi):
            word = m[0]
            if (
                visible(m.start())
                and len(word) > 1
                and word.lower() not in STOPWORDS
                and stem(word) not in _NUMBER_WORDS
            ):
                found.setdefault(stem(word), word)
        if found:
            break
    return found


def common_words(claims: list[Claim]) -> set[str]:
    """Stems found in most claims (the story's own vocabulary): no evidence of one quantity."""
    counts = Counter(w for c in claims for w in content_words(c.statement))
    return {w for w, n in counts.items() if n > max(2, len(claims) * 0.3)}


def quantity_conflicts(claims: list[Claim], decimals: dict[str, str]) -> list[Conflict]:
    """Numbers that different sources give for the same quantity."""
    common = common_words(claims)
    groups: dict[tuple[str | None, str], list[_Mention]] = defaultdict(list)
    for claim in claims:
        for ev in claim.evidence:
            for number in find_numbers(ev.quote, decimal=decimals.get(claim.source_id)):
                if number.is_year or (number.unit is None and abs(number.value) < _MIN_BARE):
                    continue
                mention = _Mention(claim, ev, number, _context(ev.quote, number))
                # a shared unit and magnitude already say much; a bare number needs a word
                # beyond the story's own vocabulary to be the same quantity
                words = mention.words.keys() - (common if number.unit is None else set())
                for word in words:
                    groups[(number.unit, word)].append(mention)

    found: dict[frozenset[tuple[str, str]], tuple[list[str], list[_Mention]]] = {}
    for (_, word), mentions in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        for cluster in _clusters(mentions):
            key = frozenset((m.claim.id, str(m.number.value)) for m in cluster)
            words, _ = found.setdefault(key, ([], cluster))
            words.append(cluster[0].words[word])
    return [_conflict(words, cluster) for words, cluster in found.values()]


def _clusters(mentions: list[_Mention]) -> list[list[_Mention]]:
    """Mentions of one magnitude holding at least two values from at least two sources."""
    ordered = sorted(mentions, key=lambda m: m.number.value)
    out, current = [], []
    for m in ordered:
        if current and (
            m.number.value <= 0 or m.number.value > current[0].number.value * _MAX_RATIO
        ):
            out.append(current)
            current = []
        current.append(m)
    out.append(current)
    return [
        c
        for c in out
        if len({m.number.value for m in c}) > 1 and len({m.claim.source_id for m in c}) > 1
    ]


def _conflict(words: list[str], cluster: list[_Mention]) -> Conflict:
    by_value: dict[Decimal, list[_Mention]] = defaultdict(list)
    for m in cluster:
        by_value[m.number.value].append(m)
    positions = [
        ConflictPosition(
            value=ms[0].number.text,
            citations=[c for m in ms for c in citations(m.claim, [m.evidence])],
        )
        for _, ms in sorted(by_value.items())
    ]
    first = cluster[0].evidence.quote
    ordered = sorted(dict.fromkeys(words), key=lambda w: first.find(w) % (len(first) + 1))
    return Conflict(topic=" ".join(ordered), kind="quantity", positions=positions)


def _squash(text: str) -> str:
    return " ".join(text.split())


def checked_conflicts(
    proposed: list[ComposedConflict], claims_by_id: dict[str, Claim]
) -> tuple[list[Conflict], list[Rejection]]:
    """The composer's proposed disagreements whose every side checks out against evidence."""
    kept: list[Conflict] = []
    rejected: list[Rejection] = []
    for conflict in proposed:
        positions, problems = [], []
        for p in conflict.positions:
            value = _squash(p.value.strip(" \"“”‘’'"))
            spans = [
                (claim, e)
                for cid in p.claim_ids
                if (claim := claims_by_id.get(cid)) is not None
                for e in claim.evidence
                if value and value in _squash(e.quote)
            ]
            if not spans:
                problems.append(f"“{p.value}” is not in the evidence of {', '.join(p.claim_ids)}")
                continue
            positions.append(
                ConflictPosition(
                    value=value, citations=[c for cl, e in spans for c in citations(cl, [e])]
                )
            )
        sources = {c.source_id for p in positions for c in p.citations}
        if not problems and (len({p.value for p in positions}) < 2 or len(sources) < 2):
            problems.append("its positions do not come from two sources with different values")
        if problems:
            rejected.append(
                Rejection(
                    stage="compose", item=f"conflict: {conflict.topic}", reason="; ".join(problems)
                )
            )
        else:
            kind = "quantity" if any(ch.isdigit() for p in positions for ch in p.value) else "name"
            kept.append(Conflict(topic=conflict.topic, kind=kind, positions=positions))
    return kept, rejected
