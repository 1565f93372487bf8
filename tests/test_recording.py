"""Record through the real SDK against a loopback server, replay with no server at all."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from summarize.errors import ConfigError, ReplayMissError
from summarize.llm import LLM
from summarize.models import ArticleClaims
from summarize.recording import request_hash
from summarize.settings import Settings
from summarize.testing import FakeOpenAIServer, Reply, completion_for

KEY = "sk-test-SECRETSECRETSECRET"
MESSAGES = [{"role": "user", "content": "Extract the claims from: Acme sold 3 units on Monday."}]
PAYLOAD = {
    "claims": [
        {
            "statement": "Acme sold 3 units on Monday.",
            "kind": "reported_fact",
            "speaker": None,
            "evidence": ["Acme sold 3 units on Monday."],
        }
    ]
}


def answer(llm: LLM, model: type[BaseModel] = ArticleClaims) -> Any:
    async def go() -> Any:
        try:
            return await llm.create(model, MESSAGES, prompt_key="extract@1", label="002_e63")
        finally:
            await llm.aclose()

    return asyncio.run(go())


def ask(settings: Settings) -> tuple[Any, LLM]:
    llm = LLM(settings)
    llm._backoff = 0.01
    return answer(llm), llm


def record(tmp_path: Path, mode: str = "tools", *faults: Reply) -> tuple[Any, Path]:
    replies = iter(faults)

    def responder(request: dict) -> Any:
        return next(replies, None) or completion_for(request, PAYLOAD)

    directory = tmp_path / "recordings"
    with FakeOpenAIServer(responder) as server:
        settings = Settings(base_url=server.base_url, api_key=KEY, mode=mode, use_cache=False)
        result, _ = ask(settings.with_(record_dir=directory))
    return result, directory


def test_request_hash_is_canonical() -> None:
    a = request_hash(b'{"model": "m", "messages": [{"role": "user", "content": "\\u00e9"}]}')
    b = request_hash('{"messages":[{"content":"é","role":"user"}],"model":"m"}'.encode())
    assert a == b and len(a) == 16 and int(a, 16) >= 0
    assert a != request_hash(b'{"model": "n", "messages": []}')


@pytest.mark.parametrize("mode", ["tools", "json_schema", "md_json"])
def test_record_then_replay_round_trip(tmp_path: Path, mode: str) -> None:
    recorded, directory = record(tmp_path, mode)
    replayed, llm = ask(Settings(replay_dir=directory, mode=mode, use_cache=False))
    assert replayed == recorded == ArticleClaims.model_validate(PAYLOAD)
    assert llm.usage.calls == 1 and llm.usage.prompt_tokens > 0


def test_a_recording_holds_bodies_only(tmp_path: Path) -> None:
    _, directory = record(tmp_path)
    (path,) = directory.glob("*.json")
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert set(data) == {"request", "response"}
    assert path.stem == request_hash(json.dumps(data["request"]).encode())
    assert data["request"]["messages"] == MESSAGES
    assert data["response"]["object"] == "chat.completion"
    assert text.startswith('{\n  "request"')  # pretty-printed
    for secret in (KEY, "authorization", "Bearer", "x-request-id", "openai-organization"):
        assert secret.lower() not in text.lower()
    assert not list(directory.glob(".*"))  # no temporary file left behind


def test_only_successful_answers_are_recorded(tmp_path: Path) -> None:
    _, directory = record(tmp_path, "tools", Reply(status=503), Reply(status=429))
    assert len(list(directory.glob("*.json"))) == 1


def test_replay_finds_renamed_recordings_in_subfolders(tmp_path: Path) -> None:
    _, directory = record(tmp_path)
    (path,) = directory.glob("*.json")
    nested = directory / "extract" / "2026"
    nested.mkdir(parents=True)
    path.rename(nested / "acme.json")
    replayed, _ = ask(Settings(replay_dir=directory, use_cache=False))
    assert replayed == ArticleClaims.model_validate(PAYLOAD)


def test_a_replay_miss_names_the_hash_and_the_label_and_is_not_retried(tmp_path: Path) -> None:
    _, directory = record(tmp_path)
    llm = LLM(Settings(replay_dir=directory, mode="md_json", use_cache=False, retries=3))
    with pytest.raises(ReplayMissError) as error:
        answer(llm)
    text = str(error.value)
    assert text.startswith("002_e63: no recording for request ")
    assert str(directory) in text and "record_dir" in text and "\n" not in text
    missing = text.split("no recording for request ")[1].split()[0]
    assert len(missing) == 16 and not (directory / f"{missing}.json").exists()
    assert llm.usage.retries == 0 and llm.usage.calls == 1


def test_a_malformed_recording_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "sub" / "broken.json"
    bad.parent.mkdir()
    bad.write_text('{"request": {}', encoding="utf-8")
    with pytest.raises(ConfigError, match=str(bad)):
        ask(Settings(replay_dir=tmp_path, use_cache=False))
    bad.write_text('{"response": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid recording"):
        ask(Settings(replay_dir=tmp_path, use_cache=False))


def test_other_json_files_beside_the_recordings_are_ignored(tmp_path: Path) -> None:
    _, directory = record(tmp_path)
    (directory / "authoring").mkdir()
    (directory / "authoring" / "notes.json").write_text('{"answer": {}}', encoding="utf-8")
    replayed, _ = ask(Settings(replay_dir=directory, use_cache=False))
    assert replayed == ArticleClaims.model_validate(PAYLOAD)


def test_a_missing_replay_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        ask(Settings(replay_dir=tmp_path / "nowhere", use_cache=False))
