"""`--web.config.file`: TLS, mutual TLS and basic auth on every endpoint, proven against
the real exporter process with real HTTPS clients and certificates made in the test."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest
import yaml

from tests import sipmsg
from tests.certs import Authority, Issued, authority
from tests.support import (
    REPO,
    Exporter,
    basic_auth,
    parse_samples,
    query,
    run_cli,
    running_exporter,
    running_prometheus,
    value,
    wait_until,
)

pytestmark = pytest.mark.system

ENDPOINTS = ("/", "/api/v1/status", "/metrics", "/-/healthy", "/-/ready", "/no-such-page")


@dataclasses.dataclass(frozen=True)
class Setup:
    folder: Path
    config: Path
    web: Path
    ca: Authority
    server: Issued
    client: Issued


def hashed(password: str, cost: int = 4) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "wvp.log").write_text(sipmsg.response(503) + sipmsg.response(200))
    config = tmp_path / "config.yml"
    config.write_text(
        "poll_interval: 100ms\n"
        f"sources: [{{name: platform, paths: ['{logs}/*.log'], start_at: beginning}}]\n"
    )
    ca = authority(tmp_path / "pki")
    return Setup(
        tmp_path,
        config,
        tmp_path / "web.yml",
        ca,
        ca.issue("server", server=True),
        ca.issue("prometheus"),
    )


def trusting(ca: Authority, client: Issued | None = None) -> ssl.SSLContext:
    """A client context that trusts the test CA and presents `client` if given."""
    context = ssl.create_default_context(cafile=str(ca.cert))
    if client is not None:
        context.load_cert_chain(client.cert, client.key)
    return context


def tls_section(setup: Setup, extra: str = "") -> str:
    return (
        "tls_server_config:\n"
        f"  cert_file: {setup.server.cert}\n"
        f"  key_file: {setup.server.key}\n" + extra
    )


def as_client(exporter: Exporter, **changes: object) -> Exporter:
    return dataclasses.replace(exporter, **changes)  # type: ignore[arg-type]


def test_basic_auth_guards_every_endpoint_and_method(setup: Setup) -> None:
    setup.web.write_text(f"basic_auth_users:\n  prometheus: '{hashed('s3cret')}'\n")
    good = basic_auth("prometheus", "s3cret")
    with running_exporter(setup.config, f"--web.config.file={setup.web}", headers=good) as ok:
        anonymous = as_client(ok, headers=None)
        for path in ENDPOINTS:
            for client, headers in (
                (anonymous, {}),
                (anonymous, basic_auth("prometheus", "wrong")),
                (anonymous, basic_auth("nobody", "s3cret")),
                (anonymous, {"Authorization": "Bearer s3cret"}),
            ):
                status, _, answer = client.request("GET", path, headers)
                assert status == 401, (path, headers)
                assert answer["WWW-Authenticate"].startswith("Basic "), path
        assert [ok.request("GET", path)[0] for path in ENDPOINTS] == [200] * 5 + [404]
        # /-/reload, and any method, is authenticated before it is routed.
        assert anonymous.request("POST", "/-/reload")[0] == 401
        assert anonymous.request("DELETE", "/metrics")[0] == 401
        assert ok.request("POST", "/-/reload")[0] == 200  # reloaded, with credentials
        assert ok.request("POST", "/metrics")[0] == 405
        assert value(ok.scrape(), "sip_responses_total", code="503") == 1


def test_a_password_beyond_bcrypts_72_bytes_is_refused_not_crashed(setup: Setup) -> None:
    setup.web.write_text(f"basic_auth_users: {{u: '{hashed('p')}'}}\n")
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", headers=basic_auth("u", "p")
    ) as exporter:
        assert exporter.request("GET", "/metrics", basic_auth("u", "p" * 100))[0] == 401
        assert exporter.request("GET", "/metrics", {"Authorization": "Basic %%%"})[0] == 401
        assert exporter.get("/metrics")[0] == 200


def test_excluded_paths_need_no_credentials(setup: Setup) -> None:
    setup.web.write_text(
        f"basic_auth_users: {{u: '{hashed('p')}'}}\nauth_excluded_paths: [/-/healthy, /-/ready]\n"
    )
    with running_exporter(setup.config, f"--web.config.file={setup.web}") as exporter:
        assert exporter.get("/-/healthy")[0] == 200
        assert exporter.get("/metrics")[0] == 401
        assert exporter.get("/")[0] == 401


def test_https_with_the_servers_certificate(setup: Setup) -> None:
    setup.web.write_text(tls_section(setup))
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", tls=trusting(setup.ca)
    ) as exporter:
        assert exporter.url.startswith("https://")
        assert value(exporter.scrape(), "sip_responses_total", code="503") == 1
        # A client that does not trust the CA refuses the server.
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            as_client(exporter, tls=ssl.create_default_context()).get("/metrics")


def test_plain_http_to_the_tls_port_fails_cleanly(setup: Setup) -> None:
    setup.web.write_text(tls_section(setup))
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", tls=trusting(setup.ca)
    ) as exporter:
        for _ in range(3):
            status, body = as_client(exporter, tls=None).get("/metrics")
            assert (status, body) == (400, "Client sent an HTTP request to an HTTPS server.\n")
        assert exporter.get("/-/healthy")[0] == 200
    assert "Traceback" not in exporter.output()


def test_mutual_tls_admits_only_certificates_of_the_client_ca(setup: Setup) -> None:
    setup.web.write_text(
        tls_section(
            setup,
            f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {setup.ca.cert}\n",
        )
    )
    stranger_ca = authority(setup.folder / "other-pki", "stranger")
    stranger = stranger_ca.issue("prometheus")
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", tls=trusting(setup.ca, setup.client)
    ) as exporter:
        assert value(exporter.scrape(), "sip_responses_total", code="503") == 1
        for refused in (trusting(setup.ca), trusting(setup.ca, stranger)):
            with pytest.raises(OSError):
                as_client(exporter, tls=refused).get("/metrics")
        assert exporter.get("/metrics")[0] == 200
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in exporter.output()
    assert "CERTIFICATE_VERIFY_FAILED" in exporter.output()


def test_mutual_tls_with_allowed_sans_and_basic_auth_together(setup: Setup) -> None:
    setup.web.write_text(
        tls_section(
            setup,
            "  client_auth_type: RequireAndVerifyClientCert\n"
            f"  client_ca_file: {setup.ca.cert}\n"
            "  client_allowed_sans: [prometheus.example]\n",
        )
        + f"basic_auth_users: {{prometheus: '{hashed('pw')}'}}\n"
    )
    other = setup.ca.issue("grafana")  # signed by the right CA, but not an allowed SAN
    with running_exporter(
        setup.config,
        f"--web.config.file={setup.web}",
        tls=trusting(setup.ca, setup.client),
        headers=basic_auth("prometheus", "pw"),
    ) as exporter:
        assert exporter.get("/metrics")[0] == 200
        assert as_client(exporter, headers=None).get("/metrics")[0] == 401
        with pytest.raises(OSError):
            as_client(exporter, tls=trusting(setup.ca, other)).get("/metrics")
    assert "client certificate has none of the allowed SANs" in exporter.output()


def test_verify_client_cert_if_given_admits_no_certificate_but_not_a_bad_one(
    setup: Setup,
) -> None:
    setup.web.write_text(
        tls_section(
            setup,
            f"  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: {setup.ca.cert}\n",
        )
    )
    stranger = authority(setup.folder / "other-pki", "stranger").issue("prometheus")
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", tls=trusting(setup.ca)
    ) as exporter:
        assert exporter.get("/metrics")[0] == 200
        assert as_client(exporter, tls=trusting(setup.ca, setup.client)).get("/")[0] == 200
        with pytest.raises(OSError):
            as_client(exporter, tls=trusting(setup.ca, stranger)).get("/metrics")


def test_min_version_refuses_older_clients(setup: Setup) -> None:
    setup.web.write_text(tls_section(setup, "  min_version: TLS13\n"))
    old = trusting(setup.ca)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", tls=trusting(setup.ca)
    ) as exporter:
        assert exporter.get("/metrics")[0] == 200
        with pytest.raises(urllib.error.URLError):
            as_client(exporter, tls=old).get("/metrics")


def test_headers_from_the_web_config_are_on_every_response(setup: Setup) -> None:
    setup.web.write_text(
        f"basic_auth_users: {{u: '{hashed('p')}'}}\n"
        "http_server_config:\n"
        "  headers: {X-Frame-Options: deny, X-Content-Type-Options: nosniff,"
        " Content-Security-Policy: \"default-src 'none'\"}\n"
    )
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", headers=basic_auth("u", "p")
    ) as exporter:
        for path, headers in (("/metrics", None), ("/", None), ("/metrics", {"Authorization": ""})):
            answer = exporter.request("GET", path, headers)[2]
            assert answer["X-Frame-Options"] == "deny", path
            assert answer["X-Content-Type-Options"] == "nosniff", path
            assert answer["Content-Security-Policy"] == "default-src 'none'", path


def test_a_changed_web_config_applies_once_settled_and_a_broken_one_changes_nothing(
    setup: Setup,
) -> None:
    setup.web.write_text(f"basic_auth_users: {{alice: '{hashed('one')}'}}\n")
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", headers=basic_auth("alice", "one")
    ) as exporter:
        assert exporter.get("/metrics")[0] == 200
        setup.web.write_text(f"basic_auth_users: {{alice: '{hashed('two')}'}}\n")
        two = basic_auth("alice", "two")
        wait_until(lambda: exporter.request("GET", "/metrics", two)[0] == 200, what="two")
        assert exporter.get("/metrics")[0] == 401
        # Broken while running: the last valid config stays in force, the exporter keeps
        # running, and a fixed file applies again.
        setup.web.write_text("basic_auth_users: [\n")

        def kept_and_logged() -> bool:
            assert exporter.request("GET", "/metrics", two)[0] == 200
            return "web config unusable" in exporter.output()

        wait_until(kept_and_logged, what="the error logged")
        assert exporter.request("GET", "/metrics", {"Authorization": ""})[0] == 401
        setup.web.write_text(f"basic_auth_users: {{alice: '{hashed('three')}'}}\n")
        three = basic_auth("alice", "three")
        wait_until(lambda: exporter.request("GET", "/metrics", three)[0] == 200, what="three")


def test_a_renewed_certificate_is_served_from_the_next_connection(setup: Setup) -> None:
    setup.web.write_text(tls_section(setup))
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", tls=trusting(setup.ca)
    ) as exporter:
        first = peer_certificate(exporter.port, setup.ca)
        renewed = setup.ca.issue("renewed", server=True)
        setup.server.key.write_bytes(renewed.key.read_bytes())
        setup.server.cert.write_bytes(renewed.cert.read_bytes())
        second = peer_certificate(exporter.port, setup.ca)
        assert first != second
        assert second == ssl.PEM_cert_to_DER_cert(renewed.cert.read_text())
        assert exporter.get("/metrics")[0] == 200


def peer_certificate(port: int, ca: Authority) -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        trusting(ca).wrap_socket(raw, server_hostname="127.0.0.1") as secure,
    ):
        der = secure.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_an_invalid_web_config_fails_at_start_naming_each_problem(setup: Setup) -> None:
    setup.web.write_text(
        "tls_server_config:\n"
        f"  cert_file: {setup.folder / 'missing.crt'}\n"
        f"  key_file: {setup.server.key}\n"
        "basic_auth_users: {alice: hunter2}\n"
    )
    result = run(f"--config.file={setup.config}", f"--web.config.file={setup.web}")
    assert result.returncode == 2
    assert result.stderr.startswith(f"sip-log-exporter: {setup.web}: basic_auth_users.alice:")
    assert "Traceback" not in result.stderr
    # Well-formed, but a file it names is missing.
    setup.web.write_text(
        f"tls_server_config: {{cert_file: missing.crt, key_file: {setup.server.key}}}\n"
    )
    result = run(f"--config.file={setup.config}", f"--web.config.file={setup.web}")
    assert result.returncode == 2
    assert result.stderr == (
        f"sip-log-exporter: {setup.web}: tls_server_config.cert_file: "
        f"cannot read {setup.folder / 'missing.crt'}: No such file or directory\n"
    )
    # Well-formed, but the certificate and key do not belong together.
    other = setup.ca.issue("other", server=True)
    setup.web.write_text(
        f"tls_server_config: {{cert_file: {setup.server.cert}, key_file: {other.key}}}\n"
    )
    result = run(f"--config.file={setup.config}", f"--web.config.file={setup.web}")
    assert result.returncode == 2
    assert "tls_server_config.cert_file, tls_server_config.key_file: cannot use them" in (
        result.stderr
    )
    missing = run(f"--config.file={setup.config}", f"--web.config.file={setup.folder / 'no.yml'}")
    assert missing.returncode == 2 and "cannot read it" in missing.stderr


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--web.listen-address=127.0.0.1:0", *args)


def test_basic_auth_results_are_cached_so_scrapes_stay_fast(setup: Setup) -> None:
    """bcrypt at cost 12 takes a few hundred milliseconds on purpose; only the first
    request with given credentials pays it."""
    setup.web.write_text(f"basic_auth_users: {{prometheus: '{hashed('pw', cost=12)}'}}\n")
    with running_exporter(
        setup.config, f"--web.config.file={setup.web}", headers=basic_auth("prometheus", "pw")
    ) as exporter:
        first = timed(exporter, basic_auth("prometheus", "other"))
        cached = sorted(timed(exporter) for _ in range(20))[10]
    assert first > 0.1, first
    assert cached < first / 5, (cached, first)


def timed(exporter: Exporter, headers: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    exporter.request("GET", "/-/healthy", headers)
    return time.perf_counter() - start


def test_the_exporter_runs_without_a_web_config_as_before(setup: Setup) -> None:
    with running_exporter(setup.config) as exporter:
        assert exporter.get("/metrics")[0] == 200
        wait_until(lambda: value(exporter.scrape(), "sip_responses_total", code="503") == 1)


def test_prometheus_scrapes_through_mutual_tls_and_basic_auth(setup: Setup) -> None:
    """The shipped scrape config (config/prometheus/scrape-tls.yml), its file names pointed
    at this test's certificates, scrapes the exporter guarded by the same settings as
    the shipped web config."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    assert prometheus and promtool, (
        "prometheus and promtool are needed (apt-get install prometheus)"
    )
    example = yaml.safe_load((REPO / "config" / "web-config.yml").read_text())
    assert set(example["tls_server_config"]) >= {"client_auth_type", "client_ca_file"}
    setup.web.write_text(
        tls_section(
            setup,
            f"  client_auth_type: {example['tls_server_config']['client_auth_type']}\n"
            f"  client_ca_file: {setup.ca.cert}\n"
            "  client_allowed_sans: [prometheus.example]\n",
        )
        + f"basic_auth_users: {{prometheus: '{hashed('scrape-secret')}'}}\n"
    )
    password = setup.folder / "password"
    password.write_text("scrape-secret\n")
    with running_exporter(
        setup.config,
        f"--web.config.file={setup.web}",
        tls=trusting(setup.ca, setup.client),
        headers=basic_auth("prometheus", "scrape-secret"),
    ) as exporter:
        config = scrape_config(setup, password, exporter.port)
        checked = subprocess.run(
            [promtool, "check", "config", str(config)], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with running_prometheus(prometheus, config, setup.folder) as url:
            wait_until(
                lambda: (
                    query(url, 'sum(sip_responses_total{job="sip-log-exporter",code="503"})')
                    == [1.0]
                ),
                timeout=30,
                what="Prometheus to scrape the 503 over mutual TLS and basic auth",
            )
            assert query(url, 'up{job="sip-log-exporter"}') == [1.0]
            # Keep-alive: one connection, and one TLS handshake, carries the scrapes.
            scrapes = 'count_over_time(up{job="sip-log-exporter"}[5m])'
            wait_until(lambda: (query(url, scrapes) or [0])[0] >= 5, what="five scrapes")
            assert dialed(url, "sip-log-exporter") <= 2


def dialed(url: str, job: str) -> float:
    """Connections Prometheus has opened for a scrape job, from its own metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
        samples = parse_samples(answer.read().decode())
    return value(samples, "net_conntrack_dialer_conn_established_total", dialer_name=job)


def scrape_config(setup: Setup, password: Path, port: int) -> Path:
    document = yaml.safe_load((REPO / "config" / "prometheus" / "scrape-tls.yml").read_text())
    (job,) = document["scrape_configs"]
    assert job["scheme"] == "https"
    assert set(job["tls_config"]) == {"ca_file", "cert_file", "key_file"}
    assert set(job["basic_auth"]) == {"username", "password_file"}
    job["tls_config"] = {
        "ca_file": str(setup.ca.cert),
        "cert_file": str(setup.client.cert),
        "key_file": str(setup.client.key),
    }
    job["basic_auth"]["password_file"] = str(password)
    job["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    job["scrape_interval"] = "1s"
    config = setup.folder / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}, **document}))
    return config
