"""The TLS context every HTTP client of summarize shares.

Loading the certificate store takes ~20 ms; a context serves any number of clients and
connections, so the package makes one per process: the model's client, a recording's or a
batch's transport, and each web page fetched all use it. It is httpx2's own default (which
honours SSL_CERT_FILE and SSL_CERT_DIR), made anew when those change."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl


def tls_context() -> ssl.SSLContext:
    """httpx2's default TLS context for the environment's trust settings, made once."""
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """The arguments are the cache key: httpx2 reads the same two variables itself."""
    import httpx2

    return httpx2.create_ssl_context()
