"""Numbers in news copy, and whether a claim's numbers are backed by its evidence.

A claim passes only if every number it states is value-equal (same value, same unit) to a
number in its evidence, whatever the notation: "$11.08 billion" = "11.08 billion dollars" =
"$11,080 million", "16%" = "16 percent", "10x" = "ten times", "one-third" = "a third".
Rounding, a changed scale and a changed sign are misses. European notation ("32,72%",
"3.033.753") is read as such only when asked for or detected, never silently.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from summarize.models import NumberCheck, NumberFound

_SP = r"[ \u00a0\u202f\u2009]"  # spaces that may group thousands or precede a unit
_SCALES = {
    "thousand": 3, "k": 3, "million": 6, "millón": 6, "millones": 6, "mn": 6, "m": 6,
    "billion": 9, "bn": 9, "b": 9, "mil millones": 9, "trillion": 12, "tn": 12,
}  # fmt: skip
_CURRENCIES = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "us dollars": "USD", "dólares": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
}  # fmt: skip
_TAIL = (
    rf"(?P<scale>{_SP}?(?i:thousand|millones|millón|mil millones|million|billion|trillion"
    r"|bn|mn|tn)\b|[kKmMbB](?![\w']))?"
    rf"(?:{_SP}?(?P<pct>%|(?i:percent|per{_SP}?cent|por{_SP}?ciento)(?!age)\b)"
    rf"|{_SP}?(?P<cur>(?i:USD|EUR|GBP|U\.?S\.? dollars|dollars?|dólares|euros?|pounds?)\b)"
    r"|(?P<mult>[x×](?!\w)|-?fold\b|(?i:\s+times)\b))?"
)
_PREFIX = rf"(?P<sign>[-−])?(?P<pre>(?:US\$|[$€£]){_SP}?|(?:USD|EUR|GBP){_SP})?"
_BODY = {
    ".": rf"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?!\d)|\d{{1,3}}(?:{_SP}\d{{3}})+(?![\d,])(?:\.\d+)?"
    r"|\d+(?:\.\d+)?",
    ",": rf"\d{{1,3}}(?:\.\d{{3}})+(?:,\d+)?(?!\d)|\d{{1,3}}(?:{_SP}\d{{3}})+(?![\d.])(?:,\d+)?"
    r"|\d+(?:,\d+)?",
}
_DIGITS = {
    sep: re.compile(
        rf"(?P<frac>(?<!\d/)\d{{1,4}}/\d{{1,4}}(?!/?\d))"
        rf"|{_PREFIX}(?P<num>{body})(?:(?P<ord>st|nd|rd|th)(?!\w)|(?P<dec>'?s)(?!\w)|{_TAIL})"
    )
    for sep, body in _BODY.items()
}
_TAIL_RE = re.compile(_TAIL)

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {w: i for i, w in enumerate(_ONES)} | {w: 10 * i for i, w in enumerate(_TENS, 2)}
_WORD_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9}
_WORD_SCALES |= {"trillion": 10**12, "dozen": 12}
_FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
_WORD = re.compile(r"[A-Za-z]+")
_FOLD = re.compile(r"([a-z]+)fold$")
_STARTS = frozenset(("a", "an", "half", *_WORD_VALUES))
"""The words a number in words can begin with (besides "…fold"): every branch of _parse_words."""
NUMBER_WORDS = frozenset({*_WORD_VALUES, *_WORD_SCALES, *_FRACTIONS})
"""Every word find_numbers reads as (part of) a number, besides the "…fold" forms."""

_EUROPEAN_STRONG = re.compile(r"\d,(?!\d{3}\D)\d+\s?%|\d{1,3}(?:\.\d{3}){2,}(?![\d,])|\d\.\d{3},\d")
_EUROPEAN_WEAK = re.compile(r"\d,\d{1,2}(?!\d)|\d\.\d{3}(?![\d.,])")
_ENGLISH_STRONG = re.compile(r"\d,\d{3}\.\d|\d{1,3}(?:,\d{3}){2,}(?![\d.])")
_ENGLISH_WEAK = re.compile(r"\d\.\d{1,2}(?!\d)|\d,\d{3}(?![\d,.])")


@dataclass(frozen=True)
class Number:
    """One number as written: its span, value and unit ('%', 'USD', 'EUR', 'GBP', 'x')."""

    text: str
    start: int
    end: int
    value: Decimal
    unit: str | None
    is_year: bool = False


@lru_cache(maxsize=256)
def detect_decimal(text: str) -> str:
    """',' when the text writes numbers the European way ("32,72%", "3.033.753"), else '.'."""

    def score(strong: re.Pattern[str], weak: re.Pattern[str]) -> int:
        return 3 * len(strong.findall(text)) + len(weak.findall(text))

    european = score(_EUROPEAN_STRONG, _EUROPEAN_WEAK)
    return "," if european > score(_ENGLISH_STRONG, _ENGLISH_WEAK) else "."


def _unit(m: re.Match[str]) -> str | None:
    if m.group("pct"):
        return "%"
    if m.group("mult"):
        return "x"
    word = m.group("cur") or m.groupdict().get("pre")
    if not word:
        return None
    return _CURRENCIES.get(re.sub(r"\s+", " ", word.lower().replace(".", "")).strip())


def _scale(m: re.Match[str]) -> Decimal:
    scale = m.group("scale")
    return Decimal(10) ** _SCALES[re.sub(_SP, "", scale, count=1).lower()] if scale else Decimal(1)


def _digit_numbers(text: str, sep: str) -> list[Number]:
    found = []
    for m in _DIGITS[sep].finditer(text):
        start, end = m.span()
        if m.group("frac"):
            num, den = (Decimal(p) for p in m.group("frac").split("/"))
            if den:
                found.append(Number(m.group(), start, end, num / den, None))
            continue
        body = m.group("num")
        thousands = "," if sep == "." else "."
        value = Decimal(re.sub(_SP, "", body.replace(thousands, "")).replace(",", "."))
        negative = bool(m.group("sign"))
        if negative and start > 0 and text[start - 1].isalnum():  # a hyphen: "5-10", "Gen-3"
            start, negative = m.end("sign"), False
        if start > 0 and text[start - 1].isalpha():  # inside an identifier (Q2, H5N1): digits only
            start, end = m.start("num"), m.end("num")
            found.append(Number(body, start, end, value, None))
            continue
        value = (-value if negative else value) * _scale(m)
        unit = None if m.group("ord") or m.group("dec") else _unit(m)
        is_year = bool(
            re.fullmatch(r"\d{4}", body)
            and 1800 <= value <= 2100
            and not (unit or m.group("scale") or negative or m.group("dec"))
        )
        found.append(Number(text[start:end], start, end, value, unit, is_year))
    return found


def _word_numbers(text: str, taken: list[tuple[int, int]]) -> list[Number]:
    """Numbers written in English words: ten, twenty-one, a million, one-third, half, tenfold."""
    starts = [a for a, _ in taken]  # sorted, non-overlapping spans of digit numbers
    words = [
        m
        for m in _WORD.finditer(text)
        if not ((k := bisect_right(starts, m.start()) - 1) >= 0 and m.start() < taken[k][1])
    ]
    found = []
    i = 0
    while i < len(words):
        j, value, den = _parse_words(text, words, i)
        if j == i:
            i += 1
            continue
        start, end = words[i].start(), words[j - 1].end()
        unit = None
        amount = Decimal(value) / Decimal(den) if den else Decimal(value)
        fold = _FOLD.match(words[j - 1].group().lower())
        if fold:
            unit = "x"
        elif (tail := _TAIL_RE.match(text, end)) and tail.end() > end:
            amount, unit, end = amount * _scale(tail), _unit(tail), tail.end()
        found.append(Number(text[start:end], start, end, amount, unit))
        i = j
    return found


def _previous_word(text: str, words: list[re.Match[str]], i: int) -> str:
    return words[i - 1].group().lower() if i and _joined(text, words, i) else ""


def _joined(text: str, words: list[re.Match[str]], k: int) -> bool:
    """Whether word k follows word k-1 as part of one number (a space or a hyphen between)."""
    return text[words[k - 1].end() : words[k].start()] in (" ", "-", "\u00a0")


_ONE_BEFORE = frozenset("no any every each some the this that which someone anyone".split())
_ONE_AFTER = frozenset(
    """of another report reports outlet outlets source sources account accounts version
    analyst analysts observer official officials expert experts critic critics commentator
    newspaper paper publication story estimate way thing day""".split()
)


def _pronoun_one(text: str, words: list[re.Match[str]], i: int) -> bool:
    """ "one" as a pronoun or determiner, not the number 1: "no one", "one of the studios",
    "according to one outlet", "by one report". "one person" stays a number, so that a
    changed count ("one" for "two") is still a miss."""
    after = (
        words[i + 1].group().lower() if i + 1 < len(words) and _joined(text, words, i + 1) else ""
    )
    return _previous_word(text, words, i) in _ONE_BEFORE or after in _ONE_AFTER


def _parse_words(text: str, words: list[re.Match[str]], i: int) -> tuple[int, int, int]:
    """Parse number words from words[i]: (index after the number, value, fraction denominator)."""
    first = words[i].group().lower()
    if first not in _STARTS and not first.endswith("fold"):  # most words: no number, at once
        return i, 0, 0
    low = [w.group().lower() for w in words[i : i + 12]]
    nxt = low[1] if len(low) > 1 and _joined(text, words, i + 1) else ""
    if first in ("a", "an") and nxt in _WORD_SCALES:
        total, current, k, first = 0, _WORD_SCALES[nxt], 2, nxt
    elif first in ("a", "an", "one") and nxt in ("half", "third", "quarter"):
        return i + 2, 1, _FRACTIONS[nxt]
    elif first == "half":
        return i + 1, 1, 2
    elif (fold := _FOLD.match(first)) and fold.group(1) in _WORD_VALUES | _WORD_SCALES:
        return i + 1, (_WORD_VALUES | _WORD_SCALES)[fold.group(1)], 0
    elif first in _WORD_VALUES and not (first == "one" and _pronoun_one(text, words, i)):
        total, current, k = 0, _WORD_VALUES[first], 1
    else:
        return i, 0, 0
    last = first
    while k < len(low) and _joined(text, words, i + k):
        w, after = low[k], low[k + 1] if k + 1 < len(low) else ""
        if w in _WORD_VALUES and (last in _WORD_SCALES or (last in _TENS and w in _ONES[1:10])):
            current += _WORD_VALUES[w]
        elif w == "hundred" and 0 < current < 100:
            current *= 100
        elif w in _WORD_SCALES and w != "hundred" and current:
            total, current = total + current * _WORD_SCALES[w], 0
        elif w == "and" and last in _WORD_SCALES and after in _WORD_VALUES:
            k += 1
            continue
        elif w in _FRACTIONS and w not in ("half", "halves") and 0 < current < 20 and not total:
            return i + k + 1, current, _FRACTIONS[w]
        else:
            break
        last, k = w, k + 1
    return i + k, total + current, 0


def find_numbers(text: str, *, decimal: str | None = None) -> list[Number]:
    """Every number in `text`, in order; `decimal` is '.', ',' or None to detect it."""
    return list(_numbers_in(text, decimal or detect_decimal(text)))


@lru_cache(maxsize=4096)
def _numbers_in(text: str, sep: str) -> tuple[Number, ...]:
    """find_numbers, once per text and notation: the checks read the same statements and
    passages again and again (about half of the calls in a run)."""
    digits = _digit_numbers(text, sep)
    words = _word_numbers(text, [(n.start, n.end) for n in digits])
    return tuple(sorted(digits + words, key=lambda n: n.start))


def _quoted(n: Number) -> str:
    return f"“{n.text}”"


def _reason(n: Number, evidence: list[Number]) -> str:
    """Why no evidence number backs `n`: the nearest candidate and how it differs."""
    if not evidence:
        return "not in the evidence, which states no number"
    for e in evidence:
        if e.value == n.value:
            return f"unit differs: evidence has {_quoted(e)}"
        if e.value == -n.value and e.unit == n.unit:
            return f"sign differs: evidence has {_quoted(e)}"
        scaled = {e.value * 10**k for k in (3, 6, 9, 12)} | {e.value / 10**k for k in (3, 6, 9, 12)}
        if e.unit == n.unit and n.value in scaled:
            return f"changed scale: evidence has {_quoted(e)}"
    same_unit = [e for e in evidence if e.unit == n.unit] or evidence
    nearest = min(same_unit, key=lambda e: abs(e.value - n.value))
    close = nearest.value and abs(nearest.value - n.value) <= abs(nearest.value) / 20
    return f"not in the evidence; nearest is {_quoted(nearest)}" + (" (rounded?)" if close else "")


def check_numbers(
    claim_text: str, evidence_text: str, *, decimal: str | None = None
) -> NumberCheck:
    """Accept the claim only if each of its numbers equals (value and unit) one in the evidence."""
    sep = decimal or detect_decimal(f"{claim_text}\n{evidence_text}")
    claimed = find_numbers(claim_text, decimal=sep)
    if not claimed:
        return NumberCheck(ok=True)  # nothing to back: skip parsing the evidence
    evidence = find_numbers(evidence_text, decimal=sep)
    results = []
    for n in claimed:
        hit = next((e for e in evidence if e.value == n.value and e.unit == n.unit), None)
        found = NumberFound(
            text=n.text,
            start=n.start,
            end=n.end,
            value=format(n.value.normalize(), "f"),
            unit=n.unit,
        )
        if hit:
            update = {"matched": hit.text, "matched_start": hit.start, "matched_end": hit.end}
        else:
            update = {"reason": _reason(n, evidence)}
        results.append(found.model_copy(update=update))
    return NumberCheck(ok=all(r.matched is not None for r in results), numbers=results)


__all__ = ["NUMBER_WORDS", "Number", "check_numbers", "detect_decimal", "find_numbers"]
