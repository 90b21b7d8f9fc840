"""`replay` and `backfill` of several files with `--jobs 1` and `--jobs N`, side by side.

Usage: python benchmarks/jobs.py [--files 4] [--megabytes 50] [--jobs 2] [--runs 3]

Generates the benchmark's seeded corpus (`benchmarks/corpus.py`) as `--files` rotated files
of about `--megabytes` MB each (cut just before a response's wrapper, so that a
transaction straddles every boundary), then times `sip-log-exporter replay` and
`backfill` over them with `--jobs 1` and `--jobs N` in alternating runs (medians): wall
time, the CPU time of the command and its worker processes (from the kernel's accounting
of waited children), and that of the command's own process, which no number of cores
shares. Checks that both give the same bytes. Prints one table; on a machine shared with
other work, compare the ratios of one run, not seconds across runs: Linux shares the CPU
between sessions first (autogroup), so under load from other sessions the workers share
one session's part of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
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


# The command, which then reports the CPU time of its own process (not its workers'):
# the part of the work that more cores cannot share.
_OWN_CPU = (
    "import resource, sys\n"
    "from exporter.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "own = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(f'own-cpu {own.ru_utime + own.ru_stime}', file=sys.stderr)\n"
    "sys.exit(status)\n"
)


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # of the command and its workers
    own: float  # of the command's own process: joining, and counting files again
    output: bytes


def timed(args: list[str]) -> Run:
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _OWN_CPU, *args], cwd=REPO, capture_output=True, check=True
    )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    own = float(done.stderr.decode().rsplit("own-cpu ", 1)[1])
    return Run(wall, cpu, own, done.stdout)


def _spin(_: int) -> float:
    started = time.process_time()
    total = 0
    for number in range(20_000_000):
        total += number
    return time.process_time() - started


def machine_scaling(jobs: int) -> float:
    """How many times the work of one CPU-bound Python process this machine does with `jobs`
    of them at once, just now: below `jobs` where cores are shared (other sessions, a
    virtual machine's CPUs on fewer physical ones)."""
    started = time.perf_counter()
    _spin(0)
    alone = time.perf_counter() - started
    with ProcessPoolExecutor(jobs) as pool:
        started = time.perf_counter()
        list(pool.map(_spin, range(jobs)))
        together = time.perf_counter() - started
    return jobs * alone / together


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
        scaling = machine_scaling(options.jobs)
        print(
            f"{options.files} files, {size:.0f} MB; {os.cpu_count()} cores; {options.jobs} "
            f"busy Python processes do {scaling:.2f}× the work of one here just now",
            flush=True,
        )
        print("| command | --jobs | wall s | CPU s | of which the parent's | MB/s (wall) |")
        print("|---|---:|---:|---:|---:|---:|")
        for name in ("replay", "backfill"):
            figures: dict[str, list[Run]] = {"1": [], str(options.jobs): []}
            outputs: dict[str, bytes] = {}
            for _ in range(options.runs):
                for jobs in figures:  # alternating, so that other load falls on both
                    run = timed(command(name, jobs, paths, folder))
                    figures[jobs].append(run)
                    outputs[jobs] = run.output if name == "replay" else _history(folder, jobs)
            same = len(set(outputs.values())) == 1
            for jobs, runs in figures.items():
                wall, cpu, own = (
                    statistics.median(getattr(r, f) for r in runs) for f in ("wall", "cpu", "own")
                )
                print(
                    f"| {name} | {jobs} | {wall:.2f} | {cpu:.2f} | {own:.2f} | {size / wall:.1f} |"
                )
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
