"""What a scrape shows: the tally, the per-source gauges and the catalog as metric families.

Owns how one snapshot of the state becomes the exporter's metric families, in the order
and with the names, types, help and labels of the metric contract. It reads one
consistent snapshot per scrape and never sees a record. Pure: no prometheus-client;
`exposition` writes families as text.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from exporter import __version__, contract
from exporter.catalog import CodeInfo
from exporter.count.silence import REASONS as SILENCE_REASONS
from exporter.count.tally import HistogramValue, Labels, TallySnapshot
from exporter.formats import native


@dataclass(frozen=True, slots=True)
class SourceGauges:
    files: int = 0
    lag_bytes: int = 0
    last_record: float = 0.0
    open_transactions: int = 0
    open_sessions: int = 0
    # The peers that failed most lately: (peer, peer_type, failures), at most top_peers.count.
    top_failures: tuple[tuple[str, str, int], ...] = ()
    # Why the source reads nothing ("no_files", "no_records"), or "" while it reads.
    silent: str = ""


@dataclass(frozen=True, slots=True)
class View:
    """Everything one scrape shows, taken at one moment."""

    tally: TallySnapshot
    gauges: Mapping[str, SourceGauges]


@dataclass(frozen=True, slots=True)
class Family:
    """One metric family: its contract entry and its samples by label values, written in
    label order (`exposition` keeps the order between scrapes), or as given."""

    metric: contract.Metric
    samples: Mapping[Labels, float]
    in_label_order: bool = True
    histograms: Mapping[Labels, HistogramValue] | None = None


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


def families(
    view: View, info: Sequence[tuple[str, ...]], *, service: bool = True
) -> Iterator[Family]:
    """All families of one scrape; with `service=False` (replay) only what the logs
    determine: no build info, no gauges, no checkpoint counters."""
    if service:
        build = (__version__, platform.python_version(), "true" if native.ACTIVE else "false")
        yield Family(contract.BUILD_INFO, {build: 1})
    for histogram in contract.HISTOGRAMS:
        values = view.tally.histograms.get(histogram.name, {})
        yield Family(histogram, dict.fromkeys(values, 0), histograms=values)
    yield Family(contract.CODE_INFO, dict.fromkeys(info, 1), in_label_order=False)
    for metric in contract.COUNTERS:
        if not service and metric in contract.SERVICE_ONLY:
            continue
        yield Family(metric, view.tally.counters.get(metric.name, {}))
    if service:
        yield from _gauges(view.gauges)


def _gauges(gauges: Mapping[str, SourceGauges]) -> Iterator[Family]:
    yield Family(contract.FILES, {(s,): g.files for s, g in gauges.items()})
    yield Family(contract.LAG, {(s,): g.lag_bytes for s, g in gauges.items()})
    yield Family(contract.LAST_RECORD, {(s,): g.last_record for s, g in gauges.items()})
    yield Family(contract.OPEN_TRANSACTIONS, {(s,): g.open_transactions for s, g in gauges.items()})
    yield Family(contract.OPEN_SESSIONS, {(s,): g.open_sessions for s, g in gauges.items()})
    yield Family(
        contract.SOURCE_SILENT,
        {(s, r): int(g.silent == r) for s, g in gauges.items() for r in SILENCE_REASONS},
    )
    yield Family(
        contract.PEER_TOP_FAILURES,
        {(s, peer, kind): n for s, g in gauges.items() for peer, kind, n in g.top_failures},
    )
