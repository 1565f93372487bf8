"""Markdown and JSON rendering of a hand-built Summary.

The golden files pin the exact output. After an intended change, regenerate them with
    UPDATE_GOLDEN=1 python -m pytest tests/test_render.py
and review the diff. The other tests check properties that must hold whatever the layout.
The articles below are invented for these tests.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path

import pytest

from summarize import __version__
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
    Usage,
)
from summarize.render import to_json, to_markdown
from summarize.report import Summary

GOLDEN = Path(__file__).parent / "golden"

HARBOUR_TIMES = (
    "Port Alder approves harbour tunnel\n"
    "PORT ALDER — The city council voted 7-2 on Tuesday to build a road tunnel under the "
    "harbour, at a cost the city puts at $1.2 billion.\n"
    "Construction is expected to begin next spring and take four years.\n"
    'Mayor Ines Okafor called the project "a *generational*\n'
    "\u00a0investment [in] the harbour's future\" before the vote.\n"
    "Opponents said the cost would double the city's debt.\n"
)
COASTAL_WIRE = (
    "Council backs $1.4bn tunnel plan\n"
    "The Port Alder council on Tuesday approved a harbour road tunnel by seven votes to two. "
    "The council’s own estimate puts the cost at $1.4bn, including financing.\n"
    "Work is due to start in the spring of next year.\n"
    "Councillor Dev Sharma, who voted against, said: “We are mortgaging the next generation.”\n"
)
ALDER_RADIO = (
    "The tunnel vote passed 7-2. Residents of the Quayside district, where the northern "
    "portal will sit, have asked for a noise study; the council said one would be done "
    "before work starts.\r\n"
)


def _source(id: str, path: str | None, text: str) -> Source:
    return Source(id=id, path=path, sha256=f"sha256-of-{id}", text=text)


SOURCES = [
    _source("01_harbour-times", "/data/tunnel/01_harbour-times.txt", HARBOUR_TIMES),
    _source("02_coastal-wire", "tunnel/02_coastal-wire.txt", COASTAL_WIRE),
    _source("03_alder-radio", None, ALDER_RADIO),
]
TEXT = {s.id: s.text for s in SOURCES}


def _span(source_id: str, quote: str) -> tuple[int, int]:
    start = TEXT[source_id].index(quote)
    return start, start + len(quote)


def _evidence(source_id: str, quote: str) -> Evidence:
    start, end = _span(source_id, quote)
    return Evidence(quote=quote, start=start, end=end, cited=quote, match="exact")


def _cite(claim: Claim, index: int = 0) -> Citation:
    e = claim.evidence[index]
    return Citation(
        source_id=claim.source_id, claim_id=claim.id, quote=e.quote, start=e.start, end=e.end
    )


def _claim(id: str, source_id: str, statement: str, *quotes: str, **extra) -> Claim:
    evidence = [_evidence(source_id, q) for q in quotes]
    return Claim(
        id=id,
        source_id=source_id,
        statement=statement,
        kind=extra.pop("kind", ClaimKind.FACT),
        evidence=evidence,
        **extra,
    )


C1 = _claim(
    "c1",
    "01_harbour-times",
    "The Port Alder city council voted 7-2 on Tuesday to build a road tunnel under the harbour.",
    "voted 7-2 on Tuesday to build a road tunnel under the harbour",
    "at a cost the city puts at $1.2 billion",
)
C2 = _claim(
    "c2",
    "01_harbour-times",
    "Construction of the Port Alder tunnel is expected to begin next spring and take four years.",
    "Construction is expected to begin next spring and take four years",
)
C3 = _claim(
    "c3",
    "01_harbour-times",
    "Mayor Ines Okafor called the tunnel a generational investment in the harbour's future.",
    "a *generational*\n\u00a0investment [in] the harbour's future",
    kind=ClaimKind.QUOTE,
    speaker="Mayor Ines Okafor",
)
C5 = _claim(
    "c5",
    "02_coastal-wire",
    "The Port Alder council approved a harbour road tunnel by seven votes to two on Tuesday.",
    "approved a harbour road tunnel by seven votes to two",
)
C6 = _claim(
    "c6",
    "02_coastal-wire",
    "The Port Alder council estimates the tunnel's cost at $1.4bn, including financing.",
    "The council’s own estimate puts the cost at $1.4bn, including financing",
)
C7 = _claim(
    "c7",
    "02_coastal-wire",
    "Councillor Dev Sharma, who voted against the tunnel, said it mortgages the next generation.",
    "“We are mortgaging the next generation.”",
    kind=ClaimKind.QUOTE,
    speaker="Councillor Dev Sharma",
    repaired=True,
)
C8 = _claim(
    "c8",
    "02_coastal-wire",
    "Work on the Port Alder tunnel is due to start in the spring of next year.",
    "Work is due to start in the spring of next year",
)
C9 = _claim(
    "c9",
    "03_alder-radio",
    "Quayside residents asked for a noise study, which the council said it would do first.",
    "have asked for a noise study; the council said one would be done before work starts",
)


def _summary() -> Summary:
    return Summary(
        title="Port Alder council approves harbour road tunnel",
        sentences=[
            Sentence(
                text="Port Alder's city council voted 7-2 on Tuesday to build a road tunnel "
                "under the harbour.",
                citations=[_cite(C1), _cite(C5)],
                paragraph=0,
                support=2,
            ),
            Sentence(
                text="Mayor Ines Okafor called it “a *generational* investment [in] the "
                "harbour's future”.",
                citations=[_cite(C3)],
                paragraph=0,
                support=1,
            ),
            Sentence(
                text="Work is expected to start next spring and to take four years.",
                citations=[_cite(C2), _cite(C8)],
                paragraph=1,
                support=2,
            ),
            Sentence(
                text="Two councillors voted against; one of them, Dev Sharma, said: “We are "
                "mortgaging the next generation.”",
                citations=[_cite(C1), _cite(C7)],
                paragraph=1,
                support=2,
                repaired=True,
            ),
            Sentence(
                text="Quayside residents have asked for a noise study, which the council says "
                "will be done before work starts.",
                citations=[_cite(C9)],
                section="single_source",
                support=1,
            ),
        ],
        conflicts=[
            Conflict(
                topic="Cost of the tunnel",
                kind="quantity",
                positions=[
                    ConflictPosition(value="$1.2 billion", citations=[_cite(C1, 1)]),
                    ConflictPosition(value="$1.4bn", citations=[_cite(C6)]),
                ],
            ),
            Conflict(
                topic="Length of the works",
                kind="precision",
                positions=[
                    ConflictPosition(value="four years", citations=[_cite(C2)]),
                    ConflictPosition(value="about four years", citations=[_cite(C8)]),
                ],
                note="a difference of precision, not a contradiction: “about four years” "
                "includes “four years”",
            ),
        ],
        sources=SOURCES,
        claims=[C1, C2, C3, C5, C6, C7, C8, C9],
        rejections=[
            Rejection(
                stage="extract",
                source_id="02_coastal-wire",
                item="The Port Alder tunnel will be the longest road tunnel in the country.",
                reason="not found verbatim; closest passage is “The Port Alder council on "
                "Tuesday approved a harbour road tunnel by seven votes to two” (quote has "
                "“longest road tunnel in the country” where the source has nothing alike)",
                repair_attempted=True,
            ),
            Rejection(
                stage="compose",
                item="The tunnel will cost about $1.3 billion.",
                reason="“$1.3 billion”: no cited evidence contains this number",
                repair_attempted=True,
            ),
            Rejection(
                stage="compose",
                outcome="citation removed",
                source_id="03_alder-radio",
                item="Work is expected to start next spring and to take four years.",
                reason="its cited claims do not name “Quayside”",
            ),
            Rejection(
                stage="compose",
                outcome="repaired",
                item="Two councillors voted against; one of them, Dev Sharma, said: “We are "
                "mortgaging the future.”",
                reason="it does not contain the quotation “We are mortgaging the future.”",
                repair_attempted=True,
            ),
        ],
        errors=[
            ArticleError(
                source_id="04_bayside-post",
                path="tunnel/04_bayside-post.html",
                error="UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position "
                "212: invalid continuation byte",
            )
        ],
        usage=Usage(calls=6, cache_hits=1, repairs=2, prompt_tokens=5210, completion_tokens=912),
    )


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual.encode())
    assert actual == path.read_bytes().decode()


def _refs(markdown: str) -> list[int]:
    """Footnote references in order of appearance, definitions excluded."""
    return [int(n) for n in re.findall(r"\[\^(\d+)\](?!:)", markdown)]


def _definitions(markdown: str) -> dict[int, str]:
    return {int(n): rest for n, rest in re.findall(r"^\[\^(\d+)\]: (.*)$", markdown, re.M)}


# --------------------------------------------------------------------------- golden


def test_markdown_matches_golden() -> None:
    _golden("summary.md", to_markdown(_summary()))


def test_json_matches_golden() -> None:
    _golden("summary.json", to_json(_summary()))


def test_model_methods_delegate_and_output_is_deterministic() -> None:
    summary = _summary()
    assert summary.to_markdown() == to_markdown(_summary()) == to_markdown(summary)
    assert summary.to_json() == to_json(_summary())


# --------------------------------------------------------------------------- footnotes


def test_same_claim_reuses_its_footnote_number() -> None:
    markdown = to_markdown(_summary())
    first, fourth = (line for line in markdown.splitlines() if line.startswith(("Port", "Work")))
    assert "harbour.[^1][^2]" in first and fourth.endswith("generation.”[^1][^6]")  # c1 again
    assert len(_definitions(markdown)) == len(set(_refs(markdown))) == 9


def test_every_reference_has_a_definition_and_vice_versa() -> None:
    markdown = to_markdown(_summary())
    assert set(_refs(markdown)) == set(_definitions(markdown))


def test_footnotes_are_numbered_in_order_of_first_appearance() -> None:
    markdown = to_markdown(_summary())
    first_seen = list(dict.fromkeys(_refs(markdown)))
    assert first_seen == list(range(1, len(first_seen) + 1))
    definitions = _definitions(markdown)
    # paragraphs, then conflicts, then the single-source section
    assert "chars 128–167" in definitions[7] and "$1.2 billion" in definitions[7]
    assert definitions[9].startswith("`03_alder-radio` — ")


def test_one_claim_gets_one_footnote_listing_its_passages() -> None:
    summary = _summary()
    summary.sentences = [
        Sentence(text="x.", citations=[_cite(C1), _cite(C1, 1)], paragraph=0, support=1)
    ]
    summary.conflicts = []
    markdown = to_markdown(summary)
    assert "x.[^1]\n" in markdown
    (only,) = _definitions(markdown).values()
    assert "chars 65–126" in only and "chars 128–167" in only


def test_the_same_passages_keep_one_number_whichever_claim_cites_them() -> None:
    summary = _summary()
    twin = C1.model_copy(update={"id": "c1-twin"})
    summary.claims.append(twin)
    summary.sentences = [
        Sentence(text="x.", citations=[_cite(C1)], paragraph=0, support=1),
        Sentence(text="y.", citations=[_cite(twin)], paragraph=0, support=1),
    ]
    summary.conflicts = []
    markdown = to_markdown(summary)
    assert "x.[^1] y.[^1]" in markdown and len(_definitions(markdown)) == 1


def test_footnote_names_file_span_and_quote() -> None:
    definitions = _definitions(to_markdown(_summary()))
    assert definitions[3] == (
        "`01_harbour-times.txt` — chars 274–328: “a \\*generational\\* investment \\[in\\] "
        "the harbour's future”"
    )


def test_precision_conflict_is_labelled_as_such() -> None:
    line = next(x for x in to_markdown(_summary()).splitlines() if "Length of the works" in x)
    assert "a difference of precision, not a contradiction" in line


# --------------------------------------------------------------------------- escaping


NASTY = "#1 *bold* _it_ [^9] [link](x) `code` <b>tag</b> a|b ~~del~~ $5-$6 &amp; \\ end"


def _nasty_summary(text: str = NASTY) -> Summary:
    source = _source("s", "nasty.txt", text)
    claim = Claim(
        id="c1",
        source_id="s",
        statement=text,
        kind=ClaimKind.FACT,
        evidence=[Evidence(quote=text, start=0, end=len(text), cited=text, match="exact")],
    )
    citation = Citation(source_id="s", claim_id="c1", quote=text, start=0, end=len(text))
    return Summary(
        title=text,
        sentences=[
            Sentence(text=text, citations=[citation], paragraph=0, support=1),
            Sentence(text=f"- {text}", citations=[citation], section="single_source", support=1),
        ],
        conflicts=[
            Conflict(
                topic=text,
                kind="name",
                positions=[ConflictPosition(value=text, citations=[citation])] * 2,
            )
        ],
        sources=[source],
        claims=[claim],
        rejections=[Rejection(stage="compose", item=text, reason=text)],
    )


def test_special_characters_are_escaped() -> None:
    markdown = to_markdown(_nasty_summary())
    escaped = (
        r"\#1 \*bold\* \_it\_ \[^9\] \[link\](x) \`code\` \<b>tag\</b> a\|b \~\~del\~\~ "
        r"\$5-\$6 \&amp; \\ end"
    )
    assert markdown.startswith(f"# {escaped}\n")
    assert f"\n{escaped}[^1]\n" in markdown
    assert f"\n- \\- {escaped}[^1]\n" in markdown
    assert f": “{escaped}”\n" in markdown
    assert _refs(markdown) == [1, 1, 1, 1]


def test_line_starts_that_would_make_lists_or_quotes_are_escaped() -> None:
    for text, shown in [("> x", "\\> x"), ("+ x", "\\+ x"), ("2004. x", "2004\\. x")]:
        assert f"\n{shown}[^1]\n" in to_markdown(_nasty_summary(text))


def test_quote_whitespace_is_collapsed_in_markdown_only() -> None:
    summary = _summary()
    markdown = to_markdown(summary)
    assert "\u00a0" not in markdown and "\r" not in markdown
    assert (
        "\u00a0investment [in]" in json.loads(to_json(summary))["claims"][2]["evidence"][0]["quote"]
    )


def test_escaped_text_renders_as_the_original_text() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    html = md.render(to_markdown(_nasty_summary()))
    expected = NASTY.replace("&amp;", "&amp;amp;").replace("<", "&lt;").replace(">", "&gt;")
    expected = expected.replace('"', "&quot;")
    assert f"<h1>{expected}</h1>" in html
    assert f"<p>{expected}[^1]</p>" in html  # footnote refs stay literal without the plugin
    assert f"<li>- {expected}[^1]</li>" in html
    body = html.split("</h1>")[1].split("<h2>")[0].split("</p>", 1)[1]  # the paragraph
    assert all(tag not in body for tag in ("<em>", "<strong>", "<a ", "<code>", "<del>", "<b>"))
    assert "<table>" not in html
    assert unescape(re.sub("<[^>]+>", "", html.split("</h1>")[0])) == NASTY


# --------------------------------------------------------------------------- sections


def test_empty_summary_still_reports_what_was_left_out() -> None:
    summary = _summary()
    summary.sentences, summary.conflicts = [], []
    summary.rejections = summary.rejections[:2]
    assert to_markdown(summary) == (
        "# Port Alder council approves harbour road tunnel\n\n"
        "_From 3 sources: `01_harbour-times.txt`, `02_coastal-wire.txt`, `03_alder-radio`_\n\n"
        "_No sentence survived the checks._\n\n"
        "## Left out by the checks\n\n"
        "- `04_bayside-post` could not be processed: UnicodeDecodeError: 'utf-8' codec can't "
        "decode byte 0xe9 in position 212: invalid continuation byte\n"
        "- In all: 1 claim dropped, 1 sentence dropped. Each is listed below; the JSON output "
        "has every one in full.\n"
        "- Claim dropped (`02_coastal-wire.txt`): “The Port Alder tunnel will be the longest "
        "road tunnel in the country.” — not found verbatim; closest passage is “The Port Alder "
        "council on Tuesday approved a harbour road tunnel by seven votes to two” (quote has "
        "“longest road tunnel in the country” where the source has nothing alike)\n"
        "- Sentence dropped: “The tunnel will cost about \\$1.3 billion.” — “\\$1.3 billion”: no "
        "cited evidence contains this number\n"
    )


def test_left_out_reports_by_outcome_without_ids() -> None:
    markdown = to_markdown(_summary())
    section = markdown.split("## Left out by the checks")[1].split("\n## ")[0]
    assert "1 claim dropped, 1 sentence dropped, 1 citation removed" in section
    assert "Citation removed (`03_alder-radio`) from “Work is expected" in section
    assert "c1" not in section and "“““" not in section
    repaired = markdown.split("## Repaired after the checks")[1].split("\n---")[0]
    assert "Sentence, first draft “Two councillors voted against" in repaired
    assert "said: ‘We are mortgaging" in repaired  # inner marks become single ones
    assert (
        "[^6]: `02_coastal-wire.txt` — chars 291–331: “We are mortgaging the next generation.”\n"
        in markdown
    )


def test_clean_summary_has_no_left_out_section_and_lists_at_most_ten() -> None:
    summary = _summary()
    summary.rejections, summary.errors = [], []
    assert "## Left out" not in to_markdown(summary)
    summary.rejections = [Rejection(stage="compose", item=f"s{i}", reason="r") for i in range(12)]
    markdown = to_markdown(summary)
    assert "12 sentences dropped" in markdown
    assert "Sentence dropped: “s9” — r" in markdown and "s10" not in markdown
    assert "- … and 2 more in the JSON output.\n" in markdown


def test_long_items_are_clipped_at_a_word_and_never_inside_one() -> None:
    summary = _nasty_summary("wordy " * 60)
    line = next(x for x in to_markdown(summary).splitlines() if x.startswith("- Sentence dropped"))
    item, reason = line.removeprefix("- Sentence dropped: ").split(" — ")
    assert item.endswith("wordy…”") and len(item) <= 95
    assert reason.endswith("wordy…") and len(reason) <= 225
    summary = _nasty_summary("x" * 300)
    line = next(x for x in to_markdown(summary).splitlines() if x.startswith("- Sentence dropped"))
    assert "x" * 300 in line  # a single long word is kept whole, not cut


# --------------------------------------------------------------------------- JSON


def test_json_spans_round_trip_to_the_sources() -> None:
    graph = json.loads(to_json(_summary()))
    citations = [c for s in graph["sentences"] for c in s["citations"]]
    citations += [c for k in graph["conflicts"] for p in k["positions"] for c in p["citations"]]
    evidence = [(c["source_id"], e) for c in graph["claims"] for e in c["evidence"]]
    assert len(citations) == 12 and len(evidence) == 9
    for source_id, span in [(c["source_id"], c) for c in citations] + evidence:
        assert TEXT[source_id][span["start"] : span["end"]] == span["quote"]


def test_json_describes_sources_without_their_text() -> None:
    graph = json.loads(to_json(_summary()))
    assert list(graph) == [
        "schema",
        "version",
        "title",
        "sources",
        "claims",
        "sentences",
        "conflicts",
        "rejections",
        "errors",
        "usage",
    ]
    assert graph["schema"] == 1 and graph["version"] == __version__
    for source, shown in zip(SOURCES, graph["sources"], strict=True):
        assert list(shown) == [
            "id",
            "name",
            "path",
            "url",
            "sha256",
            "encoding",
            "warnings",
            "chars",
        ]
        assert shown["chars"] == len(source.text) and shown["sha256"] == source.sha256
    assert graph["usage"]["calls"] == 6 and graph["errors"][0]["source_id"] == "04_bayside-post"


def test_sources_show_their_display_names_with_the_file_behind_a_headline() -> None:
    titled = SOURCES[0].model_copy(update={"name": "Port Alder approves harbour tunnel"})
    by_path = SOURCES[1].model_copy(
        update={"path": "news/coast/02_coastal-wire.txt", "name": "coast/02_coastal-wire.txt"}
    )
    summary = _summary().model_copy(update={"sources": [titled, by_path, *SOURCES[2:]]})
    markdown = to_markdown(summary)
    header = markdown.splitlines()[2]
    assert header.startswith(
        "_From 3 sources: Port Alder approves harbour tunnel (`01_harbour-times.txt`), "
        "`coast/02_coastal-wire.txt`, "
    )
    notes = [line for line in markdown.splitlines() if line.startswith("[^")]
    assert any(line.startswith("[^1]: Port Alder approves harbour tunnel — ") for line in notes)
    assert not any("`01_harbour-times.txt`" in line for line in notes)
    assert json.loads(to_json(summary))["sources"][0]["name"] == titled.name


# --------------------------------------------------------------------------- GFM parse


def test_footnotes_parse_as_gfm_footnotes() -> None:
    from markdown_it import MarkdownIt

    footnote = pytest.importorskip("mdit_py_plugins.footnote")
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(footnote.footnote_plugin)
    tokens = md.parse(to_markdown(_summary()))
    refs = {t.meta["id"] for tok in tokens for t in tok.children or [] if t.type == "footnote_ref"}
    opened = [t for t in tokens if t.type == "footnote_open"]
    assert len(opened) == len(refs) == 9
