"""Read articles from files, directories, standard input or plain text into `Source` objects.

A Source's text is the reference every verified span points into, so it is exactly what was
read after decoding: line endings (CRLF, CR) and Unicode forms are kept as they are, and only a
byte-order mark is removed. Bytes that are not UTF-8 are decoded as Windows-1252, then Latin-1,
with a warning. For HTML the text is what trafilatura extracts, and spans refer to that.

Each source gets a display name readers recognise (`Source.name`): the page's title (and site
name) for HTML, else the article's first heading, else its file name, shortened to the
shortest trailing part of its path that tells it apart from the others. The same text given
twice (same sha256) is summarized once, with a warning on the copy kept.

Sizes are checked on bytes before decoding or parsing (summarize.limits), HTML extraction is
bounded in time, and a file name that is not valid UTF-8 is shown with backslash escapes
(ids and paths are display strings; a lone surrogate would break every JSON encoder after).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

from summarize.errors import (
    BinarySource,
    EmptySource,
    InputError,
    NoArticles,
    SourceNotFound,
    SourceTooLong,
)
from summarize.fetch import is_url
from summarize.limits import BYTES_PER_CHAR, HTML_EXTRACT_SECONDS, MAX_HTML_BYTES
from summarize.models import Source
from summarize.settings import DEFAULT_MAX_ARTICLE_CHARS

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
_HTML_SUFFIXES = (".html", ".htm")
_MARKDOWN_SUFFIXES = (".md", ".markdown")
_SNIFF_CHARS = 8192
_MAX_CONTROL_SHARE = 0.1
_CONTROL = frozenset(map(chr, [*range(32), 127])) - set("\t\n\r\f\v")
_STDIN = "<stdin>"

Input = str | os.PathLike[str] | Source


def load_sources(
    inputs: Input | Iterable[Input],
    *,
    max_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
    stdin: TextIO | BinaryIO | None = None,
    stdin_id: str = "stdin",
) -> list[Source]:
    """Load every input, in the order given, raising an InputError on the first bad one.

    A Path is a path; a str is article text if it holds a line break, "-" for standard input,
    and a path otherwise. A directory yields its article files, sorted by name. Ids are file
    stems ("text-1", `stdin_id` otherwise); a repeated id becomes "a-2", "a-3", ... A text
    given twice is kept once (see the module docstring), and every source gets a `name`.
    """
    items = [inputs] if isinstance(inputs, str | os.PathLike | Source) else list(inputs)
    sources: list[Source] = []
    texts = 0
    stdin_read = False
    for item in items:
        if isinstance(item, Source):
            sources.append(item)
        elif isinstance(item, str) and ("\n" in item or "\r" in item):
            texts += 1
            _check(item, f"text-{texts}", max_chars, "the text is empty")
            sources.append(source_from_text(item, f"text-{texts}"))
        elif item == "-":
            if stdin_read:
                raise InputError(_STDIN, "standard input ('-') was given more than once")
            stdin_read = True
            sources.append(_read_stdin(stdin, max_chars, stdin_id))
        elif isinstance(item, str) and is_url(item):
            sources.append(read_url(item, max_chars=max_chars))
        elif isinstance(item, str | os.PathLike):
            label = os.fspath(item)
            if not label:
                raise SourceNotFound('""', "an empty string is neither a path nor article text")
            if stat.S_ISDIR(_stat(Path(label), label).st_mode):
                sources.extend(_read_directory(label, max_chars))
            else:
                sources.append(read_source(Path(label), max_chars=max_chars))
        else:
            raise TypeError(f"cannot load an article from a {type(item).__name__}")
    return _unique_ids(_named(_deduplicated(sources)))


def read_source(
    path: str | os.PathLike[str], *, max_chars: int = DEFAULT_MAX_ARTICLE_CHARS
) -> Source:
    """Read one article file, whatever its suffix (the user named it explicitly)."""
    label = os.fspath(path)
    file = Path(label)
    info = _stat(file, label)
    mode = info.st_mode
    label = _printable(label)
    if not stat.S_ISREG(mode):
        # Opening a FIFO blocks until someone writes to it; a device may never end.
        kind = (
            "is a directory" if stat.S_ISDIR(mode) else "is not a regular file (a pipe or device?)"
        )
        raise InputError(label, f"{kind}; give an article file, or pipe the text to '-'")
    html = file.suffix.lower() in _HTML_SUFFIXES
    limit = _byte_limit(max_chars, html)
    if info.st_size > limit:
        raise SourceTooLong(label, _too_many_bytes(info.st_size, limit, max_chars, html))
    try:
        with file.open("rb") as handle:
            raw = handle.read(limit + 1)  # the file may have grown since stat
    except OSError as exc:
        raise InputError(label, _reason(exc)) from None
    if len(raw) > limit:
        raise SourceTooLong(label, _too_many_bytes(len(raw), limit, max_chars, html, more=True))
    suffix = file.suffix.lower()
    source = _from_bytes(raw, _printable(file.stem), label, label, max_chars, html=html)
    if source.name is None:
        source.name = heading(source.text, markdown=suffix in _MARKDOWN_SUFFIXES)
    return source


def read_url(url: str, *, max_chars: int = DEFAULT_MAX_ARTICLE_CHARS) -> Source:
    """Fetch one article page (see summarize.fetch); the Source keeps the URL and the sha256
    of the bytes received, and its text is what trafilatura extracts from them."""
    from summarize.fetch import fetch, url_id

    raw, final, html, charset = fetch(url)
    source = _from_bytes(
        raw, url_id(final), None, url, max_chars, html=html, empty="the page is empty",
        charset=charset,
    )  # fmt: skip
    source.url = final
    if final != url:
        source.warnings.append(f"fetched from {final} (redirected)")
    if source.name is None:
        source.name = heading(source.text)
    return source


def source_from_text(text: str, source_id: str, *, path: str | None = None) -> Source:
    """A Source holding `text` unchanged; sha256 is that of its UTF-8 encoding."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return Source(id=source_id, path=path, sha256=digest, text=text, encoding="utf-8")


def _read_stdin(stdin: TextIO | BinaryIO | None, max_chars: int, source_id: str) -> Source:
    stream = stdin if stdin is not None else sys.stdin
    if stream is None or getattr(stream, "closed", False):
        raise InputError(_STDIN, "standard input is closed; pipe the article text to '-'")
    limit = _byte_limit(max_chars, html=False)
    try:
        data = getattr(stream, "buffer", stream).read(limit + 1)  # bytes, not a locale decoding
    except (OSError, ValueError) as exc:
        raise InputError(_STDIN, f"cannot be read ({type(exc).__name__})") from None
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if len(raw) > limit:
        raise SourceTooLong(_STDIN, _too_many_bytes(len(raw), limit, max_chars, False, more=True))
    source = _from_bytes(raw, source_id, None, _STDIN, max_chars, empty="standard input is empty")
    source.name = heading(source.text) or "standard input"
    return source


def _read_directory(label: str, max_chars: int) -> list[Source]:
    names = []
    try:
        with os.scandir(label) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.name.lower().endswith(ARTICLE_SUFFIXES):
                    continue
                try:
                    regular = entry.is_file()
                except OSError as exc:  # a symlink loop, say: name the entry, not the folder
                    raise InputError(_printable(entry.path), _reason(exc)) from None
                if regular:
                    names.append(entry.name)
    except OSError as exc:
        raise InputError(_printable(label), _reason(exc)) from None
    if not names:
        raise NoArticles(_printable(label), "no .txt, .md or .html articles in this directory")
    return [read_source(os.path.join(label, name), max_chars=max_chars) for name in sorted(names)]


def _from_bytes(
    raw: bytes,
    source_id: str,
    path: str | None,
    label: str,
    max_chars: int,
    *,
    html: bool = False,
    empty: str = "the file is empty",
    charset: str | None = None,
) -> Source:
    text, encoding = _decode(raw, charset)
    warnings = []
    if encoding in ("windows-1252", "latin-1"):
        warnings.append(f"decoded as {encoding}; check the special characters")
    _check(text, label, None if html else max_chars, empty)
    name = None
    if html:
        text, name = _extract_html(text, label)
        warnings.append("text extracted from HTML; spans refer to the extracted text")
        _check(text, label, max_chars, "no article text found in the HTML")
    digest = hashlib.sha256(raw).hexdigest()
    return Source(
        id=source_id,
        path=path,
        name=name,
        sha256=digest,
        text=text,
        encoding=encoding,
        warnings=warnings,
    )


def _decode(raw: bytes, charset: str | None = None) -> tuple[str, str]:
    """The text and the codec that decoded it: a byte-order mark's, else UTF-8 (which bytes
    in another encoding almost never pass), else the charset a server named, else Windows-1252;
    Latin-1 decodes any bytes, so it comes last."""
    if raw.startswith(codecs.BOM_UTF8):
        first = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        first = "utf-16"  # Windows "Unicode" text; its NUL bytes would otherwise look binary
    else:
        first = "utf-8"
    for encoding in (first, charset, "windows-1252"):
        if not encoding:
            continue
        try:
            return raw.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1"), "latin-1"


def _check(text: str, label: str, max_chars: int | None, empty: str) -> None:
    head = text[:_SNIFF_CHARS]
    if "\x00" in head:
        raise BinarySource(label, "looks binary (NUL bytes), not a text article")
    if sum(char in _CONTROL for char in head) > _MAX_CONTROL_SHARE * len(head):
        raise BinarySource(label, "looks binary (control characters), not a text article")
    if not text.strip():
        raise EmptySource(label, empty)
    if max_chars is not None and len(text) > max_chars:
        raise SourceTooLong(
            label,
            f"{len(text):,} characters, over the limit of {max_chars:,} "
            "(split the article or raise max_article_chars)",
        )


def _byte_limit(max_chars: int, html: bool) -> int:
    """Bytes above which an article cannot fit: checked before decoding or parsing."""
    return MAX_HTML_BYTES if html else BYTES_PER_CHAR * max_chars + len(codecs.BOM_UTF8)


def _too_many_bytes(size: int, limit: int, max_chars: int, html: bool, more: bool = False) -> str:
    over = "over " if more else ""
    if html:
        return f"{over}{size:,} bytes of HTML, over the limit of {limit:,} bytes"
    return (
        f"{over}{size:,} bytes, more than {max_chars:,} characters can take (split the "
        "article or raise max_article_chars)"
    )


def _printable(name: str) -> str:
    """A file name fit for one line of text: undecodable bytes (surrogate escapes) shown as
    \\xNN, control characters (a newline in a name) as their escapes."""
    valid = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if valid.isprintable():
        return valid
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in valid)


def _extract_html(html: str, label: str) -> tuple[str, str | None]:
    """The article text trafilatura finds, and the page's title and site name as its name."""
    try:
        import trafilatura  # lazily: it takes a while to import and is an optional extra
    except ImportError as exc:
        problem = "reading HTML needs the optional extra: pip install 'summarize[html]'"
        if exc.name != "trafilatura":  # installed, but one of its dependencies is broken
            problem += f" (trafilatura failed to import: {str(exc).splitlines()[0]})"
        raise InputError(label, problem) from None
    box: dict[str, object] = {}

    def extract() -> None:
        try:
            box["text"] = trafilatura.extract(
                html, include_comments=False, include_tables=False, favor_precision=True
            )
            box["meta"] = trafilatura.extract_metadata(html)
        except Exception as exc:  # reported below as this file's problem
            box["error"] = exc

    # A daemon thread: past the bound the caller gets an error and exiting is never blocked.
    worker = threading.Thread(target=extract, name=f"extract {label}", daemon=True)
    worker.start()
    worker.join(HTML_EXTRACT_SECONDS)
    if worker.is_alive():
        raise InputError(label, f"HTML extraction took over {HTML_EXTRACT_SECONDS:g} s; gave up")
    if "error" in box:
        error = box["error"]
        raise InputError(label, f"HTML extraction failed ({type(error).__name__})")
    meta = box.get("meta")
    title = _one_line(getattr(meta, "title", None) or "")
    site = _one_line(getattr(meta, "sitename", None) or "")
    if site and site.casefold() not in title.casefold():
        title = f"{title} — {site}" if title else site
    return str(box.get("text") or ""), title or None


def _stat(path: Path, label: str) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        raise SourceNotFound(_printable(label), "no such file or directory") from None
    except OSError as exc:
        raise InputError(_printable(label), _reason(exc)) from None


def _reason(exc: OSError) -> str:
    """The OS's reason in lower case, without the errno and path Python adds to str(exc)."""
    return (exc.strerror or type(exc).__name__).lower()


def _unique_ids(sources: list[Source]) -> list[Source]:
    """The first source keeps its id; a later one with the same id becomes id-2, id-3, ..."""
    taken: set[str] = set()
    unique = []
    for source in sources:
        new_id, n = source.id, 2
        while new_id in taken:
            new_id, n = f"{source.id}-{n}", n + 1
        taken.add(new_id)
        unique.append(source if new_id == source.id else source.model_copy(update={"id": new_id}))
    return unique


_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_NOT_A_HEADLINE = re.compile(r"^(?:by|from|updated|published|posted)\b", re.IGNORECASE)


def heading(text: str, *, markdown: bool = False) -> str | None:
    """The article's first heading: a Markdown `#` heading, or a first line shaped like a
    headline (3 to 20 words, at most 150 characters, not ending like a sentence); else None."""
    if markdown and (match := _HEADING.search(text[:_SNIFF_CHARS])):
        return _one_line(match.group(1)) or None
    first = next((line.strip() for line in text[:_SNIFF_CHARS].splitlines() if line.strip()), "")
    first = first.lstrip("#").strip()
    words = len(first.split())
    if (
        3 <= words <= 20
        and len(first) <= 150
        and not first.endswith((".", ",", ";", ":"))
        and not _NOT_A_HEADLINE.match(first)
    ):
        return _one_line(first)
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _deduplicated(sources: list[Source]) -> list[Source]:
    """Keep the first of several sources with the same sha256; warn on the one kept."""
    kept: dict[str, Source] = {}
    for source in sources:
        first = kept.get(source.sha256)
        if first is None:
            kept[source.sha256] = source
            continue
        where, again = _where(first), _where(source)
        note = (
            "given twice; summarized once"
            if where == again
            else f"the same text as {again}; summarized once"
        )
        kept[source.sha256] = first.model_copy(update={"warnings": [*first.warnings, note]})
    return list(kept.values())


def _where(source: Source) -> str:
    return source.path or source.url or source.id


def _named(sources: list[Source]) -> list[Source]:
    """Give each source a display name (left None when it would only repeat the id); names
    that would be equal get their short path, URL or id added."""
    short = _short_paths([s.path for s in sources])
    names = [s.name or short[i] or s.url or s.id for i, s in enumerate(sources)]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    named = []
    for i, (source, name) in enumerate(zip(sources, names, strict=True)):
        if counts[name] > 1:
            name = f"{name} ({short[i] or source.url or source.id})"
        if name in (source.name, source.id):
            named.append(source)
        else:
            named.append(source.model_copy(update={"name": name}))
    return named


def _short_paths(paths: list[str | None]) -> list[str | None]:
    """Each path's shortest trailing part (file name, then parent/file name, ...) that no
    other path ends with; paths given the same way twice keep their whole form."""
    split = [Path(os.path.normpath(p)).parts if p else () for p in paths]
    short: list[str | None] = []
    for i, parts in enumerate(split):
        if not parts:
            short.append(None)
            continue
        for k in range(1, len(parts) + 1):
            tail = parts[-k:]
            if not any(j != i and other[-k:] == tail for j, other in enumerate(split)):
                break
        short.append(os.path.join(*tail))
    return short
