"""Run settings: one frozen object that the API, the CLI and the LLM layer share.

The API key is read from OPENAI_API_KEY when a request is about to be sent; a key given here
stays in memory only (it is excluded from repr and never reaches a cache key, a recording, a
log line or an error message).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from summarize.errors import ConfigError

MODES = ("tools", "json_schema", "json", "md_json")
DEFAULT_MODEL = "gpt-4.1-mini"
NO_KEY = (
    "no API key: set OPENAI_API_KEY, or point --base-url at a local OpenAI-compatible server "
    "(e.g. http://localhost:11434/v1 for Ollama), or run the offline demo: "
    "summarize seeds --replay fixtures"
)


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: str = "tools"
    timeout: float = 120.0
    retries: int = 4
    reasks: int = 1
    concurrency: int | None = None  # a hard cap; None: adapt (summarize.limiter)
    cache_dir: Path | None = None
    use_cache: bool = True
    replay_dir: Path | None = None
    record_dir: Path | None = None
    max_article_chars: int = 200_000

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}: choose one of {', '.join(MODES)}")
        for name in ("retries", "reasks"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.timeout <= 0 or self.max_article_chars <= 0:
            raise ConfigError("timeout and max_article_chars must be positive")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Settings:
        """Settings from keyword arguments, naming any unknown one in a ConfigError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        for name in ("cache_dir", "replay_dir", "record_dir"):
            if kwargs.get(name) is not None:
                kwargs[name] = Path(kwargs[name])
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def resolved_api_key(self) -> str | None:
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def resolved_base_url(self) -> str | None:
        """The endpoint requests go to: this setting, else OPENAI_BASE_URL, else OpenAI's."""
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def needs_key(self) -> bool:
        """True when requests would go to the hosted API with no key to send."""
        return (
            self.replay_dir is None
            and self.resolved_base_url() is None
            and not self.resolved_api_key()
        )
