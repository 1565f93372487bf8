"""How each item of a draft is judged against the indexed sources: a quotation (verbatim, as
the verifier finds it, or the closest passage and what differs), a number (a value-equal
number in a source sentence about the same thing, or why none is), a name (used by a source,
or made of names the sources use). One function per kind, each returning the item's verdict
with its backing passages; apart from the checker, which finds the items in a draft.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from summarize.anchors import Name
from summarize.audit_sources import Article, IndexedSources, label
from summarize.audit_text import TOKEN, fold, name_key
from summarize.models import AuditKind, Backing, CheckedItem
from summarize.numbers import Number, check_numbers
from summarize.verify import TOO_SHORT


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


MAX_BACKING = 5  # backing passages reported per number or name, best first


def check_quotation(
    sources: IndexedSources, draft: str, start: int, end: int, inner: str, i: int
) -> CheckedItem:
    words = [fold(w) for w in TOKEN.findall(inner)]
    present = [(sum(w in a.words.vocabulary for w in words), a) for a in sources.articles]
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
            f"{label(sources.source(b.source_id))} "
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
                f"not verbatim in any source; closest is {label(article.source)} "
                f"chars {m.closest_start}–{m.closest_end}: "
                + ("; ".join(m.differences) or "wording differs")
            )
        else:
            diagnosis = (
                "not verbatim in any source, nor close: in "
                f"{label(article.source)}, the one holding most of its words, "
                + "; ".join(m.differences).replace("of the article ", "")
            )
    else:
        reason = "too short to verify and " if len(words) < 3 else ""
        diagnosis = f"not in any source ({reason}no source has all of its words)"
    return item.unbacked(diagnosis, closest)


def check_number(
    sources: IndexedSources, n: Number, i: int, context: dict[str, str], decimal: str
) -> CheckedItem:
    own = context.keys() - sources.common
    ranked = []
    for article, found in sources.by_value.get((n.value, n.unit), []):
        k = article.sentence_of(found.start)
        shared = context.keys() & article.context[k].keys()
        ranked.append((len(shared - sources.common), len(shared), article, found, k, shared))
    ranked.sort(key=lambda r: (-r[0], -r[1]))
    item = _Item("number", n.text, n.start, n.end, i)
    backing = [
        _number_backing(sources, article, found, k, shared, context)
        for distinct, count, article, found, k, shared in ranked
        if distinct or (count and not own)
    ][:MAX_BACKING]
    if backing:
        best = backing[0]
        words = ", ".join(best.shared_words)
        diagnosis = (
            f"value-equal “{best.text}” in {label(sources.source(best.source_id))} chars "
            f"{best.start}–{best.end}, in a sentence sharing: {words}"
        )
        return item.backed(diagnosis, backing)
    if ranked:
        _, _, article, found, k, shared = ranked[0]
        closest = _number_backing(sources, article, found, k, shared, context)
        common = ", ".join(closest.shared_words) or "nothing"
        diagnosis = (
            f"“{closest.text}” is in {label(article.source)} chars {found.start}–{found.end} "
            f"but about something else: that sentence shares {common} with this one, "
            "nothing beyond the story's common vocabulary"
        )
        return item.unbacked(diagnosis, closest)
    return _number_miss(sources, n, item, context, decimal)


def _number_backing(
    sources: IndexedSources,
    article: Article,
    found: Number,
    k: int,
    shared: set[str],
    context: dict[str, str],
) -> Backing:
    a, b = article.sentences[k]
    return article.backing(
        found.start,
        found.end,
        context=article.text[a:b],
        shared_words=[context[s] for s in sorted(shared, key=lambda s: (s in sources.common, s))],
    )


def _number_miss(
    sources: IndexedSources, n: Number, item: _Item, context: dict[str, str], decimal: str
) -> CheckedItem:
    """No source states the value: explain against the sentences closest in wording."""
    near_by = {place for w in context for place in sources.sentences_with.get(w, [])}
    scored = [
        (len(context.keys() & words.keys() - sources.common), len(context.keys() & words), a, k)
        for a, k in sorted(near_by, key=lambda p: (sources.articles.index(p[0]), p[1]))
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
                why += f" in {label(a.source)} chars {at}–{at + len(quoted.group(1))}"
                break
    why = why.replace("not in the evidence", "no source states this value").replace(
        "evidence has", "the closest passage has"
    )
    if not near:
        why = "no source states this value, and no source sentence shares a word with this one"
    return item.unbacked(why, closest)


def check_name(sources: IndexedSources, name: Name, i: int, ordinary: set[str]) -> CheckedItem:
    key = list(name_key(name.text))
    item = _Item("name", name.text, name.start, name.end, i)
    holders = (a for a in sources.articles if all(w in a.words.vocabulary for w in key))
    found = []
    if sources.named(tuple(key)):
        found = [(a, span) for a in holders if (span := a.words.find(key)) is not None]
    if found:
        where = ", ".join(label(a.source) for a, _ in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        backing = [a.backing(*span) for a, span in found[:MAX_BACKING]]
        return item.backed(f"named in {where}{more}", backing)
    names = sources.source_names
    if names.covers(key, ordinary):
        return item.backed("each part is a name the sources use: " + names.parts(key, ordinary), [])
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
