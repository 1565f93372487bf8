"""`summarize batch`: many stories in one run, one report each, resumable through the cache.

    summarize batch STORIES_DIR -o OUT_DIR        each sub-folder of STORIES_DIR is a story
    summarize batch stories.jsonl -o OUT_DIR      {"story": "name", "paths": ["a.txt", ...]}

Stories run side by side with at most `--concurrency` model requests in flight over all of
them. Each finished story's report is written at once (atomically), so an interruption loses
only the stories in progress, and their finished model answers are in the cache: running the
same command again sends only what was never answered. One story's failure (bad input, the
model failing) is a row of the final table, never the end of the run. The table (stories,
sources, sentences, rejections, calls, tokens and estimated cost of this run) goes to stdout
and to OUT_DIR/batch.md, and as JSON to OUT_DIR/batch.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import httpx2

    from summarize.api import Summarizer
    from summarize.models import Summary
    from summarize.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_MODEL = 0, 1, 2, 3, 4
STORIES_AT_ONCE, STORY_CAP = 8, 16
"""Without --concurrency: 8 stories side by side, each at most 16 requests in flight (its
limiter adapts below that), so at most 128 in flight, the single-story limiter's start."""
SUFFIXES = {"markdown": ".md", "json": ".json", "html": ".html"}
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

EXAMPLES = """\
examples:
  summarize batch day/ -o reports/                  each sub-folder of day/ is one story
  summarize batch stories.jsonl -o reports/ --format json
  summarize batch day/ -o reports/ --batch-api      OpenAI's Batch API: half price, up to 24 h

A story line of a JSONL manifest: {"story": "name", "paths": ["a.txt", "b/"]} (relative paths
are read from the manifest's folder). Run the same command again after an interruption: the
answers already received come from the cache and are not paid for again.
exit codes: 0 ok, 1 a story could not be read or written, 2 usage, 3 rejections with
--strict, 4 the model API failed for an article or a story
"""


@dataclass
class Story:
    name: str
    inputs: list[Path]


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


def build_parser() -> argparse.ArgumentParser:
    from summarize.cli import OneLineParser, add_settings_options

    p = OneLineParser(
        prog="summarize batch",
        description="Summarize many stories in one resumable run: one report per story and a "
        "table of them all.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("stories", metavar="STORIES", help="a folder of story folders, or a .jsonl")
    p.add_argument("-o", "--output-dir", required=True, metavar="OUT_DIR", help="reports go here")
    p.add_argument("--format", choices=tuple(SUFFIXES), default="markdown")
    add_settings_options(
        p,
        concurrency=f"requests in flight over all stories (default: {STORIES_AT_ONCE} stories "
        f"at once, each at most {STORY_CAP} and adapting to the server)",
        batch_api="every story's requests through OpenAI's Batch API, in shared batches: half "
        "the price, answers within 24 h",
    )
    p.add_argument("--strict", action="store_true", help="exit 3 if anything was rejected")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def main(argv: list[str]) -> int:
    """The `summarize batch` subcommand; returns the exit code."""
    args = build_parser().parse_args(argv)
    from summarize.cli import warning_printer
    from summarize.errors import SummarizeError

    warnings.simplefilter("default")
    warnings.showwarning = warning_printer("summarize batch")
    try:
        stories = read_stories(Path(args.stories))
        out = _output_dir(Path(args.output_dir))
        if args.format == "html" and not _can_render("html"):
            raise SummarizeError("--format html is not available in this version")
        settings = _settings(args)
        if args.no_cache:
            print(
                "summarize batch: warning: --no-cache: a rerun after an interruption pays for "
                "every call again",
                file=sys.stderr,
            )
        rows = asyncio.run(run_batch(stories, out, settings, args))
    except KeyboardInterrupt:
        print(
            "summarize batch: interrupted; finished reports are written and received answers "
            "cached: run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    except SummarizeError as exc:  # the same exit code with --debug, which adds the traceback
        if args.debug:
            from summarize.errors import print_traceback

            print_traceback()
        from summarize.errors import ConfigError

        print(f"summarize batch: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_ERROR
    table = render_table(rows, settings.model, batch_api=settings.batch_api)
    sys.stdout.write(table)
    _write(out / "batch.md", table)
    _write(out / "batch.json", json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    if any(r.failure and not r.model_failure for r in rows):
        return EXIT_ERROR
    if any(r.model_failure or r.errors for r in rows):
        return EXIT_MODEL
    if args.strict and any(r.rejections for r in rows):
        return EXIT_REJECTED
    return EXIT_OK


# --------------------------------------------------------------------------- stories


def read_stories(path: Path) -> list[Story]:
    """The stories of a folder of story folders, or of a JSONL manifest; errors name the line."""
    from summarize.errors import InputError

    if path.is_dir():
        folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            raise InputError(str(path), "no story folders in it (each sub-folder is one story)")
        return [Story(f.name, [f]) for f in folders]
    if not path.is_file():
        raise InputError(str(path), "no such folder or manifest")
    stories, names = [], set()
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the manifest ({exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except ValueError:
            raise InputError(where, "not a JSON object") from None
        name, paths = (
            (entry.get("story"), entry.get("paths")) if isinstance(entry, dict) else (0, 0)
        )
        if not isinstance(name, str) or not name.strip():
            raise InputError(where, 'needs "story": a non-empty name')
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise InputError(where, 'needs "paths": a non-empty list of article paths')
        if name in names:
            raise InputError(where, f"story {name!r} appears twice")
        names.add(name)
        stories.append(Story(name, [path.parent / p for p in paths]))
    if not stories:
        raise InputError(str(path), "the manifest lists no story")
    return stories


def report_names(stories: list[Story], suffix: str) -> list[str]:
    """A safe, distinct file name for each story's report."""
    taken: set[str] = set()
    names = []
    for story in stories:
        base = re.sub(r"[^\w.-]+", "_", story.name).strip("._") or "story"
        name, n = base, 2
        while name.lower() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.lower())
        names.append(name + suffix)
    return names


# --------------------------------------------------------------------------- running


async def run_batch(
    stories: list[Story], out: Path, settings: Settings, args: argparse.Namespace
) -> list[Row]:
    """Every story, a few side by side; a report is written as soon as its story is done."""
    from summarize.api import Summarizer

    if settings.batch_api:  # every story at once, so each wave is one shared batch
        at_once, per_story = len(stories), args.concurrency
    elif args.concurrency is None:
        at_once, per_story = min(len(stories), STORIES_AT_ONCE), STORY_CAP
    else:
        at_once = min(len(stories), args.concurrency)
        per_story = max(1, args.concurrency // at_once)
    gate = asyncio.Semaphore(at_once)
    names = report_names(stories, SUFFIXES[args.format])
    shared = _shared_transport(settings, args.quiet)
    done = 0

    async def one(story: Story, name: str) -> Row:
        nonlocal done
        transport = cast("httpx2.AsyncBaseTransport | None", shared)  # duck-typed transport
        summarizer = Summarizer(settings, transport=transport, concurrency=per_story)
        async with gate:
            row = await _story(summarizer, story, out / name, args)
        done += 1
        if not args.quiet:
            print(f"[{done}/{len(stories)}] {story.name}: {_progress(row)}", file=sys.stderr)
        return row

    try:
        pairs = zip(stories, names, strict=True)
        return list(await asyncio.gather(*(one(s, n) for s, n in pairs)))
    finally:
        if shared is not None:
            await shared.close()


def _shared_transport(settings: Settings, quiet: bool) -> Any:
    """One transport for every story: one connection pool, and with --batch-api one set of
    batches for all of them."""
    if settings.replay_dir is not None:
        return None
    if not settings.batch_api:
        return _SharedTransport()
    import httpx2

    from summarize.batchapi import BatchTransport

    def notify(line: str) -> None:
        if not quiet:
            print(f"summarize batch: {line}", file=sys.stderr)

    return BatchTransport(httpx2.AsyncHTTPTransport(), settings, notify=notify, shared=True)


class _SharedTransport:
    """One connection pool (and one TLS set-up) for every story; a story's client closing it
    does not close it: run_batch does, at the end."""

    def __init__(self) -> None:
        import httpx2

        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: object) -> object:
        return await self.inner.handle_async_request(request)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        pass

    async def close(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> _SharedTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        pass


async def _story(
    summarizer: Summarizer, story: Story, report: Path, args: argparse.Namespace
) -> Row:
    from summarize.errors import ModelError, SummarizeError

    row = Row(story.name)
    try:
        summary = await summarizer.arun(story.inputs)
        _write(report, _render(summary, args.format))
    except SummarizeError as exc:
        row.failure, row.model_failure = str(exc), isinstance(exc, ModelError)
        return row
    except Exception as exc:  # one story's bug must not end the others
        from summarize.errors import describe

        if args.debug:
            from summarize.errors import print_traceback

            print_traceback()
        row.failure = f"internal error: {describe(exc)}" + (
            "" if args.debug else " (run with --debug)"
        )
        return row
    usage = summary.usage
    row.report = report.name
    row.sources, row.sentences = len(summary.sources), len(summary.sentences)
    row.rejections, row.errors = len(summary.rejections), len(summary.errors)
    stages = Counter(e.stage for e in summary.errors)
    row.failed_calls = ", ".join(f"{n} {stage}" for stage, n in sorted(stages.items()))
    row.calls, row.cache_hits = usage.calls, usage.cache_hits
    row.prompt_tokens, row.completion_tokens = usage.prompt_tokens, usage.completion_tokens
    row.cost = estimate_cost(summarizer.settings.model, row.prompt_tokens, row.completion_tokens)
    return row


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


# --------------------------------------------------------------------------- output


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


def _progress(row: Row) -> str:
    if row.failure:
        return "failed: " + row.failure
    errors = f", failed calls: {row.failed_calls}" if row.errors else ""
    return (
        f"{row.sources} sources, {row.sentences} sentences, {row.rejections} rejected{errors} "
        f"({row.calls} calls, {row.cache_hits} cached) -> {row.report}"
    )


def _render(summary: Summary, fmt: str) -> str:
    method = {"markdown": "to_markdown", "json": "to_json", "html": "to_html"}[fmt]
    return getattr(summary, method)()


def _can_render(fmt: str) -> bool:
    from summarize.report import Summary

    return hasattr(Summary, {"markdown": "to_markdown", "json": "to_json"}.get(fmt, "to_html"))


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a kill mid-write leaves the previous file, never half of one."""
    from summarize.errors import OutputError

    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report ({exc.strerror})") from None


def _output_dir(path: Path) -> Path:
    from summarize.errors import OutputError

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the output folder ({exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise OutputError(f"{path}: cannot write to the output folder (permission denied)")
    return path


def _settings(args: argparse.Namespace) -> Settings:
    from summarize.cli import given_settings
    from summarize.errors import ConfigError
    from summarize.settings import NO_KEY, Settings

    settings = Settings.from_kwargs(**given_settings(args))
    if settings.needs_key():
        raise ConfigError(NO_KEY)  # before any story starts, not once per story
    return settings
