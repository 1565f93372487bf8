"""Reading text for the draft audit (summarize.audit): sentences, Markdown, words, names.

Deterministic and model-free like the verifier: sentences split at end punctuation and line
breaks (never after an abbreviation or an initial); Markdown syntax masked without moving any
offset; words folded (case, diacritics, invisible characters) for word-for-word lookups; proper
names found by anchors.proper_names, and the names a set of sources uses indexed for the names
a draft writes differently ("Héctor Oesterheld" for "Héctor G. Oesterheld").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property
from itertools import accumulate

from summarize import anchors
from summarize.anchors import Name
from summarize.words import STOPWORDS, stem

Span = tuple[int, int]

# ----------------------------------------------------------------------------- sentences

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs inc ltd co corp gov sen rep gen col lt sgt no jan feb mar "
    "apr jun jul aug sep sept oct nov dec approx est fig vol u.s u.k u.n e.g i.e etc".split()
)
_END = re.compile(r"[.!?…]+[\"'”’»)\]*_]*(?=\s)")
_BREAK = {
    False: re.compile(r"\n"),  # articles: a line is a paragraph
    True: re.compile(  # drafts: a blank line, or a line that starts a Markdown block
        r"\n[^\S\n]*\n|\n(?=[^\S\n]*(?:[-*+>|]|\d{1,9}[.)]|#{1,6}|\[\^[^\]\s]+\]:)\s)"
    ),
}
_BEFORE = re.compile(r"[\w.]+$")


def split_sentences(text: str, *, soft_newlines: bool = False) -> list[Span]:
    """Sentence spans of `text`, trimmed. A single newline ends a sentence unless
    `soft_newlines` (a draft's hard-wrapped lines); abbreviations and initials never do."""
    spans: list[Span] = []
    pos = 0
    for m in [*_BREAK[soft_newlines].finditer(text), None]:
        end = m.start() if m else len(text)
        start = pos
        for stop in _END.finditer(text, pos, end):
            before = _BEFORE.search(text, start, stop.start())
            word = before.group().lower().rstrip(".") if before else ""
            after = text[stop.end() : end].lstrip()[:1]
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or after.islower():
                continue
            spans.append((start, stop.end()))
            start = stop.end()
        spans.append((start, end))
        pos = m.end() if m else len(text)
    return [t for a, b in spans if (t := _trim(text, a, b))[0] < t[1]]


def _trim(text: str, a: int, b: int) -> Span:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# ----------------------------------------------------------------------------- Markdown

_ZW = "\u200b"  # the verifier counts it as nothing, so masking with it keeps quotes intact
_MARKUP = re.compile(
    r"(?P<fence>^[^\S\n]*```.*?^[^\S\n]*```[^\n]*$)"
    r"|(?P<note>^\[\^[^\]\s]+\]:[^\n]*$)"
    r"|(?P<code>`+[^`\n]*`+)"
    r"|(?P<tag><!--.*?-->|</?[A-Za-z][^>\n]*>|<https?://[^>\s]+>)"
    r"|(?P<url>\]\([^)\s]*(?:\s+\"[^\"]*\")?\)|\]\[[^\]\n]*\]|https?://\S+)"
    r"|(?P<ref>\[\^[^\]\s]+\])"
    r"|(?P<open>!?\[)"
    r"|(?P<block>^[^\S\n]*(?:#{1,6}|>|[-*+]|\d{1,9}[.)])(?=\s))"
    r"|(?P<escape>\\(?=[^\w\s]))"
    r"|(?P<emphasis>\*+|~~|(?<!\w)_+|_+(?!\w)|\|)",
    re.MULTILINE | re.DOTALL,
)


def mask_markdown(text: str) -> str:
    """`text` with Markdown syntax (code, links' targets, footnotes, markers) blanked out,
    keeping every offset: what is left is the prose a reader sees, where it stands."""

    def blank(m: re.Match[str]) -> str:
        if m.lastgroup == "escape":
            return _ZW
        return re.sub(r"[^\n]", " ", m.group())

    return _MARKUP.sub(blank, text)


# ----------------------------------------------------------------------------- words

TOKEN = re.compile(r"[^\W_](?:[^\W_]|[\u200b-\u200d\u2060\ufeff\u00ad])*")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_CONTENT = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def fold(word: str) -> str:
    """A word in compare form (anchors.fold: no case, diacritics or dash and apostrophe
    variants), and without invisible characters; plain ASCII takes the short way."""
    return word.lower() if word.isascii() else anchors.fold(word.translate(_INVISIBLE))


def content_forms(text: str) -> dict[str, str]:
    """Content words of `text`: stem -> the word as first written (no stopwords, no letters)."""
    out: dict[str, str] = {}
    for word in _CONTENT.findall(text):
        if len(word) > 1 and word.lower() not in STOPWORDS:
            out.setdefault(stem(word), word)
    return out


def blank(text: str, spans: Iterable[Span]) -> str:
    """`text` with the given spans replaced by spaces (numbers are not context words)."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


class Words:
    """Folded word tokens of a text and their spans, for word-for-word lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        tokens = TOKEN.findall(text)
        lowered = TOKEN.findall(text.lower())  # one C call instead of one per word
        if len(lowered) != len(tokens):  # lower() split a word (a dotted capital I)
            lowered = tokens
        self.words = [w if w.isascii() else fold(w) for w in lowered]
        self.vocabulary = set(self.words)
        self.lower = {w for w, t in zip(self.words, tokens, strict=True) if not t[0].isupper()}
        self.joined = " " + " ".join(self.words) + " "
        self._offsets = list(accumulate((len(w) + 1 for w in self.words), initial=1))

    @cached_property
    def spans(self) -> list[Span]:
        """Token spans, needed only when a lookup succeeds."""
        return [m.span() for m in TOKEN.finditer(self.text)]

    def find(self, seq: list[str]) -> Span | None:
        """Character span of the first run of tokens equal to `seq`, or None."""
        at = self.joined.find(" " + " ".join(seq) + " ") if seq else -1
        if at < 0:
            return None
        i = bisect_right(self._offsets, at + 1) - 1
        return self.spans[i][0], self.spans[i + len(seq) - 1][1]


# ----------------------------------------------------------------------------- names
# Names are found by anchors.proper_names (the extractor the footnote checks use); what is
# here is what an audit needs beyond it: which capitalised words the texts use mid-sentence,
# and the names a set of sources uses, for a draft name that no source writes as it does.

_NAME_TOKEN = re.compile(r"\w+(?:[’'\-‐‑.]\w+)*(?:[’']s\b)?")
# a word start that is not plainly lower case (the rest are checked with str.isupper)
_CAPITAL = re.compile(r"(?<![\w\-‐‑.])(?![a-zß-öø-ÿ\d_])" + _NAME_TOKEN.pattern)
_CONNECTORS = frozenset("of de del della der di du da dos das la le van von y el al bin".split())
_OPENERS = re.compile(r"[“\"‘«(\[:—–]")


def name_key(text: str) -> tuple[str, ...]:
    """A name in compare form, word by word ("Héctor G. Oesterheld" -> hector, g, oesterheld)."""
    return tuple(fold(w) for w in TOKEN.findall(text))


def capitalised_inside(text: str, sentences: list[Span]) -> set[str]:
    """Words the text capitalises where no sentence or quotation opens: names, most likely. A
    capitalised word that only ever opens a sentence ("Another", "Meanwhile") is not one."""
    starts = {a for a, _ in sentences}
    found = set()
    for tok in _CAPITAL.finditer(text):
        word, a = tok.group(), tok.start()
        if not word[0].isupper() or a in starts:
            continue
        i = a
        while i > 0 and not text[i - 1].isalnum():
            i -= 1
        if i > 0 and not _OPENERS.search(text, i, a):
            found.add(fold(word[:-2] if word.endswith(("’s", "'s")) else word))
    return found


def find_names(text: str, is_common: Callable[[str], bool], skip: list[Span]) -> list[Name]:
    """anchors.proper_names, each span ending where its name does (before a possessive)."""
    return [
        Name(n.text, n.start, n.start + len(n.text))
        for n in anchors.proper_names(text, is_common=is_common, skip=skip)
    ]


def name_parts(name: Name) -> list[Name]:
    """A name cut at its connectors ("Marco Ruiz of Eyeline Studios": two names)."""
    out, first, last = [], None, None
    for tok in [*_NAME_TOKEN.finditer(name.text), None]:
        if tok is None or tok.group().lower() in _CONNECTORS:
            if first is not None and last is not None:
                a, b = name.start + first.start(), name.start + last.end()
                out.append(Name(name.text[first.start() : last.end()], a, b))
            first = last = None
        else:
            first, last = first or tok, tok
    return out


def all_ordinary(name: str, ordinary: set[str]) -> bool:
    """Whether every word of `name` is one the texts also write in lower case (or a stopword):
    "Vice President" is capitalised, but no name to look up."""
    return all(w in ordinary or w.isdigit() for w in name_key(name))


class NameIndex:
    """The names the sources use, for names that appear in no source as written."""

    def __init__(self, found: list[Name]) -> None:
        self.written: dict[tuple[str, ...], str] = {}
        self.uses: Counter[tuple[str, ...]] = Counter()
        for name in found:
            key = name_key(name.text)
            self.uses[key] += 1
            self.written.setdefault(key, " ".join(name.text.split()))
            cut = [i for i, w in enumerate(key) if w in _CONNECTORS]
            for a, b in zip([-1, *cut], [*cut, len(key)], strict=True):
                if key[a + 1 : b]:
                    self.written.setdefault(key[a + 1 : b], " ".join(key[a + 1 : b]))
        self.by_ends: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
        self.by_word: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for key in self.written:
            self.by_ends[(key[0], key[-1])].append(key)
            for w in key:
                self.by_word[w].append(key)

    def _part(self, part: tuple[str, ...], ordinary: set[str]) -> bool:
        if not part or part in self.written or all(w in ordinary for w in part):
            return True
        return len(part) > 1 and any(
            _in_order(part, key) for key in self.by_ends.get((part[0], part[-1]), [])
        )

    def _split(self, key: list[str], ordinary: set[str]) -> list[tuple[str, ...]] | None:
        """Consecutive parts (connectors dropped at the cuts) that are all known, or None."""
        best: dict[int, list[tuple[str, ...]]] = {0: []}
        for j in range(1, len(key) + 1):
            for i in range(j):
                if i not in best:
                    continue
                part = tuple(key[i:j])
                trimmed = (
                    tuple(w for w in part if w not in _CONNECTORS) if i or j < len(key) else part
                )
                if self._part(trimmed, ordinary):
                    best[j] = [*best[i], trimmed]
                    break
        return best.get(len(key))

    def covers(self, key: list[str], ordinary: set[str]) -> bool:
        return self._split(key, ordinary) is not None

    def parts(self, key: list[str], ordinary: set[str]) -> str:
        parts = self._split(key, ordinary) or []
        return ", ".join(f"“{self.written.get(p, ' '.join(p))}”" for p in parts if p)

    def similar(self, key: tuple[str, ...] | list[str], limit: int = 3) -> list[str]:
        """Source names sharing a word with `key`: those sharing most, then the most used,
        first; a name that is part of one already listed is left out."""
        shared = Counter(k for w in set(key) for k in self.by_word.get(w, []))
        chosen: list[tuple[str, ...]] = []
        for k in sorted(shared, key=lambda k: (-shared[k], -self.uses[k])):
            if len(chosen) < limit and not any(_in_order(k, c) for c in chosen):
                chosen.append(k)
        return [self.written[k] for k in chosen]


def _in_order(part: tuple[str, ...], key: tuple[str, ...]) -> bool:
    """Whether `part` is `key` with some middle words left out ("Héctor Oesterheld")."""
    it = iter(key)
    return all(w in it for w in part)


__all__ = [
    "NameIndex",
    "Words",
    "all_ordinary",
    "capitalised_inside",
    "find_names",
    "fold",
    "mask_markdown",
    "name_key",
    "name_parts",
    "split_sentences",
]
