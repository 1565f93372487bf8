"""The `summarize` command: a thin layer over summarize.api.

Only the result goes to stdout; progress, warnings and errors go to stderr, one line each.
Exit codes (the same with or without --debug, which only adds tracebacks): 0 ok, 1 runtime
error (bad input, cache, output, or an internal error), 2 usage or configuration, 3 --strict
and something was rejected, 4 a model call failed (an article, a repair or the composer; what
was verified is still printed), 5 no claim could be verified (nothing to summarize), 130
interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import NoReturn

from summarize.settings import DEFAULT_MODEL, MODES

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_MODEL, EXIT_EMPTY = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130

EXAMPLES = """\
examples:
  summarize seeds --replay fixtures          offline demo from recorded model answers
  summarize a.txt b.txt -o summary.md        with OPENAI_API_KEY set
  summarize news/ --format json > run.json   the whole provenance graph
  summarize news/ --base-url http://localhost:11434/v1 -m llama3.1 --mode json_schema
  cat article.txt | summarize - other.txt    read one article from stdin

exit codes: 0 ok, 1 runtime error, 2 usage, 3 rejections with --strict, 4 a model call failed
(output still printed), 5 no claim could be verified, 130 interrupted
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not argparse's usage block."""
        self.exit(EXIT_USAGE, f"summarize: {message} (see summarize --help)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="summarize",
        description="Write a consensus summary of several news articles in which every sentence "
        "is footnoted and every quote and number is checked against the article it cites.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="article files, directories, or -")
    p.add_argument("-o", "--output", metavar="FILE", help="write the result here, not stdout")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("-m", "--model", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    p.add_argument("--base-url", help="any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp)")
    p.add_argument("--mode", choices=MODES, default="tools", help="how instructor asks for JSON")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    p.add_argument("--replay", metavar="DIR", help="answer from recordings under DIR, offline")
    p.add_argument("--record", metavar="DIR", help="record every exchange into DIR")
    p.add_argument("--cache-dir", metavar="DIR", help="default: SUMMARIZE_CACHE_DIR or user cache")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--concurrency", type=_positive, default=8, metavar="N", help="default 8")
    p.add_argument(
        "--max-article-chars",
        type=_positive,
        default=200_000,
        metavar="N",
        help="longest article accepted, in characters (default 200000)",
    )
    p.add_argument("--strict", action="store_true", help="exit 3 if anything was rejected")
    p.add_argument("--usage", action="store_true", help="print calls and tokens on stderr")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


SUBCOMMANDS: dict[str, str] = {}
"""Subcommand name -> "module:function" taking the remaining argv and returning an exit code;
imported only when used. `summarize PATH...` (no subcommand) summarizes; a path that happens
to be named like a subcommand is given as ./NAME."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        from importlib import import_module

        module, _, function = SUBCOMMANDS[argv[0]].partition(":")
        return int(getattr(import_module(module), function)(argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        kept = "" if args.no_cache else "; finished work is cached"
        print(f"summarize: interrupted{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _failed(exc, debug=args.debug)


def _failed(exc: Exception, *, debug: bool) -> int:
    """One redacted line on stderr (after the traceback with --debug); the exit code for exc."""
    from summarize.errors import ConfigError, ModelError, SummarizeError

    if debug:
        import traceback

        traceback.print_exc()
    if isinstance(exc, SummarizeError):
        print(f"summarize: {_one_line(str(exc))}", file=sys.stderr)
    else:
        what = _one_line(f"{type(exc).__name__}: {exc}")
        hint = "" if debug else " (run with --debug for the traceback)"
        print(f"summarize: internal error: {what}{hint}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, ModelError):
        return EXIT_MODEL
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    return EXIT_ERROR


def _one_line(text: str) -> str:
    """Whitespace collapsed, anything key-like redacted, at most 400 characters."""
    from summarize.llm import _redact

    line = _redact(" ".join(text.split()), os.environ.get("OPENAI_API_KEY"))
    return line if len(line) <= 400 else line[:399] + "…"


def _run(args: argparse.Namespace) -> int:
    from summarize.api import Summarizer
    from summarize.errors import OutputError
    from summarize.paths import check_output

    if args.output:
        stdin_fd = _stdin_fd() if "-" in args.paths else None
        check_output(Path(args.output), args.paths, stdin_fd=stdin_fd)
    warnings.simplefilter("default")
    warnings.showwarning = _warning_line
    summarizer = Summarizer(
        model=args.model,
        base_url=args.base_url,
        mode=args.mode,
        timeout=args.timeout,
        replay_dir=args.replay,
        record_dir=args.record,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        concurrency=args.concurrency,
        max_article_chars=args.max_article_chars,
    )
    show_progress = not args.quiet and sys.stderr.isatty()
    progress = (lambda line: print(line, file=sys.stderr)) if show_progress else None
    inputs = ["-" if p == "-" else Path(p) for p in args.paths]
    summary = summarizer.run(inputs, progress=progress)

    text = summary.to_json() if args.format == "json" else summary.to_markdown()
    if args.output:
        try:
            Path(args.output).write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        except OSError as exc:
            raise OutputError(f"{args.output}: cannot write output ({exc.strerror})") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    for source in summary.sources:
        for warning in source.warnings:
            print(f"summarize: warning: {source.path or source.id}: {warning}", file=sys.stderr)
    for error in summary.errors:
        where = f"{error.path}: " if error.path else ""
        print(f"summarize: {where}{_one_line(error.error)}", file=sys.stderr)
    if args.usage:
        print(f"summarize: {summary.usage.line()}", file=sys.stderr)
    if summary.errors:
        return EXIT_MODEL
    if not summary.claims:
        print("summarize: no claim could be verified; nothing to summarize", file=sys.stderr)
        return EXIT_EMPTY
    if args.strict and summary.rejections:
        print(f"summarize: --strict: {len(summary.rejections)} item(s) rejected", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno() if sys.stdin is not None else None
    except (AttributeError, OSError, ValueError):  # replaced by a test, or closed
        return None


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"summarize: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
