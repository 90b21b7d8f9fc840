"""The metric contract, the README's metric reference and the exposition agree."""

from __future__ import annotations

import re

from exporter import contract
from tests.support import REPO


def readme_metrics() -> list[tuple[str, str, str]]:
    """(name, type, labels) rows of the README's metric reference table."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Metric reference", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\w+)(?: \(1\))? \|([^|]*)\|", section, re.MULTILINE)
    return [(name, kind, labels.strip()) for name, kind, labels in rows]


def test_the_readme_lists_every_metric_of_the_contract_with_its_type_and_labels() -> None:
    documented = {
        name: (kind, re.findall(r"`(\w+)`", labels)) for name, kind, labels in readme_metrics()
    }
    expected = {m.name: (m.kind, list(m.labels)) for m in contract.ALL}
    assert documented == expected


def test_metric_names_follow_prometheus_conventions() -> None:
    for metric in contract.ALL:
        assert re.fullmatch(r"sip_[a-z_]+", metric.name)
        assert metric.name.endswith("_total") == (metric.kind == "counter"), metric.name
