"""The server's TLS context as the web config's suite, curve and preference keys shape it,
read back from the context itself (no process, no handshake: the handshakes are in
test_web_tls_suites.py)."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest

from exporter.serve.tls import build_context, tls_files
from exporter.serve.webconfig import TlsSettings
from tests.certs import authority


def context(tmp_path: Path, **settings: object) -> ssl.SSLContext:
    server = authority(tmp_path / "pki").issue("server", server=True)
    tls = TlsSettings(str(server.cert), str(server.key), **settings)  # type: ignore[arg-type]
    return build_context(tls, tls_files(tls, "web.yml"), "web.yml")


def tls12_suites(built: ssl.SSLContext) -> list[str]:
    return [c["name"] for c in built.get_ciphers() if c["protocol"] != "TLSv1.3"]


def test_listed_suites_are_the_only_tls12_suites_in_the_files_order(tmp_path: Path) -> None:
    built = context(
        tmp_path,
        cipher_suites=(
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        ),
    )
    assert tls12_suites(built) == ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"]
    assert built.minimum_version == ssl.TLSVersion.TLSv1_2


def test_only_tls13_suites_leave_only_tls13(tmp_path: Path) -> None:
    built = context(tmp_path, cipher_suites=("TLS_AES_128_GCM_SHA256",))
    assert built.minimum_version == ssl.TLSVersion.TLSv1_3


def test_no_list_keeps_openssls_suites(tmp_path: Path) -> None:
    assert tls12_suites(context(tmp_path)) == tls12_suites(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))


def test_prefer_server_cipher_suites_false_clears_the_servers_preference(tmp_path: Path) -> None:
    preference = ssl.OP_CIPHER_SERVER_PREFERENCE
    assert context(tmp_path / "a").options & preference
    assert not context(tmp_path / "b", prefer_server_cipher_suites=False).options & preference


def test_more_than_one_curve_is_said_to_offer_only_the_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="exporter.serve.tls"):
        context(tmp_path / "one", curve_preferences=("X25519",))
        assert caplog.messages == []
        context(tmp_path / "two", curve_preferences=("CurveP256", "CurveP384", "X25519"))
    assert caplog.messages == [
        "tls_server_config.curve_preferences: only CurveP256 is offered (Python's ssl sets "
        "one curve); not CurveP384, X25519"
    ]
