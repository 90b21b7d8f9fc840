"""A backlog of many rotated files is read in the order it was written, in bounded memory,
and invents neither timeouts nor evictions (`benchmarks/backlog.py` at full size)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.backlog import MIB, catch_up, config_text, write_backlog
from tests.support import free_port

BACKLOG_MIB = 40
FILES = 40
# One file's backlog peaks at about 45 MiB; read all at once, 40 files took twice that.
PEAK_BUDGET = 64 * MIB


def test_a_backlog_over_many_files_stays_in_budget_and_invents_no_timeouts(
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    written = write_backlog(logs, BACKLOG_MIB, FILES)
    config = tmp_path / "config.yml"
    # A table small enough to overflow if older files' transactions were matched after
    # newer ones (they would never expire), large enough for the ones read in order.
    config.write_text(config_text(logs, max_transactions=1000))
    got = catch_up(logs, config, free_port(), deadline=120)
    print(f"peak RSS {got['peak_rss'] / MIB:.1f} MiB for {BACKLOG_MIB} MiB in {FILES} files")
    assert got["counted"] == written
    assert got["timeouts"] == 0
    assert got["evictions"] == 0
    assert got["peak_rss"] < PEAK_BUDGET
