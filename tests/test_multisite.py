"""Many sites, proven on loopback with the real Debian binaries: every dashboard query
returns data on a site Prometheus, on a global Prometheus federating with
config/prometheus/federate.yml, and on VictoriaMetrics fed by config/prometheus/
remote-write.yml with vmalert as its ruler.

Two exporters, each following its own log that a writer thread fills with the traffic of
tests/test_prometheus_integration.py (INVITEs answered and ended, REGISTERs challenged,
keepalives, a 503 and a 408 every 4 s, retransmissions, an nvr whose queries time out);
site a also has a 503 storm from the start, so that its 503 alerts pend. Two site
Prometheus servers (external_labels site a and b, 1 s scrape and evaluation, all three
rule files) each scrape their exporter and remote-write, with the shipped relabeling and
exemplars, to VictoriaMetrics and to a Prometheus that receives remote writes and keeps
exemplars. The global Prometheus federates both sites with the shipped match[] and
evaluates thresholds.yml; vmalert evaluates thresholds.yml and alerts.yml against
VictoriaMetrics and writes back into it. The stack starts once per module.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.multisite import (
    CENTRAL_RULES,
    GLOBAL_RULES,
    RULES,
    THRESHOLDS,
    Notifications,
    Service,
    dashboard_queries,
    dashboard_variables,
    global_config,
    running,
    site_config,
    unanswered,
)
from tests.support import Exporter, free_port, running_exporter, value, wait_until
from tests.test_prometheus_integration import TIMEOUT, LogWriter

pytestmark = pytest.mark.system

SOURCE = "platform"  # the same source name at both sites
SITES = ("a", "b")
STORM_SITE = "a"
VIEWS = ("site a", "site b", "global", "victoriametrics")
# How long every dashboard query may take to return data on every view: the slowest are
# the 1-minute rates of series that reach VictoriaMetrics through two hops.
SETTLE_SECONDS = 150.0
# Federation scrapes of each site the global must have made before its rejected samples
# are read: 30 s of federation at the test's 1 s interval.
FEDERATIONS = 30
BUCKETS = 'sip_response_duration_seconds_bucket{method="INVITE"}'


@dataclass(frozen=True)
class Stack:
    views: dict[str, Service]
    receiver: Service
    vmalert: Service


def binary(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} not found on PATH (Debian: apt-get install {name})"
    return path


def threshold_names() -> list[str]:
    groups = yaml.safe_load(THRESHOLDS.read_text(encoding="utf-8"))["groups"]
    return [rule["record"] for group in groups for rule in group["rules"]]


def group_names(paths: tuple[Path, ...]) -> list[str]:
    return sorted(
        group["name"]
        for path in paths
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    )


def start_site_traffic(stack: ExitStack, folder: Path, site: str) -> Exporter:
    """A log being written and an exporter following it, stopped with `stack`."""
    (folder / "logs").mkdir(parents=True)
    writer = LogWriter(folder / "logs" / "platform.log")
    if site == STORM_SITE:
        writer.spike.set()
    writer.start()
    stack.callback(writer.join, 5)
    stack.callback(writer.stop.set)
    config = folder / "exporter.yml"
    config.write_text(
        "poll_interval: 200ms\n"
        f"transactions:\n  timeout: {TIMEOUT}\n"
        f"sources:\n  - name: {SOURCE}\n"
        f'    paths: ["{folder / "logs"}/*.log"]\n'
        "    format: sip\n    start_at: beginning\n"
    )
    return stack.enter_context(running_exporter(config))


def start_prometheus(stack: ExitStack, folder: Path, config: str, *flags: str) -> Service:
    folder.mkdir(parents=True)
    (folder / "prometheus.yml").write_text(config)
    port = free_port()
    command = [
        binary("prometheus"),
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        *flags,
    ]
    url = f"http://127.0.0.1:{port}"
    return stack.enter_context(running("prometheus", command, folder, url, "/-/ready"))


def start_victoriametrics(stack: ExitStack, folder: Path) -> Service:
    port = free_port()
    command = [
        binary("victoria-metrics"),
        f"-storageDataPath={folder / 'data'}",
        f"-httpListenAddr=127.0.0.1:{port}",
        # Samples are visible to queries as soon as they are stored, not 30 s later: the
        # test's rules and queries look at the last seconds.
        "-search.latencyOffset=0s",
    ]
    url = f"http://127.0.0.1:{port}"
    return stack.enter_context(running("victoria-metrics", command, folder, url, "/health"))


def start_vmalert(stack: ExitStack, folder: Path, storage: Service) -> Service:
    # vmalert 1.79 has no -notifier.blackhole: alerting rules need a notifier to send to.
    notifications = Notifications()
    threading.Thread(target=notifications.serve_forever, daemon=True).start()
    stack.callback(notifications.server_close)
    stack.callback(notifications.shutdown)
    port = free_port()
    command = [
        binary("vmalert"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-datasource.url={storage.url}",
        f"-remoteWrite.url={storage.url}",
        f"-notifier.url={notifications.url}",
        "-evaluationInterval=1s",
        "-remoteWrite.flushInterval=1s",
        *(f"-rule={path}" for path in CENTRAL_RULES),
    ]
    url = f"http://127.0.0.1:{port}"
    return stack.enter_context(running("vmalert", command, folder, url, "/health"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("multisite")
    secret = base / "remote-write-password"
    secret.write_text("not checked here\n")
    with ExitStack() as stack:
        exporters = {
            site: start_site_traffic(stack, base / f"exporter-{site}", site) for site in SITES
        }
        storage = start_victoriametrics(stack, base / "victoria-metrics")
        receiver = start_prometheus(
            stack,
            base / "receiver",
            yaml.safe_dump({"global": {"scrape_interval": "1s"}}),
            "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        )
        writes = [f"{storage.url}/api/v1/write", f"{receiver.url}/api/v1/write"]
        sites = {
            site: start_prometheus(
                stack,
                base / f"site-{site}",
                site_config(site, f"127.0.0.1:{exporters[site].port}", writes, secret),
                "--enable-feature=exemplar-storage",
            )
            for site in SITES
        }
        hosts = [service.url.removeprefix("http://") for service in sites.values()]
        central = start_prometheus(stack, base / "global", global_config(hosts))
        vmalert = start_vmalert(stack, base / "vmalert", storage)
        views = {"site a": sites["a"], "site b": sites["b"], "global": central}
        yield Stack({**views, "victoriametrics": storage}, receiver, vmalert)


@pytest.fixture(scope="module")
def unanswered_queries(stack: Stack) -> dict[str, list[str]]:
    """The dashboard queries without data on each view, once all have data or at the
    deadline."""
    exprs = dashboard_queries()
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        missing = {view: unanswered(stack.views[view], exprs) for view in VIEWS}
        if not any(missing.values()) or time.monotonic() > deadline:
            return missing
        time.sleep(1)


def alert_states(alerts: list[dict[str, Any]], site: str | None = None) -> dict[str, str]:
    """alertname -> state of the SIP 503 alerts among `alerts` (of `site`, if given)."""
    return {
        alert["labels"]["alertname"]: alert["state"]
        for alert in alerts
        if alert["labels"]["alertname"].startswith("SIP503")
        and (site is None or alert["labels"].get("site") == site)
    }


@pytest.mark.parametrize("view", VIEWS)
def test_every_dashboard_query_returns_data(
    unanswered_queries: dict[str, list[str]], view: str, record_property: Any
) -> None:
    total = len(dashboard_queries())
    missing = unanswered_queries[view]
    record_property("answered", f"{total - len(missing)}/{total} on {view}")
    assert not missing, f"{len(missing)}/{total} empty on {view}:\n" + "\n".join(missing)


def rejected_samples(service: Service) -> dict[str, float]:
    """What a Prometheus refused to store, by reason, counted and logged."""
    samples = service.samples()
    counted = {
        reason: value(samples, f"prometheus_target_scrapes_sample_{reason}_total")
        for reason in ("duplicate_timestamp", "out_of_order", "out_of_bounds")
    }
    # Prometheus warns "Error on ingesting samples with different value but same
    # timestamp" (or "… out-of-order samples", "… out of bounds") once per scrape.
    log = service.output().lower()
    words = ("error on ingesting", "duplicate sample", "out of order", "out-of-order")
    return counted | {word: float(log.count(word)) for word in words}


def federated_for_a_while(service: Service) -> bool:
    """Each site was federated at least FEDERATIONS times."""
    expr = f'count_over_time(up{{job="federate-sip"}}[5m]) >= {FEDERATIONS}'
    return len(service.query(expr)) == len(SITES)


@pytest.mark.parametrize("view", VIEWS)
def test_every_dashboard_variable_finds_values(
    stack: Stack, unanswered_queries: dict[str, list[str]], view: str
) -> None:
    service = stack.views[view]
    empty = [
        where
        for where, selector, label in dashboard_variables()
        # A site Prometheus has no `site` label: external_labels are added to what leaves
        # it (federation, remote write, alerts), not to what it stores.
        if not (label == "site" and view.startswith("site "))
        and not service.api(f"/api/v1/label/{label}/values", **{"match[]": selector})
    ]
    assert not empty, empty


def test_the_global_stores_no_duplicate_or_out_of_order_sample(
    stack: Stack, record_property: Any
) -> None:
    central = stack.views["global"]
    wait_until(lambda: federated_for_a_while(central), timeout=90, what="federations")
    assert central.query('up{job="federate-sip"} == 1'), "a site is not federated"
    rejected = rejected_samples(central)
    record_property("rejected", rejected)
    assert rejected == dict.fromkeys(rejected, 0.0)


def test_rules_yml_on_the_global_collides_with_what_the_sites_recorded(
    stack: Stack, tmp_path: Path, record_property: Any
) -> None:
    """Why the global does not evaluate rules.yml: its rules write the series the sites
    already recorded, and the two collide."""
    hosts = [stack.views[f"site {site}"].url.removeprefix("http://") for site in SITES]
    with ExitStack() as started:
        config = global_config(hosts, (*GLOBAL_RULES, RULES / "rules.yml"))
        central = start_prometheus(started, tmp_path / "global", config)
        wait_until(lambda: federated_for_a_while(central), timeout=90, what="federations")
        rejected = rejected_samples(central)
        record_property("rejected", rejected)
    assert rejected["duplicate_timestamp"] + rejected["out_of_order"] > 0, rejected


def test_the_global_evaluates_thresholds_only(stack: Stack) -> None:
    groups = stack.views["global"].api("/api/v1/rules")["groups"]
    assert sorted(group["name"] for group in groups) == group_names(GLOBAL_RULES)


def test_two_sites_keep_the_same_source_apart_on_the_central_views(
    stack: Stack, unanswered_queries: dict[str, list[str]]
) -> None:
    expr = f'count by (site) (source:sip_final_responses:rate5m{{source="{SOURCE}"}})'
    for view in ("global", "victoriametrics"):
        found = {series["metric"].get("site") for series in stack.views[view].query(expr)}
        assert found == set(SITES), (view, found)


@pytest.mark.parametrize("view", ["site a", "global", "victoriametrics"])
def test_each_threshold_is_one_series_where_alerts_and_dashboards_run(
    stack: Stack, unanswered_queries: dict[str, list[str]], view: str
) -> None:
    # One series, not one per site: alerts and dashboards join thresholds `on ()`.
    found = stack.views[view].query('count by (__name__) ({__name__=~"sip:alert_threshold:.*"})')
    counts = {series["metric"]["__name__"]: series["value"][1] for series in found}
    assert counts == dict.fromkeys(threshold_names(), "1")


def test_remote_write_sends_the_recorded_series_but_no_threshold_and_no_alert(
    stack: Stack, unanswered_queries: dict[str, list[str]]
) -> None:
    # The receiving Prometheus evaluates nothing: it holds exactly what the sites send.
    sent = stack.receiver.query('count by (site) ({__name__=~"source(_[a-z]+)*:sip_.*"})')
    assert {series["metric"]["site"] for series in sent} == set(SITES)
    assert stack.receiver.query('{__name__=~"sip:alert_threshold:.*|ALERTS.*"}') == []


def test_remote_write_loses_no_sample_and_no_exemplar(
    stack: Stack, unanswered_queries: dict[str, list[str]]
) -> None:
    for site in SITES:
        samples = stack.views[f"site {site}"].samples()
        assert value(samples, "prometheus_remote_storage_samples_total") > 0
        for failed in ("samples", "exemplars", "metadata"):
            assert value(samples, f"prometheus_remote_storage_{failed}_failed_total") == 0


def test_a_503_storm_makes_the_sites_503_alerts_pend_or_fire(stack: Stack) -> None:
    site = stack.views[f"site {STORM_SITE}"]
    states = wait_until(
        lambda: alert_states(site.api("/api/v1/alerts")["alerts"]),
        timeout=60,
        what="the 503 alerts of the storm's site",
    )
    assert set(states.values()) <= {"pending", "firing"}, states


def test_the_sites_alerts_reach_the_global_with_their_site(stack: Stack) -> None:
    expr = f'ALERTS{{alertname=~"SIP503.*", site="{STORM_SITE}", source="{SOURCE}"}}'
    wait_until(lambda: stack.views["global"].query(expr), timeout=60, what=expr)


def test_vmalert_loads_every_group_of_thresholds_and_alerts_without_error(
    stack: Stack, unanswered_queries: dict[str, list[str]]
) -> None:
    groups = stack.vmalert.api("/api/v1/rules")["groups"]
    assert sorted(group["name"] for group in groups) == group_names(CENTRAL_RULES)
    failing = {
        rule["name"]: rule["lastError"]
        for group in groups
        for rule in group["rules"]
        if rule.get("lastError")
    }
    assert not failing, failing


def test_vmalert_makes_the_503_alerts_of_the_storms_site_pend_or_fire(stack: Stack) -> None:
    states = wait_until(
        lambda: alert_states(stack.vmalert.api("/api/v1/alerts")["alerts"], STORM_SITE),
        timeout=60,
        what="vmalert's 503 alerts",
    )
    assert set(states.values()) <= {"pending", "firing"}, states


def exemplars(service: Service) -> list[dict[str, Any]]:
    now = time.time()
    found: list[dict[str, Any]] = service.api(
        "/api/v1/query_exemplars", query=BUCKETS, start=f"{now - 600:.3f}", end=f"{now:.3f}"
    )
    return [
        exemplar | series["seriesLabels"] for series in found for exemplar in series["exemplars"]
    ]


def test_remote_write_sends_exemplars_to_a_receiver_that_keeps_them(stack: Stack) -> None:
    kept = wait_until(lambda: exemplars(stack.receiver), timeout=60, what="exemplars")
    assert {exemplar["site"] for exemplar in kept} == set(SITES)
    assert all(exemplar["labels"]["call_id"] for exemplar in kept)


def test_victoriametrics_drops_the_exemplars_it_is_sent(stack: Stack) -> None:
    # Sent (the site counts them, and the receiving Prometheus has them), with their
    # series, yet VictoriaMetrics 1.79 answers the exemplar API with nothing.
    wait_until(lambda: exemplars(stack.receiver), timeout=60, what="exemplars")
    storage = stack.views["victoriametrics"]
    site = stack.views[f"site {STORM_SITE}"]
    sent = value(
        site.samples(),
        "prometheus_remote_storage_exemplars_total",
        url=f"{storage.url}/api/v1/write",
    )
    assert sent > 0
    assert storage.query(BUCKETS)
    assert exemplars(storage) == []
