"""`sip-log-exporter demo`: a newcomer sees counters move within seconds."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from datetime import datetime

import pytest

from exporter.count.gb28181 import peer_type
from exporter.demo import Traffic
from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from tests.support import REPO, free_port, parse_samples, value, wait_until


def test_the_generated_log_is_realistic_gb28181_traffic() -> None:
    traffic = Traffic(seed=7)
    stamp = datetime(2024, 1, 8, 11, 35, 49)
    text = "".join("".join(traffic.text(stamp)) for _ in range(2000)).encode()
    events = SipParser(SipOptions(require_wrapper=True)).parse(text, final=True).events
    methods = {e.method for e in events}
    assert {"REGISTER", "MESSAGE", "INVITE", "ACK", "BYE"} <= methods
    codes = [e.code for e in events if e.code]
    assert codes.count("200") > len(codes) / 2  # mostly successes
    assert "408" in codes and "503" in codes and "401" in codes
    assert b"\xe6\x8e\xa5\xe6\x94\xb6" in text  # 接收 wrappers, in UTF-8
    devices = {peer_type(e.to_user) for e in events if e.method == "INVITE"} - {"sip_server"}
    assert devices == {"ipc", "camera", "nvr", "dvr"}


def test_answers_come_after_their_requests_and_some_never_come() -> None:
    traffic = Traffic(seed=7)
    stamp = datetime(2024, 1, 8, 11, 35, 49)
    timed = [item for _ in range(3000) for item in traffic.timed(stamp)]
    text = "".join(text for _, text in timed).encode()
    events = SipParser(SipOptions(require_wrapper=True)).parse(text, final=True).events
    # Keyed by Call-ID, CSeq and method: an ACK shares its INVITE's CSeq number.
    when = {
        (e.call_id, e.cseq, e.method, e.kind): at for (at, _), e in zip(timed, events, strict=True)
    }
    requests = {(c, q, m): at for (c, q, m, kind), at in when.items() if kind == "request"}
    delays = [
        (at - requests[(c, q, m)]).total_seconds()
        for (c, q, m, kind), at in when.items()
        if kind == "response" and (c, q, m) in requests
    ]
    assert min(delays) > 0 and max(delays) > 1.0  # milliseconds to seconds
    answered = {(c, q, m) for (c, q, m, kind) in when if kind == "response"}
    unanswered = {key for key in requests if key[2] != "ACK"} - answered
    # INVITEs of a 408 burst left unanswered, and nothing else.
    assert unanswered and {method for _, _, method in unanswered} == {"INVITE"}


def test_the_same_seed_gives_the_same_log() -> None:
    stamp = datetime(2024, 1, 8)
    first, second = Traffic(seed=1), Traffic(seed=1)
    assert ["".join(first.text(stamp)) for _ in range(50)] == [
        "".join(second.text(stamp)) for _ in range(50)
    ]


@pytest.mark.system
def test_demo_serves_counters_that_move() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", "demo", f"--web.listen-address=127.0.0.1:{port}"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def responses() -> float:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
                return value(parse_samples(reply.read().decode()), "sip_responses_total")
        except OSError:
            return 0.0

    try:
        first = wait_until(responses, timeout=20, what="the first counted responses")
        wait_until(lambda: responses() > first, timeout=20, what="the counters to move")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
