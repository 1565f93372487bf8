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

from summarize import __version__
from summarize.models import ArticleError, Citation, Conflict, Sentence, Source, Summary

SCHEMA = 1
_GRAPH = ("claims", "sentences", "conflicts", "rejections", "errors", "usage")
_MAX_LISTED = 10  # rejections listed one by one in the Markdown; the JSON has them all

_SPACE = re.compile(r"\s+")  # str patterns match NBSP and other Unicode spaces too
# GFM inline syntax, plus `$` (GitHub math), `~` (strikethrough) and `#` (headings, issue refs),
# and what GFM's autolink extension turns into links (`https://`, `www.`: escaping the `:` or
# the `.` stops it; an e-mail address is linked after parsing, escapes or not).
_INLINE = re.compile(r"[\\`*_\[\]<|~$#]|&(?=#?\w+;)|:(?=//)|(?<=\bwww)\.", re.IGNORECASE)
_BULLET = re.compile(r"^[-+>]|^(\d{1,9})([.)])(?=\s|$)")


def _text(value: str) -> str:
    """Collapse whitespace runs to one space and backslash-escape Markdown syntax."""
    return _INLINE.sub(lambda m: "\\" + m.group(), _SPACE.sub(" ", value).strip())


def _line(value: str) -> str:
    """Escape what would start a list or blockquote when escaped text begins a line."""
    return _BULLET.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else "\\" + m[0], value)


def _code(value: str) -> str:
    """An inline code span that survives backticks in the value (a file name, say)."""
    value = _SPACE.sub(" ", value).strip()
    fence = "`" * (max(map(len, re.findall("`+", value)), default=0) + 1)
    pad = " " if value[:1] == "`" or value[-1:] == "`" else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _clip(value: str, limit: int) -> str:
    """Shorten to about `limit` characters at a word boundary, marking the cut with an ellipsis."""
    value = _SPACE.sub(" ", value).strip()
    if len(value) <= limit:
        return value
    cut = value[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class _Footnotes:
    """Numbers citations by first appearance; a (claim, span) cited again keeps its number."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, int, int], int] = {}
        self.cited: list[Citation] = []

    def refs(self, citations: list[Citation]) -> str:
        out: list[str] = []
        for citation in citations:
            key = (citation.claim_id, citation.start, citation.end)
            if key not in self.numbers:
                self.numbers[key] = len(self.numbers) + 1
                self.cited.append(citation)
            ref = f"[^{self.numbers[key]}]"
            if ref not in out:
                out.append(ref)
        return "".join(out)


def _sentence(sentence: Sentence, notes: _Footnotes) -> str:
    return _text(sentence.text) + notes.refs(sentence.citations)


def _conflict(conflict: Conflict, notes: _Footnotes) -> str:
    positions = []
    for position in conflict.positions:
        ids = ", ".join(_code(i) for i in dict.fromkeys(c.source_id for c in position.citations))
        where = f" ({ids})" if ids else ""
        positions.append(f"“{_text(position.value)}”{where}{notes.refs(position.citations)}")
    return f"- **{_text(conflict.topic)}**: " + " · ".join(positions)


def _left_out(summary: Summary) -> list[str]:
    """Bullets for unreadable articles and dropped items: nothing is left out silently."""
    lines = [_error_line(e) for e in summary.errors]
    rejected = summary.rejections
    if rejected:
        claims = sum(r.stage == "extract" for r in rejected)
        lines.append(
            f"- {_plural(claims, 'claim')} and {_plural(len(rejected) - claims, 'sentence')} "
            "were dropped because they did not match their sources; the JSON output lists "
            "each with its reason."
        )
        lines += [
            f"- {_code(r.source_id or 'summary')} — {_text(_clip(r.item, 100).rstrip('.'))}: "
            f"{_text(_clip(r.reason, 160))}"
            for r in rejected[:_MAX_LISTED]
        ]
        if len(rejected) > _MAX_LISTED:
            lines.append(f"- … and {len(rejected) - _MAX_LISTED} more in the JSON output.")
    return lines


def _error_line(error: ArticleError) -> str:
    problem = _text(_clip(error.error, 160))
    if error.stage == "compose":
        return f"- the summary could not be written: {problem}"
    if error.stage == "repair":
        return f"- {_code(error.source_id or 'summary')}: {problem}"
    return f"- {_code(error.source_id or '?')} could not be processed: {problem}"


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
            bullets.append(f"- {_line(_text(claim.statement))}{notes.refs(cited)}")
        blocks += [f"### {names.get(source.id, _code(source.id))}", "\n".join(bullets)]
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
        return _text(source.name or "")
    return _code(source.name or _file(source) or source.id)


def _listed(source: Source) -> str:
    """A source in the header: its display name, and the file behind a headline."""
    file = _file(source)
    return f"{_name(source)} ({_code(file)})" if _is_headline(source) and file else _name(source)


def to_markdown(summary: Summary) -> str:
    """GitHub-flavoured Markdown: title, paragraphs, conflicts, single-source points, what the
    checks left out, then one footnote per cited span, numbered in order of first appearance."""
    names = {s.id: _name(s) for s in summary.sources}
    statements = {c.id: c.statement for c in summary.claims}
    notes = _Footnotes()
    blocks = [f"# {_text(summary.title)}"]
    if summary.sources:
        listed = ", ".join(_listed(s) for s in summary.sources)
        blocks.append(f"_From {_plural(len(names), 'source')}: {listed}_")

    for index in sorted({s.paragraph for s in summary.sentences if s.paragraph >= 0}):
        paragraph = [_sentence(s, notes) for s in summary.sentences if s.paragraph == index]
        blocks.append(_line(" ".join(paragraph)))
    if any(e.stage == "compose" for e in summary.errors):
        blocks += _claims_by_source(summary, names, notes)
    elif not summary.sentences:
        blocks.append("_No sentence survived the checks._")

    if summary.conflicts:
        bullets = [_conflict(c, notes) for c in summary.conflicts]
        blocks += ["## Where the sources differ", "\n".join(bullets)]
    single = [f"- {_line(_sentence(s, notes))}" for s in summary.sentences if s.paragraph < 0]
    if single:
        blocks += ["## Reported by one source only", "\n".join(single)]
    left_out = _left_out(summary)
    if left_out:
        blocks += ["## Left out by the checks", "\n".join(left_out)]

    if notes.cited:
        definitions = []
        for number, c in enumerate(notes.cited, start=1):
            statement = statements.get(c.claim_id)
            about = f" — {_text(statement)}" if statement else ""
            definitions.append(
                f"[^{number}]: {names.get(c.source_id, _code(c.source_id))}{about}"
                f" — chars {c.start}–{c.end}: “{_text(c.quote)}”"
            )
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
        "version": __version__,
        "title": summary.title,
        "sources": sources,
        **{k: data[k] for k in _GRAPH},
    }
    return json.dumps(graph, indent=2, ensure_ascii=False) + "\n"
