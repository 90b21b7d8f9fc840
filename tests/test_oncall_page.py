"""The on-call page in a real exporter: fed by the demo and by a 503 storm, seen by a real
headless Chromium in Chinese and English, its numbers equal to the exposition's over the
same window and its p95s to a real Prometheus' histogram_quantile, its history kept over
a restart, its JSON twin behind the web config.

The screenshots are kept in test-artifacts/ for a person to look at:
oncall-demo-zh.png, oncall-demo-en.png, oncall-storm-zh.png, oncall-storm-en.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from exporter.catalog import Catalog
from exporter.data import builtin_catalog_text
from tests import sipmsg
from tests.browser import chromium
from tests.support import (
    REPO,
    Exporter,
    Samples,
    basic_auth,
    free_port,
    query,
    running_exporter,
    running_prometheus,
    stop_process,
    value,
    wait_until,
)

pytestmark = pytest.mark.system

ARTIFACTS = REPO / "test-artifacts"
CATALOG = Catalog.from_yaml(builtin_catalog_text())
PROFILE = "gb28181-platform"
START = datetime(2024, 3, 1, 21, 0, 0)
# Device IDs of three kinds: IP cameras (132), NVRs (118), cameras (131).
KINDS = {"ipc": "132", "nvr": "118", "camera": "131"}


def device(kind: str, n: int) -> str:
    return f"3402000000{KINDS[kind]}{n:07d}"


def storm_log() -> str:
    """A platform under a 503 storm: live views refused by many devices, some answered,
    keepalives fine, a few registrations challenged, a few INVITEs never answered."""
    parts, at = [], START
    for n in range(150):
        at += timedelta(milliseconds=200)
        kind = ("ipc", "ipc", "nvr", "camera")[n % 4]
        call = sipmsg.Transaction("INVITE", device(kind, n % 23))
        parts.append(call.request(at))
        parts.append(call.response(100, at + timedelta(milliseconds=20)))
        code = 200 if n % 5 == 0 else 503
        parts.append(call.response(code, at + timedelta(milliseconds=80 + 40 * (n % 30))))
        keepalive = sipmsg.Transaction("MESSAGE", device("ipc", n % 7), "in")
        parts.append(keepalive.request(at + timedelta(milliseconds=5)))
        parts.append(keepalive.response(200, at + timedelta(milliseconds=9)))
    for n in range(6):
        register = sipmsg.Transaction("REGISTER", device("nvr", 100 + n), "in")
        parts.append(register.request(at + timedelta(seconds=n)))
        parts.append(register.response(401, at + timedelta(seconds=n, milliseconds=3)))
    for n in range(4):
        parts.append(sipmsg.Transaction("INVITE", device("camera", 200 + n)).request(at))
    # Later traffic moves the log's clock past the unanswered INVITEs' timeout.
    late = sipmsg.Transaction("MESSAGE", device("ipc", 1), "in")
    parts.append(late.request(at + timedelta(seconds=60)))
    parts.append(late.response(200, at + timedelta(seconds=60, milliseconds=4)))
    return "".join(parts)


def write_config(folder: Path, extra: str = "") -> Path:
    logs, state = folder / "logs", folder / "state"
    logs.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    config = folder / "config.yml"
    config.write_text(
        f"checkpoint: {{file: {state / 'checkpoint.json'}, interval: 200ms}}\n"
        "poll_interval: 100ms\n"
        "transactions: {timeout: 32s}\n"
        f"sources: [{{name: platform, paths: ['{logs}/*.log'], start_at: beginning,"
        f" require_wrapper: true, transactions: true}}]\n{extra}"
    )
    return config


def status(exporter: Exporter, window: str = "15m", **headers: str) -> dict[str, Any]:
    code, body = exporter.get(f"/api/v1/status?window={window}", headers)
    assert code == 200, body
    document: dict[str, Any] = json.loads(body)
    return document


def counted(exporter: Exporter, responses: int) -> dict[str, Any]:
    """The status once the exporter has counted `responses` responses."""
    return wait_until(
        lambda: (s := status(exporter))["sources"][0]["responses"] == responses and s,
        timeout=30,
        what=f"{responses} responses counted",
    )


STORM_RESPONSES = 150 * 2 + 150 + 6 + 1  # INVITE 100 + final, keepalive 200, 401s, late


@pytest.fixture
def storm(tmp_path: Path) -> Iterator[Exporter]:
    config = write_config(tmp_path)
    (tmp_path / "logs" / "wvp.log").write_text(storm_log())
    with running_exporter(config) as exporter:
        counted(exporter, STORM_RESPONSES)
        yield exporter


def test_the_page_numbers_equal_the_exposition_over_the_same_window(storm: Exporter) -> None:
    document = status(storm)
    samples = storm.scrape()
    # A fresh exporter: everything it counted, it counted within the window.
    by_code: dict[str, float] = {}
    for (name, labels), n in samples.items():
        if name == "sip_responses_total":
            code = dict(labels)["code"]
            by_code[code] = by_code.get(code, 0) + n
    assert {c["code"]: c["count"] for c in document["codes"]} == {
        code: n for code, n in by_code.items() if n
    }
    (source,) = document["sources"]
    assert source["responses"] == value(samples, "sip_responses_total", source="platform")
    assert source["timeouts"] == value(samples, "sip_transaction_timeouts_total") == 4
    assert source["retransmissions"] == value(samples, "sip_retransmissions_total")
    assert source["open_transactions"] == value(samples, "sip_exporter_open_transactions")
    for method in source["methods"]:
        buckets = bucket_counts(samples, "sip_response_duration_seconds", method["method"])
        assert method["answered"] == buckets[-1][1]
        assert method["p95_seconds"] == pytest.approx(reference_quantile(0.95, buckets))
    srd = bucket_counts(samples, "sip_session_request_delay_seconds", None)
    assert source["srd_count"] == srd[-1][1]
    assert source["srd_p95_seconds"] == pytest.approx(reference_quantile(0.95, srd))


def test_the_p95s_are_what_prometheus_histogram_quantile_says(
    storm: Exporter, tmp_path: Path
) -> None:
    prometheus = shutil.which("prometheus")
    assert prometheus, "prometheus not found (Debian: apt-get install prometheus)"
    config = tmp_path / "prometheus.yml"
    target = {"targets": [f"127.0.0.1:{storm.port}"]}
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s"},
                "scrape_configs": [{"job_name": "sip", "static_configs": [target]}],
            }
        )
    )
    (source,) = status(storm)["sources"]
    # A fresh exporter whose log is all counted: its buckets are the window's increase.
    queries = {
        "histogram_quantile(0.95, sum by (le) "
        '(sip_response_duration_seconds_bucket{method="INVITE"}))': next(
            m["p95_seconds"] for m in source["methods"] if m["method"] == "INVITE"
        ),
        "histogram_quantile(0.95, sum by (le) (sip_session_request_delay_seconds_bucket))": (
            source["srd_p95_seconds"]
        ),
    }
    with running_prometheus(prometheus, config, tmp_path) as url:
        for expr, shown in queries.items():
            answer = wait_until(partial(query, url, expr), timeout=30, what=expr)
            assert answer == [pytest.approx(shown)]


def bucket_counts(samples: Samples, metric: str, method: str | None) -> list[tuple[float, float]]:
    """`sum by (le) (metric_bucket{method=…})` from one scrape, sorted by le."""
    summed: dict[float, float] = {}
    for (name, labels), n in samples.items():
        tags = dict(labels)
        if name == f"{metric}_bucket" and (method is None or tags.get("method") == method):
            le = float(tags["le"])
            summed[le] = summed.get(le, 0) + n
    return sorted(summed.items())


def reference_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' bucketQuantile (promql/quantile.go), written out again for the test."""
    rank = q * buckets[-1][1]
    b = next(i for i, (_, n) in enumerate(buckets) if n >= rank)
    if b == len(buckets) - 1:
        return buckets[-2][0]
    start, below = (0.0, 0.0) if b == 0 else buckets[b - 1]
    return start + (buckets[b][0] - start) * (rank - below) / (buckets[b][1] - below)


def test_the_storm_page_in_a_browser_in_chinese_and_english(storm: Exporter) -> None:
    entry = CATALOG.lookup("503", PROFILE)
    assert entry is not None
    with chromium() as browser:
        browser.open(storm.url + "/", accept_language="zh-CN,zh;q=0.9")
        assert browser.evaluate("document.documentElement.lang") == "zh-CN"
        first = browser.evaluate("document.querySelector('#codes tr.code').dataset.code")
        assert first == "503"
        where = browser.evaluate("document.querySelector('#codes tr.where').innerText")
        assert "INVITE · 收到" in where and "网络摄像机(IPC)" in where
        assert entry.engineer.zh in where
        assert entry.check_first is not None and entry.check_first.zh in where
        assert browser.evaluate("document.querySelectorAll('script, img').length") == 0
        assert browser.evaluate("document.querySelectorAll('svg.spark').length") >= 2
        browser.screenshot(ARTIFACTS / "oncall-storm-zh.png")

        browser.click('nav.lang a[href^="?lang=en"]')
        browser.wait_loaded("lang=en")
        where = browser.evaluate("document.querySelector('#codes tr.where').innerText")
        assert "INVITE · received" in where and "IP camera" in where
        browser.screenshot(ARTIFACTS / "oncall-storm-en.png")

        browser.click('nav.window a[href$="window=6h"]')
        browser.wait_loaded("window=6h")
        assert "Codes in the last 6 hours" in browser.evaluate("document.body.innerText")
    assert (ARTIFACTS / "oncall-storm-zh.png").stat().st_size > 10_000


def test_the_demo_page_in_a_browser_in_chinese_and_english(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "demo.log").open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "exporter", "demo", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            text=True,
        )
    demo = Exporter(process, port, tmp_path / "demo.log")
    try:
        wait_until(
            lambda: demo.ready() and any(c["code"] == "503" for c in status(demo)["codes"]),
            timeout=60,
            what="the demo's first 503",
        )
        with chromium() as browser:
            browser.open(demo.url + "/?window=15m", accept_language="zh-CN")
            assert browser.evaluate("document.documentElement.lang") == "zh-CN"
            timings = browser.evaluate("document.querySelectorAll('.timings li').length")
            assert timings >= 1
            browser.screenshot(ARTIFACTS / "oncall-demo-zh.png")
            browser.open(demo.url + "/?window=15m", accept_language="en-US,en;q=0.9")
            assert browser.evaluate("document.documentElement.lang") == "en"
            browser.screenshot(ARTIFACTS / "oncall-demo-en.png")
    finally:
        stop_process(process)
    assert (ARTIFACTS / "oncall-demo-en.png").stat().st_size > 10_000


def test_a_restart_keeps_the_history_and_shows_the_same_counts(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "logs" / "wvp.log").write_text(storm_log())
    with running_exporter(config) as exporter:
        before = counted(exporter, STORM_RESPONSES)
        saves = value(exporter.scrape(), "sip_exporter_checkpoint_saves_total")
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_checkpoint_saves_total") > saves,
            what="a checkpoint after the count",
        )
    with running_exporter(config) as exporter:
        after = status(exporter)
        samples = exporter.scrape()
    assert value(samples, "sip_responses_total", source="platform") == STORM_RESPONSES
    for key in ("codes", "sources"):
        assert len(after[key]) == len(before[key])
    shown = {c["code"]: (c["count"], sum(c["trend"])) for c in after["codes"]}
    assert shown == {c["code"]: (c["count"], sum(c["trend"])) for c in before["codes"]}
    assert after["sources"][0]["responses"] == STORM_RESPONSES
    assert after["sources"][0]["srd_p95_seconds"] == before["sources"][0]["srd_p95_seconds"]


def test_the_json_twin_is_behind_the_web_config_like_the_page(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    web = tmp_path / "web.yml"
    hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(4)).decode()
    web.write_text(f"basic_auth_users:\n  oncall: {hashed}\n")
    auth = basic_auth("oncall", "secret")
    with running_exporter(config, f"--web.config.file={web}", headers=auth) as exporter:
        for path in ("/", "/api/v1/status"):
            assert exporter.get(path, {"Authorization": ""})[0] == 401
            assert exporter.get(path)[0] == 200
        _, _, headers = exporter.request("GET", "/api/v1/status")
        assert headers["Content-Type"] == "application/json"


def test_the_language_flag_fixes_the_page_language(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with running_exporter(config, "--web.landing-language=en") as exporter:
        _, body = exporter.get("/", {"Accept-Language": "zh-CN,zh;q=0.9"})
        assert '<html lang="en">' in body
        _, body = exporter.get("/?lang=zh", {"Accept-Language": "en"})
        assert '<html lang="zh-CN">' in body
    with running_exporter(config) as exporter:
        _, body = exporter.get("/", {"Accept-Language": "fr"})
        assert '<html lang="zh-CN">' in body
