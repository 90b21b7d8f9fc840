"""The counts: every counter and histogram value the exporter serves, by metric and labels.

Owns the counter values, the histograms (bucket counts, sum, and each bucket's latest
exemplar), the cardinality guard that bounds how many label sets a counter may hold, and
the plain-data form (`dump`/`load`) that a checkpoint stores (exemplars are not kept: they
point at recent calls). Pure: no I/O,
no locks, no prometheus-client; the reader thread owns the one `Tally` and hands
snapshots to whoever renders them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from exporter import contract
from exporter.ingest import decode as shape
from exporter.ingest.decode import CheckpointError

Labels = tuple[str, ...]
Counts = dict[Labels, int]

OVERFLOW = "overflow"
DROPPED_METRIC = contract.SERIES_DROPPED.name
BUCKETS = {metric.name: metric.buckets for metric in contract.HISTOGRAMS}
WIDTHS = {metric.name: len(metric.labels) for metric in contract.ALL}


class Exemplar(NamedTuple):
    """One observation a bucket points at: a label (`call_id`) value, the value, its time.
    (A named tuple: one is made per observation.)"""

    label: str
    value: float
    time: float


@dataclass(frozen=True, slots=True)
class HistogramValue:
    """One histogram series at one moment: cumulative bucket counts (the last is +Inf),
    the sum, and per bucket the latest exemplar (None: none yet)."""

    buckets: tuple[int, ...]
    sum: float
    exemplars: tuple[Exemplar | None, ...]

    @property
    def count(self) -> int:
        return self.buckets[-1]


@dataclass(frozen=True, slots=True)
class TallySnapshot:
    """A copy of all counts at one moment, safe to read from any thread."""

    counters: Mapping[str, Mapping[Labels, int]]
    histograms: Mapping[str, Mapping[Labels, HistogramValue]] = field(default_factory=dict)

    def get(self, metric: str, labels: Labels) -> int:
        return self.counters.get(metric, {}).get(labels, 0)


class _Histogram:
    """One histogram series as it fills: counts per bucket (not cumulative), the sum."""

    __slots__ = ("counts", "exemplars", "sum")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.sum = 0.0
        self.exemplars: list[Exemplar | None] = [None] * size

    def value(self) -> HistogramValue:
        total, cumulative = 0, []
        for count in self.counts:
            total += count
            cumulative.append(total)
        return HistogramValue(tuple(cumulative), self.sum, tuple(self.exemplars))


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
        self._histograms: dict[str, dict[Labels, _Histogram]] = {}

    def observe(
        self, metric: str, labels: Labels, value: float, exemplar: Exemplar | None = None
    ) -> None:
        """Count one observation of a histogram of the contract (its label values come
        from closed sets, so no guard is needed)."""
        bounds = BUCKETS[metric]
        series = self._histograms.setdefault(metric, {})
        histogram = series.get(labels)
        if histogram is None:
            histogram = series[labels] = _Histogram(len(bounds) + 1)
        # The first bucket whose upper bound is >= value ("le"), else +Inf.
        index = bisect_left(bounds, value)
        histogram.counts[index] += 1
        histogram.sum += value
        if exemplar is not None:
            histogram.exemplars[index] = exemplar

    def observe_all(
        self,
        metric: str,
        labels: Labels,
        counts: Sequence[int],
        values: Iterable[float],
        exemplars: Sequence[Exemplar | None],
    ) -> None:
        """Observations counted elsewhere, as `observe` one by one would count them: their
        number per bucket, their values in the order observed (the float sum adds them
        in that order, as `observe` does), and each bucket's latest exemplar (None: the
        bucket keeps its own)."""
        series = self._histograms.setdefault(metric, {})
        histogram = series.get(labels)
        if histogram is None:
            histogram = series[labels] = _Histogram(len(BUCKETS[metric]) + 1)
        for index, count in enumerate(counts):
            histogram.counts[index] += count
        total = histogram.sum
        for value in values:
            total += value
        histogram.sum = total
        for index, exemplar in enumerate(exemplars):
            if exemplar is not None:
                histogram.exemplars[index] = exemplar

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
            for table in (self._counters, self._histograms):
                series = table.get(metric, {})
                for labels in [labels for labels in series if labels[:1] == (source,)]:
                    del series[labels]

    def set_limits(self, limits: Mapping[str, int]) -> None:
        """New limits apply to series not yet created; existing series are kept."""
        self._limits = dict(limits)

    def snapshot(self) -> TallySnapshot:
        return TallySnapshot(
            {metric: dict(series) for metric, series in self._counters.items()},
            {
                metric: {labels: h.value() for labels, h in series.items()}
                for metric, series in self._histograms.items()
            },
        )

    def dump(self) -> dict[str, list[list[object]]]:
        """Plain data for a checkpoint: metric -> [[label values…, value], …]; for a
        histogram the value is [[counts per bucket…], sum]."""
        counters: dict[str, list[list[object]]] = {
            metric: [[*labels, value] for labels, value in series.items()]
            for metric, series in self._counters.items()
        }
        for metric, histograms in self._histograms.items():
            counters[metric] = [
                [*labels, [list(h.counts), h.sum]] for labels, h in histograms.items()
            ]
        return counters

    @classmethod
    def load(cls, limits: Mapping[str, int], data: object) -> Tally:
        """A tally from `dump`'s plain data; CheckpointError (a ValueError) naming the place
        if it is not that shape: a row with the wrong number of labels for its metric, a
        count that is not an integer ≥ 0, or more series than the metric's limit."""
        tally = cls(limits)
        for metric, rows in shape.mapping(data, "counters").items():
            where = f"counters.{metric}"
            listed = shape.items(rows, where)
            width = _width(metric, listed)
            if metric in BUCKETS:
                tally._histograms[metric] = _load_histograms(metric, listed, width)
            else:
                tally._counters[metric] = dict(
                    _counted(row, f"{where}[{i}]", width) for i, row in enumerate(listed)
                )
            _within(limits.get(metric), tally._counters.get(metric, {}), where)
        return tally


def _width(metric: str, rows: list[object]) -> int:
    """How many label values each row of `metric` holds: the contract's number, or, for a
    metric this version does not serve, that of its first row (all rows must agree)."""
    if metric in WIDTHS:
        return WIDTHS[metric]
    first = rows[0] if rows else None
    return len(first) - 1 if isinstance(first, list) and first else 0


def _labels(row: object, where: str, width: int) -> Labels:
    """The label values of a row of `width` labels and a value."""
    values = shape.items(row, where)
    if len(values) != width + 1:
        raise CheckpointError(f"{where}: expected {width} label values and a value, got {row!r}")
    return shape.texts(values[:-1], where, width)


def _counted(row: object, where: str, width: int) -> tuple[Labels, int]:
    return _labels(row, where, width), shape.count(shape.items(row, where)[-1], where)


def _within(limit: int | None, series: Mapping[Labels, int], where: str) -> None:
    """Refuse more series than the guard allows (beyond it, only overflow series)."""
    held = sum(1 for labels in series if set(labels[1:]) != {OVERFLOW})
    if limit is not None and held > limit:
        raise CheckpointError(f"{where}: {held} series, more than the limit of {limit}")


def _load_histograms(metric: str, rows: list[object], width: int) -> dict[Labels, _Histogram]:
    size = len(BUCKETS[metric]) + 1
    series: dict[Labels, _Histogram] = {}
    for i, row in enumerate(rows):
        where = f"counters.{metric}[{i}]"
        labels = _labels(row, where, width)
        value = shape.items(shape.items(row, where)[-1], f"{where}.value")
        if len(value) != 2:
            raise CheckpointError(f"{where}.value: expected [counts per bucket, sum]")
        counts = shape.items(value[0], f"{where}.counts")
        if len(counts) != size:
            raise CheckpointError(f"{where}.counts: expected {size} buckets, got {len(counts)}")
        histogram = _Histogram(size)
        histogram.counts = [shape.count(c, f"{where}.counts[{j}]") for j, c in enumerate(counts)]
        histogram.sum = shape.number(value[1], f"{where}.sum")
        series[labels] = histogram
    return series
