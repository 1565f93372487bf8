"""Names, speakers and negations: the anchors a sentence's footnotes must back besides numbers."""

from __future__ import annotations

import pytest
from conftest import SEEDS
from hypothesis import given, strategies as st

from summarize.anchors import (
    attributions,
    mentions,
    negations,
    polarity_problems,
    proper_names,
    same_person,
    vocabulary_test,
)

COMMON = vocabulary_test(p.read_text("utf-8") for p in SEEDS.glob("*.txt"))


def names(text: str) -> list[str]:
    return [n.text for n in proper_names(text, is_common=COMMON)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Co-CEO Ted Sarandos told analysts.", ["Ted Sarandos"]),  # a role word starts it
        ("Netflix's co-CEO Greg Peters spoke.", ["Netflix", "Greg Peters"]),  # possessive
        (
            "The Writers Guild of America struck in 2023.",
            ["Writers Guild of America"],  # "of" joins a name
        ),
        ("Without AI, the scene was impractical.", []),  # a common word starting a sentence
        ("Animation studio co-founder Davier Yoon said so.", ["Davier Yoon"]),
        ("Based on the novel by Héctor G. Oesterheld.", ["Héctor G. Oesterheld"]),
        ("It was made by Industrial Light & Magic.", ["Industrial Light & Magic"]),
        ("Netflix Uses Generative AI for a Building Collapse", ["Netflix"]),  # title case
        ("He said: “Ask Scanline VFX”, then left.", []),  # quotations are skipped by callers
        ("The video aired at 6.28PM on Channel 4.", ["Channel"]),  # "PM" is glued to a digit
    ],
)
def test_proper_names(text: str, expected: list[str]) -> None:
    skip = [(text.index("“"), text.index("”") + 1)] if "“" in text else []
    assert [n.text for n in proper_names(text, is_common=COMMON, skip=skip)] == expected


def test_names_match_as_a_unit_tolerating_case_diacritics_possessives_and_dashes() -> None:
    claim = "Netflix’s co-CEO Ted Sarandos praised Hector Oesterheld and the Guild‐American union"
    assert mentions(claim, "ted sarandos") and mentions(claim, "Netflix")
    assert mentions(claim, "Héctor Oesterheld") and mentions(claim, "Guild-American")
    assert not mentions(claim, "Ted Oesterheld")  # both words are there, not as a unit
    assert not mentions(claim, "Sarando")  # whole words only
    assert not mentions("Searchlight Pictures", "Sear")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Greg Peters said generative AI is being explored.", "Greg Peters"),
        ("Inga Saffron, Netflix's vice president, said the goal is clear.", "Inga Saffron"),
        ("“It works,” said Sarandos.", "Sarandos"),
        ("According to Forbes, the series reached number one.", "Forbes"),
        ("Peters also noted that ads are coming.", "Peters"),
    ],
)
def test_attributions(text: str, speaker: str) -> None:
    assert [a.text for a in attributions(text)] == [speaker]


def test_no_attribution_without_a_named_subject() -> None:
    assert attributions("He said the company was pleased.") == []
    assert attributions("The studio, which Netflix owns, grew.") == []


def test_same_person_is_whole_words_in_order() -> None:
    assert same_person("Sarandos", "Ted Sarandos") and same_person("ted sarandos", "Ted Sarandos")
    assert not same_person("Ted", "Greg Peters") and not same_person("Sara", "Ted Sarandos")


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        (
            "The sequence was not completed ten times faster.",
            "the sequence was completed ten times faster",
        ),
        (
            "Netflix has not ruled out AI for scripts.",
            "Netflix has refrained from applying AI to scripts",
        ),
        ("Sarandos said AI replaces humans.", "He added that AI does not replace humans"),
        ("The council never approved the tunnel.", "The council approved the tunnel on Tuesday"),
    ],
)
def test_polarity_mismatch_is_a_problem(sentence: str, evidence: str) -> None:
    assert polarity_problems(sentence, evidence)


@pytest.mark.parametrize(
    ("sentence", "evidence"),
    [
        ("AI is meant to augment creativity rather than replace it.", "AI does not replace humans"),
        ("Netflix describes AI as enhancement, not replacement.", "enhancement not replacement"),
        ("The result was visually shocking.", "The result was not only visually shocking"),
        (
            "It is the first scene made with AI.",
            "it is not an isolated experiment: it is the first scene",
        ),
    ],
)
def test_matching_polarity_passes(sentence: str, evidence: str) -> None:
    assert polarity_problems(sentence, evidence) == []


def test_negations_inside_quotations_are_left_to_the_verbatim_check() -> None:
    sentence = "She said the goal is “to empower creatives, not replace them”."
    quote = (sentence.index("“"), sentence.index("”") + 1)
    assert polarity_problems(sentence, "the goal is to empower creatives", [quote]) == []
    assert [n.cue for n in negations(sentence, [quote])] == []


WORDS = st.sampled_from(
    "the council never approved tunnel Netflix said not without AI replace scene Peters "
    "rather than no cost budget Eyeline Studios of America 6.28PM H5N1 Q2 O'Brien's".split()
)


@given(st.lists(WORDS, min_size=1, max_size=14).map(" ".join))
def test_a_text_backs_its_own_polarity_and_names(text: str) -> None:
    """Law: the stand-in case, where a sentence is its claim's own words, never fails."""
    assert polarity_problems(text, text) == []
    assert all(mentions(text, n.text) for n in proper_names(text))
