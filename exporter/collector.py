"""Rendering for Prometheus: a prometheus-client `Collector` over a snapshot of the state.

Owns how the tally, the per-source gauges and the catalog become metric families. It reads
one consistent snapshot per scrape and never calls prometheus-client per record.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter import __version__, contract
from exporter.catalog import CodeInfo
from exporter.tally import TallySnapshot


@dataclass(frozen=True, slots=True)
class SourceGauges:
    files: int = 0
    lag_bytes: int = 0
    last_record: float = 0.0


@dataclass(frozen=True, slots=True)
class View:
    """Everything one scrape shows, taken at one moment."""

    tally: TallySnapshot
    gauges: Mapping[str, SourceGauges]


def info_rows(entries: Iterable[CodeInfo]) -> list[tuple[str, ...]]:
    """Label values of `sip_response_code_info`, one row per code and profile."""
    return [
        (
            e.code,
            e.profile,
            e.category,
            e.severity,
            e.reason,
            e.user.zh,
            e.user.en,
            e.engineer.zh,
            e.engineer.en,
        )
        for e in entries
    ]


class ExporterCollector(Collector):
    """Collects the exporter's metrics from `view()` on every scrape."""

    def __init__(
        self,
        view: Callable[[], View],
        info: Callable[[], Sequence[tuple[str, ...]]],
        *,
        service: bool = True,
    ) -> None:
        self._view = view
        self._info = info
        self._service = service

    def collect(self) -> Iterator[Metric]:
        """All metrics; with `service=False` (replay) only what the logs determine:
        no build info, no gauges, no checkpoint counters."""
        view = self._view()
        if self._service:
            yield _info_family(contract.BUILD_INFO, [(__version__, platform.python_version())])
        yield _info_family(contract.CODE_INFO, self._info())
        for metric in contract.COUNTERS:
            if not self._service and metric in contract.SERVICE_ONLY:
                continue
            family = CounterMetricFamily(metric.name, metric.help, labels=metric.labels)
            for labels, value in sorted(view.tally.counters.get(metric.name, {}).items()):
                family.add_metric(labels, value)
            yield family
        if self._service:
            yield from _gauges(view.gauges)


def _info_family(metric: contract.Metric, rows: Iterable[tuple[str, ...]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(metric.name, metric.help, labels=metric.labels)
    for row in rows:
        family.add_metric(row, 1)
    return family


def _gauges(gauges: Mapping[str, SourceGauges]) -> Iterator[GaugeMetricFamily]:
    values: dict[contract.Metric, Callable[[SourceGauges], float]] = {
        contract.FILES: lambda g: g.files,
        contract.LAG: lambda g: g.lag_bytes,
        contract.LAST_RECORD: lambda g: g.last_record,
    }
    for metric, read in values.items():
        family = GaugeMetricFamily(metric.name, metric.help, labels=metric.labels)
        for source in sorted(gauges):
            family.add_metric((source,), read(gauges[source]))
        yield family
