"""Speed and cost of summarize: whole CLI processes against a loopback model, against the floor.

    python bench/run.py [--quick] [--markdown FILE] [--first-request]

Each scenario runs `python -m summarize DIR --base-url ...` as a fresh process, paired with the
same command against the same stand-in model answering at once (latency 0), repeatedly, and
reports min / median / max. The floor of a run is its critical path in model round trips times
the latency, plus the paired zero-latency run of the same command (everything that is not
waiting on the model: start-up, reading, verifying, rendering, the fake server's own work):

- default: N articles, no flag, every claim verifies: extraction, compose = 2 rounds;
- repairs: the stand-in misquotes one passage per article and writes one unbacked sentence,
  so every article takes a claim repair and the summary a compose repair: 4 rounds;
- rate-limited: a server that works on 4 requests at a time and answers 429 with Retry-After
  beyond that: its capacity bound, ⌈N/4⌉ extraction rounds + compose.

The round count is read from the requests each run made (one round per stage that occurred:
extraction, claim repair, compose, compose repair), so a stage the checks add is counted in
the floor, not hidden in the ratio.

Also: when the first request reached the server and how long the process lived after the last
answer; the first request of 5 articles against its floor, a bare program that imports openai
and instructor, builds the client and sends one call (`--first-request` runs only that); what
the requests carried (message text + schemas, in characters, against the articles'; tokens ≈
characters / 4); the demo's prompts (bench/prompt_size.py); a warm-cache rerun; peak memory.
Loopback only, temporary cache directories, nothing asserted: a benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import prompt_size  # noqa: E402

from summarize.testing import (  # noqa: E402
    FakeOpenAIServer,
    Reply,
    capacity_limited,
    completion_for,
    stand_in,
)

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
PLANT = "Reportedly, "
"""Prefixed to one evidence passage per article by the repairing stand-in: not in the article."""
UNBACKED = "The sources together report 987654 separate figures."
"""A sentence the repairing stand-in adds to every summary: its number is in no evidence."""
CAPACITY = 4
CLAIM_BLOCK = re.compile(r"^Claim \d+(?: \([^)]*\))?: (.*)\n((?:- .*\n?)*)", re.M)
"""A failing claim in a repair request (extract.describe_failures): its line, its problems."""
Responder = Callable[[dict[str, Any]], "Reply | dict[str, Any]"]


# ---------------------------------------------------------------------------- stand-in models


def repairing_model(request: dict[str, Any]) -> Reply | dict[str, Any]:
    """stand_in with mistakes a capable model makes and fixes when told: one evidence
    passage per article gains a word (fixed on repair), and the summary gains one sentence
    whose number no evidence has (dropped on repair)."""
    name = request["tools"][0]["function"]["name"]
    last = request["messages"][-1]["content"]
    if name == "ClaimRepairs":  # "Claim n: statement | “found”", then "- evidence “…” is not…"
        fixed = []
        for number, (head, problems) in enumerate(CLAIM_BLOCK.findall(last), 1):
            _, *found = head.split(" | ")
            missed = re.findall(r"^- evidence “(.*?)” is not", problems, re.M)
            evidence = [f[1:-1] for f in found] + [e.removeprefix(PLANT) for e in missed]
            fixed.append({"number": number, "evidence": evidence})
        return completion_for(request, {"repairs": fixed})
    if name == "SentenceRepairs":
        count = len(re.findall(r"^Sentence \d+ ", last, re.M))
        return completion_for(
            request, {"repairs": [{"number": n, "sentence": None} for n in range(1, count + 1)]}
        )
    answer = stand_in(request)
    if not isinstance(answer, dict):
        return answer
    payload = json.loads(answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    if name == "ArticleClaims" and payload["claims"]:
        first = payload["claims"][0]
        first["evidence"] = [PLANT + first["evidence"][0]]
    elif name == "ComposedSummary" and payload["paragraphs"][0]["sentences"]:
        cited = payload["paragraphs"][0]["sentences"][0]["claim_ids"]
        payload["paragraphs"][0]["sentences"].append({"text": UNBACKED, "claim_ids": cited})
    return completion_for(request, payload)


@dataclass
class Scenario:
    name: str
    model: Responder
    capacity: int | None = None
    flags: tuple[str, ...] = ()
    repeats: int = 5

    def rounds(self, n: int, stages: frozenset[str]) -> int:
        """Round trips on the critical path: one per stage the run went through, and for a
        server of limited capacity ⌈n / capacity⌉ of them for the extractions."""
        extraction = math.ceil(n / self.capacity) if self.capacity else 1
        return extraction + len(stages - {"ArticleClaims"})


SCENARIOS = [
    Scenario("default", stand_in),
    Scenario("repairs", repairing_model),
    Scenario("rate-limited", stand_in, capacity=CAPACITY, repeats=3),
]


# ---------------------------------------------------------------------------- one run


@dataclass
class Events:
    """What the server saw: arrival and answer times (monotonic), replies with status 429."""

    arrivals: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    rejected: int = 0
    sent_chars: int = 0
    answered_chars: int = 0  # what was sent in requests not turned away (a 429 is not billed)
    stages: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def timed(model: Responder, latency: float, capacity: int | None, events: Events) -> Responder:
    """`model` answering after `latency` (behind a capacity limit if given, and only then:
    at latency 0 the floor is the pipeline's own work, not a rate limit's), with the times."""

    def answer(request: dict[str, Any]) -> Reply | dict[str, Any]:
        time.sleep(latency)
        return model(request)

    inner = (
        capacity_limited(model, capacity, latency=latency, retry_after=retry_after(latency))
        if capacity and latency
        else answer
    )

    def responder(request: dict[str, Any]) -> Reply | dict[str, Any]:
        arrived = time.monotonic()
        size = prompt_size.measure(request).total
        reply = inner(request)
        with events.lock:
            events.arrivals.append(arrived)
            events.answers.append(time.monotonic())
            turned_away = isinstance(reply, Reply) and reply.status == 429
            events.sent_chars += size
            events.answered_chars += 0 if turned_away else size
            events.rejected += turned_away
            events.stages.add(prompt_size.schema_name(request))
        return reply

    return responder


def retry_after(latency: float) -> str:
    """The rate-limited server's Retry-After: one second, or the latency when shorter."""
    return f"{min(1.0, latency):g}"


@dataclass
class Run:
    wall: float
    first_request: float
    teardown: float
    requests: int
    rejected: int
    in_flight: int
    exit_code: int
    peak_rss_mib: float
    sent_chars: int
    answered_chars: int
    stages: frozenset[str]


def run_cli(
    scenario: Scenario,
    latency: float,
    articles: Path,
    env: dict[str, str],
    *,
    cache: str | None = None,
    runs: int = 1,
) -> list[Run]:
    """Whole `python -m summarize` processes, one after the other, against a fresh loopback
    server (the same one for all `runs`: its URL is part of the cache key)."""
    events = Events()
    model = timed(scenario.model, latency, scenario.capacity, events)
    with FakeOpenAIServer(model) as server:
        return [_one_process(server, scenario, articles, env, cache, events) for _ in range(runs)]


def _one_process(
    server: FakeOpenAIServer,
    scenario: Scenario,
    articles: Path,
    env: dict[str, str],
    cache: str | None,
    events: Events,
) -> Run:
    """One process; the figures from the server's events and the kernel's accounting."""
    with events.lock:
        events.arrivals.clear()
        events.answers.clear()
        events.rejected = events.sent_chars = events.answered_chars = 0
        events.stages.clear()
    server.max_in_flight = 0
    command = [sys.executable, "-m", "summarize", str(articles), "--base-url", server.base_url]
    command += ["-q", *scenario.flags]
    command += ["--cache-dir", cache] if cache else ["--no-cache"]
    start = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    end = time.monotonic()
    process.returncode = os.waitstatus_to_exitcode(status)
    first = min(events.arrivals, default=end) - start
    teardown = end - max(events.answers, default=end)
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(
        end - start,
        first,
        teardown,
        len(events.arrivals),
        events.rejected,
        server.max_in_flight,
        process.returncode,
        rss,
        events.sent_chars,
        events.answered_chars,
        frozenset(events.stages),
    )


# ---------------------------------------------------------------------------- articles


def article_texts() -> list[str]:
    """The seed articles and the project's own test articles, in a fixed order."""
    paths = sorted((ROOT / "seeds").glob("*.txt"))
    paths += sorted((ROOT / "tests" / "data" / "news").glob("*/*.txt"))
    return [p.read_text(encoding="utf-8") for p in paths]


@contextlib.contextmanager
def article_dir(n: int) -> Iterator[tuple[Path, int]]:
    """n article files cycling through the texts, each made unique by a short first line
    (too short to become a claim), and their total characters."""
    texts = article_texts()
    with tempfile.TemporaryDirectory(prefix="summarize-bench-") as tmp:
        total = 0
        for i in range(n):
            text = f"Copy {i}.\n\n" + texts[i % len(texts)]
            Path(tmp, f"a{i:03d}.txt").write_text(text, encoding="utf-8")
            total += len(text)
        yield Path(tmp), total


# ---------------------------------------------------------------------------- report


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """min / median / max."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return " / ".join(fmt.format(v) for v in (low, mid, high))


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ""
    with contextlib.suppress(OSError, AttributeError):
        load = ", load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"machine: {cpu}, {os.cpu_count()} cores{load}",
        f"software: Python {platform.python_version()}, {platform.platform()}",
        f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]


def scenario_rows(
    scenario: Scenario, n: int, latency: float, repeats: int, env: dict[str, str]
) -> list[str]:
    """Paired runs (at latency L, then at 0, alternating which goes first) and their figures."""
    slow: list[Run] = []
    fast: list[Run] = []
    with article_dir(n) as (articles, article_chars):
        for i in range(repeats):
            pair = [(latency, slow), (0.0, fast)]
            for lat, into in pair if i % 2 == 0 else pair[::-1]:
                into += run_cli(scenario, lat, articles, env)
    rounds = [scenario.rounds(n, r.stages) for r in slow]
    floors = [k * latency + f.wall for k, f in zip(rounds, fast, strict=True)]
    ratios = [s.wall / f for s, f in zip(slow, floors, strict=True)]
    codes = sorted({r.exit_code for r in slow + fast})
    sent = statistics.median(r.sent_chars for r in slow) / article_chars
    answered = statistics.median(r.answered_chars for r in slow) / article_chars
    label = f"{scenario.name} N={n}" + (f" {' '.join(scenario.flags)}" if scenario.flags else "")
    return [
        f"{label}: {repeats} pairs, exit codes {codes}, floor = {spread(rounds, '{:.0f}')} rounds"
        f" x {latency:g} s + the zero-latency run",
        f"  stages                   {', '.join(sorted(set().union(*(r.stages for r in slow))))}",
        f"  wall at L={latency:g} s        {spread([r.wall for r in slow])} s",
        f"  wall at L=0 (local)      {spread([r.wall for r in fast])} s",
        f"  floor                    {spread(floors)} s",
        f"  wall / floor (paired)    {spread(ratios)}",
        f"  first request after      {spread([r.first_request for r in slow])} s",
        f"  exit after last answer   {spread([r.teardown for r in slow])} s",
        f"  requests (429s)          {statistics.median(r.requests for r in slow):.0f} "
        f"({statistics.median(r.rejected for r in slow):.0f}), most in flight "
        f"{max(r.in_flight for r in slow)}",
        f"  sent (messages+schemas)  {sent:.2f}x the articles' {article_chars:,} characters "
        f"(~{statistics.median(r.sent_chars for r in slow) / 4:,.0f} tokens)",
        f"    of which answered      {answered:.2f}x (what is billed: a 429 is not)",
        f"  peak RSS                 {spread([r.peak_rss_mib for r in slow], '{:.0f}')} MiB",
    ]


def warm_rows(n: int, latency: float, env: dict[str, str]) -> list[str]:
    """A cold run, then the same command again with its cache: requests and time."""
    scenario = SCENARIOS[0]
    with article_dir(n) as (articles, _), tempfile.TemporaryDirectory() as cache:
        cold, warm = run_cli(scenario, latency, articles, env, cache=cache, runs=2)
    return [
        f"warm cache N={n}: cold {cold.wall:.2f} s ({cold.requests} requests), rerun "
        f"{warm.wall:.2f} s ({warm.requests} requests), exit codes {cold.exit_code}, "
        f"{warm.exit_code}"
    ]


def startup_rows(env: dict[str, str], runs: int = 5) -> list[str]:
    def median_wall(command: list[str]) -> float:
        times = []
        for _ in range(runs):
            start = time.monotonic()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
            times.append(time.monotonic() - start)
        return statistics.median(times)

    bare = median_wall([sys.executable, "-c", "pass"])
    helped = median_wall([sys.executable, "-m", "summarize", "--help"])
    return [f"start-up: python -m summarize --help {helped:.3f} s, python -c pass {bare:.3f} s"]


FLOOR = """
import asyncio, sys
import instructor, openai
from pydantic import BaseModel

class Answer(BaseModel):
    text: str

async def main() -> None:
    client = instructor.from_openai(
        openai.AsyncOpenAI(api_key="bench-not-a-key", base_url=sys.argv[1], max_retries=0),
        mode=instructor.Mode.TOOLS,
    )
    try:
        await client.chat.completions.create(
            model="m", response_model=Answer, max_retries=0,
            messages=[{"role": "user", "content": "hi"}],
        )
    except Exception:
        pass

asyncio.run(main())
"""
"""The least any program can do before its first request through openai and instructor:
import them, build the client, send one call. The yardstick for summarize's first request."""


def first_request_rows(env: dict[str, str], n: int = 5, pairs: int = 7) -> list[str]:
    """Spawn to first request: summarize on n articles against the bare FLOOR program, in
    turn against the same loopback server, min / median / max and the ratio pair by pair."""
    events = Events()
    ours: list[float] = []
    floor: list[float] = []
    with (
        article_dir(n) as (articles, _),
        FakeOpenAIServer(timed(stand_in, 0.0, None, events)) as server,
    ):
        commands = (
            [sys.executable, "-m", "summarize", str(articles), "-q", "--no-cache", "--base-url"],
            [sys.executable, "-c", FLOOR],
        )
        for _ in range(pairs):
            for command, times in zip(commands, (ours, floor), strict=True):
                with events.lock:
                    events.arrivals.clear()
                start = time.monotonic()
                subprocess.run(
                    [*command, server.base_url],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                times.append(min(events.arrivals, default=math.inf) - start)
    ratios = [a / b for a, b in zip(ours, floor, strict=True)]
    return [
        f"first request after spawn, {n} articles, {pairs} pairs (min / median / max):",
        f"  summarize                {spread(ours)} s",
        f"  floor (import openai and instructor, build the client, send one call) "
        f"{spread(floor)} s",
        f"  summarize ÷ floor        {spread(ratios)} pair by pair",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 articles, 0.25 s, 2 pairs")
    parser.add_argument("--markdown", metavar="FILE", type=Path, help="also write the report")
    parser.add_argument(
        "--first-request", action="store_true", help="only the first request against its floor"
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(OPENAI_API_KEY="bench-not-a-key", PYTHONPATH=str(ROOT))
    if args.first_request:
        print("\n".join([*machine(), "", *first_request_rows(env)]))
        return
    n, latency = (20, 0.25) if args.quick else (100, 1.0)
    started = time.monotonic()
    lines = [*machine(), ""]
    for scenario in SCENARIOS:
        repeats = 2 if args.quick else scenario.repeats
        rows = scenario_rows(scenario, n, latency, repeats, env)
        print("\n".join(rows), file=sys.stderr, flush=True)  # progress
        lines += [*rows, ""]
    lines += [*warm_rows(n, latency, env), *startup_rows(env), *first_request_rows(env), ""]
    lines += ["the demo's requests (bench/prompt_size.py):"]
    chars = sum(len(p.read_text(encoding="utf-8")) for p in (ROOT / "seeds").glob("*.txt"))
    sent = prompt_size.sent_by_recordings(ROOT / "fixtures" / "seeds")
    lines += [f"  {line}" for line in prompt_size.table(sent, chars)]
    lines += ["", f"total bench time {time.monotonic() - started:.0f} s"]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(f"```\n{text}\n```\n", encoding="utf-8")


if __name__ == "__main__":
    main()
