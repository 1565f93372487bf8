"""One repair re-ask, the same for claims (extract) and sentences (compose).

Both stages do the same thing with what fails their checks: send every failure with its
diagnosis in one request, read the model's answer by number, check each fix again with the
stage's own check, and say what became of each failure: repaired, still failing, withdrawn by
the model, or not repaired (the model skipped it, or the request failed). Each stage keeps only
what differs: the prompt and its listing, the check, and what it records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from summarize.errors import ModelError
from summarize.llm import LLM
from summarize.models import ClaimRepairs, SentenceRepairs
from summarize.prompts import Prompt

Fixed = TypeVar("Fixed")
"""What a passing repair becomes: a verified claim, a checked sentence."""


@dataclass
class Repaired(Generic[Fixed]):
    """What one failure became: `result` when its repair passed every check, else None and
    `reason`, in plain words, for the rejection."""

    result: Fixed | None
    reason: str = ""


async def repair_once(
    llm: LLM,
    schema: type[ClaimRepairs] | type[SentenceRepairs],
    prompt: Prompt,
    values: dict[str, str],
    *,
    label: str,
    diagnoses: Sequence[str],
    recheck: Callable[[int, object], tuple[Fixed | None, str]],
) -> tuple[list[Repaired[Fixed]], ModelError | None]:
    """Ask once for repairs of the failures numbered 1..n (`diagnoses`, for people); check
    each fix with `recheck(number, fix)` -> (result, problems). A failed request is returned,
    not raised: the failures it held are reported as not repaired and the run goes on."""
    llm.usage.repairs += 1
    try:
        answer = await llm.create(
            schema, prompt.render(**values), prompt_key=prompt.key, label=label, urgent=True
        )
        fixes, error = {r.number: r.fix for r in answer.repairs}, None
    except ModelError as exc:
        fixes, error = {}, exc
    outcomes: list[Repaired[Fixed]] = []
    for number, diagnosis in enumerate(diagnoses, 1):
        if number not in fixes:
            why = f" (the repair request failed: {error})" if error else ""
            outcomes.append(Repaired(None, f"not repaired: {diagnosis}{why}"))
        elif (fix := fixes[number]) is None:
            outcomes.append(Repaired(None, f"withdrawn by the model on repair: {diagnosis}"))
        else:
            result, problems = recheck(number, fix)
            reason = "" if result is not None else f"still failing after repair: {problems}"
            outcomes.append(Repaired(result, reason))
    return outcomes, error
