"""The exposition writes exactly what prometheus-client writes for the same families."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.samples import Exemplar as ClientExemplar
from prometheus_client.utils import floatToGoString

from exporter import contract
from exporter.count.tally import Exemplar, HistogramValue, TallySnapshot
from exporter.serve.exposition import Exposition, go_float
from exporter.serve.families import Family, SourceGauges, View, families


class _Reference(Collector):
    """The same families through prometheus-client's own metric family types."""

    def __init__(self, shown: Sequence[Family]) -> None:
        self._shown = shown

    def collect(self) -> Iterator[Metric]:
        for family in self._shown:
            if family.histograms is not None:
                yield _histogram(family, family.histograms)
                continue
            kind = CounterMetricFamily if family.metric.kind == "counter" else GaugeMetricFamily
            metric = kind(family.metric.name, family.metric.help, labels=family.metric.labels)
            order = sorted(family.samples) if family.in_label_order else family.samples
            for labels in order:
                metric.add_metric(labels, family.samples[labels])
            yield metric


def _histogram(family: Family, values: Mapping[tuple[str, ...], HistogramValue]) -> Metric:
    metric = HistogramMetricFamily(
        family.metric.name, family.metric.help, labels=family.metric.labels
    )
    bounds = [floatToGoString(b) for b in family.metric.buckets] + ["+Inf"]  # type: ignore[no-untyped-call]
    for labels in sorted(values):
        value = values[labels]
        buckets = [
            (le, count)
            if exemplar is None
            else (
                le,
                count,
                ClientExemplar({"call_id": exemplar.label}, exemplar.value, exemplar.time),
            )
            for le, count, exemplar in zip(bounds, value.buckets, value.exemplars, strict=True)
        ]
        metric.add_metric(labels, buckets, value.sum)
    return metric


def reference(shown: Sequence[Family], *, openmetrics: bool) -> bytes:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Reference(shown))
    if openmetrics:
        written: bytes = openmetrics_latest(registry)  # type: ignore[no-untyped-call]
        return written
    return generate_latest(registry)


TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
COUNTS = st.integers(min_value=0, max_value=10**12)


@st.composite
def views(draw: st.DrawFn) -> tuple[View, list[tuple[str, ...]]]:
    responses: dict[tuple[str, ...], int] = draw(
        st.dictionaries(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), COUNTS)
    )
    requests: dict[tuple[str, ...], int] = draw(
        st.dictionaries(st.tuples(TEXT, TEXT, TEXT), COUNTS)
    )
    plain: dict[tuple[str, ...], int] = draw(st.dictionaries(st.tuples(TEXT), COUNTS, max_size=3))
    gauges = draw(
        st.dictionaries(
            TEXT,
            st.builds(
                SourceGauges,
                COUNTS,
                COUNTS,
                st.floats(min_value=0, max_value=2e9, allow_nan=False),
            ),
            max_size=3,
        )
    )
    info = draw(st.lists(st.tuples(*[TEXT] * len(contract.CODE_INFO.labels)), max_size=3))
    histograms: dict[str, dict[tuple[str, ...], HistogramValue]] = {
        contract.RESPONSE_DURATION.name: draw(
            st.dictionaries(st.tuples(TEXT, TEXT, TEXT, TEXT), histogram_values(13), max_size=3)
        ),
        contract.SESSION_DURATION.name: draw(
            st.dictionaries(st.tuples(TEXT, TEXT), histogram_values(15), max_size=2)
        ),
    }
    counters: dict[str, dict[tuple[str, ...], int]] = {
        contract.RESPONSES.name: responses,
        contract.REQUESTS.name: requests,
        contract.LINES.name: plain,
        contract.CHECKPOINT_SAVES.name: {(): draw(COUNTS)},
    }
    return View(TallySnapshot(counters, histograms), gauges), info


SECONDS = st.floats(min_value=0, max_value=1e5, allow_nan=False)


@st.composite
def histogram_values(draw: st.DrawFn, size: int) -> HistogramValue:
    counts = draw(st.lists(st.integers(0, 10**9), min_size=size, max_size=size))
    cumulative = [sum(counts[: i + 1]) for i in range(size)]
    exemplars = draw(
        st.lists(
            st.none() | st.builds(Exemplar, TEXT, SECONDS, st.floats(min_value=1e9, max_value=2e9)),
            min_size=size,
            max_size=size,
        )
    )
    return HistogramValue(tuple(cumulative), draw(SECONDS), tuple(exemplars))


@pytest.mark.system  # slow
@settings(max_examples=150, deadline=None)
@given(views(), st.booleans(), st.booleans())
def test_both_formats_equal_prometheus_clients_for_any_view(
    drawn: tuple[View, list[tuple[str, ...]]], openmetrics: bool, service: bool
) -> None:
    view, info = drawn
    shown = list(families(view, info, service=service))
    exposition = Exposition()
    first = exposition.render(shown, openmetrics=openmetrics)
    again = exposition.render(shown, openmetrics=openmetrics)  # from the kept prefixes
    ending = b"# EOF\n" if openmetrics else b""
    assert first + ending == reference(shown, openmetrics=openmetrics)
    assert again == first


@given(st.integers(min_value=0, max_value=10**18) | st.floats(allow_nan=True))
def test_numbers_are_written_as_prometheus_client_writes_them(number: float) -> None:
    assert go_float(number) == floatToGoString(number)  # type: ignore[no-untyped-call]


def test_a_series_seen_once_keeps_its_place_when_its_value_changes() -> None:
    exposition = Exposition()

    def shown(value: int) -> Iterable[Family]:
        return [Family(contract.REQUESTS, {("wvp", "in", "INVITE"): value})]

    exposition.render(shown(1), openmetrics=False)
    text = exposition.render(shown(2_000_000), openmetrics=False).decode()
    assert 'sip_requests_total{direction="in",method="INVITE",source="wvp"} 2e+06\n' in text
