"""`summarize check`: a draft written anywhere, audited against the sources with no model."""

from __future__ import annotations

import functools
import importlib
import json
import random
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, SEEDS
from hypothesis import given, settings, strategies as st

import summarize
from summarize.audit import Checker, read_draft
from summarize.audit_text import mask_markdown, split_sentences
from summarize.models import CheckedItem
from summarize.report import DraftCheck
from summarize.sources import load_sources, source_from_text
from summarize.testing import FakeOpenAIServer, stand_in

# A reporter's draft over the five seed articles, written by hand: correct items and one of
# each planted mistake (its comments name them). The README's example runs on it too.
PLANTED = ROOT / "tests" / "drafts" / "planted.md"
DRAFT = PLANTED.read_text("utf-8")


def seeds() -> list[summarize.Source]:
    return load_sources(SEEDS)


@pytest.fixture(scope="module")
def report() -> DraftCheck:
    return summarize.check(DRAFT, SEEDS)


def item(report: DraftCheck, kind: str, text: str) -> CheckedItem:
    (found,) = [i for i in report.items if i.kind == kind and text in i.text]
    return found


def assert_spans_are_source_text(report: DraftCheck) -> None:
    texts = {s.id: s.text for s in report.sources}
    for i in report.items:
        assert report.draft.text[i.start : i.end] == i.text
        for b in [*i.backing, *([i.closest] if i.closest else [])]:
            assert texts[b.source_id][b.start : b.end] == b.text


# ----------------------------------------------------------------- the planted draft


def test_correct_items_are_backed_with_their_spans(report: DraftCheck) -> None:
    assert_spans_are_source_text(report)
    quote = item(report, "quotation", "films and series better")
    assert quote.verdict == "backed"
    speech = {b.source_id[:3]: b.quoted_speech for b in quote.backing}
    assert speech == {"002": True, "003": False}  # 003 prints the words without quote marks
    assert quote.backing[0].quoted_speech  # quoted speech first
    assert "002_e6380d9e923ae68b.txt (quoted speech)" in quote.diagnosis
    assert "003_2b45c29ad5bec665.txt (the source's own prose)" in quote.diagnosis

    ten = item(report, "number", "ten times")
    assert ten.verdict == "backed" and ten.backing[0].text == "ten times"
    assert {"faster", "traditional"} <= set(ten.backing[0].shared_words)
    assert ten.backing[0].context and "ten times faster" in ten.backing[0].context
    for text in ("10.8 million", "seven"):
        number = item(report, "number", text)
        assert number.verdict == "backed" and number.backing[0].source_id.startswith("000")
    for name in ("Eyeline Studios", "Sarandos", "Forbes", "Héctor Oesterheld"):
        assert item(report, "name", name).verdict == "backed", name


def test_a_misquote_names_the_closest_passage_and_the_difference(report: DraftCheck) -> None:
    quote = item(report, "quotation", "films and series faster")
    assert quote.verdict == "unbacked" and not quote.backing
    assert quote.closest is not None and quote.closest.source_id[:3] in ("002", "003")
    assert "films and series better" in quote.closest.text
    assert 'quote has "faster" where the source has "better"' in quote.diagnosis


def test_a_rounded_figure_is_unbacked_with_the_exact_one_shown(report: DraftCheck) -> None:
    number = item(report, "number", "$11.1 billion")
    assert number.verdict == "unbacked"
    assert "rounded?" in number.diagnosis and "$11.08 billion" in number.diagnosis
    assert number.closest is not None and number.closest.text == "$11.08 billion"
    assert number.closest.source_id.startswith("002")


def test_a_changed_scale_is_unbacked(report: DraftCheck) -> None:
    number = item(report, "number", "$3.13 million")
    assert number.verdict == "unbacked"
    assert "changed scale" in number.diagnosis and "$3.13 billion" in number.diagnosis


def test_a_number_from_the_wrong_context_is_unbacked(report: DraftCheck) -> None:
    number = item(report, "number", "$800 million")
    assert number.verdict == "unbacked" and not number.backing
    assert "about something else" in number.diagnosis
    assert number.closest is not None and number.closest.text == "800 million USD"
    assert number.closest.context and "Tyler Perry" in number.closest.context


def test_a_paraphrase_in_quotation_marks_is_unbacked(report: DraftCheck) -> None:
    quote = item(report, "quotation", "free artists")
    assert quote.verdict == "unbacked"
    assert "not verbatim in any source" in quote.diagnosis


def test_an_invented_name_is_listed(report: DraftCheck) -> None:
    unknown = [i.text for i in report.unbacked if i.kind == "name"]
    assert unknown == ["Marco Ruiz"]
    assert "no source names it" in item(report, "name", "Marco Ruiz").diagnosis


def test_exactly_the_planted_mistakes_are_unbacked(report: DraftCheck) -> None:
    assert sorted(i.text.strip('"') for i in report.unbacked) == sorted(
        [
            "an incredible opportunity to help creators make films and series faster.",
            "$11.1 billion",
            "$3.13 million",
            "$800 million",
            "free artists from repetitive chores so they can focus on craft.",
            "Marco Ruiz",
        ]
    )
    assert report.line() == (
        f"3 quotations, 6 numbers, {len(report.of_kind('name'))} names; "
        "6 unbacked (2 quotations, 3 numbers, 1 name)"
    )


def test_markdown_syntax_is_not_read_as_prose(report: DraftCheck) -> None:
    # the link's target holds digits, the emphasis wraps a name: neither disturbs the audit
    assert not any("2025" in i.text or "forbes.com" in i.text for i in report.items)
    titles = [i for i in report.of_kind("name") if i.text.endswith("Eternauta")]
    assert len(titles) == 2 and all(i.verdict == "backed" for i in titles)


# ----------------------------------------------------------------- the project's own summaries


def own_draft(result: summarize.Summary) -> str:
    paragraphs: dict[tuple[str, int], list[str]] = {}
    for s in result.sentences:
        paragraphs.setdefault((s.section, s.paragraph), []).append(s.text)
    return f"# {result.title}\n\n" + "\n\n".join(" ".join(p) for p in paragraphs.values())


def test_the_demo_summary_checks_clean() -> None:
    result = summarize.summarize(SEEDS, replay_dir=FIXTURES)
    audit = summarize.check(own_draft(result), result.sources)
    assert audit.unbacked == [], [(i.text, i.diagnosis) for i in audit.unbacked]
    assert len(audit.of_kind("quotation")) >= 1 and len(audit.of_kind("number")) >= 10
    assert_spans_are_source_text(audit)


@settings(max_examples=6, deadline=None)
@given(st.sets(st.sampled_from(sorted(SEEDS.glob("*.txt"))), min_size=1, max_size=5))
def test_summaries_of_any_seed_subset_check_clean(paths: set) -> None:
    with FakeOpenAIServer(stand_in) as server:
        result = summarize.summarize(sorted(paths), base_url=server.base_url, use_cache=False)
    audit = summarize.check(own_draft(result), result.sources)
    assert audit.unbacked == [], [(i.text, i.diagnosis) for i in audit.unbacked]


@functools.cache
def seed_checker() -> tuple[list[summarize.Source], Checker]:
    """The seeds and one Checker over them, built once (~20 ms) and reused, as its API means."""
    sources = seeds()
    return sources, Checker(sources)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_any_source_sentence_checks_clean(seed: int) -> None:
    """Copied word for word, a sentence is backed in full: each number by its own context."""
    sources, checker = seed_checker()
    rnd = random.Random(seed)
    source = rnd.choice(sources)
    a, b = rnd.choice(split_sentences(source.text))
    audit = checker.check(source_from_text(source.text[a:b], "draft"))
    assert audit.unbacked == [], [(i.text, i.diagnosis) for i in audit.unbacked]


# ----------------------------------------------------------------- pieces


def test_sentences_ignore_abbreviations_initials_and_decimals() -> None:
    text = "Mr. Smith met Héctor G. Oesterheld. Revenue was $11.08 billion! Was it? “Yes.” Done"
    spans = [text[a:b] for a, b in split_sentences(text)]
    assert spans == [
        "Mr. Smith met Héctor G. Oesterheld.",
        "Revenue was $11.08 billion!",
        "Was it?",
        "“Yes.”",
        "Done",
    ]
    wrapped = "A sentence that wraps\nonto a second line.\n\n- a list item"
    assert [wrapped[a:b] for a, b in split_sentences(wrapped, soft_newlines=True)] == [
        "A sentence that wraps\nonto a second line.",
        "- a list item",
    ]
    assert len(split_sentences("Headline\nFirst line of the article.")) == 2


def test_masking_markdown_keeps_offsets_and_prose() -> None:
    text = (
        "## Title\n\nSee [the *report*](https://x.com/2024/7) `code 42` and \\$5[^1].\n\n[^1]: 99"
    )
    masked = mask_markdown(text)
    assert len(masked) == len(text)
    assert "2024" not in masked and "42" not in masked and "99" not in masked
    assert "the  report " in masked and "$5" in masked and "#" not in masked


def test_numbers_inside_a_quotation_are_left_to_the_quotation() -> None:
    audit = summarize.check(
        'He said it was "finished ten times faster and at a lower cost".', SEEDS
    )
    assert [i.kind for i in audit.items if i.kind != "name"] == ["quotation"]
    assert audit.ok


def test_a_short_quotation_matches_word_for_word_only() -> None:
    audit = summarize.check(
        "Yoon called them “blockbuster projects” and “blockbuster films”.", SEEDS
    )
    quotes = audit.of_kind("quotation")
    assert [q.verdict for q in quotes] == ["backed", "unbacked"]
    assert quotes[0].backing[0].quoted_speech and quotes[0].backing[0].match == "words"


def test_names_tolerate_case_diacritics_and_possessives_but_not_a_swap() -> None:
    audit = summarize.check(
        "HECTOR OESTERHELD's novel. Later, Netflix’s Greg Peters spoke, then Ted Peters did.",
        SEEDS,
    )
    verdicts = {i.text: i.verdict for i in audit.of_kind("name")}
    assert verdicts == {
        "HECTOR OESTERHELD": "backed",
        "Netflix": "backed",
        "Greg Peters": "backed",
        "Ted Peters": "unbacked",
    }
    swapped = item(audit, "name", "Ted Peters")
    assert "Ted Sarandos" in swapped.diagnosis and "Greg Peters" in swapped.diagnosis


def test_sentence_initial_common_words_are_not_names() -> None:
    audit = summarize.check("Another account says so. Despite that, Netflix went on.", SEEDS)
    assert [i.text for i in audit.of_kind("name")] == ["Netflix"]


def test_a_number_with_no_candidate_and_no_similar_sentence() -> None:
    audit = summarize.check("Zebras number 4,321 in the quiet valley.", SEEDS)
    (number,) = audit.of_kind("number")
    assert number.verdict == "unbacked" and "no source" in number.diagnosis


def test_a_draft_named_by_a_string_is_read_not_checked_as_words() -> None:
    assert summarize.check(str(PLANTED), SEEDS).draft.text == DRAFT
    with pytest.raises(summarize.InputError, match=r"nodraft\.md: no such file"):
        summarize.check("nodraft.md", SEEDS)
    assert summarize.check("Netflix said so.", SEEDS).draft.text == "Netflix said so."


def test_the_index_is_built_once_for_many_drafts() -> None:
    checker = Checker(seeds())
    first = checker.check(read_draft("Netflix reported $11.08 billion in revenue."))
    second = checker.check(read_draft("Netflix reported $11.1 billion in revenue."))
    assert first.ok and not second.ok


def test_check_stays_the_function_after_its_module_is_imported() -> None:
    """Why the module is summarize/audit.py: a submodule named `check` would replace the
    package attribute `summarize.check` with itself the moment anything imported it (which
    holds in this process as in a fresh one: the attribute, once replaced, stays replaced)."""
    importlib.import_module("summarize.audit")
    importlib.import_module("summarize.audit_output")
    assert callable(summarize.check) and summarize.check.__module__ == "summarize.audit"


def test_the_audit_never_imports_a_model_client() -> None:
    code = (
        "import sys, summarize\n"
        "summarize.check('Netflix said so.', 'seeds')\n"
        "print(sorted({'openai', 'instructor', 'httpx2'} & set(sys.modules)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert run.stdout.strip() == "[]"


def test_json_has_one_record_per_item() -> None:
    audit = summarize.check(DRAFT, SEEDS)
    data = json.loads(audit.to_json())
    assert data["summary"]["unbacked"] == 6 and data["summary"]["quotation"] == 3
    assert "text" not in data["sources"][0] and data["draft"]["text"] == DRAFT
    for record in data["items"]:
        assert {"kind", "text", "verdict", "backing", "diagnosis", "start", "end"} <= set(record)


def test_numbers_read_sentence_by_sentence_equal_those_of_the_whole_text() -> None:
    """The audit parses only sentences that can hold a number: it must miss none."""
    from summarize.audit_sources import numbers_in
    from summarize.numbers import detect_decimal, find_numbers

    texts = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts += [p.read_text("utf-8") for p in sorted((ROOT / "tests" / "data").rglob("*.txt"))]
    texts.append("Twenty-one ships, a dozen boats, tenfold; half of it. A third! 3/4 of 1,200.")
    assert len(texts) > 8
    for text in texts:
        decimal = detect_decimal(text)
        whole = [(n.start, n.end, n.value, n.unit) for n in find_numbers(text, decimal=decimal)]
        parts = numbers_in(text, split_sentences(text), decimal)
        assert [(n.start, n.end, n.value, n.unit) for n in parts] == whole
