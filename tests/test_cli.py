"""The command line: exit codes, stdout for the result only, one-line errors, stdin."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, SEEDS

from summarize.cli import main
from summarize.testing import FakeOpenAIServer, Reply, completion_for, extractive_model


def run_cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "summarize", *args],
        capture_output=True,
        text=True,
        input=input,
        cwd=ROOT,
        timeout=120,
    )


def test_demo_prints_footnoted_markdown_and_nothing_else_on_stdout(capsys):
    assert main([str(SEEDS), "--replay", str(FIXTURES), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# ") and "[^1]:" in out
    assert "## Where the sources differ" in out and "## Reported by one source only" in out
    assert err == ""


def test_json_citations_equal_the_source_text_at_their_span(capsys):
    assert main([str(SEEDS), "--replay", str(FIXTURES), "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    texts = {p.stem: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    citations = [c for s in graph["sentences"] for c in s["citations"]]
    citations += [c for k in graph["conflicts"] for p in k["positions"] for c in p["citations"]]
    assert citations
    for c in citations:
        assert texts[c["source_id"]][c["start"] : c["end"]] == c["quote"]
    for claim in graph["claims"]:
        for e in claim["evidence"]:
            assert texts[claim["source_id"]][e["start"] : e["end"]] == e["quote"]
    assert all(s["citations"] for s in graph["sentences"])


def test_strict_exits_3_when_something_was_rejected(capsys):
    assert main([str(SEEDS), "--replay", str(FIXTURES), "--strict", "--quiet"]) == 3
    assert "rejected" in capsys.readouterr().err


def test_usage_on_request_goes_to_stderr(capsys):
    main([str(SEEDS), "--replay", str(FIXTURES), "--usage", "--quiet"])
    err = capsys.readouterr().err
    assert "calls" in err and "prompt" in err


def test_output_file(tmp_path, capsys):
    out = tmp_path / "summary.md"
    assert main([str(SEEDS), "--replay", str(FIXTURES), "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text("utf-8").startswith("# ")


def test_replay_miss_is_a_model_failure_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli(str(SEEDS / "002_e6380d9e923ae68b.txt"), "--replay", str(tmp_path / "empty"))
    assert result.returncode == 4
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no recording" in result.stderr and "Traceback" not in result.stderr


def test_no_key_says_how_to_proceed():
    result = run_cli(str(SEEDS))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "OPENAI_API_KEY" in line and "--base-url" in line and "--replay fixtures" in line


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: _write(d / "empty.txt", b""), "empty"),
        (lambda d: _write(d / "scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR"), "binary"),
        (lambda d: (d / "nothing").mkdir() or d / "nothing", "no .txt"),
        (lambda d: _write(d / "long.txt", b"word " * 50_000), "over the limit"),
    ],
)
def test_bad_input_gets_one_line_naming_the_file(tmp_path, make, expected):
    path = make(tmp_path)
    result = run_cli(str(path), "--replay", str(FIXTURES), "--max-article-chars", "100000")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert str(path) in line and expected in line
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [["--mode", "xml"], ["--concurrency", "0"], ["--format", "pdf"], ["--bogus"], []],
)
def test_usage_errors_exit_2_with_one_line(args):
    result = run_cli(*args, *(["seeds"] if args else []))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_unwritable_cache_and_output(tmp_path):
    blocker = _write(tmp_path / "file", b"x")
    cache = run_cli(str(SEEDS), "--replay", str(FIXTURES), "--cache-dir", str(blocker / "cache"))
    assert cache.returncode == 1 and str(blocker) in cache.stderr
    assert len(cache.stderr.strip().splitlines()) == 1
    out = run_cli(str(SEEDS), "--replay", str(FIXTURES), "-o", str(blocker / "out.md"))
    assert out.returncode == 1 and "out.md" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_help_is_fast_to_import():
    code = (
        "import sys; from summarize.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'openai' not in sys.modules and 'instructor' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "examples:" in result.stdout


def test_stdin_and_a_file_through_a_loopback_model():
    article = (SEEDS / "003_2b45c29ad5bec665.txt").read_text("utf-8")
    with FakeOpenAIServer(extractive_model) as server:
        result = run_cli(
            "-",
            str(SEEDS / "002_e6380d9e923ae68b.txt"),
            "--base-url",
            server.base_url,
            "--format",
            "json",
            "--no-cache",
            input=article,
        )
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    assert [s["id"] for s in graph["sources"]] == ["stdin", "002_e6380d9e923ae68b"]
    assert {c["source_id"] for c in graph["claims"]} == {"stdin", "002_e6380d9e923ae68b"}
    assert result.stderr == ""


def test_one_truncated_article_fails_alone():
    def responder(request):
        if "Article id: 002_" in json.dumps(request, ensure_ascii=False):
            return completion_for(
                request, '{"claims": [{"statement": "Netfl', finish_reason="length"
            )
        return extractive_model(request)

    with FakeOpenAIServer(responder) as server:
        result = run_cli(
            str(SEEDS / "002_e6380d9e923ae68b.txt"),
            str(SEEDS / "003_2b45c29ad5bec665.txt"),
            "--base-url",
            server.base_url,
            "--no-cache",
            "--format",
            "json",
        )
    assert result.returncode == 4
    graph = json.loads(result.stdout)
    assert [e["source_id"] for e in graph["errors"]] == ["002_e6380d9e923ae68b"]
    assert graph["sentences"] and all(s["citations"] for s in graph["sentences"])
    assert "002_e6380d9e923ae68b" in result.stderr and "Traceback" not in result.stderr


def test_model_api_down_exits_4():
    with FakeOpenAIServer(lambda request: Reply(status=401)) as server:
        result = run_cli(
            str(SEEDS / "002_e6380d9e923ae68b.txt"), "--base-url", server.base_url, "--no-cache"
        )
    assert result.returncode == 4
    assert len(result.stderr.strip().splitlines()) == 1


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


class _Terminal:
    """A stderr that says it is a terminal, to see the progress lines."""

    def __init__(self):
        self.lines = []

    def isatty(self):
        return True

    def write(self, text):
        self.lines.append(text)

    def flush(self):
        pass


def test_progress_only_on_a_terminal_and_never_with_quiet(monkeypatch, capsys):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([str(SEEDS), "--replay", str(FIXTURES)]) == 0
    progress = "".join(terminal.lines)
    assert "[5/5]" in progress and "claims verified" in progress and "composing" in progress
    assert "[1/5]" not in capsys.readouterr().out
    terminal.lines.clear()
    assert main([str(SEEDS), "--replay", str(FIXTURES), "--quiet"]) == 0
    assert "".join(terminal.lines) == ""


def test_debug_shows_the_traceback(tmp_path):
    quiet = run_cli(str(tmp_path / "missing.txt"))
    loud = run_cli(str(tmp_path / "missing.txt"), "--debug")
    assert "Traceback" not in quiet.stderr and quiet.returncode == 1
    assert "Traceback" in loud.stderr and "SourceNotFound" in loud.stderr
