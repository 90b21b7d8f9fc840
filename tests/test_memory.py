"""Memory stays bounded however much log is read: 1 GB through `replay` in a fixed budget."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from benchmarks.backlog import high_water_mark
from tests import sipmsg
from tests.support import REPO, parse_samples, value

pytestmark = pytest.mark.system

BUDGET_BYTES = 80 * 1024 * 1024
MIB = 1024 * 1024


def block() -> tuple[bytes, int]:
    """About 1 MiB of platform log and the number of responses in it."""
    parts: list[bytes] = []
    size = 0
    while size < MIB:
        parts.append((sipmsg.noise(2) + sipmsg.request() + sipmsg.response(200)).encode())
        size += len(parts[-1])
    responses = len(parts)
    return b"".join(parts), responses


def replay_peak_rss(tmp_path: Path, mebibytes: int) -> tuple[int, float, int]:
    """Stream `mebibytes` of log through a FIFO into replay: (peak RSS, responses, expected)."""
    data, per_block = block()
    fifo = tmp_path / f"stream-{mebibytes}.log"
    os.mkfifo(fifo)
    blocks = mebibytes * MIB // len(data) + 1

    def write() -> None:
        with fifo.open("wb") as out:
            for _ in range(blocks):
                out.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    out_path = tmp_path / f"exposition-{mebibytes}.txt"
    with out_path.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "exporter", "replay", str(fifo)], cwd=REPO, stdout=out
        )
        # VmHWM, not the child's rusage: Linux carries a forked child's pre-exec peak (the
        # test runner's own size) into ru_maxrss, while VmHWM belongs to the new program.
        peak = 0
        while process.poll() is None:
            peak = max(peak, high_water_mark(process.pid))
            time.sleep(0.02)
    writer.join(timeout=10)
    assert process.returncode == 0
    counted = value(parse_samples(out_path.read_text()), "sip_responses_total")
    return peak, counted, blocks * per_block


def test_replaying_1_gb_stays_within_80_mb_and_does_not_grow_with_the_input(
    tmp_path: Path,
) -> None:
    small_peak, small_counted, small_expected = replay_peak_rss(tmp_path, 100)
    big_peak, big_counted, big_expected = replay_peak_rss(tmp_path, 1024)
    print(f"peak RSS: {small_peak / MIB:.1f} MiB for 100 MiB, {big_peak / MIB:.1f} MiB for 1 GiB")
    assert (small_counted, big_counted) == (small_expected, big_expected)
    assert big_peak < BUDGET_BYTES
    assert big_peak - small_peak < 4 * MIB
