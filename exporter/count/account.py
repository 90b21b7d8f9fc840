"""Counting a source's batches: the step from events to the tally, and replay.

Owns how one batch of a source's events becomes counts: transaction matching (with its
exemplars), labels, peer types, and the self-metrics of reading; the series created at 0
before the first record; and `replay`, which counts whole logs (given as blocks of bytes,
read by `ingest.once`) through the same step. Also how a source's stream, labeler,
matching and ranking are built from the config. The caller owns the tally and the
per-source state these functions are given. Pure: no files, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from exporter import contract
from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig
from exporter.count.labels import Counted, Labeler
from exporter.count.peers import FailureRanking
from exporter.count.tally import Exemplar, Tally
from exporter.count.transactions import TABLES, UNMATCHED_REASONS, Matched, Tracker, exemplar_value
from exporter.events import method_label
from exporter.formats import make_parser
from exporter.formats.stream import Batch, RecordStream
from exporter.formats.timestamps import FileClock, TimeSettings


class ReadCounts(Protocol):
    """What reading a source's files did in one pass (`ingest.follow.SourceRead`)."""

    @property
    def bytes(self) -> int: ...
    @property
    def rotations(self) -> int: ...
    @property
    def truncations(self) -> int: ...
    @property
    def read_errors(self) -> int: ...


@dataclass(frozen=True, slots=True)
class BlockRead:
    """A block read once (replay): bytes only, nothing rotates."""

    bytes: int
    rotations: int = 0
    truncations: int = 0
    read_errors: int = 0


def new_stream(source: SourceConfig, max_line_bytes: int, year: int) -> RecordStream:
    """A file's stream; for a source that matches transactions, one that reads the
    time stamps too (in the machine's zone: only differences between them count), with
    `year` for stamps that name none (syslog)."""
    clock = None
    if source.transactions:
        clock = FileClock(TimeSettings(zone=None, year=year))
    return RecordStream(make_parser(source.format), max_line_bytes, clock=clock)


def series_limits(config: Config) -> dict[str, int]:
    return {metric.name: config.max_series_per_metric for metric in contract.GUARDED}


def labeler_for(source: SourceConfig, catalog: Catalog, default_profile: str | None) -> Labeler:
    profile = source.profile or default_profile or catalog.default_profile
    return Labeler(source.name, profile, catalog.classify)


@dataclass(slots=True)
class Matching:
    """One source's transaction matching: its tracker, and what exemplars say of calls."""

    tracker: Tracker
    exemplars: str = "call_id"


def account(
    tally: Tally,
    labeler: Labeler,
    batch: Batch,
    read: ReadCounts | None = None,
    matching: Matching | None = None,
    counted_to: Callable[[Counted], None] | None = None,
) -> list[str]:
    """Add one batch of a source's records, and its self-metric counts, to the tally, and
    hand what was counted to `counted_to` (the landing page's history).

    Returns the peers that failed in it (failed responses, timed-out requests)."""
    events = batch.events
    failing: list[str] = []
    if matching is not None and events:
        times = batch.times if len(batch.times) == len(events) else [None] * len(events)
        matched = matching.tracker.match(events, times)
        record_matched(tally, labeler.source, matched, matching.exemplars)
        events, failing = matched.counted, matched.timed_out_peers
    counted = labeler.count(events)
    if counted_to is not None:
        counted_to(counted)
    tally.add(contract.RESPONSES.name, counted.responses)
    tally.add(contract.REQUESTS.name, counted.requests)
    tally.add(contract.PEER_RESPONSES.name, counted.peers)
    source = (labeler.source,)
    tally.inc(contract.LINES.name, source, batch.lines)
    tally.inc(contract.RECORDS.name, (labeler.source, "matched"), len(batch.events))
    tally.inc(contract.RECORDS.name, (labeler.source, "malformed"), batch.malformed)
    tally.inc(contract.RECORDS.name, (labeler.source, "ignored"), batch.ignored)
    tally.inc(contract.TRUNCATED_LINES.name, source, batch.truncated)
    tally.inc(contract.SUSPICIOUS.name, source, counted.suspicious)
    if read is not None:
        tally.inc(contract.BYTES.name, source, read.bytes)
        tally.inc(contract.ROTATIONS.name, source, read.rotations)
        tally.inc(contract.TRUNCATIONS.name, source, read.truncations)
        tally.inc(contract.READ_ERRORS.name, source, read.read_errors)
    return counted.failing + failing


def record_matched(tally: Tally, source: str, matched: Matched, exemplars: str) -> None:
    """Add what transaction matching found to the tally."""
    for observation in matched.observations:
        label = exemplar_value(observation.call_id, exemplars)
        tally.observe(
            observation.metric,
            (source, *observation.labels),
            observation.value,
            None if label is None else Exemplar(label, observation.value, observation.time),
        )
    for metric, counts in (
        (contract.TIMEOUTS, matched.timeouts),
        (contract.RETRANSMISSIONS, matched.retransmissions),
    ):
        tally.add(metric.name, {(source, *labels): n for labels, n in counts.items()})
    for metric, reasons in (
        (contract.UNMATCHED, matched.unmatched),
        (contract.TRACKING_EVICTIONS, matched.evictions),
    ):
        tally.add(metric.name, {(source, reason): n for reason, n in reasons.items()})


def precreate(
    tally: Tally, config: Config, labeler: Labeler, *, transactions: bool = False
) -> None:
    """Series that alerts and dashboards use exist at 0 before the first record."""
    wanted = config.precreate
    if transactions:
        source = labeler.source
        tally.ensure(
            contract.TIMEOUTS.name,
            (
                (source, direction, method_label(method))
                for method in wanted.methods
                for direction in wanted.directions
            ),
        )
        tally.ensure(contract.UNMATCHED.name, ((source, r) for r in UNMATCHED_REASONS))
        tally.ensure(contract.TRACKING_EVICTIONS.name, ((source, t) for t in TABLES))
    tally.ensure(
        contract.RESPONSES.name,
        (
            labeler.response_labels(direction, method_label(method), code)
            for code in wanted.codes
            for method in wanted.methods
            for direction in wanted.directions
        ),
    )


class Replayed(NamedTuple):
    """What replay counted, and how many records each file gave (0: nothing read it)."""

    tally: Tally
    records: list[int]


def replay(
    files: Iterable[Iterable[bytes]],
    source: SourceConfig,
    catalog: Catalog,
    config: Config,
    year: int,
) -> Replayed:
    """Count whole logs once, in order: each log given as its blocks of bytes."""
    tally = Tally(series_limits(config))
    labeler = labeler_for(source, catalog, config.default_profile)
    precreate(tally, config, labeler, transactions=source.transactions)
    # One tracker across the files: they are one log, in the order given.
    matching = matching_for(source, config)
    records = []
    for blocks in files:
        stream = new_stream(source, config.max_line_bytes, year)
        records.append(replay_file(tally, labeler, stream, blocks, matching))
    return Replayed(tally, records)


def replay_file(
    tally: Tally,
    labeler: Labeler,
    stream: RecordStream,
    blocks: Iterable[bytes],
    matching: Matching | None,
) -> int:
    """Count one whole log, given as its blocks, through `stream`; how many records it gave."""
    found = 0
    # Counted block by block, so memory does not grow with the file.
    for block in blocks:
        batch = stream.feed(block)
        found += len(batch.events)
        account(tally, labeler, batch, BlockRead(len(block)), matching)
    batch = stream.finish()
    account(tally, labeler, batch, None, matching)
    return found + len(batch.events)


def ranking_for(config: Config) -> FailureRanking:
    top = config.top_peers
    # Room for many more peers than are shown, so the ranking's head is exact.
    return FailureRanking(top.window, capacity=max(1000, 20 * top.count))


def matching_for(source: SourceConfig, config: Config, saved: object = None) -> Matching | None:
    """The source's transaction matching (None where it is off), resumed from `saved`."""
    if not source.transactions:
        return None
    settings = config.transactions.settings
    where = f"transactions.{source.name}"
    tracker = Tracker(settings) if saved is None else Tracker.load(settings, saved, where)
    return Matching(tracker, config.transactions.exemplars)
