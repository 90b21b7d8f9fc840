"""Follow mode at a steady rate, beside mtail: what following a busy log costs each.

Owns the paced comparison. For each rate (lines per second) each tool runs alone, in
alternating order, on a file of its own: the exporter following `*.log` in a folder with
default settings, mtail tailing one file with the code × method program
(benchmarks/mtail/sip.mtail), also with its defaults. A writer appends the corpus to that
file at the rate, a few lines every 2 ms as a logger does, and stops at the end of an
exchange; the tool is scraped every second meanwhile. Per tool and rate: CPU seconds per
million lines (from the first write until the tool has counted every line), the lines it
had not counted when the writer stopped, how long it then took to count them all, whether
it kept up (when the writer stopped, less than `KEPT_UP_S` seconds' worth of lines not
yet counted), and its responses by code and method, which must be the same for both tools.
"""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import follow, side_by_side, tools

_TICK = 0.002  # seconds between two writes
KEPT_UP_S = 1.0  # a tool less than this many seconds of lines behind the writer kept up
_CATCH_UP_S = 120.0  # the longest wait for a tool that fell behind


@dataclass(frozen=True, slots=True)
class Tool:
    """A running tool: its process, how to read its lines and counts from a scrape."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    lines: Callable[[str], float]
    counts: Callable[[str], Counter[tuple[str, str]]]

    def scrape(self) -> str:
        with urllib.request.urlopen(self.url, timeout=10) as reply:
            text: str = reply.read().decode()
        return text


def line_ends(data: bytes, lines: int) -> list[int]:
    """Where each of the first `lines` lines ends, extended to the end of an exchange (the
    next line that is no SIP message's: one with a time stamp), so no message is cut."""
    ends: list[int] = []
    at = 0
    while at < len(data):
        at = data.find(b"\n", at) + 1
        if not at:
            break
        if len(ends) >= lines and data[at : at + 2] == b"20":
            break
        ends.append(at)
    return ends


def write_paced(log: Path, data: bytes, ends: list[int], rate: float) -> float:
    """Append data[:ends[-1]] to `log` at `rate` lines per second; the seconds it took."""
    began = time.perf_counter()
    written = 0
    with log.open("ab") as out:
        while written < len(ends):
            due = min(int((time.perf_counter() - began) * rate), len(ends))
            if due > written:
                out.write(data[ends[written - 1] if written else 0 : ends[due - 1]])
                out.flush()
                written = due
            time.sleep(_TICK)  # pacing, not waiting on a condition
    return time.perf_counter() - began


@contextmanager
def exporter(folder: Path) -> Iterator[Tool]:
    with follow.running(folder) as running:
        yield Tool(
            "sip-log-exporter",
            running.process,
            running.url + "/metrics",
            lambda text: _sum(text, "sip_exporter_lines_total"),
            lambda text: side_by_side.by_method_and_code(side_by_side.ours(text)[0]),
        )


@contextmanager
def mtail(folder: Path, binary: str) -> Iterator[Tool]:
    log = folder / "platform.log"
    port = follow.free_port()
    command = [
        binary,
        "--progs",
        str(side_by_side.MTAIL_PROGRAMS),
        "--logs",
        str(log),
        "--address=127.0.0.1",
        f"--port={port}",
        "--logtostderr",
    ]
    with (folder / "mtail.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    tool = Tool(
        "mtail",
        process,
        f"http://127.0.0.1:{port}/metrics",
        lambda text: _sum(text, "mtail_log_lines_total"),
        lambda text: side_by_side.mtails(text),
    )
    try:
        follow.wait_for(lambda: _answers(tool), 30, "mtail to listen")
        yield tool
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(tool: Tool) -> bool:
    if tool.process.poll() is not None:
        raise RuntimeError(f"{tool.name} exited")
    try:
        tool.scrape()
    except OSError:
        return False
    return True


def _sum(text: str, name: str) -> float:
    return sum(value for _, value in side_by_side.samples(text, name))


def measure(tool: Tool, log: Path, data: bytes, ends: list[int], rate: float) -> dict[str, object]:
    """Write at `rate` to the file `tool` follows, scraping it every second."""
    done = threading.Event()

    def scrape() -> None:
        while not done.wait(1.0):
            tool.scrape()

    scraper = threading.Thread(target=scrape, daemon=True)
    cpu_before = tools.process_cpu_seconds(tool.process.pid)
    scraper.start()
    seconds = write_paced(log, data, ends, rate)
    stopped = time.perf_counter()
    lag = len(ends) - tool.lines(tool.scrape())
    follow.wait_for(lambda: tool.lines(tool.scrape()) >= len(ends), _CATCH_UP_S, "the last line")
    caught_up = time.perf_counter() - stopped
    cpu = tools.process_cpu_seconds(tool.process.pid) - cpu_before
    done.set()
    scraper.join()
    return {
        "lines_written": len(ends),
        "write_s": seconds,
        "lines_per_s": len(ends) / seconds,
        "cpu_s": cpu,
        "cpu_s_per_million_lines": cpu / len(ends) * 1e6,
        "lag_lines_at_end": lag,
        "caught_up_after_s": caught_up,
        "kept_up": lag < rate * KEPT_UP_S,
        "counts": {f"{m} {c}": n for (m, c), n in sorted(tool.counts(tool.scrape()).items())},
    }


def compare(
    corpus: Path, mtail_binary: str, rates: list[int], seconds: float, work: Path
) -> dict[str, object]:
    """Each rate for `seconds` (fewer where the corpus is shorter: no line is written
    twice), the exporter and mtail one after the other, alternating who goes first."""
    data = corpus.read_bytes()
    lines = data.count(b"\n")
    figures: dict[str, object] = {}
    for turn, rate in enumerate(rates):
        ends = line_ends(data, min(int(rate * seconds), lines * 9 // 10))
        starts: list[Callable[[Path], AbstractContextManager[Tool]]] = [
            exporter,
            lambda f: mtail(f, mtail_binary),
        ]
        ran: dict[str, dict[str, object]] = {}
        for start in starts if turn % 2 == 0 else reversed(starts):
            folder = work / f"{rate}-{len(ran)}"
            folder.mkdir(parents=True)
            (folder / "platform.log").touch()
            with start(folder) as tool:
                ran[tool.name] = measure(tool, folder / "platform.log", data, ends, rate)
        ours, theirs = ran["sip-log-exporter"], ran["mtail"]
        figures[str(rate)] = {
            "tools": ran,
            "cpu_ratio": _ratio(ours["cpu_s_per_million_lines"], theirs["cpu_s_per_million_lines"]),
            "same_counts": ours["counts"] == theirs["counts"],
        }
    return figures


def _ratio(ours: object, theirs: object) -> float:
    assert isinstance(ours, float) and isinstance(theirs, float)
    return ours / theirs if theirs else float("inf")
