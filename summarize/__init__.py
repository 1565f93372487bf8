"""summarize: consensus summaries of news coverage in which every quote and number is verified.

    >>> import summarize
    >>> result = summarize.summarize(["a.txt", "b.txt"], model="gpt-4.1-mini")
    >>> print(result.to_markdown())
    >>> print(summarize.check(Path("draft.md"), ["a.txt", "b.txt"]).line())  # no model

Names load on first use, so `import summarize` stays light: openai and instructor are
imported only when a run needs the model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "summarize": "summarize.api",
    "asummarize": "summarize.api",
    "Summarizer": "summarize.api",
    "Settings": "summarize.settings",
    "load_sources": "summarize.sources",
    "check": "summarize.audit",
    "DraftCheck": "summarize.models",
    "verify_quote": "summarize.verify",
    "check_numbers": "summarize.numbers",
    "Summary": "summarize.models",
    "Source": "summarize.models",
    "Claim": "summarize.models",
    "ClaimKind": "summarize.models",
    "Evidence": "summarize.models",
    "Sentence": "summarize.models",
    "Citation": "summarize.models",
    "Conflict": "summarize.models",
    "Rejection": "summarize.models",
    "Usage": "summarize.models",
    "QuoteMatch": "summarize.models",
    "NumberCheck": "summarize.models",
    "SummarizeError": "summarize.errors",
    "InputError": "summarize.errors",
    "ConfigError": "summarize.errors",
    "ModelError": "summarize.errors",
}

__all__ = [
    "Citation",
    "Claim",
    "ClaimKind",
    "ConfigError",
    "Conflict",
    "DraftCheck",
    "Evidence",
    "InputError",
    "ModelError",
    "NumberCheck",
    "QuoteMatch",
    "Rejection",
    "Sentence",
    "Settings",
    "Source",
    "SummarizeError",
    "Summarizer",
    "Summary",
    "Usage",
    "asummarize",
    "check",
    "check_numbers",
    "load_sources",
    "summarize",
    "verify_quote",
]

if TYPE_CHECKING:
    from summarize.api import Summarizer, asummarize, summarize
    from summarize.audit import check
    from summarize.errors import ConfigError, InputError, ModelError, SummarizeError
    from summarize.models import (
        Citation,
        Claim,
        ClaimKind,
        Conflict,
        DraftCheck,
        Evidence,
        NumberCheck,
        QuoteMatch,
        Rejection,
        Sentence,
        Source,
        Summary,
        Usage,
    )
    from summarize.numbers import check_numbers
    from summarize.settings import Settings
    from summarize.sources import load_sources
    from summarize.verify import verify_quote


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
