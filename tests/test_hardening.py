"""Issue #9's attack table, row by row, against loopback fakes: each attack now holds.

Every test runs the real command (summarize.cli.main, or a subprocess where the attack needs a
process: a closed or redirected stdin) against FakeOpenAIServer, which answers through the real
openai SDK and instructor.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, SEEDS, run_cli

from summarize.cache import ResultCache, cache_key
from summarize.cli import main
from summarize.settings import Settings
from summarize.testing import FakeOpenAIServer, Reply, completion_for, stand_in

KEY = "sk-test-SECRETSECRETSECRET"
A = SEEDS / "002_e6380d9e923ae68b.txt"
B = SEEDS / "003_2b45c29ad5bec665.txt"


def schema(request: dict[str, Any]) -> str:
    tools = request.get("tools") or [{"function": {"name": ""}}]
    return tools[0]["function"]["name"]


def about(request: dict[str, Any], source_id: str) -> bool:
    return f"Article id: {source_id}" in json.dumps(request, ensure_ascii=False)


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main([*map(str, args), "--no-cache"])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    """The one error line of stderr, less notices (a single article: nothing is consensus)."""
    lines = [line for line in err.strip().splitlines() if not line.startswith("summarize: note:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize(
    ("bad", "what"),
    [
        ("\u00a0", "non-ASCII character (U+00A0 NO-BREAK SPACE)"),
        ("\r", "control character"),
        ("\n", "control character"),
    ],
    ids=["nbsp", "cr", "lf"],
)
def test_a_key_that_cannot_be_a_header_is_refused_up_front(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, bad: str, what: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY + bad)
    with FakeOpenAIServer(stand_in) as server:
        code, out, err = run(capsys, A, "--base-url", server.base_url)
    assert code == 2 and out == "" and server.requests == []
    line = one_line(err)
    assert f"character {len(KEY) + 1} of {len(KEY) + 1} is a {what}" in line
    assert "OPENAI_API_KEY" in line and "SECRET" not in line


def test_an_internal_error_is_one_redacted_line_with_or_without_debug(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def explode(*args: Any, **kwargs: Any) -> None:
        raise UnicodeEncodeError("ascii", f"Bearer {KEY}\n{{'json': 1}}", 7, 8, "bad")

    monkeypatch.setattr("summarize.api.Summarizer.run", explode)
    code, out, err = run(capsys, A, "--replay", FIXTURES)
    assert code == 1 and out == ""
    (line,) = [x for x in err.strip().splitlines() if not x.startswith("summarize: note:")]
    assert line.startswith("summarize: internal error: UnicodeEncodeError") and "SECRET" not in err
    debug_code, _, debug_err = run(capsys, A, "--replay", FIXTURES, "--debug")
    assert debug_code == code and "Traceback" in debug_err and "SECRET" not in debug_err
    assert debug_err.strip().splitlines()[-1].startswith("summarize: internal error:")


# --------------------------------------------------------------------------- data


def test_output_naming_an_input_is_refused_before_any_call(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    shutil.copy(A, article)
    before = article.read_bytes()
    (tmp_path / "link.md").symlink_to(article)
    os.link(article, tmp_path / "hard.txt")
    (tmp_path / "sub").mkdir()
    with FakeOpenAIServer(stand_in) as server:
        for output, inputs in [
            (article, [article]),
            (tmp_path / "link.md", [article]),  # a symlink to an input
            (tmp_path / "hard.txt", [B, article]),  # a hard link: same inode
            (article, [tmp_path]),  # an article of an input folder
            (tmp_path / "sub" / ".." / "a.txt", [article]),
        ]:
            code, out, err = run(capsys, *inputs, "-o", output, "--base-url", server.base_url)
            assert code == 1 and out == ""
            assert "is one of the input articles" in one_line(err)
    assert server.requests == [] and article.read_bytes() == before


def test_output_that_stdin_was_redirected_from_is_refused(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    shutil.copy(A, article)
    with FakeOpenAIServer(stand_in) as server, article.open("rb") as stdin:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "summarize",
                "-",
                "-o",
                str(article),
                "--no-cache",
                "--base-url",
                server.base_url,
            ],
            stdin=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert result.returncode == 1 and "standard input" in one_line(result.stderr)
    assert server.requests == [] and article.read_bytes() == A.read_bytes()


def _hostile_row(cache_dir: Path, settings: Settings, filename: str, mode: int = 2) -> None:
    """Plant a row for the extraction request whose value "is stored in" `filename`."""
    from summarize.models import ArticleClaims
    from summarize.prompts import load_prompt
    from summarize.sources import read_source

    source = read_source(A)
    prompt = load_prompt("extract")
    messages = prompt.render(source_id=source.id, article=source.text)
    key = cache_key(settings, prompt.key, ArticleClaims.model_json_schema(), messages)
    cache = ResultCache(cache_dir)
    cache.set(key, "placeholder")
    cache.close()
    with sqlite3.connect(cache_dir / "cache.db") as db:
        db.execute(
            "UPDATE Cache SET mode = ?, filename = ?, value = NULL WHERE key = ?",
            (mode, filename, key),
        )


@pytest.mark.parametrize("mode", [2, 3, 4], ids=["text", "binary", "pickle"])
@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_a_cache_row_naming_a_file_outside_is_neither_read_nor_deleted(
    capsys: pytest.CaptureFixture, tmp_path: Path, mode: int, where: str
) -> None:
    victim = tmp_path / "victim" / "file"
    victim.parent.mkdir()
    victim.write_text('{"claims": []}')  # would parse as a valid (empty) cached answer
    cache_dir = tmp_path / "cache"
    with FakeOpenAIServer(stand_in) as server:
        settings = Settings(base_url=server.base_url, cache_dir=cache_dir)
        name = "../victim/file" if where == "relative" else str(victim)
        _hostile_row(cache_dir, settings, name, mode)
        code = main([str(A), "--base-url", server.base_url, "--cache-dir", str(cache_dir)])
    out, err = capsys.readouterr()
    assert code == 0 and "[^1]" in out  # answered by the model, not by the planted file
    assert "ignored and deleted an unsafe entry (refusing a cache value stored in a file)" in err
    assert victim.read_text() == '{"claims": []}' and victim.parent.is_dir()
    assert len(server.requests) >= 2  # extraction + compose went to the model


def test_cache_disk_never_removes_outside_its_folder(tmp_path: Path) -> None:
    from summarize.cache import JSONDisk

    cache_dir = tmp_path / "cache"
    (cache_dir / "ab").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    (cache_dir / "ab" / "escape").symlink_to(outside)
    own = cache_dir / "ab" / "cd" / "old.val"
    own.parent.mkdir()
    own.write_text("from an old version")
    disk = JSONDisk(str(cache_dir))
    for name in [
        "../outside/keep",
        str(outside / "keep"),
        "ab/escape/keep",
        "ab/../../outside/keep",
    ]:
        disk.remove(name)
    assert (outside / "keep").read_text() == "x"
    disk.remove("ab/cd/old.val")  # its own file goes, with emptied folders, not the cache folder
    assert not own.exists() and not own.parent.exists() and cache_dir.is_dir()


def test_a_tampered_settings_table_cannot_make_values_files(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    cache.close()
    with sqlite3.connect(tmp_path / "c" / "cache.db") as db:
        db.execute("UPDATE Settings SET value = 1 WHERE key = 'disk_min_file_size'")
    cache = ResultCache(tmp_path / "c")
    cache.set("k", "a value long enough to have gone to a file")
    assert cache.get("k") == "a value long enough to have gone to a file"
    cache.close()
    assert {p.name for p in (tmp_path / "c").iterdir()} <= {
        "cache.db",
        "cache.db-wal",
        "cache.db-shm",
    }


def test_an_unknown_setting_is_refused_like_corruption(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    cache.close()
    with sqlite3.connect(tmp_path / "c" / "cache.db") as db:
        db.execute("INSERT INTO Settings VALUES ('_directory', '/etc')")
        db.execute("INSERT INTO Settings VALUES ('sqlite_writable_schema', 1)")
    with pytest.warns(RuntimeWarning, match="unknown setting"):
        cache = ResultCache(tmp_path / "c")
    assert cache._cache.directory == str(tmp_path / "c")
    cache.close()


@pytest.mark.parametrize("kind", ["file", "under-a-file"])
def test_an_unusable_record_destination_is_refused_before_the_first_call(
    capsys: pytest.CaptureFixture, tmp_path: Path, kind: str
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker if kind == "file" else blocker / "recordings"
    with FakeOpenAIServer(stand_in) as server:
        code, out, err = run(capsys, A, B, "--base-url", server.base_url, "--record", target)
    assert code == 1 and out == "" and server.requests == []
    assert one_line(err).startswith(f"summarize: {target}: cannot record here")


def test_a_recording_write_error_stops_at_once_and_is_not_retried(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def disk_full(self: Any, request: Any, response: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("summarize.recording.RecordingTransport._write", disk_full)
    with FakeOpenAIServer(stand_in) as server:
        code, out, err = run(capsys, A, "--base-url", server.base_url, "--record", tmp_path / "rec")
    assert code == 1 and out == ""
    assert "cannot write a recording (no space left on device)" in one_line(err)
    assert len(server.requests) == 1  # one paid answer lost, not 25


# --------------------------------------------------------------------------- containment


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"choices": []}, "the answer has no choices"),
        ({"choices": [{"index": 0, "finish_reason": "stop"}]}, "has no message"),
        ({"choices": [{"message": {"content": 7}}]}, "message.content is a number"),
        ({"choices": "all"}, "choices is not a list"),
        ([1, 2], "a JSON array, not an object"),
        ("<html>Bad gateway</html>", "the answer is not JSON"),
        ({"error": {"message": "overloaded"}}, "the server answered with an error: overloaded"),
    ],
    ids=["no-choices", "no-message", "content-int", "choices-str", "array", "html", "error-200"],
)
def test_an_unexpected_answer_fails_that_article_alone(
    capsys: pytest.CaptureFixture, answer: Any, problem: str
) -> None:
    def responder(request: dict[str, Any]) -> Any:
        if schema(request) == "ArticleClaims" and about(request, A.stem):
            return Reply(
                status=200, body=json.dumps(answer) if not isinstance(answer, str) else answer
            )
        return stand_in(request)

    with FakeOpenAIServer(responder) as server:
        code, out, err = run(capsys, A, B, "--base-url", server.base_url, "--format", "json")
    assert code == 4
    graph = json.loads(out)
    assert [e["source_id"] for e in graph["errors"]] == [A.stem]
    assert graph["sentences"] and {c["source_id"] for c in graph["claims"]} == {B.stem}
    line = one_line(err)
    assert A.stem in line and problem in line
    assert sum(about(r, A.stem) for r in server.requests) == 1  # not retried


def test_an_oversized_answer_is_refused_before_parsing(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("summarize.wire.MAX_ANSWER_BYTES", 50_000)

    def responder(request: dict[str, Any]) -> Any:
        if schema(request) == "ArticleClaims" and about(request, A.stem):
            return completion_for(request, {"claims": [], "padding": "x" * 60_000})
        return stand_in(request)

    with FakeOpenAIServer(responder) as server:
        code, _, err = run(capsys, A, B, "--base-url", server.base_url)
    assert code == 4 and "more than the limit of 50,000" in one_line(err)


def test_a_non_utf8_file_name_is_shown_escaped_and_the_run_succeeds(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    shutil.copy(A, tmp_path / name)
    with FakeOpenAIServer(stand_in) as server:
        code, out, err = run(
            capsys, tmp_path / name, "--base-url", server.base_url, "--format", "json"
        )
    assert code == 0, err
    graph = json.loads(out)
    assert graph["sources"][0]["id"] == "caf\\xe9"
    assert graph["sources"][0]["path"].endswith("caf\\xe9.txt")
    assert graph["claims"] and "warning" not in err and "error" not in err


def test_a_huge_html_article_is_refused_by_its_size_before_reading(
    capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.html"
    with page.open("wb") as handle:
        handle.truncate(54_000_000)  # sparse: 54 MB on paper, nothing to read

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the bytes were read")

    monkeypatch.setattr(Path, "open", never)
    code, out, err = run(capsys, page, "--replay", FIXTURES)
    assert code == 1 and out == ""
    assert one_line(err) == (
        f"summarize: {page}: 54,000,000 bytes of HTML, over the limit of 5,000,000 bytes"
    )


def test_html_extraction_is_bounded_in_time(
    capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trafilatura = pytest.importorskip("trafilatura")
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Slow to parse, in this test.</p></body></html>")
    release = __import__("threading").Event()
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: release.wait(5) and "")
    monkeypatch.setattr("summarize.sources.HTML_EXTRACT_SECONDS", 0.05)  # extract takes 5 s
    try:
        code, _, err = run(capsys, page, "--replay", FIXTURES)
    finally:
        release.set()
    assert code == 1 and "HTML extraction took over 0.05 s" in one_line(err)


def test_a_text_file_too_large_for_the_limit_is_refused_before_decoding(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(4 * 1000 + 4)  # NUL bytes: decoding would call it binary
    code, _, err = run(capsys, big, "--replay", FIXTURES, "--max-article-chars", "1000")
    assert code == 1 and "4,004 bytes, more than 1,000 characters can take" in one_line(err)


def test_a_fifo_and_a_stray_list_in_the_replay_folder_are_skipped(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "seeds", replay)
    trap = replay / "trap.json"
    os.mkfifo(trap)
    (replay / "notes.json").write_text("[1, 2, 3]")
    finished, blocked = threading.Event(), threading.Event()

    def watchdog() -> None:
        """Before the fix the run blocked forever opening the FIFO. Opening its write end
        without blocking succeeds only while a reader waits in open(): that frees the run (it
        reads an empty file) and the test fails instead of hanging."""
        if finished.wait(30):
            return
        try:
            os.close(os.open(trap, os.O_WRONLY | os.O_NONBLOCK))
            blocked.set()
        except OSError:  # no reader waiting: the run is slow, not blocked on the FIFO
            pass

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    try:
        result = run_cli(str(SEEDS), "--replay", str(replay), "--no-cache")
    finally:
        finished.set()
        guard.join()
    assert not blocked.is_set(), "the run blocked opening the FIFO"
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# ")
    warnings = result.stderr.strip().splitlines()
    assert any("trap.json: skipped, not a recording (not a regular file)" in w for w in warnings)
    assert any("notes.json: skipped, not a recording (not a JSON object)" in w for w in warnings)


# --------------------------------------------------------------------------- a failed compose


def test_when_only_compose_fails_the_verified_claims_are_still_emitted(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    def responder(request: dict[str, Any]) -> Any:
        if schema(request) == "ComposedSummary":
            return Reply(status=400, body={"error": {"message": "context too long"}})
        return stand_in(request)

    output = tmp_path / "summary.md"
    with FakeOpenAIServer(responder) as server:
        code, out, err = run(capsys, A, B, "--base-url", server.base_url, "-o", output, "--usage")
    assert code == 4 and out == ""
    text = output.read_text("utf-8")
    assert text.startswith("# Verified claims by source (the summary could not be written)")
    assert "## Verified claims by source" in text
    assert len([line for line in text.splitlines() if line.startswith("### ")]) == 2
    assert "The summary could not be written: compose: HTTP 400" in text
    lines = err.strip().splitlines()
    assert lines[0] == "summarize: compose: HTTP 400 Bad Request: context too long"
    assert lines[1].startswith("summarize: usage: ") and len(lines) == 2
    # each listed claim carries a footnote whose quote is the source's text at its span
    sources = {p.stem: p.read_text("utf-8") for p in (A, B)}
    notes = [line for line in text.splitlines() if line.startswith("[^")]
    bullets = [line for line in text.splitlines() if line.startswith("- ") and "[^" in line]
    assert bullets and len(notes) >= len(bullets)
    for note in notes:
        span = note.split(" — chars ")[1].split(":")[0]
        start, end = map(int, span.split("–"))
        assert any(text[start:end].split()[-1] in note for text in sources.values())


def test_a_failed_repair_call_is_an_error_on_stderr_and_in_the_json(
    capsys: pytest.CaptureFixture,
) -> None:
    def responder(request: dict[str, Any]) -> Any:
        if schema(request) == "ClaimRepairs":
            return Reply(status=400, body={"error": {"message": "bad repair request"}})
        answer = stand_in(request)
        if schema(request) == "ArticleClaims":
            arguments = json.loads(
                answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
            )
            arguments["claims"].append(
                {
                    "statement": "Made up.",
                    "kind": "reported_fact",
                    "speaker": None,
                    "evidence": ["a passage this article never printed at all"],
                }
            )
            return completion_for(request, arguments)
        return answer

    with FakeOpenAIServer(responder) as server:
        code, out, err = run(capsys, A, "--base-url", server.base_url, "--format", "json")
    assert code == 4
    graph = json.loads(out)
    (error,) = graph["errors"]
    assert error["stage"] == "repair" and error["source_id"] == A.stem
    assert "repair call failed" in error["error"] and "bad repair request" in error["error"]
    assert graph["sentences"]  # the verified claims were still composed
    assert any("bad repair request" in r["reason"] for r in graph["rejections"])
    assert "repair call failed" in one_line(err)


@pytest.mark.parametrize("strict", [[], ["--strict"]])
def test_a_run_with_no_verified_claim_is_not_a_success(
    capsys: pytest.CaptureFixture, strict: list[str]
) -> None:
    with FakeOpenAIServer(lambda r: completion_for(r, {"claims": []})) as server:
        code, out, err = run(capsys, A, B, "--base-url", server.base_url, *strict)
    assert code == 5
    assert out.startswith("# No claim survived verification")
    assert one_line(err) == "summarize: no claim could be verified; nothing to summarize"


@pytest.mark.heavy
def test_ten_thousand_claims_are_capped_by_the_schema(capsys: pytest.CaptureFixture) -> None:
    def responder(request: dict[str, Any]) -> Any:
        if schema(request) == "ArticleClaims" and about(request, A.stem):
            claim = {
                "statement": "Netflix used AI.",
                "kind": "reported_fact",
                "speaker": None,
                "evidence": ["Netflix used AI."],
            }
            return completion_for(request, {"claims": [claim] * 10_000})
        return stand_in(request)

    with FakeOpenAIServer(responder) as server:
        code, out, err = run(capsys, A, B, "--base-url", server.base_url, "--format", "json")
    assert code == 4
    graph = json.loads(out)
    assert len(graph["sentences"]) <= 12 and len(graph["claims"]) <= 12
    assert "at most 12 items" in one_line(err)
    compose = [r for r in server.requests if schema(r) == "ComposedSummary"]
    assert len(json.dumps(compose)) < 50_000


def test_401_exits_4_with_or_without_debug(capsys: pytest.CaptureFixture) -> None:
    with FakeOpenAIServer(lambda request: Reply(status=401)) as server:
        quiet = run(capsys, A, "--base-url", server.base_url)
        loud = run(capsys, A, "--base-url", server.base_url, "--debug")
    assert quiet[0] == loud[0] == 4
    assert "Traceback" not in quiet[2] and "Traceback" in loud[2]
    assert loud[2].strip().splitlines()[-1] == quiet[2].strip().splitlines()[-1]


# --------------------------------------------------------------------------- smaller ones


def test_a_closed_stdin_is_one_line() -> None:
    result = subprocess.run(
        f"{sys.executable} -m summarize - --replay fixtures <&-",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "summarize: <stdin>: standard input is closed; pipe the article text to '-'"
    )


def test_a_symlink_loop_names_the_file_and_leaks_nothing(tmp_path: Path) -> None:
    shutil.copy(A, tmp_path / "a.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    result = subprocess.run(
        [sys.executable, "-W", "always", "-m", "summarize", str(tmp_path), "--replay", "fixtures"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"summarize: {tmp_path / 'loop.txt'}: too many levels of symbolic links"
    )


@pytest.mark.parametrize(
    ("flags", "said"), [(["--no-cache"], ""), ([], "; finished work is cached")]
)
def test_an_interrupt_says_what_was_kept(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, flags: list[str], said: str
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("summarize.api.Summarizer.run", interrupted)
    assert main([str(A), "--replay", str(FIXTURES), *flags]) == 130
    assert capsys.readouterr().err.endswith(f"summarize: interrupted{said}\n")


def test_bare_urls_in_article_text_are_not_autolinked() -> None:
    from summarize.render import inline_text

    text = inline_text("See https://example.com/a and WWW.example.org, at 10:30.")
    assert text == "See https\\://example.com/a and WWW\\.example.org, at 10:30."


def test_the_schema_sends_the_claims_cap_to_the_model() -> None:
    from summarize.limits import MAX_CLAIMS_PER_ARTICLE
    from summarize.models import ArticleClaims

    claims = ArticleClaims.model_json_schema()["properties"]["claims"]
    assert claims["maxItems"] == MAX_CLAIMS_PER_ARTICLE
    prompt = (ROOT / "prompts" / "extract.md").read_text("utf-8")
    assert f"at most {MAX_CLAIMS_PER_ARTICLE}" in prompt


def test_the_readme_exit_code_table_lists_exactly_the_codes_the_cli_returns() -> None:
    import re

    from summarize import cli

    readme = (ROOT / "README.md").read_text("utf-8")
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", readme, re.MULTILINE)}
    returned = {value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert listed == returned == {0, 1, 2, 3, 4, 5, 130}
    assert all(f"{code} " in cli.EXAMPLES for code in returned)


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_subcommands_keep_their_exit_codes_with_debug_and_redact(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, debug: list[str]
) -> None:
    from summarize.errors import InputError

    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def leaky(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"request failed: {{'Authorization': 'Bearer {KEY}'}}\nmore")

    def bad_stories(*args: Any, **kwargs: Any) -> None:
        raise InputError(str(tmp_path), "no stories here")

    monkeypatch.setattr("summarize.cli_check._run", leaky)
    monkeypatch.setattr("summarize.batch.read_stories", bad_stories)
    check = main(["check", "draft.md", "--sources", str(A), *debug])
    check_err = capsys.readouterr().err
    batch = main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), *debug])
    batch_err = capsys.readouterr().err
    assert (check, batch) == (1, 1)
    assert "SECRET" not in check_err and "SECRET" not in batch_err
    assert (
        check_err.strip()
        .splitlines()[-1]
        .startswith("summarize check: internal error: RuntimeError: request failed:")
    )
    assert batch_err.strip().splitlines()[-1] == f"summarize batch: {tmp_path}: no stories here"
    assert ("Traceback" in check_err + batch_err) == bool(debug)
