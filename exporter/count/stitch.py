"""Files counted apart and joined in file order, equal to counting them in one pass.

Owns what one file counted on its own (by a worker process, `replay --jobs`) hands back,
and how the parent joins these parts, one after the other, into the counts `account.replay`
gives for the same files. The live parsers, labels and matching are used unchanged.

What a file boundary cuts, and how the join mends it:
- A part's counters are added in file order, so the cardinality guard admits series in
  the order one pass would.
- Histogram observations and session steps (a dialog's 2xx, its BYE) are kept in the order
  of the events that made them and applied by the parent, in file order: float sums and
  exemplars come out as in one pass, and a BYE ends a dialog whose 2xx is in an earlier
  file. Dialogs are therefore held by the parent alone.
- The transactions still open at the end of a file are carried into the next: a response
  the next file's worker found no request for is matched against them (a response to a
  request logged before a rotation), and those never answered time out by the next file's
  clock.
- Where carrying cannot be proven to give what one pass gives (a request logged again
  across the boundary, stamps out of order near it, files that overlap in time, tables
  near their limit, a file shorter than the carried transactions live), the caller counts
  that file again in the parent, in one pass from the state so far (`Join.add`'s `again`).

Pure: the parts come in as values; reading files is the caller's.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig
from exporter.config import TransactionSettings as Settings
from exporter.count.account import (
    Matching,
    labeler_for,
    new_stream,
    precreate,
    record_matched,
    replay_file,
    series_limits,
)
from exporter.count.labels import Labeler
from exporter.count.tally import Exemplar, Labels, Tally
from exporter.count.transactions import (
    _ANSWERS,
    NO_REQUEST,
    Key,
    Matched,
    Observation,
    Tracker,
)
from exporter.events import Event, Kind


class Orphan(NamedTuple):
    """A response its file's worker found no request for: perhaps one of the previous file's."""

    ordinal: int
    event: Event
    time: float
    clock: float


class SessionStep(NamedTuple):
    """A dialog's start (an INVITE's 2xx: `direction` set) or end (a BYE: None)."""

    ordinal: int
    call_id: str
    direction: str | None
    time: float
    clock: float


# How many timeouts after a file's first time a request may still meet a transaction
# carried from the file before: one while that file's last request is held, one more
# after its answer (which may come in this file), and one for the overlap in time that
# the join allows between two files (less than a timeout, else the file is counted again).
_WINDOW = 3


class FileTracker(Tracker):
    """A tracker that counts one file's transactions on its own and keeps, in the order of
    the events that made them, what the join needs: the observations, the session steps
    (not applied here), the orphaned responses, and the requests opened near the start."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.ordinal = 0
        self.observed: list[tuple[int, Observation]] = []
        self.steps: list[SessionStep] = []
        self.orphans: list[Orphan] = []
        self.opened: set[Key] = set()
        self.first_clock: float | None = None
        self.earliest: float | None = None  # the earliest time of the file
        self.first_expiry: float | None = None  # the clock when a transaction first went
        self.first_backwards: float | None = None  # the clock when a time first went back
        self.peak = 0

    @property
    def clock(self) -> float | None:
        return self._clock

    @property
    def open_keys(self) -> set[Key]:
        return set(self._transactions)

    def _one(self, event: Event, time: float, out: Matched) -> bool:
        self.ordinal += 1
        clock = self._clock
        assert clock is not None  # `match` advanced it before
        if self.first_clock is None:
            self.first_clock = clock
        if self.earliest is None or time < self.earliest:
            self.earliest = time
        if time < clock and self.first_backwards is None:
            self.first_backwards = clock
        seen, unanswered = len(out.observations), out.unmatched.get(NO_REQUEST, 0)
        counted = super()._one(event, time, out)
        for observation in out.observations[seen:]:
            self.observed.append((self.ordinal, observation))
        if out.unmatched.get(NO_REQUEST, 0) != unanswered:
            self.orphans.append(Orphan(self.ordinal, event, time, clock))
        elif event.kind is Kind.REQUEST and counted:
            self.peak = max(self.peak, len(self._transactions))
            if clock <= self.first_clock + _WINDOW * self.settings.timeout:
                self.opened.add(_request_key(event))
        return counted

    def _advance(self, time: float, out: Matched) -> None:
        held = len(self._transactions)
        super()._advance(time, out)
        if self.first_expiry is None and len(self._transactions) < held:
            self.first_expiry = time

    def _start_session(self, key: tuple[str, str], time: float, out: Matched) -> None:
        assert self._clock is not None
        self.steps.append(SessionStep(self.ordinal, key[0], key[1], time, self._clock))

    def _end_sessions(self, call_id: str, time: float, out: Matched) -> None:
        assert self._clock is not None
        self.steps.append(SessionStep(self.ordinal, call_id, None, time, self._clock))

    def apply_step(self, step: SessionStep, floor: float | None, out: Matched) -> None:
        """Apply a session step to this tracker's own dialogs (the parent's table), with
        the clock one pass would have had: the step's, or `floor` (the files before)."""
        clock = step.clock if floor is None else max(floor, step.clock)
        self.advance_to(clock, out)
        if step.direction is None:
            super()._end_sessions(step.call_id, step.time, out)
        else:
            super()._start_session((step.call_id, step.direction), step.time, out)

    def advance_to(self, clock: float | None, out: Matched) -> None:
        if clock is not None:
            self._latest = clock if self._latest is None else max(self._latest, clock)
            self._advance(clock, out)

    def adopt_clock(self, clock: float | None) -> None:
        """One pass's clock after this file: the later of the files' before and this
        one's. Nothing expires here: one pass would expire only at its next new time."""
        if clock is not None:
            self._latest = self._clock = clock

    def carry(self) -> FileTracker:
        """A new tracker holding this one's transactions and clock (not its records), for
        the next file to continue from."""
        carried = FileTracker(self.settings)
        carried._transactions = OrderedDict(self._transactions)
        carried._latest, carried._clock = self._latest, self._clock
        return carried

    def rematch(self, orphan: Orphan, floor: float | None, out: Matched) -> tuple[bool, float]:
        """Match an orphan against the transactions carried here, at the clock one pass
        would have had: whether it counts (False: a retransmission), and the deadline of
        the transaction it answered (-inf: none)."""
        self.advance_to(orphan.clock if floor is None else max(floor, orphan.clock), out)
        key = _response_key(orphan.event)
        held = self._transactions.get(key)
        if held is not None:
            # Copied before it changes: the carried state stays as it was, for `again`.
            self._transactions[key] = copy.copy(held)
        self.ordinal = orphan.ordinal - 1
        counted = self._one(orphan.event, orphan.time, out)
        answered = self._transactions.get(key)
        return counted, -math.inf if answered is None else answered.deadline

    def latest_deadline(self) -> float:
        return max((held.deadline for held in self._transactions.values()), default=-math.inf)

    def forget_records(self) -> None:
        """Drop what the join has used, keeping the state."""
        self.observed, self.steps, self.orphans, self.opened = [], [], [], set()


def _request_key(event: Event) -> Key:
    return (event.call_id, event.cseq, event.method, event.branch, event.direction.value)


def _response_key(event: Event) -> Key:
    return (event.call_id, event.cseq, event.method, event.branch, _ANSWERS[event.direction])


@dataclass(frozen=True, slots=True)
class FilePart:
    """One file counted on its own: its counters (in the order their series appeared), how
    many records it gave, and its tracker (None where matching is off)."""

    counters: Mapping[str, Mapping[Labels, int]]
    records: int
    tracker: FileTracker | None


class _Counts(Tally):
    """A part's counters, without a guard (the join applies it); histograms are left to the
    join, which observes them in file order."""

    def __init__(self) -> None:
        super().__init__({})

    def observe(
        self, metric: str, labels: Labels, value: float, exemplar: Exemplar | None = None
    ) -> None:
        pass


def count_file(
    blocks: Iterable[bytes],
    source: SourceConfig,
    config: Config,
    labeler: Labeler,
    year: int,
    tracker: FileTracker | None,
) -> FilePart:
    """Count one whole file on its own, or from `tracker`'s state (the parent's second pass)."""
    counts = _Counts()
    matching = None if tracker is None else Matching(tracker, config.transactions.exemplars)
    stream = new_stream(source, config.max_line_bytes, year)
    records = replay_file(counts, labeler, stream, blocks, matching)
    return FilePart(counts.snapshot().counters, records, tracker)


@dataclass(slots=True)
class _Fixes:
    """What carrying the previous file's transactions changes in one part."""

    matched: Matched = field(default_factory=Matched)
    observed: list[tuple[int, Observation]] = field(default_factory=list)
    steps: list[SessionStep] = field(default_factory=list)


class Join:
    """Parts added in file order into one tally, as one pass over the files counts them."""

    def __init__(self, source: SourceConfig, catalog: Catalog, config: Config) -> None:
        # As `account.replay` starts: the series created at 0, the guard's limits.
        self.tally = Tally(series_limits(config))
        labeler = labeler_for(source, catalog, config.default_profile)
        precreate(self.tally, config, labeler, transactions=source.transactions)
        self._source = source.name
        self._exemplars = config.transactions.exemplars
        self._settings = config.transactions.settings
        self._carried: FileTracker | None = None
        self._dialogs = FileTracker(self._settings)
        self.recounted = 0  # files counted again in one pass

    def add(self, part: FilePart, again: Callable[[FileTracker], FilePart]) -> None:
        """Add the next file's part; `again(state)` counts that file once more from the
        state of one pass so far, for the parent to use where the part cannot be joined."""
        tracker = part.tracker
        if tracker is None:
            for metric, series in part.counters.items():
                self.tally.add(metric, series)
            return
        fixes = self._fixes(tracker)
        if fixes is None:
            self.recounted += 1
            part = again(self._state())
            fixes = _Fixes()
        self._finish(part, fixes)

    def _state(self) -> FileTracker:
        return FileTracker(self._settings) if self._carried is None else self._carried.carry()

    def _fixes(self, worker: FileTracker) -> _Fixes | None:
        """What the carried transactions change in `worker`'s part; None when that cannot
        be told from the part alone."""
        carried = self._carried
        if carried is None or worker.first_clock is None:
            return _Fixes()
        floor = carried.clock
        earliest = worker.earliest
        if (
            floor is not None
            and earliest is not None
            and floor >= earliest + self._settings.timeout
        ):
            # The files overlap in time or are out of order: one pass's clock would be
            # ahead of this file's own while its first transactions are held.
            return None
        keys = carried.open_keys
        if not keys:
            return _Fixes()
        if keys & worker.opened or len(keys) + worker.peak >= self._settings.max_transactions:
            return None
        return self._rematch(carried.carry(), worker, floor)

    def _rematch(
        self, carried: FileTracker, worker: FileTracker, floor: float | None
    ) -> _Fixes | None:
        fixes = _Fixes()
        deadline = carried.latest_deadline()
        matched = fixes.matched
        for orphan in worker.orphans:
            unanswered = matched.unmatched.get(NO_REQUEST, 0)
            counted, answered = carried.rematch(orphan, floor, matched)
            if not counted:
                return None  # a response logged again across the boundary
            if matched.unmatched.get(NO_REQUEST, 0) == unanswered:
                deadline = max(deadline, answered)  # one pass found its request
            # The worker counted it as an orphan: what rematching says replaces that.
            matched.unmatched[NO_REQUEST] -= 1
        carried.advance_to(_later(floor, worker.clock), matched)
        if carried.open_keys:
            return None  # carried transactions outlive this file
        for first in (worker.first_expiry, worker.first_backwards):
            if first is not None and first <= deadline:
                return None
        matched.observations.clear()
        fixes.observed, fixes.steps = carried.observed, carried.steps
        return fixes

    def _finish(self, part: FilePart, fixes: _Fixes) -> None:
        tracker = part.tracker
        assert tracker is not None
        for metric, series in part.counters.items():
            self.tally.add(metric, series)
        floor = None if self._carried is None else self._carried.clock
        out = fixes.matched
        ordinal = _ordinal_of
        for _, observation in heapq.merge(tracker.observed, fixes.observed, key=ordinal):
            out.observations.append(observation)
        for step in heapq.merge(tracker.steps, fixes.steps, key=_step_ordinal):
            self._dialogs.apply_step(step, floor, out)
        clock = _later(floor, tracker.clock)
        self._dialogs.advance_to(clock, out)
        record_matched(self.tally, self._source, out, self._exemplars)
        if tracker.first_clock is not None or self._carried is None:
            tracker.adopt_clock(clock)
            tracker.forget_records()
            self._carried = tracker


def _later(one: float | None, other: float | None) -> float | None:
    if one is None:
        return other
    return one if other is None else max(one, other)


def _ordinal_of(item: tuple[int, Observation]) -> int:
    return item[0]


def _step_ordinal(step: SessionStep) -> int:
    return step.ordinal
