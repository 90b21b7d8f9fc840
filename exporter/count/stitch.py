"""Files counted apart and joined in file order, equal to counting them in one pass.

Owns how the parent joins the parts of files counted on their own (`count.parts`, by the
worker processes of `replay --jobs`), one after the other, into the counts `account.replay`
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

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig
from exporter.count.account import labeler_for, precreate, record_matched, series_limits
from exporter.count.parts import FilePart, FileTracker, Series, SeriesKey, SessionStep
from exporter.count.tally import Exemplar, Tally
from exporter.count.transactions import NO_REQUEST, Matched, Observation, exemplar_value


@dataclass(slots=True)
class _Fixes:
    """What carrying the previous file's transactions changes in one part."""

    matched: Matched = field(default_factory=Matched)
    histograms: dict[SeriesKey, Series] = field(default_factory=dict)
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
        fixes.histograms, fixes.steps = carried.histograms, carried.steps
        return fixes

    def _finish(self, part: FilePart, fixes: _Fixes) -> None:
        tracker = part.tracker
        assert tracker is not None
        for metric, series in part.counters.items():
            self.tally.add(metric, series)
        floor = None if self._carried is None else self._carried.clock
        out = fixes.matched
        self._observe(tracker.histograms, fixes.histograms)
        for step in heapq.merge(tracker.steps, fixes.steps, key=_step_ordinal):
            self._dialogs.apply_step(step, floor, out)
        clock = _later(floor, tracker.clock)
        self._dialogs.advance_to(clock, out)
        if out.observations or out.timeouts or out.unmatched or out.evictions:
            # (Unconditionally, it would create the metrics one pass creates only with
            # its first record.)
            record_matched(self.tally, self._source, out, self._exemplars)
        if tracker.first_clock is not None or self._carried is None:
            tracker.adopt_clock(clock)
            tracker.forget_records()
            self._carried = tracker

    def _observe(
        self, worker: Mapping[SeriesKey, Series], fixes: Mapping[SeriesKey, Series]
    ) -> None:
        """A file's histogram observations, the fixes' among them in log order."""
        for key in {**worker, **fixes}:
            mine, fixed = worker.get(key), fixes.get(key)
            if mine is None or fixed is None:
                series = mine or fixed
                assert series is not None
            else:
                series = mine.merged(fixed)
            metric, labels = key
            self.tally.observe_all(
                metric,
                (self._source, *labels),
                series.counts,
                series.values,
                [_exemplar(latest, self._exemplars) for latest in series.latest],
            )


def _exemplar(latest: tuple[int, Observation] | None, mode: str) -> Exemplar | None:
    if latest is None:
        return None
    observation = latest[1]
    label = exemplar_value(observation.call_id, mode)
    return None if label is None else Exemplar(label, observation.value, observation.time)


def _later(one: float | None, other: float | None) -> float | None:
    if one is None:
        return other
    return one if other is None else max(one, other)


def _step_ordinal(step: SessionStep) -> int:
    return step.ordinal
