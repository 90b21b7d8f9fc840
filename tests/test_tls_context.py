"""The server's TLS context as the web config shapes it, read back from the context itself
(no process, no handshake)."""

from __future__ import annotations

import ssl
from pathlib import Path

from exporter.serve.tls import build_context, tls_files
from exporter.serve.webconfig import TlsSettings
from tests.certs import authority


def context(tmp_path: Path, **settings: object) -> ssl.SSLContext:
    server = authority(tmp_path / "pki").issue("server", server=True)
    tls = TlsSettings(str(server.cert), str(server.key), **settings)  # type: ignore[arg-type]
    return build_context(tls, tls_files(tls, "web.yml"), "web.yml")


def test_prefer_server_cipher_suites_false_clears_the_servers_preference(tmp_path: Path) -> None:
    preference = ssl.OP_CIPHER_SERVER_PREFERENCE
    assert context(tmp_path / "a").options & preference
    assert not context(tmp_path / "b", prefer_server_cipher_suites=False).options & preference
