"""Test support: running the real exporter process and a real Prometheus, scraping, and
waiting on conditions."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
T = TypeVar("T")


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m exporter ARGS…` once, to its end, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )


def wait_until(
    condition: Callable[[], T | None], timeout: float = 15.0, what: str = "condition"
) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by (name, sorted label pairs)."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of all samples of `name` whose labels include `labels`."""
    return sum(
        v
        for (n, pairs), v in samples.items()
        if n == name and labels.items() <= dict(pairs).items()
    )


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Exporter:
    """A running `sip-log-exporter` process, and how its own requests reach it: over
    HTTPS when `tls` is given, with `headers` (credentials) on every request."""

    process: subprocess.Popen[str]
    port: int
    log_path: Path
    tls: ssl.SSLContext | None = None
    headers: Mapping[str, str] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
        return self.request("GET", path, headers)[:2]

    def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str, Mapping[str, str]]:
        """Status, body and headers of one request (errors included)."""
        wanted = {**(self.headers or {}), **(headers or {})}
        request = urllib.request.Request(self.url + path, headers=wanted, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5, context=self.tls) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def scrape(self) -> Samples:
        status, body = self.get("/metrics")
        assert status == 200, body
        return parse_samples(body)

    def metrics_text(self) -> str:
        return self.get("/metrics")[1]

    def ready(self) -> bool:
        try:
            return self.get("/-/ready")[0] == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=15)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_exporter(
    config: Path,
    *extra: str,
    prefix: Sequence[str] = (),
    port: int | None = None,
    tls: ssl.SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
    launch: Sequence[str] = ("-m", "exporter"),
) -> Exporter:
    """Start the real exporter on a free port (or `port`); do not wait for it. `prefix`
    runs before the interpreter (setpriv …); `launch` is what the interpreter is told to
    run, before the exporter's arguments."""
    port = port or free_port()
    log_path = config.parent / f"exporter-{port}.log"
    with log_path.open("a") as output:
        process = subprocess.Popen(
            [
                *prefix,
                sys.executable,
                *launch,
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=debug",
                *extra,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    return Exporter(process, port, log_path, tls, headers)


@contextmanager
def running_exporter(
    config: Path,
    *extra: str,
    prefix: Sequence[str] = (),
    port: int | None = None,
    tls: ssl.SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
    launch: Sequence[str] = ("-m", "exporter"),
) -> Iterator[Exporter]:
    """Start the real exporter, wait until it is ready, and stop it at the end."""
    exporter = start_exporter(
        config, *extra, prefix=prefix, port=port, tls=tls, headers=headers, launch=launch
    )
    process = exporter.process
    try:
        wait_until(lambda: exporter.ready() or process.poll() is not None, what="readiness")
        assert process.poll() is None, f"exporter exited early:\n{exporter.output()}"
        yield exporter
    finally:
        try:
            exporter.stop()
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_prometheus(
    binary: str, config: Path, base: Path, flags: Sequence[str] = ()
) -> Iterator[str]:
    """A real Prometheus with `config` and its data in `base`/tsdb (plus any other
    `flags`); yields its URL once it answers queries."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (base / "prometheus.log").open("wb") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={base / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                *flags,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: query(url, "vector(1)") == [1.0], timeout=30, what="Prometheus")
        yield url
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def query(url: str, expr: str, at: float | None = None) -> list[float] | None:
    """The values of an instant query (evaluated at Unix time `at`, or now), or None while
    Prometheus cannot answer."""
    params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
    try:
        with urllib.request.urlopen(
            f"{url}/api/v1/query?{urllib.parse.urlencode(params)}", timeout=5
        ) as answer:
            result = json.load(answer)["data"]["result"]
    except OSError:
        return None
    return [float(sample["value"][1]) for sample in result]


def one_source_config(folder: Path) -> Path:
    """A config with one source reading a log that holds one 503, in `folder`."""
    from tests import sipmsg  # a test helper of its own; support stays importable alone

    logs = folder / "logs"
    logs.mkdir()
    (logs / "wvp.log").write_text(sipmsg.response(503))
    config = folder / "config.yml"
    config.write_text(
        "poll_interval: 100ms\n"
        f"sources: [{{name: p, paths: ['{logs}/*.log'], start_at: beginning}}]\n"
    )
    return config


def raw_answer(exporter: Exporter, request: bytes, timeout: float = 10) -> bytes:
    """What the exporter sends back to a raw request, up to its closing the connection."""
    with socket.create_connection(("127.0.0.1", exporter.port), timeout=timeout) as client:
        client.sendall(request)
        received = b""
        while chunk := client.recv(65536):
            received += chunk
        return received
