"""Compose within the model's context window: one call when the claims fit, groups when not.

The compose prompt grows with the verified claims (about 414k tokens for 1,000 articles), so
before composing the prompt is estimated against the window (`Settings.context_tokens`, or
the model's known window). When it does not fit, the claims are grouped by what they say
(claims that share a distinctive word, whichever source made them, stay together, so
agreement across sources is seen in one call), each group is composed and checked by
`compose.compose` exactly as a single call would be, and one more call merges the groups'
checked sentences. Each merged sentence cites the partial sentences it rests on; it is then
checked by the same `SentenceChecker`, against every claim and source of the run, with the
claims of those partial sentences as its citations. A merged sentence that fails is replaced
by the checked partial sentences it cited, and the replacement is reported.

Token counts are estimates: UTF-8 bytes / 3, which errs on the safe side for English (about
4 characters a token) and for other scripts (more bytes a character, fewer characters a token).
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from summarize.compose import (
    Composition,
    Place,
    SentenceChecker,
    checked_title,
    claims_listing,
    compose,
    drafted,
    place_by_support,
    removals,
)
from summarize.conflicts import quantity_conflicts
from summarize.llm import LLM
from summarize.models import (
    Claim,
    ComposedSentence,
    ComposedSummary,
    Conflict,
    Rejection,
    Sentence,
    Source,
)
from summarize.prompts import load_prompt
from summarize.words import common_words, content_words

CONTEXT_WINDOWS = {
    "gpt-4.1": 1_047_576,
    "gpt-5": 400_000,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
}
"""Context windows in tokens of known hosted models, by name prefix (the longest one wins)."""
UNKNOWN_CONTEXT = 8_192
"""For any other model: local servers often run with small windows (Ollama's default is a few
thousand tokens) and cut what does not fit without an error, so assume little; set
`--context-tokens` to what your server is configured for."""
ANSWER_RESERVE = 8_192
"""Tokens kept free for the answer (at most a quarter of the window)."""
REPAIR_HEADROOM = 0.75
"""A prompt may fill this share of the room: the repair re-ask resends it with the failures."""
MIN_CONTEXT = 4_096


def estimate_tokens(text: str) -> int:
    """A safe-side token estimate: UTF-8 bytes / 3."""
    return math.ceil(len(text.encode("utf-8", "surrogatepass")) / 3)


def context_window(model: str, configured: int | None = None) -> int:
    """The window to plan for: the configured one, else the model's known one, else small."""
    if configured is not None:
        return configured
    name = model.rsplit("/", 1)[-1].lower()  # "openai/gpt-4o" on a router
    known = [prefix for prefix in CONTEXT_WINDOWS if name.startswith(prefix)]
    return CONTEXT_WINDOWS[max(known, key=len)] if known else UNKNOWN_CONTEXT


def prompt_budget(context: int) -> int:
    """Tokens a compose or merge prompt may take in a window of `context` tokens."""
    room = context - min(ANSWER_RESERVE, context // 4)
    return int(room * REPAIR_HEADROOM) - _schema_tokens()


def window_chars_for(context: int, configured: int) -> int:
    """The extraction window in characters: the configured one, made smaller if one window
    (at the safe-side 3 bytes a token, plus the prompt and the answer) would not fit."""
    return max(1_000, min(configured, prompt_budget(context) * 3 - 2_000))


def compose_tokens(claims: list[Claim], sources: list[Source]) -> int:
    """Estimated tokens of the single compose prompt for these claims."""
    prompt = load_prompt("compose")
    used = [s for s in sources if any(c.source_id == s.id for c in claims)]
    messages = prompt.render(source_count=str(len(used)), claims=claims_listing(claims, used))
    return sum(estimate_tokens(m["content"]) + 4 for m in messages)


def expected_compose_tokens(sources: list[Source], window_chars: int) -> int:
    """Before extraction: a safe-side guess at the compose prompt, from the articles alone.

    A claim's line holds its statement and its verbatim evidence, so the listing is at most
    about twice the article; and an extraction call returns at most 12 claims (about 90
    tokens each) per window."""
    total = compose_tokens([], [])
    for s in sources:
        windows = math.ceil(len(s.text) / window_chars)
        total += min(2 * estimate_tokens(s.text), 12 * 90 * windows)
    return total


@functools.cache
def _schema_tokens() -> int:
    """Tokens of the compose schema, which is the same on every call (pydantic builds it anew
    each time it is asked, ~1 ms twice a run)."""
    return estimate_tokens(json.dumps(ComposedSummary.model_json_schema()))


# --------------------------------------------------------------------------- grouping


def group_claims(claims: list[Claim], sources: list[Source], budget: int) -> list[list[Claim]]:
    """Claims in groups whose compose prompt fits `budget` tokens, grouped by what they say.

    Each claim is filed under its anchor: of its content words outside the story's common
    vocabulary, the one the most sources use (ties: alphabetical). Claims from different
    sources about the same thing share that word and so an anchor. Anchors are packed whole
    into groups, largest first, each into the first group with room (an anchor too large for
    one group is split); claims with no word shared by another source come last.
    """
    overhead = compose_tokens([], sources) + 16  # + the source count's digits, rounding
    room = max(budget - overhead, 1)
    common = common_words([c.statement for c in claims])
    words = {c.id: content_words(c.statement) - common for c in claims}
    reach: dict[str, set[str]] = defaultdict(set)
    for c in claims:
        for w in words[c.id]:
            reach[w].add(c.source_id)
    anchored: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        shared = [w for w in words[c.id] if len(reach[w]) > 1]
        anchor = min(shared, key=lambda w: (-len(reach[w]), w)) if shared else ""
        anchored[anchor].append(c)
    cost = {c.id: estimate_tokens(claims_listing([c], sources)) + 1 for c in claims}

    packs: list[tuple[int, list[Claim]]] = []  # (tokens used, claims)
    alone = anchored.pop("", [])
    order = sorted(anchored.items(), key=lambda kv: (-sum(cost[c.id] for c in kv[1]), kv[0]))
    for chunk in [chunk for _, group in order for chunk in _chunks(group, cost, room)] + (
        _chunks(alone, cost, room)
    ):
        size = sum(cost[c.id] for c in chunk)
        for i, (used, members) in enumerate(packs):
            if used + size <= room:
                packs[i] = (used + size, members + chunk)
                break
        else:
            packs.append((size, chunk))
    position = {c.id: i for i, c in enumerate(claims)}
    return [sorted(members, key=lambda c: position[c.id]) for _, members in packs]


def _chunks(group: list[Claim], cost: dict[str, int], room: int) -> list[list[Claim]]:
    chunks: list[list[Claim]] = [[]]
    used = 0
    for c in group:
        if chunks[-1] and used + cost[c.id] > room:
            chunks.append([])
            used = 0
        chunks[-1].append(c)
        used += cost[c.id]
    return [chunk for chunk in chunks if chunk]


# --------------------------------------------------------------------------- composing


@dataclass
class _Partial:
    """A checked sentence of one group's summary, as the merge call sees it."""

    id: str
    sentence: Sentence
    claim_ids: list[str] = field(default_factory=list)


async def compose_within_budget(
    llm: LLM,
    claims: list[Claim],
    sources: list[Source],
    *,
    context_tokens: int,
    progress: Callable[[str], None] | None = None,
) -> Composition:
    """compose() when the prompt fits the window; otherwise grouped compose, then merge."""
    budget = prompt_budget(context_tokens)
    needed = compose_tokens(claims, sources)
    if needed <= budget:
        if progress is not None:
            progress(f"composing from {len(claims)} verified claims")
        return await compose(llm, claims, sources)
    groups = group_claims(claims, sources, budget)
    if progress is not None:
        progress(
            f"composing from {len(claims)} verified claims in {len(groups)} groups "
            f"(~{needed:,} tokens, over the {budget:,}-token budget of a "
            f"{context_tokens:,}-token window), then merging"
        )

    async def one(group: list[Claim]) -> Composition:  # the LLM's limiter bounds the requests
        ids = {c.source_id for c in group}
        return await compose(llm, group, [s for s in sources if s.id in ids])

    parts = await asyncio.gather(*(one(g) for g in groups))
    return await _merge(llm, list(parts), claims, sources, budget)


async def _merge(
    llm: LLM, parts: list[Composition], claims: list[Claim], sources: list[Source], budget: int
) -> Composition:
    """One call merges the groups' checked sentences; every merged sentence is checked again."""
    partials = [
        _Partial(f"s{n}", s, list(dict.fromkeys(c.claim_id for c in s.citations)))
        for n, s in enumerate((s for part in parts for s in part.sentences), 1)
    ]
    listed = _fitting(partials, budget, len(sources))
    prompt = load_prompt("merge")
    messages = prompt.render(source_count=str(len(sources)), sentences=_listing(listed))
    draft = await llm.create(
        ComposedSummary, messages, prompt_key=prompt.key, label="merge", urgent=True
    )

    checker = SentenceChecker(claims, sources)
    title, title_problem = checked_title(draft.title, claims, sources, checker.is_common)
    result = Composition(title=title)
    result.rejections = [r for part in parts for r in part.rejections]
    result.errors = [e for part in parts for e in part.errors]  # failed repair calls
    if title_problem:
        result.rejections.append(
            Rejection(
                stage="compose", outcome="title replaced", item=draft.title, reason=title_problem
            )
        )
    by_id = {p.id: p for p in partials}
    used: set[str] = set()
    for text, place in drafted(draft):
        cited = [by_id[i] for i in dict.fromkeys(text.claim_ids) if i in by_id]
        unknown = [i for i in text.claim_ids if i not in by_id]
        expanded = ComposedSentence(
            text=text.text, claim_ids=[c for p in cited for c in p.claim_ids] + unknown
        )
        verdict = checker.check(expanded, place)
        if verdict.sentence is not None and not unknown:
            result.sentences.append(verdict.sentence)
            result.rejections += removals(verdict)
            used.update(p.id for p in cited)
            continue
        fresh = [p for p in cited if p.id not in used]
        used.update(p.id for p in fresh)
        kept = [s for p in fresh if (s := _recheck(checker, p, place)) is not None]
        result.sentences += kept
        shown = f"; its {len(kept)} checked source sentence(s) are shown instead" if kept else ""
        result.rejections.append(
            _note(text.text, "merged sentence failed the check: " + verdict.reasons() + shown)
        )
    place_by_support(result.sentences, last=max(len(draft.paragraphs) - 1, 0))
    result.conflicts = _conflicts(parts, claims, checker)
    return result


def _fitting(partials: list[_Partial], budget: int, source_count: int) -> list[_Partial]:
    """The partial sentences the merge prompt can hold: all of them when they fit, else the
    best supported first (every claim stays in the JSON output; the summary is a summary)."""
    prompt = load_prompt("merge")
    overhead = sum(
        estimate_tokens(m["content"])
        for m in prompt.render(source_count=str(source_count), sentences="")
    )
    ranked = sorted(partials, key=lambda p: -p.sentence.support)
    kept, used = [], overhead
    for p in ranked:
        cost = estimate_tokens(_listing([p])) + 1
        if used + cost > budget:
            continue
        kept.append(p)
        used += cost
    order = {p.id: i for i, p in enumerate(partials)}
    return sorted(kept, key=lambda p: order[p.id])


PARTIAL_LINE = re.compile(r"^(?P<id>s\d+) \| (?P<support>\d+) \| (?P<sentence>.+)$", re.MULTILINE)
"""Reads back the lines of the merge listing: a group's sentence id, its support, its text."""


def _listing(partials: list[_Partial]) -> str:
    """The merge prompt's view of the groups' checked sentences, one per line."""
    return "\n".join(
        f"{p.id} | {p.sentence.support} | {' '.join(p.sentence.text.split())}" for p in partials
    )


def _recheck(checker: SentenceChecker, partial: _Partial, place: Place) -> Sentence | None:
    """A group's sentence checked again against the whole run's claims."""
    draft = ComposedSentence(text=partial.sentence.text, claim_ids=partial.claim_ids)
    sentence = checker.check(draft, place).sentence
    if sentence is not None:
        sentence.repaired = partial.sentence.repaired
    return sentence


def _conflicts(
    parts: list[Composition], claims: list[Claim], checker: SentenceChecker
) -> list[Conflict]:
    """Quantity conflicts detected over all claims, then the groups' other checked conflicts."""
    found = quantity_conflicts(claims, checker.decimals)
    seen = [frozenset(c.claim_id for p in x.positions for c in p.citations) for x in found]
    for part in parts:
        for conflict in part.conflicts:
            ids = frozenset(c.claim_id for p in conflict.positions for c in p.citations)
            if conflict.kind != "quantity" and ids not in seen:
                found.append(conflict)
                seen.append(ids)
    return found


def _note(item: str, reason: str) -> Rejection:
    return Rejection(stage="compose", item=item, reason=reason)
