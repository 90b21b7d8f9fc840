"""`replay` and `backfill` with `--jobs`: worker processes give what one process gives.

The one-process reading (`--jobs 1`) is the reference: with several workers, replay's
exposition and backfill's OpenMetrics file and summary must be the same bytes, on logs
rotated in the middle of transactions and dialogs. Bad `--jobs` values, unreadable files
and a worker that dies are reported in a sentence, never with a traceback.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from tests.sipmsg import Transaction
from tests.support import REPO, parse_samples, run_cli, value, wait_until

pytestmark = pytest.mark.system

T0 = datetime(2024, 1, 8, 11, 0, 0)
CAMERA = "34020000001320000006"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def keepalives(start: int, end: int) -> str:
    """A device's answered keepalives every 5 s, so that the log's clock moves on."""
    out = ""
    for second in range(start, end, 5):
        keepalive = Transaction("MESSAGE", "34020000001320000007", "in")
        out += keepalive.request(at(second)) + keepalive.response(200, at(second + 0.01))
    return out


def rotated(folder: Path) -> list[str]:
    """Three rotated files (the middle one gzip-compressed) cut inside an INVITE's
    transaction, inside its dialog, and inside a request logged again."""
    invite, unanswered, message = (Transaction(m, CAMERA) for m in ("INVITE", "INVITE", "MESSAGE"))
    bye = invite.in_dialog("BYE")
    first = keepalives(0, 30) + invite.request(at(30)) + unanswered.request(at(30.2))
    second = (
        invite.response(200, at(31))
        + invite.ack(at(31.1), answered=True)
        + keepalives(32, 100)
        + message.request(at(100))
    )
    third = (
        message.request(at(100.5))
        + message.response(200, at(100.6))
        + bye.request(at(140), in_dialog=True)
        + bye.response(200, at(140.1))
        + keepalives(101, 200)
    )
    paths = [folder / "wvp.log.2", folder / "wvp.log.1.gz", folder / "wvp.log"]
    paths[0].write_text(first, encoding="utf-8")
    with gzip.open(paths[1], "wt", encoding="utf-8") as packed:
        packed.write(second)
    paths[2].write_text(third, encoding="utf-8")
    return [str(path) for path in paths]


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("replay", "--name", "wvp", *args, timeout=120)


def test_replay_of_files_rotated_mid_transaction_prints_what_one_process_prints(
    tmp_path: Path,
) -> None:
    files = rotated(tmp_path)
    alone = replay("--jobs", "1", *files)
    workers = replay("--jobs", "3", *files)
    assert alone.returncode == workers.returncode == 0, alone.stderr + workers.stderr
    assert workers.stdout == alone.stdout
    samples = parse_samples(workers.stdout)
    # What the boundaries cut, mended: the 200 matched, the dialog timed, the unanswered
    # INVITE timed out, the MESSAGE logged again counted once.
    assert value(samples, "sip_exporter_unmatched_total", reason="no_request") == 0
    assert value(samples, "sip_session_duration_seconds_count", direction="out") == 1
    assert value(samples, "sip_transaction_timeouts_total", method="INVITE") == 1
    assert value(samples, "sip_retransmissions_total", method="MESSAGE", kind="request") == 1


def test_replay_of_a_platform_log_in_four_files_prints_what_one_process_prints(
    tmp_path: Path,
) -> None:
    whole = tmp_path / "whole.log"
    generate(whole, 12_000)
    data = whole.read_bytes()
    # Each cut just before a response's wrapper line: its request is in the file before.
    cuts = [0, *(_before_response(data, len(data) * k // 4) for k in (1, 2, 3)), len(data)]
    files = []
    for number, (start, end) in enumerate(itertools.pairwise(cuts)):
        part = tmp_path / f"wvp.log.{4 - number}"
        part.write_bytes(data[start:end])
        files.append(str(part))
    alone = replay("--jobs", "1", *files)
    workers = replay("--jobs", "2", *files)
    assert alone.returncode == workers.returncode == 0, alone.stderr + workers.stderr
    assert workers.stdout == alone.stdout


def test_backfill_with_workers_writes_the_same_history_and_summary(tmp_path: Path) -> None:
    files = rotated(tmp_path)
    outputs = {}
    for jobs in ("1", "3"):
        folder = tmp_path / f"out{jobs}"
        result = run_cli(
            "backfill", "--name", "wvp", "--jobs", jobs, "--timezone", "UTC",
            "--output", str(folder), *files, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        summary = result.stdout.replace(str(folder), "OUT")
        outputs[jobs] = (summary, (folder / "backfill.om").read_bytes())
    assert outputs["3"] == outputs["1"]
    assert b"sip_responses_total" in outputs["1"][1]


@pytest.mark.parametrize("command", ["replay", "backfill"])
@pytest.mark.parametrize("jobs", ["0", "-2", "two", "1.5", ""])
def test_a_bad_jobs_value_is_a_usage_error_naming_the_flag(
    tmp_path: Path, command: str, jobs: str
) -> None:
    log = tmp_path / "wvp.log"
    log.write_text(keepalives(0, 10), encoding="utf-8")
    output = ["--output", str(tmp_path / "out")] if command == "backfill" else []
    result = run_cli(command, f"--jobs={jobs}", str(log), *output)
    assert result.returncode == 2
    assert "--jobs" in result.stderr and "at least 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_damaged_file_read_by_a_worker_is_a_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "wvp.log"
    good.write_text(keepalives(0, 10), encoding="utf-8")
    damaged = tmp_path / "wvp.log.1.gz"
    damaged.write_bytes(gzip.compress(keepalives(10, 20).encode())[:-30])
    result = replay("--jobs", "2", str(damaged), str(good))
    assert result.returncode == 2
    assert f"cannot read {damaged}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_that_dies_is_reported_with_the_file_it_was_reading(tmp_path: Path) -> None:
    good = tmp_path / "wvp.log"
    good.write_text(keepalives(0, 10), encoding="utf-8")
    fifo = tmp_path / "stuck.log"
    os.mkfifo(fifo)
    replaying = subprocess.Popen(
        [sys.executable, "-m", "exporter", "replay", "--jobs", "2", str(fifo), str(good)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The worker opens the FIFO to read it; once it has, writing can start.
        writer = wait_until(lambda: _open_for_writing(fifo), what="a worker reading the FIFO")
        reader = wait_until(lambda: _holding(replaying.pid, fifo), what="the reading worker")
        os.kill(reader, signal.SIGKILL)
        _, stderr = replaying.communicate(timeout=60)
        os.close(writer)
    finally:
        if replaying.poll() is None:
            replaying.kill()
            replaying.wait()
    assert replaying.returncode == 1
    assert "worker process ended" in stderr and str(fifo) in stderr
    assert "Traceback" not in stderr


def _before_response(log: bytes, offset: int) -> int:
    start = log.index(b"\nSIP/2.0 ", offset)
    return log.rindex(b"\n", 0, log.rindex(b"\n", 0, start)) + 1


def _open_for_writing(fifo: Path) -> int | None:
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: nobody has it open for reading yet
        return None


def _holding(parent: int, fifo: Path) -> int | None:
    """The child of `parent` that has `fifo` open."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for child in map(int, children):
        try:
            opened = [os.readlink(fd) for fd in Path(f"/proc/{child}/fd").iterdir()]
        except OSError:
            continue
        if str(fifo) in opened:
            return child
    return None


def test_an_interrupted_replay_stops_its_workers_and_exits_at_once(tmp_path: Path) -> None:
    fifos = [tmp_path / "stuck.log.1", tmp_path / "stuck.log"]
    for fifo in fifos:
        os.mkfifo(fifo)  # nobody writes: a worker opening one waits for ever
    replaying = subprocess.Popen(
        [sys.executable, "-m", "exporter", "replay", "--jobs", "2", *map(str, fifos)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        workers = wait_until(lambda: _children(replaying.pid, 2), what="both workers")
        replaying.send_signal(signal.SIGINT)
        replaying.communicate(timeout=30)
    finally:
        for pid in [replaying.pid, *workers]:  # only if the test failed: no process left
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        replaying.wait()
    assert replaying.returncode == 130


def _children(parent: int, wanted: int) -> list[int] | None:
    """The processes `parent` started, once there are `wanted` of them."""
    listed = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in listed] if len(listed) == wanted else None
