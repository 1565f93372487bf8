"""Fakes for stage tests: a queued stand-in for summarize.llm.LLM and claim builders."""

from __future__ import annotations

import asyncio
from typing import Any

from summarize.models import Claim, ClaimKind, Evidence, Source, Usage
from summarize.sources import source_from_text


class QueuedLLM:
    """Answers create() from a queue (dicts are validated, exceptions raised); records calls."""

    def __init__(self, *answers: Any, latency: float = 0.0) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []
        self.usage = Usage()
        self.latency = latency
        self.in_flight = 0
        self.max_in_flight = 0

    async def create(self, answer_type, messages, *, prompt_key, label, urgent=False):
        self.calls.append(
            {
                "model": answer_type,
                "messages": messages,
                "prompt_key": prompt_key,
                "label": label,
                "urgent": urgent,
            }
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        answer = self.answers.pop(0)
        if callable(answer) and not isinstance(answer, dict):
            answer = answer(messages)
        if isinstance(answer, Exception):
            raise answer
        self.usage.calls += 1
        return answer_type.model_validate(answer)

    async def aclose(self) -> None:
        pass


def source(source_id: str, text: str) -> Source:
    return source_from_text(text, source_id)


def claim(
    claim_id: str, src: Source, statement: str, *quotes: str, kind: ClaimKind = ClaimKind.FACT
) -> Claim:
    """A verified claim whose evidence spans are located in the source text."""
    evidence = []
    for q in quotes:
        start = src.text.index(q)
        evidence.append(Evidence(quote=q, start=start, end=start + len(q), cited=q, match="exact"))
    return Claim(id=claim_id, source_id=src.id, statement=statement, kind=kind, evidence=evidence)
