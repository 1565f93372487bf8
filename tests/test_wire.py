"""summarize.tls and summarize.wire: the TLS context and the HTTP client of every model call."""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path

import certifi
import pytest

from summarize.tls import tls_context
from summarize.wire import GuardedHttpClient


def test_clients_load_the_certificate_store_once_until_the_trust_settings_change(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each run builds a client; the store (~20 ms to load) is loaded once per process, and
    again only when SSL_CERT_FILE or SSL_CERT_DIR says to trust something else."""
    loads: list[str] = []
    load = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(str(args or kwargs))
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first, second = (shutil.copy(certifi.where(), tmp_path / name) for name in ("a.pem", "b.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(first))
    GuardedHttpClient(), GuardedHttpClient(), GuardedHttpClient()
    assert len(loads) == 1 and str(first) in loads[0]
    monkeypatch.setenv("SSL_CERT_FILE", str(second))
    GuardedHttpClient(), GuardedHttpClient()
    assert len(loads) == 2 and str(second) in loads[1]
    assert tls_context() is tls_context()  # what fetching and recording use too
