"""The table `summarize batch` ends with: one `Row` per story (sources, sentences, rejections,
calls, tokens, estimated cost, status), a total line, and the cost estimate at list prices.
Apart from the running so that what a run reports, and how its cost is estimated, reads in
one place.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES = {  # USD per million tokens (input, output), list prices of late 2025, longest prefix
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
}
"""An estimate only: check your provider's current prices. The Batch API halves them."""


@dataclass
class Row:
    """One line of the final table."""

    story: str
    report: str | None = None
    sources: int = 0
    sentences: int = 0
    rejections: int = 0
    errors: int = 0
    failed_calls: str = ""
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    failure: str | None = None
    model_failure: bool = False

    @property
    def status(self) -> str:
        if self.failure:
            return "failed: " + self.failure
        if self.errors:
            return f"failed calls: {self.failed_calls}"
        return "ok"


def estimate_cost(
    model: str, prompt_tokens: int, completion_tokens: int, *, batch_api: bool = False
) -> float | None:
    """USD at the list prices in PRICES, or None for a model not listed."""
    name = model.rsplit("/", 1)[-1].lower()
    known = [prefix for prefix in PRICES if name.startswith(prefix)]
    if not known:
        return None
    per_in, per_out = PRICES[max(known, key=len)]
    cost = (prompt_tokens * per_in + completion_tokens * per_out) / 1e6
    return cost / 2 if batch_api else cost


def render_table(rows: list[Row], model: str, *, batch_api: bool = False) -> str:
    """The final table, a total line, and what the cost column means."""
    head = ("story", "sources", "sentences", "rejections", "calls", "cached", "tokens", "cost")
    body = [
        (
            r.story,
            str(r.sources),
            str(r.sentences),
            str(r.rejections),
            str(r.calls),
            str(r.cache_hits),
            f"{r.prompt_tokens + r.completion_tokens:,}",
            _money(r.cost),
            r.status,
        )
        for r in rows
    ]
    costs = [r.cost for r in rows if r.cost is not None]
    failed = sum(1 for r in rows if r.failure)
    total = (
        f"{len(rows)} stories",
        str(sum(r.sources for r in rows)),
        str(sum(r.sentences for r in rows)),
        str(sum(r.rejections for r in rows)),
        str(sum(r.calls for r in rows)),
        str(sum(r.cache_hits for r in rows)),
        f"{sum(r.prompt_tokens + r.completion_tokens for r in rows):,}",
        _money(sum(costs) if costs else None),
        f"{failed} failed" if failed else "ok",
    )
    table = [(*head, "status"), *body, total]
    widths = [max(len(line[i]) for line in table) for i in range(len(head))]
    lines = []
    for n, line in enumerate(table):
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=False))
        ]
        lines.append("  ".join([*cells, line[-1]]).rstrip())
        if n in (0, len(table) - 2):
            lines.append("  ".join("-" * w for w in [*widths, 6]))
    price = "half the list price (Batch API)" if batch_api else "list price"
    note = (
        f"cost: this run's calls at {model}'s {price} (an estimate); answers from the cache "
        "cost nothing; a failed story's calls are not counted"
        if estimate_cost(model, 0, 0) is not None
        else f"cost: no list price known for {model}"
    )
    return "\n".join([*lines, "", note]) + "\n"


def _money(value: float | None) -> str:
    return "–" if value is None else f"${value:,.4f}"


def progress_line(row: Row) -> str:
    if row.failure:
        return "failed: " + row.failure
    errors = f", failed calls: {row.failed_calls}" if row.errors else ""
    return (
        f"{row.sources} sources, {row.sentences} sentences, {row.rejections} rejected{errors} "
        f"({row.calls} calls, {row.cache_hits} cached) -> {row.report}"
    )
