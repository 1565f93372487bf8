"""The footnote rule, end to end: a footnote means that source itself backs the sentence.

Three angles: the demo's output re-checked by an auditor written here, independently of
compose.py (only the verifier's primitives are shared, since the verifier is the authority); a
compromised composer that tries to slip invented names, speakers, negations, numbers and
sub-word values past the checks; and the stand-in model, whose true sentences must all survive.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata

import pytest
from conftest import FIXTURES, SEEDS
from fakes import QueuedLLM, claim, source
from hypothesis import given, settings, strategies as st

from summarize import Summarizer
from summarize.compose import compose
from summarize.models import Summary
from summarize.numbers import check_numbers
from summarize.testing import FakeOpenAIServer, stand_in
from summarize.verify import verify_quote

# --------------------------------------------------------------------------- an auditor

_QUOTED = re.compile(r"“([^”]+)”")
_NEGATION = re.compile(r"\b(?:not|never|no|without|n't)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+(?: [A-Z][a-z]+)*")
_SAID = re.compile(r"([A-Z][a-z]+) (?:said|told|explained|noted|emphasized)\b")


def folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.replace("’", "'").lower().split())


def in_quotation_marks(text: str, words: str) -> bool:
    """Independently of verify.quoted_spans: an opening mark before the words on their line
    that is not closed before them."""

    def plain(t: str) -> str:  # like folded(), but keeping the quotation marks
        return re.sub(r"[ \t\u00a0]+", " ", t.replace("’", "'").lower())

    at = plain(text).find(plain(words.rstrip(".,;:!?")))
    line = plain(text)[:at].rsplit("\n", 1)[-1]
    return at >= 0 and (line.count("“") > line.count("”") or line.count('"') % 2 == 1)


def audit(summary: Summary) -> list[str]:
    """Every breach of the footnote rule in a summary, found without compose.py."""
    texts = {s.id: s.text for s in summary.sources}
    claims = {c.id: c for c in summary.claims}
    breaches = []
    for sentence in summary.sentences:
        by_source: dict[str, set[str]] = {}
        for cit in sentence.citations:
            assert texts[cit.source_id][cit.start : cit.end] == cit.quote
            by_source.setdefault(cit.source_id, set()).add(cit.claim_id)
        if sentence.support != len(by_source):
            breaches.append(f"support {sentence.support} for {len(by_source)} sources")
        outside = _QUOTED.sub(" ", sentence.text)
        quotes = _QUOTED.findall(sentence.text)
        for sid, ids in by_source.items():
            cited = [claims[i] for i in ids]
            evidence = "\n".join(e.quote for c in cited for e in c.evidence)
            said = folded("\n".join([c.statement for c in cited] + [evidence]))
            where = f"{sentence.text[:40]}… cites {sid}"
            if not check_numbers(sentence.text, evidence).ok:
                breaches.append(f"{where}: a number it lacks")
            for q in quotes:
                if not verify_quote(texts[sid], q).ok and folded(q) not in folded(texts[sid]):
                    breaches.append(f"{where}: a quotation it lacks")
            for name in _NAME.findall(outside):
                if folded(name) not in said:
                    breaches.append(f"{where}: the name {name}, which it lacks")
            for speaker in _SAID.findall(outside):
                if folded(speaker) not in said:
                    breaches.append(f"{where}: words of {speaker}, whom it does not cite")
            if _NEGATION.search(outside) and not _NEGATION.search(said):
                breaches.append(f"{where}: a negation it lacks")
        for q in quotes:
            if not any(in_quotation_marks(texts[sid], q) for sid in by_source):
                breaches.append(f"{sentence.text[:40]}…: “{q}” is quoted speech in no source")
    for conflict in summary.conflicts:
        for position in conflict.positions:
            for cit in position.citations:
                if (
                    folded(position.value) not in folded(cit.quote)
                    and not check_numbers(position.value, cit.quote).ok
                ):
                    breaches.append(f"conflict {conflict.topic}: {position.value} not in evidence")
    return breaches


@pytest.fixture(scope="module")
def demo() -> Summary:
    return Summarizer(replay_dir=FIXTURES, use_cache=False).run(SEEDS)


def test_every_footnote_of_the_demo_backs_its_sentence(demo):
    assert demo.sentences and audit(demo) == []


def test_the_demo_catches_each_planted_composer_mistake(demo):
    kept = " ".join(s.text for s in demo.sentences)
    outcomes = [(r.outcome, r.source_id, r.item[:30]) for r in demo.rejections]
    # a quote cited to an article that words it differently: that citation is removed
    assert (
        "citation removed",
        "000_49dac367c97757d1",
        "Co-CEO Ted Sarandos told analy",
    ) in outcomes
    # a paraphrase put in quotation marks, an invented name, a flipped negation, a rounding:
    # each draft fails and only its repair, which passes, is kept
    for planted in ("“to empower", "Vancouver", "not ruled out", "$11.1 billion"):
        assert planted not in kept
    repaired = [r.item for r in demo.rejections if r.outcome == "repaired"]
    assert sum(p in " ".join(repaired) for p in ("“to empower", "Vancouver", "not ruled out")) == 3
    # a number cited to a source that lacks it
    assert (
        "citation removed",
        "001_634c7a488464d501",
        "El Eternauta, which premiered ",
    ) in outcomes
    # a bad conflict is refused; a rounding is shown as precision, not contradiction
    assert any(r.outcome == "conflict refused" for r in demo.rejections)
    revenue = next(c for c in demo.conflicts if "revenue" in c.topic.lower())
    assert revenue.kind == "precision" and "rounding" in revenue.note
    assert [r.item for r in demo.rejections if r.outcome == "dropped" and r.stage == "compose"]


def test_the_auditor_catches_a_breach(demo):
    """The auditor is not vacuous: a citation moved onto an unrelated sentence is caught."""
    broken = demo.model_copy(deep=True)
    broken.sentences[0].citations = broken.sentences[-1].citations
    broken.sentences[0].support = 1
    assert audit(broken)


# --------------------------------------------------------------------------- an attacker


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return source(path.stem, path.read_text("utf-8"))


@pytest.fixture(scope="module")
def world():
    s0, s2, s3, s4 = seed("000"), seed("002"), seed("003"), seed("004")
    claims = [
        claim(
            "c1",
            s2,
            "The El Eternauta sequence was finished ten times faster than traditional methods.",
            "It was reportedly finished ten times faster and at a lower cost than using "
            "traditional methods",
        ),
        claim(
            "c2",
            s3,
            "Ted Sarandos said the El Eternauta sequence was completed ten times faster.",
            "He emphasized that the AI-driven visual effects sequence in El Eternauta was "
            "completed ten times faster than it would have been using traditional VFX methods",
        ),
        claim(
            "c3",
            s2,
            "Netflix reported $11.08 billion in second-quarter revenue.",
            "Netflix reported a strong second quarter, with $11.08 billion in revenue",
        ),
        claim(
            "c4",
            s2,
            "The sequence was completed with Eyeline Studios.",
            "The sequence was completed in collaboration with Eyeline Studios",
        ),
        claim(
            "c5",
            s4,
            "Scanline VFX worked on the collapse scene.",
            "in collaboration with its VFX division, Scanline VFX",
        ),
        claim(
            "c6",
            s0,
            "Netflix co-CEO Ted Sarandos said AI is an incredible opportunity.",
            "“We are still convinced that artificial intelligence represents an incredible "
            "opportunity to help creators make better movies and series, not just cheaper,” he "
            "said.",
        ),
        claim(
            "c7",
            s4,
            "Netflix has refrained from using generative AI for scriptwriting.",
            "Netflix has deliberately refrained from applying the technology to areas such as "
            "scriptwriting or character development",
        ),
    ]
    return claims, [s0, s2, s3, s4]


TRUE = {
    "The El Eternauta sequence was finished ten times faster than traditional methods.": (
        ["c1", "c2"],
        2,
    ),
    "Netflix reported $11.08 billion in second-quarter revenue.": (["c3"], 1),
    "Ted Sarandos said AI represents “an incredible opportunity to help creators”.": (["c6"], 1),
    "Netflix has refrained from using generative AI for scriptwriting.": (["c7"], 1),
}
ATTACKS = {  # sentence -> the planted item that must never reach the output
    "Eyeline Studios and Weta Digital worked on the sequence.": "Weta",
    "Greg Peters said the sequence was finished ten times faster.": "Peters",
    "The El Eternauta sequence was not finished ten times faster.": "not finished",
    "The El Eternauta sequence was finished 12 times faster.": "12 times",
    "Netflix reported $11.1 billion in second-quarter revenue.": "11.1",
    "Ted Sarandos said AI is “an incredible opportunity for cheaper films”.": "cheaper films",
    "Netflix has used generative AI for scriptwriting, Reed Hastings said.": "Hastings",
    "Netflix has not refrained from using generative AI for scriptwriting.": "not refrained",
}


def draft(title: str, sentences: dict[str, list[str]], conflicts: list[dict]) -> dict:
    return {
        "title": title,
        "paragraphs": [
            {"sentences": [{"text": t, "claim_ids": ids} for t, ids in sentences.items()]}
        ],
        "single_source": [],
        "conflicts": conflicts,
    }


def attack_ids(text: str) -> list[str]:
    return ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]  # cite everything: maximum cover


def test_a_compromised_composer_gets_nothing_invented_through(world):
    claims, sources = world
    sentences = {t: ids for t, (ids, _) in TRUE.items()}
    sentences |= {t: attack_ids(t) for t in ATTACKS}
    conflicts = [
        {"topic": "Revenue", "positions": [
            {"value": "$1", "claim_ids": ["c3"]}, {"value": "ten", "claim_ids": ["c1"]}]},
        {"topic": "Studio behind the $40 million effect", "positions": [
            {"value": "Eyeline Studios", "claim_ids": ["c4"]},
            {"value": "Scanline VFX", "claim_ids": ["c5"]}]},
        {"topic": "Studio", "positions": [
            {"value": "Eyeline", "claim_ids": ["c4"]}, {"value": "Scan", "claim_ids": ["c5"]}]},
        {"topic": "Studio hired by Disney", "positions": [
            {"value": "Eyeline Studios", "claim_ids": ["c4"]},
            {"value": "Scanline VFX", "claim_ids": ["c5"]}]},
    ]  # fmt: skip
    repeat = {"repairs": [{"number": n, "sentence": {"text": t, "claim_ids": attack_ids(t)}}
                          for n, t in enumerate(ATTACKS, 1)]}  # fmt: skip
    llm = QueuedLLM(draft("Disney buys Netflix for $12 billion", sentences, conflicts), repeat)
    result = asyncio.run(compose(llm, claims, sources))

    kept = {s.text: s for s in result.sentences}
    output = " ".join([result.title, *kept, *(c.topic for c in result.conflicts)])
    output += " ".join(p.value for c in result.conflicts for p in c.positions)
    for planted in [*ATTACKS.values(), "Disney", "$12 billion", "$40 million", "$1 ", "Scan "]:
        assert planted not in output + " ", planted
    for text, (_ids, support) in TRUE.items():
        assert kept[text].support == support, text
    assert {c.claim_id for c in kept[next(iter(TRUE))].citations} == {"c1", "c2"}
    assert [(c.topic, c.kind) for c in result.conflicts] == []  # each proposal had a flaw
    assert {r.outcome for r in result.rejections} >= {
        "dropped",
        "title replaced",
        "conflict refused",
    }


ANCHOR_MUTATIONS = st.sampled_from(
    [
        ("was finished", "was not finished"),
        ("ten times", "eleven times"),
        ("$11.08 billion", "$11.8 billion"),
        ("$11.08 billion", "$11 billion"),
        ("Netflix reported", "Netflix and Weta reported"),
        ("Netflix reported", "Reed Hastings said Netflix reported"),
        ("has refrained", "has never refrained"),
        ("Netflix has", "Sony has"),
    ]
)


@settings(max_examples=40, deadline=None)
@given(ANCHOR_MUTATIONS, st.sampled_from(list(TRUE)))
def test_a_one_anchor_mutation_of_a_true_sentence_is_never_kept(world, mutation, original):
    """Law: change one anchor (a number, a name, a speaker, a negation) of a true sentence and
    every cited source stops backing it, so the sentence cannot be kept as written."""
    old, new = mutation
    if old not in original:
        return
    mutated = original.replace(old, new, 1)
    claims, sources = world
    llm = QueuedLLM(draft("Netflix and AI", {mutated: TRUE[original][0]}, []), {"repairs": []})
    result = asyncio.run(compose(llm, claims, sources))
    assert mutated not in [s.text for s in result.sentences]


# --------------------------------------------------------------------------- no false drops


def test_no_true_sentence_is_lost_with_the_stand_in_model():
    """The stand-in writes each claim's own words as a sentence citing it: every one is true,
    so every one must survive with its citation (the false-drop rate on the seeds is zero)."""
    with FakeOpenAIServer(stand_in) as server:
        summary = Summarizer(base_url=server.base_url, use_cache=False).run(SEEDS)
    assert summary.claims and len(summary.sentences) == len(summary.claims)
    assert [r for r in summary.rejections if r.stage == "compose"] == []
    assert audit(summary) == []
