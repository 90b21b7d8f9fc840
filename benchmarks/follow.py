"""Follow-mode figures: sustained ingest, freshness, and /metrics with many series.

Owns the measurements that need the real exporter process following real files:
- sustained ingest: a writer appends the corpus as fast as it can while a Prometheus-style
  scraper hits /metrics every second; lines per second and CPU seconds per million lines
  come from the scrapes taken while the exporter was behind the writer;
- freshness: the time from appending one record to seeing it in /metrics, with default
  settings, over many samples;
- /metrics response time with a given number of `sip_responses_total` series.
"""

from __future__ import annotations

import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from benchmarks import tools
from benchmarks.side_by_side import samples
from exporter.demo import Message, render
from exporter.events import SIP_METHODS

_CHUNK = 64 * 1024
# What Prometheus sends when it scrapes.
PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}


@dataclass(frozen=True, slots=True)
class Exporter:
    process: subprocess.Popen[bytes]
    url: str

    def get(self, path: str = "/metrics", headers: dict[str, str] | None = None) -> bytes:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=10) as reply:
            body: bytes = reply.read()
        return body

    def value(self, name: str, **labels: str) -> float:
        text = self.get().decode()
        return sum(v for have, v in samples(text, name) if labels.items() <= have.items())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


@contextmanager
def running(folder: Path, start_at: str = "end") -> Iterator[Exporter]:
    """The exporter following `folder/*.log` with default settings."""
    config = folder / "config.yml"
    config.write_text(
        f"sources: [{{name: bench, paths: ['{folder}/*.log'], start_at: {start_at}}}]\n"
    )
    port = free_port()
    with (folder / "exporter.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exporter",
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tools.REPO,
            env=tools.exporter_env(),
        )
    exporter = Exporter(process, f"http://127.0.0.1:{port}")

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the exporter exited; see {folder / 'exporter.log'}")
        try:
            return exporter.get("/-/ready") == b"Ready.\n"
        except OSError:
            return False

    try:
        wait_for(ready, 30, "the exporter to be ready")
        yield exporter
    finally:
        process.terminate()
        process.wait(timeout=30)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sustained(corpus: Path, lines: int, copies: int, folder: Path) -> dict[str, object]:
    """Append the corpus `copies` times as fast as possible; scrape every second."""
    folder.mkdir()
    log = folder / "platform.log"
    log.touch()
    with running(folder) as exporter:
        scrapes: list[tuple[float, float, float]] = []  # (time, lines read, CPU seconds)
        durations: list[float] = []
        done = threading.Event()

        def scrape() -> None:
            while not done.is_set():
                began = time.perf_counter()
                body = exporter.get()
                durations.append(time.perf_counter() - began)
                read = _count(body, b'source="bench"', b"sip_exporter_lines_total")
                scrapes.append((began, read, tools.process_cpu_seconds(exporter.process.pid)))
                done.wait(max(0.0, 1.0 - (time.perf_counter() - began)))

        scraper = threading.Thread(target=scrape, daemon=True)
        scraper.start()
        data = corpus.read_bytes()
        with log.open("ab") as out:
            for _ in range(copies):
                for at in range(0, len(data), _CHUNK):
                    out.write(data[at : at + _CHUNK])
                    out.flush()
        total = lines * copies
        wait_for(lambda: bool(scrapes) and scrapes[-1][1] >= total, 600, "the exporter to catch up")
        done.set()
        scraper.join()
        responses = exporter.value("sip_responses_total")
    # The rate while the exporter was behind: from the first scrape that saw it reading to
    # the last one before it caught up.
    busy = [s for s in scrapes if 0 < s[1] < total]
    first, last = (busy[0], busy[-1]) if len(busy) >= 2 else (scrapes[0], scrapes[-1])
    read, seconds, cpu = last[1] - first[1], last[0] - first[0], last[2] - first[2]
    return {
        "lines_written": total,
        "copies": copies,
        "responses_counted": responses,
        "lines_per_s": read / seconds if seconds else 0.0,
        "cpu_s_per_million_lines": cpu / read * 1e6 if read else 0.0,
        "window_s": seconds,
        "scrapes": len(scrapes),
        "scrape_median_ms": statistics.median(durations) * 1000,
    }


def _record(code: int, method: str, direction: str, n: int) -> str:
    message = Message(
        direction,
        f"SIP/2.0 {code} Whatever",
        method,
        n,
        f"{n:016x}@192.168.1.10",
        "34020000002000000001",
        f"34020000001320{n % 100000:06d}",
        "192.168.21.10:5060",
    )
    return render(message, datetime(2024, 1, 8, 12, 0, 0), "Thread-1")


def _count(exposition: bytes, label: bytes, name: bytes = b"sip_responses_total") -> float:
    """The sum of the `name` samples whose labels hold `label` (read without a parser, so
    that reading a scrape costs this side next to nothing)."""
    return sum(
        float(line.rsplit(b" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith(name + b"{") and label in line
    )


def freshness(count: int, folder: Path) -> dict[str, object]:
    """Append one 487 at a time, at irregular moments; time until /metrics shows it."""
    folder.mkdir()
    log = folder / "platform.log"
    log.touch()
    pacing = random.Random(487)
    latencies: list[float] = []
    with running(folder) as exporter, log.open("a", encoding="utf-8", newline="") as out:
        for n in range(1, count + 1):
            time.sleep(pacing.uniform(0.02, 0.2))  # pacing, not waiting on a condition
            out.write(_record(487, "INVITE", "in", n))
            out.flush()
            appended = time.perf_counter()
            # Polled every 5 ms rather than in a tight loop, which would take the GIL
            # from the reader it measures. The clock stops when the response that shows
            # the record has arrived, before this side reads it.
            while True:
                body = exporter.get()
                arrived = time.perf_counter()
                if _count(body, b'code="487"') >= n:
                    break
                time.sleep(0.005)
            latencies.append(arrived - appended)
    return {
        "samples": count,
        "settings": "defaults (poll_interval 1s, flush_after 1s)",
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


def series_log(path: Path, series: int) -> None:
    """One response for each of `series` different (direction, method, code) label sets."""
    combos = [
        (direction, method, code)
        for code in range(100, 700)
        for method in sorted(SIP_METHODS)
        for direction in ("in", "out")
    ]
    random.Random(5000).shuffle(combos)
    with path.open("w", encoding="utf-8", newline="") as out:
        for n, (direction, method, code) in enumerate(combos[:series], 1):
            out.write(_record(code, method, direction, n))


def scrape_time(series: int, requests: int, folder: Path) -> dict[str, object]:
    """Median and p90 time of GET /metrics with `series` response series."""
    folder.mkdir()
    series_log(folder / "platform.log", series)
    with running(folder, start_at="beginning") as exporter:
        wait_for(
            lambda: exporter.value("sip_exporter_records_total", result="matched") >= series,
            60,
            "the series log to be read",
        )
        shown = sum(1 for _ in samples(exporter.get().decode(), "sip_responses_total"))
        figures: dict[str, object] = {"series": shown}
        for name, headers in (("plain", {}), ("prometheus", PROMETHEUS_HEADERS)):
            times = []
            for _ in range(requests):
                began = time.perf_counter()
                size = len(exporter.get("/metrics", headers))
                times.append(time.perf_counter() - began)
            figures[name] = {
                "median_ms": statistics.median(times) * 1000,
                "p90_ms": _percentile(times, 0.9) * 1000,
                "bytes": size,
            }
    return figures
