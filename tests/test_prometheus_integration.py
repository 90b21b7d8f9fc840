"""End to end: the shipped rules and dashboards against a real Prometheus scraping a real
exporter that follows a log being written now.

A writer thread appends wvp-GB28181-pro style SIP message dumps every 100 ms, each stamped
with the time it is written and belonging to a whole transaction (Call-ID, CSeq, Via branch
shared by a request and its responses) between the platform and GB/T 28181 devices (cameras,
an ipc, a dvr, an nvr that never answers). A steady phase of about 70 final responses a
second, mostly 200, with 408 and 503 each at 0.25/s (below every threshold); INVITEs answered
200 ms later, ACKed, and ended by a BYE 2 s later (sessions); a retransmitted INVITE and 200
now and then; a query to the offline nvr every 5 s that times out (the exporter's
`transactions.timeout` is 2 s here); then, when a test asks for it, a 503 spike of 80/s. A
Prometheus with a 1 s scrape and evaluation interval loads config/prometheus/{thresholds,
rules,alerts}.yml unchanged: the 503 spike alerts have `for: 1m`, so they fire about a
minute after the spike starts and the whole module runs in well under two minutes.

The stack is started once per module. Facts about the steady phase are read from
Prometheus' history (the ALERTS series over the steady window), so the tests do not
depend on their order. prometheus and promtool are required: without them these tests
fail, they do not skip.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.sipmsg import Transaction
from tests.support import (
    Exporter,
    free_port,
    running_exporter,
    stop_process,
    value,
    wait_until,
)
from tests.test_dashboards import (
    PROMETHEUS_SERIES,
    UIDS,
    load_dashboard,
    metric_names,
    queries,
    recorded_names,
    substitute,
    variable_queries,
)

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "config" / "prometheus"
RULE_FILES = (RULES / "thresholds.yml", RULES / "rules.yml", RULES / "alerts.yml")
JOB = "sip-log-exporter"
SOURCE = "platform"
SPIKE_ALERTS = ("SIP503SpikeRatio", "SIP503SpikeRate")
# How long Prometheus must evaluate the rules on steady traffic, after warm-up, with no
# alert even pending. The spike alerts would pend at the first evaluation that sees them.
STEADY_SECONDS = 20.0
# The spike alerts' `for: 1m`, plus the scrapes and evaluations it takes to see the spike.
SPIKE_TIMEOUT = 90.0


# The platform's peers: 20-digit GB/T 28181 IDs whose digits 11-13 name the device type.
CAMERAS = ("34020000001310000001", "34020000001310000002")
IPC = "34020000001320000001"
DVR = "34020000001110000001"
OFFLINE_NVR = "34020000001180000001"
PEER_TYPES = {**dict.fromkeys(CAMERAS, "camera"), IPC: "ipc", DVR: "dvr", OFFLINE_NVR: "nvr"}
# The exporter's transaction timeout: the nvr's queries time out 2 s after they are logged.
TIMEOUT = "2s"

Render = Callable[[datetime], str]


class LogWriter(threading.Thread):
    """Appends the SIP messages due every 100 ms (a tick) until stopped.

    A transaction started at one tick schedules its later messages (a response 200 ms
    later, a BYE 2 s later) for later ticks; each message is stamped with the time of the
    tick that writes it, so the times in the log are the times of writing.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(name="log-writer", daemon=True)
        self.path = path
        self.spike = threading.Event()
        self.stop = threading.Event()
        self.ticks = 0
        self.due: defaultdict[int, list[Render]] = defaultdict(list)

    def run(self) -> None:
        with self.path.open("a", encoding="utf-8", newline="") as log:
            while not self.stop.is_set():
                log.write(self.batch(self.ticks, datetime.now()))
                log.flush()
                self.ticks += 1
                self.stop.wait(0.1)

    def batch(self, tick: int, now: datetime) -> str:
        def at(delay: int, *renders: Render) -> None:
            self.due[tick + delay].extend(renders)

        # Per tick, 7 final responses: 2 keepalives the platform answers at once, a query
        # a dvr answers 100 ms later, an INVITE and the BYE of an earlier one, a REGISTER
        # challenged 401 and one answered 200.
        for peer in (CAMERAS[tick % 2], IPC):
            keepalive = Transaction("MESSAGE", peer, "in")
            at(0, keepalive.request, partial(keepalive.response, 200))
        query = Transaction("MESSAGE", DVR, "out")
        at(0, query.request)
        at(1, partial(query.response, 200))
        self.live_view(at, CAMERAS[tick % 2], retransmitted=tick % 20 == 10)
        register = Transaction("REGISTER", IPC, "in")
        again = register.in_dialog("REGISTER")
        at(0, register.request, partial(register.response, 401))
        at(0, again.request, partial(again.response, 200))
        # One 503 and one 408 every 4 seconds: 0.25/s each, under 0.5 % of final responses.
        if tick % 40 == 0:
            self.refused(at, IPC, 503)
        if tick % 40 == 20:
            self.refused(at, DVR, 408)
        # Every 5 seconds a query to the nvr, which never answers: it times out.
        if tick % 50 == 25:
            at(0, Transaction("MESSAGE", OFFLINE_NVR, "out").request)
        # Once, at the start: one of each code the dashboards show on their own, and an
        # answer to a keepalive whose request was written before the log began.
        if tick == 0:
            for code in (301, 403, 431, 433, 434, 499, 480, 486, 487):
                self.refused(at, CAMERAS[0], code)
            at(0, partial(Transaction("MESSAGE", IPC, "in").response, 200))
        if self.spike.is_set():
            for _ in range(8):
                self.refused(at, IPC, 503, delay=0)
        return "".join(render(now) for render in self.due.pop(tick, []))

    @staticmethod
    def live_view(at: Callable[..., None], camera: str, *, retransmitted: bool) -> None:
        """An INVITE the camera answers 200 ms later, ACKed, and its BYE 2 s later. When
        `retransmitted`, the INVITE is sent again after T1 (500 ms) before the camera
        answers, and its 200 again because the first ACK was lost."""
        invite = Transaction("INVITE", camera, "out")
        bye = invite.in_dialog("BYE")
        ack = partial(invite.ack, answered=True)
        if retransmitted:
            at(0, invite.request)
            at(5, invite.request, partial(invite.response, 100))
            at(6, partial(invite.response, 200))
            at(7, partial(invite.response, 200), ack)
            at(27, partial(bye.request, in_dialog=True))
            at(28, partial(bye.response, 200))
        else:
            at(0, invite.request, partial(invite.response, 100))
            at(2, partial(invite.response, 200), ack)
            at(22, partial(bye.request, in_dialog=True))
            at(23, partial(bye.response, 200))

    @staticmethod
    def refused(at: Callable[..., None], peer: str, code: int, delay: int = 1) -> None:
        """An INVITE the peer answers with a failure `delay` ticks later, then its ACK."""
        invite = Transaction("INVITE", peer, "out")
        at(0, invite.request)
        at(delay, partial(invite.response, code), partial(invite.ack, answered=False))


@dataclass
class Prometheus:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def api(self, path: str, **params: str) -> Any:
        """The `data` of a Prometheus HTTP API answer; fails with Prometheus' error."""
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as answer:
                body = json.load(answer)
        except urllib.error.HTTPError as error:
            body = json.load(error)
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        result: list[dict[str, Any]] = self.api("/api/v1/query", **params)["result"]
        return result

    def rules(self) -> list[dict[str, Any]]:
        return [rule for group in self.rule_groups() for rule in group["rules"]]

    def rule_groups(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = self.api("/api/v1/rules")["groups"]
        return groups

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = self.api("/api/v1/alerts")["alerts"]
        return alerts

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@dataclass
class Stack:
    exporter: Exporter
    prometheus: Prometheus
    writer: LogWriter
    steady_start: float
    steady_end: float


def binary(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} not found on PATH (Debian: apt-get install prometheus)"
    return path


def rule_names() -> set[str]:
    names = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {rule.get("record") or rule["alert"] for rule in group["rules"]}
    return names


def alert_rules() -> dict[str, str]:
    document = yaml.safe_load((RULES / "alerts.yml").read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for g in document["groups"] for rule in g["rules"]}


def exposed_names(exposition: str) -> set[str]:
    """Metric names in an exposition, counters with and without their _total."""
    names = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        if family.type == "counter":
            names.add(family.name + "_total")
        names |= {sample.name for sample in family.samples}
    return names


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus_binary = binary("prometheus")
    base = tmp_path_factory.mktemp("integration")
    (base / "logs").mkdir()
    writer = LogWriter(base / "logs" / "platform.log")
    writer.start()
    config = base / "exporter.yml"
    config.write_text(
        "poll_interval: 200ms\n"
        f"transactions:\n  timeout: {TIMEOUT}\n"
        "sources:\n"
        f"  - name: {SOURCE}\n"
        f'    paths: ["{base / "logs"}/*.log"]\n'
        "    format: sip\n"
        "    start_at: beginning\n"
    )
    # A web config without TLS or users, so that its self-metric, which an alert reads, is
    # served as the others are.
    web = base / "web.yml"
    web.write_text("http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n")
    try:
        with (
            running_exporter(config, f"--web.config.file={web}") as exporter,
            running_prometheus(prometheus_binary, base, exporter.port) as prometheus,
        ):
            steady_start = wait_for_warm_up(prometheus)
            steady_end = wait_for_evaluations_after(prometheus, steady_start + STEADY_SECONDS)
            yield Stack(exporter, prometheus, writer, steady_start, steady_end)
    finally:
        writer.stop.set()
        writer.join(timeout=5)


@pytest.fixture(scope="module")
def spiked(stack: Stack) -> Stack:
    """The stack after a 503 spike, once both 503 spike alerts fire."""
    stack.writer.spike.set()

    def firing() -> bool:
        states = {a["labels"]["alertname"]: a["state"] for a in stack.prometheus.alerts()}
        return all(states.get(name) == "firing" for name in SPIKE_ALERTS)

    wait_until(firing, timeout=SPIKE_TIMEOUT, what=f"{SPIKE_ALERTS} to fire")
    return stack


@contextmanager
def running_prometheus(
    prometheus_binary: str, base: Path, exporter_port: int
) -> Iterator[Prometheus]:
    """A real Prometheus scraping the exporter every second, with the shipped rules."""
    config = base / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(path) for path in RULE_FILES],
                "scrape_configs": [
                    {
                        "job_name": JOB,
                        "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
                    }
                ],
            }
        )
    )
    port = free_port()
    log_path = base / "prometheus.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            [
                prometheus_binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={base / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                # Exemplars are kept only with this: the dashboards' exemplar panel needs it.
                "--enable-feature=exemplar-storage",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    prometheus = Prometheus(process, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_until(
            lambda: prometheus.ready() or process.poll() is not None,
            timeout=30,
            what="Prometheus to be ready",
        )
        assert process.poll() is None, f"Prometheus exited:\n{prometheus.output()}"
        yield prometheus
    finally:
        stop_process(process)


def wait_for_warm_up(prometheus: Prometheus) -> float:
    """Wait until every recording rule has data; return the time it was seen."""
    records = sorted(recorded_names())

    def warm() -> bool:
        return all(prometheus.query(name) for name in records)

    wait_until(warm, timeout=30, what="every recording rule to have data")
    return time.time()


def wait_for_evaluations_after(prometheus: Prometheus, moment: float) -> float:
    """Wait until every rule group was evaluated after `moment`; return when that was."""

    def evaluated() -> float | None:
        times = [evaluation_time(group) for group in prometheus.rule_groups()]
        return min(times) if min(times) > moment else None

    return wait_until(
        evaluated, timeout=STEADY_SECONDS + 30, what="rule evaluations on steady traffic"
    )


def evaluation_time(group: dict[str, Any]) -> float:
    """A rule group's lastEvaluation as unix time (0 before the first evaluation)."""
    # RFC 3339 with nanoseconds, which datetime cannot read: keep microseconds.
    match = re.fullmatch(
        r"(\d{4}-.+T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)",
        str(group.get("lastEvaluation", "")),
    )
    assert match, group.get("lastEvaluation")
    seconds, fraction, zone = match.groups()
    moment = datetime.fromisoformat(f"{seconds}.{(fraction or '0')[:6]:0<6}{zone}")
    return max(moment.timestamp(), 0.0)


def dashboard_queries() -> list[Any]:
    return [
        pytest.param(expr, id=f"{name}:{title}")
        for name in sorted(UIDS)
        for title, expr in queries(load_dashboard(name))
    ]


def dashboard_variables() -> list[Any]:
    return [
        pytest.param(selector, label, id=f"{name}:{label}")
        for name in sorted(UIDS)
        for selector, label in variable_queries(load_dashboard(name))
    ]


def test_prometheus_loads_every_shipped_rule(stack: Stack) -> None:
    loaded = {rule["name"] for rule in stack.prometheus.rules()}
    assert loaded == rule_names()


def test_every_rule_evaluates_without_error(stack: Stack) -> None:
    failing = {
        rule["name"]: rule.get("lastError")
        for rule in stack.prometheus.rules()
        if rule["health"] != "ok"
    }
    assert not failing, failing


@pytest.mark.parametrize("record", sorted(recorded_names()))
def test_recording_rule_returns_data(stack: Stack, record: str) -> None:
    assert stack.prometheus.query(record), f"{record} has no data"


@pytest.mark.parametrize("alert", sorted(alert_rules()))
def test_alert_expression_is_valid_promql(stack: Stack, alert: str) -> None:
    # An alert expression returns data only while its condition holds: the steady and
    # spike tests below check when it does. Here Prometheus must accept and run it.
    stack.prometheus.query(alert_rules()[alert])


@pytest.mark.parametrize("expr", dashboard_queries())
def test_dashboard_query_returns_data(stack: Stack, expr: str) -> None:
    assert stack.prometheus.query(substitute(expr)), f"no data for {substitute(expr)}"


@pytest.mark.parametrize(("selector", "label"), dashboard_variables())
def test_dashboard_variable_finds_values(stack: Stack, selector: str, label: str) -> None:
    values = stack.prometheus.api(
        f"/api/v1/label/{label}/values", **{"match[]": substitute(selector)}
    )
    if label == "site":
        # An external label: a site's own Prometheus never shows it, and "All" (`.*`)
        # matches its absence. Federation and remote write add it.
        assert values == [], values
        return
    expected = {
        "source": SOURCE,
        "job": JOB,
        "instance": f"127.0.0.1:{stack.exporter.port}",
        "profile": "gb28181-platform",
    }[label]
    assert expected in values


def test_every_metric_the_dashboards_and_rules_read_is_exposed_by_the_exporter(
    stack: Stack,
) -> None:
    exprs = [expr for name in sorted(UIDS) for _, expr in queries(load_dashboard(name))]
    exprs += list(alert_rules().values())
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            exprs += [rule["expr"] for rule in group["rules"]]
    read = {metric for expr in exprs for metric in metric_names(expr)}
    raw = read - recorded_names() - PROMETHEUS_SERIES
    missing = raw - exposed_names(stack.exporter.metrics_text())
    assert not missing, f"not in the exporter's exposition: {sorted(missing)}"


def test_no_alert_is_pending_or_firing_during_steady_traffic(stack: Stack) -> None:
    window = math.floor(stack.steady_end - stack.steady_start)
    assert window >= STEADY_SECONDS
    seen = stack.prometheus.query(f"count_over_time(ALERTS[{window}s])", at=stack.steady_end)
    assert not seen, [alert["metric"] for alert in seen]


def test_steady_traffic_really_flowed(stack: Stack) -> None:
    rates = stack.prometheus.query(
        f'source:sip_final_responses:rate2m{{source="{SOURCE}"}}', at=stack.steady_end
    )
    assert rates and float(rates[0]["value"][1]) > 0, rates


def test_invite_setup_is_timed_by_the_log(stack: Stack) -> None:
    # The cameras answer 200 two ticks (200 ms) after the INVITE, one in twenty after a
    # retransmission (600 ms): the p95 lies between the buckets around those times.
    p95 = stack.prometheus.query(
        f'source_direction:sip_srd_seconds:p95_rate5m{{source="{SOURCE}", direction="out"}}',
        at=stack.steady_end,
    )
    assert p95 and 0.1 < float(p95[0]["value"][1]) < 1.0, p95


def test_only_the_unanswered_queries_time_out(stack: Stack) -> None:
    # Everything else is answered well within the 2 s timeout, and ACK is never answered
    # by design: it must not count as a timeout.
    samples = stack.exporter.scrape()
    timed_out = {
        (labels["method"], labels["direction"])
        for (name, pairs), count in samples.items()
        if name == "sip_transaction_timeouts_total" and count > 0
        for labels in [dict(pairs)]
    }
    assert timed_out == {("MESSAGE", "out")}


def test_peer_types_name_the_devices_on_the_other_side(stack: Stack) -> None:
    # The platform's own ID (type 200, sip_server) is in every message too; the peer is
    # the device. The nvr never answers, so it has no responses.
    samples = stack.exporter.scrape()
    seen = {
        dict(pairs)["peer_type"]
        for (name, pairs), count in samples.items()
        if name == "sip_peer_responses_total" and count > 0
    }
    assert seen == {"camera", "ipc", "dvr"}


def test_top_failing_peers_are_failing_devices_with_their_types(stack: Stack) -> None:
    samples = stack.exporter.scrape()
    peers = {
        dict(pairs)["peer"]: dict(pairs)["peer_type"]
        for (name, pairs), count in samples.items()
        if name == "sip_peer_top_failures" and count > 0
    }
    assert peers
    assert all(PEER_TYPES.get(peer) == peer_type for peer, peer_type in peers.items()), peers


def test_sessions_retransmissions_and_unmatched_answers_are_counted(stack: Stack) -> None:
    samples = stack.exporter.scrape()
    assert value(samples, "sip_session_duration_seconds_count", source=SOURCE) > 0
    assert value(samples, "sip_exporter_open_sessions", source=SOURCE) > 0
    for kind in ("request", "response"):
        assert value(samples, "sip_retransmissions_total", method="INVITE", kind=kind) > 0
    # The answer to a keepalive written before the log began.
    assert value(samples, "sip_exporter_unmatched_total", reason="no_request") >= 1


def test_a_503_spike_fires_both_503_spike_alerts(spiked: Stack) -> None:
    firing = {
        alert["labels"]["alertname"]: alert
        for alert in spiked.prometheus.alerts()
        if alert["state"] == "firing"
    }
    for name in SPIKE_ALERTS:
        labels = firing[name]["labels"]
        assert (labels["source"], labels["code"], labels["severity"]) == (
            SOURCE,
            "503",
            "critical",
        )


def test_the_503_alert_quotes_the_exporters_catalog_in_zh_and_en(spiked: Stack) -> None:
    catalog = next(
        sample.labels
        for family in text_string_to_metric_families(spiked.exporter.metrics_text())
        for sample in family.samples
        if sample.name == "sip_response_code_info"
        and sample.labels["code"] == "503"
        and sample.labels["profile"] == "gb28181-platform"
    )
    alert = next(
        a for a in spiked.prometheus.alerts() if a["labels"]["alertname"] == "SIP503SpikeRatio"
    )
    description = alert["annotations"]["description"]
    for label in ("user_zh", "user_en", "engineer_zh", "engineer_en"):
        assert catalog[label] in description, label


def test_prometheus_keeps_the_call_ids_of_response_time_exemplars(stack: Stack) -> None:
    """Prometheus scrapes OpenMetrics and stores each bucket's exemplar: the Call-ID that
    the dashboards' exemplar panel shows for a slow bucket."""

    def exemplars() -> list[dict[str, Any]]:
        now = time.time()
        found: list[dict[str, Any]] = stack.prometheus.api(
            "/api/v1/query_exemplars",
            query='sip_response_duration_seconds_bucket{method="INVITE"}',
            start=f"{now - 600:.3f}",
            end=f"{now:.3f}",
        )
        return found

    series = wait_until(exemplars, timeout=30, what="exemplars of INVITE response times")
    kept = [exemplar for found in series for exemplar in found["exemplars"]]
    assert kept
    for exemplar in kept:
        # The feed's Call-IDs: 32 hex digits at the sender's address.
        assert re.fullmatch(r"[0-9a-f]{32}@[\d.]+", exemplar["labels"]["call_id"]), exemplar
        assert 0 <= float(exemplar["value"]) <= 32
