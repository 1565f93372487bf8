"""Where sources differ: detected quantities, composer-proposed conflicts, precision and bounds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fakes import claim, source

from summarize.anchors import vocabulary_test
from summarize.conflicts import (
    checked_conflicts as _checked,
    classify,
    quantity_conflicts,
    reading,
    relation,
)
from summarize.models import ComposedConflict
from summarize.numbers import find_numbers

MOJANG_A = source(
    "a",
    "Microsoft confirmed on Monday that it will buy Mojang for $2.5 billion in cash, a price "
    "few expected.",
)
MOJANG_B = source("b", "Minecraft's maker is changing hands for a whopping $2 billion, we hear.")
MOJANG_C = source("c", "The deal, worth more than $2 billion, was announced on Monday.")
QUAKE_A = source("qa", "The earthquake killed 127 people in the capital, officials said.")
QUAKE_B = source("qb", "Rescuers said the death toll had risen to 129 by Tuesday night.")
QUAKE_C = source("qc", "At least 128 people died, the government said.")


def confirmed_price():
    """Source a's claim: the price Microsoft confirmed, against which the others differ."""
    return claim(
        "c1",
        MOJANG_A,
        "Microsoft will buy Mojang for $2.5 billion.",
        "it will buy Mojang for $2.5 billion",
    )


def read(text: str) -> object:
    (n,) = find_numbers(text, decimal=".")
    return reading(n, text[: n.start], ".")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("11 billion", "11.08 billion", "rounding"),
        ("$2 billion", "$2.5 billion", "contradiction"),
        ("more than $2 billion", "$2.5 billion", "bound"),
        ("at least 128", "129", "bound"),
        ("about 10", "10.8", "bound"),
        ("nearly 17%", "22%", "contradiction"),
        ("32.70%", "32.72%", "contradiction"),
        ("129", "129", "same"),
    ],
)
def test_relation(a: str, b: str, expected: str) -> None:
    assert relation(read(a), read(b)) == expected
    assert relation(read(b), read(a)) == expected


def test_precision_notes_say_which_is_which() -> None:
    kind, note = classify([read("11 billion"), read("11.08 billion")])
    assert kind == "precision" and "“11 billion” is a rounding of “11.08 billion”" in note
    assert classify([read("11 billion"), read("11.08 billion"), read("11.5 billion")])[0] == (
        "quantity"
    )


def test_a_figure_pairs_on_the_claims_subject_not_only_its_clause() -> None:
    claims = [
        confirmed_price(),
        claim(
            "c2",
            MOJANG_B,
            "Microsoft is paying a whopping $2 billion for Mojang.",
            "a whopping $2 billion",
        ),
    ]
    (conflict,) = quantity_conflicts(claims, {"a": ".", "b": "."})
    assert conflict.kind == "quantity"
    assert [p.value for p in conflict.positions] == ["$2 billion", "$2.5 billion"]


def test_a_bound_the_other_figure_satisfies_is_precision_not_contradiction() -> None:
    claims = [
        confirmed_price(),
        claim(
            "c3",
            MOJANG_C,
            "The Mojang deal is worth more than $2 billion.",
            "The deal, worth more than $2 billion",
        ),
    ]
    (conflict,) = quantity_conflicts(claims, {"a": ".", "c": "."})
    assert conflict.kind == "precision" and "includes" in conflict.note


def test_counts_under_a_thousand_are_compared_across_wordings() -> None:
    killed = claim(
        "c1", QUAKE_A, "The earthquake killed 127 people.", "The earthquake killed 127 people"
    )
    toll = claim("c2", QUAKE_B, "The death toll rose to 129.", "the death toll had risen to 129")
    at_least = claim("c3", QUAKE_C, "At least 128 people died.", "At least 128 people died")
    (conflict,) = quantity_conflicts([killed, toll], {"qa": ".", "qb": "."})
    assert conflict.kind == "quantity" and [p.value for p in conflict.positions] == ["127", "129"]
    (bound,) = quantity_conflicts([toll, at_least], {"qb": ".", "qc": "."})
    assert bound.kind == "precision" and "“at least 128” includes “129”" in bound.note


def test_bare_ranks_and_dates_stay_out() -> None:
    a = source("x", "The series premiered on April 30 and ranked 3 in the chart of channel 4.")
    b = source("y", "The series premiered on April 29 and ranked 5 in the chart of channel 4.")
    claims = [
        claim(
            "c1", a, "It premiered on April 30.", "The series premiered on April 30 and ranked 3"
        ),
        claim(
            "c2", b, "It premiered on April 29.", "The series premiered on April 29 and ranked 5"
        ),
    ]
    assert quantity_conflicts(claims, {"x": ".", "y": "."}) == []


def checked_conflicts(proposed, claims_by_id):
    """As compose calls it: capitals at the start of a topic judged by the sources' words."""
    texts = [s.text for s in (MOJANG_A, MOJANG_B, MOJANG_C)]
    return _checked(proposed, claims_by_id, {}, vocabulary_test(texts))


def proposed(topic: str, *positions: tuple[str, list[str]]) -> ComposedConflict:
    return ComposedConflict.model_validate(
        {"topic": topic, "positions": [{"value": v, "claim_ids": ids} for v, ids in positions]}
    )


@pytest.fixture
def deal_claims():
    searchlight = source("s", "The film was made by Searchlight Pictures for $110 billion.")
    cs = [
        confirmed_price(),
        claim("c2", MOJANG_B, "Microsoft pays a whopping $2 billion.", "a whopping $2 billion"),
        claim(
            "c3",
            searchlight,
            "Searchlight made the film.",
            "The film was made by Searchlight Pictures for $110 billion",
        ),
    ]
    return {c.id: c for c in cs}


def test_sub_word_and_sub_number_positions_are_refused(deal_claims) -> None:
    kept, refused = checked_conflicts(
        [
            proposed("Price", ("$1", ["c3"]), ("$2 billion", ["c2"])),
            proposed("Studio", ("Sear", ["c3"]), ("Mojang", ["c1"])),
        ],
        deal_claims,
    )
    assert kept == [] and [r.outcome for r in refused] == ["conflict refused"] * 2
    assert "“$1” is not in the evidence" in refused[0].reason
    assert "“Sear” is not in the evidence" in refused[1].reason


def test_a_topic_may_carry_no_figure_or_name_the_evidence_lacks(deal_claims) -> None:
    sides = [("$2.5 billion", ["c1"]), ("$2 billion", ["c2"])]
    kept, refused = checked_conflicts(
        [proposed("The $3 billion Mojang deal", *sides), proposed("Price paid by Sony", *sides)],
        deal_claims,
    )
    assert kept == [] and "figure" in refused[0].reason and "“Sony”" in refused[1].reason
    kept, refused = checked_conflicts([proposed("Price of Mojang", *sides)], deal_claims)
    assert [c.kind for c in kept] == ["quantity"] and refused == []


def test_value_equal_figure_is_accepted_and_same_figure_refused(deal_claims) -> None:
    kept, _ = checked_conflicts(
        [proposed("Price", ("2.5 billion dollars", ["c1"]), ("$2 billion", ["c2"]))], deal_claims
    )
    assert kept and kept[0].positions[0].citations[0].claim_id == "c1"
    _, refused = checked_conflicts(
        [proposed("Price", ("$2 billion", ["c2"]), ("2 billion dollars", ["c2", "c1"]))],
        deal_claims,
    )
    assert refused


def test_reading_quantum_and_bounds() -> None:
    r = read("more than $2.50 billion")
    assert r.value == Decimal("2.5E9") and r.quantum == Decimal("1E7")
    assert r.low == r.value and r.high is None and r.bound == "more than"
