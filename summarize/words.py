"""Content words: what two texts must share for one to be said to rest on the other.

A crude, deterministic stem (the first five letters of a lower-cased word) lets "collapse"
meet "collapsing" and "revenue" meet "revenues" without a language model or a stemmer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just me more most my myself no nor not now of off on once only or other our
    ours out over own said same says she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours according told stated
    el la los las de del y en que un una por con para se su sus al lo como más""".split()
)


def stem(word: str) -> str:
    return word.lower()[:5]


def content_words(text: str) -> set[str]:
    """Stems of the words in `text` that carry meaning (no stopwords, no one-letter words)."""
    return {stem(w) for w in _WORD.findall(text) if len(w) > 1 and w.lower() not in STOPWORDS}


def unquoted(text: str) -> str:
    """`text` without enclosing quotation marks or spaces, so that it can be quoted once."""
    return text.strip().strip("\"“”‘’'«» ")


def common_words(statements: Sequence[str]) -> set[str]:
    """Stems found in most of the statements (the story's own vocabulary, "Netflix", "AI"):
    sharing one says nothing about whether two texts make the same point."""
    counts = Counter(w for text in statements for w in content_words(text))
    return {w for w, n in counts.items() if n > max(2, len(statements) * 0.3)}
