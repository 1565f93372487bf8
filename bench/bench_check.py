"""Speed of `summarize check`: a ~2,000-word draft against 50 articles, after reading them.

    python bench/bench_check.py [--articles 50] [--words 2000] [--repeat 7]

Articles: the seed articles and, when present, ../shared/corpora/*/*.txt read in place,
cycled to `--articles` with a distinct last line on each copy (so no copy hits the verifier's
per-text index cache). The draft is built, seeded, from their sentences: most copied as is,
some with a number changed, some wrapped in quotation marks with a word changed, some with an
invented name, so every path (hits, misses and their diagnoses) is paid for. Not a test: it
prints a table. In-process phases are timed with the verifier's caches cleared before each
repetition (CPU time is shown beside wall time: on a shared machine it is the steadier
figure); the whole command is timed as separate processes, paired with `summarize check
--help` (interpreter start-up and imports: the floor a command cannot beat).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize.anchors import fold  # noqa: E402
from summarize.audit import Checker, read_draft  # noqa: E402
from summarize.audit_text import split_sentences  # noqa: E402
from summarize.sources import load_sources  # noqa: E402
from summarize.verify import index_for  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
INVENTED = ["Marta Oyelaran", "Pieter Vonk", "Lucía Ferrandis", "Tomasz Wierzba"]


def articles(count: int) -> list[str]:
    paths = sorted((ROOT / "seeds").glob("*.txt")) + sorted(CORPORA.glob("*/*.txt"))
    texts = [p.read_text("utf-8") for p in paths]
    return [f"{texts[i % len(texts)]}\n\n(copy {i})" for i in range(count)]


def draft(texts: list[str], words: int, rnd: random.Random) -> str:
    sentences = [t[a:b] for t in texts for a, b in split_sentences(t) if 8 <= b - a <= 400]
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        s = rnd.choice(sentences)
        roll = rnd.random()
        if roll < 0.15 and re.search(r"\d", s):
            s = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), s, count=1)
        elif roll < 0.25:
            ws = s.split()
            ws[rnd.randrange(len(ws))] = "reportedly"
            s = f"“{' '.join(ws)}”"
        elif roll < 0.30:
            s = f"{rnd.choice(INVENTED)} said that {s[:1].lower()}{s[1:]}"
        out.append(s)
    return "\n\n".join(" ".join(out[i : i + 4]) for i in range(0, len(out), 4))


def timed(fn, repeat: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds of `fn` per repetition, every cache cleared first."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        index_for.cache_clear()
        fold.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, result


def spread(times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"{min(ms):8.1f} {statistics.median(ms):8.1f} {max(ms):8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    texts = articles(args.articles)
    text = draft(texts, args.words, random.Random(15))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "articles")
        folder.mkdir()
        for i, t in enumerate(texts):
            (folder / f"a{i:03}.txt").write_text(t, "utf-8")
        draft_path = Path(tmp, "draft.md")
        draft_path.write_text(text, "utf-8")

        read, read_cpu, sources = timed(lambda: load_sources(folder), args.repeat)
        document = read_draft(text)
        index, index_cpu, _ = timed(lambda: Checker(sources), args.repeat)
        full, full_cpu, report = timed(
            lambda: Checker(sources).check(document, markdown=True), args.repeat
        )
        checker = Checker(sources)
        checker.check(document, markdown=True)
        again, again_cpu, _ = timed(lambda: checker.check(document, markdown=True), args.repeat)

        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        env["PYTHONPATH"] = str(ROOT)
        command = [sys.executable, "-m", "summarize", "check", str(draft_path), "-q"]
        command += ["--sources", str(folder), "-o", os.devnull]
        floor = [sys.executable, "-m", "summarize", "check", "--help"]
        whole, help_ = [], []
        for _ in range(args.repeat):  # paired and alternated, so drift hits both alike
            for cmd, into in ((command, whole), (floor, help_)):
                start = time.perf_counter()
                subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=False)
                into.append(time.perf_counter() - start)

    n = report.line() if hasattr(report, "line") else ""
    words = len(text.split())
    chars = sum(map(len, texts))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}")
    print(f"draft: {words} words; {args.articles} articles, {chars:,} characters; {n}")
    print(f"load average before: {load}")
    print(
        f"{args.repeat} repetitions, ms          wall: min   median      max"
        + " " * 5
        + "CPU: min   median      max"
    )
    print(f"read the {args.articles} articles (load_sources)  {spread(read)}    {spread(read_cpu)}")
    print(f"index them (Checker)                 {spread(index)}    {spread(index_cpu)}")
    print(f"index + check the draft              {spread(full)}    {spread(full_cpu)}")
    print(f"check again, index kept              {spread(again)}    {spread(again_cpu)}")
    print(f"whole command (separate process)     {spread(whole)}")
    print(f"floor: summarize check --help        {spread(help_)}")
    extra = (statistics.median(whole) - statistics.median(help_)) * 1000
    print(f"whole command minus floor (median)   {extra:8.1f}")


if __name__ == "__main__":
    main()
