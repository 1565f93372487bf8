"""The HTML report as markup: its contract, its escaping and its policy, checked without a
browser (tests/test_html_browser.py runs the same pages in Chromium).

The hostile article below is invented for these tests; the tunnel story is test_render's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

from conftest import FIXTURES, SEEDS
from test_render import SOURCES, TEXT, _summary

from summarize.cli import main
from summarize.html import to_html
from summarize.models import (
    ArticleError,
    Citation,
    Claim,
    ClaimKind,
    Conflict,
    ConflictPosition,
    Evidence,
    Rejection,
    Sentence,
    Source,
)
from summarize.report import Summary

# Markup an article or a model might carry, including an end tag for the embedded JSON block,
# a comment opener (which changes how a <script> block is parsed) and astral characters
# (code points, not UTF-16 units, are the unit of every span).
PAYLOAD = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    '<a href="javascript:window.__pwned = 3">read more</a>'
    "</script><script>window.__pwned = 4</script><!-- <script> "
    "\"'><svg onload=window.__pwned=5>` {{ 7*7 }} &amp; \u2028"
)
HOSTILE_TEXT = (
    "Hostile Gazette 🙂🙂 reports\r\n"
    f"{PAYLOAD}\r\n"
    "The mayor said “the bridge opens in 2027” 🙂 and nothing else.\n"
)
HOSTILE_ID = 'evil"><script>window.__pwned=6</script>'


def hostile_summary() -> Summary:
    """Every string an article or the model controls carries the payload."""
    source = Source(
        id=HOSTILE_ID,
        path=f"/tmp/{PAYLOAD}.html",
        sha256="0" * 64,
        text=HOSTILE_TEXT,
        title=PAYLOAD,
        warnings=[PAYLOAD],
    )
    spans = [(PAYLOAD, HOSTILE_TEXT.index(PAYLOAD))]
    spans.append(("“the bridge opens in 2027”", HOSTILE_TEXT.index("“the bridge")))
    evidence = [
        Evidence(quote=q, start=s, end=s + len(q), cited=q, match="exact") for q, s in spans
    ]
    claim = Claim(
        id="c1",
        source_id=HOSTILE_ID,
        statement=PAYLOAD,
        kind=ClaimKind.QUOTE,
        speaker=PAYLOAD,
        evidence=evidence,
    )
    cites = [
        Citation(source_id=HOSTILE_ID, claim_id="c1", quote=e.quote, start=e.start, end=e.end)
        for e in evidence
    ]
    return Summary(
        title=PAYLOAD,
        sentences=[
            Sentence(text=PAYLOAD, citations=cites, paragraph=0, support=1),
            Sentence(text=PAYLOAD, citations=cites[1:], section="single_source", support=1),
        ],
        conflicts=[
            Conflict(
                topic=PAYLOAD,
                kind="name",
                positions=[ConflictPosition(value=PAYLOAD, citations=[c]) for c in cites],
            )
        ],
        sources=[source],
        claims=[claim],
        rejections=[Rejection(stage="extract", source_id=HOSTILE_ID, item=PAYLOAD, reason=PAYLOAD)],
        errors=[ArticleError(source_id=PAYLOAD, path=PAYLOAD, error=PAYLOAD)],
    )


class Page(HTMLParser):
    """Elements with their attributes, the text of each <script>/<style>, and the rest of
    the text, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.chunks: list[str] = []
        self._open = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._open = tag

    def handle_endtag(self, tag: str) -> None:
        self._open = ""

    def handle_data(self, data: str) -> None:
        self.raw.get(self._open, self.chunks).append(data)

    @property
    def text(self) -> str:
        """The visible text with whitespace runs collapsed."""
        return " ".join("".join(self.chunks).split())

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def links(self) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == "a" and "data-source-id" in a]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def embedded(page: Page) -> dict:
    (data,) = [a for a in page.all("script") if a.get("type") == "application/json"]
    assert data["id"] == "report-data"
    return json.loads(page.raw["script"][0])


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


# --------------------------------------------------------------------------- the contract


def test_every_citation_link_carries_a_span_of_its_source() -> None:
    summary = _summary()
    page = parse(to_html(summary))
    links = page.links()
    cited = [c for s in summary.sentences for c in s.citations]
    cited += [c for k in summary.conflicts for p in k.positions for c in p.citations]
    evidence = [(c.source_id, e.start, e.end) for c in summary.claims for e in c.evidence]
    spans = [(a["data-source-id"], int(a["data-start"]), int(a["data-end"])) for a in links]
    assert set(spans) == {(c.source_id, c.start, c.end) for c in cited} | set(evidence)
    assert len(links) == len(cited) + len(evidence)  # one link per citation and per passage
    panels = {a["data-source-panel"]: a["id"] for a in page.all("section") if "id" in a}
    for link in links:
        assert link["href"] == "#" + panels[link["data-source-id"]]  # works without script
        assert TEXT[link["data-source-id"]][int(link["data-start"]) : int(link["data-end"])]
    assert len({a["id"] for a in links}) == len(links)


def test_footnotes_are_numbered_by_first_appearance_and_reused() -> None:
    html = to_html(_summary())
    summary_part = html.split("<aside")[0]
    labels = [int(n) for n in re.findall(r'class="cite"[^>]*>(\d+)</a>', summary_part)]
    assert labels == [1, 2, 3, 4, 5, 1, 6, 7, 8, 4, 5, 9]  # c1, c2 and c8 are cited again
    titles = [a["title"] for a in parse(html).links()]
    assert titles[0] == (
        "01_harbour-times.txt, chars 65–126: “voted 7-2 on Tuesday to build a road tunnel under "
        "the harbour”"
    )
    evidence = re.findall(r'class="cite"[^>]*>([^<]+)</a>', html.split("<aside")[1])
    assert evidence == ["1", "7", "4", "3", "2", "8", "6", "5", "9"]  # every span is cited


def test_texts_are_embedded_exactly_and_script_safe() -> None:
    html = to_html(_summary())
    data = embedded(parse(html))
    assert data == {"sources": [{"id": s.id, "text": s.text} for s in SOURCES]}
    assert "\r\n" in data["sources"][2]["text"] and "\u00a0" in data["sources"][0]["text"]
    block = html.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "&" not in block


def test_sections_follow_the_layout() -> None:
    html = to_html(_summary())
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings == [
        "Where the sources differ",
        "Reported by one source only",
        "Left out by the checks",
        "Repaired after the checks",
        "Sources",
    ]
    text = parse(html).text
    assert "Cost of the tunnel (the figures differ)" in text
    assert "$1.2 billion 01_harbour-times.txt: at a cost the city puts at $1.2 billion7" in text
    assert "Article not processed (tunnel/04_bayside-post.html): UnicodeDecodeError" in text
    assert "Claim dropped (02_coastal-wire.txt): The Port Alder tunnel will be the" in text
    assert "Sentence dropped: The tunnel will cost about $1.3 billion. Why: “$1.3 billion”" in text
    assert "Citation removed (03_alder-radio) from Work is expected to start next" in text
    assert "Sentence repaired, first draft Two councillors voted against;" in text
    left_out, repaired = html.split("<h2>Left out")[1].split("<h2>Repaired")
    assert "mortgaging the future" not in left_out  # a repaired draft was not left out
    assert "mortgaging the future" in repaired.split("<footer>")[0]
    for source in SOURCES:
        assert f'<dt>SHA-256</dt><dd><code class="hash">{source.sha256}</code></dd>' in html
        assert f"<dt>Length</dt><dd>{len(source.text)} characters</dd>" in html
    assert "<dt>File</dt><dd><code>/data/tunnel/01_harbour-times.txt</code></dd>" in html
    assert html.count("<dt>File</dt>") == 2  # the third source has no path
    assert "Verified claims (4)" in text
    assert "c7 · quote · speaker: Councillor Dev Sharma · repaired after a failed check" in text
    assert "usage: 6 calls" in text


def test_every_rejection_is_listed_by_outcome_and_an_empty_summary_says_so() -> None:
    summary = _summary()
    summary.sentences, summary.conflicts, summary.errors = [], [], []
    outcomes = ["citation removed", "conflict refused", "title replaced", "dropped"] * 3
    summary.rejections = [
        Rejection(stage="compose", outcome=o, item=f"s{i}", reason="r")
        for i, o in enumerate(outcomes)
    ]
    html = to_html(summary)
    assert "No sentence survived the checks." in html
    assert all(f"<q>s{i}</q>" in html for i in range(12))  # the audit view lists them all
    shown = re.findall(r'data-outcome="([^"]+)"><strong class="outcome">([^<]+)<', html)
    assert shown == (
        [("dropped", "Sentence dropped")] * 3
        + [("title replaced", "Title replaced")] * 3
        + [("conflict refused", "Conflict refused")] * 3
        + [("citation removed", "Citation removed")] * 3
    )
    assert "Repaired after the checks" not in html


def test_conflicts_show_their_kind_and_note() -> None:
    summary = _summary()
    summary.conflicts[0] = summary.conflicts[0].model_copy(
        update={"kind": "precision", "note": "“$1.2 billion” is a rounding & not a contradiction"}
    )
    text = parse(to_html(summary)).text
    assert (
        "Cost of the tunnel (a difference of precision only) "
        "“$1.2 billion” is a rounding & not a contradiction $1.2 billion 01_harbour" in text
    )


def test_sources_go_by_their_display_name() -> None:
    summary = _summary()
    summary.sources[0] = summary.sources[0].model_copy(update={"name": "Tunnel & harbour"})
    summary.sources[2] = summary.sources[2].model_copy(update={"url": "https://radio.example/t"})
    html = to_html(summary)
    assert "<h3>Tunnel &amp; harbour</h3>" in html and "<h3>02_coastal-wire.txt</h3>" in html
    assert "<dt>URL</dt><dd><code>https://radio.example/t</code></dd>" in html
    assert "<h3>https://radio.example/t</h3>" in html  # no name, no path: the URL
    titles = [a["title"] for a in parse(html).links()]
    assert titles[0].startswith("Tunnel & harbour, chars 65–126")


def test_model_method_delegates_and_output_is_deterministic() -> None:
    assert _summary().to_html() == to_html(_summary())


# --------------------------------------------------------------------------- safety


def test_content_security_policy_allows_only_the_inline_style_and_script_by_hash() -> None:
    html = to_html(_summary())
    page = parse(html)
    tags = [t for t, _ in page.elements]
    (meta,) = page.all("meta", http_equiv="Content-Security-Policy")
    assert tags.index("meta") < tags.index("style") < tags.index("script")
    assert page.elements[tags.index("meta")][1] == {"charset": "utf-8"}  # first in <head>
    policy = dict(d.strip().split(" ", 1) for d in meta["content"].split(";"))
    (style,) = page.raw["style"]
    script = page.raw["script"][1]
    assert policy == {
        "default-src": "'none'",
        "script-src": f"'{_sha256(script)}'",
        "style-src": f"'{_sha256(style)}'",
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    assert "unsafe" not in meta["content"]


def test_nothing_points_outside_the_page() -> None:
    page = parse(to_html(hostile_summary()))
    for _, attrs in page.elements:
        assert "src" not in attrs and "action" not in attrs
        assert attrs.get("href", "#").startswith("#")


def test_hostile_strings_stay_text() -> None:
    summary = hostile_summary()
    html = to_html(summary)
    page = parse(html)
    assert {t for t, _ in page.elements} <= {
        *"html head meta title style body div main header h1 h2 h3 h4 p span sup a section".split(),
        *"article small strong ul ol li q br footer aside dl dt dd code pre script".split(),
    }
    assert [a.get("type") for a in page.all("script")] == ["application/json", None]
    assert not [k for _, a in page.elements for k in a if k.startswith("on")]
    assert html.count("&lt;script&gt;window.__pwned = 1&lt;/script&gt;") >= 8
    assert embedded(page)["sources"] == [{"id": HOSTILE_ID, "text": HOSTILE_TEXT}]
    for link in page.links():
        assert link["data-source-id"] == HOSTILE_ID  # the attribute survives intact


# --------------------------------------------------------------------------- JSON and CLI


def test_json_carries_the_texts_only_on_request() -> None:
    summary = _summary()
    assert all("text" not in s for s in json.loads(summary.to_json())["sources"])
    graph = json.loads(summary.to_json(include_text=True))
    assert [s["text"] for s in graph["sources"]] == [s.text for s in SOURCES]
    assert [s["chars"] for s in graph["sources"]] == [len(s.text) for s in SOURCES]


def test_output_named_html_gets_the_html_report(tmp_path, capsys) -> None:
    demo = [str(SEEDS), "--replay", str(FIXTURES), "--quiet", "--no-cache"]
    report = tmp_path / "report.HTML"
    assert main([*demo, "-o", str(report)]) == 0
    html = report.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'data-source-id="000_' in html
    markdown = tmp_path / "summary.md"
    assert main([*demo, "-o", str(markdown)]) == 0
    assert markdown.read_text("utf-8").startswith("# ")
    assert main([*demo, "--format", "html"]) == 0
    assert capsys.readouterr().out == html


def test_include_text_flag(capsys) -> None:
    args = [str(SEEDS), "--replay", str(FIXTURES), "--quiet", "--format", "json"]
    assert main([*args, "--include-text"]) == 0
    graph = json.loads(capsys.readouterr().out)
    texts = {p.stem: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    assert {s["id"]: s["text"] for s in graph["sources"]} == texts
    code = None
    try:
        main([str(SEEDS), "--replay", str(FIXTURES), "--include-text"])
    except SystemExit as exit:
        code = exit.code
    assert code == 2
    assert "--include-text needs --format json" in capsys.readouterr().err
