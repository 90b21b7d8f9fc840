"""Transactions on the real exporter: response times, timeouts, sessions, device types and
exemplars served from a log as it is written, through restarts and under a flood."""

from __future__ import annotations

import signal
import subprocess
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)

from tests.support import Exporter, Samples, running_exporter, value, wait_until

pytestmark = pytest.mark.system

PLATFORM = "34020000002000000001"  # type 200: the platform writing the log
CAMERA = "34020000001320000007"  # type 132: an IPC
NVR = "34020000001180000002"  # type 118
START = datetime(2024, 3, 1, 9, 30, 0)
_LOGGER = "com.genersoft.iot.vmp.gb28181.conf.StackLoggerImpl:82"


def logged(
    at: float,
    start_line: str,
    cseq: str,
    *,
    call: str,
    direction: str,
    peer: str = CAMERA,
    platform_calls: bool = True,
) -> str:
    """One message as wvp-GB28181-pro logs it, `at` seconds after START."""
    stamp = START + timedelta(seconds=at)
    when = stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
    wrapper = "接收：来自--->" if direction == "in" else "发送：目标--->"
    caller, callee = (PLATFORM, peer) if platform_calls else (peer, PLATFORM)
    lines = [
        start_line,
        # A response carries its request's top Via: the same branch.
        f"Via: SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bK{call}{cseq.split()[0]}",
        f"From: <sip:{caller}@3402000000>;tag=7{cseq}",
        f"To: <sip:{callee}@3402000000>",
        f"Call-ID: {call}@192.168.1.10",
        f"CSeq: {cseq}",
        "Content-Length: 0",
        "",
        "",
    ]
    return f"{when} [Thread-9] INFO  {_LOGGER} - {wrapper}192.168.1.64:5060\n" + "\r\n".join(lines)


def sent(at: float, method: str, cseq: int, call: str) -> str:
    """A request from the platform to the camera."""
    start_line = f"{method} sip:{CAMERA}@3402000000 SIP/2.0"
    return logged(at, start_line, f"{cseq} {method}", call=call, direction="out")


def answered(at: float, status: str, cseq: int, method: str, call: str) -> str:
    """The camera's response to a request from the platform."""
    return logged(at, f"SIP/2.0 {status}", f"{cseq} {method}", call=call, direction="in")


def config(tmp_path: Path, log: Path, extra: str = "") -> Path:
    path = tmp_path / "config.yml"
    path.write_text(
        f"checkpoint: {{file: {tmp_path / 'checkpoint.json'}, interval: 1s}}\n"
        f"poll_interval: 200ms\nflush_after: 200ms\n{extra}\n"
        f"sources:\n  - name: wvp\n    paths: ['{log}']\n    format: sip\n"
        "    require_wrapper: true\n    start_at: beginning\n",
        encoding="utf-8",
    )
    return path


def append(path: Path, *messages: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write("".join(messages))


def bucket(samples: Samples, metric: str, le: str, **labels: str) -> float:
    return value(samples, f"{metric}_bucket", le=le, **labels)


CALL = [
    # A live view: INVITE (logged twice: retransmitted), 100, 180, 200, ACK, and a BYE.
    sent(0.0, "INVITE", 20, "a"),
    sent(0.5, "INVITE", 20, "a"),
    answered(0.01, "100 Trying", 20, "INVITE", "a"),
    answered(0.3, "180 Ringing", 20, "INVITE", "a"),
    answered(1.2, "200 OK", 20, "INVITE", "a"),
    sent(1.21, "ACK", 20, "a"),
    # A catalog query answered in 60 ms; a REGISTER challenged in 4 ms.
    sent(1.5, "MESSAGE", 21, "m"),
    answered(1.56, "200 OK", 21, "MESSAGE", "m"),
    logged(2.0, f"REGISTER sip:{PLATFORM}@3402000000 SIP/2.0", "1 REGISTER", call="r",
           direction="in", peer=NVR, platform_calls=False),
    logged(2.004, "SIP/2.0 401 Unauthorized", "1 REGISTER", call="r", direction="out",
           peer=NVR, platform_calls=False),
    # OPTIONS to the camera, never answered.
    sent(3.0, "OPTIONS", 22, "o"),
    # The live view ends after a minute, answered in 50 ms.
    sent(61.2, "BYE", 23, "a"),
    answered(61.25, "200 OK", 23, "BYE", "a"),
]  # fmt: skip

DURATION = "sip_response_duration_seconds"


def test_a_live_log_gives_response_times_timeouts_sessions_and_device_types(
    tmp_path: Path,
) -> None:
    log = tmp_path / "wvp.log"
    log.write_text("")
    with running_exporter(config(tmp_path, log, "transactions: {timeout: 2s}")) as exporter:
        append(log, *CALL)
        samples = wait_until(
            lambda: _if(
                exporter.scrape(), lambda s: value(s, "sip_session_duration_seconds_count")
            ),
            what="the session's end",
        )
    wvp = {"source": "wvp"}
    # Request to first final response, by the request's direction and the answer's class.
    assert value(samples, f"{DURATION}_count", **wvp) == 4
    assert bucket(samples, DURATION, "1.0", method="INVITE", direction="out", outcome="2xx") == 0
    assert bucket(samples, DURATION, "2.0", method="INVITE", direction="out", outcome="2xx") == 1
    assert value(samples, f"{DURATION}_sum", method="INVITE") == pytest.approx(1.2)
    assert bucket(samples, DURATION, "0.05", method="MESSAGE", outcome="2xx") == 0
    assert bucket(samples, DURATION, "0.1", method="MESSAGE", outcome="2xx") == 1
    assert bucket(samples, DURATION, "0.01", method="REGISTER", direction="in", outcome="4xx") == 1
    assert bucket(samples, DURATION, "0.05", method="BYE", outcome="2xx") == 1
    # SRD: the 180, not the 100 Trying.
    srd = "sip_session_request_delay_seconds"
    assert bucket(samples, srd, "0.25", direction="out", outcome="1xx") == 0
    assert bucket(samples, srd, "0.5", direction="out", outcome="1xx") == 1
    assert value(samples, f"{srd}_count") == 1
    # SDT: from the 200 at 1.2 s to the BYE at 61.2 s.
    assert value(samples, "sip_session_duration_seconds_sum", direction="out") == pytest.approx(60)
    # The OPTIONS was never answered: the BYE's time passed its 2 s deadline.
    assert value(samples, "sip_transaction_timeouts_total", method="OPTIONS", direction="out") == 1
    # The INVITE's second copy is a retransmission, not a second request.
    assert value(samples, "sip_requests_total", method="INVITE", direction="out") == 1
    assert value(samples, "sip_retransmissions_total", method="INVITE", kind="request") == 1
    # Responses by the kind of device at the other end.
    peers = "sip_peer_responses_total"
    assert value(samples, peers, direction="in", peer_type="ipc") == 5
    assert value(samples, peers, direction="out", peer_type="nvr", category="auth") == 1
    # The camera that failed (the timed-out OPTIONS) is ranked by its ID.
    assert value(samples, "sip_peer_top_failures", peer=CAMERA, peer_type="ipc") == 1
    assert value(samples, "sip_exporter_unmatched_total") == 0


def test_open_transactions_survive_a_restart(tmp_path: Path) -> None:
    log = tmp_path / "wvp.log"
    log.write_text("")
    path = config(tmp_path, log)
    with running_exporter(path) as exporter:
        append(log, CALL[0], CALL[2], CALL[3])  # INVITE, 100, 180: still open
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_open_transactions") == 1,
            what="the open INVITE",
        )
    with running_exporter(path) as exporter:
        assert value(exporter.scrape(), "sip_exporter_open_transactions") == 1
        append(log, CALL[4])  # the 200 OK, after the restart
        samples = wait_until(
            lambda: _if(exporter.scrape(), lambda s: value(s, f"{DURATION}_count")),
            what="the INVITE's answer",
        )
    assert value(samples, f"{DURATION}_count", method="INVITE", outcome="2xx") == 1
    assert value(samples, f"{DURATION}_sum", method="INVITE") == pytest.approx(1.2)
    assert value(samples, "sip_session_request_delay_seconds_count") == 1  # observed once
    assert value(samples, "sip_exporter_unmatched_total") == 0
    assert value(samples, "sip_exporter_open_sessions") == 1


def test_a_request_left_unanswered_times_out_while_the_log_is_quiet(tmp_path: Path) -> None:
    log = tmp_path / "wvp.log"
    log.write_text("")
    with running_exporter(config(tmp_path, log, "transactions: {timeout: 1s}")) as exporter:
        append(log, CALL[10])  # the OPTIONS, and nothing after it
        samples = wait_until(
            lambda: _if(exporter.scrape(), lambda s: value(s, "sip_transaction_timeouts_total")),
            timeout=15,
            what="the timeout of the last request",
        )
    assert value(samples, "sip_transaction_timeouts_total", method="OPTIONS") == 1
    assert value(samples, "sip_exporter_open_transactions") == 0


def test_openmetrics_scrapes_carry_exemplars_and_both_formats_pass_promtool(
    tmp_path: Path,
) -> None:
    log = tmp_path / "wvp.log"
    log.write_text("")
    with running_exporter(config(tmp_path, log)) as exporter:
        append(log, *CALL[:8])
        wait_until(lambda: value(exporter.scrape(), f"{DURATION}_count") == 2, what="two durations")
        openmetrics = _scrape(exporter, "application/openmetrics-text; version=1.0.0")
        text = _scrape(exporter, "text/plain")
    invite = next(
        line
        for line in openmetrics.splitlines()
        if line.startswith(f"{DURATION}_bucket")
        and 'method="INVITE"' in line
        and 'le="2.0"' in line
    )
    # The bucket points at the call that landed in it, with its value and logged time.
    answered = (START + timedelta(seconds=1.2)).timestamp()
    assert invite.endswith(f' 1.0 # {{call_id="a@192.168.1.10"}} 1.2 {answered!r}'), invite
    assert "# {" not in text  # exemplars are OpenMetrics only
    # promtool lints the Prometheus text format; OpenMetrics goes through the strict parser.
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=text, text=True, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    parsed = {family.name: family for family in openmetrics_families(openmetrics)}  # type: ignore[no-untyped-call]
    buckets = [s for s in parsed[DURATION].samples if s.name == f"{DURATION}_bucket"]
    exemplars = {s.exemplar.labels["call_id"] for s in buckets if s.exemplar}
    assert exemplars == {"a@192.168.1.10", "m@192.168.1.10"}


def test_memory_stays_bounded_under_a_flood_of_unanswered_requests(tmp_path: Path) -> None:
    log = tmp_path / "wvp.log"
    log.write_text("")
    limit = "transactions: {max_transactions: 2000, timeout: 32s}"
    flood = 60_000
    with running_exporter(config(tmp_path, log, limit)) as exporter:
        # 60,000 INVITEs to distinct calls, 10 ms apart in logged time: never answered.
        chunk = []
        for n in range(flood):
            chunk.append(sent(n / 100, "INVITE", n, f"flood{n}"))
            if len(chunk) == 5000:
                append(log, *chunk)
                chunk.clear()
        samples = wait_until(
            lambda: _if(
                exporter.scrape(),
                lambda s: value(s, "sip_requests_total", method="INVITE") == flood,
            ),
            timeout=120,
            what="the whole flood read",
        )
        rss = _rss(exporter)
    open_now = value(samples, "sip_exporter_open_transactions")
    evicted = value(samples, "sip_exporter_tracking_evictions_total", table="transactions")
    timed_out = value(samples, "sip_transaction_timeouts_total", method="INVITE")
    assert open_now <= 2000
    # Every request is held, timed out or evicted: none is lost without a count.
    assert open_now + evicted + timed_out == flood
    # 32 s of logged time is 3,200 requests: more than the table holds, so some went.
    assert evicted > 0
    print(f"flood of {flood}: open {open_now:.0f}, evicted {evicted:.0f}, rss {rss >> 20} MiB")
    assert rss < 120 << 20


def _rss(exporter: Exporter) -> int:
    status = Path(f"/proc/{exporter.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def _scrape(exporter: Exporter, accept: str) -> str:
    request = urllib.request.Request(f"{exporter.url}/metrics", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=5) as reply:
        body: bytes = reply.read()
    return body.decode()


def _if(samples: Samples, test: Callable[[Samples], object]) -> Samples | None:
    """The samples when they pass `test`: what `wait_until` waits for."""
    return samples if test(samples) else None


def test_a_reload_applies_a_new_timeout_to_the_transactions_already_open(
    tmp_path: Path,
) -> None:
    log = tmp_path / "wvp.log"
    log.write_text("")
    path = config(tmp_path, log, "transactions: {timeout: 10m}")
    with running_exporter(path) as exporter:
        append(log, CALL[10])  # the OPTIONS, never answered
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_open_transactions") == 1,
            what="the open OPTIONS",
        )
        config(tmp_path, log, "transactions: {timeout: 1s}")
        exporter.process.send_signal(signal.SIGHUP)
        samples = wait_until(
            lambda: _if(exporter.scrape(), lambda s: value(s, "sip_transaction_timeouts_total")),
            what="the timeout under the reloaded setting",
        )
    assert value(samples, "sip_transaction_timeouts_total", method="OPTIONS") == 1
