"""One file counted on its own, for joining in file order (`count.stitch`).

Owns what a worker process hands back for one file (`replay --jobs`): its counters, in
the order their series appeared; how many records it gave; and its tracker, which matched
the file's transactions as the live tracker does but keeps, in the order of the events
that made them, what the join needs: the histogram observations, the dialogs' steps
(applied by the parent, which holds every file's dialogs), the responses it found no
request for, the requests it opened near the file's start, and the transactions still
open at its end. Pure: the file comes in as blocks of bytes.
"""

from __future__ import annotations

import copy
import heapq
import math
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from exporter.config import Config, SourceConfig
from exporter.config import TransactionSettings as Settings
from exporter.count.account import Matching, new_stream, replay_file
from exporter.count.labels import Labeler
from exporter.count.tally import BUCKETS, Exemplar, Labels, Tally
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


SeriesKey = tuple[str, tuple[str, ...]]  # a histogram and its labels without the source


class Series:
    """One histogram series of a file, as `Tally.observe` would count it, with what the
    join needs to add it in log order: each value with the ordinal of its event (the sum
    is a float, added value after value), and each bucket's latest observation."""

    __slots__ = ("counts", "latest", "ordinals", "values")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.values = array("d")
        self.ordinals = array("q")
        self.latest: list[tuple[int, Observation] | None] = [None] * size

    def add(self, ordinal: int, observation: Observation) -> None:
        index = bisect_left(BUCKETS[observation.metric], observation.value)
        self.counts[index] += 1
        self.values.append(observation.value)
        self.ordinals.append(ordinal)
        self.latest[index] = (ordinal, observation)

    def merged(self, other: Series) -> Series:
        """Both series' observations, in the order of their events."""
        both = Series(len(self.counts))
        pairs = heapq.merge(
            zip(self.ordinals, self.values, strict=True),
            zip(other.ordinals, other.values, strict=True),
        )
        for ordinal, value in pairs:
            both.ordinals.append(ordinal)
            both.values.append(value)
        both.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        both.latest = [
            b if a is None or (b is not None and b[0] > a[0]) else a
            for a, b in zip(self.latest, other.latest, strict=True)
        ]
        return both


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
        # (metric, labels without source) -> the file's observations
        self.histograms: dict[SeriesKey, Series] = {}
        self.steps: list[SessionStep] = []
        self.orphans: list[Orphan] = []
        self.opened: set[Key] = set()
        self.first_clock: float | None = None
        self._window = math.inf  # the clock up to which orphans and requests are kept
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
        # Called once per message: plain attribute work, no `super()` lookups.
        self.ordinal += 1
        clock = self._clock
        assert clock is not None  # `match` advanced it before
        if self.first_clock is None:
            self.first_clock = self.earliest = clock
            self._window = clock + _WINDOW * self.settings.timeout
        elif time < clock:
            self._went_back(time, clock)
        observations, unmatched = out.observations, out.unmatched
        seen, unanswered = len(observations), unmatched.get(NO_REQUEST, 0)
        counted = Tracker._one(self, event, time, out)
        if len(observations) > seen:
            for observation in observations[seen:]:
                self._keep(observation)
        # Beyond the window no transaction carried from the file before is still held:
        # an orphan there is one in one pass too, a request there meets none of them.
        if unmatched.get(NO_REQUEST, 0) != unanswered:
            if clock <= self._window:
                self.orphans.append(Orphan(self.ordinal, event, time, clock))
        elif counted and event.kind is Kind.REQUEST:
            held = len(self._transactions)
            if held > self.peak:
                self.peak = held
            if clock <= self._window:
                self.opened.add(_request_key(event))
        return counted

    def _went_back(self, time: float, clock: float) -> None:
        if self.first_backwards is None:
            self.first_backwards = clock
        if self.earliest is None or time < self.earliest:
            self.earliest = time

    def _keep(self, observation: Observation) -> None:
        key = (observation.metric, observation.labels)
        series = self.histograms.get(key)
        if series is None:
            series = self.histograms[key] = Series(len(BUCKETS[observation.metric]) + 1)
        series.add(self.ordinal, observation)

    def _advance(self, time: float, out: Matched) -> None:
        if self.first_expiry is not None:
            Tracker._advance(self, time, out)
            return
        held = len(self._transactions)
        Tracker._advance(self, time, out)
        if len(self._transactions) < held:
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
        self.histograms, self.steps, self.orphans, self.opened = {}, [], [], set()


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
