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

A `Checker` indexes the sources once (`audit_sources`), so many drafts can be checked against
one set quickly; how each kind of item is judged is in `audit_items`, how text is read
(sentences, Markdown, folded words, names) in `audit_text`. The report's types are in
summarize.models, its views in audit_output, the command line in cli_check.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from summarize.anchors import vocabulary_test
from summarize.audit_items import check_name, check_number, check_quotation
from summarize.audit_sources import IndexedSources, containing, numbers_in
from summarize.audit_text import (
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
from summarize.models import CheckedItem, DraftSpan, Source
from summarize.numbers import detect_decimal
from summarize.report import DraftCheck
from summarize.settings import DEFAULT_MAX_ARTICLE_CHARS
from summarize.sources import load_sources, source_from_text
from summarize.verify import quotations
from summarize.words import STOPWORDS


class Checker(IndexedSources):
    """Sources indexed once; `check(draft)` audits any number of drafts against them."""

    def check(self, draft: Source, *, markdown: bool = False) -> DraftCheck:
        """Audit `draft`; with `markdown`, its Markdown syntax is not read as prose."""
        text = mask_markdown(draft.text) if markdown else draft.text
        sentences = split_sentences(text, soft_newlines=True)
        items: list[CheckedItem] = []
        quoted = _quotations(text)
        starts = [a for a, _ in sentences]

        def sentence_of(offset: int) -> int:
            return containing(starts, offset)

        for qa, qb, inner in quoted:
            items.append(check_quotation(self, draft.text, qa, qb, inner, sentence_of(qa)))
        decimal = detect_decimal(text)
        numbers = [
            n
            for n in numbers_in(text, sentences, decimal)
            if not any(qa <= n.start < qb for qa, qb, _ in quoted)
        ]
        plain = blank(text, ((n.start, n.end) for n in numbers))
        for n in numbers:
            i = sentence_of(n.start)
            context = content_forms(plain[slice(*sentences[i])])
            items.append(check_number(self, n, i, context, decimal))
        ordinary = self.lower | Words(text).lower | STOPWORDS
        inside = self.inside | capitalised_inside(text, sentences)
        own = vocabulary_test([text])

        def is_common(word: str) -> bool:
            return self.vocabulary(word) or own(word) or fold(word) not in inside

        for whole in find_names(text, is_common, [(a, b) for a, b, _ in quoted]):
            parts = [whole] if self.named(name_key(whole.text)) else name_parts(whole)
            for name in parts:
                if not all_ordinary(name.text, ordinary):
                    items.append(check_name(self, name, sentence_of(name.start), ordinary))
        items.sort(key=lambda item: (item.start, item.end))
        return DraftCheck(
            draft=draft,
            sources=self.sources,
            sentences=[DraftSpan(start=a, end=b) for a, b in sentences],
            items=items,
        )


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
