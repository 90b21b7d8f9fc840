"""TLS at the HTTP edge: the context built from the web config's files, and each new
connection's side of it.

Owns reading the certificate, key and client CA files (by their bytes, so that a renewed
certificate is noticed), building the TLS context from them, the handshake with its
deadline, the answer to plain HTTP sent to a TLS port, and the client-certificate SAN
check. `exporter/serve/security.py` decides which web config is in force.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from typing import Protocol

from exporter.serve import tls_names
from exporter.serve.webconfig import TlsSettings, WebConfig
from exporter.validation import ConfigError

log = logging.getLogger(__name__)

_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
_VERIFY = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_PLAIN_HTTP_ANSWER = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 48\r\nConnection: close\r\n\r\n"
    b"Client sent an HTTP request to an HTTPS server.\n"
)


class Settings(Protocol):
    """What a connection's TLS side needs from the web config in force."""

    def current(self) -> WebConfig: ...

    def context(self) -> ssl.SSLContext | None: ...


def read_file(path: str, config: str = "", key: str = "") -> bytes:
    """A file's bytes; ConfigError naming the web config's key that names the file."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        reason = error.strerror or str(error)
        if key:
            raise ConfigError(config, [(key, f"cannot read {path}: {reason}")]) from None
        raise ConfigError(path, [("", f"cannot read it: {reason}")]) from None


def tls_files(tls: TlsSettings, config: str) -> tuple[bytes, bytes, bytes]:
    """The certificate, key and client CA files' bytes, so that a change is noticed."""
    key = "tls_server_config."
    ca = b""
    if tls.client_ca_file is not None:
        ca = read_file(tls.client_ca_file, config, key + "client_ca_file")
    cert = read_file(tls.cert_file, config, key + "cert_file")
    return cert, read_file(tls.key_file, config, key + "key_file"), ca


def _no_password() -> bytes:
    raise ValueError("encrypted private keys are not supported")


def build_context(tls: TlsSettings, files: tuple[bytes, bytes, bytes], path: str) -> ssl.SSLContext:
    """The server's TLS context; ConfigError naming the key whose file is unusable."""
    key = "tls_server_config."
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _VERSIONS[tls.min_version]
    context.maximum_version = _VERSIONS[tls.max_version]
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:  # Python sets it on every server context: clear it, or false means nothing
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    _apply_suites(context, tls.cipher_suites)
    _apply_curves(context, tls.curve_preferences)
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file, password=_no_password)
    except (OSError, ValueError) as error:
        where = f"{key}cert_file, {key}key_file"
        raise ConfigError(path, [(where, f"cannot use them: {error}")]) from None
    if tls.client_ca_file is not None:
        try:
            context.load_verify_locations(cadata=files[2].decode("ascii", "replace"))
        except (ssl.SSLError, ValueError) as error:
            raise ConfigError(path, [(key + "client_ca_file", f"no CA in it: {error}")]) from None
    context.verify_mode = _VERIFY[tls.client_auth_type]
    return context


def _apply_suites(context: ssl.SSLContext, names: tuple[str, ...]) -> None:
    """Only the listed TLS 1.0-1.2 suites, in their order (the web config's validation
    made sure this OpenSSL has each). TLS 1.3's suites are OpenSSL's, as Go fixes its own."""
    suites = [suite for suite in map(tls_names.openssl_suite, names) if suite]
    if suites:
        context.set_ciphers(":".join(suites))
    elif names:  # only TLS 1.3 suites listed: like Go, no TLS 1.2 suite is left
        context.minimum_version = ssl.TLSVersion.TLSv1_3


def _apply_curves(context: ssl.SSLContext, names: tuple[str, ...]) -> None:
    """The first listed curve, the only one then offered: Python's ssl sets one."""
    if not names:
        return
    context.set_ecdh_curve(tls_names.CURVES[names[0]])
    if names[1:]:
        log.warning(
            "tls_server_config.curve_preferences: only %s is offered (Python's ssl sets one "
            "curve); not %s",
            names[0],
            ", ".join(names[1:]),
        )


def accept_tls(
    connection: socket.socket, settings: Settings, timeout: float
) -> ssl.SSLSocket | None:
    """The TLS side of a new connection, or None (connection closed) if it cannot be had:
    plain HTTP (answered with 400, as Go's servers do), a failed handshake, no usable
    certificate, or a client certificate without an allowed SAN."""
    connection.settimeout(timeout)
    try:
        first = connection.recv(1, socket.MSG_PEEK)
        if first and first != b"\x16":  # not a TLS handshake record: most likely plain HTTP
            _answer_plain_http(connection)
            return None
        context = settings.context()
        if not first or context is None:
            connection.close()
            return None
        secure = context.wrap_socket(connection, server_side=True)
    except (OSError, ValueError) as error:  # ssl.SSLError and timeouts are OSErrors
        log.debug("TLS handshake failed: %s", error)
        connection.close()
        return None
    tls = settings.current().tls
    allowed = tls.client_allowed_sans if tls else ()
    if allowed and not _san_allowed(secure.getpeercert() or {}, allowed):
        log.debug("client certificate has none of the allowed SANs")
        secure.close()
        return None
    return secure


def _answer_plain_http(connection: socket.socket) -> None:
    try:
        connection.sendall(_PLAIN_HTTP_ANSWER)
        connection.shutdown(socket.SHUT_WR)
        # Read what the client sent, so that closing does not reset the connection
        # before the client has read the answer.
        for _ in range(16):
            if not connection.recv(4096):
                break
    except OSError:
        pass
    finally:
        connection.close()


def _san_allowed(peer: object, allowed: tuple[str, ...]) -> bool:
    names = peer.get("subjectAltName", ()) if isinstance(peer, dict) else ()
    wanted = {_normal_san(value) for value in allowed}
    return any(_normal_san(str(value)) in wanted for _, value in names)


def _normal_san(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value.strip()
