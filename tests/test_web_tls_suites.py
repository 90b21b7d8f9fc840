"""The web config's `cipher_suites`, `prefer_server_cipher_suites` and `curve_preferences`,
proven against the real exporter with clients that offer exactly one suite or one curve.
The test certificates are ECDSA (P-256), so the ECDHE-ECDSA suites are the ones that can
be negotiated; TLS 1.2 is where a suite list applies (TLS 1.3's are fixed, as in Go)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.certs import Authority, Issued, authority
from tests.support import Exporter, run_cli, running_exporter

pytestmark = pytest.mark.system

AES128 = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
AES128_OPENSSL = "ECDHE-ECDSA-AES128-GCM-SHA256"
AES256_OPENSSL = "ECDHE-ECDSA-AES256-GCM-SHA384"
CHACHA_OPENSSL = "ECDHE-ECDSA-CHACHA20-POLY1305"


@pytest.fixture
def pki(tmp_path: Path) -> tuple[Authority, Issued]:
    ca = authority(tmp_path / "pki")
    return ca, ca.issue("server", server=True)


def config_file(folder: Path) -> Path:
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "platform.log").write_text("")
    config = folder / "config.yml"
    config.write_text(f"sources: [{{name: platform, paths: ['{logs}/*.log']}}]\n")
    return config


def web_config(folder: Path, server: Issued, tls: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    web = folder / "web.yml"
    web.write_text(
        f"tls_server_config:\n  cert_file: {server.cert}\n  key_file: {server.key}\n" + tls
    )
    return web


@contextmanager
def exporter_with(folder: Path, pki: tuple[Authority, Issued], tls: str) -> Iterator[Exporter]:
    web = web_config(folder, pki[1], tls)
    client = ssl.create_default_context(cafile=str(pki[0].cert))
    with running_exporter(config_file(folder), f"--web.config.file={web}", tls=client) as x:
        yield x


def offering(ca: Authority, suites: str = "", curve: str = "") -> ssl.SSLContext:
    """A client that speaks TLS 1.2 at most and offers only `suites` (OpenSSL's names, in
    its order of preference), and only `curve` if given."""
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    if suites:
        context.set_ciphers(suites)
    if curve:
        context.set_ecdh_curve(curve)
    return context


def negotiated(exporter: Exporter, client: ssl.SSLContext) -> str:
    """The suite a handshake with `client` settles on (ssl.SSLError if none)."""
    with (
        socket.create_connection(("127.0.0.1", exporter.port), timeout=5) as raw,
        client.wrap_socket(raw, server_hostname="127.0.0.1") as secure,
    ):
        cipher = secure.cipher()
    assert cipher is not None
    return cipher[0]


def test_only_a_client_offering_a_listed_suite_gets_through(
    tmp_path: Path, pki: tuple[Authority, Issued]
) -> None:
    tls = f"  cipher_suites: [{AES128}]\n  max_version: TLS12\n"
    with exporter_with(tmp_path, pki, tls) as exporter:
        assert negotiated(exporter, offering(pki[0], AES128_OPENSSL)) == AES128_OPENSSL
        assert exporter.get("/metrics")[0] == 200
        for other in (AES256_OPENSSL, CHACHA_OPENSSL):
            with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
                negotiated(exporter, offering(pki[0], other))
        assert exporter.process.poll() is None


def test_the_servers_order_decides_unless_prefer_server_cipher_suites_is_false(
    tmp_path: Path, pki: tuple[Authority, Issued]
) -> None:
    listed = f"  cipher_suites: [{AES128}, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n"
    client = offering(pki[0], f"{AES256_OPENSSL}:{AES128_OPENSSL}")
    with exporter_with(tmp_path / "server", pki, listed) as exporter:
        assert negotiated(exporter, client) == AES128_OPENSSL
    tls = listed + "  prefer_server_cipher_suites: false\n"
    with exporter_with(tmp_path / "client", pki, tls) as exporter:
        assert negotiated(exporter, client) == AES256_OPENSSL


def test_curve_preferences_admit_the_first_curve_and_say_the_rest_are_not_offered(
    tmp_path: Path, pki: tuple[Authority, Issued]
) -> None:
    # TLS 1.3: in TLS 1.2 a client must also name the certificate's curve (P-256), which
    # a client limited to one other curve cannot.
    tls = "  curve_preferences: [CurveP384, X25519]\n"
    with exporter_with(tmp_path, pki, tls) as exporter:
        p384, x25519 = offering(pki[0], curve="secp384r1"), offering(pki[0], curve="X25519")
        for client in (p384, x25519):
            client.maximum_version = ssl.TLSVersion.TLSv1_3
        assert negotiated(exporter, p384).startswith("TLS_")
        with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
            negotiated(exporter, x25519)
        assert (
            "curve_preferences: only CurveP384 is offered (Python's ssl sets one curve); not X25519"
        ) in exporter.output()
    with exporter_with(tmp_path / "default", pki, "") as exporter:
        assert negotiated(exporter, x25519).startswith("TLS_")  # OpenSSL's curves: admitted


def test_an_unknown_cipher_suite_exits_2_naming_the_file_key_and_name(
    tmp_path: Path, pki: tuple[Authority, Issued]
) -> None:
    web = web_config(tmp_path, pki[1], f"  cipher_suites: [{AES128}, TLS_NO_SUCH_SUITE]\n")
    result = run_cli(
        f"--config.file={config_file(tmp_path)}",
        f"--web.config.file={web}",
        "--web.listen-address=127.0.0.1:0",
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"sip-log-exporter: {web}: tls_server_config.cipher_suites: TLS_NO_SUCH_SUITE is not "
        "a cipher suite name Go's toolkit knows; names that work here: "
    )
    assert AES128 in result.stderr and "Traceback" not in result.stderr


def test_a_node_exporter_web_config_with_cipher_suites_serves(
    tmp_path: Path, pki: tuple[Authority, Issued]
) -> None:
    # The exporter-toolkit's own test file with every suite it accepts (less 3DES, which
    # this machine's OpenSSL lacks), as node_exporter reads it.
    suites = """
  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
  - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
  - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
  - TLS_AES_128_GCM_SHA256
  - TLS_AES_256_GCM_SHA384
  - TLS_CHACHA20_POLY1305_SHA256
  - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
  - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
  - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
  - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
  - TLS_RSA_WITH_AES_128_CBC_SHA
  - TLS_RSA_WITH_AES_256_CBC_SHA
  - TLS_RSA_WITH_AES_128_GCM_SHA256
  - TLS_RSA_WITH_AES_256_GCM_SHA384
"""
    tls = f"  min_version: TLS12\n  cipher_suites:{suites}  curve_preferences: [CurveP256]\n"
    with exporter_with(tmp_path, pki, tls) as exporter:
        assert exporter.get("/metrics")[0] == 200  # TLS 1.3, the client's default
        assert negotiated(exporter, offering(pki[0])) == AES128_OPENSSL
