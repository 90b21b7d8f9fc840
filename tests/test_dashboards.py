"""The Grafana dashboards in grafana/dashboards, checked without Grafana: stable uids, a
current schema, a sound grid, a data source and a query on every panel, the `datasource`
and `source` variables, PromQL that promtool parses, and only metrics that exist: those of
the README's metric reference (the exporter's contract), the recording rules and
thresholds of config/prometheus, and Prometheus' own `up`.

The same metric check runs over the rule files. The helpers here (queries of a dashboard,
Grafana variable substitution, metric names in PromQL) are also used by the integration
test, which runs every query against a real Prometheus.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DASHBOARDS = REPO / "grafana" / "dashboards"
PROVISIONING = REPO / "grafana" / "provisioning"
RULES = REPO / "config" / "prometheus"
RULE_FILES = (RULES / "thresholds.yml", RULES / "rules.yml", RULES / "alerts.yml")
README = REPO / "README.md"

UIDS = {
    "sip-overview.json": "sip-overview",
    "sip-codes.json": "sip-codes",
    "sip-exporter-health.json": "sip-exporter-health",
    "sip-transactions.json": "sip-transactions",
}
SCHEMA_VERSION = 39
PANEL_TYPES = {"timeseries", "stat", "table"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
THRESHOLD_PREFIX = "sip:alert_threshold:"
# Prometheus' own series that rules and dashboards may read.
PROMETHEUS_SERIES = {"up", "ALERTS"}

# Values for Grafana's variables when a query is checked or run outside Grafana.
VARIABLES = {
    "site": ".*",
    "job": ".*",
    "instance": ".*",
    "source": ".*",
    "profile": "gb28181-platform",
    "lang": "zh",
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "5m",
}

_KEYWORDS = {
    *("and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"),
    *("bool", "offset", "inf", "nan", "atan2", "start", "end"),
}


def load_dashboard(name: str) -> dict[str, Any]:
    document = json.loads((DASHBOARDS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of every panel."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]


def variable_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(series selector, label) of each `label_values(selector, label)` variable."""
    found = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
            assert match, f"unexpected variable query {variable['definition']!r}"
            found.append((match.group(1), match.group(2)))
    return found


def variable_metrics(dashboard: dict[str, Any]) -> list[str]:
    return [selector for selector, _ in variable_queries(dashboard)]


def substitute(expr: str) -> str:
    """`expr` with Grafana's variables replaced; unknown `$…` (label_replace's $1) stay."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return VARIABLES.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads.

    A small lexer, not a parser: it blanks out strings, label matchers, ranges and the
    label lists of by/without/on/ignoring/group_*, then keeps identifiers that are not
    keywords, not function or aggregation calls, and not parts of numbers or durations.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.$])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", text):
        name = match.group(1)
        if name.lower() not in _KEYWORDS:
            names.add(name)
    return names


@cache
def metric_reference() -> dict[str, frozenset[str]]:
    """The README's metric reference: series name -> its labels. A histogram is served as
    its `_bucket` (with `le`), `_count` and `_sum` series, which queries read."""
    text = README.read_text(encoding="utf-8")
    assert "## Metric reference" in text, "README.md has no '## Metric reference' section"
    section = text.split("## Metric reference", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w:]+)` \|([^|]*)\|([^|]*)\|", section, re.MULTILINE)
    assert rows, "no metrics found in the README's metric reference"
    reference = {}
    for name, kind, labels in rows:
        names = frozenset(re.findall(r"`(\w+)`", labels))
        if kind.strip() == "histogram":
            reference[f"{name}_bucket"] = names | {"le"}
            reference[f"{name}_count"] = names
            reference[f"{name}_sum"] = names
        else:
            reference[name] = names
    return reference


@cache
def metric_reference_prefixes() -> tuple[str, ...]:
    """Families the reference names by prefix, such as "the standard `process_*` metrics"."""
    text = README.read_text(encoding="utf-8").split("## Metric reference", 1)[1]
    section = text.split("\n## ", 1)[0]
    return tuple(re.findall(r"`(\w+_)\*`", section))


@cache
def recorded_names() -> frozenset[str]:
    """Series the rule files record: recording rules and thresholds."""
    names = set()
    for path in RULE_FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        names |= {rule.get("record", "") for group in document["groups"] for rule in group["rules"]}
    return frozenset(name for name in names if name)


def known_metric(name: str) -> bool:
    return (
        name in metric_reference()
        or name.startswith(metric_reference_prefixes())
        or name in recorded_names()
        or name in PROMETHEUS_SERIES
    )


def per_source(name: str) -> bool:
    """Whether a metric carries the `source` label."""
    if name in metric_reference():
        return "source" in metric_reference()[name]
    return name.startswith("source")  # recording rules at the source level


def rule_expressions() -> list[tuple[str, str]]:
    found = []
    for path in RULE_FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in document["groups"]:
            for rule in group["rules"]:
                found.append((rule.get("record") or rule["alert"], rule["expr"]))
    return found


def test_the_shipped_dashboards_are_the_four_expected() -> None:
    assert {path.name for path in DASHBOARDS.glob("*.json")} == set(UIDS)


@pytest.mark.parametrize("name", sorted(UIDS))
def test_dashboard_keeps_its_stable_uid(name: str) -> None:
    assert load_dashboard(name)["uid"] == UIDS[name]


@pytest.mark.parametrize("name", sorted(UIDS))
def test_dashboard_uses_the_current_schema_version(name: str) -> None:
    assert load_dashboard(name)["schemaVersion"] == SCHEMA_VERSION


@pytest.mark.parametrize("name", sorted(UIDS))
def test_panel_ids_are_unique(name: str) -> None:
    ids = [panel["id"] for panel in panels(load_dashboard(name))]
    assert len(ids) == len(set(ids)), ids


@pytest.mark.parametrize("name", sorted(UIDS))
def test_panels_fit_the_24_column_grid(name: str) -> None:
    for panel in panels(load_dashboard(name)):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        assert grid["y"] >= 0 and grid["h"] > 0, panel["title"]


@pytest.mark.parametrize("name", sorted(UIDS))
def test_panels_do_not_overlap(name: str) -> None:
    for first, second in combinations(panels(load_dashboard(name)), 2):
        a, b = first["gridPos"], second["gridPos"]
        apart = (
            a["x"] + a["w"] <= b["x"]
            or b["x"] + b["w"] <= a["x"]
            or a["y"] + a["h"] <= b["y"]
            or b["y"] + b["h"] <= a["y"]
        )
        assert apart, f"{first['title']!r} overlaps {second['title']!r}"


@pytest.mark.parametrize("name", sorted(UIDS))
def test_every_panel_is_a_current_type(name: str) -> None:
    for panel in panels(load_dashboard(name)):
        assert panel["type"] in PANEL_TYPES, f"{panel['title']}: {panel['type']}"


@pytest.mark.parametrize("name", sorted(UIDS))
def test_every_panel_has_a_query_on_the_datasource_variable(name: str) -> None:
    for panel in panels(load_dashboard(name)):
        assert panel.get("datasource") == DATASOURCE, panel["title"]
        assert panel.get("targets"), f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), f"{panel['title']}: empty query"
            assert target.get("datasource") == DATASOURCE, panel["title"]


@pytest.mark.parametrize("name", sorted(UIDS))
def test_every_panel_is_titled_and_described(name: str) -> None:
    for panel in panels(load_dashboard(name)):
        assert panel["title"].strip() and panel.get("description", "").strip(), panel["id"]


@pytest.mark.parametrize("name", sorted(UIDS))
def test_dashboard_offers_the_datasource_and_source_variables(name: str) -> None:
    variables = {v["name"]: v for v in load_dashboard(name)["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    source = variables["source"]
    assert source["type"] == "query" and source["datasource"] == DATASOURCE
    assert source["definition"].startswith("label_values(")
    assert source["multi"] and source["includeAll"] and source["allValue"] == ".*"


@pytest.mark.parametrize("name", sorted(UIDS))
def test_dashboard_offers_site_job_and_instance_each_filtered_by_the_ones_before(
    name: str,
) -> None:
    variables = {v["name"]: v for v in load_dashboard(name)["templating"]["list"]}
    order = ["site", "job", "instance", "source"]
    for position, variable in enumerate(order):
        found = variables[variable]
        assert found["type"] == "query" and found["datasource"] == DATASOURCE, variable
        # "All" is `.*`: it also matches series without the label (a site's own
        # Prometheus does not show its external label `site`).
        assert found["multi"] and found["includeAll"] and found["allValue"] == ".*", variable
        for before in order[1:position]:
            assert f'{before}=~"${before}"' in found["definition"], (variable, before)
        if position > 0:
            assert 'site=~"$site"' in found["definition"], variable
    assert variables["site"]["definition"] == "label_values(sip_exporter_build_info, site)"
    assert 'job="sip-log-exporter"' in variables["job"]["definition"]


SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\{([^}]*)\}")


def selectors(expr: str) -> dict[str, list[str]]:
    """Metric name -> the matchers of each of its selectors in `expr`."""
    found: dict[str, list[str]] = {}
    for match in SELECTOR.finditer(expr):
        found.setdefault(match.group(1), []).append(match.group(2))
    return found


@pytest.mark.parametrize("name", sorted(UIDS))
def test_every_query_selects_the_site_job_and_instance_variables(name: str) -> None:
    for title, expr in queries(load_dashboard(name)):
        found = selectors(expr)
        for metric in metric_names(expr):
            assert metric in found, f"{title}: {metric} is read without a selector"
            for matchers in found[metric]:
                assert 'site=~"$site' in matchers, f"{title}: {metric}{{{matchers}}}"
                if metric.startswith(THRESHOLD_PREFIX):
                    continue  # constants: no job, no instance
                assert 'job=~"$job"' in matchers, f"{title}: {metric}{{{matchers}}}"
                assert 'instance=~"$instance"' in matchers, f"{title}: {metric}{{{matchers}}}"


@pytest.mark.parametrize("name", sorted(UIDS))
def test_series_every_target_has_select_the_exporter_by_its_job(name: str) -> None:
    # `up` and process_* are every target's: only the exporter's count.
    for title, expr in queries(load_dashboard(name)):
        for metric, matchers in selectors(expr).items():
            if metric == "up" or metric.startswith("process_"):
                assert all('job="sip-log-exporter"' in m for m in matchers), title


@pytest.mark.parametrize("name", sorted(UIDS))
def test_per_source_series_are_told_apart_by_site_and_instance(name: str) -> None:
    for panel in panels(load_dashboard(name)):
        for target in panel["targets"]:
            expr, legend = target["expr"], target.get("legendFormat", "")
            for grouping in re.findall(r"\bby \(([^)]*)\)", expr):
                labels = [label.strip() for label in grouping.split(",")]
                if "source" in labels or "instance" in labels:
                    assert {"site", "instance"} <= set(labels), f"{panel['title']}: {expr}"
            if "{{source}}" in legend or "{{instance}}" in legend:
                assert "{{site}} {{instance}}" in legend, f"{panel['title']}: {legend}"


@pytest.mark.parametrize("name", sorted(UIDS))
def test_queries_of_per_source_metrics_filter_on_the_source_variable(name: str) -> None:
    for title, expr in queries(load_dashboard(name)):
        if any(per_source(metric) for metric in metric_names(expr)):
            assert 'source=~"$source"' in expr, f"{title}: {expr}"


@pytest.mark.parametrize("name", sorted(UIDS))
def test_every_metric_a_dashboard_reads_is_in_the_metric_reference_or_the_rules(
    name: str,
) -> None:
    dashboard = load_dashboard(name)
    exprs = [expr for _, expr in queries(dashboard)] + variable_metrics(dashboard)
    unknown = {
        metric for expr in exprs for metric in metric_names(expr) if not known_metric(metric)
    }
    assert not unknown, f"{name} reads metrics nobody produces: {sorted(unknown)}"


def test_every_metric_a_rule_reads_is_in_the_metric_reference_or_the_rules() -> None:
    unknown = {
        (rule, metric)
        for rule, expr in rule_expressions()
        for metric in metric_names(expr)
        if not known_metric(metric)
    }
    assert not unknown, f"rules read metrics nobody produces: {sorted(unknown)}"


def test_metric_names_are_found_in_promql() -> None:
    expr = (
        'sum by (code) (increase(sip_responses_total{source=~"$source"}[5m])) * on (code) '
        "group_left (reason) max by (code, reason) (sip_response_code_info) "
        '> on () group_left sip:alert_threshold:503_ratio or label_replace(vector(0), "a", '
        '"$1", "b", "(.*)") unless time() - up offset 5m > 1e3'
    )
    assert metric_names(expr) == {
        "sip_responses_total",
        "sip_response_code_info",
        "sip:alert_threshold:503_ratio",
        "up",
    }


@pytest.mark.system
def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    binary = shutil.which("promtool")
    assert binary is not None, "promtool not found on PATH (Debian: apt-get install prometheus)"
    rules = [
        {"record": f"dashboard:query_{i}", "expr": substitute(expr)}
        for i, (_, expr) in enumerate(
            query for name in sorted(UIDS) for query in queries(load_dashboard(name))
        )
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [binary, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def threshold_lines(name: str) -> set[str]:
    """The series a dashboard draws as lines of their own (a query reading one series)."""
    found = set()
    for _, expr in queries(load_dashboard(name)):
        (metric, *others) = sorted(metric_names(expr))
        if not others and expr.startswith(metric + "{"):
            found.add(metric)
    return found


def test_overview_draws_the_503_and_408_alert_thresholds() -> None:
    lines = threshold_lines("sip-overview.json")
    for code in ("503", "408"):
        for kind in ("ratio", "rate"):
            assert f"sip:alert_threshold:{code}_{kind}" in lines


def test_overview_shows_the_rfc_6076_kpis_and_the_failure_ratio() -> None:
    text = " ".join(expr for _, expr in queries(load_dashboard("sip-overview.json")))
    for series in (
        "source:sip_ser:ratio_rate5m",
        "source:sip_seer:ratio_rate5m",
        "source:sip_isa:ratio_rate5m",
        "source:sip_failed_responses:rate5m",
    ):
        assert series in text


def test_transactions_dashboard_draws_what_the_transaction_alerts_evaluate() -> None:
    text = " ".join(expr for _, expr in queries(load_dashboard("sip-transactions.json")))
    for threshold in ("invite_srd_p95_seconds", "transaction_timeout_ratio"):
        assert f"sip:alert_threshold:{threshold}" in threshold_lines("sip-transactions.json")
    for series in (
        "source_direction:sip_srd_seconds:p95_rate5m",
        "source_direction:sip_srd_seconds:median6h_p95_rate5m",
        "sip:alert_threshold:invite_srd_baseline_factor",
        "source_direction_method:sip_transaction_timeout:ratio_rate5m",
    ):
        assert series in text


def test_transactions_dashboard_shows_every_transaction_metric() -> None:
    text = " ".join(expr for _, expr in queries(load_dashboard("sip-transactions.json")))
    for metric in (
        "sip_response_duration_seconds",
        "sip_session_request_delay_seconds",
        "sip_session_duration_seconds",
        "sip_transaction_timeouts_total",
        "sip_retransmissions_total",
        "sip_peer_responses_total",
        "sip_peer_top_failures",
        "source_direction:sip_sdd_seconds:p95_rate5m",
    ):
        assert metric in text, metric


def test_transactions_dashboard_lists_the_top_failing_peers_as_a_table_of_now() -> None:
    dashboard = load_dashboard("sip-transactions.json")
    table = next(p for p in panels(dashboard) if p["title"] == "Top failing peers")
    (target,) = table["targets"]
    assert "sip_peer_top_failures" in target["expr"]
    assert target["instant"] and target["format"] == "table"


def test_health_dashboard_shows_the_transaction_tracking_of_the_exporter() -> None:
    text = " ".join(expr for _, expr in queries(load_dashboard("sip-exporter-health.json")))
    for metric in (
        "sip_exporter_open_transactions",
        "sip_exporter_open_sessions",
        "sip_exporter_tracking_evictions_total",
        "sip_exporter_unmatched_total",
    ):
        assert metric in text, metric


def test_code_explainer_shows_explanations_in_the_language_of_the_lang_variable() -> None:
    dashboard = load_dashboard("sip-codes.json")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert {option["value"] for option in variables["lang"]["options"]} == {"zh", "en"}
    assert variables["profile"]["definition"] == "label_values(sip_response_code_info, profile)"
    table = next(p for p in panels(dashboard) if p["title"] == "Codes seen in the time range")
    expr = table["targets"][0]["expr"]
    assert '"user", "$1", "user_$lang"' in expr
    assert '"engineer", "$1", "engineer_$lang"' in expr
    catalog = 'sip_response_code_info{site=~"$site", job=~"$job", instance=~"$instance", '
    assert catalog + 'profile="$profile"}' in expr
    assert table["targets"][0]["instant"] and table["targets"][0]["format"] == "table"


def test_dashboard_provisioning_reads_the_dashboards_from_files() -> None:
    document = yaml.safe_load((PROVISIONING / "dashboards" / "sip-log-exporter.yml").read_text())
    assert document["apiVersion"] == 1
    (provider,) = document["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]


def test_datasource_provisioning_defines_a_prometheus() -> None:
    document = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    assert document["apiVersion"] == 1
    assert [source["type"] for source in document["datasources"]] == ["prometheus"]
