"""Every exception summarize raises on purpose, in one tree.

    SummarizeError                  base: str(error) is one line fit for a user
    ├── InputError                  an article could not be read (names the file)
    │   ├── SourceNotFound          the path does not exist
    │   ├── EmptySource             the file holds no text
    │   ├── BinarySource            the file is not text
    │   ├── NoArticles              a directory holds no .txt, .md or .html file
    │   └── SourceTooLong           the article exceeds the model's context budget
    ├── ConfigError                 a setting is invalid, or no key and no endpoint
    │   └── PromptError             a prompt file is missing, malformed or mis-versioned
    ├── CacheError                  the cache directory cannot be created or written
    ├── OutputError                 the output file cannot be written
    └── ModelError                  the model could not give a usable answer
        ├── ModelAPIError           HTTP errors, timeouts, dropped connections (after retries)
        ├── ReplayMissError         --replay has no recording for a request
        ├── TruncatedResponse       finish_reason == "length"
        ├── RefusedResponse         the model refused
        ├── UnparseableResponse     output still invalid after instructor's re-asks
        └── MalformedResponse       not a chat completion: not JSON, wrong shape, too large

The CLI maps InputError, CacheError and OutputError to exit 1, ConfigError to exit 2 and
ModelError to exit 4, whether or not --debug is given; --debug only adds the traceback.
"""

from __future__ import annotations

import re


class SummarizeError(Exception):
    """Base class: the message is a single line a user can act on."""


class InputError(SummarizeError):
    """An article could not be read; the message starts with its path."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class SourceNotFound(InputError):
    pass


class EmptySource(InputError):
    pass


class BinarySource(InputError):
    pass


class NoArticles(InputError):
    pass


class SourceTooLong(InputError):
    pass


class ConfigError(SummarizeError):
    pass


class PromptError(ConfigError):
    pass


class CacheError(SummarizeError):
    pass


class OutputError(SummarizeError):
    pass


class ModelError(SummarizeError):
    pass


class ModelAPIError(ModelError):
    pass


class ReplayMissError(ModelError):
    pass


class TruncatedResponse(ModelError):
    pass


class RefusedResponse(ModelError):
    pass


class UnparseableResponse(ModelError):
    pass


class MalformedResponse(ModelError):
    pass


def one_line(text: str, limit: int = 400) -> str:
    """A message fit for one stderr line: whitespace collapsed, anything key-like redacted
    (the API key itself, sk-... and Bearer tokens), at most `limit` characters."""
    import os

    line = redact(" ".join(text.split()), os.environ.get("OPENAI_API_KEY"))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """An unexpected exception as one safe line: its type and message, never its repr (a
    repr can hold a whole request, headers included)."""
    return one_line(f"{type(exc).__name__}: {exc}")


def print_traceback() -> None:
    """The exception being handled, as a traceback on stderr (--debug), redacted like a line."""
    import os
    import sys
    import traceback

    sys.stderr.write(redact(traceback.format_exc(), os.environ.get("OPENAI_API_KEY")))


_SECRET = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}|\b[Bb]earer\s+\S+")


def redact(text: str, key: str | None = None) -> str:
    """`text` with the API key, and anything shaped like a key or a bearer token, removed."""
    if key and len(key) >= 4:
        text = text.replace(key, "[redacted]")
    return _SECRET.sub("[redacted]", text)
