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
import gc
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from summarize.settings import (
    DEFAULT_MODE,
    DEFAULT_MODEL,
    ENV_MODE,
    ENV_MODEL,
    MODES,
    Settings,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED, EXIT_MODEL, EXIT_EMPTY = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130

EXAMPLES = """\
examples:
  summarize seeds --replay fixtures          offline demo from recorded model answers
  summarize a.txt b.txt -o summary.md        with OPENAI_API_KEY set
  summarize news/ --format json > run.json   the whole provenance graph
  summarize news/ -o report.html             a page to audit every footnote in a browser
  summarize news/ --base-url http://localhost:11434/v1 -m llama3.1 --mode json_schema
  cat article.txt | summarize - other.txt    read one article from stdin
  summarize https://example.com/story.html a.txt   fetch a page (needs the html extra)

environment: OPENAI_API_KEY, OPENAI_BASE_URL, SUMMARIZE_MODEL, SUMMARIZE_MODE,
  SUMMARIZE_CACHE_DIR; a flag wins over the environment, which wins over the default.
exit codes: 0 ok, 1 runtime error, 2 usage, 3 rejections with --strict, 4 a model call failed
(output still printed), 5 no claim could be verified, 130 interrupted
"""
NO_KEY = (
    "no API key: set OPENAI_API_KEY, or point --base-url (or OPENAI_BASE_URL) at a local "
    "OpenAI-compatible server (e.g. http://localhost:11434/v1 for Ollama), or run the offline "
    "demo: summarize seeds --replay fixtures"
)
FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
}
"""Output format by the -o file's extension, when --format is not given."""
SHELLS = ("bash", "zsh", "tcsh")


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line naming the command (every command
    of summarize uses it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


class _Version(argparse.Action):
    """Print the installed package's version and exit; read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        print(f"summarize {version()}")
        parser.exit(EXIT_OK)


class _Completion(argparse.Action):
    """Print a shell completion script (made by shtab, an optional extra) and exit."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        try:
            import shtab
        except ImportError:
            parser.exit(
                EXIT_ERROR,
                "summarize: shell completion needs the optional extra: "
                "pip install 'summarize[completion]'\n",
            )
        for action in parser._actions:
            if action.dest in ("paths", "output"):
                action.complete = shtab.FILE  # type: ignore[attr-defined,unused-ignore]
            elif action.dest in ("replay", "record", "cache_dir"):
                action.complete = shtab.DIRECTORY  # type: ignore[attr-defined,unused-ignore]
        print(shtab.complete(parser, shell=str(values)).rstrip("\n"))
        parser.exit(EXIT_OK)


def version() -> str:
    """The installed distribution's version (summarize.version reads the package metadata)."""
    from summarize.version import VERSION

    return VERSION


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="summarize",
        description="Write a consensus summary of several news articles in which every sentence "
        "is footnoted and every quote and number is checked against the article it cites.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action=_Version)
    p.add_argument(
        "--print-completion",
        action=_Completion,
        choices=SHELLS,
        metavar="SHELL",
        help=f"print a completion script for {', '.join(SHELLS)} and exit",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="article files, directories, URLs, or -"
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the result here, not stdout; .json means --format json, .html html",
    )
    p.add_argument(
        "--format",
        choices=("markdown", "json", "html"),
        help="default: from -o's extension, else markdown",
    )
    p.add_argument(
        "--include-text",
        action="store_true",
        help="with --format json: add each article's text (sources[].text) as the spans index it",
    )
    p.add_argument(
        "--stdin-id",
        default="stdin",
        metavar="ID",
        help="the id of the article read from - (default stdin); a replay matches on ids",
    )
    add_settings_options(
        p,
        concurrency="never more than N requests in flight (default: adapts to the server)",
        batch_api="send the requests through OpenAI's Batch API: half the price, answers "
        "within 24 h; an interrupted run resumes its batches when run again",
    )
    p.add_argument("--strict", action="store_true", help="exit 3 if anything was rejected")
    p.add_argument("--usage", action="store_true", help="print calls and tokens on stderr")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def add_settings_options(p: argparse.ArgumentParser, *, concurrency: str, batch_api: str) -> None:
    """The options that become Settings, for `summarize` and `summarize batch` alike. None of
    them has a default of its own: an option left out is not passed (see given_settings), so
    Settings alone holds the defaults."""
    p.add_argument("-m", "--model", help=f"default: {ENV_MODEL} or {DEFAULT_MODEL}")
    p.add_argument(
        "--base-url", help="any OpenAI-compatible endpoint; default: OPENAI_BASE_URL or OpenAI"
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        help=f"how to ask for JSON; default: {ENV_MODE} or {DEFAULT_MODE} (see README)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"per request (default {Settings.default('timeout'):g})",
    )
    p.add_argument("--replay", metavar="DIR", help="answer from recordings under DIR, offline")
    p.add_argument("--record", metavar="DIR", help="record every exchange into DIR")
    p.add_argument("--cache-dir", metavar="DIR", help="default: SUMMARIZE_CACHE_DIR or user cache")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument(
        "--concurrency",
        type=_positive,
        metavar="N",
        help=concurrency,
    )
    p.add_argument(
        "--max-article-chars",
        type=_positive,
        metavar="N",
        help="longest article accepted, in characters "
        f"(default {Settings.default('max_article_chars')}); long ones are read in windows",
    )
    p.add_argument(
        "--window-chars",
        type=_positive,
        metavar="N",
        help="read longer articles in overlapping windows of N characters "
        f"(default {Settings.default('window_chars')})",
    )
    p.add_argument(
        "--context-tokens",
        type=_positive,
        metavar="N",
        help="the model's context window in tokens (default: known per model, else 8192); "
        "claims that do not fit one compose call are composed in groups and merged",
    )
    p.add_argument(
        "--batch-api",
        action="store_true",
        default=None,
        help=batch_api,
    )


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings keywords the user gave on the command line, and only those."""
    given = {
        "model": args.model,
        "mode": args.mode,
        "base_url": args.base_url,
        "timeout": args.timeout,
        "replay_dir": args.replay,
        "record_dir": args.record,
        "cache_dir": args.cache_dir,
        "use_cache": False if args.no_cache else None,
        "concurrency": args.concurrency,
        "max_article_chars": args.max_article_chars,
        "window_chars": args.window_chars,
        "context_tokens": args.context_tokens,
        "batch_api": args.batch_api,
    }
    return {name: value for name, value in given.items() if value is not None}


SUBCOMMANDS: dict[str, str] = {
    "batch": "summarize.batch:main",
    "check": "summarize.cli_check:main",
}
"""Subcommand name -> "module:function" taking the remaining argv and returning an exit code;
imported only when used. `summarize PATH...` (no subcommand) summarizes; a path that happens
to be named like a subcommand is given as ./NAME."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        from importlib import import_module

        module, _, function = SUBCOMMANDS[argv[0]].partition(":")
        return int(getattr(import_module(module), function)(argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.include_text and _format(args) != "json":
        parser.error("--include-text needs --format json (the HTML report always has the texts)")
    try:
        return _run(args)
    except KeyboardInterrupt:
        kept = "" if args.no_cache else "; finished work is cached"
        print(f"summarize: interrupted{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _failed(exc, args)


def _failed(exc: Exception, args: argparse.Namespace) -> int:
    """One redacted line on stderr (after the traceback with --debug); the exit code for exc."""
    from summarize.errors import (
        ConfigError,
        ModelError,
        SummarizeError,
        describe,
        one_line,
        print_traceback,
    )

    if args.debug:
        print_traceback()
    if isinstance(exc, SummarizeError):
        _say(f"{one_line(str(exc))}{_hint(args, exc)}")
    else:
        hint = "" if args.debug else " (run with --debug for the traceback)"
        _say(f"internal error: {describe(exc)}{hint}")
        return EXIT_ERROR
    if isinstance(exc, ModelError):
        return EXIT_MODEL
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    from summarize.api import Summarizer
    from summarize.errors import ConfigError, OutputError, one_line
    from summarize.fetch import is_url
    from summarize.paths import check_not_an_input
    from summarize.sources import load_sources

    output = Path(args.output) if args.output else None
    fmt = _format(args)
    if output is not None:
        _check_writable(output)
        stdin_fd = _stdin_fd() if "-" in args.paths else None
        files = [p for p in args.paths if not is_url(p)]
        check_not_an_input(output, files, stdin_fd=stdin_fd)
    warnings.simplefilter("default")
    warnings.showwarning = warning_printer("summarize")
    summarizer = Summarizer(**given_settings(args))
    max_chars = summarizer.settings.max_article_chars
    inputs = [p if p == "-" or is_url(p) else Path(p) for p in args.paths]
    sources = load_sources(inputs, max_chars=max_chars, stdin_id=args.stdin_id)
    if summarizer.settings.needs_key():
        raise ConfigError(NO_KEY)
    for source in sources:
        for warning in source.warnings:
            _say(f"warning: {source.path or source.url or source.id}: {warning}")
    if len(sources) == 1:
        _say(
            "note: only one article: nothing can be consensus, so every point will be "
            "reported by one source only"
        )
    # a Batch API run waits for hours: its batch ids belong in any log, not only on a terminal
    show_progress = not args.quiet and (sys.stderr.isatty() or args.batch_api)
    progress = (lambda line: print(line, file=sys.stderr)) if show_progress else None
    summary = summarizer.run(sources, progress=progress)

    if fmt == "json":
        text = summary.to_json(include_text=args.include_text)
    else:
        text = getattr(summary, f"to_{fmt}")()
    text = text if text.endswith("\n") else text + "\n"
    if output is not None:
        try:
            output.write_text(text, "utf-8")
        except OSError as exc:
            raise OutputError(f"{output}: cannot write output ({exc.strerror})") from None
    else:
        sys.stdout.write(text)
    for error in summary.errors:
        where = f"{error.path}: " if error.path else ""  # the message starts with the id
        _say(f"{where}{one_line(error.error)}{_hint(args, error.error)}")
    if args.record and summary.usage.calls == 0:
        _say(
            f"note: nothing recorded in {args.record}: every answer came from the cache "
            "(run again with --no-cache to record them)"
        )
    if args.usage:
        _say(summary.usage.line())
    if summary.errors:
        return EXIT_MODEL
    if not summary.claims:
        _say("no claim could be verified; nothing to summarize")
        return EXIT_EMPTY
    if args.strict and summary.left_out:
        _say(f"--strict: {len(summary.left_out)} item(s) rejected")
        return EXIT_REJECTED
    return EXIT_OK


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno() if sys.stdin is not None else None
    except (AttributeError, OSError, ValueError):  # replaced by a test, or closed
        return None


def _hint(args: argparse.Namespace, error: object) -> str:
    """What the CLI user can do about an error the API reports in its own terms."""
    if "no recording" not in str(error):
        return ""
    if args.replay and "-" in args.paths and args.stdin_id == "stdin":
        return (
            " (a recording matches an article by its id, and standard input's is 'stdin': "
            "give the recorded id with --stdin-id ID)"
        )
    return " (on the command line: --record DIR)"


def _say(line: str) -> None:
    print(f"summarize: {line}", file=sys.stderr)


def _format(args: argparse.Namespace) -> str:
    """--format, else the format -o's extension names (.json, .md, .html), else markdown."""
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return FORMATS.get(suffix, "markdown")


def _check_writable(path: Path) -> None:
    """Fail before any tokens are spent if the result could not be saved."""
    from summarize.errors import OutputError

    parent = path.parent
    if path.is_dir():
        raise OutputError(f"{path}: cannot write output (it is a directory)")
    if not parent.exists():
        raise OutputError(f"{path}: cannot write output (the folder {parent} does not exist)")
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write output ({parent} is a file, not a folder)")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: cannot write output (permission denied)")


def warning_printer(prog: str) -> Callable[..., None]:
    """A `warnings.showwarning` that prints one line naming the command."""

    def show(message: Warning | str, *_: object, **__: object) -> None:
        print(f"{prog}: warning: {message}", file=sys.stderr)

    return show


def entry() -> NoReturn:
    """The process's entry point (console script, `python -m summarize`): `main`, then exit
    without the interpreter's final garbage collection over openai's, instructor's and
    pydantic's object graph, which took 1-1.7 s on the bench machine. By then the output is
    written and the client and cache are closed; the memory goes back with the process."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
