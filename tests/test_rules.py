"""The Prometheus rules in config/prometheus: promtool accepts them, their unit tests pass,
and those unit tests show every alert firing and staying quiet on steady traffic, on low
traffic and across a counter reset. Also the conventions every alert keeps (for, severity,
summary, description quoting the catalog, a runbook section in docs/runbooks.md, a
dashboard link to a shipped dashboard) and the one-place thresholds design.

promtool is required: without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.catalog import Catalog
from exporter.data import builtin_catalog_text

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "config" / "prometheus"
THRESHOLDS = RULES / "thresholds.yml"
RECORDING = RULES / "rules.yml"
ALERTS = RULES / "alerts.yml"
RULE_FILES = (THRESHOLDS, RECORDING, ALERTS)
UNIT_TESTS = tuple(sorted((RULES / "tests").glob("*.yml")))
README = RULES / "README.md"
RUNBOOKS = REPO / "docs" / "runbooks.md"
DASHBOARDS = REPO / "grafana" / "dashboards"
# The one base of every runbook_url and dashboard_url: a site replaces each string once.
RUNBOOK_BASE = "https://github.com/OWNER/sip-log-exporter/blob/main/docs/runbooks.md"
GRAFANA_BASE = "https://grafana.example.com"
# The profile whose texts the code alerts quote (as their descriptions do).
PROFILE = "gb28181-platform"

# The quiet cases every alert needs, by the prefix of the promtool test group's name.
QUIET_KINDS = ("steady traffic", "low traffic", "counter reset")
THRESHOLD_PREFIX = "sip:alert_threshold:"


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary is not None, "promtool not found on PATH (Debian: apt-get install prometheus)"
    return subprocess.run(
        [binary, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path}: not a YAML mapping"
    return document


def rules_of(path: Path) -> list[dict[str, Any]]:
    return [rule for group in load(path)["groups"] for rule in group["rules"]]


@cache
def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules_of(ALERTS)}


@cache
def code_alerts() -> tuple[str, ...]:
    """The alerts about SIP codes (the first group); the second is about the exporter."""
    first_group = load(ALERTS)["groups"][0]["rules"]
    return tuple(rule["alert"] for rule in first_group)


def thresholds() -> set[str]:
    return {rule["record"] for rule in rules_of(THRESHOLDS)}


def recording_rules() -> set[str]:
    return {rule["record"] for rule in rules_of(RECORDING)}


def alert_cases() -> list[tuple[str, str, list[Any]]]:
    """(test group name, alert name, expected alerts) of every alert_rule_test."""
    return [
        (group.get("name", ""), case["alertname"], case.get("exp_alerts") or [])
        for path in UNIT_TESTS
        for group in load(path)["tests"]
        for case in group.get("alert_rule_test") or []
    ]


@pytest.mark.system
def test_promtool_check_rules_accepts_every_rule_file() -> None:
    result = promtool("check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.system
def test_promtool_unit_tests_pass() -> None:
    assert UNIT_TESTS, "no promtool unit tests in config/prometheus/tests"
    result = promtool("test", "rules", *UNIT_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_load_the_shipped_rule_files_not_copies() -> None:
    for path in UNIT_TESTS:
        loaded = {(path.parent / name).resolve() for name in load(path)["rule_files"]}
        assert loaded <= set(RULE_FILES), f"{path.name} loads {loaded - set(RULE_FILES)}"


@pytest.mark.system  # slow
def test_unit_tests_evaluate_recording_rules_before_the_alerts_that_read_them() -> None:
    # Without group_eval_order promtool runs the groups in random order, and an alert's
    # `for:` would start one evaluation late now and then: a flaky test.
    for path in UNIT_TESTS:
        order = load(path).get("group_eval_order") or []
        loaded = [
            group["name"]
            for name in load(path)["rule_files"]
            for group in load(path.parent / name)["groups"]
        ]
        assert sorted(order) == sorted(loaded), f"{path.name}: group_eval_order"
        alerting = [i for i, name in enumerate(order) if name.endswith(".alerts")]
        assert all(i >= len(order) - len(alerting) for i in alerting), path.name


def test_every_unit_test_case_is_named_for_what_it_proves() -> None:
    for path in UNIT_TESTS:
        for group in load(path)["tests"]:
            assert len(group.get("name", "")) > 20, f"{path.name}: unnamed or terse test case"


@pytest.mark.system
@pytest.mark.parametrize("alert", sorted(alerts()))
def test_alert_fires_in_a_unit_test(alert: str) -> None:
    firing = [group for group, name, expected in alert_cases() if name == alert and expected]
    assert firing, f"no promtool test case shows {alert} firing"


@pytest.mark.system
@pytest.mark.parametrize("kind", QUIET_KINDS)
@pytest.mark.parametrize("alert", sorted(alerts()))
def test_alert_stays_quiet_in_a_unit_test_of_each_kind(alert: str, kind: str) -> None:
    quiet = [
        group
        for group, name, expected in alert_cases()
        if name == alert and not expected and group.startswith(kind)
    ]
    assert quiet, f"no promtool test case named '{kind}: …' shows {alert} quiet"


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_alert_has_for_severity_summary_and_description(alert: str) -> None:
    rule = alerts()[alert]
    assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), "needs a `for:` duration"
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"].strip()
    assert "Check first:" in rule["annotations"]["description"]


@pytest.mark.parametrize("alert", code_alerts())
def test_code_alert_description_quotes_the_catalog_for_users_and_engineers_in_zh_and_en(
    alert: str,
) -> None:
    description = alerts()[alert]["annotations"]["description"]
    assert "sip_response_code_info{code=" in description
    for label in ("user_zh", "user_en", "engineer_zh", "engineer_en"):
        assert f".Labels.{label}" in description, f"{alert} does not show {label}"


@pytest.mark.parametrize("alert", code_alerts())
def test_code_alert_says_what_to_check_first_in_the_catalogs_words(alert: str) -> None:
    """One source for both: each code the alert selects brings the catalog's check_first
    (gb28181-platform, the profile the alerts quote), zh and en, as `explain CODE` shows."""
    rule = alerts()[alert]
    catalog = Catalog.from_yaml(builtin_catalog_text())
    selected = re.search(r'code=~?"([^"]+)"', rule["expr"])
    assert selected, f"{alert} selects no code"
    for code in selected.group(1).split("|"):
        info = catalog.lookup(code, "gb28181-platform")
        assert info is not None and info.check_first is not None, code
        lines = rule["annotations"]["description"].splitlines()
        assert f"先查: {info.check_first.zh}" in lines, code
        assert f"Check first: {info.check_first.en}" in lines, code


def transaction_alerts() -> tuple[str, ...]:
    (group,) = [g for g in load(ALERTS)["groups"] if g["name"] == "sip-transactions.alerts"]
    return tuple(rule["alert"] for rule in group["rules"])


@pytest.mark.parametrize("alert", transaction_alerts())
def test_transaction_alert_waits_twice_its_5_minute_window_so_one_burst_cannot_fire(
    alert: str,
) -> None:
    rule = alerts()[alert]
    # The windows of the rates it reads (its baseline, a median over 6 hours, is not one).
    windows = set(re.findall(r"rate(\d+[mh])\b", rule["expr"]))
    assert windows == {"5m"}, windows
    assert rule["for"] == "10m"


def test_every_threshold_is_compared_against_by_some_alert() -> None:
    used = {name for rule in alerts().values() for name in threshold_references(rule["expr"])}
    unused = thresholds() - used
    assert not unused, f"thresholds no alert reads: {sorted(unused)}"


@pytest.mark.parametrize("alert", sorted(set(alerts()) - {"SIPAlertThresholdsMissing"}))
def test_alert_reads_only_thresholds_that_exist(alert: str) -> None:
    assert threshold_references(alerts()[alert]["expr"]) <= thresholds()


def test_thresholds_missing_alert_watches_every_threshold() -> None:
    expr = alerts()["SIPAlertThresholdsMissing"]["expr"]
    assert threshold_references(expr) == thresholds()


def test_thresholds_are_constants_in_one_group() -> None:
    groups = load(THRESHOLDS)["groups"]
    assert len(groups) == 1
    for rule in groups[0]["rules"]:
        assert rule["record"].startswith(THRESHOLD_PREFIX)
        assert re.fullmatch(r"vector\([0-9.]+\)", rule["expr"].strip()), rule["record"]


@pytest.mark.parametrize(
    "name",
    sorted(recording_rules() | thresholds() | set(alerts())),
)
def test_readme_documents_rule(name: str) -> None:
    assert f"`{name}`" in README.read_text(encoding="utf-8")


def threshold_references(expr: str) -> set[str]:
    return set(re.findall(re.escape(THRESHOLD_PREFIX) + r"[a-z0-9_]+", expr))


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and GitLab, Gitea) gives a Markdown heading."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


@cache
def runbook_sections() -> dict[str, str]:
    """The runbook's `## ` sections: heading to text."""
    parts = re.split(r"^## (.+)$", RUNBOOKS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_alert_links_its_runbook_section_under_the_one_runbook_base(alert: str) -> None:
    base, _, anchor = alerts()[alert]["annotations"]["runbook_url"].partition("#")
    assert base == RUNBOOK_BASE
    assert alert in runbook_sections(), f"docs/runbooks.md has no section '## {alert}'"
    assert anchor == github_anchor(alert)


def test_every_runbook_section_is_an_alert() -> None:
    assert sorted(runbook_sections()) == sorted(alerts())


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_runbook_section_says_what_it_means_what_to_check_and_how_to_silence(alert: str) -> None:
    text = runbook_sections()[alert]
    for part in ("**What it means.**", "**Check first.**", "**Silence it.**"):
        assert part in text, f"{alert}: no {part}"
    assert f'alertname="{alert}"' in text, "the silence does not match the alert"


def alert_codes(alert: str) -> list[str]:
    """The SIP codes a code alert selects (`code="503"`, `code=~"431|434|499"`)."""
    found = re.search(r'code=~?"([^"]+)"', str(alerts()[alert]["expr"]))
    assert found, f"{alert} selects no code"
    return found.group(1).split("|")


@pytest.mark.parametrize("alert", code_alerts())
def test_code_alert_runbook_quotes_the_catalog_for_users_and_engineers_in_zh_and_en(
    alert: str,
) -> None:
    catalog = Catalog.from_yaml(builtin_catalog_text())
    text = runbook_sections()[alert]
    for code in alert_codes(alert):
        info = catalog.lookup(code, PROFILE)
        assert info is not None, code
        for said in (info.user.zh, info.user.en, info.engineer.zh, info.engineer.en):
            assert said.strip() in text, f"{alert}: the catalog's text for {code} missing"


def dashboard_uids() -> set[str]:
    return {json.loads(path.read_text())["uid"] for path in DASHBOARDS.glob("*.json")}


@pytest.mark.parametrize(
    "alert", sorted(a for a, rule in alerts().items() if "dashboard_url" in rule["annotations"])
)
def test_dashboard_url_opens_a_shipped_dashboard_under_the_one_grafana_base(alert: str) -> None:
    url = alerts()[alert]["annotations"]["dashboard_url"]
    found = re.fullmatch(re.escape(GRAFANA_BASE) + r"/d/([\w-]+)(\?var-source=.*)?", url)
    assert found, url
    assert found.group(1) in dashboard_uids()


def test_every_alert_about_a_source_opens_its_dashboard_on_that_source() -> None:
    for alert, rule in alerts().items():
        url = rule["annotations"].get("dashboard_url", "")
        if "$labels.source" in rule["annotations"]["description"] and url:
            assert url.endswith("?var-source={{ $labels.source | urlquery }}"), alert
