"""Reliability of the running exporter: crashes, bad checkpoints, faults, signals, bad input."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import sipmsg
from tests.support import (
    Exporter,
    running_exporter,
    start_exporter,
    value,
    wait_until,
)

pytestmark = pytest.mark.system


def write_config(path: Path, logs: Path, state: Path, sources: str | None = None) -> Path:
    sources = (
        sources
        or f"""
  - name: platform
    paths: ["{logs}/*.log"]
    start_at: beginning
"""
    )
    path.write_text(f"""
checkpoint: {{file: {state / "checkpoint.json"}, interval: 100ms}}
poll_interval: 100ms
rotate_wait: 300ms
flush_after: 100ms
sources:{sources}""")
    return path


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path, Path]:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    state.mkdir()
    return write_config(tmp_path / "config.yml", logs, state), logs, state


def append(path: Path, *codes: int) -> None:
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write("".join(sipmsg.response(code) + sipmsg.noise() for code in codes))


def responses(exporter: Exporter, **labels: str) -> float:
    return value(exporter.scrape(), "sip_responses_total", **labels)


def saves(exporter: Exporter) -> float:
    return value(exporter.scrape(), "sip_exporter_checkpoint_saves_total")


def test_kill_9_and_restart_counts_every_record_exactly_once(
    paths: tuple[Path, Path, Path],
) -> None:
    config, logs, _ = paths
    log = logs / "wvp.log"
    append(log, *[200] * 30)
    exporter = start_exporter(config)
    wait_until(exporter.ready, what="readiness")
    wait_until(lambda: responses(exporter) == 30, what="the first 30 records")
    saved = saves(exporter)
    wait_until(lambda: saves(exporter) > saved, what="a checkpoint with them")
    # Counted, but maybe not checkpointed yet: the crash comes at any moment.
    append(log, *[503] * 7)
    wait_until(lambda: responses(exporter, code="503") == 7, what="the 503s")
    exporter.process.kill()
    exporter.process.wait()
    append(log, *[408] * 5)
    with running_exporter(config) as again:
        wait_until(lambda: responses(again) == 42, what="42 records after the crash")
        samples = again.scrape()
    assert value(samples, "sip_responses_total", code="200") == 30
    assert value(samples, "sip_responses_total", code="503") == 7
    assert value(samples, "sip_responses_total", code="408") == 5


def garbled(**parts: object) -> bytes:
    """A checkpoint of this version with these parts."""
    document = {"format": "sip-log-exporter-checkpoint", "version": 1, "files": {}, **parts}
    return json.dumps(document).encode()


RESPONSE = ["platform", "in", "INVITE", "503", "overload"]
DEEP = 200_000


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\x00\x01garbage", "not JSON"),
        (b'{"hello": "world"}', "not a sip-log-exporter-checkpoint file"),
        (b'{"format": "sip-log-exporter-checkpoint", "version": 99, "files": {}}', "version 99"),
        (
            garbled(counters={"sip_responses_total": [["a", -5]]}),
            "counters.sip_responses_total[0]: expected 5 label values and a value",
        ),
        (
            garbled(counters={"sip_responses_total": [[*RESPONSE, 3], [*RESPONSE[:4], 2]]}),
            "counters.sip_responses_total[1]: expected 5 label values and a value",
        ),
        (
            garbled()[:-1] + b', "counters": ' + b"[" * DEEP + b"]" * DEEP + b"}",
            "nested too deep",
        ),
        (
            garbled(
                files={
                    "platform": [
                        {"path": "/x.log", "dev": 1, "ino": 2, "fingerprint": "", "offset": -5}
                    ]
                }
            ),
            "files.platform[0].offset: expected an integer ≥ 0, got -5",
        ),
        (
            garbled(
                counters={
                    "sip_requests_total": [["platform", "in", f"M{i}", 1] for i in range(10_001)]
                }
            ),
            "counters.sip_requests_total: 10001 series, more than the limit of 10000",
        ),
        (
            garbled(counters={"sip_exporter_checkpoint_saves_total": [[True]]}),
            "counters.sip_exporter_checkpoint_saves_total[0]: expected an integer ≥ 0, got True",
        ),
    ],
    ids=[
        "binary",
        "foreign-json",
        "future-version",
        "bad-counters",
        "wrong-number-of-labels",
        "nested-too-deep",
        "negative-offset",
        "more-series-than-the-limit",
        "true-as-a-count",
    ],
)
def test_an_unusable_checkpoint_is_set_aside_counted_and_reported(
    paths: tuple[Path, Path, Path], content: bytes, why: str
) -> None:
    config, logs, state = paths
    (state / "checkpoint.json").write_bytes(content)
    append(logs / "wvp.log", 486)
    with running_exporter(config) as exporter:
        wait_until(lambda: responses(exporter, code="486") == 1, what="the record")
        assert value(exporter.scrape(), "sip_exporter_checkpoint_errors_total") == 1
        output = exporter.output()
    (aside,) = state.glob("checkpoint.json.corrupt-*")
    assert aside.read_bytes() == content
    assert "checkpoint" in output and "unusable" in output and why in output
    assert "Traceback" not in output


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 1 MiB for the checkpoint, so that it can fill up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def test_a_full_disk_keeps_the_previous_checkpoint_intact(
    paths: tuple[Path, Path, Path], small_disk: Path
) -> None:
    config, logs, _ = paths
    write_config(config, logs, small_disk)
    log = logs / "wvp.log"
    append(log, 200, 200)
    checkpoint = small_disk / "checkpoint.json"
    with running_exporter(config) as exporter:
        wait_until(lambda: responses(exporter) == 2, what="the records")
        saved = saves(exporter)
        wait_until(lambda: saves(exporter) > saved, what="a checkpoint with them")
        filler = small_disk / "filler"
        with filler.open("wb", buffering=0) as out, pytest.raises(OSError):
            while True:
                out.write(b"\0" * 4096)
        before = json.loads(checkpoint.read_bytes())
        append(log, 503)
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_checkpoint_errors_total") >= 2,
            what="failed checkpoint writes",
        )
        assert json.loads(checkpoint.read_bytes()) == before  # the old one, whole
        assert not (small_disk / "checkpoint.json.tmp").exists()
        filler.unlink()
        errors = value(exporter.scrape(), "sip_exporter_checkpoint_errors_total")
        wait_until(lambda: '"503"' in checkpoint.read_text(), what="a checkpoint again")
        assert value(exporter.scrape(), "sip_exporter_checkpoint_errors_total") <= errors + 1
        assert "cannot write checkpoint" in exporter.output()


WITHOUT_ROOTS_READ_BYPASS = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def test_an_unreadable_file_is_reported_retried_and_read_once_readable(
    paths: tuple[Path, Path, Path],
) -> None:
    config, logs, _ = paths
    log = logs / "wvp.log"
    append(log, 503, 503)
    log.chmod(0)
    # As root the exporter could read anything: drop that privilege, as a service user has.
    with running_exporter(config, prefix=WITHOUT_ROOTS_READ_BYPASS) as exporter:
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_read_errors_total") >= 3,
            what="read errors, retried on every pass",
        )
        assert responses(exporter, code="503") == 0
        assert exporter.output().count("cannot read") == 1  # logged once, not per pass
        log.chmod(0o644)
        wait_until(lambda: responses(exporter, code="503") == 2, what="the file once readable")


def test_sighup_reloads_sources_and_unchanged_counters_continue(
    paths: tuple[Path, Path, Path],
) -> None:
    config, logs, state = paths
    for name in ("a", "b", "c"):
        (logs / name).mkdir()
    source = """
  - name: {0}
    paths: ["{1}/{0}/*.log"]
    start_at: beginning"""
    write_config(config, logs, state, source.format("a", logs) + source.format("b", logs))
    append(logs / "a" / "x.log", 200, 200)
    append(logs / "b" / "x.log", 503)
    append(logs / "c" / "x.log", 408)
    with running_exporter(config) as exporter:
        wait_until(lambda: responses(exporter) == 3, what="sources a and b")
        write_config(config, logs, state, source.format("a", logs) + source.format("c", logs))
        exporter.process.send_signal(signal.SIGHUP)
        wait_until(lambda: responses(exporter, source="c", code="408") == 1, what="source c")
        samples = exporter.scrape()
        assert value(samples, "sip_responses_total", source="a") == 2
        assert not [k for k in samples if ("source", "b") in k[1]], "source b still served"
        append(logs / "a" / "x.log", 200)
        wait_until(lambda: responses(exporter, source="a") == 3, what="a going on")


def test_a_bad_config_on_reload_is_refused_and_the_running_one_kept(
    paths: tuple[Path, Path, Path],
) -> None:
    config, logs, _ = paths
    append(logs / "wvp.log", 200)
    with running_exporter(config) as exporter:
        wait_until(lambda: responses(exporter) == 1, what="the record")
        good = config.read_text()
        config.write_text(good + "  - name: broken\n    paths: []\n")
        request = urllib.request.Request(exporter.url + "/-/reload", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 500
        assert "sources[1].paths" in refused.value.read().decode()
        append(logs / "wvp.log", 200)
        wait_until(lambda: responses(exporter) == 2, what="the old config still working")
        assert exporter.get("/-/reload")[0] == 405


def test_sigterm_saves_and_exits_0_within_a_second(paths: tuple[Path, Path, Path]) -> None:
    config, logs, state = paths
    config.write_text(config.read_text().replace("interval: 100ms", "interval: 1h"))
    append(logs / "wvp.log", 503)
    with running_exporter(config) as exporter:
        wait_until(lambda: responses(exporter) == 1, what="the record")
        began = time.monotonic()
        assert exporter.stop() == 0
        assert time.monotonic() - began < 1.0
    saved = json.loads((state / "checkpoint.json").read_text())
    assert ["platform", "in", "INVITE", "503", "overload", 1] in saved["counters"][
        "sip_responses_total"
    ]


def test_not_ready_until_the_first_pass_is_done(paths: tuple[Path, Path, Path]) -> None:
    config, logs, _ = paths
    big = "".join(sipmsg.response(200) for _ in range(4000))
    with (logs / "wvp.log").open("w", encoding="utf-8") as out:
        for _ in range(40):  # about 40 MB: a first pass that takes a while
            out.write(big)
    exporter = start_exporter(config)
    try:
        status = wait_until(lambda: _status(exporter), what="the HTTP server")
        assert status == 503
        wait_until(exporter.ready, timeout=60, what="readiness after the first pass")
        assert responses(exporter) == 160000
    finally:
        exporter.stop()


def _status(exporter: Exporter) -> int | None:
    try:
        return exporter.get("/-/ready")[0]
    except OSError:
        return None


def test_garbage_in_a_log_is_counted_skipped_and_never_stops_the_exporter(
    paths: tuple[Path, Path, Path],
) -> None:
    config, logs, _ = paths
    rng = random.Random(7)
    garbage = bytes(rng.getrandbits(8) for _ in range(200_000))
    with (logs / "wvp.log").open("wb") as out:
        out.write(garbage + b"\n\x00\x00SIP/2.0 5\xff3 Bad\n\xc3\x28\xa0\xa1\n")
        out.write(b"SIP/2.0 503 " + b"x" * 10_000_000 + b"\n")  # 10 MB, one line
        out.write("SIP/2.0 4０8 全角\r\nCSeq: 1 INVITE\r\n\r\n".encode("gbk"))
        out.write(b"SIP/2.0 999 Made Up\nCSeq: 1 HACKME\n\n")
    append(logs / "wvp.log", 486)
    with running_exporter(config) as exporter:
        wait_until(lambda: responses(exporter, code="486") == 1, what="the good record")
        samples = exporter.scrape()
        assert exporter.get("/-/healthy")[0] == 200
    assert value(samples, "sip_exporter_lines_truncated_total") == 1
    assert value(samples, "sip_responses_total", code="503", method="unknown") == 1
    # Out of the 100-699 range and an unregistered method: bounded label values.
    assert value(samples, "sip_responses_total", code="other", method="OTHER") == 1
    codes = {dict(k[1])["code"] for k in samples if k[0] == "sip_responses_total"}
    assert codes == {"408", "503", "486", "other"}, codes
