"""The web config file (`--web.config.file`), validated into frozen values.

Owns the exporter-toolkit format as this exporter reads it: `tls_server_config`,
`http_server_config.headers`, `basic_auth_users` and `auth_excluded_paths`; every key, its
default, and what is wrong with a value. A bad file yields every problem at once, each
with its key (`ConfigError`, like the main config). Relative file names are taken from the
web config's own folder, as the toolkit does. Pure: it takes the file's text and name,
never the file; `exporter/serve/security.py` reads the files and applies the values.

Where this exporter cannot do what a toolkit key asks, the key is refused at start rather
than ignored: a security setting that is silently not applied is worse than none. Go's
cipher suite and curve names, and whether this machine's OpenSSL has each, are
`exporter/serve/tls_names.py`'s.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.serve import tls_names
from exporter.settings_yaml import load_yaml
from exporter.validation import Checker, ConfigError, kind, listing, not_one_of

# Client certificate policies this exporter can enforce (Python's TLS always verifies a
# certificate it asks for).
CLIENT_AUTH_TYPES = ("NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert")
_UNVERIFIED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")
TLS_VERSIONS = ("TLS10", "TLS11", "TLS12", "TLS13")
# The toolkit lets only these headers be set, some only to these values.
HEADERS: Mapping[str, tuple[str, ...]] = {
    "Strict-Transport-Security": (),
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": (),
    "Content-Security-Policy": (),
}
_BCRYPT = re.compile(r"\$2[abxy]?\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")

_TOP_KEYS = ("tls_server_config", "http_server_config", "basic_auth_users", "auth_excluded_paths")
_TLS_KEYS = (
    "cert_file", "key_file", "client_auth_type", "client_ca_file", "client_allowed_sans",
    "min_version", "max_version", "cipher_suites", "curve_preferences",
    "prefer_server_cipher_suites",
)  # fmt: skip
_HTTP_KEYS = ("http2", "headers")
_UNSUPPORTED_TOP = {
    "rate_limit": "not supported by this exporter; limit requests in front of it",
}
_UNSUPPORTED_TLS = {
    "cert": "inline certificates are not supported; use cert_file",
    "key": "inline keys are not supported; use key_file",
    "client_ca": "inline CAs are not supported; use client_ca_file",
}


@dataclass(frozen=True, slots=True)
class TlsSettings:
    cert_file: str
    key_file: str
    client_auth_type: str = "NoClientCert"
    client_ca_file: str | None = None
    client_allowed_sans: tuple[str, ...] = ()
    min_version: str = "TLS12"
    max_version: str = "TLS13"
    cipher_suites: tuple[str, ...] = ()  # Go's names, in the file's order; (): OpenSSL's
    curve_preferences: tuple[str, ...] = ()  # Go's names; (): OpenSSL's default curves
    prefer_server_cipher_suites: bool = True


@dataclass(frozen=True, slots=True)
class WebConfig:
    """What the HTTP edge enforces; the default enforces nothing (plain HTTP, no auth)."""

    tls: TlsSettings | None = None
    users: Mapping[str, str] = field(default_factory=dict)  # user name -> bcrypt hash
    headers: tuple[tuple[str, str], ...] = ()
    auth_excluded_paths: frozenset[str] = frozenset()


def parse_web_config(text: str, filename: str) -> WebConfig:
    """Validate a web config file's text; raise `ConfigError` listing every problem."""
    document = load_yaml(text, filename)
    check = Checker()
    top = check.mapping("", document, _TOP_KEYS, unsupported=_UNSUPPORTED_TOP)
    folder = os.path.dirname(filename)
    config = WebConfig(
        tls=_read_tls(check, top.get("tls_server_config"), folder),
        users=_read_users(check, top.get("basic_auth_users")),
        headers=_read_headers(check, top.get("http_server_config")),
        auth_excluded_paths=_read_paths(check, top.get("auth_excluded_paths")),
    )
    if check.problems:
        raise ConfigError(filename, check.problems)
    return config


def _read_tls(check: Checker, value: object, folder: str) -> TlsSettings | None:
    section = check.mapping("tls_server_config", value, _TLS_KEYS, unsupported=_UNSUPPORTED_TLS)
    if not any(section.get(k) for k in _TLS_KEYS if k != "prefer_server_cipher_suites"):
        return None  # like the toolkit: no TLS field set, plain HTTP
    key = "tls_server_config."

    def path(name: str) -> str | None:
        given = check.text(key + name, section.get(name))
        return None if given is None else os.path.join(folder, given.strip())

    cert_file, key_file, ca_file = path("cert_file"), path("key_file"), path("client_ca_file")
    for name, given in (("cert_file", cert_file), ("key_file", key_file)):
        if given is None:
            check.fail(key + name, "required when TLS is configured")
    auth = _read_client_auth(check, section.get("client_auth_type"))
    if auth != "NoClientCert" and ca_file is None:
        check.fail(key + "client_ca_file", f"required with client_auth_type {auth}")
    if auth == "NoClientCert" and ca_file is not None:
        check.fail(key + "client_ca_file", "set without a client_auth_type that verifies clients")
    sans = check.strings(key + "client_allowed_sans", section.get("client_allowed_sans"))
    if sans and auth != "RequireAndVerifyClientCert":
        check.fail(key + "client_allowed_sans", "needs client_auth_type RequireAndVerifyClientCert")
    low = check.choice(key + "min_version", section.get("min_version"), TLS_VERSIONS, "TLS12")
    high = check.choice(key + "max_version", section.get("max_version"), TLS_VERSIONS, "TLS13")
    if TLS_VERSIONS.index(low) > TLS_VERSIONS.index(high):
        check.fail(key + "min_version", f"{low} is above max_version {high}")
    return TlsSettings(
        cert_file=cert_file or "",
        key_file=key_file or "",
        client_auth_type=auth,
        client_ca_file=ca_file,
        client_allowed_sans=sans,
        min_version=low,
        max_version=high,
        cipher_suites=_read_suites(check, section.get("cipher_suites"), high),
        curve_preferences=_read_curves(check, section.get("curve_preferences")),
        prefer_server_cipher_suites=check.boolean(
            key + "prefer_server_cipher_suites", section.get("prefer_server_cipher_suites"), True
        ),
    )


def _read_suites(check: Checker, value: object, high: str) -> tuple[str, ...]:
    key = "tls_server_config.cipher_suites"
    names = tuple(dict.fromkeys(check.strings(key, value)))
    wrong = [problem for problem in map(_suite_problem, names) if problem]
    if wrong:
        working = listing(tls_names.working_suites())
        check.fail(key, f"{'; '.join(wrong)}; names that work here: {working}")
    elif names and high != "TLS13" and all(n in tls_names.TLS13_SUITES for n in names):
        check.fail(
            key,
            f"only TLS 1.3 suites, and max_version is {high}: no client could connect; "
            "list TLS 1.2 suites (TLS 1.3's are not chosen by this list)",
        )
    return names


def _suite_problem(name: str) -> str:
    """What is wrong with a Go cipher suite name here; "" if nothing."""
    suite = tls_names.openssl_suite(name)
    if suite is not None:
        if tls_names.provided(suite):
            return ""
        return f"{name} (OpenSSL: {suite}) is not provided by this machine's OpenSSL"
    if name in tls_names.TLS13_SUITES:
        return ""
    if name in tls_names.INSECURE_SUITES:
        return f"{name} is one of Go's insecure cipher suites, which the toolkit refuses too"
    return f"{name} is not a cipher suite name Go's toolkit knows"


def _read_curves(check: Checker, value: object) -> tuple[str, ...]:
    key = "tls_server_config.curve_preferences"
    names = tuple(dict.fromkeys(check.strings(key, value)))
    for name in names:
        if name not in tls_names.CURVES:
            check.fail(key, not_one_of(name, tls_names.CURVES))
        elif not tls_names.curve_provided(tls_names.CURVES[name]):
            check.fail(key, f"{name} is not provided by this machine's OpenSSL")
    return names


def _read_client_auth(check: Checker, value: object) -> str:
    key = "tls_server_config.client_auth_type"
    if value in _UNVERIFIED_CLIENT_AUTH:
        check.fail(
            key,
            f"{value} accepts client certificates without verifying them, which proves "
            "nothing; use VerifyClientCertIfGiven or RequireAndVerifyClientCert with "
            "client_ca_file",
        )
        return "NoClientCert"
    return check.choice(key, value, CLIENT_AUTH_TYPES, "NoClientCert")


def _read_users(check: Checker, value: object) -> dict[str, str]:
    users: dict[str, str] = {}
    for user, hashed in check.mapping("basic_auth_users", value).items():
        key = f"basic_auth_users.{user}"
        if not user or ":" in user:
            check.fail(key, "a user name is not empty and has no ':' (basic auth cannot send it)")
        elif not isinstance(hashed, str) or not _BCRYPT.fullmatch(hashed.strip()):
            check.fail(
                key,
                "expected a bcrypt hash such as $2y$10$… "
                "(make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n')",
            )
        else:
            users[user] = hashed.strip()
    return users


def _read_headers(check: Checker, value: object) -> tuple[tuple[str, str], ...]:
    section = check.mapping("http_server_config", value, _HTTP_KEYS)
    check.boolean("http_server_config.http2", section.get("http2"), True)  # HTTP/1.1 only
    headers = []
    for name, given in check.mapping(
        "http_server_config.headers", section.get("headers"), tuple(HEADERS)
    ).items():
        if name not in HEADERS:
            continue
        key = f"http_server_config.headers.{name}"
        if given is None or given == "":
            continue  # blank: the header is not set
        if not isinstance(given, str) or "\n" in given or "\r" in given:
            check.fail(key, f"expected a one-line string, got {kind(given)}")
        elif HEADERS[name] and given not in HEADERS[name]:
            check.fail(key, not_one_of(given, HEADERS[name]))
        else:
            headers.append((name, given))
    return tuple(headers)


def _read_paths(check: Checker, value: object) -> frozenset[str]:
    paths = check.strings("auth_excluded_paths", value)
    for path in paths:
        if not path.startswith("/"):
            check.fail("auth_excluded_paths", f"{path!r} is not a path such as /-/healthy")
    return frozenset(paths)
