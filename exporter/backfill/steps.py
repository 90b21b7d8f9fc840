"""Counter history at fixed steps: what backfill writes for Prometheus.

Owns the increments of each series per step (the events whose logged time falls in
[k·step, (k+1)·step)), the cardinality guard applied to them as the live tally applies it,
and their rendering as OpenMetrics text with timestamps: for every series, from the step
it first appears (or the first step, for series created at 0) to the end, one cumulative
sample per step boundary, the value at boundary B counting every event logged before B.
So each series starts with a 0 sample, as a live counter is first scraped, and
`value(B2) - value(B1)` is exactly the number of events logged in [B1, B2). Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from exporter import contract
from exporter.contract import Metric
from exporter.count.tally import OVERFLOW, Labels

# The families backfill writes: the counts the logs hold. The exporter's self-metrics
# describe a running exporter, not the logs, and have no history to write.
FAMILIES = (contract.RESPONSES, contract.REQUESTS)


@dataclass(frozen=True, slots=True)
class Span:
    """The steps written: boundaries first·step … last·step, both included."""

    step: int
    first: int
    last: int

    @property
    def boundaries(self) -> int:
        return self.last - self.first + 1


class StepCounts:
    """Increments per metric, series and step, bounded by `limit` series per metric."""

    def __init__(self, step: int, limit: int) -> None:
        self.step = step
        self._limit = limit
        # metric -> series -> step index -> increment
        self._counts: dict[str, dict[Labels, Counter[int]]] = {m.name: {} for m in FAMILIES}
        self._always: dict[str, set[Labels]] = {m.name: set() for m in FAMILIES}
        self.dropped = 0
        self.low: int | None = None
        self.high: int | None = None

    def index(self, seconds: float) -> int:
        """The step an instant falls in."""
        return int(seconds // self.step)

    def ensure(self, metric: str, labels: Iterable[Labels]) -> None:
        """Series that exist at 0 from the first step, as the live exporter creates them."""
        for series in labels:
            if self._series(metric, series) is not None:
                self._always[metric].add(series)

    def add(self, metric: str, counts: Mapping[Labels, int], index: int) -> None:
        if not counts:
            return
        self.low = index if self.low is None else min(self.low, index)
        self.high = index if self.high is None else max(self.high, index)
        for labels, value in counts.items():
            key = self._series(metric, labels)
            if key is None:
                key = (labels[0],) + (OVERFLOW,) * (len(labels) - 1)
                self._counts[metric].setdefault(key, Counter())
                self.dropped += value
            self._counts[metric][key][index] += value

    def merge(self, other: StepCounts) -> None:
        """Add another reading's increments (of the files after this one's), its series
        in the order they appeared, through this guard: as if `add` had counted them."""
        for metric, series in other._counts.items():
            for labels, steps in series.items():
                key = self._series(metric, labels)
                if key is None:
                    key = (labels[0],) + (OVERFLOW,) * (len(labels) - 1)
                    self._counts[metric].setdefault(key, Counter())
                    self.dropped += sum(steps.values())
                self._counts[metric][key].update(steps)
        for index in (other.low, other.high):
            if index is not None:
                self.low = index if self.low is None else min(self.low, index)
                self.high = index if self.high is None else max(self.high, index)
        self.dropped += other.dropped

    def _series(self, metric: str, labels: Labels) -> Labels | None:
        """`labels`, created if the guard allows; None when the metric is full."""
        series = self._counts[metric]
        if labels not in series:
            if len(series) >= self._limit:
                return None
            series[labels] = Counter()
        return labels

    @property
    def series(self) -> int:
        return sum(len(series) for series in self._counts.values())

    def span(self) -> Span | None:
        """The boundaries to write: from the first event's step to just after the last."""
        if self.low is None or self.high is None:
            return None
        return Span(self.step, self.low, self.high + 1)

    def openmetrics(self) -> Iterator[str]:
        """The whole history as OpenMetrics text, in chunks; ends with `# EOF`."""
        span = self.span()
        for metric in FAMILIES if span is not None else ():
            assert span is not None
            yield from _family(metric, self._counts[metric.name], self._always[metric.name], span)
        yield "# EOF\n"


def _family(
    metric: Metric, counts: Mapping[Labels, Counter[int]], always: set[Labels], span: Span
) -> Iterator[str]:
    base = metric.name.removesuffix("_total")
    yield f"# HELP {base} {_escape(metric.help)}\n# TYPE {base} {metric.kind}\n"
    for labels in sorted(counts):
        steps = counts[labels]
        first = span.first if labels in always or not steps else max(span.first, min(steps))
        prefix = metric.name + _labels(metric.labels, labels)
        total = sum(v for k, v in steps.items() if k < first)
        lines = []
        for boundary in range(first, span.last + 1):
            lines.append(f"{prefix} {total} {boundary * span.step}\n")
            total += steps.get(boundary, 0)
        yield "".join(lines)


def _labels(names: tuple[str, ...], values: Labels) -> str:
    pairs = ",".join(
        f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)
    )
    return "{" + pairs + "}"


def _escape(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
