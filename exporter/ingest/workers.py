"""Worker processes for one-shot reading: `replay` and `backfill` with `--jobs`.

Owns the `--jobs` flag's value (how many processes; by default the cores this process may
run on), running one function per file in that many processes, handing the results back
in file order (at most a few files ahead, so that memory does not grow with the number of
files), and turning a worker that died (killed, out of memory) into an error that names the
file it was reading.

Each worker reads whole files and returns plain values; what they mean, and how they are
joined, is the caller's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class WorkerError(RuntimeError):
    """A worker process ended before returning its file's result."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def how_many(requested: int | None, files: int) -> int:
    """The processes to use: `--jobs` (else the usable cores), never more than the files."""
    return max(1, min(requested or usable_cores(), files))


def job_count(text: str) -> int:
    """`--jobs`: a whole number of processes, at least 1."""
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1 or text.strip() != str(jobs):
        raise argparse.ArgumentTypeError(
            f"{text!r}: the number of worker processes, a whole number of at least 1 "
            f"(default: the {usable_cores()} usable core(s); 1 reads in this process alone)"
        )
    return jobs


def jobs_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--jobs",
        type=job_count,
        default=None,
        metavar="N",
        help="worker processes reading files in parallel (default: the usable cores; "
        "1: one process, files read one after the other)",
    )


def in_order(
    work: Callable[[Item], Result], items: Sequence[Item], jobs: int
) -> Iterator[tuple[Item, Result]]:
    """Each item with `work(item)`, computed by `jobs` processes, in the items' order.

    An exception `work` raises is raised here, at its item's turn; a worker that dies
    raises WorkerError naming the item it was given."""
    # What the parent has buffered would otherwise be written again by each child.
    sys.stdout.flush()
    sys.stderr.flush()
    ahead = 2 * jobs
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[tuple[Item, Future[Result]]] = deque()
        try:
            for item in items:
                pending.append((item, pool.submit(work, item)))
                if len(pending) >= ahead:
                    yield _result(*pending.popleft())
            while pending:
                yield _result(*pending.popleft())
        except BaseException:
            # Interrupted, or a file's error ends the command: what the workers are still
            # reading is not wanted, and leaving the pool would wait for it (for ever, on
            # a FIFO nobody writes).
            _stop(pool)
            raise


def _stop(pool: ProcessPoolExecutor) -> None:
    # The pool's processes, taken before `shutdown` forgets them: there is no public way
    # to end them before Python 3.14's `terminate_workers`.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _result(item: Item, future: Future[Result]) -> tuple[Item, Result]:
    try:
        return item, future.result()
    except BrokenProcessPool:
        raise WorkerError(
            f"a worker process ended without finishing (killed, or out of memory) while "
            f"reading {item}; try again with fewer --jobs, or --jobs 1"
        ) from None
