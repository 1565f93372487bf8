"""Deterministic quote verification: is a quote verbatim in its source, and where?

The verifier is the authority over what the model cites, so it accepts only the differences
listed in the design (Unicode compatibility forms, quote-mark, dash and whitespace variants,
enclosing quote marks, one trailing punctuation mark, the case of the first letter, and an
ellipsis joining nearby segments). Everything else is a miss. Fuzzy matching (difflib) runs
only after a miss, to tell the model what differs; it never accepts anything.

Each source is normalized once into a string plus, for every normalized character, the span
of original characters it came from, so a match in the normalized view maps back to exact
`str` offsets in the original text.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from difflib import SequenceMatcher
from functools import cached_property, lru_cache

from summarize.models import MatchKind, QuoteMatch

_QUOTE_MAP = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    }
)  # fmt: skip
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_ZW = "\u200b\u200c\u200d\ufeff\u2060\u00ad"
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Everything that does not map to itself; plain ASCII between matches is copied as is.
_SPECIAL = re.compile(
    rf"(?P<dash>[\s{_ZW}]*[{_DASHES}](?:[\s{_ZW}]*[{_DASHES}])*[\s{_ZW}]*)"
    rf"|(?P<ws>[\s{_ZW}]{{2,}}|[^\S ]|[{_ZW}])"
    rf"|(?P<other>[^\x00-\x7f`][{_COMBINING}]*|`|[\x00-\x7f][{_COMBINING}]+)"
)
_DASH_CHAR = re.compile(f"[{_DASHES}]")
_MARKS = " \t\r\n\u00a0\"'‘’‚‛“”„‟«»`´′″"  # what may enclose a quote
_ELLIPSIS = re.compile(r" ?(?:\[ ?\.{3,} ?\]|\( ?\.{3,} ?\)|\.{3,}) ?")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n|\u2029")
_TOKEN = re.compile(r"\w+(?:[.,'\-]\w+)*")
_WORDY = re.compile(r"\S*[^\W_]\S*")
# An ellipsis may shorten a passage, never flip it: a short gap must not hide a negation.
_NEGATION = re.compile(r"n't\b|\b(?:not|no|never|without|neither|nor|cannot)\b", re.IGNORECASE)

MIN_WORDS, MIN_CHARS, MIN_SEGMENT_WORDS, MAX_GAP = 3, 12, 2, 300
TOO_SHORT = (
    f"too short to verify as evidence: a quote needs at least {MIN_WORDS} words and "
    f"{MIN_CHARS} characters"
)


def _normalize(text: str) -> tuple[str, array[int], array[int]]:
    """Normalized text, and for each of its characters the original [start, end) span. The
    spans are machine integers, 16 bytes a character: lists of int objects took ~80, and every
    full garbage collection walked them for as long as the index lived."""
    parts: list[str] = []
    starts, ends = array("q"), array("q")
    pos = 0
    for m in _SPECIAL.finditer(text):
        a, b = m.span()
        if a > pos:
            parts.append(text[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
        pos = b
        if m.lastgroup == "dash":
            dashes = [d.start() for d in _DASH_CHAR.finditer(text, a, b)]
            out, a, b = "-", dashes[0], dashes[-1] + 1
        elif m.lastgroup == "ws":
            if not any(c.isspace() for c in m.group()):
                continue  # only zero-width characters: they count as nothing
            out = " "
        else:
            out = unicodedata.normalize("NFKC", m.group().translate(_QUOTE_MAP))
        parts.append(out)
        starts.extend([a] * len(out))
        ends.extend([b] * len(out))
    parts.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(parts), starts, ends


def _strip(quote: str) -> str:
    """Drop surrounding whitespace, enclosing quote marks and one trailing punctuation mark."""
    quote = quote.strip().strip(_MARKS)
    return quote[:-1].rstrip(_MARKS) if quote.endswith((".", ",", ";", ":", "!", "?")) else quote


def _words(text: str) -> int:
    """Whitespace-separated words that hold a letter or digit."""
    return len(_WORDY.findall(text))


def _too_short(text: str) -> bool:
    return _words(text) < MIN_WORDS or len(text) < MIN_CHARS


def _first_letter_variants(quote: str) -> list[str]:
    swapped = quote[:1].swapcase()
    if quote[:1].isalpha() and len(swapped) == 1 and swapped != quote[:1]:
        return [quote, swapped + quote[1:]]
    return [quote]


def _miss(differences: list[str]) -> QuoteMatch:
    return QuoteMatch(ok=False, kind="not_found", differences=differences)


class SourceIndex:
    """Normalized view of one source text, built once, with a map back to original offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.norm, self._starts, self._ends = _normalize(text)

    def find(self, quote: str) -> QuoteMatch:
        """Locate `quote` verbatim (up to the allowed differences) or explain the miss."""
        normalized = _normalize(quote)[0]
        nq = _strip(normalized)
        if _too_short(_ELLIPSIS.sub(" ", nq).strip()):
            return QuoteMatch(ok=False, kind="too_short", differences=[TOO_SHORT])
        core = _strip(quote)
        at = self._search(self.text, core, 0)
        if at is not None:
            return QuoteMatch(ok=True, kind="exact", start=at, end=at + len(core))
        span = self._find_norm(nq)
        if span is not None:
            return self._hit("normalized", *span)
        parts = _ELLIPSIS.split(normalized)
        if len(parts) > 1:
            return self._find_elided([s for p in parts if (s := _strip(p))])
        return self._diagnose(nq)

    def locate_all(self, phrase: str) -> list[tuple[int, int]]:
        """Original [start, end) of every word-bounded occurrence of `phrase`, with the allowed
        differences but no minimum length and no ellipsis: for short values such as a name or
        a figure ("Scanline VFX", "$2.5 billion"), never for evidence."""
        nq = _strip(_normalize(phrase)[0])
        spans: list[tuple[int, int]] = []
        at = 0
        while nq and (hit := self._find_norm(nq, at)) is not None:
            spans.append((self._starts[hit[0]], self._ends[hit[1] - 1]))
            at = hit[0] + 1
        return spans

    # ------------------------------------------------------------------ search

    @staticmethod
    def _search(hay: str, needle: str, start: int) -> int | None:
        """First occurrence of needle at or after start that respects word boundaries."""
        lead, trail = needle[:1].isalnum(), needle[-1:].isalnum()
        p = hay.find(needle, start)
        while p >= 0:
            end = p + len(needle)
            if not (lead and p > 0 and hay[p - 1].isalnum()) and not (
                trail and end < len(hay) and hay[end].isalnum()
            ):
                return p
            p = hay.find(needle, p + 1)
        return None

    def _find_norm(self, nq: str, start: int = 0, first: bool = True) -> tuple[int, int] | None:
        """Normalized [start, end) of nq (first-letter case free if `first`), or None."""
        hits = [
            p
            for v in (_first_letter_variants(nq) if first else [nq])
            if (p := self._search(self.norm, v, start)) is not None
        ]
        return (min(hits), min(hits) + len(nq)) if hits else None

    def _hit(self, kind: MatchKind, a: int, b: int) -> QuoteMatch:
        return QuoteMatch(ok=True, kind=kind, start=self._starts[a], end=self._ends[b - 1])

    def _find_elided(self, segments: list[str]) -> QuoteMatch:
        """Segments in order, in one paragraph, each at most MAX_GAP characters after the last,
        and no gap of three words or fewer that leaves out a negation."""
        short = [s for s in segments if _words(s) < MIN_SEGMENT_WORDS]
        if short:
            return _miss([f'the segment "{short[0]}" between ellipses is shorter than two words'])
        first, rest = segments[0], segments[1:]
        spans: list[tuple[int, int]] = []
        problem, start, tries = "", 0, 0
        while tries < 50 and (head := self._find_norm(first, start)) is not None:
            tries += 1
            spans, problem = [head], ""
            for seg in rest:
                nxt = self._find_norm(seg, spans[-1][1], first=False)
                if nxt is None:
                    problem = f'the segment "{seg}" does not follow the previous one'
                    break
                a, b = self._ends[spans[-1][1] - 1], self._starts[nxt[0]]
                gap = self.text[a:b].replace("\r\n", "\n").replace("\r", "\n")
                if b - a > MAX_GAP or _BLANK_LINE.search(gap):
                    problem = (
                        f'the segment "{seg}" is not within {MAX_GAP} characters of the '
                        "previous one in the same paragraph"
                    )
                    break
                omitted = self.norm[spans[-1][1] : nxt[0]]
                if _words(omitted) <= 3 and (neg := _NEGATION.search(omitted)):
                    problem = f'the ellipsis before "{seg}" leaves out "{neg.group()}"'
                    break
                spans.append(nxt)
            if not problem:
                return self._hit("elided", spans[0][0], spans[-1][1])
            start = head[0] + 1
        if not spans:
            return self._diagnose(first)
        missing = next((s for s in rest if self._find_norm(s) is None), None)
        if missing is not None:
            return self._diagnose(missing)
        a, b = self._starts[spans[0][0]], self._ends[spans[-1][1] - 1]
        return self._miss(a, b, [problem])

    # ------------------------------------------------------------------ diagnosis

    @cached_property
    def _tokens(self) -> tuple[list[str], list[tuple[int, int]], dict[str, list[int]]]:
        """Word tokens of the normalized text, their spans, and positions by lowercase token."""
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        where: dict[str, list[int]] = {}
        for m in _TOKEN.finditer(self.norm):
            where.setdefault(m.group().lower(), []).append(len(words))
            words.append(m.group())
            spans.append(m.span())
        return words, spans, where

    def _diagnose(self, nq: str) -> QuoteMatch:
        """The closest passage to a missed quote and what differs (bounded windows, misses only)."""
        q = _TOKEN.findall(nq)[:200]  # bounds the difflib work on absurdly long quotes
        words, spans, where = self._tokens
        lower = [t.lower() for t in q]
        anchors = sorted(set(lower) & where.keys(), key=lambda t: len(where[t]))[:4]
        k, slack = len(q), len(q) // 4 + 2
        starts = sorted({max(0, s - lower.index(a)) for a in anchors for s in where[a][:16]})
        best: tuple[int, int, int] | None = None
        for s0 in starts:
            lo, hi = max(0, s0 - slack), min(len(words), s0 + k + slack)
            sm = SequenceMatcher(None, q, words[lo:hi], autojunk=False)
            score = sum(b.size for b in sm.get_matching_blocks())
            if best is None or score > best[0]:
                best = (score, lo, hi)
        if best is None or best[0] * 2 < k:
            return _miss(["no passage of the article shares half of the quote's words"])
        _, lo, hi = best
        lo, hi = _trim(q, words, lo, hi)
        a, b = self._starts[spans[lo][0]], self._ends[spans[hi - 1][1] - 1]
        passage_norm = self.norm[spans[lo][0] : spans[hi - 1][1]]
        diffs = _word_differences(q, words[lo:hi]) or _char_differences(nq, passage_norm)
        return self._miss(a, b, diffs)

    def _miss(self, a: int, b: int, differences: list[str]) -> QuoteMatch:
        """A miss whose closest passage is text[a:b]."""
        return QuoteMatch(
            ok=False,
            kind="not_found",
            closest=self.text[a:b],
            closest_start=a,
            closest_end=b,
            differences=differences,
        )


def _trim(q: list[str], words: list[str], lo: int, hi: int) -> tuple[int, int]:
    """Shrink a window to the tokens aligned with the quote (dropping the slack around it)."""
    ops = SequenceMatcher(None, q, words[lo:hi], autojunk=False).get_opcodes()
    tag, i1, i2, j1, j2 = ops[0]
    first = j2 if tag == "insert" else max(j1, j2 - (i2 - i1)) if tag == "replace" else j1
    tag, i1, i2, j1, j2 = ops[-1]
    last = j1 if tag == "insert" else min(j2, j1 + (i2 - i1)) if tag == "replace" else j2
    return lo + first, max(lo + first + 1, lo + last)


def _word_differences(q: list[str], w: list[str]) -> list[str]:
    """Word-level edits; an addition and a drop at most 3 words apart read as one moved stretch."""
    edits: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, q, w, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if edits and {tag, edits[-1][0]} == {"insert", "delete"} and i1 - edits[-1][2] <= 3:
            edits[-1] = ("replace", edits[-1][1], i2, edits[-1][3], j2)
        else:
            edits.append((tag, i1, i2, j1, j2))
    out = []
    for _, i1, i2, j1, j2 in edits:
        quoted, source = " ".join(q[i1:i2]), " ".join(w[j1:j2])
        if quoted and source:
            out.append(f'quote has "{quoted}" where the source has "{source}"')
        elif quoted:
            out.append(f'quote adds "{quoted}"')
        else:
            out.append(f'quote drops "{source}"')
    return out[:6]


def _char_differences(nq: str, passage: str) -> list[str]:
    """Same words, different punctuation or spacing: name the differing stretches."""
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, nq, passage, autojunk=False).get_opcodes():
        if tag != "equal":
            qa, qb = _widen(nq, i1, i2)
            sa, sb = _widen(passage, j1, j2)
            out.append(f'quote has "{nq[qa:qb]}" where the source has "{passage[sa:sb]}"')
    return out[:6] or ["the words match but not at word boundaries"]


def _widen(s: str, a: int, b: int) -> tuple[int, int]:
    """Extend [a, b) to whole whitespace-delimited words."""
    a = s.rfind(" ", 0, a) + 1
    b = s.find(" ", b)
    return a, len(s) if b < 0 else b


@lru_cache(maxsize=256)
def index_for(text: str) -> SourceIndex:
    """The SourceIndex of `text`, cached so every quote from one source reuses it."""
    return SourceIndex(text)


def verify_quote(source_text: str, quote: str) -> QuoteMatch:
    """Where `quote` stands in `source_text`; see SourceIndex.find."""
    return index_for(source_text).find(quote)


# ---------------------------------------------------------------------- quoted passages

_DOUBLE = re.compile(r"“([^“”]*)”|\"([^\"]*)\"|«([^«»]*)»|„([^„“”]*)[“”]")
# ‘ opens only at a word start; ’ closes only when not followed by a letter or digit
# (so Netflix’s and ’80s are apostrophes, not quotation marks).
_SINGLE = re.compile(r"(?<![^\s(\[\"“—–-])‘(?=\S)((?:[^‘’]|’(?=\w))*?\S)’(?!\w)")


def quotations(text: str) -> list[tuple[int, int, str]]:
    """Passages a model-written sentence puts in quotation marks: (start, end, inner text).

    Used to check that quoted words are verbatim in a cited source; passages of fewer than
    two words are skipped as too short to mean anything.
    """
    found = []
    for pattern in (_DOUBLE, _SINGLE):
        for m in pattern.finditer(text):
            inner = m.group(m.lastindex or 0)
            if _words(inner) >= 2:
                found.append((m.start(), m.end(), inner))
    return sorted(found)


# An opening mark to its closing mark, or to the end of the paragraph: news copy leaves a quote
# open when it runs on into the next paragraph.
_QUOTED = re.compile(
    r"“[^“”\n]*(?:”|(?=\n)|$)|«[^«»\n]*(?:»|(?=\n)|$)|„[^„“”\n]*(?:[“”]|(?=\n)|$)"
    r"|\"[^\"\n]*(?:\"|(?=\n)|$)"
)


@lru_cache(maxsize=256)
def quoted_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The stretches of a source that stand inside quotation marks: its quoted speech."""
    spans = [m.span() for m in _QUOTED.finditer(text)]
    spans += [m.span() for m in _SINGLE.finditer(text)]
    return tuple(sorted(spans))


def is_quoted_speech(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside quotation marks in `text`."""
    return any(a <= start and end <= b for a, b in quoted_spans(text))


__all__ = [
    "SourceIndex",
    "index_for",
    "is_quoted_speech",
    "quotations",
    "quoted_spans",
    "verify_quote",
]
