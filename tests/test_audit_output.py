"""`summarize check` on the command line: annotated Markdown, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import BROWSER, ROOT, SEEDS, run_cli
from test_audit import DRAFT
from test_fetch import site  # noqa: F401  (the fixture: a loopback web server)
from test_html_browser import SHOWN, console_problems, open_page, requests_sent

import summarize
from summarize.audit_output import UNBACKED_MARK
from summarize.cli import main

CLEAN = "Netflix reported $11.08 billion in revenue, and Sarandos said AI helps “creators make \
films and series better, not just cheaper”.\n"


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    path = tmp_path / "draft.md"
    path.write_text(DRAFT, "utf-8")
    return path


def run_check(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return run_cli("check", *args, input=input)


def test_annotated_draft_on_stdout_and_one_summary_line_on_stderr(draft: Path, capsys) -> None:
    assert main(["check", str(draft), "--sources", str(SEEDS)]) == 0
    out, err = capsys.readouterr()
    names = len(summarize.check(DRAFT, SEEDS).of_kind("name"))
    assert err == (
        f"summarize check: 3 quotations, 6 numbers, {names} names; "
        "6 unbacked (2 quotations, 3 numbers, 1 name)\n"
    )
    body, _, notes = out.partition("\n---\n")
    assert body.count(UNBACKED_MARK) == 6
    assert "$11.1 billion" + UNBACKED_MARK in body and "Marco Ruiz" + UNBACKED_MARK in body
    # every backed quotation and number has a footnote naming the source file and the span
    assert re.search(r"ten times\[\^\d+\] faster", body)
    ten = re.search(r"ten times\[\^(\d+)\]", body)
    assert ten is not None
    line = next(n for n in notes.splitlines() if n.startswith(f"[^{ten.group(1)}]: "))
    assert re.search(r"`00\d_\w+\.txt` chars \d+–\d+", line) and "shared words" in line
    assert "Names no source contains: “Marco Ruiz”." in notes
    assert "rounded?" in notes and "changed scale" in notes and "about something else" in notes


def test_annotations_only_add_marks(draft: Path, capsys) -> None:
    """Taking the marks and footnote references out gives back the draft exactly."""
    main(["check", str(draft), "--sources", str(SEEDS)])
    body = capsys.readouterr().out.partition("\n\n---\n")[0]
    restored = re.sub(r"\[\^\d+\]", "", body.replace(UNBACKED_MARK, ""))
    assert restored == DRAFT.rstrip()


def test_json_output(draft: Path, capsys) -> None:
    assert main(["check", str(draft), "--sources", str(SEEDS), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    texts = {p.stem: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    assert data["draft"]["path"] == str(draft)
    rounded = next(i for i in data["items"] if i["text"] == "$11.1 billion")
    assert rounded["verdict"] == "unbacked" and rounded["kind"] == "number"
    for record in data["items"]:
        for b in record["backing"]:
            assert texts[b["source_id"]][b["start"] : b["end"]] == b["text"]


def test_strict_exits_3_only_when_something_is_unbacked(draft: Path, tmp_path: Path) -> None:
    assert main(["check", str(draft), "--sources", str(SEEDS), "--strict", "-q"]) == 3
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN, "utf-8")
    assert main(["check", str(clean), "--sources", str(SEEDS), "--strict", "-q"]) == 0


def test_plain_text_draft_is_escaped_for_markdown(tmp_path: Path, capsys) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text(CLEAN, "utf-8")
    main(["check", str(clean), "--sources", str(SEEDS), "-q"])
    assert r"\$11.08 billion[^" in capsys.readouterr().out


def test_html_draft(tmp_path: Path, capsys) -> None:
    page = tmp_path / "draft.html"
    page.write_text(
        "<html><body><nav>Menu 1 2 3</nav><article><h1>Netflix and AI</h1><p>Netflix reported "
        "$11.1 billion in revenue for the quarter, a figure analysts had expected for months "
        "after the strong launch of El Eternauta.</p></article></body></html>",
        "utf-8",
    )
    assert main(["check", str(page), "--sources", str(SEEDS), "--strict", "-q"]) == 3
    assert "$11.1 billion" in capsys.readouterr().out


def test_draft_from_standard_input() -> None:
    result = run_check("-", "--sources", str(SEEDS), input=CLEAN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[^") >= 4
    assert result.stderr.startswith("summarize check: 1 quotation, 1 number, ")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["missing.md", "--sources", "seeds"], 1, "summarize check: missing.md: no such file"),
        (["seeds", "--sources", "seeds"], 1, "seeds: is a directory; the draft must be one file"),
        (["-", "--sources", "-"], 1, "standard input cannot be both the draft and a source"),
        (["README.md"], 2, "the following arguments are required: --sources"),
        (["README.md", "--sources", "nowhere"], 1, "summarize check: nowhere: no such file"),
        (["README.md", "--sources", "seeds", "--format", "pdf"], 2, "invalid choice: 'pdf'"),
    ],
)
def test_bad_input_is_one_line(args: list[str], code: int, message: str) -> None:
    result = run_check(*args)
    assert result.returncode == code
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert message in line and "Traceback" not in line


def test_empty_draft_and_unwritable_output(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", "utf-8")
    assert main(["check", str(empty), "--sources", str(SEEDS)]) == 1
    assert capsys.readouterr().err == f"summarize check: {empty}: the file is empty\n"
    target = tmp_path / "no" / "out.md"
    assert main(["check", str(ROOT / "README.md"), "--sources", str(SEEDS), "-o", str(target)]) == 1
    assert "cannot write output" in capsys.readouterr().err


# ----------------------------------------------------------------- HTML


def test_html_page_links_every_item_to_its_span_and_escapes_the_draft(tmp_path: Path) -> None:
    hostile = DRAFT + '\n<script>window.__pwned = 1</script> <img src=x onerror="alert(1)">\n'
    page = tmp_path / "check.html"
    draft = tmp_path / "draft.md"
    draft.write_text(hostile, "utf-8")
    assert main(["check", str(draft), "--sources", str(SEEDS), "-o", str(page), "-q"]) == 0
    html = page.read_text("utf-8")
    assert "<script>window.__pwned" not in html and "&lt;script&gt;window.__pwned" in html
    assert "<img" not in html and "default-src &#39;none&#39;" in html
    texts = {p.stem: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    links = re.findall(r'data-source-id="([^"]+)" data-start="(\d+)" data-end="(\d+)"', html)
    report = summarize.check(hostile, SEEDS)
    spans = [
        (b.source_id, str(b.start), str(b.end))
        for i in report.items
        if i.kind != "name" or i.verdict == "unbacked"
        for b in i.backing or ([i.closest] if i.closest else [])
    ]
    assert set(links) == set(spans) and len(links) >= len(spans)
    for source_id, start, end in links:
        assert texts[source_id][int(start) : int(end)]
    assert html.count('class="item unbacked"') == len(report.unbacked) >= 6
    assert re.search(r'class="item unbacked"[^>]*>\$11\.1 billion</span>', html)


@BROWSER
def test_html_page_in_a_browser(tmp_path: Path, browser) -> None:
    """Clicking an item marks exactly its backing span in the source, as in the report."""
    page = tmp_path / "check.html"
    draft = tmp_path / "draft.md"
    draft.write_text(DRAFT, "utf-8")
    main(["check", str(draft), "--sources", str(SEEDS), "-o", str(page), "-q"])
    url = open_page(browser, page)
    texts = {p.stem: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    every = browser.execute_script(
        f"const shown = () => {{ {SHOWN} }};"
        "return [...document.querySelectorAll('a[data-source-id]')].map((a) => {"
        " a.click(); return [a.dataset.sourceId, Number(a.dataset.start),"
        " Number(a.dataset.end), shown()]; });"
    )
    assert len(every) > 10
    for source_id, start, end, shown in every:
        assert shown["count"] == 1 and shown["panel"] == source_id
        assert shown["text"] == texts[source_id][start:end]
    assert console_problems(browser) == []
    assert set(requests_sent(browser)) == {url}


def test_a_draft_fetched_from_a_url(request, tmp_path: Path, capsys) -> None:
    base = request.getfixturevalue("site")
    source = tmp_path / "wire.txt"
    source.write_text("Kmart will buy Sears. Sears shares soared 17 percent on Wednesday.\n")
    report = summarize.check(f"{base}/plain.txt", [source])
    assert report.draft.url == f"{base}/plain.txt"
    (number,) = report.of_kind("number")
    assert number.verdict == "backed" and number.backing[0].text == "17 percent"
    assert main(["check", f"{base}/plain.txt", "--sources", str(source), "--strict"]) == 0
    assert "17 percent[^1]" in capsys.readouterr().out
