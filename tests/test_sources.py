"""The loader: what a Source holds is byte-for-byte what the user has, or a one-line error."""

from __future__ import annotations

import hashlib
import io
import os
import sys
from pathlib import Path

import pytest
from conftest import NEWS

import summarize
from summarize.errors import (
    BinarySource,
    EmptySource,
    InputError,
    NoArticles,
    SourceNotFound,
    SourceTooLong,
)
from summarize.models import Source
from summarize.sources import load_sources, read_source, source_from_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Council approves bridge | Daily Example</title>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news</a></li>
<li><a href="/subscribe">Subscribe today for unlimited access</a></li></ul></nav></header>
<main><article>
<h1>Council approves new bridge over the river</h1>
<p>The city council voted 7 to 2 on Tuesday to approve a new pedestrian bridge across the river,
ending a debate that had lasted more than three years.</p>
<p>“This is a good day for everyone who walks to work,” said the mayor, Ana Lopez, after the
vote. The bridge is expected to cost $14.5 million and to open in 2027.</p>
<p>Opponents argued that the money would be better spent on repairing existing roads.</p>
</article></main>
<footer><p>© 2024 The Daily Example. All rights reserved.</p></footer>
</body></html>
"""


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def fails(exc: type[Exception], inputs, **kwargs) -> str:
    """The error message, checked to be one line starting with the input's path."""
    with pytest.raises(exc) as info:
        load_sources(inputs, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{info.value.path}: ")
    return message


def test_seeds_load_in_order_with_stem_ids_and_sha256_of_bytes(monkeypatch):
    monkeypatch.chdir(SEEDS.parent)
    sources = summarize.load_sources("seeds")
    files = sorted(SEEDS.glob("*.txt"))
    assert len(sources) == len(files) == 5
    for source, file in zip(sources, files, strict=True):
        assert source.id == file.stem
        assert source.path == os.path.join("seeds", file.name)
        assert source.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
        assert source.text == file.read_bytes().decode("utf-8")
        assert source.encoding == "utf-8" and source.warnings == []


def test_text_with_newline_is_an_article_and_path_is_always_a_path(tmp_path):
    (tmp_path / "x").mkdir()
    write(tmp_path / "x" / "a.txt", b"From a file.\n")
    sources = load_sources(["First article.\nMore.", tmp_path / "x", "Second\r\n"])
    assert [s.id for s in sources] == ["text-1", "a", "text-2"]
    assert sources[0].text == "First article.\nMore." and sources[0].path is None
    assert sources[0].sha256 == hashlib.sha256(b"First article.\nMore.").hexdigest()
    assert sources[2].text == "Second\r\n"
    assert load_sources("Old Mac\rline endings")[0].id == "text-1"  # CR is a line break too
    # A str without a newline is a path, never guessed to be text.
    assert fails(SourceNotFound, "Just one line of text") == (
        "Just one line of text: no such file or directory"
    )
    assert fails(EmptySource, ["a\n", " \n\t"]) == "text-2: the text is empty"


def test_single_path_and_ready_sources_pass_through(tmp_path):
    ready = source_from_text("Ready made.", "mine")
    file = write(tmp_path / "b.md", b"# Title\nBody.\n")
    assert load_sources(file)[0].id == "b"
    assert load_sources(str(file))[0].text == "# Title\nBody.\n"
    assert load_sources([ready, file]) == [ready, load_sources(file)[0]]


def test_stdin_reads_bytes(tmp_path):
    stdin = io.BytesIO("Caf\u00e9 story.\r\n".encode())
    (source,) = load_sources("-", stdin=stdin)
    assert source.id == "stdin" and source.path is None
    assert source.text == "Caf\u00e9 story.\r\n"
    assert source.sha256 == hashlib.sha256("Caf\u00e9 story.\r\n".encode()).hexdigest()
    assert load_sources(["-"], stdin=io.StringIO("From text.\n"))[0].text == "From text.\n"
    assert fails(EmptySource, "-", stdin=io.BytesIO(b"")) == "<stdin>: standard input is empty"
    assert "more than once" in fails(InputError, ["-", "-"], stdin=io.BytesIO(b"x"))


def test_bom_is_stripped_so_spans_start_at_the_text(tmp_path):
    raw = b"\xef\xbb\xbfHeadline\nBody."
    (source,) = load_sources(write(tmp_path / "bom.txt", raw))
    assert source.text == "Headline\nBody." and source.text[0] != "\ufeff"
    assert source.encoding == "utf-8-sig"
    assert source.sha256 == hashlib.sha256(raw).hexdigest()  # of the bytes, BOM included


def test_utf16_with_bom_is_text_not_binary(tmp_path):
    (source,) = load_sources(write(tmp_path / "u.txt", "Notepad “Unicode”.\r\n".encode("utf-16")))
    assert source.text == "Notepad “Unicode”.\r\n" and source.encoding == "utf-16"


def test_cp1252_curly_quotes_decode_with_a_warning(tmp_path):
    raw = b"He said \x93no comment\x94 and left \x96 it cost \x80 5.\n"
    (source,) = load_sources(write(tmp_path / "win.txt", raw))
    assert source.text == "He said “no comment” and left – it cost € 5.\n"
    assert source.encoding == "windows-1252"
    assert source.warnings == ["decoded as windows-1252; check the special characters"]


def test_latin1_when_windows_1252_cannot_decode(tmp_path):
    raw = b"Caf\xe9 na\xefve \x8d\n"  # 0x8D is undefined in Windows-1252
    (source,) = load_sources(write(tmp_path / "l1.txt", raw))
    assert source.text == raw.decode("latin-1") and source.encoding == "latin-1"
    assert source.warnings == ["decoded as latin-1; check the special characters"]


def test_line_endings_are_kept(tmp_path):
    raw = b"One.\r\nTwo.\rThree.\n"
    (source,) = load_sources(write(tmp_path / "crlf.txt", raw))
    assert source.text == "One.\r\nTwo.\rThree.\n"


def test_bad_inputs_raise_one_line_errors_naming_the_path(tmp_path):
    missing = tmp_path / "missing.txt"
    assert fails(SourceNotFound, missing) == f"{missing}: no such file or directory"
    empty = write(tmp_path / "empty.txt", b"")
    assert fails(EmptySource, empty) == f"{empty}: the file is empty"
    blank = write(tmp_path / "blank.txt", b" \r\n\t\n")
    assert fails(EmptySource, blank) == f"{blank}: the file is empty"
    binary = write(tmp_path / "img.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert fails(BinarySource, binary) == (
        f"{binary}: looks binary (NUL bytes), not a text article"
    )
    controls = write(tmp_path / "ctl.txt", bytes(range(1, 9)) * 20 + b"text")
    assert "looks binary (control characters)" in fails(BinarySource, controls)
    (tmp_path / "nothing").mkdir()
    write(tmp_path / "nothing" / "notes.pdf", b"x")
    write(tmp_path / "nothing" / ".hidden.txt", b"x")
    assert fails(NoArticles, tmp_path / "nothing") == (
        f"{tmp_path / 'nothing'}: no .txt, .md or .html articles in this directory"
    )
    long = write(tmp_path / "long.txt", b"word " * 2500)
    assert fails(SourceTooLong, long, max_chars=10_000) == (
        f"{long}: 12,500 characters, over the limit of 10,000 "
        "(split the article or raise max_article_chars)"
    )
    assert load_sources(long, max_chars=12_500)[0].text == "word " * 2500


def test_the_first_bad_input_raises_even_after_good_ones(tmp_path):
    good = write(tmp_path / "good.txt", b"Fine.")
    assert fails(SourceNotFound, [good, tmp_path / "a", tmp_path / "b"]).startswith(
        str(tmp_path / "a")
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "is not a regular file" in fails(InputError, fifo)
    with pytest.raises(InputError, match="is a directory"):
        read_source(tmp_path)


def test_unreadable_file_gives_the_os_reason_in_one_line(tmp_path, monkeypatch):
    locked = write(tmp_path / "locked.txt", b"secret")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)  # chmod 0 does not stop root
    assert fails(InputError, locked) == f"{locked}: permission denied"
    assert fails(InputError, locked / "x") == f"{locked / 'x'}: not a directory"


def test_directory_takes_article_suffixes_sorted_non_recursive(tmp_path):
    for name in ["b.TXT", "a.md", "c.htm.bak", ".hidden.txt", "d.json"]:
        write(tmp_path / name, f"Article text of {name}.".encode())
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "e.txt", b"Nested.")
    assert [s.id for s in load_sources(tmp_path)] == ["a", "b"]
    assert load_sources(tmp_path / "d.json")[0].id == "d"  # named explicitly: read anyway


def test_id_clashes_are_disambiguated_deterministically(tmp_path):
    for name in ["a.txt", "a.md", "a-2.txt"]:
        write(tmp_path / name, name.encode())
    (tmp_path / "other").mkdir()
    write(tmp_path / "other" / "a.txt", b"other")
    sources = load_sources([tmp_path, tmp_path / "other", source_from_text("s", "a")])
    assert [(s.id, s.text) for s in sources] == [
        ("a-2", "a-2.txt"),
        ("a", "a.md"),
        ("a-3", "a.txt"),
        ("a-4", "other"),
        ("a-5", "s"),
    ]


def test_html_keeps_the_article_and_drops_the_boilerplate(tmp_path):
    pytest.importorskip("trafilatura")
    page = write(tmp_path / "story.HTML", ARTICLE_HTML.encode())
    (source,) = load_sources(page)
    assert "voted 7 to 2 on Tuesday" in source.text
    assert "“This is a good day for everyone who walks to work,” said the mayor" in source.text
    assert "Subscribe today" not in source.text and "All rights reserved" not in source.text
    assert source.sha256 == hashlib.sha256(page.read_bytes()).hexdigest()
    assert source.warnings == ["text extracted from HTML; spans refer to the extracted text"]
    hollow = write(tmp_path / "hollow.html", b"<html><body><script>x()</script></body></html>")
    assert fails(EmptySource, hollow) == f"{hollow}: no article text found in the HTML"


def test_html_without_trafilatura_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # makes `import trafilatura` fail
    page = write(tmp_path / "story.htm", ARTICLE_HTML.encode())
    assert fails(InputError, page) == (
        f"{page}: reading HTML needs the optional extra: pip install 'summarize[html]'"
    )


def test_news_copy_loads_verbatim():
    clusters = sorted(p for p in NEWS.iterdir() if p.is_dir())
    assert clusters
    for cluster in clusters:
        files = sorted(cluster.glob("*.txt"))
        sources = load_sources(files)
        assert [s.id for s in sources] == [f.stem for f in files]
        for source, file in zip(sources, files, strict=True):
            assert source.text.strip() and source.warnings == []
            assert source.text == file.read_bytes().decode("utf-8")
    stone = load_sources(NEWS / "stone-indictment" / "01_daily.txt")[0].text
    assert all(mark in stone for mark in "“”’")
    brief = load_sources(NEWS / "band-aid-20" / "02_brief.txt")[0].text
    assert "\r\n" in brief


def test_source_from_text_is_unchanged():
    source = source_from_text("\ufeffKept as given\r\n", "t", path="p")
    assert isinstance(source, Source) and source.text == "\ufeffKept as given\r\n"
    assert source.path == "p" and source.encoding == "utf-8"


# --------------------------------------------------------------------------- names and duplicates


def test_display_names_prefer_a_headline_then_the_file_name(tmp_path):
    headline = write(tmp_path / "a.txt", b"Council approves bridge over the river\n\nBody text.\n")
    sentence = write(tmp_path / "b.txt", b"The council voted on Tuesday to build it.\nMore.\n")
    byline = write(tmp_path / "c.txt", b"By Ana Lopez and Tom Reed\n\nThe vote was close.\n")
    markdown = write(
        tmp_path / "d.md", b"Intro line that is not a heading\n\n## The real headline\n"
    )
    names = [s.name for s in load_sources([headline, sentence, byline, markdown])]
    assert names == [
        "Council approves bridge over the river",
        "b.txt",
        "c.txt",
        "The real headline",
    ]


def test_html_is_named_by_its_title_and_site(tmp_path):
    page = write(tmp_path / "story.html", ARTICLE_HTML.encode())
    assert load_sources(page)[0].name == "Council approves new bridge over the river"
    sited = ARTICLE_HTML.replace(
        "<head>", '<head><meta property="og:site_name" content="Daily Example">'
    )
    other = write(tmp_path / "other.html", sited.encode())
    assert load_sources(other)[0].name == (
        "Council approves new bridge over the river — Daily Example"
    )


def test_same_file_names_are_told_apart_by_the_shortest_distinguishing_path(tmp_path):
    for folder, text in [("x/wire", "One."), ("y/wire", "Two."), ("y/local", "Three.")]:
        (tmp_path / folder).mkdir(parents=True)
        write(tmp_path / folder / "story.txt", text.encode())
    write(tmp_path / "x" / "note.txt", b"Four.")
    paths = [tmp_path / f for f in ("x/wire", "y/wire", "y/local")]
    sources = load_sources([*(p / "story.txt" for p in paths), tmp_path / "x" / "note.txt"])
    assert [s.id for s in sources] == ["story", "story-2", "story-3", "note"]
    assert [s.name for s in sources] == [
        "x/wire/story.txt",
        "y/wire/story.txt",
        "local/story.txt",
        "note.txt",
    ]


def test_equal_headlines_get_their_short_paths(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a" / "1.txt", b"Band Aid video gets screening\n\nFirst copy.\n")
    write(tmp_path / "b" / "1.txt", b"Band Aid video gets screening\n\nSecond copy.\n")
    names = [s.name for s in load_sources([tmp_path / "a", tmp_path / "b"])]
    assert names == [
        "Band Aid video gets screening (a/1.txt)",
        "Band Aid video gets screening (b/1.txt)",
    ]


def test_the_same_text_twice_is_kept_once_with_a_warning(tmp_path):
    first = write(tmp_path / "first.txt", b"Same words.\n")
    copy = write(tmp_path / "copy.txt", b"Same words.\n")
    other = write(tmp_path / "other.txt", b"Other words.\n")
    sources = load_sources([first, copy, first, other, "Same words.\n"])
    assert [s.id for s in sources] == ["first", "other"]  # a str is hashed as its UTF-8
    assert sources[0].warnings == [
        f"the same text as {copy}; summarized once",
        "given twice; summarized once",
        "the same text as text-1; summarized once",
    ]
    again = load_sources([first, first])
    assert len(again) == 1 and again[0].warnings == ["given twice; summarized once"]


def test_stdin_takes_the_id_it_is_given_and_a_readable_name():
    (source,) = load_sources("-", stdin=io.BytesIO(b"Piped words.\n"), stdin_id="000_abc")
    assert source.id == "000_abc" and source.name == "standard input"
    (titled,) = load_sources("-", stdin=io.BytesIO(b"Kmart agrees to buy Sears\n\nBody.\n"))
    assert titled.id == "stdin" and titled.name == "Kmart agrees to buy Sears"


def test_news_copy_gets_headlines_where_it_has_them():
    names = {s.id: s.name for s in load_sources(NEWS / "kmart-sears")}
    assert names == {
        "01_wire": "Kmart agrees to buy Sears",
        "02_agency": "02_agency.txt",
        "03_broadcaster": "US retailers Kmart and Sears to merge",
        "04_business": "Kmart, Sears in merger deal",
    }
