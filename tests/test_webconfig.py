"""The web config file (exporter-toolkit format): defaults, paths, and every problem named
with its key."""

from __future__ import annotations

import pytest

from exporter.serve import tls_names
from exporter.serve.webconfig import TlsSettings, WebConfig, parse_web_config
from exporter.validation import ConfigError
from tests.support import REPO

HASH = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as raised:
        parse_web_config(text, "/etc/web.yml")
    return dict(raised.value.problems)


def test_an_empty_file_asks_for_nothing() -> None:
    assert parse_web_config("", "/etc/web.yml") == WebConfig()
    assert parse_web_config("tls_server_config: {}\n", "/etc/web.yml").tls is None


def test_tls_takes_the_toolkit_defaults_and_paths_relative_to_the_file() -> None:
    config = parse_web_config(
        "tls_server_config: {cert_file: server.crt, key_file: /keys/server.key}", "/etc/x/web.yml"
    )
    assert config.tls == TlsSettings(
        cert_file="/etc/x/server.crt",
        key_file="/keys/server.key",
        client_auth_type="NoClientCert",
        min_version="TLS12",
        max_version="TLS13",
    )


def test_mutual_tls_settings_are_read() -> None:
    config = parse_web_config(
        """
tls_server_config:
  cert_file: s.crt
  key_file: s.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [prometheus.example]
  min_version: TLS13
""",
        "/w/web.yml",
    )
    assert config.tls is not None
    assert config.tls.client_ca_file == "/w/ca.crt"
    assert config.tls.client_allowed_sans == ("prometheus.example",)
    assert (config.tls.client_auth_type, config.tls.min_version) == (
        "RequireAndVerifyClientCert",
        "TLS13",
    )


def test_users_headers_and_excluded_paths_are_read() -> None:
    config = parse_web_config(
        f"""
basic_auth_users: {{prometheus: '{HASH}'}}
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
    X-XSS-Protection: ''
auth_excluded_paths: [/-/healthy]
""",
        "/w/web.yml",
    )
    assert dict(config.users) == {"prometheus": HASH}
    assert config.headers == (
        ("X-Frame-Options", "deny"),
        ("Strict-Transport-Security", "max-age=31536000"),
    )
    assert config.auth_excluded_paths == {"/-/healthy"}


def test_every_problem_is_reported_with_its_key() -> None:
    found = problems(
        """
tls_server_config:
  key_file: s.key
  client_auth_type: Sometimes
  min_version: TLS14
basic_auth_users:
  alice: plaintext
  'bob:x': '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG'
http_server_config:
  headers: {Content-Type: text/plain, X-Frame-Options: allow}
auth_excluded_paths: [healthy]
colour: blue
"""
    )
    assert set(found) == {
        "tls_server_config.cert_file",
        "tls_server_config.client_auth_type",
        "tls_server_config.min_version",
        "basic_auth_users.alice",
        "basic_auth_users.bob:x",
        "http_server_config.headers.Content-Type",
        "http_server_config.headers.X-Frame-Options",
        "auth_excluded_paths",
        "colour",
    }
    assert "required" in found["tls_server_config.cert_file"]
    assert "bcrypt" in found["basic_auth_users.alice"]
    assert "allowed: Strict-Transport-Security" in found["http_server_config.headers.Content-Type"]


def test_the_message_names_the_file_and_the_key() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_web_config("basic_auth_users: {alice: nope}", "/etc/web.yml")
    assert str(raised.value).startswith("/etc/web.yml: basic_auth_users.alice: expected a bcrypt")


def test_client_certificates_that_are_not_verified_are_refused() -> None:
    for policy in ("RequestClientCert", "RequireAnyClientCert"):
        found = problems(
            f"tls_server_config: {{cert_file: a, key_file: b, client_auth_type: {policy}}}"
        )
        assert "without verifying" in found["tls_server_config.client_auth_type"]


def test_client_verification_needs_a_ca_and_a_ca_needs_verification() -> None:
    assert "tls_server_config.client_ca_file" in problems(
        "tls_server_config: {cert_file: a, key_file: b, client_auth_type: VerifyClientCertIfGiven}"
    )
    assert "tls_server_config.client_ca_file" in problems(
        "tls_server_config: {cert_file: a, key_file: b, client_ca_file: ca.crt}"
    )
    assert "tls_server_config.client_allowed_sans" in problems(
        "tls_server_config: {cert_file: a, key_file: b, client_allowed_sans: [x]}"
    )


def test_what_cannot_be_applied_is_refused_not_ignored() -> None:
    found = problems(
        """
tls_server_config:
  cert: PEM
  key: PEM
  client_ca: PEM
rate_limit: {interval: 1s, burst: 5}
"""
    )
    assert {
        "tls_server_config.cert",
        "tls_server_config.key",
        "tls_server_config.client_ca",
        "rate_limit",
    } <= set(found)


def tls(extra: str) -> TlsSettings:
    config = parse_web_config(
        "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n" + extra, "/w/web.yml"
    )
    assert config.tls is not None
    return config.tls


def test_cipher_suites_are_gos_names_kept_in_their_order() -> None:
    given = tls(
        "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256,\n"
        "                  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305]\n"
    )
    assert given.cipher_suites == (
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    )
    assert tls("").cipher_suites == () == tls("  cipher_suites: []\n").cipher_suites


def test_every_secure_go_suite_but_3des_maps_to_an_openssl_suite_this_machine_has() -> None:
    # Debian's OpenSSL 3 has no 3DES suite at all; every other name Go accepts works.
    working = set(tls_names.working_suites())
    assert working == set(tls_names.SUITES) - {
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    } | set(tls_names.TLS13_SUITES)
    assert tls_names.openssl_suite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305") == (
        "ECDHE-ECDSA-CHACHA20-POLY1305"
    )
    assert tls_names.openssl_suite("TLS_AES_128_GCM_SHA256") is None


def test_an_unknown_cipher_suite_is_refused_with_the_names_that_work() -> None:
    found = problems(
        "tls_server_config: {cert_file: a, key_file: b, cipher_suites: [TLS_MADE_UP_SHA256]}"
    )
    message = found["tls_server_config.cipher_suites"]
    assert message.startswith("TLS_MADE_UP_SHA256 is not a cipher suite name Go's toolkit knows")
    assert "names that work here: TLS_RSA_WITH_AES_128_CBC_SHA, " in message
    assert "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" in message
    assert "3DES" not in message


def test_a_suite_this_openssl_cannot_provide_is_refused_naming_it() -> None:
    found = problems(
        "tls_server_config: {cert_file: a, key_file: b, "
        "cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_3DES_EDE_CBC_SHA]}"
    )
    message = found["tls_server_config.cipher_suites"]
    assert message.startswith(
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA (OpenSSL: DES-CBC3-SHA) is not provided by this "
        "machine's OpenSSL; names that work here:"
    )


def test_gos_insecure_suites_are_refused_as_the_toolkit_refuses_them() -> None:
    found = problems(
        "tls_server_config: {cert_file: a, key_file: b, "
        "cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256]}"
    )
    assert "one of Go's insecure cipher suites" in found["tls_server_config.cipher_suites"]


def test_only_tls13_suites_up_to_tls12_would_admit_no_client_and_are_refused() -> None:
    found = problems(
        "tls_server_config: {cert_file: a, key_file: b, max_version: TLS12, "
        "cipher_suites: [TLS_AES_128_GCM_SHA256]}"
    )
    assert "only TLS 1.3 suites" in found["tls_server_config.cipher_suites"]
    assert tls("  cipher_suites: [TLS_AES_128_GCM_SHA256]\n").cipher_suites == (
        "TLS_AES_128_GCM_SHA256",
    )


def test_curve_preferences_are_gos_four_curves() -> None:
    given = tls("  curve_preferences: [X25519, CurveP256, CurveP384, CurveP521]\n")
    assert given.curve_preferences == ("X25519", "CurveP256", "CurveP384", "CurveP521")
    found = problems(
        "tls_server_config: {cert_file: a, key_file: b, curve_preferences: [CurveP256, P-256]}"
    )
    assert found["tls_server_config.curve_preferences"] == (
        "'P-256' is not one of: CurveP256, CurveP384, CurveP521, X25519"
    )


def test_min_version_above_max_version_is_a_problem() -> None:
    found = problems(
        "tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}"
    )
    assert "above max_version" in found["tls_server_config.min_version"]


def test_invalid_yaml_says_where() -> None:
    found = problems("basic_auth_users: [\n")
    assert "not valid YAML" in found[""]


def test_the_annotated_example_is_valid() -> None:
    path = REPO / "config" / "web-config.yml"
    config = parse_web_config(path.read_text(), str(path))
    assert config.tls is not None
    assert config.tls.cert_file == str(REPO / "config" / "server.crt")
    assert config.tls.client_auth_type == "RequireAndVerifyClientCert"
    assert set(config.users) == {"prometheus"}
    assert ("X-Frame-Options", "deny") in config.headers
