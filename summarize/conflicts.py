"""Where the sources differ.

Two detectors, both deterministic in what they accept:
- quantities: numbers in different sources' verified evidence that share a unit, a context
  word (of the number's clause, or of the claim's statement around the same figure: its
  subject) and a magnitude (within 1.35x), but not a value. Precision comes first: years, dates
  and bare numbers under 1,000 (ranks, "Channel 4") are left out unless the clause counts
  something (people killed, seats, votes), since a false disagreement misleads as surely as a
  false quote;
- names and other wording: disagreements the composer proposes (which studio, which person),
  kept only when each position's value stands word-bounded in the evidence of the claims it
  cites (numbers value-equal), the topic states no number or name that evidence lacks, and
  the positions come from at least two sources with different values.

Values that differ only in precision (a rounding: "11 billion" and "11.08 billion"; a bound
that the other satisfies: "more than $2 billion" and "$2.5 billion", "at least 128" and "129")
are shown as kind "precision", never as a contradiction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from summarize.anchors import mentions, proper_names
from summarize.models import (
    Claim,
    ComposedConflict,
    Conflict,
    ConflictPosition,
    Evidence,
    Rejection,
)
from summarize.numbers import Number, check_numbers, find_numbers
from summarize.verify import index_for
from summarize.words import STOPWORDS, common_words, stem

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
# What a bare count under 1,000 may count, by the words around it; words of one class name one
# quantity however the outlet puts it ("killed 127 people", "the death toll rose to 129").
_COUNT_CLASSES = {
    "deaths": "killed dead deaths death died toll fatalities lives muertos fallecidos",
    "injured": "injured wounded hurt injuries heridos",
    "people": "people persons residents passengers victims civilians soldiers children",
    "seats": "seats escaños",
    "votes": "votes voters votos",
    "jobs": "jobs employees workers staff",
    "homes": "homes houses buildings",
    "cases": "cases patients infections",
    "arrests": "arrests arrested detained",
    "missing": "missing evacuated displaced",
}
_COUNTED = {stem(w): cls for cls, words in _COUNT_CLASSES.items() for w in words.split()}
_MONTH = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$")
_BOUND = re.compile(
    r"(?i)\b(?P<bound>at least|more than|over|above|upwards of|in excess of|just over|"
    r"at most|less than|fewer than|under|below|up to|no more than|just under|"
    r"about|around|approximately|roughly|some|an estimated|close to|nearly|almost)\s*$"
)
_LOWER_BOUNDS = (
    "at least",
    "more than",
    "over",
    "above",
    "upwards of",
    "in excess of",
    "just over",
)
_UPPER_BOUNDS = ("at most", "less than", "fewer than", "under", "below", "up to", "no more than")
_NEAR_BELOW = ("nearly", "almost", "just under")


@dataclass(frozen=True)
class Reading:
    """A figure as its sentence states it: value, the precision it is written to, and the
    range a bound word gives it ("more than 2" is (2, inf); "about 10" is 9 to 11)."""

    text: str
    value: Decimal
    quantum: Decimal
    low: Decimal | None
    high: Decimal | None
    bound: str | None


def reading(number: Number, before: str, decimal: str) -> Reading:
    """Read `number`, with the text `before` it for a bound word."""
    body = re.search(r"\d[\d.,\u00a0\u202f ]*\d|\d", number.text)
    quantum = Decimal(1)
    if body:
        digits = body.group()
        fraction = digits.rsplit(decimal, 1)[1] if decimal in digits else ""
        fraction = fraction if fraction.isdigit() else ""
        written = Decimal(re.sub(r"\D", "", digits) or "0") / Decimal(10) ** len(fraction)
        scale = abs(number.value) / written if written else Decimal(1)
        quantum = scale / Decimal(10) ** len(fraction)
    v = number.value
    m = _BOUND.search(before[-30:])
    bound = m.group("bound").lower() if m else None
    low: Decimal | None = v
    high: Decimal | None = v
    if bound in _LOWER_BOUNDS:
        high = None
    elif bound in _UPPER_BOUNDS:
        low = None
    elif bound in _NEAR_BELOW:
        low = v * Decimal("0.9")
    elif bound is not None:
        low, high = v * Decimal("0.9"), v * Decimal("1.1")
    return Reading(number.text, v, quantum, low, high, bound)


def relation(a: Reading, b: Reading) -> str:
    """ "same", "bound", "rounding" or "contradiction" between two readings of one quantity."""
    if a.value == b.value:
        return "same"
    for x, y in ((a, b), (b, a)):
        inside = (x.low is None or x.low <= y.value) and (x.high is None or y.value <= x.high)
        if x.bound and inside:
            return "bound"
    for coarse, fine in ((a, b), (b, a)):
        if coarse.quantum > fine.quantum and coarse.bound is None:
            steps = (fine.value / coarse.quantum).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            if steps * coarse.quantum == coarse.value:
                return "rounding"
    return "contradiction"


def classify(readings: list[Reading]) -> tuple[str, str]:
    """("precision", note) when every pair of distinct values is a rounding or a bound of the
    other; ("quantity", "") when any pair contradicts."""
    notes = []
    for i, a in enumerate(readings):
        for b in readings[i + 1 :]:
            kind = relation(a, b)
            if kind == "contradiction":
                return "quantity", ""
            if kind == "rounding":
                coarse, fine = (a, b) if a.quantum > b.quantum else (b, a)
                notes.append(f"“{coarse.text}” is a rounding of “{fine.text}”")
            elif kind == "bound":
                bounded, other = (a, b) if a.bound else (b, a)
                notes.append(f"“{bounded.bound} {bounded.text}” includes “{other.text}”")
    note = "; ".join(dict.fromkeys(notes))
    return "precision", f"a difference of precision, not a contradiction: {note}"


@dataclass(frozen=True)
class _Mention:
    claim: Claim
    evidence: Evidence
    number: Number
    words: dict[str, str]  # stem -> word as written
    reading: Reading


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


def quantity_conflicts(claims: list[Claim], decimals: dict[str, str]) -> list[Conflict]:
    """Numbers that different sources give for the same quantity."""
    common = common_words([c.statement for c in claims])
    groups: dict[tuple[str | None, str], list[_Mention]] = defaultdict(list)
    for claim in claims:
        decimal = decimals.get(claim.source_id) or "."
        stated = find_numbers(claim.statement, decimal=decimal)
        for ev in claim.evidence:
            for number in find_numbers(ev.quote, decimal=decimal):
                if number.is_year or _MONTH.search(ev.quote[: number.start]):
                    continue
                words = _context(ev.quote, number)
                unit = number.unit
                if unit is None and abs(number.value) < _MIN_BARE:
                    counted = {_COUNTED[w] for w in words if w in _COUNTED}
                    if not counted:
                        continue
                    unit = "count"
                    words.update({f"#{cls}": cls for cls in counted})
                # the claim's statement names the subject when the evidence clause does not
                # ("a whopping $2 billion"): its clause around the same figure joins the context
                for twin in stated:
                    if twin.value == number.value and twin.unit == number.unit:
                        for k, v in _context(claim.statement, twin).items():
                            words.setdefault(k, v)
                before = ev.quote[: number.start]
                mention = _Mention(claim, ev, number, words, reading(number, before, decimal))
                # a shared unit and magnitude already say much; a bare number needs a word
                # beyond the story's own vocabulary to be the same quantity
                keys = mention.words.keys() - (common if number.unit is None else set())
                for word in keys:
                    groups[(unit, word)].append(mention)

    found: dict[frozenset[tuple[str, str]], tuple[list[str], list[_Mention]]] = {}
    for (_, word), mentions_ in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        for cluster in _clusters(mentions_):
            key = frozenset((m.claim.id, str(m.number.value)) for m in cluster)
            topic_words, _ = found.setdefault(key, ([], cluster))
            topic_words.append(cluster[0].words[word])
    return [_conflict(topic_words, cluster) for topic_words, cluster in found.values()]


def _clusters(mentions_: list[_Mention]) -> list[list[_Mention]]:
    """Mentions of one magnitude holding at least two values from at least two sources."""
    ordered = sorted(mentions_, key=lambda m: m.number.value)
    out: list[list[_Mention]] = []
    current: list[_Mention] = []
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
            citations=[c for m in ms for c in m.claim.citations([m.evidence])],
        )
        for _, ms in sorted(by_value.items())
    ]
    kind, note = classify([ms[0].reading for _, ms in sorted(by_value.items())])
    first = cluster[0].evidence.quote
    ordered = sorted(dict.fromkeys(words), key=lambda w: first.find(w) % (len(first) + 1))
    return Conflict(topic=" ".join(ordered), kind=kind, positions=positions, note=note)  # type: ignore[arg-type]


def checked_conflicts(
    proposed: list[ComposedConflict],
    claims_by_id: dict[str, Claim],
    decimals: dict[str, str] | None = None,
    is_common: Callable[[str], bool] | None = None,
) -> tuple[list[Conflict], list[Rejection]]:
    """The composer's proposed disagreements whose every side checks out against evidence.

    A position's value must stand word-bounded in the evidence of a claim it cites ("$1" is not
    in "$110 billion", "Sear" is not in "Searchlight"), or, if it is a bare figure, be
    value-equal to one there; the topic may carry no number and no name that the cited
    evidence lacks. Figures that differ only in precision are kept as kind "precision"."""
    decimals = decimals or {}
    kept: list[Conflict] = []
    rejected: list[Rejection] = []
    for conflict in proposed:
        positions, readings, problems = [], [], []
        for p in conflict.positions:
            value = " ".join(p.value.strip(" \"“”‘’'«»").split())
            spans: list[tuple[Claim, Evidence, int]] = []
            for cid in p.claim_ids:
                cited_claim = claims_by_id.get(cid)
                if cited_claim is None:
                    continue
                for e in cited_claim.evidence:
                    at = _locate(value, e.quote, decimals.get(cited_claim.source_id) or ".")
                    if at is not None:
                        spans.append((cited_claim, e, at))
            if not value or not spans:
                problems.append(f"“{p.value}” is not in the evidence it cites")
                continue
            positions.append(
                ConflictPosition(
                    value=value,
                    citations=[c for cl, e, _ in spans for c in cl.citations([e])],
                )
            )
            claim, ev, at = spans[0]
            decimal = decimals.get(claim.source_id) or "."
            numbers = find_numbers(value, decimal=decimal)
            if numbers:
                readings.append(
                    reading(numbers[0], ev.quote[:at] + value[: numbers[0].start], decimal)
                )
        cited = [c for p in conflict.positions for i in p.claim_ids if (c := claims_by_id.get(i))]
        problems += _topic_problems(conflict.topic, cited, is_common)
        sources = {c.source_id for p in positions for c in p.citations}
        if not problems and (len({p.value.casefold() for p in positions}) < 2 or len(sources) < 2):
            problems.append("its positions do not come from two sources with different values")
        elif (
            not problems
            and len(readings) == len(positions)
            and len({r.value for r in readings}) < 2
        ):
            problems.append("its positions state the same figure in different words")
        if problems:
            rejected.append(
                Rejection(
                    stage="compose",
                    outcome="conflict refused",
                    item=conflict.topic,
                    reason="; ".join(problems),
                )
            )
            continue
        if len(readings) == len(positions):
            kind, note = classify(readings)
        else:
            kind, note = "name", ""
        kept.append(Conflict(topic=conflict.topic, kind=kind, positions=positions, note=note))  # type: ignore[arg-type]
    return kept, rejected


def _locate(value: str, evidence: str, decimal: str) -> int | None:
    """Where `value` stands in `evidence`: word-bounded with the verifier's allowed differences,
    or (a bare figure only) as a value-equal number."""
    spans = index_for(evidence).locate_all(value)
    if spans:
        return spans[0][0]
    numbers = find_numbers(value, decimal=decimal)
    if len(numbers) == 1 and not value.replace(numbers[0].text, "").strip():
        check = check_numbers(value, evidence, decimal=decimal)
        if check.ok and check.numbers[0].matched_start is not None:
            return check.numbers[0].matched_start
    return None


def _topic_problems(
    topic: str, cited: list[Claim], is_common: Callable[[str], bool] | None
) -> list[str]:
    evidence = "\n".join(e.quote for c in cited for e in c.evidence)
    said = "\n".join([c.statement for c in cited] + [evidence])
    problems = []
    numbers = check_numbers(topic, evidence)
    if not numbers.ok:
        problems.append(f"its topic states a figure the evidence lacks: {numbers.diagnosis}")
    for name in proper_names(topic, is_common=is_common):
        if not mentions(said, name.text):
            problems.append(f"its topic names “{name.text}”, which the cited claims do not")
    return problems
