"""What backfill tells the person running it: a progress bar, and the final summary.

Owns the progress line (files, bytes, records, rate, time left), redrawn in place at most
ten times a second and only on a terminal: piped or redirected output stays quiet, so
logs and CI keep only the summary. Owns the summary's words too: the time range covered,
records, series, and every skipped record with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TextIO

from exporter.backfill.read import Outcome

_WIDTH = 24
_MIB = 1 << 20


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class ProgressBar:
    """The progress line on `out`, if `out` is a terminal; otherwise nothing."""

    def __init__(
        self,
        out: TextIO,
        files: int,
        total_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._shown = out.isatty()
        self._files = files
        self._total = max(total_bytes, 1)
        self._clock = clock
        self._started = clock()
        self._next = self._started

    def __call__(self, files_done: int, bytes_done: int, records: int) -> None:
        now = self._clock()
        if not self._shown or (now < self._next and files_done < self._files):
            return
        self._next = now + 0.1
        elapsed = max(now - self._started, 1e-6)
        rate = bytes_done / elapsed
        left = (self._total - bytes_done) / rate if rate else 0.0
        filled = min(_WIDTH, _WIDTH * bytes_done // self._total)
        self._out.write(
            f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] "
            f"files {files_done}/{self._files}  "
            f"{bytes_done / _MIB:.1f}/{self._total / _MIB:.1f} MiB  "
            f"records {records}  {rate / _MIB:.1f} MiB/s  "
            f"left {_duration(max(left, 0.0))} "
        )
        self._out.flush()

    def close(self) -> None:
        if self._shown:
            self._out.write("\n")
            self._out.flush()


def _zone_name(zone: tzinfo | None) -> str:
    if zone is None:
        local = datetime.now().astimezone().tzinfo
        return f"the machine's local zone ({local})"
    return str(zone)


def summary(outcome: Outcome, zone: tzinfo | None, written: str | None) -> str:
    """The final report, one fact per line; `written` is None when nothing was written."""
    counts = outcome.counts
    lines = [
        f"backfill: read {outcome.files} file(s), {outcome.records} record(s) counted",
        f"backfill: stamps that name no zone read in {_zone_name(zone)} (--timezone)",
    ]
    if outcome.earliest is not None and outcome.latest is not None:
        first = datetime.fromtimestamp(outcome.earliest, zone).isoformat(sep=" ")
        last = datetime.fromtimestamp(outcome.latest, zone).isoformat(sep=" ")
        lines.append(f"backfill: time range covered {first} to {last}")
    if written is None:
        lines.append(
            "backfill: no record has a time stamp backfill can read, so there is no history "
            "to write and nothing was written; check the log's stamps (README: Backfill) or "
            "run `sip-log-exporter detect FILE` to see what the log holds"
        )
    else:
        span = counts.span()
        samples = f", {span.boundaries} step(s) of {counts.step} s" if span else ""
        lines.append(f"backfill: {counts.series} series{samples}, written to {written}")
    skipped = sum(outcome.skipped.values())
    lines.append(f"backfill: skipped {skipped} record(s)")
    for reason, number in sorted(outcome.skipped.items()):
        lines.append(f"backfill:   {number} after {reason}")
    for error in outcome.errors:
        lines.append(f"backfill: could not read all of {error}")
    if outcome.malformed:
        lines.append(f"backfill: {outcome.malformed} malformed record(s) not counted")
    if counts.dropped:
        lines.append(
            f"backfill: {counts.dropped} record(s) counted in overflow series "
            "(max_series_per_metric reached)"
        )
    return "\n".join(lines) + "\n"
