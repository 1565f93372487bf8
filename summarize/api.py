"""The Python API: `summarize()` for the common case, `Summarizer` for the rest.

summary = summarize(["a.txt", "b.txt"])                 # settings from keywords
summarizer = Summarizer(Settings(model="llama3.1", base_url="http://localhost:11434/v1",
                                 mode="json_schema"))
summary = await summarizer.arun(["a.txt", "b.txt"])
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from summarize.compose import Composition, compose
from summarize.errors import ConfigError, ModelError
from summarize.extract import ArticleResult, extract_all
from summarize.limits import MAX_COMPOSE_CHARS
from summarize.llm import LLM
from summarize.models import ArticleError, Claim, Rejection, Source, Summary
from summarize.settings import NO_KEY, Settings
from summarize.sources import load_sources

if TYPE_CHECKING:
    import httpx2

Inputs = str | os.PathLike[str] | Source | Iterable[str | os.PathLike[str] | Source]
T = TypeVar("T")


class Summarizer:
    """A configured pipeline: sources → extract → verify → compose → check → Summary."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        base = settings or Settings()
        self.settings = Settings.from_kwargs(**{**_as_dict(base), **overrides})
        self.transport = transport

    def run(self, inputs: Inputs, *, progress: Callable[[str], None] | None = None) -> Summary:
        return _run_sync(self.arun(inputs, progress=progress))

    async def arun(
        self, inputs: Inputs, *, progress: Callable[[str], None] | None = None
    ) -> Summary:
        sources = load_sources(inputs, max_chars=self.settings.max_article_chars)
        if self.transport is None and self.settings.needs_key():
            raise ConfigError(NO_KEY)
        llm = LLM(self.settings, transport=self.transport)
        done = 0

        def report(result: ArticleResult) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(_progress_line(done, len(sources), result))

        try:
            results = await extract_all(
                llm, sources, concurrency=self.settings.concurrency, on_done=report
            )
            claims = [c for r in results for c in r.claims]
            failed = [r.error for r in results if r.error is not None]
            if not claims and failed:
                raise ModelError(f"no article could be processed; first error: {failed[0].error}")
            errors = failed + [r.repair_error for r in results if r.repair_error is not None]
            rejections = [x for r in results for x in r.rejections]
            if claims:
                composable, left_out = fit_compose_input(claims)
                rejections += left_out
                if progress is not None:
                    progress(f"composing from {len(composable)} verified claims")
                try:
                    composition = await compose(llm, composable, sources)
                except ModelError as exc:  # what was verified is still emitted, by source
                    composition = Composition(title=COMPOSE_FAILED)
                    errors.append(ArticleError(error=str(exc), stage="compose"))
            else:
                composition = Composition(title="No claim survived verification")
        finally:
            await llm.aclose()
        return Summary(
            title=composition.title,
            sentences=composition.sentences,
            conflicts=composition.conflicts,
            sources=sources,
            claims=claims,
            rejections=rejections + composition.rejections,
            errors=errors + composition.errors,
            usage=llm.usage,
        )


COMPOSE_FAILED = "Verified claims by source (the summary could not be written)"


def fit_compose_input(claims: list[Claim]) -> tuple[list[Claim], list[Rejection]]:
    """The claims that fit MAX_COMPOSE_CHARS, taken round-robin across sources (each source's
    claims come most important first), and a Rejection for each claim left out."""
    by_source: dict[str, list[Claim]] = {}
    for claim in claims:
        by_source.setdefault(claim.source_id, []).append(claim)
    kept: set[str] = set()
    used = 0
    for rank in range(max(map(len, by_source.values()), default=0)):
        for own in by_source.values():
            if rank < len(own):
                claim = own[rank]
                size = len(claim.statement) + sum(len(e.quote) for e in claim.evidence) + 40
                if used + size <= MAX_COMPOSE_CHARS:
                    kept.add(claim.id)
                    used += size
    left_out = [
        Rejection(
            stage="compose",
            source_id=c.source_id,
            item=c.statement,
            reason=f"verified, but not sent to the composer: the claims exceed the compose "
            f"input limit of {MAX_COMPOSE_CHARS:,} characters",
        )
        for c in claims
        if c.id not in kept
    ]
    return [c for c in claims if c.id in kept], left_out


def summarize(inputs: Inputs, **settings: Any) -> Summary:
    """Summarize articles (paths, directories, texts or Sources) with settings as keywords."""
    return Summarizer(**settings).run(inputs)


async def asummarize(inputs: Inputs, **settings: Any) -> Summary:
    """The async twin of `summarize()`."""
    return await Summarizer(**settings).arun(inputs)


def _as_dict(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in Settings.__dataclass_fields__}


def _progress_line(done: int, total: int, result: ArticleResult) -> str:
    head = f"[{done}/{total}] {result.source.id}: "
    if result.error is not None:
        return head + "failed: " + result.error.error
    return head + f"{len(result.claims)} claims verified, {len(result.rejections)} rejected"


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, also from inside a running loop (a notebook) by using a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
