"""The pieces of the multi-site test (tests/test_multisite.py): real processes on loopback
(Prometheus, VictoriaMetrics, vmalert) and their HTTP APIs, the Prometheus configs built
from the shipped snippets federate.yml and remote-write.yml with only targets, URLs and
intervals replaced, a stand-in Alertmanager that keeps what vmalert sends, and the
dashboards' queries with Grafana's variables replaced as Grafana would for "All".

Which rule file goes where (config/prometheus/README.md, "Many sites"): the sites evaluate
all three; the global Prometheus evaluates thresholds.yml only; vmalert, the central ruler
of the remote-write path, evaluates thresholds.yml and alerts.yml.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.support import Samples, parse_samples, stop_process, wait_until
from tests.test_dashboards import UIDS, VARIABLES, load_dashboard, queries, variable_queries

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "config" / "prometheus"
FEDERATE = RULES / "federate.yml"
REMOTE_WRITE = RULES / "remote-write.yml"
THRESHOLDS = RULES / "thresholds.yml"
SITE_RULES = (THRESHOLDS, RULES / "rules.yml", RULES / "alerts.yml")
GLOBAL_RULES = (THRESHOLDS,)
CENTRAL_RULES = (THRESHOLDS, RULES / "alerts.yml")
JOB = "sip-log-exporter"
INTERVAL = "1s"
# Grafana's own variables, at what a dashboard of the last hour would give them.
BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "5m",
    "__range_s": "300",
    "__range_ms": "300000",
}


@dataclass(frozen=True)
class Service:
    """A running server with a Prometheus-style HTTP API (Prometheus, VictoriaMetrics,
    vmalert), and the file its output goes to."""

    name: str
    url: str
    log_path: Path

    def get(self, path: str, **params: str) -> tuple[int, str]:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()

    def api(self, path: str, **params: str) -> Any:
        """The `data` of an API answer; fails with the server's error."""
        status, body = self.get(path, **params)
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", f"{self.name} {path}: {body}"
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("/api/v1/query", query=expr)["result"]
        return result

    def samples(self) -> Samples:
        """The server's own metrics."""
        status, body = self.get("/metrics")
        assert status == 200, body
        return parse_samples(body)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def healthy(self, path: str) -> bool:
        try:
            return self.get(path)[0] == 200
        except OSError:
            return False


@contextmanager
def running(
    name: str, command: Sequence[str], folder: Path, url: str, health: str
) -> Iterator[Service]:
    """Start `command` with its output in `folder`, wait until `url`+`health` answers 200,
    and stop it at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    service = Service(name, url, log_path)
    try:
        wait_until(
            lambda: service.healthy(health) or process.poll() is not None,
            timeout=60,
            what=f"{name} to answer",
        )
        assert process.poll() is None, f"{name} exited:\n{service.output()[-4000:]}"
        yield service
    finally:
        stop_process(process)


def shipped(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def site_config(site: str, exporter: str, writes_to: Sequence[str], secret: Path) -> str:
    """A site Prometheus: remote-write.yml as shipped, its site label, its exporter, one
    remote write per URL in `writes_to` (each with the shipped relabeling), all rules."""
    snippet = shipped(REMOTE_WRITE)
    labels = {**snippet["global"]["external_labels"], "site": site}
    template = snippet["remote_write"][0]
    document = {
        "global": {
            "scrape_interval": INTERVAL,
            "evaluation_interval": INTERVAL,
            "external_labels": labels,
        },
        "rule_files": [str(path) for path in SITE_RULES],
        "scrape_configs": [
            {"job_name": JOB, "static_configs": [{"targets": [exporter]}]},
        ],
        "remote_write": [writer(template, url, secret) for url in writes_to],
    }
    return yaml.safe_dump(document)


def writer(template: dict[str, Any], url: str, secret: Path) -> dict[str, Any]:
    """The shipped remote write to `url`, with its password in `secret`; sent every
    second instead of every five, so the test waits less."""
    result = copy.deepcopy(template)
    result["url"] = url
    result["basic_auth"]["password_file"] = str(secret)
    result["queue_config"] = {"batch_send_deadline": INTERVAL}
    return result


def global_config(sites: Sequence[str], rules: Sequence[Path] = GLOBAL_RULES) -> str:
    """The global Prometheus: federate.yml's job as shipped, with the sites' addresses and
    a one-second interval, and the global's rule files (or `rules`)."""
    job = copy.deepcopy(shipped(FEDERATE)["scrape_configs"][0])
    job.update(scrape_interval=INTERVAL, scrape_timeout=INTERVAL)
    job["static_configs"] = [{"targets": list(sites)}]
    document = {
        "global": {"scrape_interval": INTERVAL, "evaluation_interval": INTERVAL},
        "rule_files": [str(path) for path in rules],
        "scrape_configs": [job],
    }
    return yaml.safe_dump(document)


class Notifications(ThreadingHTTPServer):
    """A stand-in Alertmanager on a kernel-chosen port: keeps every alert posted to it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.alerts: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def received(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.alerts)


class _Receiver(BaseHTTPRequestHandler):
    server: Notifications

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.alerts.extend(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the test's output, not every request."""


def grafana_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Each variable of a dashboard as Grafana would replace it: a variable with "All"
    (or a multi-select) by `.*`, any other by its current value, falling back to the
    values the dashboard tests use."""
    values = dict(BUILTINS)
    for variable in dashboard["templating"]["list"]:
        name = variable["name"]
        if variable.get("includeAll") or variable.get("multi"):
            values[name] = ".*"
        else:
            current = variable.get("current", {}).get("value")
            values[name] = current if isinstance(current, str) else VARIABLES.get(name, "")
    return values


def substituted(expr: str, values: dict[str, str]) -> str:
    """`expr` with `$name`, `${name}` and `${name:format}` replaced; unknown ones (the
    `$1` of label_replace) stay."""

    def value(match: re.Match[str]) -> str:
        return values.get(match.group(1) or match.group(2), match.group(0))

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


def dashboard_queries() -> list[tuple[str, str]]:
    """(dashboard: panel, PromQL ready to run) of every target of every panel of every
    dashboard, read from the files now."""
    found = []
    for name in sorted(UIDS):
        dashboard = load_dashboard(name)
        values = grafana_values(dashboard)
        found += [
            (f"{name}: {title}", substituted(expr, values)) for title, expr in queries(dashboard)
        ]
    return found


def dashboard_variables() -> list[tuple[str, str, str]]:
    """(dashboard: variable, series selector ready to run, label) of every
    `label_values(selector, label)` variable of every dashboard."""
    found = []
    for name in sorted(UIDS):
        dashboard = load_dashboard(name)
        values = grafana_values(dashboard)
        found += [
            (f"{name}: {label}", substituted(selector, values), label)
            for selector, label in variable_queries(dashboard)
        ]
    return found


def unanswered(service: Service, exprs: Sequence[tuple[str, str]]) -> list[str]:
    """The queries that return no data (or an error) on `service`."""
    return [f"{where}: {expr}" for where, expr in exprs if not answers(service, expr)]


def answers(service: Service, expr: str) -> bool:
    status, body = service.get("/api/v1/query", query=expr)
    return status == 200 and bool(json.loads(body)["data"]["result"])
