"""The HTML report: one offline page where every footnote opens its passage in the article.

The contract, testable from outside: every citation link carries `data-source-id`,
`data-start` and `data-end` (Python str indices, i.e. code points, as everywhere in the
graph); activating it shows that source's text with exactly those characters in a `<mark>`.
The article texts travel as JSON in a `<script type="application/json">` block, so spans are
checked against the exact text (an HTML parser would fold CRLF and lose a leading newline).

Safety: every string from an article or the model goes through jinja2's autoescape, the JSON
block is escaped so no `</script>` or `<!--` can end it, and a Content-Security-Policy meta
tag allows nothing but the page's own inline style and script, by their sha256 hashes. So the
page makes no request and an article's markup runs nothing even if it slipped through.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import PurePath
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup

from summarize.models import Citation, Rejection, Source, Summary
from summarize.version import VERSION

CONFLICT_KINDS = {
    "quantity": "the figures differ",
    "name": "the names differ",
    "precision": "a difference of precision only",
}
# How each kind of rejection is introduced, in the order "Left out by the checks" lists them.
OUTCOMES = {
    ("dropped", "extract"): "Claim dropped",
    ("dropped", "compose"): "Sentence dropped",
    ("title replaced", "compose"): "Title replaced",
    ("conflict refused", "compose"): "Conflict refused",
    ("citation removed", "compose"): "Citation removed",
    ("repaired", "extract"): "Claim repaired",
    ("repaired", "compose"): "Sentence repaired",
}
_ASSETS = files("summarize") / "templates"
# Characters that could end or confuse a <script> block, as JSON escapes (valid in strings).
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@dataclass
class _Link:
    """One citation link: a span of one source, numbered like a footnote."""

    dom_id: str
    number: int | None
    source_id: str
    start: int
    end: int
    claim_id: str
    quote: str
    source_name: str
    anchor: str

    @property
    def label(self) -> str:
        return str(self.number) if self.number is not None else f"{self.start}–{self.end}"

    @property
    def title(self) -> str:
        quote = " ".join(self.quote.split())
        quote = quote if len(quote) <= 160 else quote[:159].rstrip() + "…"
        return f"{self.source_name}, chars {self.start}–{self.end}: “{quote}”"


@dataclass
class _Links:
    """Numbers cited spans by first appearance, as the Markdown footnotes do; every link
    gets its own DOM id so the reader can jump back to it from the passage."""

    names: dict[str, str]
    anchors: dict[str, str]
    numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)
    count: int = 0

    def cite(self, citation: Citation) -> _Link:
        key = (citation.claim_id, citation.start, citation.end)
        number = self.numbers.setdefault(key, len(self.numbers) + 1)
        return self._link(citation, number)

    def evidence(self, citation: Citation) -> _Link:
        """A span listed in its source's panel: numbered only if the summary cites it."""
        key = (citation.claim_id, citation.start, citation.end)
        return self._link(citation, self.numbers.get(key))

    def _link(self, c: Citation, number: int | None) -> _Link:
        self.count += 1
        return _Link(
            dom_id=f"cite-{self.count}",
            number=number,
            source_id=c.source_id,
            start=c.start,
            end=c.end,
            claim_id=c.claim_id,
            quote=c.quote,
            source_name=self.names.get(c.source_id, c.source_id),
            anchor=self.anchors.get(c.source_id, ""),
        )

    def many(self, citations: list[Citation]) -> list[_Link]:
        """One link per distinct span, in order: a span cited twice by one sentence shows once."""
        unique: dict[tuple[str, int, int], Citation] = {}
        for c in citations:
            unique.setdefault((c.claim_id, c.start, c.end), c)
        return [self.cite(c) for c in unique.values()]


def source_name(source: Source) -> str:
    """What the report calls a source: its display name (a headline where known), else its
    file name, URL or id."""
    return source.name or (source.path and PurePath(source.path).name) or source.url or source.id


def to_html(summary: Summary) -> str:
    """The self-contained HTML report (see the module docstring for its contract)."""
    return render_page("report.html.j2", _view(summary), summary.sources)


def render_page(
    template: str, view: dict[str, Any], sources: list[Source], *, extra_css: str = ""
) -> str:
    """A page of this module's kind: the template with the report's style (plus `extra_css`,
    a file in templates/) and script inlined, allowed by their hashes, and the sources' texts
    as JSON for the script. `summarize check --format html` renders its page with it too."""
    css = _asset("report.css") + (_asset(extra_css) if extra_css else "")
    js = _asset("report.js")
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src '{_sha256(js)}'",
            f"style-src '{_sha256(css)}'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    data = {"sources": [{"id": s.id, "text": s.text} for s in sources]}
    return (
        _environment()
        .get_template(template)
        .render(
            **view,
            version=VERSION,
            policy=policy,
            css=Markup(css),
            js=Markup(js),
            data=Markup(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)),
        )
    )


def _view(summary: Summary) -> dict[str, Any]:
    """The summary arranged for the template; the template only lays it out."""
    names = {s.id: source_name(s) for s in summary.sources}
    anchors = {s.id: f"source-{i}" for i, s in enumerate(summary.sources, start=1)}
    links = _Links(names, anchors)

    def sentence(s: Any) -> dict[str, Any]:
        return {"text": s.text, "links": links.many(s.citations), "item": s}

    paragraphs = [
        [
            sentence(s)
            for s in summary.sentences
            if s.section == "consensus" and s.paragraph == index
        ]
        for index in sorted({s.paragraph for s in summary.sentences if s.section == "consensus"})
    ]
    conflicts = [
        {
            "topic": c.topic,
            "kind": CONFLICT_KINDS.get(c.kind, c.kind),
            "note": c.note,
            "positions": [
                {"value": p.value, "links": links.many(p.citations)} for p in c.positions
            ],
        }
        for c in summary.conflicts
    ]
    single = [sentence(s) for s in summary.sentences if s.section == "single_source"]
    claims_by_source: dict[str, list[dict[str, Any]]] = {s.id: [] for s in summary.sources}
    for claim in summary.claims:
        evidence = [
            links.evidence(
                Citation(
                    source_id=claim.source_id,
                    claim_id=claim.id,
                    quote=e.quote,
                    start=e.start,
                    end=e.end,
                )
            )
            for e in claim.evidence
        ]
        claims_by_source.setdefault(claim.source_id, []).append({"claim": claim, "links": evidence})
    sources = [
        {
            "source": s,
            "name": names[s.id],
            "anchor": anchors[s.id],
            "chars": len(s.text),
            "claims": claims_by_source.get(s.id, []),
        }
        for s in summary.sources
    ]
    return {
        "title": summary.title,
        "paragraphs": paragraphs,
        "conflicts": conflicts,
        "single": single,
        "left_out": _rejections(summary.left_out, names),
        "repaired": _rejections([r for r in summary.rejections if r.outcome == "repaired"], names),
        "errors": summary.errors,
        "sources": sources,
        "claim_count": len(summary.claims),
        "usage": summary.usage.line(),
    }


def _rejections(rejections: list[Rejection], names: dict[str, str]) -> list[dict[str, Any]]:
    """Grouped by outcome (in OUTCOMES' order), each with its label and its source's name."""
    order = {key: i for i, key in enumerate(OUTCOMES)}
    ranked = sorted(rejections, key=lambda r: order.get((r.outcome, r.stage), len(order)))
    return [
        {
            "label": OUTCOMES.get((r.outcome, r.stage), r.outcome.capitalize()),
            "outcome": r.outcome,
            "where": names.get(r.source_id, r.source_id) if r.source_id else None,
            "item": r.item,
            "reason": r.reason,
        }
        for r in ranked
    ]


@cache
def _environment() -> Environment:
    """Templates are package files (read through importlib, so an installed wheel has them)."""
    return Environment(
        loader=FunctionLoader(_asset),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _asset(name: str) -> str:
    return (_ASSETS / name).read_text("utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
