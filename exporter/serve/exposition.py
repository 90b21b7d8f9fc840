"""Writing metric families as text: the Prometheus text format 0.0.4 and OpenMetrics 1.0.

Owns the bytes of the exporter's own families on /metrics and in `replay`: exactly what
prometheus-client writes for the same families (tests compare the two), produced without
it on the hot path. Each series' name and escaped, sorted labels are rendered once and
kept, so a scrape costs a dictionary lookup and a number per series: /metrics with 5,000
series answers in a few milliseconds instead of fifty. The kept prefixes are bounded by
the series the tally may hold (the cardinality guard). Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from exporter.count.tally import Exemplar, HistogramValue, Labels
from exporter.serve.families import Family


def go_float(value: float) -> str:
    """A sample value as Prometheus writes it (prometheus-client's `floatToGoString`)."""
    if type(value) is int and 0 <= value < 1_000_000:
        return f"{value}.0"  # what repr(float(value)) gives, without the float
    number = float(value)
    if number == math.inf:
        return "+Inf"
    if number == -math.inf:
        return "-Inf"
    if math.isnan(number):
        return "NaN"
    text = repr(number)
    dot = text.find(".")
    # Go switches to exponents sooner than Python does.
    if number > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def _escape_value(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


class Exposition:
    """Writes families as text, keeping each series' rendered name and labels."""

    def __init__(self) -> None:
        self._prefixes: dict[tuple[str, Labels], str] = {}
        # Per metric, its label sets and their order: sorting 5,000 label tuples costs
        # more than writing them, and the set rarely changes between scrapes.
        self._orders: dict[str, tuple[frozenset[Labels], list[Labels]]] = {}
        self._histogram_prefixes: dict[tuple[str, Labels], list[str]] = {}

    def render(self, families: Iterable[Family], *, openmetrics: bool) -> bytes:
        """The families as text; OpenMetrics without its closing `# EOF` line, which the
        caller writes after any other collector's families."""
        out: list[str] = []
        for family in families:
            metric = family.metric
            out.append(_header(metric.name, metric.kind, metric.help, openmetrics))
            if family.histograms is not None:
                for labels in self._order(family):
                    out.append(
                        self._histogram(family, labels, family.histograms[labels], openmetrics)
                    )
                continue
            prefixes, samples = self._prefixes, family.samples
            for labels in self._order(family):
                value = samples[labels]
                prefix = prefixes.get((metric.name, labels))
                if prefix is None:
                    prefix = _prefix(metric.name, metric.labels, labels)
                    prefixes[(metric.name, labels)] = prefix
                out.append(prefix + go_float(value) + "\n")
        return "".join(out).encode("utf-8")

    def _histogram(
        self, family: Family, labels: Labels, value: HistogramValue, openmetrics: bool
    ) -> str:
        """One histogram series: its buckets (with exemplars under OpenMetrics), count, sum."""
        metric = family.metric
        key = (metric.name, labels)
        prefixes = self._histogram_prefixes.get(key)
        if prefixes is None:
            names = (*metric.labels, "le")
            bounds = [go_float(bound) for bound in metric.buckets] + ["+Inf"]
            prefixes = [_prefix(f"{metric.name}_bucket", names, (*labels, le)) for le in bounds]
            prefixes.append(_prefix(f"{metric.name}_count", metric.labels, labels))
            prefixes.append(_prefix(f"{metric.name}_sum", metric.labels, labels))
            self._histogram_prefixes[key] = prefixes
        lines = []
        buckets = prefixes[:-2]  # then _count's and _sum's
        for prefix, count, exemplar in zip(buckets, value.buckets, value.exemplars, strict=True):
            tail = _exemplar(exemplar) if openmetrics and exemplar is not None else ""
            lines.append(f"{prefix}{go_float(count)}{tail}\n")
        lines.append(f"{prefixes[-2]}{go_float(value.count)}\n")
        lines.append(f"{prefixes[-1]}{go_float(value.sum)}\n")
        return "".join(lines)

    def _order(self, family: Family) -> Iterable[Labels]:
        if not family.in_label_order:
            return family.samples.keys()
        kept = self._orders.get(family.metric.name)
        if kept is None or family.samples.keys() != kept[0]:
            order = sorted(family.samples)
            kept = (frozenset(order), order)
            self._orders[family.metric.name] = kept
        return kept[1]


def _exemplar(exemplar: Exemplar) -> str:
    return (
        f' # {{call_id="{_escape_value(exemplar.label)}"}} '
        f"{go_float(exemplar.value)} {exemplar.time!r}"
    )


def _header(name: str, kind: str, help_text: str, openmetrics: bool) -> str:
    if openmetrics:
        # OpenMetrics names a counter family without its `_total` sample suffix.
        family = name.removesuffix("_total") if kind == "counter" else name
        return f"# HELP {family} {_escape_value(help_text)}\n# TYPE {family} {kind}\n"
    escaped = help_text.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {escaped}\n# TYPE {name} {kind}\n"


def _prefix(name: str, names: tuple[str, ...], values: Labels) -> str:
    if not names:
        return f"{name} "
    pairs = sorted(zip(names, values, strict=True))
    labels = ",".join(f'{n}="{_escape_value(v)}"' for n, v in pairs)
    return f"{name}{{{labels}}} "
