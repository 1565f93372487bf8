"""Running the stories of `summarize batch`: a few side by side over one shared transport
(one connection pool; with --batch-api, one set of shared batches), each story's report
written whole as soon as it is done, each story's failure kept to its own row. Apart from
the command (`summarize.batch`), which parses arguments and decides the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from summarize.batch_stories import Story, report_names
from summarize.batch_table import Row, estimate_cost, progress_line
from summarize.tls import tls_context

if TYPE_CHECKING:
    import httpx2

    from summarize.api import Summarizer
    from summarize.models import Summary
    from summarize.settings import Settings

STORIES_AT_ONCE, STORY_CAP = 8, 16
"""Without --concurrency: 8 stories side by side, each at most 16 requests in flight (its
limiter adapts below that), so at most 128 in flight, the single-story limiter's start."""
SUFFIXES = {"markdown": ".md", "json": ".json", "html": ".html"}


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
            print(f"[{done}/{len(stories)}] {story.name}: {progress_line(row)}", file=sys.stderr)
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

    return BatchTransport(
        httpx2.AsyncHTTPTransport(verify=tls_context()), settings, notify=notify, shared=True
    )


class _SharedTransport:
    """One connection pool (and one TLS set-up) for every story; a story's client closing it
    does not close it: run_batch does, at the end."""

    def __init__(self) -> None:
        import httpx2

        self.inner = httpx2.AsyncHTTPTransport(verify=tls_context())

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
        write_whole(report, _render(summary, args.format))
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


def _render(summary: Summary, fmt: str) -> str:
    method = {"markdown": "to_markdown", "json": "to_json", "html": "to_html"}[fmt]
    return getattr(summary, method)()


def can_render(fmt: str) -> bool:
    from summarize.report import Summary

    return hasattr(Summary, {"markdown": "to_markdown", "json": "to_json"}.get(fmt, "to_html"))


def write_whole(path: Path, text: str) -> None:
    """Write whole or not at all: a kill mid-write leaves the previous file, never half of one."""
    from summarize.errors import OutputError

    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report ({exc.strerror})") from None
