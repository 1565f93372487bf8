"""The quote verifier: what it accepts, what it rejects, where it says the evidence is."""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import news_text
from hypothesis import assume, given, settings, strategies as st

from summarize.verify import SourceIndex, index_for, is_quoted_speech, quotations, verify_quote

ROOT = Path(__file__).resolve().parent.parent
SEEDS = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))}


# ----------------------------------------------------------------- an independent oracle

_ORACLE_QUOTES = dict.fromkeys("‘’‚‛′`´", "'") | dict.fromkeys("“”„‟″«»", '"')
_ORACLE_STRIP = "\"'‘’‚‛“”„‟«»`´′″"


@functools.lru_cache(maxsize=256)
def oracle_normalize(text: str) -> str:
    """Slow, per-character restatement of the allowed differences, for checking the fast one.
    (Cached: the examples draw their passages from a few sources, normalized again and again.)"""
    out = []
    for c in text:
        if c in "\u200b\u200c\u200d\ufeff\u2060\u00ad":
            continue
        c = _ORACLE_QUOTES.get(c, c)
        out.append(" " if c.isspace() else "-" if c in "‐‑‒–—−" else c)
    s = unicodedata.normalize("NFKC", "".join(out))
    s = re.sub(r" +", " ", s)
    return re.sub(r" ?-(?: ?-)* ?", "-", s)


def oracle_strip(quote: str) -> str:
    q = quote.strip().lstrip(_ORACLE_STRIP).strip()
    q = q.rstrip(_ORACLE_STRIP + " ")
    if q[-1:] in ".,;:!?":
        q = q[:-1]
    return q.rstrip(_ORACLE_STRIP + " ")


def oracle_present(source: str, quote: str) -> bool:
    """Brute force: is the stripped, normalized quote a word-bounded substring of the source?"""
    norm = oracle_normalize(source)
    q = oracle_strip(oracle_normalize(quote))
    for v in {q, q[:1].swapcase() + q[1:]}:
        i = norm.find(v)
        while i != -1:  # every occurrence, overlapping ones included
            before = norm[i - 1] if i else " "
            after = norm[i + len(v)] if i + len(v) < len(norm) else " "
            if not (v[:1].isalnum() and before.isalnum()) and not (
                v[-1:].isalnum() and after.isalnum()
            ):
                return True
            i = norm.find(v, i + 1)
    return False


# ----------------------------------------------------------------- generated sources

_VOCAB = sorted({w for t in SEEDS.values() for w in re.findall(r"[A-Za-z]{3,}", t)})


@st.composite
def messy_sources(draw: st.DrawFn) -> str:
    """Seed words joined by NBSPs, CRLFs, curly quotes, em dashes and zero-width spaces."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    parts = []
    for _ in range(rnd.randint(30, 120)):
        word = rnd.choice(_VOCAB)
        roll = rnd.random()
        if roll < 0.05:
            word = f"“{word}”"
        elif roll < 0.1:
            word = f"{word}’s"
        elif roll < 0.13:
            word = f"{word}{rnd.randint(0, 999)}"
        parts.append(word)
        parts.append(rnd.choice([" "] * 12 + ["\xa0", "\r\n", "\n", " — ", "\u202f", "\u200b "]))
    return "".join(parts).strip()


sources = st.one_of(st.sampled_from(sorted(SEEDS.values())), messy_sources())


@st.composite
def passages(draw: st.DrawFn) -> tuple[str, int, int]:
    """A source and a word-bounded [a, b) of it with at least 4 words and 20 characters."""
    source = draw(sources)
    words = [m.span() for m in re.finditer(r"[^\W_]+(?:\S*[^\W_])?", source)]
    i = draw(st.integers(0, len(words) - 4))
    j = draw(st.integers(i + 4, min(len(words), i + 40)))
    a, b = words[i][0], words[j - 1][1]
    assume(b - a >= 20 and len(oracle_normalize(source[a:b]).split()) >= 4)
    return source, a, b


@settings(max_examples=300, deadline=None)
@given(passages())
def test_every_passage_verifies_with_its_exact_span(case: tuple[str, int, int]) -> None:
    source, a, b = case
    m = verify_quote(source, source[a:b])
    assert m.ok and m.kind == "exact"
    assert source[m.start : m.end] == source[a:b]


def _typed(text: str) -> str:
    """The passage as someone types it: straight quotes, plain spaces, plain hyphens."""
    return re.sub(r"\s+", " ", text.translate(str.maketrans(_ORACLE_QUOTES | {"—": "-"})))


@settings(max_examples=300, deadline=None)
@given(passages())
def test_typed_passage_maps_back_to_original_characters(case: tuple[str, int, int]) -> None:
    source, a, b = case
    quote = _typed(source[a:b]).replace("\u200b", "")
    m = verify_quote(source, quote)
    assert m.ok
    found = source[m.start : m.end]
    assert oracle_normalize(found) == oracle_normalize(source[a:b])
    if oracle_normalize(source).count(oracle_normalize(source[a:b])) == 1:
        assert found == source[a:b]


def _mutations(quote: str, rnd: random.Random) -> list[str]:
    words = quote.split(" ")
    k = rnd.randrange(len(words))
    out = [
        " ".join([*words[:k], rnd.choice(_VOCAB), *words[k + 1 :]]),
        " ".join([*words[:k], "not", *words[k:]]),
        " ".join(words[:k] + words[k + 1 :]),
    ]
    digits = [i for i, c in enumerate(quote) if c.isdigit()]
    if digits:
        i = rnd.choice(digits)
        out.append(quote[:i] + str((int(quote[i]) + rnd.randint(1, 9)) % 10) + quote[i + 1 :])
    return out


@pytest.mark.heavy
@settings(max_examples=300, deadline=None)
@given(passages(), st.integers(0, 2**32))
def test_one_word_or_one_digit_mutations_are_rejected(
    case: tuple[str, int, int], seed: int
) -> None:
    source, a, b = case
    for mutated in _mutations(_typed(source[a:b]), random.Random(seed)):
        if oracle_present(source, mutated):
            continue  # the mutation happens to be another real passage
        assert not verify_quote(source, mutated).ok, mutated


@settings(max_examples=200, deadline=None)
@given(passages(), st.booleans())
def test_quotes_never_match_inside_a_word(case: tuple[str, int, int], at_start: bool) -> None:
    source, a, b = case
    cut = source[a + 1 : b] if at_start else source[a : b - 1]
    assume(not oracle_present(source, cut))
    assert not verify_quote(source, cut).ok


def test_oracle_and_mutations_can_fail() -> None:
    source = "The company said revenue rose 16 percent in the quarter to 2023."
    assert oracle_present(source, "revenue rose 16 percent")
    assert not oracle_present(source, "revenue rose 17 percent")
    assert not oracle_present(source, "evenue rose 16 percent")


# ----------------------------------------------------------------- real cases

S002_QUOTE = (
    "We remain convinced that AI represents an incredible opportunity to help creators make "
    "films and series better, not just cheaper"
)

REMAIN = "We remain convinced that AI represents"
MAKE = f"{REMAIN} an incredible opportunity to help creators make films"
GUILD = "The Screen Actors Guild{}American Federation of Television"
COST = "at a significantly lower cost{}making it feasible"
SARANDOS = "Confirmation came directly from Ted Sara{}"
ETERNAUTA = "during the production of {}"
FASTER = "It was reportedly finished ten times faster"

CASES = [
    # (seed, quote, expected kind, expected evidence or None for a miss)
    ("002", f'"{S002_QUOTE},"', "exact", S002_QUOTE),
    ("002", f"“{S002_QUOTE}.”", "exact", S002_QUOTE),
    ("002", "Argentine show, El Eternauta.", "normalized", "Argentine show,\xa0El Eternauta"),
    ("002", "is Netflix's internal production", "normalized", "is Netflix’s internal production"),
    (
        "002",
        "productions. According to co-CEO",
        "normalized",
        "productions.\xa0\n\nAccording to co-CEO",
    ),
    ("001", GUILD.format("-"), "normalized", GUILD.format("\u2010")),
    ("004", COST.format(" - "), "normalized", COST.format("—")),
    ("004", COST.format("—"), "exact", COST.format("—")),
    ("000", SARANDOS.format("onds"), "exact", SARANDOS.format("onds")),
    ("000", SARANDOS.format("ndos"), "not_found", None),
    ("000", ETERNAUTA.format("‘The Eternaluta‘"), "exact", ETERNAUTA.format("‘The Eternaluta")),
    ("000", ETERNAUTA.format("'The Eternauta'"), "not_found", None),
    (
        "002",
        S002_QUOTE.replace("films and series better", "better films and series"),
        "not_found",
        None,
    ),
    ("002", "w" + REMAIN[1:], "normalized", REMAIN),
    ("002", REMAIN.replace("remain", "Remain"), "not_found", None),
    ("002", f"{REMAIN} ... help creators make films", "elided", MAKE),
    ("002", f"{REMAIN} […] help creators make films", "elided", MAKE),
    ("002", f"{REMAIN} (...) help creators make films", "elided", MAKE),
    ("002", f"Netflix has confirmed its first on-screen use … {FASTER}", "not_found", None),
    ("002", f"{FASTER} and at a lower cost...", "elided", f"{FASTER} and at a lower cost"),
    ("002", "with $11.1 billion in revenue", "not_found", None),
    ("002", "with $11.08 billion in revenue", "exact", "with $11.08 billion in revenue"),
    ("002", "nother year totaled over 95 billion", "not_found", None),
    ("002", "the year totaled over 95 billion", "exact", "the year totaled over 95 billion"),
    ("002", "first half of the year did not total over", "not_found", None),
]


@pytest.mark.parametrize(("seed", "quote", "kind", "evidence"), CASES)
def test_seed_cases(seed: str, quote: str, kind: str, evidence: str | None) -> None:
    source = SEEDS[seed]
    m = verify_quote(source, quote)
    assert m.kind == kind, m.diagnosis
    assert m.ok == (evidence is not None)
    if evidence is not None:
        assert source[m.start : m.end] == evidence


def test_kmart_typo_verifies_only_verbatim() -> None:
    source = news_text("kmart-sears", "01_wire.txt")
    typo = "or 17 percent, to $52,90 in afternoon trading"
    m = verify_quote(source, typo)
    assert m.ok and source[m.start : m.end] == typo
    fixed = verify_quote(source, typo.replace("52,90", "52.90"))
    assert not fixed.ok
    assert fixed.closest is not None and "$52,90" in fixed.closest
    assert 'quote has "52.90" where the source has "52,90"' in fixed.differences


def test_news_quotes_with_curly_marks_verify_typed_straight() -> None:
    source = news_text("stone-indictment", "01_daily.txt")
    curly = re.search(r"“([^”]{40,200})”", source)
    assert curly is not None
    m = verify_quote(source, f'"{_typed(curly.group(1))}"')
    assert m.ok and source[m.start : m.end] == curly.group(1).rstrip(".,;:!?")


def test_spanish_passage_verifies() -> None:
    source = news_text("ecuador-elecciones", "01_diario.txt")
    m = verify_quote(source, "tras obtener 3.033.753 votos (32,72%) en la primera ronda")
    assert m.ok and m.kind == "exact"
    assert not verify_quote(source, "tras obtener 3.033.753 votos (32,7%) en la primera ronda").ok


# ----------------------------------------------------------------- contract details


def test_too_short_quotes_are_misses() -> None:
    for quote in ["", "Netflix", "AI footage", "a b c d e"]:
        m = verify_quote(SEEDS["002"], quote)
        assert not m.ok and m.kind == "too_short" and "too short" in m.differences[0]
        assert "at least 3 words and 12 characters" in m.diagnosis


def test_short_phrases_are_located_word_bounded_never_as_evidence() -> None:
    index = index_for(
        "Searchlight paid $110 billion; Scanline VFX and Scanline’s team. Scanline VFX"
    )
    assert index.locate_all("Scanline VFX") == [(31, 43), (65, 77)]
    assert index.locate_all("Sear") == [] and index.locate_all("$1") == []
    assert index.locate_all("scanline's team") == [(48, 63)]  # apostrophe and first-letter case


def test_quoted_speech_is_inside_quotation_marks_or_a_quote_left_open() -> None:
    text = (
        "Saffron said the goal is to empower creatives. “We’re doing it for artists,” she said.\n"
        "“This runs on into the next paragraph\n"
        "He called it 'a first step' and ‘a milestone’ in Netflix’s history."
    )

    def quoted(words: str) -> bool:
        start = text.index(words)
        return is_quoted_speech(text, start, start + len(words))

    assert quoted("doing it for artists") and quoted("runs on into the next")
    assert quoted("a milestone") and not quoted("to empower creatives")
    assert not quoted("Netflix’s history")


def test_zero_width_characters_count_as_nothing() -> None:
    source = "The co\u200bCEO said the\u00a0deal\u2060 was done on Friday."
    m = verify_quote(source, "The coCEO said the deal was done")
    assert m.ok and source[m.start : m.end] == "The co\u200bCEO said the\u00a0deal\u2060 was done"
    assert not verify_quote(source, "The co CEO said the deal was done").ok


def test_crlf_and_combining_marks() -> None:
    source = "El presidente\r\ndijo que la elección fue limpia."
    m = verify_quote(source, "presidente dijo que la elección fue")
    assert m.ok and source[m.start : m.end] == "presidente\r\ndijo que la elección fue"
    decomposed = "dijo que la elecc" + "io\u0301n fue limpia"
    m = verify_quote(source, decomposed)
    assert m.ok and source[m.start : m.end] == "dijo que la elección fue limpia"


def test_span_ends_after_a_trailing_combining_mark() -> None:
    source = "Ella tomó un cafe\u0301 solo."
    m = verify_quote(source, "Ella tomó un café")
    assert m.ok and source[m.start : m.end] == "Ella tomó un cafe\u0301"


def test_ellipsis_gap_is_bounded() -> None:
    filler = " ".join(["word"] * 55)
    near = f"Alpha beta gamma {filler} delta epsilon zeta."
    far = f"Alpha beta gamma {filler} {filler} delta epsilon zeta."
    m = verify_quote(near, "Alpha beta gamma ... delta epsilon zeta")
    assert m.ok and m.kind == "elided" and near[m.start : m.end] == near[:-1]
    miss = verify_quote(far, "Alpha beta gamma ... delta epsilon zeta")
    assert not miss.ok and "300 characters" in miss.differences[0]


def test_ellipsis_must_not_hide_a_negation() -> None:
    source = "The board said it will not accept the offer from the rival bidder."
    m = verify_quote(source, "The board said it will ... accept the offer")
    assert not m.ok and 'leaves out "not"' in m.differences[0]
    assert verify_quote(source, "The board said ... will not accept the offer").ok


def test_ellipsis_segments_must_stay_in_one_paragraph() -> None:
    source = "First point made here today.\n\nSecond point made there later."
    assert not verify_quote(source, "First point made here ... Second point made there").ok
    joined = source.replace("\n\n", " ")
    m = verify_quote(joined, "First point made here ... Second point made there")
    assert m.ok and m.kind == "elided" and joined[m.start : m.end] == joined[:-7]
    assert verify_quote(joined, "First point ... point made there").ok
    assert not verify_quote(joined, "Second point made there ... First point made here").ok


def test_diagnosis_names_the_changed_word() -> None:
    m = verify_quote(SEEDS["002"], S002_QUOTE.replace("cheaper", "faster"))
    assert not m.ok and m.closest is not None
    assert "cheaper" in m.closest
    assert SEEDS["002"][m.closest_start : m.closest_end] == m.closest
    assert 'quote has "faster" where the source has "cheaper"' in m.differences
    assert "cheaper" in m.diagnosis and "faster" in m.diagnosis
    added = verify_quote(SEEDS["002"], "We remain convinced that AI does not represent")
    assert any("not" in d for d in added.differences)
    dropped = verify_quote(SEEDS["002"], "remain convinced that AI represents an opportunity")
    assert 'quote drops "incredible"' in dropped.differences


def test_unrelated_quote_has_no_closest_passage() -> None:
    m = verify_quote(SEEDS["002"], "The quick brown fox jumps over the lazy dog")
    assert not m.ok and m.closest is None
    assert "no passage" in m.diagnosis


def test_index_is_cached_per_source() -> None:
    assert index_for(SEEDS["001"]) is index_for(SEEDS["001"])
    assert isinstance(index_for(SEEDS["001"]), SourceIndex)


def test_an_index_costs_a_few_bytes_a_character() -> None:
    """A source's map back to original offsets is two machine integers a character: a list of
    int objects took ~80 bytes, which a 200,000-character article turned into ~16 MB."""
    import tracemalloc

    text = "\n\n".join(SEEDS.values()) * 4  # ~80,000 characters, curly quotes and all
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = SourceIndex(text)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert index.find(" ".join(SEEDS["003"].split()[20:32])).ok
    assert held / len(text) < 24  # 16 for the spans, ~1 for the normalized text


def test_quotations() -> None:
    text = (
        "Sarandos said “AI is an opportunity” and the ‘El Eternauta’ team, Netflix’s "
        'pride since the ’80s, called it "ten times faster" («muy rápido hoy») but "ok".'
    )
    inner = [q for _, _, q in quotations(text)]
    assert inner == ["AI is an opportunity", "El Eternauta", "ten times faster", "muy rápido hoy"]
    for start, end, q in quotations(text):
        assert q in text[start:end]


def test_a_too_short_quote_says_why_in_its_diagnosis():
    match = verify_quote("Netflix reported a strong second quarter.", "Netflix")
    assert not match.ok and "too short" in match.diagnosis


@pytest.mark.parametrize("module", ["verify", "numbers", "anchors", "words", "audit"])
def test_the_verifier_is_pure(module):
    """Only the standard library and summarize.models: no model client can reach the checks."""
    import ast
    import sys

    tree = ast.parse((ROOT / "summarize" / f"{module}.py").read_text("utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - {"summarize", "__future__"} <= sys.stdlib_module_names
    assert not {"openai", "instructor", "httpx2"} & imported
