"""The checkable anchors of a sentence besides numbers and quotations: names, speakers, negations.

A summary sentence is the model's paraphrase stretched between anchors. Numbers and quotations
are checked by `numbers` and `verify`; this module finds the other three and says whether a text
(a cited claim's statement and evidence) backs them:

- proper names: capitalised word sequences ("Ted Sarandos", "Writers Guild of America",
  "SAG-AFTRA"), matched as a unit, tolerant of case, diacritics, possessives and dash variants;
- attributions: the person or body a sentence says spoke ("Peters said", "according to Forbes",
  "Inga Saffron, Netflix's vice president, said");
- negations: "not", "never", "without", "rather than"… with the words they govern, so that
  "was not completed ten times faster" cannot rest on "was completed ten times faster".

Pure and deterministic, like the verifier: it imports nothing from openai or instructor. What it
cannot see (the paraphrase of plain prose between anchors) stays trusted to the model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from summarize.words import STOPWORDS

# --------------------------------------------------------------------------- normal form

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))
_APOSTROPHES = str.maketrans(dict.fromkeys("’‘`´′", "'"))


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Compare form: compatibility forms, no diacritics, case-folded, one dash and apostrophe,
    single spaces. "Héctor G. Oesterheld’s" and "hector g. oesterheld's" fold alike."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_DASHES).translate(_APOSTROPHES).casefold()
    return " ".join(text.split())


def mentions(haystack: str, phrase: str) -> bool:
    """Whether `phrase` stands in `haystack` as whole words, in folded form."""
    needle = fold(phrase)
    if not needle:
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", fold(haystack)) is not None


# --------------------------------------------------------------------------- names

# A capitalised word (Unicode upper case first), possibly hyphenated or with an apostrophe
# inside (O'Brien, Guild-American, SAG-AFTRA); a trailing possessive is not part of the name.
_TOKEN = re.compile(r"[^\W\d_][\w&]*(?:['’‐\-][\w&]+)*")
_CONNECTORS = frozenset("of de del della der di da du la le van von y el al bin".split())
_GENERIC_ACRONYMS = frozenset(
    "AI GENAI GEN CEO CFO COO CTO VFX CGI TV VR AR PR HR GDP IPO USD EUR GBP OK".split()
)
_OPENERS = frozenset('.!?:;"“‘«([—–\n')
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class Name:
    """A proper name as written, with its span in the text it was found in."""

    text: str
    start: int
    end: int


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _is_generic(word: str) -> bool:
    return word.isupper() and word.replace("-", "") in _GENERIC_ACRONYMS


def _starts_sentence(text: str, at: int) -> bool:
    j = at - 1
    while j >= 0 and text[j] in " \t\u00a0":
        j -= 1
    return j < 0 or text[j] in _OPENERS


def proper_names(
    text: str,
    *,
    is_common: Callable[[str], bool] | None = None,
    skip: Iterable[tuple[int, int]] = (),
) -> list[Name]:
    """Proper names in `text`: runs of capitalised words (joined by "of", "de", "van"…).

    A capitalised word that starts a sentence, or any word of a title-case text, is read as a
    name only if `is_common(word)` is false (by default: if it is not a stopword); callers pass
    a test against their sources' vocabulary, so "Without" and "Animation" at a sentence start
    are common words while "Netflix" is a name. Spans in `skip` (quotations) are not searched.
    """
    common = is_common or (lambda w: w.casefold() in STOPWORDS)
    hidden = list(skip)
    tokens = [
        m
        for m in _TOKEN.finditer(text)
        if not any(a <= m.start() < b for a, b in hidden)
        and not (m.start() and text[m.start() - 1].isalnum())  # "6.28PM", "H5N1": no name
    ]
    title_case = _is_title_case(text)
    names: list[Name] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and run[-1].group().casefold() in _CONNECTORS:
            run.pop()
        if run:
            start, end = run[0].start(), run[-1].end()
            names.append(Name(_POSSESSIVE.sub("", text[start:end]), start, end))
        run.clear()

    for i, m in enumerate(tokens):
        raw = m.group()
        word = _POSSESSIVE.sub("", raw) if raw.endswith(("'s", "’s")) else raw
        joined = bool(run) and _adjacent(text, run[-1].end(), m.start())
        if not joined:
            close()
        name_like = (
            _capitalised(word) and not _is_generic(word) and word.casefold() not in STOPWORDS
        )
        if name_like and (title_case or (not joined and _starts_sentence(text, m.start()))):
            name_like = not common(word)
        if name_like:
            run.append(m)
            if word != raw:  # a possessive ends the name
                close()
            continue
        if run and word.casefold() in _CONNECTORS and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if _capitalised(nxt.group()) and _adjacent(text, m.end(), nxt.start()):
                run.append(m)
                continue
        close()
    close()
    return [n for n in names if len(n.text) > 1]


def _adjacent(text: str, end: int, start: int) -> bool:
    """Two words are one name's words only with a single space or hyphen between them, or the
    full stop of an initial ("Héctor G. Oesterheld")."""
    gap = text[end:start]
    return gap in (" ", "\u00a0", "-", " & ") or (
        gap == ". "
        and end >= 1
        and text[end - 1].isupper()
        and not text[end - 2 : end - 1].isalpha()
    )


def _is_title_case(text: str) -> bool:
    """A headline in Title Case, where capitals say nothing about names."""
    words = [w for w in _TOKEN.findall(text) if len(w) > 3]
    return len(words) >= 3 and sum(map(_capitalised, words)) >= 0.8 * len(words)


def vocabulary_test(texts: Iterable[str]) -> Callable[[str], bool]:
    """An `is_common` test: a word is common if the texts also write it (or its stem) in lower
    case, as they do "uses" and "animation" but never "Netflix"."""
    roots = {root(w) for t in texts for w in _TOKEN.findall(t) if w[:1].islower()}
    return lambda word: root(word) in roots or word.casefold() in STOPWORDS


# --------------------------------------------------------------------------- attribution

_SPEECH_VERBS = (
    "said says say told tells added adds explained explains emphasized emphasizes emphasised "
    "emphasises noted notes stated states argued argues claimed claims insisted insists warned "
    "warns announced announces wrote writes highlighted highlights mentioned mentions "
    "acknowledged acknowledges stressed stresses declared declares remarked remarks commented "
    "comments asserted asserts underscored underscores elaborated elaborates discussed "
    "discusses maintained maintains confirmed confirms"
).split()
_VERB = re.compile(rf"\b(?:{'|'.join(_SPEECH_VERBS)})\b")
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+")
_ADVERB_GAP = re.compile(
    r"^(?:\s+(?:also|later|previously|recently|reportedly|then|has|have|had))*\s*$"
)


def attributions(text: str, names: list[Name] | None = None) -> list[Name]:
    """The names a text says spoke: "X said", "X, a role, said", "said X", "according to X"."""
    names = proper_names(text) if names is None else names
    found: list[Name] = []
    for verb in _VERB.finditer(text):
        before = text[: verb.start()]
        subject = _subject_before(before, names)
        if subject is None:
            after = [
                n for n in names if n.start >= verb.end() and not text[verb.end() : n.start].strip()
            ]
            subject = after[0] if after else None
        if subject is not None:
            found.append(subject)
    for m in _ACCORDING.finditer(text):
        after = [n for n in names if n.start == m.end()]
        if after:
            found.append(after[0])
    return found


def _subject_before(before: str, names: list[Name]) -> Name | None:
    """The name right before a speech verb, looking past an appositive between commas."""
    trimmed = before.rstrip()
    if trimmed.endswith(","):  # "Inga Saffron, Netflix's vice president, said"
        opening = trimmed.rfind(",", 0, len(trimmed) - 1)
        if opening < 0 or len(trimmed) - opening > 120:
            return None
        trimmed = trimmed[:opening]
    candidates = [n for n in names if n.end <= len(trimmed)]
    if not candidates:
        return None
    last = max(candidates, key=lambda n: n.end)
    return last if _ADVERB_GAP.match(trimmed[last.end :]) else None


def same_person(a: str, b: str) -> bool:
    """ "Sarandos" names the same person as "Ted Sarandos" (whole words, in order)."""
    fa, fb = fold(a).split(), fold(b).split()
    if not fa or not fb:
        return False
    short, long = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    return any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


# --------------------------------------------------------------------------- negation

_NEGATION = re.compile(
    r"\b(?:not|no|never|without|neither|nor|cannot|none|nobody|nothing|nowhere)\b"
    r"|n['’]t\b|\b(?:rather than|instead of)\b",
    re.IGNORECASE,
)
_NOT_NEGATION = re.compile(r"\s+(?:only|just|merely|least|until|to mention)\b", re.IGNORECASE)
_STRONG = frozenset({"not", "n't", "n’t", "never", "no", "cannot", "none", "nobody", "nothing"})
_AUXILIARIES = frozenset(
    """be been being is was were are am have has had do does did will would could should can
    may might must shall yet also even ever always so very really actually reportedly
    deliberately officially necessarily entirely fully quite as the a an its their his her
    any such more much""".split()
)
_WORD = re.compile(r"[^\W\d_]+")
_SUFFIXES = ("ments", "ment", "ions", "ion", "ings", "ing", "ers", "er", "ed", "es", "ly", "s")


@lru_cache(maxsize=1 << 16)
def root(word: str) -> str:
    """A crude stem for matching a negated word: "replacement", "replaced", "replace" alike.
    Cached: every vocabulary test stems every word of its texts."""
    word = fold(word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:5]


def _related(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))


@dataclass(frozen=True)
class Negation:
    cue: str
    start: int
    heads: tuple[str, ...]  # roots of the first content words the cue governs

    @property
    def strong(self) -> bool:
        return self.cue.casefold() in _STRONG or self.cue.casefold().endswith(("n't", "n’t"))


def negations(text: str, skip: Iterable[tuple[int, int]] = ()) -> list[Negation]:
    """Each negation cue with the (up to two) content words after it, within its clause."""
    hidden = list(skip)
    found = []
    for m in _NEGATION.finditer(text):
        if any(a <= m.start() < b for a, b in hidden) or _NOT_NEGATION.match(text, m.end()):
            continue
        clause = re.split(r"[,;:.!?—–]", text[m.end() : m.end() + 80], maxsplit=1)[0]
        heads = [
            root(w)
            for w in _WORD.findall(clause)
            if w.casefold() not in _AUXILIARIES and w.casefold() not in STOPWORDS
        ][:2]
        if heads:
            found.append(Negation(m.group(), m.start(), tuple(heads)))
    return found


def polarity_problems(text: str, backing: str, skip: Iterable[tuple[int, int]] = ()) -> list[str]:
    """Where the negations of `text` and of its backing disagree, in words a person can act on.

    Each negation in `text` must be matched by a negation in `backing` of a related word; and a
    strong negation in `backing` ("not replace") whose word `text` uses must be negated there too.
    """
    problems = []
    hidden = list(skip)  # quotations: checked verbatim instead
    for a, b in hidden:
        text = text[:a] + " " * (b - a) + text[b:]
    ours = negations(text)
    theirs = negations(backing)
    for neg in ours:
        if not any(_related(h, t) for other in theirs for h in neg.heads for t in other.heads):
            snippet = " ".join(text[neg.start :].split()[:3])
            problems.append(f"it says “{snippet}” but the cited evidence states no such negation")
    our_roots = {root(w) for w in _WORD.findall(text)}
    negated_here = {h for neg in ours for h in neg.heads}
    for neg in theirs:
        head = neg.heads[0]
        if not neg.strong or any(_related(head, h) for h in negated_here):
            continue
        if any(_related(head, r) for r in our_roots):
            snippet = " ".join(backing[neg.start :].split()[:3])
            problems.append(
                f"the cited evidence says “{snippet}” but the sentence drops the negation"
            )
    return problems


__all__ = [
    "Name",
    "Negation",
    "attributions",
    "fold",
    "mentions",
    "negations",
    "polarity_problems",
    "proper_names",
    "root",
    "same_person",
    "vocabulary_test",
]
