"""Replay against mtail and grep on one corpus: alternating runs, medians, cross-checked counts.

Owns the one-shot comparison: `sip-log-exporter replay` (responses by code and method,
requests by method, directions, response times and everything it serves), the same with
transaction matching off (what pairing and timing the messages costs), `mtail --one_shot`
with a program
that counts status lines by code, and `grep -c` for status lines, the floor of what
scanning the bytes costs. Runs alternate so that a neighbour's load hits every tool alike;
each tool gets one untimed warm-up run (page cache, first start of its binary).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import tools
from benchmarks.corpus import Truth

MTAIL_PROGRAMS = Path(__file__).resolve().parent / "mtail"
BUILD_NATIVE = Path(__file__).resolve().parent.parent / "scripts" / "build_native.py"
NATIVE_SWITCH = "SIP_LOG_EXPORTER_NATIVE"
STATUS_LINE = "^SIP/2\\.0 [0-9][0-9][0-9] "


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    command: list[str]
    env: dict[str, str] | None = None


UNMATCHED = "sip-log-exporter replay, transactions off"
PYTHON_FRAMING = "sip-log-exporter replay, Python framing"


def framings(corpus: Path) -> list[Tool]:
    """Replay with the C framing of SIP dumps built (the first tool, the default where a
    compiler is found) and replay forced onto the Python framing, the reference."""
    subprocess.run([sys.executable, str(BUILD_NATIVE)], check=True)
    command = [sys.executable, "-m", "exporter", "replay", str(corpus)]
    return [Tool(PYTHON_FRAMING, command, {**tools.exporter_env(), NATIVE_SWITCH: "0"})]


def tools_for(corpus: Path, mtail: str) -> list[Tool]:
    unmatched = corpus.with_name("transactions-off.yml")
    unmatched.write_text(
        "sources: [{name: replay, paths: [unused], format: sip, transactions: false}]\n"
    )
    return [
        Tool(
            "sip-log-exporter replay",
            [sys.executable, "-m", "exporter", "replay", str(corpus)],
            tools.exporter_env(),
        ),
        *framings(corpus),
        Tool(
            UNMATCHED,
            [
                sys.executable,
                "-m",
                "exporter",
                "replay",
                f"--config.file={unmatched}",
                str(corpus),
            ],
            tools.exporter_env(),
        ),
        Tool(
            "mtail --one_shot",
            [
                mtail,
                "--one_shot",
                "--one_shot_format=prometheus",
                "--progs",
                str(MTAIL_PROGRAMS),
                "--logs",
                str(corpus),
                "--logtostderr",
                # One-shot mtail still opens its HTTP listener: on a port the kernel picks,
                # never its default 3903, which something else on the machine may hold.
                "--address=127.0.0.1",
                "--port=0",
            ],
        ),
        Tool("grep -c", ["grep", "-c", STATUS_LINE, str(corpus)]),
    ]


_SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(text: str, name: str) -> Iterable[tuple[dict[str, str], float]]:
    """The `name` samples of a Prometheus text exposition: labels (as written) and value.
    Read with a pattern so that the harness needs no package of its own."""
    for found in _SAMPLE.finditer(text):
        if found[1] == name:
            yield dict(_LABEL.findall(found[2] or "")), float(found[3])


def ours(text: str) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str]]]:
    """Responses by (direction, method, code) and requests by (direction, method)."""
    responses: Counter[tuple[str, str, str]] = Counter()
    requests: Counter[tuple[str, str]] = Counter()
    for labels, value in samples(text, "sip_responses_total"):
        if value:
            responses[(labels["direction"], labels["method"], labels["code"])] += int(value)
    for labels, value in samples(text, "sip_requests_total"):
        if value:
            requests[(labels["direction"], labels["method"])] += int(value)
    return responses, requests


def mtails(text: str) -> Counter[tuple[str, str]]:
    """mtail's responses by (method, code)."""
    found: Counter[tuple[str, str]] = Counter()
    for labels, value in samples(text, "sip_responses_total"):
        found[(labels["method"], labels["code"])] += int(value)
    return found


def by_method_and_code(responses: Counter[tuple[str, str, str]]) -> Counter[tuple[str, str]]:
    """Responses by (direction, method, code) summed over directions."""
    found: Counter[tuple[str, str]] = Counter()
    for (_, method, code), count in responses.items():
        found[(method, code)] += count
    return found


def check(outputs: dict[str, bytes], truth: Truth) -> dict[str, bool]:
    """Whether every tool found what the generator wrote."""
    responses, requests = ours(outputs["sip-log-exporter replay"].decode())
    mtail = mtails(outputs["mtail --one_shot"].decode())
    return {
        "ours_responses_equal_truth": responses == truth.responses,
        "transactions_off_counts_the_same": ours(outputs[UNMATCHED].decode())
        == (responses, requests),
        "python_framing_prints_the_same": outputs[PYTHON_FRAMING]
        == outputs["sip-log-exporter replay"],
        "ours_requests_equal_truth": requests == truth.requests,
        "ours_code_method_equal_mtail": by_method_and_code(responses) == mtail,
        "mtail_code_method_equal_truth": mtail == by_method_and_code(truth.responses),
        "grep_count_equals_truth": int(outputs["grep -c"]) == truth.codes().total(),
    }


def compare(
    corpus: Path, truth: Truth, mtail: str, runs: int, say: Callable[[str], None]
) -> dict[str, object]:
    """Time every tool `runs` times, alternating, and check their counts."""
    contenders = tools_for(corpus, mtail)
    outputs = {tool.name: tools.timed(tool.command, tool.env).stdout for tool in contenders}
    correct = check(outputs, truth)
    walls: dict[str, list[float]] = {tool.name: [] for tool in contenders}
    cpus: dict[str, list[float]] = {tool.name: [] for tool in contenders}
    for run in range(runs):
        for tool in contenders if run % 2 == 0 else reversed(contenders):
            result = tools.timed(tool.command, tool.env)
            walls[tool.name].append(result.wall)
            cpus[tool.name].append(result.cpu)
        say(f"  run {run + 1}/{runs}: " + ", ".join(f"{n} {w[-1]:.3f}s" for n, w in walls.items()))
    ours_median = statistics.median(walls[contenders[0].name])
    figures = {
        tool.name: {
            "command": " ".join(tool.command),
            "wall_s": walls[tool.name],
            "cpu_s": cpus[tool.name],
            "median_wall_s": statistics.median(walls[tool.name]),
            "median_cpu_s": statistics.median(cpus[tool.name]),
            "lines_per_s": truth.lines / statistics.median(walls[tool.name]),
            "mb_per_s": truth.bytes / 1e6 / statistics.median(walls[tool.name]),
            "time_vs_replay": statistics.median(walls[tool.name]) / ours_median,
        }
        for tool in contenders
    }
    return {"tools": figures, "correct": correct}
