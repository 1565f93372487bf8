"""The sources of `summarize check`, indexed once: each article's sentences, numbers (read in
its own notation), content words, folded words and the names it uses, and across them the
numbers by value, the story's common vocabulary and the sentences holding each word. A
`Checker` is these sources plus `check(draft)`; the index sits apart because it is built once
and then only read, by the rules in `audit_items` as much as by the checker.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal
from functools import cached_property
from pathlib import PurePath
from typing import Any

from summarize.anchors import vocabulary_test
from summarize.audit_text import (
    NameIndex,
    Words,
    blank,
    capitalised_inside,
    content_forms,
    find_names,
    fold,
    split_sentences,
)
from summarize.models import Backing, Source
from summarize.numbers import NUMBER_WORDS, Number, detect_decimal, find_numbers
from summarize.verify import SourceIndex, index_for, quotations

Span = tuple[int, int]

# Everything find_numbers can read starts with a digit or one of its number words; a sentence
# with none is not parsed at all (parsing number words costs more than the rest of indexing).
_MAY_HOLD_NUMBER = re.compile(rf"\d|(?i:\b(?:{'|'.join(sorted(NUMBER_WORDS))})\b|fold\b)")


class Article:
    """Everything the audit needs from one source, computed once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.index: SourceIndex = index_for(source.text)
        self.decimal = detect_decimal(source.text)
        self.sentences = split_sentences(source.text)
        self.numbers = numbers_in(source.text, self.sentences, self.decimal)
        self.starts = [a for a, _ in self.sentences]
        plain = blank(source.text, ((n.start, n.end) for n in self.numbers))
        self.context = [content_forms(plain[a:b]) for a, b in self.sentences]
        self.words = Words(source.text)
        self.inside = capitalised_inside(source.text, self.sentences)

    def sentence_of(self, offset: int) -> int:
        return containing(self.starts, offset)

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


def numbers_in(text: str, sentences: list[Span], decimal: str) -> list[Number]:
    """find_numbers, sentence by sentence, skipping the sentences that cannot hold one."""
    return [
        replace(n, start=n.start + a, end=n.end + a)
        for a, b in sentences
        if _MAY_HOLD_NUMBER.search(text, a, b)
        for n in find_numbers(text[a:b], decimal=decimal)
    ]


def label(source: Source) -> str:
    return (source.path and PurePath(source.path).name) or source.id


def containing(starts: list[int], offset: int) -> int:
    """Index of the sentence holding `offset`: the last one starting at or before it."""
    return max(bisect_right(starts, offset) - 1, 0)


COMMON_SHARE = 0.1  # a stem in this share of all source sentences is the story's vocabulary


class IndexedSources:
    """Sources indexed once, for any number of drafts."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.articles = [Article(s) for s in sources]
        self.by_value: dict[tuple[Decimal, str | None], list[tuple[Article, Number]]] = defaultdict(
            list
        )
        for article in self.articles:
            for n in article.numbers:
                self.by_value[(n.value, n.unit)].append((article, n))
        counts = Counter(w for a in self.articles for words in a.context for w in words)
        total = sum(len(a.context) for a in self.articles)
        self.common = {w for w, n in counts.items() if n >= max(3, COMMON_SHARE * total)}
        self.lower = {w for a in self.articles for w in a.words.lower}
        self.inside = set().union(*(a.inside for a in self.articles))
        self.vocabulary = vocabulary_test(a.text for a in self.articles)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    @cached_property
    def sentences_with(self) -> dict[str, list[tuple[Article, int]]]:
        """Source sentences by the content words they hold, to explain a missing number."""
        where: dict[str, list[tuple[Article, int]]] = defaultdict(list)
        for article in self.articles:
            for k, words in enumerate(article.context):
                for w in words:
                    where[w].append((article, k))
        return where

    @cached_property
    def source_names(self) -> NameIndex:
        """The names the sources use (built on the first draft that needs it, then kept)."""

        def is_common(word: str) -> bool:
            return self.vocabulary(word) or fold(word) not in self.inside

        return NameIndex(
            [name for a in self.articles for name in find_names(a.text, is_common, [])]
        )

    def named(self, key: tuple[str, ...]) -> bool:
        return self._everything.find(" " + " ".join(key) + " ") >= 0

    @cached_property
    def _everything(self) -> str:
        """All sources' folded words, one line per source: a name is looked up once here,
        then only in the sources that hold it."""
        return "\n".join(a.words.joined for a in self.articles)
