"""`replay` and `backfill` of several files with `--jobs 1` and `--jobs N`, side by side.

Usage: python benchmarks/jobs.py [--files 4] [--megabytes 50] [--jobs 2] [--runs 3]

Generates the benchmark's seeded corpus (`benchmarks/corpus.py`) as `--files` rotated files
of about `--megabytes` MB each (cut just before a response's wrapper, so that a
transaction straddles every boundary), then times `sip-log-exporter replay` and
`backfill` over them with `--jobs 1` and `--jobs N` in alternating runs: wall time and the
CPU time of the command and its worker processes (from the kernel's accounting of waited
children). Checks that both give the same bytes. Prints one table; on a machine shared
with other work, compare the ratios of one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make this checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus

REPO = Path(__file__).resolve().parents[1]
_BYTES_PER_MESSAGE = 730  # of the corpus, noise lines included


def rotated(folder: Path, files: int, megabytes: int) -> list[str]:
    """The corpus as `files` rotated files, oldest first."""
    whole = folder / "whole.log"
    corpus.generate(whole, files * megabytes * 1_000_000 // _BYTES_PER_MESSAGE)
    data = whole.read_bytes()
    whole.unlink()
    cuts = [
        0,
        *(_before_response(data, len(data) * k // files) for k in range(1, files)),
        len(data),
    ]
    paths = []
    for number in range(files):
        path = folder / f"wvp.log.{files - number}"
        path.write_bytes(data[cuts[number] : cuts[number + 1]])
        paths.append(str(path))
    return paths


def _before_response(log: bytes, offset: int) -> int:
    start = log.index(b"\nSIP/2.0 ", offset)
    return log.rindex(b"\n", 0, log.rindex(b"\n", 0, start)) + 1


def timed(args: list[str]) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds (the command and its children) and standard output."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "exporter", *args], cwd=REPO, capture_output=True, check=True
    )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sip-jobs-") as work:
        folder = Path(work)
        paths = rotated(folder, options.files, options.megabytes)
        size = sum(os.path.getsize(p) for p in paths) / 1e6
        print(f"{options.files} files, {size:.0f} MB; {os.cpu_count()} cores", flush=True)
        print("| command | --jobs | median wall s | median CPU s | MB/s (wall) |")
        print("|---|---:|---:|---:|---:|")
        for name in ("replay", "backfill"):
            figures: dict[str, list[tuple[float, float]]] = {"1": [], str(options.jobs): []}
            outputs: dict[str, bytes] = {}
            for _ in range(options.runs):
                for jobs in figures:  # alternating, so that other load falls on both
                    wall, cpu, out = timed(command(name, jobs, paths, folder))
                    figures[jobs].append((wall, cpu))
                    outputs[jobs] = out if name == "replay" else _history(folder, jobs)
            same = len(set(outputs.values())) == 1
            for jobs, runs in figures.items():
                wall = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                print(f"| {name} | {jobs} | {wall:.2f} | {cpu:.2f} | {size / wall:.1f} |")
            if not same:
                print(f"{name}: --jobs 1 and --jobs {options.jobs} differ", file=sys.stderr)
                return 1
    return 0


def command(name: str, jobs: str, paths: list[str], folder: Path) -> list[str]:
    if name == "replay":
        return ["replay", "--jobs", jobs, *paths]
    output = str(folder / f"out{jobs}")
    return ["backfill", "--jobs", jobs, "--timezone", "UTC", "--output", output, *paths]


def _history(folder: Path, jobs: str) -> bytes:
    return (folder / f"out{jobs}" / "backfill.om").read_bytes()


if __name__ == "__main__":
    sys.exit(main())
