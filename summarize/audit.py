"""Audit a draft written anywhere against its sources: quotations, numbers, names; no model.

`check(draft, sources)` goes through every sentence of a draft (a reporter's copy, another
tool's summary) and reports each item with the passage that backs it, or why none does:
- a quotation is backed where `verify_quote` finds it (the verifier's rules, nothing looser),
  and the report says whether that source quotes the words (inside quotation marks) or writes
  them in its own prose; a miss names the closest passage and what differs;
- a number is backed by a value-equal number (`find_numbers`, each source read in its own
  notation) in a source sentence about the same thing, i.e. one sharing a content word with the
  draft sentence beyond the story's common vocabulary. Candidates are ranked by shared words;
  none, or only candidates about something else, is unbacked. Numbers inside a quotation are
  left to the quotation, which must be verbatim anyway;
- a proper name (a run of capitalised words) is backed when a source contains it, up to case,
  diacritics and possessives, or when it splits into names the sources use.

A `Checker` indexes the sources once, so many drafts can be checked against one set quickly.
"""

from __future__ import annotations

import os
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from itertools import accumulate
from pathlib import Path, PurePath
from typing import Any

from summarize.errors import InputError
from summarize.fetch import is_url
from summarize.models import AuditKind, Backing, CheckedItem, DraftCheck, DraftSpan, Source
from summarize.numbers import Number, check_numbers, detect_decimal, find_numbers
from summarize.settings import DEFAULT_MAX_ARTICLE_CHARS
from summarize.sources import load_sources, source_from_text
from summarize.verify import TOO_SHORT, SourceIndex, index_for, quotations
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

_TOKEN = re.compile(r"[^\W_](?:[^\W_]|[\u200b-\u200d\u2060\ufeff\u00ad])*")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_CONTENT = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Lower case without diacritics or invisible characters: how names are compared."""
    if word.isascii():
        return word.lower()
    word = word.translate(_INVISIBLE)
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _content(text: str) -> dict[str, str]:
    """Content words of `text`: stem -> the word as first written (no stopwords, no letters)."""
    out: dict[str, str] = {}
    for word in _CONTENT.findall(text):
        if len(word) > 1 and word.lower() not in STOPWORDS:
            out.setdefault(stem(word), word)
    return out


def _blank(text: str, spans: Iterable[Span]) -> str:
    """`text` with the given spans replaced by spaces (numbers are not context words)."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


class _Words:
    """Folded word tokens of a text and their spans, for word-for-word lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        tokens = _TOKEN.findall(text)
        lowered = _TOKEN.findall(text.lower())  # one C call instead of one per word
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
        return [m.span() for m in _TOKEN.finditer(self.text)]

    def find(self, seq: list[str]) -> Span | None:
        """Character span of the first run of tokens equal to `seq`, or None."""
        at = self.joined.find(" " + " ".join(seq) + " ") if seq else -1
        if at < 0:
            return None
        i = bisect_right(self._offsets, at + 1) - 1
        return self.spans[i][0], self.spans[i + len(seq) - 1][1]


# ----------------------------------------------------------------------------- names

_NAME_TOKEN = re.compile(r"\w+(?:[’'\-‐‑.]\w+)*(?:[’']s\b)?")
# a word start that is not plainly lower case (the rest are checked with str.isupper)
_CAPITAL = re.compile(r"(?<![\w\-‐‑.])(?![a-zß-öø-ÿ\d_])" + _NAME_TOKEN.pattern)
_CONNECTORS = frozenset("of de del della der di du da dos das la le van von bin al".split())
_CONNECTED = re.compile(rf"\s+(?:{'|'.join(sorted(_CONNECTORS))})\s+")
_OPENERS = re.compile(r"[“\"‘«(\[:—–]")


@dataclass(frozen=True)
class _Name:
    text: str
    start: int
    end: int

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(fold(w) for w in _TOKEN.findall(self.text))


def _capitals(text: str, sentences: list[Span]) -> list[tuple[re.Match[str], bool]]:
    """Each capitalised word, and whether it opens a sentence or a quotation (where a capital
    says nothing about being a name)."""
    starts = {a for a, _ in sentences}
    found = []
    for tok in _CAPITAL.finditer(text):
        if not tok.group()[0].isupper():
            continue
        a = i = tok.start()
        while i > 0 and not text[i - 1].isalnum():
            i -= 1
        found.append((tok, a in starts or i == 0 or bool(_OPENERS.search(text, i, a))))
    return found


def capitalised_inside(capitals: list[tuple[re.Match[str], bool]]) -> set[str]:
    """Words written with a capital where no sentence or quote opens: names, most likely."""
    return {_fold_word(tok.group()) for tok, opening in capitals if not opening}


def _names(
    text: str, capitals: list[tuple[re.Match[str], bool]], ordinary: set[str], inside: set[str]
) -> list[_Name]:
    """Runs of capitalised words (with "of", "de", "van"… inside and initials like "G."). A
    word that opens a sentence counts only if it is capitalised elsewhere too, and is not a
    common word; a possessive ends its run."""
    found: list[_Name] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        if run and not all(_ordinary(t.group(), ordinary) for t in run):
            first, last = run[0], run[-1]
            end = last.end() - (2 if _possessive(last.group()) else 0)
            found.append(_Name(text[first.start() : end], first.start(), end))
        run.clear()

    for tok, opening in capitals:
        word = tok.group()
        if run and not opening and _joins(text, run[-1], tok):
            run.append(tok)
        else:
            close()
            if len(word) > 1 or text.startswith(".", tok.end()):
                common = _ordinary(word, ordinary) or _fold_word(word) not in inside
                if not (opening and common):
                    run.append(tok)
        if run and _possessive(word):
            close()
    close()
    return found


def _joins(text: str, previous: re.Match[str], tok: re.Match[str]) -> bool:
    """Whether `tok` continues the name that `previous` ends: only spaces, a connector, or
    the full stop of an initial ("G. Oesterheld") between them."""
    between = text[previous.end() : tok.start()]
    if between.isspace():
        return True
    if len(previous.group()) == 1 and between.startswith("."):
        return between[1:].isspace()
    return bool(_CONNECTED.fullmatch(between))


def _fold_word(word: str) -> str:
    return fold(word[:-2] if _possessive(word) else word)


def _parts(name: _Name) -> list[_Name]:
    """A name cut at its connectors ("Marco Ruiz of Eyeline Studios": two names)."""
    out, first, last = [], None, None
    for tok in [*_NAME_TOKEN.finditer(name.text), None]:
        if tok is None or tok.group().lower() in _CONNECTORS:
            if first is not None and last is not None:
                a, b = name.start + first.start(), name.start + last.end()
                out.append(_Name(name.text[first.start() : last.end()], a, b))
            first = last = None
        else:
            first, last = first or tok, tok
    return out


def _possessive(word: str) -> bool:
    return word.endswith(("’s", "'s"))


def _ordinary(word: str, ordinary: set[str]) -> bool:
    """A word the texts also write in lower case (or a stopword): capitalised, it is no name."""
    if _possessive(word):
        word = word[:-2]
    parts = [fold(p) for p in _TOKEN.findall(word)]
    return all(p in ordinary or p.isdigit() for p in parts)


# ----------------------------------------------------------------------------- sources

# Everything find_numbers can read starts with a digit or one of these words; a sentence with
# none of them is not parsed at all (parsing number words costs more than the rest of indexing).
_MAY_HOLD_NUMBER = re.compile(
    r"\d|(?i:\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|half|halves|third|"
    r"thirds|quarter|quarters)\b|fold\b)"
)


class _Article:
    """Everything the audit needs from one source, computed once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.index: SourceIndex = index_for(source.text)
        self.decimal = detect_decimal(source.text)
        self.sentences = split_sentences(source.text)
        self.numbers = _numbers(source.text, self.sentences, self.decimal)
        self.starts = [a for a, _ in self.sentences]
        plain = _blank(source.text, ((n.start, n.end) for n in self.numbers))
        self.context = [_content(plain[a:b]) for a, b in self.sentences]
        self.words = _Words(source.text)
        self.capitals = _capitals(source.text, self.sentences)

    def sentence_of(self, offset: int) -> int:
        return _containing(self.starts, offset)

    @cached_property
    def quoted(self) -> list[Span]:
        """Passages the source itself puts in quotation marks."""
        return [(a, b) for a, b, _ in quotations(self.text)]

    def is_quoted(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.quoted)

    def backing(self, start: int, end: int, **extra: Any) -> Backing:
        return Backing(
            source_id=self.source.id, start=start, end=end, text=self.text[start:end], **extra
        )


def _numbers(text: str, sentences: list[Span], decimal: str) -> list[Number]:
    """find_numbers, sentence by sentence, skipping the sentences that cannot hold one."""
    return [
        replace(n, start=n.start + a, end=n.end + a)
        for a, b in sentences
        if _MAY_HOLD_NUMBER.search(text, a, b)
        for n in find_numbers(text[a:b], decimal=decimal)
    ]


def _label(source: Source) -> str:
    return (source.path and PurePath(source.path).name) or source.id


# ----------------------------------------------------------------------------- checker


@dataclass(frozen=True)
class _Item:
    """What an item is and where it stands in the draft, before its verdict."""

    kind: AuditKind
    text: str
    start: int
    end: int
    sentence: int

    def _report(self, **verdict: Any) -> CheckedItem:
        return CheckedItem(
            kind=self.kind,
            text=self.text,
            start=self.start,
            end=self.end,
            sentence=self.sentence,
            **verdict,
        )

    def backed(self, diagnosis: str, backing: list[Backing]) -> CheckedItem:
        return self._report(verdict="backed", diagnosis=diagnosis, backing=backing)

    def unbacked(self, diagnosis: str, closest: Backing | None) -> CheckedItem:
        return self._report(verdict="unbacked", diagnosis=diagnosis, closest=closest)


COMMON_SHARE = 0.1  # a stem in this share of all source sentences is the story's vocabulary
MAX_BACKING = 5  # backing passages reported per number or name, best first


class Checker:
    """Sources indexed once; `check(draft)` audits any number of drafts against them."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.articles = [_Article(s) for s in sources]
        self.by_value: dict[tuple[Decimal, str | None], list[tuple[_Article, Number]]] = (
            defaultdict(list)
        )
        for article in self.articles:
            for n in article.numbers:
                self.by_value[(n.value, n.unit)].append((article, n))
        counts = Counter(w for a in self.articles for words in a.context for w in words)
        total = sum(len(a.context) for a in self.articles)
        self.common = {w for w, n in counts.items() if n >= max(3, COMMON_SHARE * total)}
        self._lower = {w for a in self.articles for w in a.words.lower}
        self._inside = set().union(*(capitalised_inside(a.capitals) for a in self.articles))

    # -------------------------------------------------------------- draft

    def check(self, draft: Source, *, markdown: bool = False) -> DraftCheck:
        """Audit `draft`; with `markdown`, its Markdown syntax is not read as prose."""
        text = mask_markdown(draft.text) if markdown else draft.text
        sentences = split_sentences(text, soft_newlines=True)
        items: list[CheckedItem] = []
        quoted = _quotations(text)
        starts = [a for a, _ in sentences]

        def sentence_of(offset: int) -> int:
            return _containing(starts, offset)

        for qa, qb, inner in quoted:
            items.append(self._quotation(draft.text, qa, qb, inner, sentence_of(qa)))
        decimal = detect_decimal(text)
        numbers = [
            n
            for n in _numbers(text, sentences, decimal)
            if not any(qa <= n.start < qb for qa, qb, _ in quoted)
        ]
        plain = _blank(text, ((n.start, n.end) for n in numbers))
        for n in numbers:
            i = sentence_of(n.start)
            context = _content(plain[slice(*sentences[i])])
            items.append(self._number(n, i, context, decimal))
        ordinary = self._lower | _Words(text).lower | STOPWORDS
        capitals = _capitals(text, sentences)
        inside = self._inside | capitalised_inside(capitals)
        for whole in _names(text, capitals, ordinary, inside):
            parts = [whole] if self._named(whole.key) else _parts(whole)
            for name in parts:
                items.append(self._name(name, sentence_of(name.start), ordinary))
        items.sort(key=lambda item: (item.start, item.end))
        return DraftCheck(
            draft=draft,
            sources=self.sources,
            sentences=[DraftSpan(start=a, end=b) for a, b in sentences],
            items=items,
        )

    # -------------------------------------------------------------- quotations

    def _quotation(self, draft: str, start: int, end: int, inner: str, i: int) -> CheckedItem:
        words = [fold(w) for w in _TOKEN.findall(inner)]
        present = [(sum(w in a.words.vocabulary for w in words), a) for a in self.articles]
        possible = [a for n, a in present if words and n == len(words)]
        backing, misses = [], []
        for article in possible:
            m = article.index.find(inner)
            if m.ok and m.start is not None and m.end is not None:
                quoted = article.is_quoted(m.start, m.end)
                backing.append(article.backing(m.start, m.end, match=m.kind, quoted_speech=quoted))
            elif m.differences == [TOO_SHORT]:
                span = article.words.find(words)
                if span is not None and _same_words(article.text[slice(*span)], inner):
                    quoted = article.is_quoted(*span)
                    backing.append(article.backing(*span, match="words", quoted_speech=quoted))
            else:
                misses.append((article, m))
        item = _Item("quotation", draft[start:end], start, end, i)
        if backing:
            backing.sort(key=lambda b: not b.quoted_speech)
            diagnosis = "verbatim in " + ", ".join(
                f"{_label(self._source(b.source_id))} "
                + ("(quoted speech)" if b.quoted_speech else "(the source's own prose)")
                for b in backing
            )
            if len(words) < 3:
                diagnosis += "; short: matched word for word"
            return item.backed(diagnosis, backing)
        if not misses:
            best = max(present, key=lambda p: p[0], default=(0, None))[1]
            if best is not None and len(words) >= 3:
                misses.append((best, best.index.find(inner)))
        closest = None
        if misses:
            article, m = max(misses, key=lambda miss: _likeness(words, miss[1].closest))
            if m.closest is not None and m.closest_start is not None and m.closest_end is not None:
                closest = article.backing(m.closest_start, m.closest_end)
                diagnosis = (
                    f"not verbatim in any source; closest is {_label(article.source)} "
                    f"chars {m.closest_start}–{m.closest_end}: "
                    + ("; ".join(m.differences) or "wording differs")
                )
            else:
                diagnosis = (
                    "not verbatim in any source, nor close: in "
                    f"{_label(article.source)}, the one holding most of its words, "
                    + "; ".join(m.differences).replace("of the article ", "")
                )
        else:
            reason = "too short to verify and " if len(words) < 3 else ""
            diagnosis = f"not in any source ({reason}no source has all of its words)"
        return item.unbacked(diagnosis, closest)

    def _source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    # -------------------------------------------------------------- numbers

    def _number(self, n: Number, i: int, context: dict[str, str], decimal: str) -> CheckedItem:
        own = context.keys() - self.common
        ranked = []
        for article, found in self.by_value.get((n.value, n.unit), []):
            k = article.sentence_of(found.start)
            shared = context.keys() & article.context[k].keys()
            ranked.append((len(shared - self.common), len(shared), article, found, k, shared))
        ranked.sort(key=lambda r: (-r[0], -r[1]))
        item = _Item("number", n.text, n.start, n.end, i)
        backing = [
            self._number_backing(article, found, k, shared, context)
            for distinct, count, article, found, k, shared in ranked
            if distinct or (count and not own)
        ][:MAX_BACKING]
        if backing:
            best = backing[0]
            words = ", ".join(best.shared_words)
            diagnosis = (
                f"value-equal “{best.text}” in {_label(self._source(best.source_id))} chars "
                f"{best.start}–{best.end}, in a sentence sharing: {words}"
            )
            return item.backed(diagnosis, backing)
        if ranked:
            _, _, article, found, k, shared = ranked[0]
            closest = self._number_backing(article, found, k, shared, context)
            common = ", ".join(closest.shared_words) or "nothing"
            diagnosis = (
                f"“{closest.text}” is in {_label(article.source)} chars {found.start}–{found.end} "
                f"but about something else: that sentence shares {common} with this one, "
                "nothing beyond the story's common vocabulary"
            )
            return item.unbacked(diagnosis, closest)
        return self._number_miss(n, item, context, decimal)

    def _number_backing(
        self, article: _Article, found: Number, k: int, shared: set[str], context: dict[str, str]
    ) -> Backing:
        a, b = article.sentences[k]
        return article.backing(
            found.start,
            found.end,
            context=article.text[a:b],
            shared_words=[context[s] for s in sorted(shared, key=lambda s: (s in self.common, s))],
        )

    def _number_miss(
        self, n: Number, item: _Item, context: dict[str, str], decimal: str
    ) -> CheckedItem:
        """No source states the value: explain against the sentences closest in wording."""
        near_by = {place for w in context for place in self._sentences_with.get(w, [])}
        scored = [
            (len(context.keys() & words.keys() - self.common), len(context.keys() & words), a, k)
            for a, k in sorted(near_by, key=lambda p: (self.articles.index(p[0]), p[1]))
            if (words := a.context[k])
        ]
        scored.sort(key=lambda s: (-s[0], -s[1]))
        near = [(a, k) for _, _, a, k in scored[:3]]
        evidence = "\n".join(a.text[slice(*a.sentences[k])] for a, k in near)
        reason = check_numbers(n.text, evidence, decimal=decimal).numbers
        why = reason[0].reason if reason and reason[0].reason else "not in any source"
        closest = None
        quoted = re.search(r"“([^”]+)”", why)
        if quoted:
            for a, k in near:
                sa, sb = a.sentences[k]
                at = a.text.find(quoted.group(1), sa, sb)
                if at >= 0:
                    closest = a.backing(at, at + len(quoted.group(1)), context=a.text[sa:sb])
                    why += f" in {_label(a.source)} chars {at}–{at + len(quoted.group(1))}"
                    break
        why = why.replace("not in the evidence", "no source states this value").replace(
            "evidence has", "the closest passage has"
        )
        if not near:
            why = "no source states this value, and no source sentence shares a word with this one"
        return item.unbacked(why, closest)

    @cached_property
    def _sentences_with(self) -> dict[str, list[tuple[_Article, int]]]:
        """Source sentences by the content words they hold, to explain a missing number."""
        where: dict[str, list[tuple[_Article, int]]] = defaultdict(list)
        for article in self.articles:
            for k, words in enumerate(article.context):
                for w in words:
                    where[w].append((article, k))
        return where

    # -------------------------------------------------------------- names

    @cached_property
    def _source_names(self) -> _NameIndex:
        """The names the sources use (built on the first draft that needs it, then kept)."""
        ordinary = self._lower | STOPWORDS
        return _NameIndex(
            [
                name
                for article in self.articles
                for name in _names(article.text, article.capitals, ordinary, self._inside)
            ]
        )

    def _named(self, key: tuple[str, ...]) -> bool:
        return self._everything.find(" " + " ".join(key) + " ") >= 0

    @cached_property
    def _everything(self) -> str:
        """All sources' folded words, one line per source: a name is looked up once here,
        then only in the sources that hold it."""
        return "\n".join(a.words.joined for a in self.articles)

    def _name(self, name: _Name, i: int, ordinary: set[str]) -> CheckedItem:
        key = list(name.key)
        item = _Item("name", name.text, name.start, name.end, i)
        holders = (a for a in self.articles if all(w in a.words.vocabulary for w in key))
        found = []
        if self._named(name.key):
            found = [(a, span) for a in holders if (span := a.words.find(key)) is not None]
        if found:
            where = ", ".join(_label(a.source) for a, _ in found[:3])
            more = f" and {len(found) - 3} more" if len(found) > 3 else ""
            backing = [a.backing(*span) for a, span in found[:MAX_BACKING]]
            return item.backed(f"named in {where}{more}", backing)
        names = self._source_names
        if names.covers(key, ordinary):
            return item.backed(
                "each part is a name the sources use: " + names.parts(key, ordinary), []
            )
        similar = names.similar(key)
        hint = f"; the sources name {', '.join(f'“{s}”' for s in similar)}" if similar else ""
        return item.unbacked(f"no source names it{hint}", None)


class _NameIndex:
    """The names the sources use, for names that appear in no source as written."""

    def __init__(self, found: list[_Name]) -> None:
        self.written: dict[tuple[str, ...], str] = {}
        self.uses: Counter[tuple[str, ...]] = Counter()
        for name in found:
            key = name.key
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


def _likeness(words: list[str], passage: str | None) -> float:
    """How much of a missed quotation's wording a closest passage shares (0 when none)."""
    if passage is None:
        return 0.0
    found = [fold(w) for w in _TOKEN.findall(passage)]
    return SequenceMatcher(None, words, found, autojunk=False).ratio()


def _same_words(found: str, quote: str) -> bool:
    """A short quotation's words, compared exactly (Unicode forms and case aside)."""
    words = [unicodedata.normalize("NFKC", w).casefold() for w in _TOKEN.findall(quote)]
    return words == [unicodedata.normalize("NFKC", w).casefold() for w in _TOKEN.findall(found)]


def _quotations(text: str) -> list[tuple[int, int, str]]:
    """Quotations of the draft, looked for paragraph by paragraph (a stray straight quote
    mark cannot pair with one paragraphs away)."""
    found = []
    pos = 0
    for block in [*re.finditer(r"\n[^\S\n]*\n", text), None]:
        end = block.start() if block else len(text)
        found += [(pos + a, pos + b, q) for a, b, q in quotations(text[pos:end])]
        pos = block.end() if block else len(text)
    return found


def _containing(starts: list[int], offset: int) -> int:
    """Index of the sentence holding `offset`: the last one starting at or before it."""
    return max(bisect_right(starts, offset) - 1, 0)


# ----------------------------------------------------------------------------- API

MARKDOWN_SUFFIXES = (".md", ".markdown")


def read_draft(
    draft: str | os.PathLike[str] | Source, *, max_chars: int = DEFAULT_MAX_ARTICLE_CHARS
) -> Source:
    """A draft as a Source: a path or URL is read like an article (HTML is reduced to its
    text); a str is the draft's text, unless it is one line naming a file (read) or looking like
    a file name that does not exist (an error, rather than checking the words "draft.md")."""
    if isinstance(draft, Source):
        return draft
    if isinstance(draft, str) and is_url(draft.strip()) and "\n" not in draft.strip():
        return load_sources([draft.strip()], max_chars=max_chars)[0]
    if isinstance(draft, str) and ("\n" in draft or not _looks_like_a_path(draft)):
        return source_from_text(draft, "draft")
    if Path(draft).is_dir():
        raise InputError(os.fspath(draft), "is a directory; the draft must be one file")
    return load_sources([Path(draft)], max_chars=max_chars)[0]


def _looks_like_a_path(text: str) -> bool:
    name = text.strip()
    return Path(name).is_file() or (
        " " not in name and name.lower().endswith((*MARKDOWN_SUFFIXES, ".txt", ".html", ".htm"))
    )


def is_markdown(draft: Source) -> bool:
    """Markdown syntax is masked for .md drafts, texts given in Python and standard input."""
    return draft.path is None or draft.path.lower().endswith(MARKDOWN_SUFFIXES)


def check(
    draft: str | os.PathLike[str] | Source,
    sources: str | os.PathLike[str] | Source | Iterable[str | os.PathLike[str] | Source],
) -> DraftCheck:
    """Audit a draft's quotations, numbers and names against the sources, with no model.

    `draft`: its text (a str), or a path to a .md, .txt or .html file. `sources`: anything
    `load_sources` reads (paths, directories, texts, Source objects)."""
    loaded = load_sources(sources)
    text = read_draft(draft)
    return Checker(loaded).check(text, markdown=is_markdown(text))


__all__ = ["Checker", "check", "fold", "mask_markdown", "read_draft", "split_sentences"]
