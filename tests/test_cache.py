"""The disk cache: hits across LLM objects, keys, corruption, pickles refused, no secrets."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import diskcache
import pytest
from pydantic import BaseModel

from summarize.cache import JSONDisk, ResultCache, UnsafeCacheEntry, cache_key, default_cache_dir
from summarize.errors import CacheError, ModelAPIError
from summarize.llm import LLM
from summarize.settings import Settings
from summarize.testing import FakeOpenAIServer, Reply, completion_for

KEY = "sk-test-SECRETSECRETSECRET"
DB_SIDE_FILES = ["cache.db-shm", "cache.db-wal"]
MESSAGES = [{"role": "user", "content": "How many?"}]


class Tiny(BaseModel):
    n: int


def ok(request: dict) -> dict:
    return completion_for(request, {"n": 7})


def ask(settings: Settings, messages: list[dict[str, str]] = MESSAGES) -> tuple[Tiny, LLM]:
    llm = LLM(settings)

    async def go() -> Tiny:
        try:
            return await llm.create(Tiny, messages, prompt_key="test@1", label="001_abc")
        finally:
            await llm.aclose()

    return asyncio.run(go()), llm


@pytest.fixture
def server() -> Any:
    with FakeOpenAIServer(ok) as fake:
        yield fake


@pytest.fixture
def settings(server: FakeOpenAIServer, tmp_path: Path) -> Settings:
    return Settings(base_url=server.base_url, api_key=KEY, cache_dir=tmp_path / "cache")


def test_a_second_llm_answers_from_the_cache(server: FakeOpenAIServer, settings: Settings) -> None:
    first, llm1 = ask(settings)
    second, llm2 = ask(settings)
    assert first == second == Tiny(n=7)
    assert len(server.requests) == 1
    assert (llm1.usage.calls, llm1.usage.cache_hits) == (1, 0)
    assert (llm2.usage.calls, llm2.usage.cache_hits) == (0, 1)


def test_each_answer_is_stored_as_soon_as_its_call_completes(settings: Settings) -> None:
    def first_only(request: dict) -> Any:
        wanted = request["messages"][-1]["content"] == "first"
        return completion_for(request, {"n": 1}) if wanted else Reply(status=400)

    with FakeOpenAIServer(first_only) as fake:
        crashed = LLM(settings.with_(base_url=fake.base_url))

        async def interrupted_run() -> None:
            try:
                await crashed.create(
                    Tiny, [{"role": "user", "content": "first"}], prompt_key="t@1", label="a"
                )
                await crashed.create(
                    Tiny, [{"role": "user", "content": "second"}], prompt_key="t@1", label="b"
                )
            finally:  # the cache is left open, as by a crashed process
                await crashed._client.client.close()

        with pytest.raises(ModelAPIError):
            asyncio.run(interrupted_run())
        rerun = LLM(settings.with_(base_url=fake.base_url))

        async def rerun_first() -> Tiny:
            try:
                return await rerun.create(
                    Tiny, [{"role": "user", "content": "first"}], prompt_key="t@1", label="a"
                )
            finally:
                await rerun.aclose()

        assert asyncio.run(rerun_first()) == Tiny(n=1)
    assert (rerun.usage.calls, rerun.usage.cache_hits) == (0, 1)
    crashed._cache.close()


def test_a_cached_rerun_never_imports_openai(settings: Settings) -> None:
    ask(settings)
    code = f"""
import asyncio, sys
from pathlib import Path
from pydantic import BaseModel
from summarize.llm import LLM
from summarize.settings import Settings
class Tiny(BaseModel):
    n: int
llm = LLM(Settings(base_url={settings.base_url!r}, cache_dir=Path({str(settings.cache_dir)!r})))
print(asyncio.run(llm.create(Tiny, {MESSAGES!r}, prompt_key="test@1", label="x")))
print(sorted(m for m in ("openai", "instructor") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["n=7", "[]"]


def test_the_key_covers_what_determines_the_answer_and_never_the_api_key() -> None:
    base = Settings(api_key="sk-one")
    schema = Tiny.model_json_schema()

    def key(settings: Settings = base, prompt: str = "p@1", messages: Any = MESSAGES) -> str:
        return cache_key(settings, prompt, schema, messages)

    assert key() == key(base.with_(api_key="sk-two")) == key(base.with_(api_key=None))
    assert KEY not in key() and len(key()) == 64
    others = {
        key(base.with_(model="other")),
        key(base.with_(mode="md_json")),
        key(base.with_(base_url="http://127.0.0.1:1/v1")),
        key(prompt="p@2"),
        key(messages=[{"role": "user", "content": "How many? "}]),
        cache_key(base, "p@1", {"title": "Other"}, MESSAGES),
    }
    assert key() not in others and len(others) == 6


def test_a_corrupted_cache_is_moved_aside(server: FakeOpenAIServer, settings: Settings) -> None:
    """Only the database's own files move; whatever else the user keeps there stays put."""
    directory = settings.cache_dir
    directory.mkdir()
    (directory / "cache.db").write_bytes(b"this is not a database" * 200)
    (directory / "notes.txt").write_text("the user's own file")
    (directory / "project").mkdir()
    with pytest.warns(RuntimeWarning) as warned:
        result, _ = ask(settings)
    assert result == Tiny(n=7)
    message = str(warned[0].message)
    aside = [p for p in directory.iterdir() if p.name.startswith("cache.db.corrupt-")]
    assert len(aside) == 1 and str(directory) in message and "corrupt-" in message
    assert aside[0].read_bytes().startswith(b"this is not")
    assert (directory / "notes.txt").read_text() == "the user's own file"
    assert (directory / "project").is_dir()
    assert list(directory.parent.iterdir()) == [directory]  # nothing renamed beside it
    assert ask(settings)[1].usage.cache_hits == 1  # the fresh cache works


def test_a_pickled_value_is_never_unpickled(settings: Settings, tmp_path: Path) -> None:
    flag = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self) -> Any:
            return (open, (str(flag), "w"))

    key = cache_key(settings, "test@1", Tiny.model_json_schema(), MESSAGES)
    with diskcache.Cache(str(settings.cache_dir)) as plain:
        plain.set(key, Payload())
    with pytest.warns(RuntimeWarning, match="unsafe"):
        result, llm = ask(settings)
    assert result == Tiny(n=7) and llm.usage.calls == 1
    assert not flag.exists()
    cache = ResultCache(settings.cache_dir)
    assert cache.get(key) == '{"n":7}'  # the unsafe entry was replaced by the fresh answer
    cache.close()


def test_a_pickled_key_is_never_unpickled(tmp_path: Path) -> None:
    flag = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self) -> Any:
            return (open, (str(flag), "w"))

    disk = JSONDisk(str(tmp_path))
    with pytest.raises(UnsafeCacheEntry):
        disk.get(sqlite3.Binary(pickle.dumps(Payload())), raw=False)
    assert not flag.exists()
    assert disk.get("plain", raw=True) == "plain"


def test_only_strings_are_stored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    with pytest.raises(TypeError):
        cache.set("k", {"n": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cache._cache.set(("tuple",), "v")
    cache.set("k", "x" * 100_000)  # large values too stay in SQLite: no file is ever written
    assert cache.get("k") == "x" * 100_000
    assert {p.name for p in (tmp_path / "c").iterdir()} <= {"cache.db", *DB_SIDE_FILES}
    cache.close()


def test_no_secret_reaches_the_disk(settings: Settings, tmp_path: Path) -> None:
    ask(settings.with_(record_dir=tmp_path / "rec"))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files) and any(p.name == "cache.db" for p in files)
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path


def test_no_cache_opens_nothing(server: FakeOpenAIServer, settings: Settings) -> None:
    result, _ = ask(settings.with_(use_cache=False))
    ask(settings.with_(use_cache=False))
    assert result == Tiny(n=7) and len(server.requests) == 2
    assert not settings.cache_dir.exists()
    assert not any(Path(os.environ["SUMMARIZE_CACHE_DIR"]).iterdir())


def test_the_cache_directory_is_private(settings: Settings) -> None:
    ask(settings)
    assert stat.S_IMODE(settings.cache_dir.stat().st_mode) == 0o700


def test_an_unusable_location_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    for directory in (blocker, blocker / "sub"):
        with pytest.raises(CacheError) as error:
            LLM(Settings(api_key=KEY, cache_dir=directory))
        text = str(error.value)
        assert text.startswith(f"cannot create cache directory {directory}: ")
        assert "\n" not in text


def test_location_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_cache_dir(Settings(cache_dir=tmp_path)) == tmp_path
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir(Settings()) == tmp_path / "env"
    monkeypatch.delenv("SUMMARIZE_CACHE_DIR")
    assert default_cache_dir(Settings()).name == "summarize"


def test_a_stored_value_is_plain_json(settings: Settings) -> None:
    ask(settings)
    cache = ResultCache(settings.cache_dir)
    key = cache_key(settings, "test@1", Tiny.model_json_schema(), MESSAGES)
    assert json.loads(cache.get(key)) == {"n": 7}
    cache.close()


def test_an_entry_that_no_longer_validates_is_a_miss(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    cache = ResultCache(settings.cache_dir)
    cache.set(cache_key(settings, "test@1", Tiny.model_json_schema(), MESSAGES), '{"n": "x"}')
    cache.close()
    with pytest.warns(RuntimeWarning, match="stale cache entry"):
        result, llm = ask(settings)
    assert result == Tiny(n=7) and llm.usage.calls == 1 and llm.usage.cache_hits == 0


def test_the_endpoint_from_the_environment_is_part_of_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    schema = Tiny.model_json_schema()
    hosted = cache_key(settings, "p@1", schema, MESSAGES)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert cache_key(settings, "p@1", schema, MESSAGES) != hosted
    assert cache_key(settings.with_(base_url="http://127.0.0.1:9/v1"), "p@1", schema, MESSAGES) == (
        cache_key(settings, "p@1", schema, MESSAGES)
    )
