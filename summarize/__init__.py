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

# Every public name, once: the module that defines it -> the names. `__all__` is derived from
# it, and a test checks that the TYPE_CHECKING imports below (for type checkers) say the same.
_MODULES = {
    "summarize.api": ("Summarizer", "asummarize", "summarize"),
    "summarize.audit": ("check",),
    "summarize.errors": ("ConfigError", "InputError", "ModelError", "SummarizeError"),
    "summarize.models": (
        "Citation",
        "Claim",
        "ClaimKind",
        "Conflict",
        "Evidence",
        "NumberCheck",
        "QuoteMatch",
        "Rejection",
        "Sentence",
        "Source",
        "Usage",
    ),
    "summarize.report": ("DraftCheck", "Summary"),
    "summarize.numbers": ("check_numbers",),
    "summarize.settings": ("Settings",),
    "summarize.sources": ("load_sources",),
    "summarize.verify": ("verify_quote",),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from summarize.api import (
        Summarizer as Summarizer,
        asummarize as asummarize,
        summarize as summarize,
    )
    from summarize.audit import (
        check as check,
    )
    from summarize.errors import (
        ConfigError as ConfigError,
        InputError as InputError,
        ModelError as ModelError,
        SummarizeError as SummarizeError,
    )
    from summarize.models import (
        Citation as Citation,
        Claim as Claim,
        ClaimKind as ClaimKind,
        Conflict as Conflict,
        Evidence as Evidence,
        NumberCheck as NumberCheck,
        QuoteMatch as QuoteMatch,
        Rejection as Rejection,
        Sentence as Sentence,
        Source as Source,
        Usage as Usage,
    )
    from summarize.numbers import (
        check_numbers as check_numbers,
    )
    from summarize.report import (
        DraftCheck as DraftCheck,
        Summary as Summary,
    )
    from summarize.settings import (
        Settings as Settings,
    )
    from summarize.sources import (
        load_sources as load_sources,
    )
    from summarize.verify import (
        verify_quote as verify_quote,
    )


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read from the package metadata, which costs ~20 ms: on demand
        from summarize.version import VERSION

        return VERSION
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
