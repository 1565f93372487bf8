"""The two views of a finished run: Markdown for people, JSON for audits and machines.

Markdown is meant to be read on GitHub: every sentence carries GFM footnotes, and every
footnote names the source (its display name: a headline, a site or a file name) and shows the
verified quote with its character span. Text is
escaped for display only; the JSON keeps every string exactly as the verifier saw it.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath

from summarize.models import ArticleError, Citation, Conflict, Sentence, Source, Summary
from summarize.version import VERSION
from summarize.words import unquoted

SCHEMA = 1
_GRAPH = ("claims", "sentences", "conflicts", "rejections", "errors", "usage")
_MAX_LISTED = 10  # rejections listed one by one in the Markdown; the JSON has them all

_SPACE = re.compile(r"\s+")  # str patterns match NBSP and other Unicode spaces too
# GFM inline syntax, plus `$` (GitHub math), `~` (strikethrough) and `#` (headings, issue refs),
# and what GFM's autolink extension turns into links (`https://`, `www.`: escaping the `:` or
# the `.` stops it; an e-mail address is linked after parsing, escapes or not).
_INLINE = re.compile(r"[\\`*_\[\]<|~$#]|&(?=#?\w+;)|:(?=//)|(?<=\bwww)\.", re.IGNORECASE)
_BULLET = re.compile(r"^[-+>]|^(\d{1,9})([.)])(?=\s|$)")


def inline_text(value: str) -> str:
    """Collapse whitespace runs to one space and backslash-escape Markdown syntax."""
    return _INLINE.sub(lambda m: "\\" + m.group(), _SPACE.sub(" ", value).strip())


def _line(value: str) -> str:
    """Escape what would start a list or blockquote when escaped text begins a line."""
    return _BULLET.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else "\\" + m[0], value)


def code_span(value: str) -> str:
    """An inline code span that survives backticks in the value (a file name, say)."""
    value = _SPACE.sub(" ", value).strip()
    fence = "`" * (max(map(len, re.findall("`+", value)), default=0) + 1)
    pad = " " if value[:1] == "`" or value[-1:] == "`" else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def clip(value: str, limit: int) -> str:
    """Shorten to at most about `limit` characters, only ever at a word boundary, marking the
    cut with an ellipsis; a single word longer than the limit is kept whole."""
    value = _SPACE.sub(" ", value).strip()
    if len(value) <= limit:
        return value
    cut = value[: limit + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else value.split(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


_INNER = str.maketrans({"“": "‘", "”": "’"})


def _quoted(value: str, limit: int) -> str:
    """A text in quotation marks, once: its own enclosing marks are dropped first, and marks
    inside it become single ones."""
    return f"“{inline_text(clip(unquoted(value).translate(_INNER), limit))}”"


def _passage(quote: str) -> str:
    """A verified passage in quotation marks; one that is itself quoted speech keeps its own
    marks rather than getting a second pair."""
    if len(quote) > 1 and quote[0] in '“"«' and quote[-1] in '”"»':
        return inline_text(quote)
    return f"“{inline_text(quote)}”"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class _Footnotes:
    """One footnote per cited claim, listing its passages, numbered by first appearance; the
    same passages (one source, same spans) keep one number whichever claim cites them."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, tuple[tuple[int, int], ...]], int] = {}
        self.cited: list[list[Citation]] = []

    def refs(self, citations: list[Citation]) -> str:
        by_claim: dict[str, list[Citation]] = {}
        for citation in citations:
            by_claim.setdefault(citation.claim_id, []).append(citation)
        out: list[str] = []
        for passages in by_claim.values():
            spans = tuple(sorted(dict.fromkeys((c.start, c.end) for c in passages)))
            key = (passages[0].source_id, spans)
            if key not in self.numbers:
                self.numbers[key] = len(self.numbers) + 1
                ordered = sorted({(c.start, c.end): c for c in passages}.values(), key=_span)
                self.cited.append(ordered)
            ref = f"[^{self.numbers[key]}]"
            if ref not in out:
                out.append(ref)
        return "".join(out)


def _span(citation: Citation) -> tuple[int, int]:
    return citation.start, citation.end


def _sentence(sentence: Sentence, notes: _Footnotes) -> str:
    return inline_text(sentence.text) + notes.refs(sentence.citations)


def _conflict(conflict: Conflict, notes: _Footnotes, names: dict[str, str]) -> str:
    positions = []
    for position in conflict.positions:
        cited = dict.fromkeys(c.source_id for c in position.citations)
        ids = ", ".join(names.get(i, code_span(i)) for i in cited)
        where = f" ({ids})" if ids else ""
        positions.append(f"“{inline_text(position.value)}”{where}{notes.refs(position.citations)}")
    line = f"- **{inline_text(conflict.topic)}**: " + " · ".join(positions)
    return line + (f" — _{inline_text(conflict.note)}_" if conflict.note else "")


_OUTCOMES = (  # (outcome, stage, what the count is of, how one item is introduced)
    ("dropped", "extract", "claim dropped", "Claim dropped"),
    ("dropped", "compose", "sentence dropped", "Sentence dropped"),
    ("title replaced", "compose", "title replaced", "Title replaced"),
    ("conflict refused", "compose", "conflict refused", "Conflict refused"),
    ("citation removed", "compose", "citation removed", "Citation removed"),
)


def _left_out(summary: Summary, names: dict[str, str]) -> list[str]:
    """Bullets for unreadable articles and for what the checks took out, by outcome, in plain
    words: nothing is left out silently."""
    lines = [_error_line(e, names) for e in summary.errors]
    groups = [
        (label, intro, [r for r in summary.rejections if (r.outcome, r.stage) == (o, st)])
        for o, st, label, intro in _OUTCOMES
    ]
    groups = [g for g in groups if g[2]]
    if not groups:
        return lines
    counts = ", ".join(
        _plural(len(items), label.split()[0]) + " " + " ".join(label.split()[1:])
        for label, _, items in groups
    )
    lines.append(
        f"- In all: {counts}. Each is listed below; the JSON output has every one in full."
    )
    listed = 0
    for _, intro, items in groups:
        for r in items:
            if listed == _MAX_LISTED:
                break
            listed += 1
            where = f" ({names.get(r.source_id, code_span(r.source_id))})" if r.source_id else ""
            if r.outcome == "citation removed":
                head = f"{intro}{where} from {_quoted(r.item, 90)}"
            else:
                head = f"{intro}{where}: {_quoted(r.item, 90)}"
            lines.append(f"- {head} — {inline_text(clip(r.reason, 220))}")
    if len(summary.left_out) > listed:
        lines.append(f"- … and {len(summary.left_out) - listed} more in the JSON output.")
    return lines


def _repaired(summary: Summary, names: dict[str, str]) -> list[str]:
    """First drafts that failed a check and were replaced by a repair that passes them all."""
    lines = []
    for r in summary.rejections:
        if r.outcome == "repaired":
            kind = "Claim" if r.stage == "extract" else "Sentence"
            where = f" ({names.get(r.source_id, code_span(r.source_id))})" if r.source_id else ""
            lines.append(
                f"- {kind}{where}, first draft {_quoted(r.item, 90)} — "
                f"{inline_text(clip(r.reason, 220))}"
            )
    return lines


def _error_line(error: ArticleError, names: dict[str, str]) -> str:
    """A failed model call: an article's extraction, a repair request, or the compose call."""
    problem = inline_text(clip(error.error, 200))
    if error.stage == "compose":
        return f"- The summary could not be written: {problem}"
    where = names.get(error.source_id or "", code_span(error.source_id or "summary"))
    if error.stage == "repair":
        return f"- {where}: {problem}"
    return f"- {where} could not be processed: {problem}"


def _claims_by_source(summary: Summary, names: dict[str, str], notes: _Footnotes) -> list[str]:
    """When the compose call failed: every verified claim, grouped by source and footnoted, so
    a failed summary still shows what was checked (never anything unverified)."""
    blocks = [
        "## Verified claims by source",
        "_The model could not write the summary; these are the claims the checks verified, "
        "each footnoted to the passage it rests on._",
    ]
    for source in summary.sources:
        own = [c for c in summary.claims if c.source_id == source.id]
        if not own:
            continue
        bullets = []
        for claim in own:
            cited = [
                Citation(
                    source_id=source.id, claim_id=claim.id, quote=e.quote, start=e.start, end=e.end
                )
                for e in claim.evidence
            ]
            bullets.append(f"- {_line(inline_text(claim.statement))}{notes.refs(cited)}")
        blocks += [f"### {names.get(source.id, code_span(source.id))}", "\n".join(bullets)]
    return blocks


def _file(source: Source) -> str | None:
    """The file name, or the URL, a source was read from."""
    return (source.path and PurePath(source.path).name) or source.url


def _is_headline(source: Source) -> bool:
    """True when the display name is a title or heading rather than a path, URL or id."""
    name = source.name
    where = source.path or source.url or ""
    return bool(name) and not where.endswith(name or "") and name != source.id


def _name(source: Source) -> str:
    """The display name as Markdown: a headline as text, a file name or id as code."""
    if _is_headline(source):
        return inline_text(source.name or "")
    return code_span(source.name or _file(source) or source.id)


def _listed(source: Source) -> str:
    """A source in the header: its display name, and the file behind a headline."""
    file = _file(source)
    if _is_headline(source) and file:
        return f"{_name(source)} ({code_span(file)})"
    return _name(source)


def to_markdown(summary: Summary) -> str:
    """GitHub-flavoured Markdown: title, paragraphs, conflicts, single-source points, what the
    checks left out, then one footnote per cited claim (its passages with their character spans),
    numbered in order of first appearance."""
    names = {s.id: _name(s) for s in summary.sources}
    notes = _Footnotes()
    blocks = [f"# {inline_text(summary.title)}"]
    if summary.sources:
        listed = ", ".join(_listed(s) for s in summary.sources)
        blocks.append(f"_From {_plural(len(names), 'source')}: {listed}_")

    for index in sorted({s.paragraph for s in summary.sentences if s.section == "consensus"}):
        paragraph = [
            _sentence(s, notes)
            for s in summary.sentences
            if s.section == "consensus" and s.paragraph == index
        ]
        blocks.append(_line(" ".join(paragraph)))
    if any(e.stage == "compose" for e in summary.errors):
        blocks += _claims_by_source(summary, names, notes)
    elif not summary.sentences:
        blocks.append("_No sentence survived the checks._")

    if summary.conflicts:
        bullets = [_conflict(c, notes, names) for c in summary.conflicts]
        blocks += ["## Where the sources differ", "\n".join(bullets)]
    single = [
        f"- {_line(_sentence(s, notes))}" for s in summary.sentences if s.section == "single_source"
    ]
    if single:
        blocks += ["## Reported by one source only", "\n".join(single)]
    left_out = _left_out(summary, names)
    if left_out:
        blocks += ["## Left out by the checks", "\n".join(left_out)]
    repaired = _repaired(summary, names)
    if repaired:
        blocks += ["## Repaired after the checks", "\n".join(repaired)]

    if notes.cited:
        definitions = []
        for number, passages in enumerate(notes.cited, start=1):
            shown = "; ".join(f"chars {c.start}–{c.end}: {_passage(c.quote)}" for c in passages)
            name = names.get(passages[0].source_id, code_span(passages[0].source_id))
            definitions.append(f"[^{number}]: {name} — {shown}")
        blocks += ["---", "\n".join(definitions)]
    return "\n\n".join(blocks) + "\n"


def to_json(summary: Summary, *, include_text: bool = False) -> str:
    """The whole provenance graph as JSON (schema 1), every string exact, ending in a newline.

    Article texts are left out unless `include_text`: they can be large and belong to their
    outlets. Each source keeps its `sha256` and its length in `chars` (Python str code points,
    the unit of every `start`/`end`), enough to check any copy of the article against every
    quoted span. With `include_text`, `sources[].text` is the text the spans index: for an HTML
    input, the extracted text, which no other output has.
    """
    data = summary.model_dump(mode="json")
    sources = [
        {
            "id": s.id,
            "name": s.name,
            "path": s.path,
            "url": s.url,
            "sha256": s.sha256,
            "encoding": s.encoding,
            "warnings": list(s.warnings),
            "chars": len(s.text),
            **({"text": s.text} if include_text else {}),
        }
        for s in summary.sources
    ]
    graph = {
        "schema": SCHEMA,
        "version": VERSION,
        "title": summary.title,
        "sources": sources,
        **{k: data[k] for k in _GRAPH},
    }
    return json.dumps(graph, indent=2, ensure_ascii=False) + "\n"
