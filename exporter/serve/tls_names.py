"""Go's TLS names, as the exporter-toolkit's web config spells them, and OpenSSL's.

Owns which `cipher_suites` and `curve_preferences` names a web config may give, what each
is called in OpenSSL, and whether this machine's OpenSSL provides it. The names are those
Go's `tls.CipherSuites()` has returned (plus the shorter CHACHA20 names Go used before
1.16); names from Go's `tls.InsecureCipherSuites()` are refused, as the toolkit does.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping

# Suites for TLS 1.0 to 1.2: Go's name -> OpenSSL's.
SUITES: Mapping[str, str] = {
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA": "DES-CBC3-SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA": "ECDHE-RSA-DES-CBC3-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}
ALIASES: Mapping[str, str] = {  # Go before 1.16
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
}
# TLS 1.3 suites: accepted, but like Go, OpenSSL picks among them whatever the list says.
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
INSECURE_SUITES = (
    "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
)  # fmt: skip
CURVES: Mapping[str, str] = {
    "CurveP256": "prime256v1",
    "CurveP384": "secp384r1",
    "CurveP521": "secp521r1",
    "X25519": "X25519",
}


def openssl_suite(name: str) -> str | None:
    """OpenSSL's name for a Go TLS 1.0-1.2 suite name; None for any other name."""
    return SUITES.get(ALIASES.get(name, name))


def working_suites() -> tuple[str, ...]:
    """The Go suite names this machine's OpenSSL can provide, TLS 1.3's included."""
    return tuple(name for name, suite in SUITES.items() if provided(suite)) + TLS13_SUITES


@functools.cache
def provided(suite: str) -> bool:
    """Whether this machine's OpenSSL offers the suite (OpenSSL's name) when asked to."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.set_ciphers(suite)
    except ssl.SSLError:  # no such suite in this build, or below its security level
        return False
    return any(cipher["name"] == suite for cipher in context.get_ciphers())


@functools.cache
def curve_provided(curve: str) -> bool:
    """Whether this machine's OpenSSL has the curve (OpenSSL's name)."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_ecdh_curve(curve)
    except (ssl.SSLError, ValueError):
        return False
    return True
