"""What the demo sends the model, against the size of the articles it summarizes.

    python bench/prompt_size.py [--fixtures DIR] [--articles DIR]

Reads every recorded exchange under fixtures/seeds (the requests are exactly what the code
sends; see fixtures/README.md) and counts, per call and per stage, the characters of the message
texts and of the response schema that goes with them (the `tools` or `response_format` JSON,
compactly serialised), against the characters of the articles in seeds/. Tokens are shown as
characters ÷ 4, an estimate. The target of issue #11: everything sent ≤ 2x the articles.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGES = {
    "ArticleClaims": "extract",
    "ClaimRepairs": "claim repair",
    "ComposedSummary": "compose",
    "SentenceRepairs": "compose repair",
}


@dataclass
class Sent:
    stage: str
    messages: int
    schema: int

    @property
    def total(self) -> int:
        return self.messages + self.schema


def schema_name(request: dict[str, Any]) -> str:
    if request.get("tools"):
        return request["tools"][0]["function"]["name"]
    return ((request.get("response_format") or {}).get("json_schema") or {}).get("name", "?")


def measure(request: dict[str, Any]) -> Sent:
    """Characters of message text and of schema JSON in one request body."""
    messages = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    shape = {k: request[k] for k in ("tools", "tool_choice", "response_format") if k in request}
    schema = len(json.dumps(shape, ensure_ascii=False, separators=(",", ":"))) if shape else 0
    name = schema_name(request)
    return Sent(STAGES.get(name, name), messages, schema)


def sent_by_recordings(fixtures: Path) -> list[Sent]:
    found = []
    for path in sorted(fixtures.rglob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(record, dict) and "request" in record and "response" in record:
            found.append(measure(record["request"]))
    return found


def table(sent: list[Sent], article_chars: int) -> list[str]:
    lines = [
        f"{'stage':<16} {'calls':>5} {'messages':>9} {'schemas':>8} {'total':>8} "
        f"{'÷ articles':>10} {'~tokens':>8}"
    ]
    for stage in [*STAGES.values(), "all"]:
        rows = [s for s in sent if stage in ("all", s.stage)]
        if not rows:
            continue
        messages, schema = sum(r.messages for r in rows), sum(r.schema for r in rows)
        total = messages + schema
        lines.append(
            f"{stage:<16} {len(rows):>5} {messages:>9,} {schema:>8,} {total:>8,} "
            f"{total / article_chars:>9.2f}x {total // 4:>8,}"
        )
    lines.append(f"articles: {article_chars:,} characters (~{article_chars // 4:,} tokens)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=ROOT / "fixtures" / "seeds")
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds")
    args = parser.parse_args()
    article_chars = sum(
        len(p.read_text(encoding="utf-8")) for p in sorted(args.articles.glob("*.txt"))
    )
    print("\n".join(table(sent_by_recordings(args.fixtures), article_chars)))


if __name__ == "__main__":
    main()
