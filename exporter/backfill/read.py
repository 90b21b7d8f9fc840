"""Backfill: old logs, read once with the times written in them, as Prometheus history.

Owns cutting each file's bytes where the step of the logged time changes, handing each
piece to the source's parser, counting its events at that step, and writing the result as
OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`. A piece after a stamp
that names no time is parsed too, and its records are counted as skipped, with the reason.

The live parsers are used unchanged: a piece always starts where a record can start (a
stamped line, see `timestamps`), and pieces change only where the step changes, so a
parser sees whole records with their wrappers, as when it follows a file. A piece still
open at the end of a block is parsed as when following (`final=False`), and what the
parser leaves is carried into the next block.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from exporter import contract
from exporter.backfill.steps import StepCounts
from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig
from exporter.count.account import labeler_for, precreate
from exporter.count.labels import Labeler
from exporter.count.tally import Tally
from exporter.formats import make_parser
from exporter.formats.base import Parser
from exporter.formats.timestamps import NO_STAMP, FileClock, TimeSettings
from exporter.ingest import workers
from exporter.ingest.once import BLOCK, open_log

# A part's own series limit: none in practice (labels come from closed sets).
UNBOUNDED = 1 << 62


@dataclass(slots=True)
class Outcome:
    """What a backfill read: the counts per step and what the summary reports."""

    counts: StepCounts
    files: int = 0
    records: int = 0
    malformed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    # Files that gave no record at all, counted or skipped: most likely the wrong format.
    empty: list[str] = field(default_factory=list)
    earliest: float | None = None
    latest: float | None = None

    def found(self) -> int:
        """Records found so far, counted or skipped."""
        return self.records + sum(self.skipped.values())

    def saw(self, seconds: float) -> None:
        self.earliest = seconds if self.earliest is None else min(self.earliest, seconds)
        self.latest = seconds if self.latest is None else max(self.latest, seconds)

    def absorb(self, part: Outcome) -> None:
        """Add what a reading of the next files found (a worker's), as if read here."""
        self.counts.merge(part.counts)
        self.files += part.files
        self.records += part.records
        self.malformed += part.malformed
        self.skipped.update(part.skipped)
        self.errors.extend(part.errors)
        self.empty.extend(part.empty)
        for seconds in (part.earliest, part.latest):
            if seconds is not None:
                self.saw(seconds)


Progress = Callable[[int, int, int], None]  # files done, bytes done, records


class _FileReader:
    """One file's pieces, from stamp to stamp, into the step counts."""

    def __init__(self, parser: Parser, labeler: Labeler, settings: TimeSettings, out: Outcome):
        self._parser = parser
        self._labeler = labeler
        self._clock = FileClock(settings)
        self._out = out
        self._carry = b""
        # The step of the current piece, or why its records have no time.
        self._current: int | str = NO_STAMP

    def feed(self, block: bytes, *, final: bool = False) -> None:
        data = self._carry + block if self._carry else block
        end = len(data) if final else data.rfind(b"\n") + 1
        start = 0
        counts = self._out.counts
        for stamp in self._clock.stamps(data, end):
            if stamp.start < start:
                continue
            if stamp.seconds is None:
                here: int | str = stamp.reason
            else:
                here = counts.index(stamp.seconds)
                self._out.saw(stamp.seconds)
            if here != self._current:
                if stamp.start > start:
                    self._piece(data[start : stamp.start], final=True)
                start = stamp.start
                self._current = here
        rest = data[start:]
        consumed = self._piece(rest, final=final)
        self._carry = rest[consumed:]

    def _piece(self, data: bytes, *, final: bool) -> int:
        parsed = self._parser.parse(data, final=final)
        self._out.malformed += parsed.malformed
        if not parsed.events:
            return parsed.consumed
        if isinstance(self._current, str):
            self._out.skipped[self._current] += len(parsed.events)
            return parsed.consumed
        self._out.records += len(parsed.events)
        counted = self._labeler.count(parsed.events)
        counts = self._out.counts
        counts.add(contract.RESPONSES.name, counted.responses, self._current)
        counts.add(contract.REQUESTS.name, counted.requests, self._current)
        return parsed.consumed


def _started(source: SourceConfig, catalog: Catalog, config: Config, step: int) -> Outcome:
    """An outcome holding the series the live exporter creates at 0."""
    outcome = Outcome(StepCounts(step, config.max_series_per_metric))
    labeler = labeler_for(source, catalog, config.default_profile)
    created = Tally({})
    precreate(created, config, labeler)
    outcome.counts.ensure(
        contract.RESPONSES.name, created.snapshot().counters.get(contract.RESPONSES.name, {})
    )
    return outcome


def read_logs(
    paths: list[str],
    source: SourceConfig,
    catalog: Catalog,
    config: Config,
    settings: TimeSettings,
    step: int,
    progress: Progress | None = None,
) -> Outcome:
    """Read `paths` (already in order) and count their events at the step of their time."""
    outcome = _started(source, catalog, config, step)
    labeler = labeler_for(source, catalog, config.default_profile)
    done = 0
    for number, path in enumerate(paths):
        reader = _FileReader(make_parser(source.format), labeler, settings, outcome)
        _read_file(path, reader, outcome, _reporter(progress, number, done, outcome))
        done += os.path.getsize(path)
        outcome.files = number + 1
        if progress is not None:
            progress(number + 1, done, outcome.records)
    return outcome


def _reporter(
    progress: Progress | None, number: int, done: int, outcome: Outcome
) -> Callable[[int], None] | None:
    """How far the file `number` (after `done` bytes of others) is read, for `progress`."""
    if progress is None:
        return None
    shown = progress
    return lambda at: shown(number, done + at, outcome.records)


def _read_file(
    path: str, reader: _FileReader, outcome: Outcome, report: Callable[[int], None] | None
) -> None:
    """One file through `reader` into `outcome`; `report` is told how far it has read."""
    before = outcome.found()
    try:
        stream, raw = open_log(path)
        with stream, raw:
            # read1: what is decompressed so far, so that a truncated .gz yields
            # everything before the damage before it raises.
            while block := stream.read1(BLOCK):
                reader.feed(block)
                if report is not None:
                    report(raw.tell())
    except (OSError, EOFError) as error:
        # A damaged or truncated .gz (one still being compressed): what was read of it
        # counts, the rest is reported.
        outcome.errors.append(f"{path}: {error}")
    reader.feed(b"", final=True)
    if outcome.found() == before:
        outcome.empty.append(path)


@dataclass(frozen=True, slots=True)
class Backfill:
    """What every worker of a backfill needs, to read one file."""

    source: SourceConfig
    catalog: Catalog
    config: Config
    settings: TimeSettings
    step: int

    def read(self, path: str) -> Outcome:
        """One file's counts on their own, every series kept: the guard is applied when
        the parts are joined, in file order, so that it admits what one pass admits."""
        outcome = Outcome(StepCounts(self.step, UNBOUNDED), files=1)
        labeler = labeler_for(self.source, self.catalog, self.config.default_profile)
        reader = _FileReader(make_parser(self.source.format), labeler, self.settings, outcome)
        _read_file(path, reader, outcome, None)
        return outcome


def read_in_parallel(
    paths: list[str], job: Backfill, jobs: int, progress: Progress | None = None
) -> Outcome:
    """What `read_logs` gives, each file read by one of `jobs` processes."""
    outcome = _started(job.source, job.catalog, job.config, job.step)
    done = 0
    for path, part in workers.in_order(job.read, paths, jobs):
        outcome.absorb(part)
        done += os.path.getsize(path)
        if progress is not None:
            progress(outcome.files, done, outcome.records)
    return outcome


def write_openmetrics(counts: StepCounts, path: str) -> None:
    """The history as an OpenMetrics file, written whole and then renamed into place."""
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8", newline="\n") as out:
        for chunk in counts.openmetrics():
            out.write(chunk)
    os.replace(partial, path)
