"""The HTTP edge under clients that misbehave or reuse connections: malformed requests,
content negotiation, HTTP/1.1 keep-alive, and scrapes under a flood of slow connections,
proven against the real exporter process with real sockets."""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from exporter.serve.server import MAX_REQUESTS_PER_CONNECTION
from tests.support import (
    Exporter,
    basic_auth,
    one_source_config,
    raw_answer,
    running_exporter,
    value,
    wait_until,
)

# Real exporter processes and sockets: the full suite's.
pytestmark = pytest.mark.system

PASSWORD_HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()


def write_config(tmp_path: Path) -> Path:
    return one_source_config(tmp_path)


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[Exporter]:
    with running_exporter(write_config(tmp_path), "--log.level=info") as running:
        yield running


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Exporter]:
    """An exporter with basic auth, logging at info (what production logs)."""
    web = tmp_path / "web.yml"
    web.write_text(f"basic_auth_users: {{prometheus: '{PASSWORD_HASH}'}}\n")
    with running_exporter(
        write_config(tmp_path),
        f"--web.config.file={web}",
        "--log.level=info",
        headers=basic_auth("prometheus", "s3cret"),
    ) as running:
        yield running


def answer(exporter: Exporter, request: bytes) -> bytes:
    return raw_answer(exporter, request)


def basic(raw: bytes) -> bytes:
    return b"Authorization: Basic " + base64.b64encode(raw) + b"\r\n"


MALFORMED = {
    "not base64, not ASCII": b"Authorization: Basic \xff\r\n",
    "bad base64": b"Authorization: Basic %%%\r\n",
    "credentials not UTF-8": basic(b"\xff\xfe:\xff"),
    "no colon": basic(b"prometheus"),
    "only a scheme": b"Authorization: Basic\r\n",
    "control bytes in a header": b"X-Odd: \x00\x01\x7f\xff\r\n",
    "a header line without a colon": b"no colon here\r\n",
}


def test_malformed_credentials_and_headers_get_401_without_a_traceback(guarded: Exporter) -> None:
    for name, header in MALFORMED.items():
        request = b"GET /metrics HTTP/1.1\r\nConnection: close\r\n" + header + b"\r\n"
        reply = answer(guarded, request)
        assert reply.split(b" ", 2)[1] in (b"400", b"401"), (name, reply[:80])
    assert "Traceback" not in guarded.output()


@pytest.mark.parametrize(
    "request_line",
    [b"GARBAGE\r\n", b"GET /metrics HTTP/9.9\r\n", b"GET /metrics HTTP/1.1 extra\r\n", b"\xff\r\n"],
)
def test_a_bad_request_line_gets_400(guarded: Exporter, request_line: bytes) -> None:
    reply = answer(guarded, request_line + b"Host: x\r\n\r\n")
    assert reply.split(b" ", 2)[1] in (b"400", b"505"), reply[:80]


def test_a_flood_of_malformed_requests_logs_a_line_or_two_not_one_per_request(
    guarded: Exporter,
) -> None:
    before = len(guarded.output())
    for _ in range(300):
        reply = answer(
            guarded, b"GET / HTTP/1.1\r\nAuthorization: Basic \xff\r\nConnection: close\r\n\r\n"
        )
        assert reply.startswith(b"HTTP/1.1 401 "), reply[:80]
    logged = guarded.output()[before:]
    assert "Traceback" not in logged
    assert logged.count("\n") <= 2, logged[:2000]
    assert guarded.get("/metrics")[0] == 200


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/openmetrics-text; version=abc", "text/plain; version=0.0.4"),
        ("application/openmetrics-text; version=9.9.9", "text/plain; version=0.0.4"),
        ("application/openmetrics-text; version=", "application/openmetrics-text; version=1.0.0"),
        (
            "application/openmetrics-text; version=1.0.0",
            "application/openmetrics-text; version=1.0.0",
        ),
        ("application/openmetrics-text", "application/openmetrics-text; version=1.0.0"),
        ("application/openmetrics-text; version=abc, text/plain", "text/plain; version=0.0.4"),
        # The first the client prefers, by q-value, that we can write.
        (
            "application/openmetrics-text;version=1.0.0;q=0.2,text/plain;version=0.0.4;q=0.5",
            "text/plain; version=0.0.4",
        ),
        ("application/openmetrics-text; q=0", "text/plain; version=0.0.4"),
        ("text/plain; version=1.0.0", "text/plain; version=0.0.4"),
        (";;;,,=;q=x", "text/plain; version=0.0.4"),
    ],
)
def test_content_negotiation_never_fails_and_falls_back_to_the_text_format(
    exporter: Exporter, accept: str, content_type: str
) -> None:
    status, body, headers = exporter.request("GET", "/metrics", {"Accept": accept})
    assert status == 200
    assert headers["Content-Type"].startswith(content_type), headers["Content-Type"]
    assert "sip_responses_total" in body
    assert body.endswith("# EOF\n") == content_type.startswith("application/openmetrics-text")
    assert "Traceback" not in exporter.output()


def test_one_connection_carries_many_scrapes(guarded: Exporter) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=10)
    try:
        sockets = set()
        for _ in range(5):
            connection.request("GET", "/metrics", headers=dict(guarded.headers or {}))
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200
            assert response.version == 11
            assert not response.will_close
            assert int(response.headers["Content-Length"]) == len(body)
            assert connection.sock is not None
            sockets.add(connection.sock.getsockname())
        assert len(sockets) == 1  # the same connection each time
        # A 401 keeps the connection open too: the client can retry with credentials.
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        response.read()
        assert response.status == 401 and not response.will_close
    finally:
        connection.close()


def test_a_connection_is_closed_after_its_cap_of_requests(exporter: Exporter) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
    try:
        for _ in range(MAX_REQUESTS_PER_CONNECTION - 1):
            connection.request("GET", "/-/healthy")
            response = connection.getresponse()
            response.read()
            assert not response.will_close
        connection.request("GET", "/-/healthy")
        last = connection.getresponse()
        last.read()
        assert last.status == 200
        assert last.headers["Connection"] == "close"
    finally:
        connection.close()


def test_http_1_0_clients_get_their_answer_and_the_connection_closed(exporter: Exporter) -> None:
    reply = answer(exporter, b"GET /-/healthy HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.endswith(b"\r\n\r\nHealthy.\n")


class Slowloris:
    """`count` connections that each send a request head a byte at a time (seven in
    eight: more than the connection cap) or nothing at all, and are opened again whenever
    the server closes them."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.sockets = [self._open(n) for n in range(count)]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _open(self, n: int) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        connection.setblocking(False)
        if self.slow(n):
            connection.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        return connection

    @staticmethod
    def slow(n: int) -> bool:
        return n % 8 != 0

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for n, connection in enumerate(self.sockets):
                try:
                    if connection.recv(1024) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                except OSError:
                    connection.close()
                    self.sockets[n] = self._open(n)
                    continue
                if self.slow(n):
                    with contextlib.suppress(OSError):  # closed: opened again next round
                        connection.send(b"a")

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for connection in self.sockets:
            connection.close()


def timed_scrape(exporter: Exporter) -> float | None:
    """Seconds for one scrape on a new connection; None if it was not answered."""
    start = time.monotonic()
    try:
        status, _ = exporter.get("/metrics")
    except OSError:
        return None
    return time.monotonic() - start if status == 200 else None


def test_scrapes_get_through_eighty_slow_connections(exporter: Exporter) -> None:
    attack = Slowloris(exporter.port, 80)
    try:
        times = [timed_scrape(exporter) for _ in range(20)]
    finally:
        attack.close()
    answered = [t for t in times if t is not None]
    assert len(answered) == 20, times
    assert max(answered) < 2.0, times
    print(f"20 scrapes under 80 slow connections: median {statistics.median(answered):.3f} s")
    assert value(exporter.scrape(), "sip_responses_total", code="503") == 1
    wait_until(lambda: exporter.get("/-/healthy")[0] == 200, what="service after the attack")
