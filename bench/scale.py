"""How summarize grows with articles per story (100, 1,000) and stories per run (100).

    python bench/scale.py [--quick] [--repeats R] [--latency L] [--markdown FILE]

Articles: `python -m summarize DIR -m gpt-4o --context-tokens 128000` against a loopback
stand-in (summarize.testing.stand_in) that, like OpenAI, refuses any prompt over 128,000
tokens (characters / 4) with HTTP 400. Stories: `python -m summarize batch DIR -o OUT` over 100
stories of 5 articles, then the same command again (warm cache). Each is paired with the same
command at latency 0 (the pipeline's own work) and repeated: min / median / max. Floors: the
critical path in model round trips (extraction, then compose; grouped compose adds the merge)
times the latency, plus the paired zero-latency run. Cost: the tokens the stand-in reports
(characters / 4) at gpt-4o's list price (summarize.batch_table.PRICES), and half that through the
Batch API. Loopback only, temporary caches, nothing asserted: a benchmark. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import PROXY_VARS, article_texts, machine, spread  # noqa: E402

from summarize.batch_table import estimate_cost  # noqa: E402
from summarize.testing import FakeOpenAIServer, Reply, error_body, stand_in  # noqa: E402

WINDOW = 128_000
MODEL = "gpt-4o"
START = 128
"""summarize.limiter.START: requests in flight before the limiter adapts."""


@dataclass
class Seen:
    """What the stand-in saw in one process."""

    requests: int = 0
    refused: int = 0
    compose_calls: int = 0
    largest_prompt: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.requests = self.refused = self.compose_calls = self.largest_prompt = 0
            self.prompt_tokens = self.completion_tokens = 0


@dataclass
class Run:
    wall: float
    exit_code: int
    peak_rss_mib: float
    seen: Seen


def limited_stand_in(latency: float, seen: Seen) -> Any:
    """The stand-in after `latency`, refusing prompts over the window as OpenAI does."""

    def responder(request: dict[str, Any]) -> Reply | dict[str, Any]:
        tokens = len(json.dumps(request["messages"], ensure_ascii=False)) // 4
        time.sleep(latency)
        if tokens > WINDOW:
            reply: Reply | dict[str, Any] = Reply(
                status=400,
                body=error_body(
                    f"maximum context length is {WINDOW} tokens; you sent {tokens}",
                    type="invalid_request_error",
                    code="context_length_exceeded",
                ),
            )
        else:
            reply = stand_in(request)
        with seen.lock:
            seen.requests += 1
            seen.largest_prompt = max(seen.largest_prompt, tokens)
            if isinstance(reply, Reply):
                seen.refused += 1
            else:
                seen.prompt_tokens += reply["usage"]["prompt_tokens"]
                seen.completion_tokens += reply["usage"]["completion_tokens"]
                seen.compose_calls += request["tools"][0]["function"]["name"] == ("ComposedSummary")
        return reply

    return responder


def process(command: list[str], env: dict[str, str], seen: Seen) -> Run:
    """One whole process; its wall time and peak RSS from the kernel."""
    seen.clear()
    start = time.monotonic()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  exit {code}: {err.decode()[-300:]}", file=sys.stderr)
    snapshot = Seen(**{k: getattr(seen, k) for k in Seen.__dataclass_fields__ if k != "lock"})
    return Run(wall, code, usage.ru_maxrss / 1024, snapshot)


@contextlib.contextmanager
def articles(n: int) -> Iterator[Path]:
    texts = article_texts()
    with tempfile.TemporaryDirectory(prefix="summarize-scale-") as tmp:
        for i in range(n):
            Path(tmp, f"a{i:04d}.txt").write_text(f"Copy {i}.\n\n" + texts[i % len(texts)], "utf-8")
        yield Path(tmp)


@contextlib.contextmanager
def stories(count: int, per_story: int) -> Iterator[Path]:
    """Stories of articles cycling through the texts, each led by a sentence of its own (one
    claim), so no story's compose prompt is another's: none is a cache hit."""
    texts = article_texts()
    with tempfile.TemporaryDirectory(prefix="summarize-stories-") as tmp:
        for s in range(count):
            folder = Path(tmp, f"story-{s:03d}")
            folder.mkdir()
            for a in range(per_story):
                text = texts[(s * per_story + a) % len(texts)]
                lead = f"Story {s} is told here by article {a} of the newsroom's desk {s}."
                (folder / f"a{a}.txt").write_text(f"{lead}\n\n{text}", "utf-8")
        yield Path(tmp)


def paired(
    command: list[str], latency: float, repeats: int, env: dict[str, str]
) -> tuple[list[Run], list[Run]]:
    """The command at `latency` and at 0, alternating which goes first, each with a new cache."""
    slow: list[Run] = []
    fast: list[Run] = []
    for i in range(repeats):
        for lat, runs in (
            [(latency, slow), (0.0, fast)] if i % 2 == 0 else [(0.0, fast), (latency, slow)]
        ):
            seen = Seen()
            with (
                FakeOpenAIServer(limited_stand_in(lat, seen)) as server,
                tempfile.TemporaryDirectory() as cache,
            ):
                full = [*command, "--base-url", server.base_url, "--cache-dir", cache]
                runs.append(process(full, env, seen))
    return slow, fast


def article_rows(n: int, latency: float, repeats: int, env: dict[str, str]) -> list[str]:
    from summarize.budget import compose_tokens
    from summarize.models import Summary

    rows = []
    with articles(n) as folder, tempfile.TemporaryDirectory() as out:
        report = Path(out, "run.json")
        command = [sys.executable, "-m", "summarize", str(folder), "-m", MODEL]
        command += ["--context-tokens", str(WINDOW), "-q", "-o", str(report), "--include-text"]
        slow, fast = paired(command, latency, repeats, env)
        summary = Summary.model_validate_json(report.read_text("utf-8"))
        single = compose_tokens(summary.claims, summary.sources)
    seen = slow[-1].seen
    grouped = seen.compose_calls > 1
    if grouped:  # the same run told the window is huge: one compose call, as before #12
        ungrouped = Seen()
        with (
            articles(n) as folder,
            FakeOpenAIServer(limited_stand_in(0.0, ungrouped)) as server,
            tempfile.TemporaryDirectory() as cache,
        ):
            before = [sys.executable, "-m", "summarize", str(folder), "-m", MODEL, "-q"]
            before += ["--context-tokens", "1000000", "--base-url", server.base_url]
            old = process([*before, "--cache-dir", cache], env, ungrouped)
        rows.append(
            f"| {n} articles | one compose call (--context-tokens 1000000) | exit {old.exit_code}, "
            f"{old.seen.refused} refused for length, largest prompt "
            f"{old.seen.largest_prompt:,} tok | window {WINDOW:,} tok | |"
        )
    # extraction rounds at the limiter's starting width (128), then compose (groups + merge)
    rounds = -(-n // START) + (2 if grouped else 1)
    local = min(r.wall for r in fast)
    floor = max(rounds * latency, local)
    walls = [r.wall for r in slow]
    rows += [
        f"| {n} articles | exit codes | {sorted({r.exit_code for r in slow + fast})} | | |",
        f"| {n} articles | wall, latency {latency:g} s (min / median / max) | {spread(walls)} s "
        f"| floor max({rounds}L, local min) = {floor:.2f} s "
        f"| {statistics.median(walls) / floor:.2f}x |",
        f"| {n} articles | local: the same at latency 0 | {spread([r.wall for r in fast])} s | | |",
        f"| {n} articles | requests (compose calls) | {seen.requests} ({seen.compose_calls}) "
        f"| {n} extractions + {'groups + merge' if grouped else '1 compose'} | |",
        f"| {n} articles | largest prompt sent | {seen.largest_prompt:,} tok "
        f"| window {WINDOW:,} tok | {seen.largest_prompt / WINDOW:.2f}x |",
        f"| {n} articles | one compose prompt would be | ~{single:,} tok (estimate, bytes/3) "
        f"| window {WINDOW:,} tok | {single / WINDOW:.2f}x |",
        f"| {n} articles | refused for length | {seen.refused} | | |",
        f"| {n} articles | tokens sent + received | {seen.prompt_tokens:,} + "
        f"{seen.completion_tokens:,} | per article {seen.prompt_tokens // n:,} + "
        f"{seen.completion_tokens // n:,} | |",
        f"| {n} articles | cost at {MODEL} list price | {_cost(seen)} "
        f"| Batch API {_cost(seen, batch=True)} | |",
        f"| {n} articles | peak RSS | {spread([r.peak_rss_mib for r in slow], '{:.0f}')} MiB | | |",
    ]
    return rows


def story_rows(
    count: int, per_story: int, latency: float, repeats: int, env: dict[str, str]
) -> list[str]:
    rows = []
    with stories(count, per_story) as folder, tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "summarize", "batch", str(folder), "-o", out]
        command += ["-m", MODEL, "--context-tokens", str(WINDOW), "-q"]
        slow, fast = paired(command, latency, repeats, env)
        # warm: the same command twice against one server and one cache
        seen = Seen()
        with (
            FakeOpenAIServer(limited_stand_in(latency, seen)) as server,
            tempfile.TemporaryDirectory() as cache,
        ):
            full = [*command, "--base-url", server.base_url, "--cache-dir", cache]
            cold = process(full, env, seen)
            warm = process(full, env, seen)
    calls = slow[-1].seen.requests
    local = min(r.wall for r in fast)
    # 8 stories at a time, each 2 rounds (its 5 extractions at once, then compose)
    rounds = 2 * count / 8
    floor = max(rounds * latency, local)
    walls = [r.wall for r in slow]
    label = f"{count} stories x {per_story}"
    rows += [
        f"| {label} | exit codes | {sorted({r.exit_code for r in [*slow, *fast, cold, warm]})} "
        "| | |",
        f"| {label} | wall, latency {latency:g} s | {spread(walls)} s "
        f"| floor max({rounds:g}L, local min) = {floor:.2f} s "
        f"| {statistics.median(walls) / floor:.2f}x |",
        f"| {label} | local: the same at latency 0 | {spread([r.wall for r in fast])} s | | |",
        f"| {label} | requests | {calls} | {count * per_story} extractions + {count} composes | |",
        f"| {label} | tokens sent + received | {slow[-1].seen.prompt_tokens:,} + "
        f"{slow[-1].seen.completion_tokens:,} | per story "
        f"{slow[-1].seen.prompt_tokens // count:,} + "
        f"{slow[-1].seen.completion_tokens // count:,} | |",
        f"| {label} | cost at {MODEL} list price | {_cost(slow[-1].seen)} | Batch API "
        f"{_cost(slow[-1].seen, batch=True)} | |",
        f"| {label} | rerun from the cache: requests | {warm.seen.requests} "
        f"| cold {cold.seen.requests} | |",
        f"| {label} | rerun from the cache: wall | {warm.wall:.2f} s | cold {cold.wall:.2f} s "
        f"| {warm.wall / cold.wall:.2f}x |",
        f"| {label} | peak RSS | {spread([r.peak_rss_mib for r in slow], '{:.0f}')} MiB | | |",
    ]
    return rows


def _cost(seen: Seen, *, batch: bool = False) -> str:
    value = estimate_cost(MODEL, seen.prompt_tokens, seen.completion_tokens, batch_api=batch)
    return "–" if value is None else f"${value:,.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 and 300 articles, 20 stories")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--markdown", metavar="FILE")
    parser.add_argument("--only", choices=("articles", "stories"), help="run one part only")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("OPENAI_API_KEY", None)
    sizes, story_count = ((30, 300), 20) if args.quick else ((100, 1000), 100)
    started = time.monotonic()
    lines = ["| case | figure | value | baseline | ratio |", "|---|---|---|---|---|"]
    for n in sizes if args.only != "stories" else ():
        print(f"{n} articles ...", file=sys.stderr)
        lines += article_rows(n, args.latency, args.repeats, env)
    if args.only != "articles":
        print(f"{story_count} stories ...", file=sys.stderr)
        lines += story_rows(story_count, 5, args.latency, args.repeats, env)
    head = [f"summarize scale benchmark ({time.monotonic() - started:.0f} s)", *machine(), ""]
    text = "\n".join(head + lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, "utf-8")


if __name__ == "__main__":
    main()
