"""The command line: exit codes, stdout for the result only, one-line errors, stdin."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.metadata import version

import pytest
from conftest import FIXTURES, ROOT, SEEDS, run_cli

from summarize.cli import main
from summarize.testing import FakeOpenAIServer, Reply, completion_for, stand_in


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """stderr's lines less the notices (single article, nothing recorded) that start 'note:'."""
    return [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not line.startswith("summarize: note:")
    ]


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
    assert len(error_lines(result)) == 1
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
    with FakeOpenAIServer(stand_in) as server:
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
        return stand_in(request)

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
    assert len(error_lines(result)) == 1


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


# --------------------------------------------------------------------------- a newcomer's polish

STDIN_SEED = SEEDS / "000_49dac367c97757d1.txt"
OTHER_SEEDS = [str(p) for p in sorted(SEEDS.glob("*.txt")) if p != STDIN_SEED]


def test_version_comes_from_the_package_metadata():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"summarize {version('summarize')}\n"


def test_bash_completion_script_loads_and_completes_flags_and_modes(tmp_path):
    script = run_cli("--print-completion", "bash")
    assert script.returncode == 0, script.stderr
    (tmp_path / "summarize.bash").write_text(script.stdout)
    bash = shutil.which("bash")
    assert bash is not None
    probe = (
        f"source {tmp_path / 'summarize.bash'}; complete -p summarize; "
        'COMP_WORDS=(summarize --mo); COMP_CWORD=1; _shtab_summarize; echo "${COMPREPLY[*]}"; '
        'COMP_WORDS=(summarize --mode ""); COMP_CWORD=2; _shtab_summarize; echo "${COMPREPLY[*]}"'
    )
    out = subprocess.run([bash, "-c", probe], capture_output=True, text=True, check=True).stdout
    registered, flags, modes = out.splitlines()
    assert registered.endswith(" summarize")
    assert flags.split() == ["--model", "--mode"]
    assert "json_object_schema" in modes.split() and "tools" in modes.split()


def test_completion_without_shtab_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "shtab", None)
    with pytest.raises(SystemExit) as exit:
        main(["--print-completion", "zsh"])
    assert exit.value.code == 1
    assert "pip install 'summarize[completion]'" in capsys.readouterr().err


def test_model_and_mode_from_the_environment_and_a_flag_wins():
    with FakeOpenAIServer(stand_in) as server:
        env = {
            "OPENAI_BASE_URL": server.base_url,
            "SUMMARIZE_MODEL": "env-model",
            "SUMMARIZE_MODE": "json_schema",
        }
        seed = str(SEEDS / "002_e6380d9e923ae68b.txt")
        from_env = run_cli(seed, "--no-cache", env=env)
        assert from_env.returncode == 0, from_env.stderr
        seen = list(server.requests)
        server.requests.clear()
        flags = run_cli(seed, "--no-cache", "-m", "flag-model", "--mode", "tools", env=env)
        assert flags.returncode == 0, flags.stderr
    assert {r["model"] for r in seen} == {"env-model"}
    assert all(r["response_format"]["type"] == "json_schema" for r in seen)
    assert {r["model"] for r in server.requests} == {"flag-model"}
    assert all(r.get("tools") and "response_format" not in r for r in server.requests)


def test_a_bad_mode_from_the_environment_is_named():
    result = run_cli(str(SEEDS), "--replay", str(FIXTURES), env={"SUMMARIZE_MODE": "xml"})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "'xml' (from SUMMARIZE_MODE)" in line and "json_object_schema" in line


@pytest.mark.parametrize(
    ("name", "flags", "expected"),
    [
        ("out.json", [], "json"),
        ("out.md", [], "markdown"),
        ("out.txt", [], "markdown"),
        ("out.html", [], "html"),
        ("out.json", ["--format", "markdown"], "markdown"),
    ],
)
def test_output_format_follows_the_extension_unless_given(tmp_path, name, flags, expected):
    out = tmp_path / name
    assert main([str(SEEDS), "--replay", str(FIXTURES), "-q", "-o", str(out), *flags]) == 0
    text = out.read_text("utf-8")
    shapes = {
        "json": lambda: json.loads(text)["schema"] == 1,
        "html": lambda: text.startswith("<!DOCTYPE html>"),
        "markdown": lambda: text.startswith("# "),
    }
    assert shapes[expected]()


def test_output_into_a_missing_folder_says_so(tmp_path):
    result = run_cli(str(SEEDS), "--replay", str(FIXTURES), "-o", str(tmp_path / "nodir/out.md"))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.endswith(f"(the folder {tmp_path / 'nodir'} does not exist)")


@pytest.mark.parametrize("value", ["-1", "0", "nan", "soon"])
def test_a_bad_timeout_names_the_flag(value):
    result = run_cli(str(SEEDS), "--replay", str(FIXTURES), "--timeout", value)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("summarize: argument --timeout: ") and value in line


def test_record_on_a_cached_run_says_nothing_was_recorded(tmp_path):
    args = [str(SEEDS), "--replay", str(FIXTURES), "--cache-dir", str(tmp_path / "cache"), "-q"]
    first = run_cli(*args, "--record", str(tmp_path / "one"))
    assert first.returncode == 0 and "note:" not in first.stderr
    assert len(list((tmp_path / "one").glob("*.json"))) == len(list(FIXTURES.glob("seeds/*.json")))
    again = run_cli(*args, "--record", str(tmp_path / "two"))
    assert again.returncode == 0 and not (tmp_path / "two").exists()
    (line,) = again.stderr.splitlines()
    assert "nothing recorded" in line and "from the cache" in line and "--no-cache" in line


def test_stdin_replays_under_its_recorded_id():
    piped = STDIN_SEED.read_text("utf-8")
    result = run_cli(
        "-", *OTHER_SEEDS, "--replay", str(FIXTURES), "--stdin-id", STDIN_SEED.stem, "-q",
        "--format", "json", input=piped,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    assert graph["sources"][0]["id"] == STDIN_SEED.stem and graph["sources"][0]["path"] is None
    assert {c["source_id"] for c in graph["claims"]} >= {STDIN_SEED.stem}
    missing = run_cli("-", *OTHER_SEEDS, "--replay", str(FIXTURES), "-q", input=piped)
    assert missing.returncode == 4
    # the article's miss, then the composer's (its claims listing changed): the hint on both
    first = error_lines(missing)[0]
    assert first.startswith("summarize: stdin: no recording") and "--stdin-id ID" in first


def test_single_article_and_duplicate_inputs_get_notices():
    seed = str(SEEDS / "002_e6380d9e923ae68b.txt")
    with FakeOpenAIServer(stand_in) as server:
        result = run_cli(
            seed, seed, "--base-url", server.base_url, "--no-cache", "--format", "json"
        )
    assert result.returncode == 0, result.stderr
    assert [s["id"] for s in json.loads(result.stdout)["sources"]] == [SEEDS.joinpath(seed).stem]
    assert result.stderr.splitlines() == [
        f"summarize: warning: {seed}: given twice; summarized once",
        "summarize: note: only one article: nothing can be consensus, so every point will be "
        "reported by one source only",
    ]
    assert len([r for r in server.requests if "<article>" in json.dumps(r)]) == 1


def test_progress_names_a_failed_article_once(monkeypatch, tmp_path):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    (tmp_path / "empty").mkdir()
    seed = SEEDS / "002_e6380d9e923ae68b.txt"
    main([str(seed), str(SEEDS / "003_2b45c29ad5bec665.txt"), "--replay", str(tmp_path / "empty")])
    progress = [line for line in "".join(terminal.lines).splitlines() if line.startswith("[")]
    assert progress and all(line.count(seed.stem) == 1 for line in progress if seed.stem in line)


def test_settings_alone_hold_the_defaults():
    """No command's parser repeats a default of Settings: an option left out is not passed."""
    from dataclasses import fields

    from summarize.batch import build_parser as batch_parser
    from summarize.cli import build_parser
    from summarize.settings import Settings

    names = {f.name for f in fields(Settings)}
    for parser in (build_parser(), batch_parser()):
        repeated = [a.dest for a in parser._actions if a.dest in names and a.default is not None]
        assert repeated == [], parser.prog


def test_every_command_fails_usage_in_one_line_naming_itself():
    for argv, prog in ((["--bogus"], "summarize"), (["batch", "--bogus"], "summarize batch"),
                       (["check", "--bogus"], "summarize check")):  # fmt: skip
        result = run_cli(*argv)
        assert result.returncode == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"{prog}: ") and line.endswith(f"(see {prog} --help)")


@pytest.mark.heavy
def test_the_entry_point_runs_the_demo_in_its_own_process():
    """The one subprocess test: `python -m summarize` as a user runs it (the others call
    main(argv) in-process, which is the same code)."""
    result = subprocess.run(
        [sys.executable, "-m", "summarize", str(SEEDS), "--replay", str(FIXTURES), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# ") and "[^1]:" in result.stdout and result.stderr == ""
