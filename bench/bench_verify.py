"""Throughput of verify_quote against a plain str.find baseline, at 1x and 4x corpus size.

    python bench/bench_verify.py [--articles 1000] [--quotes 20]

The corpus is synthetic and deterministic (seeded): articles of ~3-5 KB built from the seed
articles' sentences and random words, some with NBSPs, curly quotes or CRLF line ends. Each
article gets `--quotes` quotes: mostly exact passages, some typed variants (straight quotes,
plain spaces) that need the normalized view, some elided, and a few with one word changed
(misses, which pay for the fuzzy diagnosis). Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize.verify import index_for, verify_quote  # noqa: E402

SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
SENTENCES = [s for t in SEEDS for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 6]
VOCAB = sorted({w for t in SEEDS for w in re.findall(r"[A-Za-z]{3,}", t)})
TYPED = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\xa0": " "})


def article(rnd: random.Random) -> str:
    """One synthetic article of ~3-5 KB with some of the noise real copy has."""
    size, parts = rnd.randint(3000, 5000), []
    while sum(map(len, parts)) < size:
        sentence = rnd.choice(SENTENCES)
        if rnd.random() < 0.5:
            words = sentence.split()
            words.insert(rnd.randrange(len(words)), " ".join(rnd.choices(VOCAB, k=3)))
            sentence = " ".join(words)
        if rnd.random() < 0.2:
            sentence = f"“{sentence}”"
        if rnd.random() < 0.2:
            sentence = sentence.replace(" ", "\xa0", 2)
        parts.append(sentence + rnd.choice([" ", " ", " ", "\n\n"]))
    text = "".join(parts)
    return text.replace("\n", "\r\n") if rnd.random() < 0.25 else text


def quote(rnd: random.Random, text: str, words: list[tuple[int, int]]) -> str:
    """A passage of 6-25 words: exact (80%), typed (10%), elided (5%) or one word changed."""
    i = rnd.randrange(len(words) - 30)
    j = i + rnd.randint(6, 25)
    passage = text[words[i][0] : words[j][1]]
    roll = rnd.random()
    if roll < 0.8:
        return passage
    if roll < 0.9:
        return re.sub(r"\s+", " ", passage.translate(TYPED))
    if roll < 0.95:
        return f"{text[words[i][0] : words[i + 3][1]]} ... {text[words[i + 5][0] : words[j][1]]}"
    tokens = passage.split()
    tokens[rnd.randrange(len(tokens))] = rnd.choice(VOCAB)
    return " ".join(tokens)


def corpus(articles: int, quotes: int, seed: int) -> list[tuple[str, list[str]]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(articles):
        text = article(rnd)
        words = [m.span() for m in re.finditer(r"\w+(?:\S*\w)?", text)]
        out.append((text, [quote(rnd, text, words) for _ in range(quotes)]))
    return out


def run(data: list[tuple[str, list[str]]]) -> tuple[float, float, Counter[str]]:
    """Best-of-2 seconds for verify_quote (index builds included) and for str.find on the
    same pairs; best of two because the machine may be shared."""
    kinds: Counter[str] = Counter()
    verify_s, find_s = [], []
    for _ in range(2):
        index_for.cache_clear()
        kinds.clear()
        t0 = time.perf_counter()
        for text, qs in data:
            for q in qs:
                kinds[verify_quote(text, q).kind] += 1
        t1 = time.perf_counter()
        for text, qs in data:
            for q in qs:
                text.find(q)
        verify_s.append(t1 - t0)
        find_s.append(time.perf_counter() - t1)
    return min(verify_s), min(find_s), kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--quotes", type=int, default=20)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    print(
        "| size | articles | quotes | source MB | verify s | verify quotes/s | verify MB/s "
        "| str.find s | str.find quotes/s | verify/find |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    times = {}
    for factor in (1, 4):
        data = corpus(args.articles * factor, args.quotes, seed=0)
        gc.collect()
        gc.freeze()  # keep the harness's own objects out of the collector's way
        n = sum(len(qs) for _, qs in data)
        mb = sum(len(t.encode()) for t, _ in data) / 1e6
        verify_s, find_s, kinds = run(data)
        times[factor] = verify_s
        print(
            f"| {factor}x | {len(data)} | {n} | {mb:.1f} | {verify_s:.2f} | {n / verify_s:,.0f} "
            f"| {mb / verify_s:.1f} | {find_s:.3f} | {n / find_s:,.0f} | {verify_s / find_s:.0f}x |"
        )
    print(f"\nkinds at 4x: {dict(sorted(kinds.items()))}")
    print(f"4x time / 1x time: {times[4] / times[1]:.2f} (linear growth would be 4.00)")


if __name__ == "__main__":
    main()
