"""Speed and cost benchmarks for summarize: one table of figures, each beside its baseline.

    python bench/run.py [--quick] [--markdown FILE]

Sections: (1) end to end through the loopback FakeOpenAIServer with a fixed latency per model
call, (2) the same run again from a warm cache, (3) verifier throughput against str.find (from
bench/bench_verify.py), (4) token economy from the recorded fixtures, (5) start-up time and
(6) peak memory. Everything talks to 127.0.0.1 only and uses temporary cache directories, never
the user's cache. A benchmark, not a test: it asserts nothing about time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
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
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import summarize
from summarize import Summarizer
from summarize.models import Source
from summarize.prompts import load_prompt
from summarize.sources import source_from_text
from summarize.testing import FakeOpenAIServer, extractive_model

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"  # read in place, never copied into the project
DEFAULT_CONCURRENCY = 8
EXTRA_CONCURRENCY = (32, 100)  # extra rows, for sizes at least this large
MEMORY_ARTICLES = 100
PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Row:
    """One line of the table: a figure, its baseline (if any) and value ÷ baseline."""

    section: str
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""


@dataclass
class Run:
    """One end-to-end run: wall seconds, requests the server saw, the most it saw at once."""

    seconds: float
    requests: int
    in_flight: int
    retries: int


def ratio(value: float, baseline: float) -> str:
    """value ÷ baseline, as '1.23x', or '1/120' when far below one."""
    r = value / baseline
    return f"{r:.2f}x" if r >= 0.1 or r == 0 else f"1/{1 / r:,.0f}"


# ---------------------------------------------------------------------------- machine


def machine() -> list[str]:
    """CPU model, cores, RAM, Python, OS and date: what the figures are only valid for."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown RAM"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB RAM"
    return [
        f"machine: {cpu}, {os.cpu_count()} cores, {ram}",
        f"software: Python {platform.python_version()}, {platform.platform()}, "
        f"summarize {summarize.__version__}",
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    ]


# ---------------------------------------------------------------------------- end to end


def article_texts() -> list[str]:
    """The seed articles, then the shared corpora's (if present), in a fixed order."""
    paths = sorted((ROOT / "seeds").glob("*.txt"))
    if CORPORA.is_dir():
        paths += sorted(CORPORA.glob("*/*.txt"))
    return [p.read_text(encoding="utf-8") for p in paths]


def articles(n: int, texts: Sequence[str]) -> list[Source]:
    """n articles with distinct ids (a000, a001, ...), cycling through the texts."""
    return [source_from_text(texts[i % len(texts)], f"a{i:03d}") for i in range(n)]


@contextlib.contextmanager
def fake_server(latency: float) -> Iterator[FakeOpenAIServer]:
    """A FakeOpenAIServer running extractive_model."""
    with FakeOpenAIServer(extractive_model, latency=latency) as server:
        yield server


def run_once(
    server: FakeOpenAIServer, sources: list[Source], concurrency: int, cache_dir: str
) -> Run:
    """Summarize `sources` through `server`; raises if any article failed (a void measure)."""
    before = len(server.requests)
    server.max_in_flight = 0
    summarizer = Summarizer(
        base_url=server.base_url, api_key="bench", concurrency=concurrency, cache_dir=cache_dir
    )
    start = time.perf_counter()
    result = asyncio.run(summarizer.arun(sources))
    seconds = time.perf_counter() - start
    if result.errors or not result.sentences:
        raise RuntimeError(f"benchmark run failed: {result.errors[:1] or 'no sentence'}")
    return Run(seconds, len(server.requests) - before, server.max_in_flight, result.usage.retries)


def fresh_run(server: FakeOpenAIServer, sources: list[Source], concurrency: int) -> Run:
    """A cold run with a cache directory of its own, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="summarize-bench-") as cache_dir:
        return run_once(server, sources, concurrency, cache_dir)


def local_compute(sizes: Sequence[int], texts: Sequence[str]) -> dict[int, float]:
    """Wall time at zero latency (best of two): the pipeline's own work plus the fake server's."""
    with fake_server(0.0) as server:
        fresh_run(server, articles(5, texts), DEFAULT_CONCURRENCY)  # imports openai, instructor
        return {
            n: min(
                fresh_run(server, articles(n, texts), DEFAULT_CONCURRENCY).seconds for _ in range(2)
            )
            for n in sizes
        }


def end_to_end(
    sizes: Sequence[int], latency: float, texts: Sequence[str]
) -> tuple[list[Row], list[Row], int]:
    """Sections 1 and 2: cold runs at several concurrencies, then a warm rerun; and retries."""
    local = local_compute(sizes, texts)
    e2e: list[Row] = []
    warm: list[Row] = []
    retries = 0
    for n in sizes:
        sources = articles(n, texts)
        sec = f"1 e2e N={n}"
        e2e.append(Row(sec, "local compute (latency 0, c=8)", f"{local[n]:.2f} s"))
        ideal = 2 * latency + local[n]
        with fake_server(latency) as server:
            serial = fresh_run(server, sources, 1)
            with tempfile.TemporaryDirectory(prefix="summarize-bench-") as cache_dir:
                cold = run_once(server, sources, DEFAULT_CONCURRENCY, cache_dir)
                hot = run_once(server, sources, DEFAULT_CONCURRENCY, cache_dir)
            extra = {c: fresh_run(server, sources, c) for c in EXTRA_CONCURRENCY if c <= n}
        retries += serial.retries + cold.retries + hot.retries
        retries += sum(r.retries for r in extra.values())
        serial_ideal = (n + 1) * latency + local[n]
        bound_ideal = (math.ceil(n / DEFAULT_CONCURRENCY) + 1) * latency + local[n]
        e2e += [
            Row(
                sec,
                "wall, --concurrency 1",
                f"{serial.seconds:.2f} s",
                f"serial ideal (N+1)L+local {serial_ideal:.2f} s",
                ratio(serial.seconds, serial_ideal),
            ),
            Row(
                sec,
                f"wall, default c=8 ({cold.in_flight} in flight)",
                f"{cold.seconds:.2f} s",
                f"issue ideal 2L+local {ideal:.2f} s",
                ratio(cold.seconds, ideal),
            ),
            Row(
                sec,
                "wall, default c=8",
                f"{cold.seconds:.2f} s",
                f"bound ideal (⌈N/8⌉+1)L+local {bound_ideal:.2f} s",
                ratio(cold.seconds, bound_ideal),
            ),
            Row(
                sec,
                "wall, default c=8",
                f"{cold.seconds:.2f} s",
                f"--concurrency 1 {serial.seconds:.2f} s",
                ratio(cold.seconds, serial.seconds),
            ),
        ]
        e2e += [
            Row(
                sec,
                f"wall, c={c} ({run.in_flight} in flight)",
                f"{run.seconds:.2f} s",
                f"issue ideal 2L+local {ideal:.2f} s",
                ratio(run.seconds, ideal),
            )
            for c, run in extra.items()
        ]
        e2e.append(Row(sec, "requests sent, c=8", str(cold.requests), f"N+1 = {n + 1}"))
        sec = f"2 warm N={n}"
        warm += [
            Row(sec, "requests sent, rerun", str(hot.requests), f"cold {cold.requests}"),
            Row(
                sec,
                "wall, rerun c=8",
                f"{hot.seconds:.2f} s",
                f"cold {cold.seconds:.2f} s",
                ratio(hot.seconds, cold.seconds),
            ),
        ]
    return e2e, warm, retries


def child(base_url: str, n: int) -> None:
    """The memory probe's subprocess: one n-article run against a server in the parent."""
    sources = articles(n, article_texts())
    with tempfile.TemporaryDirectory(prefix="summarize-bench-") as cache_dir:
        summarizer = Summarizer(base_url=base_url, api_key="bench", cache_dir=cache_dir)
        result = summarizer.run(sources)
    if result.errors or not result.sentences:
        raise SystemExit(f"benchmark run failed: {result.errors[:1] or 'no sentence'}")


# ---------------------------------------------------------------------------- verifier


def verifier(quick: bool) -> list[Row]:
    """Section 3: bench/bench_verify.py run as is (1x and 4x corpus), its table read back."""
    command = [sys.executable, str(ROOT / "bench" / "bench_verify.py")]
    if quick:
        command += ["--articles", "100"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    lines = [line.strip("| ").split(" | ") for line in out.splitlines() if line.startswith("| ")]
    header, sizes = lines[0], [cells for cells in lines[1:] if cells[0].endswith("x")]
    rows: list[Row] = []
    for cells in sizes:
        cell = dict(zip(header, cells, strict=True))
        quotes, mb = int(cell["quotes"]), float(cell["source MB"])
        verify_qps = float(cell["verify quotes/s"].replace(",", ""))
        find_qps = float(cell["str.find quotes/s"].replace(",", ""))
        rows.append(
            Row(
                f"3 verify {cell['size']}",
                f"verify_quote, {quotes:,} quotes, {mb:.1f} MB",
                f"{verify_qps:,.0f} q/s, {mb * verify_qps / quotes:.2f} MB/s",
                f"str.find {find_qps:,.0f} q/s",
                ratio(verify_qps, find_qps),
            )
        )
    growth = re.search(r"4x time / 1x time: ([\d.]+)", out)
    if not sizes or growth is None:
        raise RuntimeError(f"bench_verify.py printed no table this script can read:\n{out}")
    rows.append(
        Row(
            "3 verify",
            "time 4x ÷ time 1x",
            growth[1],
            "linear 4.00",
            ratio(float(growth[1]), 4),
        )
    )
    return rows


# ---------------------------------------------------------------------------- tokens


def tokens() -> tuple[list[Row], int]:
    """Section 4: token use in the recorded fixtures, per article and for the composer, against
    article size (chars/4) and a naive one-prompt baseline. Also returns the calls counted."""
    per_article: dict[str, list[int]] = {}  # id -> [calls, prompt, completion]
    compose = [0, 0, 0]
    for path in sorted((ROOT / "fixtures" / "seeds").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        usage = record["response"]["usage"]
        first_user = record["request"]["messages"][1]["content"]
        if first_user.startswith("Article id: "):
            source_id = first_user.split("\n", 1)[0].removeprefix("Article id: ")
            counts = per_article.setdefault(source_id, [0, 0, 0])
        else:
            counts = compose
        counts[0] += 1
        counts[1] += usage["prompt_tokens"]
        counts[2] += usage["completion_tokens"]
    rows: list[Row] = []
    total_chars = 0
    for source_id, (calls, prompt, completion) in sorted(per_article.items()):
        chars = len((ROOT / "seeds" / f"{source_id}.txt").read_text(encoding="utf-8"))
        total_chars += chars
        size = f"article {chars // 4:,} tok"
        sec = f"4 tokens {source_id[:3]}"
        rows += [
            Row(
                sec,
                "extract prompt, " + ("1 call" if calls == 1 else f"{calls} calls (with repair)"),
                f"{prompt:,}",
                size,
                ratio(prompt, chars / 4),
            ),
            Row(sec, "extract completion", f"{completion:,}", size, ratio(completion, chars / 4)),
        ]
    all_articles = f"all articles {total_chars // 4:,} tok"
    system = next(text for role, text in load_prompt("extract").messages if role == "system")
    naive = (total_chars + len(system)) / 4
    calls = sum(c[0] for c in per_article.values()) + compose[0]
    prompt_total = sum(c[1] for c in per_article.values()) + compose[1]
    completion_total = sum(c[2] for c in per_article.values()) + compose[2]
    rows += [
        Row(
            "4 tokens compose",
            f"compose prompt ({compose[0]} calls)",
            f"{compose[1]:,}",
            all_articles,
            ratio(compose[1], total_chars / 4),
        ),
        Row(
            "4 tokens compose",
            "compose completion",
            f"{compose[2]:,}",
            all_articles,
            ratio(compose[2], total_chars / 4),
        ),
        Row(
            "4 tokens total",
            f"prompt, all {calls} calls",
            f"{prompt_total:,}",
            f"naive one prompt {naive:,.0f} tok",
            ratio(prompt_total, naive),
        ),
        Row("4 tokens total", f"completion, all {calls} calls", f"{completion_total:,}"),
    ]
    return rows, calls


# ---------------------------------------------------------------------------- start-up, memory


def median_ms(command: Sequence[str], runs: int) -> float:
    """Median wall milliseconds of `command` over `runs` runs, after one unmeasured run."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        if i:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def startup(runs: int) -> list[Row]:
    """Section 5: `--help` and `import summarize` against a bare interpreter."""
    py = sys.executable
    bare = median_ms([py, "-c", "pass"], runs)
    commands = {
        "python -c 'import summarize'": [py, "-c", "import summarize"],
        "python -m summarize --help": [py, "-m", "summarize", "--help"],
    }
    script = Path(py).parent / "summarize"  # this interpreter's console script, not a shim
    if script.is_file():
        commands["summarize --help (console script)"] = [str(script), "--help"]
    rows = [Row("5 start-up", "python -c pass", f"{bare:.0f} ms")]
    for name, command in commands.items():
        ms = median_ms(command, runs)
        rows.append(
            Row(
                "5 start-up", name, f"{ms:.0f} ms", f"python -c pass {bare:.0f} ms", ratio(ms, bare)
            )
        )
    return rows


def peak_rss_mib(command: Sequence[str]) -> float:
    """Peak RSS of `command`, read by a wrapper process from its RUSAGE_CHILDREN."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command], check=True, capture_output=True, text=True
    ).stdout
    kib = int(out.split()[-1]) / (1024 if sys.platform == "darwin" else 1)  # macOS: bytes
    return kib / 1024


def memory(latency: float) -> list[Row]:
    """Section 6: peak RSS of a 100-article run (server in this process) vs importing the API."""
    baseline = peak_rss_mib([sys.executable, "-c", "import summarize.api"])
    with fake_server(latency) as server:
        command = [sys.executable, __file__, "--child", server.base_url, str(MEMORY_ARTICLES)]
        peak = peak_rss_mib(command)
    return [
        Row(
            "6 memory",
            f"peak RSS, {MEMORY_ARTICLES}-article run, c=8",
            f"{peak:.0f} MiB",
            f"import summarize.api {baseline:.0f} MiB",
            ratio(peak, baseline),
        )
    ]


# ---------------------------------------------------------------------------- output


HEADER = ("section", "figure", "value", "baseline", "ratio")


def plain(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table (ratio column right-aligned)."""
    cells = [HEADER, *((r.section, r.figure, r.value, r.baseline, r.ratio) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]

    def fmt(line: Sequence[str]) -> str:
        left = "  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=False))
        return f"{left}  {line[-1].rjust(widths[-1])}".rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(cells[0]), rule, *map(fmt, cells[1:])])


def markdown(rows: Sequence[Row]) -> str:
    """The rows as a GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---:|---|---:|"]
    lines += [f"| {r.section} | {r.figure} | {r.value} | {r.baseline} | {r.ratio} |" for r in rows]
    return "\n".join(lines)


def notes(latency: float, texts: int, token_calls: int, retries: int, quick: bool) -> list[str]:
    """What the table's terms mean; printed under it so a pasted table stays readable."""
    return [
        f"L = {latency:g} s, the fake server's latency per model call; local = the same run at "
        "latency 0 (pipeline + in-process fake server; best of 2).",
        f"Articles: the {texts} texts of seeds/"
        + (" and ../shared/corpora" if CORPORA.is_dir() else "")
        + " cycled, each with its own id; the model is summarize.testing.extractive_model "
        "(no repairs, N+1 calls a run).",
        f"Transport retries over all end-to-end runs: {retries}.",
        "Ratio = value / baseline; for throughput below 1 means slower than the baseline.",
        f"Tokens: from the {token_calls} recorded fixtures in fixtures/seeds; their counts are "
        "estimates (hand-authored answers, tokens = chars/4), as are article sizes (chars/4).",
        "Verifier: python bench/bench_verify.py"
        + (" --articles 100" if quick else "")
        + " (synthetic corpus, 20 quotes an article); see its section in bench/README.md.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s latency, 5 and 20 articles")
    parser.add_argument("--markdown", metavar="FILE", type=Path, help="also write Markdown here")
    parser.add_argument("--child", nargs=2, metavar=("BASE_URL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in PROXY_VARS:  # loopback only: no proxy in the way of 127.0.0.1
        os.environ.pop(name, None)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    latency, sizes = (0.2, (5, 20)) if args.quick else (1.0, (5, 20, 100))
    texts = article_texts()
    started = time.perf_counter()
    e2e, warm, retries = end_to_end(sizes, latency, texts)
    token_rows, token_calls = tokens()
    rows = [
        *e2e,
        *warm,
        *verifier(args.quick),
        *token_rows,
        *startup(5 if args.quick else 10),
        *memory(latency),
    ]
    head = [
        f"summarize benchmarks ({'quick' if args.quick else 'full'}, "
        f"{time.perf_counter() - started:.0f} s)",
        *machine(),
    ]
    tail = notes(latency, len(texts), token_calls, retries, args.quick)
    print("\n".join([*head, "", plain(rows), "", *tail]))
    if args.markdown:
        text = "\n".join(
            [*(f"{line}  " for line in head), "", markdown(rows), "", *(f"- {n}" for n in tail)]
        )
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
