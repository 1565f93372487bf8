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

from summarize.budget import (
    compose_within_budget,
    context_window,
    expected_compose_tokens,
    prompt_budget,
    window_chars_for,
)
from summarize.compose import Composition
from summarize.errors import ConfigError, ModelError
from summarize.extract import ArticleResult
from summarize.llm import LLM
from summarize.models import ArticleError, Source
from summarize.report import Summary
from summarize.settings import NO_KEY, Settings
from summarize.sources import load_sources
from summarize.windows import extract_windowed, window_count

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
        transport = self.transport
        if self.settings.batch_api:
            from summarize.batchapi import for_run, wide_limiter

            transport = for_run(self.settings, transport, progress)
        llm = LLM(self.settings, transport=transport)
        if self.settings.batch_api:
            llm.limiter = wide_limiter()
        try:
            sources = load_sources(inputs, max_chars=self.settings.max_article_chars)
            if self.transport is None and self.settings.needs_key():
                raise ConfigError(NO_KEY)
        except BaseException:
            await llm.aclose()
            raise
        context = context_window(self.settings.model, self.settings.context_tokens)
        window_chars = window_chars_for(context, self.settings.window_chars)
        done, calls = 0, window_count(sources, window_chars)
        if progress is not None:
            expected, budget = (
                expected_compose_tokens(sources, window_chars),
                prompt_budget(context),
            )
            if expected > budget:
                progress(
                    f"expect ~{expected:,} tokens of claims, over the {budget:,}-token compose "
                    f"budget of a {context:,}-token window: composing in groups"
                )

        def report(result: ArticleResult) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(_progress_line(done, calls, result))

        try:
            results = await extract_windowed(
                llm, sources, window_chars=window_chars, on_done=report
            )
            claims = [c for r in results for c in r.claims]
            failed = [r.error for r in results if r.error is not None]
            if not claims and failed:
                raise ModelError(f"no article could be processed; first error: {failed[0].error}")
            errors = failed + [r.repair_error for r in results if r.repair_error is not None]
            if claims:
                try:
                    composition = await compose_within_budget(
                        llm,
                        claims,
                        sources,
                        context_tokens=context,
                        progress=progress,
                    )
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
            rejections=[x for r in results for x in r.rejections] + composition.rejections,
            errors=errors + composition.errors,
            usage=llm.usage,
        )


COMPOSE_FAILED = "Verified claims by source (the summary could not be written)"


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
    if result.error is not None:  # its message starts with the id already
        return head + "failed: " + result.error.error.removeprefix(f"{result.source.id}: ")
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
