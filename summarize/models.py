"""The pydantic types of every stage, in one place.

Three groups: what the model is asked to return (ExtractedClaim, ArticleClaims, ClaimRepairs,
ComposedSummary), what the verifier reports (QuoteMatch, NumberCheck), and the provenance graph
a run produces (Source, Claim, Sentence, Conflict, Rejection, Usage, Summary). The first group's
JSON schemas go out with every call, so they carry no titles or descriptions beyond the tool's
one line: the rules live in the prompts (prompts/*.md), once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# --------------------------------------------------------------------------- model-facing


class ClaimKind(StrEnum):
    FACT = "reported_fact"
    QUOTE = "quote"
    OPINION = "opinion"
    BACKGROUND = "background"


def _lean(node: Any, defs: dict[str, Any], *, top: bool = False, seen: tuple[str, ...] = ()) -> Any:
    """A schema that says only what constrains the answer, since it goes out with every call:
    each $ref replaced by its definition (no $defs block), no titles but the top one (which
    names the tool), no descriptions but the tool's line, no defaults, and an optional field
    that may be null given as its type alone (leaving it out means null). Property names are
    kept even when a property is called "title"."""
    if isinstance(node, list):
        return [_lean(item, defs, seen=seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in seen:
            raise TypeError(f"{name} refers to itself: an answer type must not be recursive")
        return _lean(defs[name], defs, seen=(*seen, name))
    lean: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "description") and not top and isinstance(value, str):
            continue
        if key in ("default", "$defs"):
            continue
        if key == "properties":
            lean[key] = {name: _lean(sub, defs, seen=seen) for name, sub in value.items()}
        else:
            lean[key] = _lean(value, defs, seen=seen)
    options = lean.get("anyOf")
    if "default" in node and node["default"] is None and isinstance(options, list):
        others = [o for o in options if o != {"type": "null"}]
        if len(others) == 1:  # `speaker: str | None = None` -> {"type": "string"}, optional
            del lean["anyOf"]
            lean.update(others[0])
    return lean


class _Asked(BaseModel):
    """Base of what the model is asked to return: its JSON schema goes out with every call."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        schema = super().model_json_schema(*args, **kwargs)
        return _lean(schema, schema.get("$defs", {}), top=True)


class ExtractedClaim(_Asked):
    """A claim and its verbatim evidence."""

    statement: str
    kind: ClaimKind
    speaker: str | None = None
    evidence: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _quote_needs_speaker(self) -> ExtractedClaim:
        if self.kind is ClaimKind.QUOTE and not (self.speaker and self.speaker.strip()):
            raise ValueError("a claim of kind 'quote' must name its speaker")
        return self


class ArticleClaims(_Asked):
    """The article's claims."""

    claims: list[ExtractedClaim] = Field(max_length=12)  # limits.MAX_CLAIMS_PER_ARTICLE


class ClaimRepair(_Asked):
    """What changes in failing claim `number`: the fields given replace the claim's own (the
    evidence as a whole list); `withdraw` drops the claim. Patches keep the answer short."""

    number: int
    withdraw: bool = False
    statement: str | None = None
    kind: ClaimKind | None = None
    speaker: str | None = None
    evidence: list[str] | None = Field(default=None, min_length=1)

    @property
    def fix(self) -> ClaimRepair | None:
        return None if self.withdraw else self

    def applied_to(self, claim: ExtractedClaim) -> ExtractedClaim:
        """`claim` with this repair's fields in place of its own, validated again (raises
        pydantic's ValidationError, e.g. for a quote left without a speaker)."""
        changes = self.model_dump(include={"statement", "kind", "speaker", "evidence"})
        given = {name: value for name, value in changes.items() if value is not None}
        return ExtractedClaim.model_validate(claim.model_dump() | given)


class ClaimRepairs(_Asked):
    """Fixes for the failing claims."""

    repairs: list[ClaimRepair]


class ComposedSentence(_Asked):
    text: str
    claim_ids: list[str]


class ComposedParagraph(_Asked):
    sentences: list[ComposedSentence]


class ComposedPosition(_Asked):
    value: str
    claim_ids: list[str]


class ComposedConflict(_Asked):
    topic: str
    positions: list[ComposedPosition] = Field(min_length=2)


class ComposedSummary(_Asked):
    """The consensus summary."""

    title: str
    paragraphs: list[ComposedParagraph]
    single_source: list[ComposedSentence] = Field(default_factory=list)
    conflicts: list[ComposedConflict] = Field(default_factory=list)


class SentenceRepair(_Asked):
    number: int
    sentence: ComposedSentence | None

    @property
    def fix(self) -> ComposedSentence | None:
        return self.sentence


class SentenceRepairs(_Asked):
    """Fixes for the failing sentences."""

    repairs: list[SentenceRepair]


# --------------------------------------------------------------------------- verifier

MatchKind = Literal["exact", "normalized", "elided", "not_found", "too_short"]


class QuoteMatch(BaseModel):
    """Where a quote stands in its source: source_text[start:end] is the evidence."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    kind: MatchKind
    start: int | None = None
    end: int | None = None
    closest: str | None = Field(
        default=None, description="On a miss: the source passage nearest to the quote."
    )
    closest_start: int | None = None
    closest_end: int | None = None
    differences: list[str] = Field(
        default_factory=list,
        description="On a miss: what differs, e.g. 'quote has “films” where source has “movies”'.",
    )

    @property
    def diagnosis(self) -> str:
        """One paragraph a model can act on and a person can read."""
        if self.ok:
            return f"found ({self.kind}) at characters {self.start}-{self.end}"
        if self.kind == "too_short":
            return self.differences[0]
        if self.closest is None:
            if self.differences:
                return f"not found in the article ({'; '.join(self.differences)})"
            return "not found in the article, and no passage of the article is close to it"
        diffs = "; ".join(self.differences) or "wording differs"
        return f"not found verbatim; closest passage is “{self.closest}” ({diffs})"


class NumberFound(BaseModel):
    """One number in a claim, and the evidence span that backs it (or why none does)."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The number as written in the claim, e.g. '$11.08 billion'.")
    start: int
    end: int
    value: str = Field(description="Its value as a normalized decimal string, e.g. '11080000000'.")
    unit: str | None = Field(default=None, description="'%', 'USD', 'EUR', 'GBP', 'x' or None.")
    matched: str | None = Field(default=None, description="The evidence text it matched.")
    matched_start: int | None = None
    matched_end: int | None = None
    reason: str | None = Field(default=None, description="Why it did not match, on a miss.")


class NumberCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    numbers: list[NumberFound] = Field(default_factory=list)

    @property
    def missing(self) -> list[NumberFound]:
        return [n for n in self.numbers if n.matched is None]

    @property
    def diagnosis(self) -> str:
        if self.ok:
            return "every number is backed by the evidence"
        return "; ".join(f"“{n.text}”: {n.reason}" for n in self.missing)


# --------------------------------------------------------------------------- provenance graph


class Source(BaseModel):
    """One article as read: spans everywhere are Python str indices into `text`."""

    id: str
    path: str | None = None
    url: str | None = Field(default=None, description="Where the article was fetched from.")
    name: str | None = Field(
        default=None, description="What readers recognise: a headline, a site, a file name."
    )
    sha256: str
    text: str = Field(repr=False)
    encoding: str = "utf-8"
    warnings: list[str] = Field(default_factory=list)


class Evidence(BaseModel):
    quote: str = Field(description="The source's own text at [start, end).")
    start: int
    end: int
    cited: str = Field(description="The passage as the model wrote it.")
    match: MatchKind


class Claim(BaseModel):
    id: str
    source_id: str
    statement: str
    kind: ClaimKind
    speaker: str | None = None
    evidence: list[Evidence]
    repaired: bool = False

    def citations(self, evidence: list[Evidence] | None = None) -> list[Citation]:
        """Citations of this claim's evidence: all of it, or the passages given."""
        return [
            Citation(
                source_id=self.source_id, claim_id=self.id, quote=e.quote, start=e.start, end=e.end
            )
            for e in (self.evidence if evidence is None else evidence)
        ]


class Citation(BaseModel):
    source_id: str
    claim_id: str
    quote: str
    start: int
    end: int


Section = Literal["consensus", "single_source"]
"""Where a sentence stands: the consensus paragraphs, or "Reported by one source only"."""


class Sentence(BaseModel):
    text: str
    citations: list[Citation]
    section: Section = "consensus"
    paragraph: int = Field(default=0, description="Its paragraph in the consensus section.")
    support: int = Field(description="How many distinct sources back the sentence.")
    repaired: bool = False


class ConflictPosition(BaseModel):
    value: str
    citations: list[Citation]


class Conflict(BaseModel):
    """Sources that give different values for one thing.

    kind "quantity" and "name" are contradictions; "precision" is a difference of precision
    only (one figure a rounding or a bound of the other: "11 billion" and "11.08 billion",
    "more than $2 billion" and "$2.5 billion"), shown as such, with `note` saying which."""

    topic: str
    kind: Literal["quantity", "name", "precision"]
    positions: list[ConflictPosition]
    note: str = ""


Outcome = Literal["dropped", "citation removed", "title replaced", "conflict refused", "repaired"]


class Rejection(BaseModel):
    """Something the checks took out, what became of it, and why: never emitted quietly.

    outcome "dropped": the claim or sentence is gone; "citation removed": the sentence stays
    but no longer cites `source_id`; "title replaced": a plain title stands instead;
    "conflict refused": the proposed disagreement is not shown; "repaired": this first draft
    failed and the model's repair, which passed every check, stands in its place."""

    stage: Literal["extract", "compose"]
    outcome: Outcome = "dropped"
    source_id: str | None = None
    item: str = Field(description="The claim statement, sentence, title or conflict topic.")
    reason: str = Field(description="Why, in plain words, without internal ids.")
    repair_attempted: bool = False


class ArticleError(BaseModel):
    """A model call that failed: an article's extraction, a repair, or the compose call."""

    source_id: str | None = Field(default=None, description="None for the compose stage.")
    path: str | None = None
    error: str
    stage: Literal["extract", "repair", "compose"] = "extract"


class Usage(BaseModel):
    calls: int = Field(default=0, description="Requests sent to the model API.")
    cache_hits: int = 0
    reasks: int = Field(default=0, description="instructor re-asks for malformed output.")
    repairs: int = Field(default=0, description="Repair re-asks carrying a verifier diagnosis.")
    retries: int = Field(default=0, description="Transport retries (429, 5xx, timeouts).")
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        return (
            f"usage: {self.calls} calls, {self.cache_hits} cache hits, {self.reasks} re-asks, "
            f"{self.repairs} repairs, {self.retries} retries, {self.prompt_tokens} prompt + "
            f"{self.completion_tokens} completion tokens"
        )


class Summary(BaseModel):
    """A finished run: the summary and its whole provenance graph."""

    title: str
    sentences: list[Sentence]
    conflicts: list[Conflict] = Field(default_factory=list)
    sources: list[Source]
    claims: list[Claim]
    rejections: list[Rejection] = Field(default_factory=list)
    errors: list[ArticleError] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)

    @property
    def left_out(self) -> list[Rejection]:
        """What the checks took out for good (every rejection but the repaired drafts)."""
        return [r for r in self.rejections if r.outcome != "repaired"]


# --------------------------------------------------------------------------- draft audit (#15)
# What `summarize check` reports about a draft written elsewhere; built by summarize.audit.

AuditKind = Literal["quotation", "number", "name"]


class Backing(BaseModel):
    """A source passage behind one item of a draft (or, for an unbacked item, the nearest)."""

    source_id: str
    start: int = Field(description="source.text[start:end] is `text`.")
    end: int
    text: str
    match: str | None = Field(
        default=None, description="Quotations: the verifier's match kind (exact, normalized…)."
    )
    quoted_speech: bool | None = Field(
        default=None,
        description="Quotations: inside quotation marks in the source (quoted speech), or the "
        "source's own prose.",
    )
    context: str | None = Field(
        default=None, description="Numbers: the source sentence that states the number."
    )
    shared_words: list[str] = Field(
        default_factory=list,
        description="Numbers: content words the draft sentence shares with that sentence.",
    )


class CheckedItem(BaseModel):
    """One quotation, number or proper name of the draft, and whether a source backs it."""

    kind: AuditKind
    text: str = Field(description="As written in the draft: draft.text[start:end].")
    start: int
    end: int
    sentence: int = Field(description="Index into DraftCheck.sentences.")
    verdict: Literal["backed", "unbacked"]
    backing: list[Backing] = Field(default_factory=list, description="Best first.")
    closest: Backing | None = Field(default=None, description="Unbacked: the nearest passage.")
    diagnosis: str


class DraftSpan(BaseModel):
    start: int
    end: int


class DraftCheck(BaseModel):
    """A draft audited against sources: every quotation, number and name, backed or not."""

    draft: Source
    sources: list[Source]
    sentences: list[DraftSpan]
    items: list[CheckedItem]

    def of_kind(self, kind: AuditKind) -> list[CheckedItem]:
        return [i for i in self.items if i.kind == kind]

    @property
    def unbacked(self) -> list[CheckedItem]:
        return [i for i in self.items if i.verdict == "unbacked"]

    @property
    def ok(self) -> bool:
        return not self.unbacked

    def line(self) -> str:
        """n quotations, n numbers, n names; n unbacked (by kind)."""
        counts = ", ".join(
            f"{len(self.of_kind(k))} {k}{'' if len(self.of_kind(k)) == 1 else 's'}"
            for k in ("quotation", "number", "name")
        )
        unbacked = [i.kind for i in self.unbacked]
        detail = ", ".join(
            f"{unbacked.count(k)} {k}{'' if unbacked.count(k) == 1 else 's'}"
            for k in ("quotation", "number", "name")
            if k in unbacked
        )
        return f"{counts}; {len(unbacked)} unbacked" + (f" ({detail})" if detail else "")
