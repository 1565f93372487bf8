"""`summarize batch`: one report per story, failures kept to their story, resumable after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import diskcache
import pytest
from conftest import ROOT, run_cli

from summarize.batch_stories import read_stories, report_names
from summarize.cli import main
from summarize.testing import FakeOpenAIServer, Reply, stand_in


def article(story: int, n: int) -> str:
    return (
        f"Town {story} council met on Monday for article {n} of this story.\n\n"
        f"The council of town {story} approved {100 + story} new homes after a long debate.\n\n"
        f"Mayor Ines Duarte of town {story} said the vote was the closest in a decade.\n"
    )


def make_stories(root: Path, count: int, articles: int = 2) -> Path:
    for i in range(count):
        folder = root / f"story-{i:03d}"
        folder.mkdir(parents=True)
        for n in range(articles):
            (folder / f"a{n}.txt").write_text(article(i, n), "utf-8")
    return root


def key(request: dict) -> str:
    return json.dumps(request, sort_keys=True)


@pytest.mark.heavy
def test_a_killed_batch_resumes_without_repeating_a_paid_call(tmp_path):
    """The first run is a real process, killed with SIGKILL mid-batch; the rerun (in-process:
    resuming needs only the cache and the reports on disk) pays for nothing twice."""
    count = 10
    stories = make_stories(tmp_path / "day", count)
    out = tmp_path / "reports"
    calls = 3 * count  # 2 articles and a compose per story
    # 8 stories run side by side (3 calls each): answering more than 24 calls means a ninth
    # story started, so at least one report was written before the kill; 5 calls remain.
    limit = 25
    answered: list[str] = []
    later: list[str] = []
    phase = {"first": True}
    lock, release = threading.Lock(), threading.Event()

    def responder(request: dict) -> Reply | dict:
        with lock:
            if phase["first"] and len(answered) >= limit:
                hold = True
            else:
                (answered if phase["first"] else later).append(key(request))
                hold = False
        if hold:  # the run stalls here until it is killed; this answer is never delivered
            release.wait(60)
            return Reply(status=503)
        return stand_in(request)

    args = ["batch", str(stories), "-o", str(out)]
    with FakeOpenAIServer(responder) as server:
        args += ["--base-url", server.base_url, "-m", "gpt-4o-mini"]
        first = subprocess.Popen(
            [sys.executable, "-m", "summarize", *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cache = diskcache.Cache(os.environ["SUMMARIZE_CACHE_DIR"])
        deadline = time.monotonic() + 60
        while len(cache) < limit and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.02)  # every answered call is in the cache: now kill
        assert len(cache) == limit
        cache.close()
        first.kill()
        first.wait()
        release.set()
        written = sorted(p.name for p in out.glob("*.md") if p.name != "batch.md")
        assert 0 < len(written) < count  # some stories finished, the rest were cut off
        phase["first"] = False
        second = run_cli(*args)
    assert second.returncode == 0, second.stderr
    assert not set(answered) & set(later)  # nothing paid for twice
    assert len(set(answered) | set(later)) == calls and len(later) == calls - limit
    reports = sorted(p.name for p in out.glob("story-*.md"))
    assert reports == [f"story-{i:03d}.md" for i in range(count)]
    assert "[^1]:" in (out / "story-009.md").read_text("utf-8")
    rows = json.loads((out / "batch.json").read_text("utf-8"))
    assert len(rows) == count and all(r["failure"] is None for r in rows)
    assert sum(r["calls"] for r in rows) == calls - limit
    assert sum(r["cache_hits"] for r in rows) == limit
    table = second.stdout.splitlines()
    assert table[0].split()[:8] == [
        "story",
        "sources",
        "sentences",
        "rejections",
        "calls",
        "cached",
        "tokens",
        "cost",
    ]
    total = next(line for line in table if line.startswith(f"{count} stories"))
    assert f" {calls - limit} " in total and f" {limit} " in total and "$" in total
    assert second.stderr.count("[") >= count and f"[{count}/{count}]" in second.stderr


def test_one_storys_failure_loses_nothing_else(tmp_path, capsys):
    stories = make_stories(tmp_path / "day", 4)
    (stories / "story-001" / "a0.txt").write_text("", "utf-8")  # unreadable input
    (stories / "story-002" / "a1.txt").write_text("FAILME " + article(2, 1), "utf-8")
    (stories / "story-003" / "a1.txt").write_text(
        "The Composefail committee of town 3 met on Monday evening.\n\n" + article(3, 1), "utf-8"
    )

    def responder(request: dict) -> Reply | dict:
        if "FAILME" in json.dumps(request):
            return Reply(status=400)
        if "Composefail" in json.dumps(request) and "ComposedSummary" in json.dumps(request):
            return Reply(status=400)
        return stand_in(request)

    out = tmp_path / "reports"
    with FakeOpenAIServer(responder) as server:
        code = main(
            ["batch", str(stories), "-o", str(out), "--base-url", server.base_url, "--format",
             "json"]
        )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1  # a story could not be read
    assert sorted(p.name for p in out.glob("story-*")) == [
        "story-000.json",
        "story-002.json",
        "story-003.json",
    ]
    no_summary = json.loads((out / "story-003.json").read_text("utf-8"))
    assert no_summary["claims"] and not no_summary["sentences"]  # verified claims still out
    failed_article = json.loads((out / "story-002.json").read_text("utf-8"))
    assert len(failed_article["errors"]) == 1 and failed_article["sentences"]
    lines = {line.split()[0]: line for line in captured.out.splitlines() if line.strip()}
    assert lines["story-000"].endswith("ok")
    assert "failed: " in lines["story-001"] and "the file is empty" in lines["story-001"]
    assert lines["story-002"].endswith("failed calls: 1 extract")
    assert lines["story-003"].endswith("failed calls: 1 compose")
    assert "4 stories" in captured.out and "1 failed" in captured.out
    assert (out / "batch.md").read_text("utf-8") == captured.out


def test_a_manifest_names_stories_and_its_errors_name_the_line(tmp_path, capsys):
    make_stories(tmp_path / "day", 2)
    manifest = tmp_path / "stories.jsonl"
    manifest.write_text(
        json.dumps({"story": "Harbour / vote", "paths": ["day/story-000/a0.txt", "day/story-001"]})
        + "\n\n"
        + json.dumps({"story": "second", "paths": ["day/story-000/a1.txt"]})
        + "\n",
        "utf-8",
    )
    stories = read_stories(manifest)
    assert [s.name for s in stories] == ["Harbour / vote", "second"]
    assert stories[0].inputs[1] == tmp_path / "day" / "story-001"
    assert report_names(stories, ".md") == ["Harbour_vote.md", "second.md"]
    with FakeOpenAIServer(stand_in) as server:
        assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--base-url",
                     server.base_url, "-q"]) == 0  # fmt: skip
        assert len(server.requests) == 4 + 2  # four articles, two composes
    summary = (tmp_path / "out" / "Harbour_vote.md").read_text("utf-8")
    assert "_From 3 sources" in summary

    manifest.write_text('{"story": "a", "paths": ["x.txt"]}\n{"story": "b"}\n', "utf-8")
    with FakeOpenAIServer(stand_in) as server:
        code = main(["batch", str(manifest), "-o", str(tmp_path / "o2"), "--base-url",
                     server.base_url])  # fmt: skip
        assert not server.requests  # nothing is spent on a bad manifest
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        f'summarize batch: {manifest}:2: needs "paths": a non-empty list of article paths'
    )


def test_usage_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(tmp_path)])  # no -o
    assert exit_info.value.code == 2
    assert "required: -o/--output-dir" in capsys.readouterr().err
    (tmp_path / "loose.txt").write_text("An article.\n", "utf-8")
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out")]) == 1
    assert "no story folders" in capsys.readouterr().err
