"""summarize.tls and summarize.wire: the TLS context and the HTTP client of every model call."""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path

import certifi
import httpx2
import pytest

from summarize.tls import tls_context
from summarize.wire import GuardedHttpClient


@pytest.fixture
def store_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every certificate store loaded from now on (what each load of it names)."""
    loads: list[str] = []
    load = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(str(args or kwargs))
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return loads


def trusting(monkeypatch: pytest.MonkeyPatch, bundle: Path) -> Path:
    """SSL_CERT_FILE set to a fresh copy of certifi's bundle: trust settings no run has seen."""
    monkeypatch.setenv("SSL_CERT_FILE", str(shutil.copy(certifi.where(), bundle)))
    return bundle


def test_clients_load_the_certificate_store_once_until_the_trust_settings_change(
    store_loads: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each run builds a client; the store (~20 ms to load) is loaded once per process, and
    again only when SSL_CERT_FILE or SSL_CERT_DIR says to trust something else."""
    first = trusting(monkeypatch, tmp_path / "a.pem")
    GuardedHttpClient(), GuardedHttpClient(), GuardedHttpClient()
    assert len(store_loads) == 1 and str(first) in store_loads[0]
    second = trusting(monkeypatch, tmp_path / "b.pem")
    GuardedHttpClient(), GuardedHttpClient()
    assert len(store_loads) == 2 and str(second) in store_loads[1]
    assert tls_context() is tls_context()  # what fetching and recording use too


def test_a_client_given_its_own_transport_loads_no_certificate_store(
    store_loads: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A replayed run answers from files: its client has no use for TLS, so it costs none."""
    trusting(monkeypatch, tmp_path / "c.pem")
    GuardedHttpClient(transport=httpx2.MockTransport(lambda request: httpx2.Response(200)))
    assert store_loads == []
