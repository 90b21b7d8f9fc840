"""The web config applied at the HTTP edge: TLS for each connection, basic auth for each
request.

Owns reading `--web.config.file` and the files it names. Like the exporter-toolkit, the
web config is read again for every request and the certificate, key and client CA files
for every connection: a changed file is noticed by its bytes, parsed, and applied from
the next request or handshake on (a renewed certificate needs no restart). Owns the TLS
context built from them, the handshake with its deadline, the answer to plain HTTP sent
to a TLS port, the client-certificate SAN check, and basic-auth checks against bcrypt
hashes with a bounded cache of results, since bcrypt is slow on purpose and Prometheus
sends the same credentials every scrape.

A web config that becomes unusable while running closes the door instead of opening it:
requests get 500 and handshakes fail until the file is fixed, and the error is logged
once per change. Whether the port speaks TLS is decided at start; changing that needs a
restart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import logging
import socket
import ssl
import threading
from collections import OrderedDict
from dataclasses import dataclass

import bcrypt

from exporter.serve.webconfig import TlsSettings, WebConfig, parse_web_config
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
# Checked when the user is unknown, so that a wrong user costs as long as a wrong password.
_DECOY_HASH = b"$2b$10$T78U1t8DL0O7Z5cIc.blVOfAsm32nXL3.EJA6yVoQ9gHaBMuWAZDO"
_CACHE_SIZE = 256
_PLAIN_HTTP_ANSWER = (
    b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
)


@dataclass(frozen=True, slots=True)
class _Loaded:
    text: bytes
    config: WebConfig | None  # None: the file is unusable, refuse everything


class Guard:
    """The web config in force, re-read as it changes; see the module docstring."""

    def __init__(self, path: str | None) -> None:
        """Load and check the web config (ConfigError naming the key if it is unusable)."""
        self._path = path
        self._lock = threading.Lock()
        self._bcrypt_lock = threading.Lock()
        self._cache: OrderedDict[bytes, bool] = OrderedDict()
        self._contexts: dict[bytes, ssl.SSLContext] = {}
        self._error = ""
        if path is None:
            self._loaded = _Loaded(b"", WebConfig())
            self.tls = False
            return
        text = _read(path)
        config = parse_web_config(_decode(text, path), path)
        if config.tls is not None:
            _build_context(config.tls, _tls_files(config.tls, path), path)
        self._loaded = _Loaded(text, config)
        self.tls = config.tls is not None
        log.info(
            "web config %s: TLS %s, basic auth %s",
            path,
            "on" if self.tls else "off",
            f"for {len(config.users)} user(s)" if config.users else "off",
        )

    def current(self) -> WebConfig | None:
        """The web config for this request, or None if it is unusable now."""
        if self._path is None:
            return self._loaded.config
        try:
            text = _read(self._path)
        except ConfigError as error:
            self._report(str(error))
            return None
        with self._lock:
            if text == self._loaded.text:
                return self._loaded.config
            try:
                config: WebConfig | None = parse_web_config(_decode(text, self._path), self._path)
            except ConfigError as error:
                config = None
                self._report(str(error))
            if config is not None and (config.tls is not None) != self.tls:
                config = None
                self._report(
                    f"{self._path}: tls_server_config: turning TLS on or off needs a restart"
                )
            if config is not None:
                log.info("web config %s reloaded", self._path)
                self._error = ""
            self._loaded = _Loaded(text, config)
            return config

    def context(self) -> ssl.SSLContext | None:
        """The TLS context for a new connection, rebuilt if a file changed; None: refuse."""
        config = self.current()
        if config is None or config.tls is None:
            return None
        try:
            files = _tls_files(config.tls, self._path or "")
        except ConfigError as error:
            self._report(str(error))
            return None
        key = hashlib.sha256(repr((config.tls, files)).encode()).digest()
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                try:
                    context = _build_context(config.tls, files, self._path or "")
                except ConfigError as error:
                    self._report(str(error))
                    return None
                self._contexts = {key: context}  # only the newest is kept
            return context

    def authorized(self, config: WebConfig, path: str, authorization: str | None) -> bool:
        """Whether a request may pass: no users configured, an excluded path, or valid
        basic-auth credentials."""
        if not config.users or path in config.auth_excluded_paths:
            return True
        credentials = _basic_credentials(authorization)
        if credentials is None:
            return False
        user, password = credentials
        hashed = config.users.get(user)
        expected = hashed.encode() if hashed is not None else _DECOY_HASH
        key = hashlib.sha256(b"\0".join((user.encode(), expected, password))).digest()
        with self._lock:
            known = self._cache.get(key)
            if known is not None:
                self._cache.move_to_end(key)
        if known is None:
            with self._bcrypt_lock:  # one check at a time: bcrypt is meant to be costly
                known = _bcrypt_matches(password, expected) and hashed is not None
            with self._lock:
                self._cache[key] = known
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return known

    def _report(self, message: str) -> None:
        if message != self._error:
            self._error = message
            log.error("web config unusable, refusing requests until it is fixed: %s", message)


def _read(path: str, config: str = "", key: str = "") -> bytes:
    """A file's bytes; ConfigError naming the web config's key that names the file."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        reason = error.strerror or str(error)
        if key:
            raise ConfigError(config, [(key, f"cannot read {path}: {reason}")]) from None
        raise ConfigError(path, [("", f"cannot read it: {reason}")]) from None


def _decode(text: bytes, path: str) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(path, [("", f"not UTF-8 text ({error})")]) from None


def _tls_files(tls: TlsSettings, config: str) -> tuple[bytes, bytes, bytes]:
    """The certificate, key and client CA files' bytes, so that a change is noticed."""
    key = "tls_server_config."
    ca = b""
    if tls.client_ca_file is not None:
        ca = _read(tls.client_ca_file, config, key + "client_ca_file")
    cert = _read(tls.cert_file, config, key + "cert_file")
    return cert, _read(tls.key_file, config, key + "key_file"), ca


def _no_password() -> bytes:
    raise ValueError("encrypted private keys are not supported")


def _build_context(
    tls: TlsSettings, files: tuple[bytes, bytes, bytes], path: str
) -> ssl.SSLContext:
    key = "tls_server_config."
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _VERSIONS[tls.min_version]
    context.maximum_version = _VERSIONS[tls.max_version]
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
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


def _basic_credentials(authorization: str | None) -> tuple[str, bytes] | None:
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        user, sep, password = decoded.partition(b":")
        return (user.decode("utf-8"), password) if sep else None
    except (binascii.Error, UnicodeDecodeError):
        return None


def _bcrypt_matches(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # longer than bcrypt's 72 bytes, or a malformed hash
        return False


def accept_tls(connection: socket.socket, guard: Guard, timeout: float) -> ssl.SSLSocket | None:
    """The TLS side of a new connection, or None (connection closed) if it cannot be had:
    plain HTTP (answered with 400, as Go's servers do), a failed handshake, an unusable
    web config, or a client certificate without an allowed SAN."""
    connection.settimeout(timeout)
    try:
        first = connection.recv(1, socket.MSG_PEEK)
        if first and first != b"\x16":  # not a TLS handshake record: most likely plain HTTP
            _answer_plain_http(connection)
            return None
        context = guard.context()
        if not first or context is None:
            connection.close()
            return None
        secure = context.wrap_socket(connection, server_side=True)
    except (OSError, ValueError) as error:  # ssl.SSLError and timeouts are OSErrors
        log.debug("TLS handshake failed: %s", error)
        connection.close()
        return None
    config = guard.current()
    allowed = config.tls.client_allowed_sans if config and config.tls else ()
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
