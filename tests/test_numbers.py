"""Numbers: notations that mean the same value match; rounding, scale and sign changes do not."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import news_text
from hypothesis import assume, given, settings, strategies as st

from summarize.numbers import check_numbers, detect_decimal, find_numbers

ROOT = Path(__file__).resolve().parent.parent
SEEDS = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))}


def values(text: str, **kw: str) -> list[tuple[str, str | None]]:
    return [(format(n.value.normalize(), "f"), n.unit) for n in find_numbers(text, **kw)]


def _sentence(seed: str, needle: str) -> str:
    text = SEEDS[seed]
    i = text.index(needle)
    return text[text.rfind("\n", 0, i) + 1 : text.find("\n", i)]


# ----------------------------------------------------------------- properties

_BILLION_FORMS = [
    "${x} billion",
    "{x} billion dollars",
    "USD {x} bn",
    "US${x}bn",
    "{x} billion USD",
    "${x}bn",
    "${x} bn",
    "{x} billion U.S. dollars",
]


@settings(max_examples=150, deadline=None)
@given(
    st.decimals(min_value=1, max_value=999, places=2, allow_nan=False),
    st.sampled_from(_BILLION_FORMS),
    st.sampled_from(_BILLION_FORMS),
)
def test_currency_notations_are_value_equal(
    x: Decimal, claim_form: str, evidence_form: str
) -> None:
    claim = f"Revenue was {claim_form.format(x=x)} last quarter."
    evidence = f"The company reported {evidence_form.format(x=x)} in revenue."
    check = check_numbers(claim, evidence)
    assert check.ok, check.diagnosis
    assert check.numbers[0].value == format((x * 10**9).normalize(), "f")


@settings(max_examples=100, deadline=None)
@given(st.integers(1_000, 999_999))
def test_millions_with_thousands_separator_equal_billions(millions: int) -> None:
    billions = Decimal(millions) / 1000
    claim = f"sales of ${millions:,} million"
    assert check_numbers(claim, f"sales of ${billions} billion").ok
    assert check_numbers(claim, f"sales of {billions} billion dollars").ok
    assert not check_numbers(claim, f"sales of ${billions} million").ok


@settings(max_examples=150, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.001"), max_value=999, places=3, allow_nan=False),
    st.integers(0, 2),
    st.sampled_from(["${x} billion", "{x}%", "{x} percent", "€{x}m", "{x} million euros"]),
)
def test_rounding_is_a_miss(x: Decimal, places: int, form: str) -> None:
    rounded = round(x, places)
    assume(rounded != x and rounded > 0)
    check = check_numbers(f"it was {form.format(x=rounded)}", f"it was {form.format(x=x)}")
    assert not check.ok
    assert check.missing[0].reason is not None


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**9), st.sampled_from([".", ","]))
def test_thousands_groups_parse_in_either_convention(n: int, decimal: str) -> None:
    english = f"{n:,}"
    written = english if decimal == "." else english.replace(",", ".")
    assert values(f"about {written} votes", decimal=decimal) == [(str(n), None)]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 99), st.sampled_from(["{n}%", "${n} billion", "{n} percent"]))
def test_sign_change_is_a_miss(n: int, form: str) -> None:
    assert not check_numbers(
        f"a change of -{form.format(n=n)}", f"a change of {form.format(n=n)}"
    ).ok
    assert check_numbers(f"a change of -{form.format(n=n)}", f"a change of -{form.format(n=n)}").ok


# ----------------------------------------------------------------- equal notations

EQUAL = [
    ("$11.08 billion", "11.08 billion dollars"),
    ("$11.08 billion", "$11,080 million"),
    ("11 billion USD", "$11 billion"),
    ("16%", "16 percent"),
    ("16 per cent", "16 percent"),
    ("ten times faster", "10x faster"),
    ("ten-fold", "10x"),
    ("tenfold", "ten times"),
    ("one-third", "a third"),
    ("one third", "1/3"),
    ("two-thirds", "2/3"),
    ("half", "a half"),
    ("0.5", "one half"),
    ("a million", "1,000,000"),
    ("twenty-one", "21"),
    ("one hundred and five", "105"),
    ("$3bn", "$3 billion"),
    ("$5m", "5 million dollars"),
    ("10k", "10,000"),
    ("€2.5 million", "2.5 million euros"),
    ("£40m", "40 million pounds"),
    ("1 200", "1,200"),
    ("the 18th", "18"),
    ("18/7", "18/7"),
]


@pytest.mark.parametrize(("claim", "evidence"), EQUAL)
def test_equal_notations(claim: str, evidence: str) -> None:
    assert check_numbers(claim, evidence).ok, check_numbers(claim, evidence).diagnosis
    assert check_numbers(evidence, claim).ok


DIFFERENT = [
    ("$11.1 billion", "$11.08 billion", "rounded?"),
    ("$11.08 million", "$11.08 billion", "changed scale"),
    ("-5%", "5%", "sign differs"),
    ("16%", "16", "unit differs"),
    ("$16", "16", "unit differs"),
    ("€16", "$16", "unit differs"),
    ("18/7", "18/8", "nearest"),
    ("2023", "2022", "nearest"),
    ("April 30", "April 3", "nearest"),
    ("eleven", "ten", "nearest"),
    ("$52.90", "$52,90", ""),
    ("10x", "10", "unit differs"),
    ("a third", "a quarter", "nearest"),
]


@pytest.mark.parametrize(("claim", "evidence", "reason"), DIFFERENT)
def test_different_numbers(claim: str, evidence: str, reason: str) -> None:
    check = check_numbers(claim, evidence)
    assert not check.ok
    assert reason in check.diagnosis


NOTATIONS = [
    ("six-episode series", [("6", None)]),
    ("someone said no one knows", []),
    ("one of the most important", []),
    ("by one report, according to one outlet", []),
    ("one person died", [("1", None)]),
    ("a building", []),
    ("an avocado and a dozen eggs", [("12", None)]),
    ("two dozen", [("24", None)]),
    ("Gen-3 alpha", [("3", None)]),
    ("SAG-AFTRA", []),
    ("Q2 2023", [("2", None), ("2023", None)]),
    ("the 1980s", [("1980", None)]),
    ("5-10%", [("5", None), ("10", "%")]),
    ("–5% and −5%", [("5", "%"), ("-5", "%")]),
    ("10.8 million views", [("10800000", None)]),
    ("100 m sprint", [("100", None)]),
    ("second half of the year", [("0.5", None)]),
    ("second-quarter revenue", []),
    ("two million dollars", [("2000000", "USD")]),
    ("C$5", [("5", None)]),
    ("7/18/2019", [("7", None), ("18", None), ("2019", None)]),
]


@pytest.mark.parametrize(("text", "expected"), NOTATIONS)
def test_notations(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert values(text, decimal=".") == expected


def test_years() -> None:
    numbers = find_numbers("In 2023, revenue was $2023 and 2,023 units and 1799 ships.")
    assert [n.is_year for n in numbers] == [True, False, False, False]


def test_spans_are_the_written_text() -> None:
    text = "Netflix reported $11.08 billion, a 16 percent rise, ten times faster."
    for n in find_numbers(text):
        assert text[n.start : n.end] == n.text
    assert [n.text for n in find_numbers(text)] == ["$11.08 billion", "16 percent", "ten times"]


# ----------------------------------------------------------------- decimal conventions


def test_detect_decimal() -> None:
    assert detect_decimal("obtuvo 3.033.753 votos (32,72%)") == ","
    assert detect_decimal("1.234,5 toneladas") == ","
    assert detect_decimal("1,200 people paid $3.50") == "."
    assert detect_decimal("no numbers at all") == "."
    assert detect_decimal("a 1,200% rise") == "."


def test_english_thousands_are_never_read_as_decimals() -> None:
    assert values("1,200 people") == [("1200", None)]
    assert values("1,200 people", decimal=",") == [("1.2", None)]
    assert check_numbers("1.2 thousand people", "1,200 people").ok
    assert not check_numbers("1.2 people", "1,200 people").ok


def test_seed_cases() -> None:
    revenue = _sentence("002", "$11.08 billion")
    assert check_numbers("Netflix reported $11.08 billion in revenue", revenue).ok
    rounded = check_numbers("Netflix reported $11.1 billion in revenue", revenue)
    assert not rounded.ok and "“$11.08 billion” (rounded?)" in rounded.diagnosis
    quarter = _sentence("001", "11 billion USD")
    assert check_numbers("revenue of $11 billion, up 16 percent", quarter).ok
    assert check_numbers("The series has six episodes", _sentence("001", "six-episode")).ok
    assert check_numbers("one third of all views", revenue).ok
    assert check_numbers("10x faster", _sentence("002", "ten times faster")).ok
    assert check_numbers("on 18/7", _sentence("001", "18/7")).ok
    assert not check_numbers("on 18/8", _sentence("001", "18/7")).ok
    found = check_numbers("$11.08 billion", revenue).numbers[0]
    assert revenue[found.matched_start : found.matched_end] == "$11.08 billion"
    assert found.value == "11080000000" and found.unit == "USD"


def test_spanish_percentages_and_thousand_dots() -> None:
    text = news_text("ecuador-elecciones", "01_diario.txt")
    line = next(s for s in text.splitlines() if "32,72%" in s)
    assert detect_decimal(line) == ","
    assert check_numbers("Arauz obtuvo 32,72%", line).ok
    assert not check_numbers("Arauz obtuvo 32,7%", line).ok
    assert check_numbers("3.033.753 votos", line).ok
    assert ("3033753", None) in values(line)
    other = news_text("ecuador-elecciones", "02_diario.txt")
    assert check_numbers("un 32,70 % de los votos", other, decimal=",").ok
    assert not check_numbers("un 32,72% de los votos", other, decimal=",").ok


def test_kmart_typo_is_not_fixed() -> None:
    text = news_text("kmart-sears", "01_wire.txt")
    line = next(s for s in text.splitlines() if "$52,90" in s)
    assert detect_decimal(line) == "."
    assert check_numbers("Sears shares rose to $52,90", line).ok
    assert not check_numbers("Sears shares rose to $52.90", line).ok
    assert check_numbers("up $7.70, or 17 percent", line).ok
