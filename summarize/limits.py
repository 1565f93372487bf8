"""Every size and time limit in one place: what a hostile or broken input can cost is bounded.

Sizes are checked on bytes before anything parses them (an article before decoding and HTML
extraction, a model answer before JSON parsing), so a huge input is refused in the time it
takes to read its size, not after parsing it.
"""

from __future__ import annotations

MAX_ANSWER_BYTES = 4_000_000
"""One HTTP answer from the model server, decoded (so a gzip bomb is caught too)."""

MAX_CLAIMS_PER_ARTICLE = 12
"""The schema's maximum (ArticleClaims.claims, maxItems): more is re-asked, then an error.
With it, the compose input grows with the number of articles (windows), never with what one
answer claims; summarize.budget fits it to the model's context window."""

MAX_HTML_BYTES = 5_000_000
"""An HTML article before extraction; extraction time grows faster than its size."""

HTML_EXTRACT_SECONDS = 30.0
"""Wall-clock bound on extracting the text of one HTML article."""

BYTES_PER_CHAR = 4
"""UTF-8 needs at most 4 bytes per character: a text file over 4 x max_chars bytes is too long
before it is decoded."""

MAX_RECORDING_BYTES = 2 * MAX_ANSWER_BYTES + 8_000_000
"""One recording file under --replay (request + response); a larger file is skipped."""
