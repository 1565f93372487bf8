"""False drops of the footnote rule: true sentences that the checks take out.

The stand-in model (summarize.testing.stand_in) writes each verified claim's own words
as a summary sentence citing that claim, so every sentence it composes is true. Whatever the
compose checks drop, or whichever citation they remove, is a false drop. Run over the seeds and
every news cluster of ../shared/corpora (read in place), as whole pipelines on a loopback fake:

    python3 bench/false_drops.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from summarize import Summarizer
from summarize.testing import FakeOpenAIServer, stand_in

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"


def clusters() -> list[tuple[str, list[Path]]]:
    found = [("seeds", sorted((ROOT / "seeds").glob("*.txt")))]
    if CORPORA.is_dir():
        for folder in sorted(p for p in CORPORA.iterdir() if p.is_dir()):
            found.append((folder.name, sorted(folder.glob("*.txt"))))
    return [(name, paths) for name, paths in found if paths]


def main() -> int:
    head = ("articles", 8), ("claims", 7), ("sentences", 9), ("dropped", 8), ("cited off", 9)
    print(f"{'cluster':40} " + " ".join(f"{name:>{width}}" for name, width in head))
    total_sentences = total_drops = 0
    with FakeOpenAIServer(lambda r: stand_in(r, max_claims=12)) as server:
        for name, paths in clusters():
            summary = Summarizer(base_url=server.base_url, use_cache=False).run(paths)
            compose = [r for r in summary.rejections if r.stage == "compose"]
            dropped = sum(r.outcome == "dropped" for r in compose)
            removed = sum(r.outcome == "citation removed" for r in compose)
            total_sentences += len(summary.sentences) + dropped
            total_drops += dropped + removed
            print(
                f"{name:40} {len(paths):8} {len(summary.claims):7} {len(summary.sentences):9} "
                f"{dropped:8} {removed:9}"
            )
            for r in compose:
                print(f"    {r.outcome}: {r.item[:70]} — {r.reason[:120]}")
    print(f"false drops: {total_drops} of {total_sentences} true sentences")
    return 1 if total_drops else 0


if __name__ == "__main__":
    sys.exit(main())
