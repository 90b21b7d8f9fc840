"""How fast `replay` reads a large generated platform log, beside `grep -c` as the floor.

Usage: python benchmarks/replay_speed.py [--exchanges N] [--runs R]

Generates a seeded wvp-GB28181-pro log (SIP message dumps with wrapper lines) with the demo's
traffic generator, then alternates timed runs of `sip-log-exporter replay` and of
`grep -c 'SIP/2.0 [0-9]'` on it, and prints lines per second and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from exporter.demo import Traffic  # noqa: E402


def generate(path: Path, exchanges: int) -> int:
    traffic = Traffic(seed=5060)
    start = datetime(2024, 1, 8, 0, 0, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        for n in range(exchanges):
            out.write("".join(traffic.text(start + timedelta(milliseconds=37 * n))))
    return path.read_bytes().count(b"\n")


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    # Not DEVNULL: GNU grep stops at the first match when its output is /dev/null.
    subprocess.run(command, check=True, stdout=subprocess.PIPE)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=60000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "wvp.log"
        lines = generate(log, args.exchanges)
        size = log.stat().st_size
        ours = [sys.executable, "-m", "exporter", "replay", str(log)]
        grep = ["grep", "-c", "SIP/2.0 [0-9]", str(log)]
        times: dict[str, list[float]] = {"replay": [], "grep -c": []}
        for _ in range(args.runs):
            times["replay"].append(timed(ours))
            times["grep -c"].append(timed(grep))
    print(f"log: {lines:,} lines, {size / 1e6:.1f} MB, {args.exchanges:,} exchanges")
    print(f"{'tool':<10} {'median s':>9} {'lines/s':>12} {'vs replay':>10}")
    base = statistics.median(times["replay"])
    for tool, runs in times.items():
        median = statistics.median(runs)
        print(f"{tool:<10} {median:>9.3f} {lines / median:>12,.0f} {base / median:>9.2f}x")


if __name__ == "__main__":
    main()
