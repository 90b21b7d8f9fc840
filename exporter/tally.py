"""The counts: every counter value the exporter serves, keyed by metric and label values.

Owns the counter values, the cardinality guard that bounds how many label sets a metric
may hold, and the plain-data form (`dump`/`load`) that a checkpoint stores. Pure: no I/O,
no locks, no prometheus-client; the reader thread owns the one `Tally` and hands
snapshots to whoever renders them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exporter import contract

Labels = tuple[str, ...]
Counts = dict[Labels, int]

OVERFLOW = "overflow"
DROPPED_METRIC = contract.SERIES_DROPPED.name


@dataclass(frozen=True, slots=True)
class TallySnapshot:
    """A copy of all counts at one moment, safe to read from any thread."""

    counters: Mapping[str, Mapping[Labels, int]]

    def get(self, metric: str, labels: Labels) -> int:
        return self.counters.get(metric, {}).get(labels, 0)


class Tally:
    """Counter values by metric and label values, with a per-metric series limit.

    Guarded metrics are those whose label values come from log content. When a guarded
    metric is full, a new label set is counted in the overflow series of its source (the
    first label), whose other labels all read `overflow`, and in
    `sip_exporter_series_dropped_total{metric}`. The bound per guarded metric is therefore
    its limit plus one series per source.
    """

    def __init__(self, limits: Mapping[str, int]) -> None:
        self._limits = dict(limits)
        self._counters: dict[str, Counts] = {}

    def add(self, metric: str, counts: Mapping[Labels, int]) -> None:
        """Add a batch of increments to one metric."""
        series = self._counters.setdefault(metric, {})
        limit = self._limits.get(metric)
        for labels, value in counts.items():
            if labels in series:
                series[labels] += value
            elif limit is None or len(series) < limit:
                series[labels] = value
            else:
                overflow = (labels[0],) + (OVERFLOW,) * (len(labels) - 1)
                series[overflow] = series.get(overflow, 0) + value
                dropped = self._counters.setdefault(DROPPED_METRIC, {})
                dropped[(metric,)] = dropped.get((metric,), 0) + value

    def inc(self, metric: str, labels: Labels, value: int = 1) -> None:
        self.add(metric, {labels: value})

    def ensure(self, metric: str, labels: Iterable[Labels]) -> None:
        """Create series at 0 (where the guard allows) so they are served before use."""
        self.add(metric, dict.fromkeys(labels, 0))

    def remove_source(self, source: str, metrics: Iterable[str]) -> None:
        """Forget every series of `source` in these metrics (their first label is source)."""
        for metric in metrics:
            series = self._counters.get(metric, {})
            for labels in [labels for labels in series if labels[:1] == (source,)]:
                del series[labels]

    def set_limits(self, limits: Mapping[str, int]) -> None:
        """New limits apply to series not yet created; existing series are kept."""
        self._limits = dict(limits)

    def snapshot(self) -> TallySnapshot:
        return TallySnapshot({metric: dict(series) for metric, series in self._counters.items()})

    def dump(self) -> dict[str, list[list[str | int]]]:
        """Plain data for a checkpoint: metric -> [[label values…, value], …]."""
        return {
            metric: [[*labels, value] for labels, value in series.items()]
            for metric, series in self._counters.items()
        }

    @classmethod
    def load(cls, limits: Mapping[str, int], data: object) -> Tally:
        """A tally from `dump`'s plain data; raises ValueError if it is not that shape."""
        if not isinstance(data, dict):
            raise ValueError("counters: expected a mapping of metric names")
        tally = cls(limits)
        for metric, rows in data.items():
            if not isinstance(metric, str) or not isinstance(rows, list):
                raise ValueError(f"counters.{metric}: expected a list of rows")
            series = tally._counters.setdefault(metric, {})
            for row in rows:
                if (
                    not isinstance(row, list)
                    or not row
                    or not isinstance(row[-1], int)
                    or row[-1] < 0
                    or not all(isinstance(value, str) for value in row[:-1])
                ):
                    raise ValueError(f"counters.{metric}: bad row {row!r}")
                series[tuple(row[:-1])] = row[-1]
        return tally
