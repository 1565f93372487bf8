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

This module is the command (its arguments, messages and exit codes); the stories are read in
`batch_stories`, run in `batch_run` and tabulated, with their cost, in `batch_table`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from summarize.batch_run import (
    STORIES_AT_ONCE,
    STORY_CAP,
    SUFFIXES,
    can_render,
    run_batch,
    write_whole,
)
from summarize.batch_stories import read_stories
from summarize.batch_table import render_table

if TYPE_CHECKING:
    from summarize.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_MODEL = 0, 1, 2, 3, 4

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
        if args.format == "html" and not can_render("html"):
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
    write_whole(out / "batch.md", table)
    write_whole(out / "batch.json", json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    if any(r.failure and not r.model_failure for r in rows):
        return EXIT_ERROR
    if any(r.model_failure or r.errors for r in rows):
        return EXIT_MODEL
    if args.strict and any(r.rejections for r in rows):
        return EXIT_REJECTED
    return EXIT_OK


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
