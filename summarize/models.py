"""The pydantic types of every stage, in one place.

Three groups: what the model is asked to return (ExtractedClaim, ArticleClaims, ClaimRepairs,
ComposedSummary), what the verifier reports (QuoteMatch, NumberCheck), and the provenance graph
a run produces (Source, Claim, Sentence, Conflict, Rejection, Usage, Summary). Field descriptions
of the first group are the model's instructions: instructor sends them as the JSON schema.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# --------------------------------------------------------------------------- model-facing


class ClaimKind(StrEnum):
    FACT = "reported_fact"
    QUOTE = "quote"
    OPINION = "opinion"
    BACKGROUND = "background"


class ExtractedClaim(BaseModel):
    """One claim as the model states it, before the verifier has seen it."""

    statement: str = Field(
        description=(
            "One self-contained sentence in your own words that a reader understands without "
            "the article: name people, organisations and things in full (no 'he', 'it', 'the "
            "company'). Copy every number exactly as the article writes it (never round or "
            "convert). Do not put quotation marks in the statement; quoted words belong in "
            "evidence."
        )
    )
    kind: ClaimKind = Field(
        description=(
            "reported_fact: something the article reports as having happened or being true. "
            "quote: words the article attributes to a named speaker. opinion: the outlet's or "
            "someone's judgement or analysis. background: context not specific to this news."
        )
    )
    speaker: str | None = Field(
        default=None,
        description=(
            "For kind 'quote': the person or body the article says spoke, named as the article "
            "names them. Null for every other kind."
        ),
    )
    evidence: list[str] = Field(
        min_length=1,
        description=(
            "One or more passages copied character for character from the article that support "
            "the statement, each at least five words and at most two sentences. Keep the "
            "article's spelling, typos, capitalisation, punctuation and numbers exactly. Never "
            "correct, translate, shorten inside a passage or join passages from different "
            "paragraphs. Every number in the statement must appear in one of these passages."
        ),
    )

    @model_validator(mode="after")
    def _quote_needs_speaker(self) -> ExtractedClaim:
        if self.kind is ClaimKind.QUOTE and not (self.speaker and self.speaker.strip()):
            raise ValueError("a claim of kind 'quote' must name its speaker")
        return self


class ArticleClaims(BaseModel):
    """Everything one article reports that matters to the story."""

    claims: list[ExtractedClaim] = Field(
        max_length=12,  # summarize.limits.MAX_CLAIMS_PER_ARTICLE
        description=(
            "The article's claims about the story, most important first, at most 12. Skip "
            "navigation, captions, advertisements and site boilerplate."
        ),
    )


class ClaimRepair(BaseModel):
    """The model's answer to one verifier diagnosis."""

    number: int = Field(description="The number of the failing claim, as given in the request.")
    claim: ExtractedClaim | None = Field(
        description=(
            "The corrected claim with every evidence passage copied exactly from the article, "
            "or null to withdraw the claim when the article does not support it."
        )
    )


class ClaimRepairs(BaseModel):
    repairs: list[ClaimRepair] = Field(description="One entry per failing claim, in order.")


class ComposedSentence(BaseModel):
    text: str = Field(
        description=(
            "One sentence of the summary. Numbers exactly as in the cited claims' evidence; any "
            "words in quotation marks copied exactly from a cited claim's evidence."
        )
    )
    claim_ids: list[str] = Field(
        description="The ids of every claim this sentence rests on, and only those (e.g. c3)."
    )


class ComposedParagraph(BaseModel):
    sentences: list[ComposedSentence]


class ComposedPosition(BaseModel):
    value: str = Field(
        description="What these sources say, copied exactly from the cited claims' evidence."
    )
    claim_ids: list[str] = Field(description="The claims that state this value.")


class ComposedConflict(BaseModel):
    topic: str = Field(description="What the sources disagree about, in a few words.")
    positions: list[ComposedPosition] = Field(
        min_length=2, description="Each differing account, with the claims that give it."
    )


class ComposedSummary(BaseModel):
    """The composer's draft: every sentence cites the claims it rests on."""

    title: str = Field(description="A plain, factual headline with no number and no quotation.")
    paragraphs: list[ComposedParagraph] = Field(
        description=(
            "Two to four short paragraphs. Lead with what the most independent sources support; "
            "merge what several sources say into one sentence that cites all of their claims."
        )
    )
    single_source: list[ComposedSentence] = Field(
        default_factory=list,
        description="Notable points that only one source reports, one sentence each.",
    )
    conflicts: list[ComposedConflict] = Field(
        default_factory=list,
        description=(
            "Where sources give different values for the same thing: a figure, a date, or who "
            "did something (for example, different names for the same studio or person)."
        ),
    )


class SentenceRepair(BaseModel):
    number: int = Field(description="The number of the failing sentence, as given.")
    sentence: ComposedSentence | None = Field(
        description="The corrected sentence, or null to drop it."
    )


class SentenceRepairs(BaseModel):
    repairs: list[SentenceRepair]


# --------------------------------------------------------------------------- verifier

MatchKind = Literal["exact", "normalized", "elided", "not_found"]


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


class Citation(BaseModel):
    source_id: str
    claim_id: str
    quote: str
    start: int
    end: int


class Sentence(BaseModel):
    text: str
    citations: list[Citation]
    paragraph: int = Field(description="Paragraph index; -1 for the single-source section.")
    support: int = Field(description="How many distinct sources back the sentence.")
    repaired: bool = False


class ConflictPosition(BaseModel):
    value: str
    citations: list[Citation]


class Conflict(BaseModel):
    topic: str
    kind: Literal["quantity", "name"]
    positions: list[ConflictPosition]


class Rejection(BaseModel):
    """Something the checks dropped, and why: never emitted quietly."""

    stage: Literal["extract", "compose"]
    source_id: str | None = None
    item: str = Field(description="The claim statement or sentence that was dropped.")
    reason: str
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

    def to_markdown(self) -> str:
        from summarize.render import to_markdown

        return to_markdown(self)

    def to_json(self, *, include_text: bool = False) -> str:
        from summarize.render import to_json

        return to_json(self, include_text=include_text)

    def to_html(self) -> str:
        """A self-contained page: click a footnote to see its passage marked in the article."""
        from summarize.html import to_html

        return to_html(self)


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

    def to_markdown(self) -> str:
        from summarize.audit_output import to_markdown

        return to_markdown(self)

    def to_json(self) -> str:
        from summarize.audit_output import to_json

        return to_json(self)
