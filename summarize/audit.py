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
How text is read (sentences, Markdown, folded words, names) is in summarize.audit_text; the
report's types are in summarize.models, its views and the command line in audit_output.
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
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any

from summarize import numbers
from summarize.anchors import Name, vocabulary_test
from summarize.audit_text import (
    TOKEN,
    NameIndex,
    Words,
    all_ordinary,
    blank,
    capitalised_inside,
    content_forms,
    find_names,
    fold,
    mask_markdown,
    name_key,
    name_parts,
    split_sentences,
)
from summarize.errors import InputError
from summarize.fetch import is_url
from summarize.models import AuditKind, Backing, CheckedItem, DraftSpan, Source
from summarize.numbers import Number, check_numbers, detect_decimal, find_numbers
from summarize.report import DraftCheck
from summarize.settings import DEFAULT_MAX_ARTICLE_CHARS
from summarize.sources import load_sources, source_from_text
from summarize.verify import TOO_SHORT, SourceIndex, index_for, quotations
from summarize.words import STOPWORDS

Span = tuple[int, int]

# ----------------------------------------------------------------------------- sources

# Everything find_numbers can read starts with a digit or one of its number words; a sentence
# with none is not parsed at all (parsing number words costs more than the rest of indexing).
_NUMBER_WORDS = sorted({*numbers._WORD_VALUES, *numbers._WORD_SCALES, *numbers._FRACTIONS})
_MAY_HOLD_NUMBER = re.compile(rf"\d|(?i:\b(?:{'|'.join(_NUMBER_WORDS)})\b|fold\b)")


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
        plain = blank(source.text, ((n.start, n.end) for n in self.numbers))
        self.context = [content_forms(plain[a:b]) for a, b in self.sentences]
        self.words = Words(source.text)
        self.inside = capitalised_inside(source.text, self.sentences)

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
        self._inside = set().union(*(a.inside for a in self.articles))
        self._vocabulary = vocabulary_test(a.text for a in self.articles)

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
        plain = blank(text, ((n.start, n.end) for n in numbers))
        for n in numbers:
            i = sentence_of(n.start)
            context = content_forms(plain[slice(*sentences[i])])
            items.append(self._number(n, i, context, decimal))
        ordinary = self._lower | Words(text).lower | STOPWORDS
        inside = self._inside | capitalised_inside(text, sentences)
        own = vocabulary_test([text])

        def is_common(word: str) -> bool:
            return self._vocabulary(word) or own(word) or fold(word) not in inside

        for whole in find_names(text, is_common, [(a, b) for a, b, _ in quoted]):
            parts = [whole] if self._named(name_key(whole.text)) else name_parts(whole)
            for name in parts:
                if not all_ordinary(name.text, ordinary):
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
        words = [fold(w) for w in TOKEN.findall(inner)]
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
    def _source_names(self) -> NameIndex:
        """The names the sources use (built on the first draft that needs it, then kept)."""

        def is_common(word: str) -> bool:
            return self._vocabulary(word) or fold(word) not in self._inside

        return NameIndex(
            [name for a in self.articles for name in find_names(a.text, is_common, [])]
        )

    def _named(self, key: tuple[str, ...]) -> bool:
        return self._everything.find(" " + " ".join(key) + " ") >= 0

    @cached_property
    def _everything(self) -> str:
        """All sources' folded words, one line per source: a name is looked up once here,
        then only in the sources that hold it."""
        return "\n".join(a.words.joined for a in self.articles)

    def _name(self, name: Name, i: int, ordinary: set[str]) -> CheckedItem:
        key = list(name_key(name.text))
        item = _Item("name", name.text, name.start, name.end, i)
        holders = (a for a in self.articles if all(w in a.words.vocabulary for w in key))
        found = []
        if self._named(tuple(key)):
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


def _likeness(words: list[str], passage: str | None) -> float:
    """How much of a missed quotation's wording a closest passage shares (0 when none)."""
    if passage is None:
        return 0.0
    found = [fold(w) for w in TOKEN.findall(passage)]
    return SequenceMatcher(None, words, found, autojunk=False).ratio()


def _same_words(found: str, quote: str) -> bool:
    """A short quotation's words, compared exactly (Unicode forms and case aside)."""
    words = [unicodedata.normalize("NFKC", w).casefold() for w in TOKEN.findall(quote)]
    return words == [unicodedata.normalize("NFKC", w).casefold() for w in TOKEN.findall(found)]


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


__all__ = ["Checker", "check", "is_markdown", "read_draft"]
