"""`summarize check`: the audit of a draft as annotated Markdown, JSON or HTML, and its CLI.

Markdown is the draft itself with a footnote after every quotation and number: a backed item's
footnote names the source and shows the backing span; an unbacked item is marked where it
stands and its footnote says why. Names no source contains are marked the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from summarize.models import Backing, CheckedItem, DraftCheck
from summarize.render import clip, code_span, inline_text
from summarize.version import VERSION

UNBACKED_MARK = " **⚠ unbacked**"
_MARKS = ' “”"‘’«»'
_MARKDOWN = re.compile(r"[\\`*_\[\]<|~$#]")


def _label(report: DraftCheck, source_id: str) -> str:
    source = next((s for s in report.sources if s.id == source_id), None)
    return code_span(Path(source.path).name if source and source.path else source_id)


def _span(report: DraftCheck, b: Backing) -> str:
    return f"{_label(report, b.source_id)} chars {b.start}–{b.end}"


def _note(report: DraftCheck, item: CheckedItem) -> str:
    """The footnote of one item: where it is backed, or why it is not."""
    what = f"{item.kind} “{inline_text(clip(item.text.strip(_MARKS), 120))}”"
    if item.verdict == "unbacked":
        text = f"**✗ unbacked {what}**: {_diagnosis(report, item.diagnosis)}"
        if item.closest is not None and item.kind == "quotation":
            text += f". Closest passage: “{inline_text(clip(item.closest.text, 300))}”"
        elif item.closest is not None and item.closest.context:
            text += f". In: “{inline_text(clip(item.closest.context, 300))}”"
        return text
    if item.kind == "quotation":
        parts = []
        for b in item.backing:
            where = "quoted speech" if b.quoted_speech else "the source's own prose"
            parts.append(f"{_span(report, b)} ({where}): “{inline_text(clip(b.text, 300))}”")
        return f"✓ {what} — " + "; ".join(parts)
    if item.kind == "number":
        best = item.backing[0]
        more = len(item.backing) - 1
        also = f" (and {more} more source passage{'s' if more > 1 else ''})" if more else ""
        context = inline_text(clip(best.context or best.text, 300))
        shared = ", ".join(best.shared_words)
        same = best.text == item.text
        return (
            f"✓ {what}{'' if same else f' = “{inline_text(best.text)}”'}, {_span(report, best)}, "
            f"in: “{context}” "
            f"(shared words: {inline_text(shared)}){also}"
        )
    return f"✓ {what} — {_diagnosis(report, item.diagnosis)}"


def _diagnosis(report: DraftCheck, diagnosis: str) -> str:
    """A diagnosis escaped for Markdown, with the source files it names as code."""
    text = inline_text(diagnosis)
    for source in report.sources:
        name = Path(source.path).name if source.path else source.id
        text = text.replace(inline_text(name), code_span(name))
    return text


def shown(report: DraftCheck) -> list[CheckedItem]:
    """The items the Markdown and HTML views annotate, numbered in this order: quotations,
    numbers and the names no source contains (backed names are in the JSON only)."""
    return [i for i in report.items if i.kind != "name" or i.verdict == "unbacked"]


def to_markdown(report: DraftCheck) -> str:
    """The draft with a footnote after each quotation and number and each unknown name."""
    markdown = report.draft.path is None or report.draft.path.endswith((".md", ".markdown"))
    draft = report.draft.text
    marks: list[tuple[int, str]] = []
    notes: list[str] = []
    for item in shown(report):
        number = len(notes) + 1
        notes.append(f"[^{number}]: {_note(report, item)}")
        flag = UNBACKED_MARK if item.verdict == "unbacked" else ""
        marks.append((item.end, f"{flag}[^{number}]"))
    out, pos = [], 0
    for end, mark in sorted(marks, key=lambda m: m[0]):
        out.append(_escape(draft[pos:end], markdown) + mark)
        pos = end
    out.append(_escape(draft[pos:], markdown))
    sources = ", ".join(_label(report, s.id) for s in report.sources)
    blocks = [
        "".join(out).rstrip(),
        "---",
        f"**Checked against {len(report.sources)} source"
        f"{'' if len(report.sources) == 1 else 's'}** ({sources}): {report.line()}.",
    ]
    names = [i for i in report.unbacked if i.kind == "name"]
    if names:
        listed = ", ".join(f"“{inline_text(i.text)}”" for i in names)
        blocks.append(f"Names no source contains: {listed}.")
    if notes:
        blocks.append("\n".join(notes))
    return "\n\n".join(blocks) + "\n"


def _escape(text: str, markdown: bool) -> str:
    """A .md draft stays as written; plain text gets its Markdown syntax escaped."""
    return text if markdown else _MARKDOWN.sub(lambda m: "\\" + m.group(), text)


def to_json(report: DraftCheck) -> str:
    """One record per item (kind, text, verdict, backing spans, diagnosis), with the draft's
    text and the sources' ids, paths and hashes (not their texts)."""
    data = report.model_dump(mode="json", exclude={"sources": {"__all__": {"text"}}})
    counts = {k: len(report.of_kind(k)) for k in ("quotation", "number", "name")}
    summary = {**counts, "unbacked": len(report.unbacked), "line": report.line()}
    return json.dumps(
        {"schema": 1, "version": VERSION, "summary": summary, **data},
        ensure_ascii=False,
        indent=2,
    )


def to_html(report: DraftCheck) -> str:
    """One offline page: the draft with each item underlined and linked to the passage that
    backs it (or the nearest), the items listed with their diagnoses, the sources beside it.
    It keeps the HTML report's contract and safety (summarize.html.render_page)."""
    from summarize.html import render_page, source_name

    names = {s.id: source_name(s) for s in report.sources}
    anchors = {s.id: f"source-{i}" for i, s in enumerate(report.sources, start=1)}

    def link(b: Backing, dom_id: str, label: str) -> dict[str, object]:
        quote = clip(b.text, 160)
        title = f"{names.get(b.source_id, b.source_id)}, chars {b.start}–{b.end}: “{quote}”"
        return {
            "dom_id": dom_id,
            "source_id": b.source_id,
            "start": b.start,
            "end": b.end,
            "label": label,
            "title": title,
            "anchor": anchors.get(b.source_id, ""),
            "source_name": names.get(b.source_id, b.source_id),
        }

    items: list[dict[str, Any]] = []
    draft: list[dict[str, Any]] = []
    pos = 0
    for number, item in enumerate(shown(report), start=1):
        spans = item.backing or ([item.closest] if item.closest else [])
        links = [
            link(b, f"item-{number}-{k}", _source_label(names, b)) for k, b in enumerate(spans)
        ]
        first = link(spans[0], f"item-{number}", str(number)) if spans else None
        view = {**item.model_dump(), "number": number, "links": links, "link": first}
        items.append(view)
        if item.start >= pos:  # an item inside another (a name in a quotation) is listed only
            draft += [{"text": report.draft.text[pos : item.start], "item": None}]
            draft += [{"text": item.text, "item": view}]
            pos = item.end
    draft.append({"text": report.draft.text[pos:], "item": None})
    name = report.draft.path and Path(report.draft.path).name
    page = {
        "title": f"Check of {name or report.draft.url or 'the draft'}",
        "line": report.line(),
        "draft": draft,
        "items": items,
        "sources": [
            {"source": s, "name": names[s.id], "anchor": anchors[s.id]} for s in report.sources
        ],
    }
    return render_page("check.html.j2", page, report.sources, extra_css="check.css")


def _source_label(names: dict[str, str], b: Backing) -> str:
    return f"{clip(names.get(b.source_id, b.source_id), 40)} {b.start}–{b.end}"
