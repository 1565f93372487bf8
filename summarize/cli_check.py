"""`summarize check DRAFT --sources PATH...`: the command line of the draft audit.

A thin layer like `summarize.cli`: it reads the draft and the sources, runs `audit.Checker`
and writes one of the report's views (`summarize.audit_output`); the audit on stdout, a
summary line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from summarize.cli import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REJECTED as EXIT_UNBACKED,
    FORMATS,
    OneLineParser,
    _positive,
)
from summarize.settings import DEFAULT_MAX_ARTICLE_CHARS

EXAMPLES = """\
examples:
  summarize check draft.md --sources seeds/              annotated Markdown on stdout
  summarize check draft.txt --sources a.txt b.html --format json
  summarize check draft.md --sources news/ -o check.html  a page: click an item, see its passage
  pbpaste | summarize check - --sources news/ --strict   exit 3 if anything is unbacked

exit codes: 0 ok, 1 bad input, 2 usage, 3 something unbacked with --strict
"""


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="summarize check",
        description="Check a draft written anywhere against its sources, with no model: every "
        "quotation must be verbatim in a source, every number value-equal to one in a source "
        "sentence about the same thing, every proper name named by a source.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("draft", metavar="DRAFT", help="the draft: a .md, .txt or .html file, or -")
    p.add_argument(
        "--sources", nargs="+", required=True, metavar="PATH", help="article files or directories"
    )
    p.add_argument(
        "--format",
        choices=("markdown", "json", "html"),
        help="default: from -o's extension, else markdown",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write the result here (.md, .json, .html)"
    )
    p.add_argument("--strict", action="store_true", help="exit 3 if anything is unbacked")
    p.add_argument(
        "--max-article-chars",
        type=_positive,
        default=DEFAULT_MAX_ARTICLE_CHARS,
        metavar="N",
        help=f"longest draft or article, in characters (default {DEFAULT_MAX_ARTICLE_CHARS})",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def main(argv: list[str]) -> int:
    """`summarize check DRAFT --sources PATH...`: the audit on stdout, a summary on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except Exception as exc:  # the same exit code with --debug, which adds the traceback
        from summarize.errors import SummarizeError, describe, one_line, print_traceback

        if args.debug:
            print_traceback()
        if isinstance(exc, SummarizeError):
            print(f"summarize check: {one_line(str(exc))}", file=sys.stderr)
        else:
            hint = "" if args.debug else " (run with --debug)"
            print(f"summarize check: internal error: {describe(exc)}{hint}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    from summarize.audit import Checker, is_markdown, read_draft
    from summarize.errors import InputError, OutputError
    from summarize.fetch import is_url
    from summarize.sources import load_sources

    if args.draft == "-" and "-" in args.sources:
        raise InputError("-", "standard input cannot be both the draft and a source")
    if args.draft == "-" or is_url(args.draft):
        draft = load_sources([args.draft], max_chars=args.max_article_chars)[0]
    else:
        draft = read_draft(Path(args.draft), max_chars=args.max_article_chars)
    sources = load_sources(args.sources, max_chars=args.max_article_chars)
    report = Checker(sources).check(draft, markdown=is_markdown(draft))

    suffix = Path(args.output).suffix.lower() if args.output else ""
    fmt = args.format or FORMATS.get(suffix, "markdown")
    render = {"json": report.to_json, "html": report.to_html, "markdown": report.to_markdown}
    text = render[fmt]()
    text = text if text.endswith("\n") else text + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, "utf-8")
        except OSError as exc:
            raise OutputError(f"{args.output}: cannot write output ({exc.strerror})") from None
    else:
        sys.stdout.write(text)
    if not args.quiet:
        for source in [draft, *sources]:
            for warning in source.warnings:
                label = source.path or source.id
                print(f"summarize check: warning: {label}: {warning}", file=sys.stderr)
        print(f"summarize check: {report.line()}", file=sys.stderr)
    return EXIT_UNBACKED if args.strict and report.unbacked else EXIT_OK
