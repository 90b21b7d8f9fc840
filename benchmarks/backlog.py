"""A backlog spread over many rotated files: peak memory and invented timeouts.

Owns one measurement: the same amount of platform log, split into 1, 10, 40 or 60 files
named as logrotate names them (`wvp.log.59` oldest … `wvp.log.1`, `wvp.log` newest), is
read by the real exporter from the beginning (`start_at: beginning`). Every request in it
is answered 10 ms later, so every transaction timeout and every tracking eviction the
exporter reports is invented by the way it reads. Prints, per file count: peak RSS (VmHWM
from /proc, sampled while the exporter catches up), responses counted and written,
timeouts and evictions.

    python -m benchmarks.backlog --mebibytes 800 --files 1 10 40 60
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

MIB = 1 << 20
_START = datetime(2024, 1, 8, 0, 0, 0)
_LOGGER = "com.genersoft.iot.vmp.gb28181.conf.StackLoggerImpl:82"
_PLATFORM = "34020000002000000001"
_SPACING = timedelta(milliseconds=50)  # between two requests, in logged time
_ANSWER = timedelta(milliseconds=10)  # from a request to its 200 OK


@dataclass(frozen=True, slots=True)
class Result:
    files: int
    peak_rss: int
    counted: float
    written: int
    timeouts: float
    evictions: float
    seconds: float


def _message(when: datetime, wrapper: str, start_line: str, n: int, tag: str) -> str:
    at = when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"
    device = f"3402000000132{n % 1000:07d}"
    return (
        f"{at} [Thread-{n % 200}] INFO  {_LOGGER} - Setting SIPMessage peerPacketSource "
        f"to: /192.168.141.61:5060\n"
        f"{at} [Thread-{n % 200}] INFO  {_LOGGER} - {wrapper}192.168.141.61:5060\n"
        + "\r\n".join(
            [
                start_line,
                f"Via: SIP/2.0/UDP 192.168.108.180:5060;branch=z9hG4bK{n:010d};rport",
                f"From: <sip:{_PLATFORM}@3402000000>;tag={n * 31 % 999983}",
                f"To: <sip:{device}@3402000000>{tag}",
                f"Call-ID: {n:032x}@192.168.108.180",
                "CSeq: 1 MESSAGE",
                "Content-Length: 0",
                "",
                "",
            ]
        )
    )


def _exchange(n: int) -> str:
    """A MESSAGE the platform sends, and the device's 200 OK 10 ms later."""
    sent = _START + n * _SPACING
    request = _message(sent, "发送：目标--->", "MESSAGE sip:device@3402000000 SIP/2.0", n, "")
    answer = _message(sent + _ANSWER, "接收：来自--->", "SIP/2.0 200 OK", n, f";tag={n}")
    return request + answer


def write_backlog(folder: Path, mebibytes: float, files: int) -> int:
    """`mebibytes` of exchanges over `files` rotated files, oldest first in time and in
    modification time; the number of responses written."""
    per_file = int(mebibytes * MIB / files)
    n = 0
    base = time.time() - 3600
    for index in range(files):
        age = files - 1 - index  # wvp.log.<age>: the higher, the older
        path = folder / ("wvp.log" if age == 0 else f"wvp.log.{age}")
        parts, size = [], 0
        while size < per_file:
            parts.append(_exchange(n).encode())
            size += len(parts[-1])
            n += 1
        path.write_bytes(b"".join(parts))
        os.utime(path, (base + index, base + index))
    return n


def config_text(folder: Path, max_transactions: int = 50_000) -> str:
    return (
        "poll_interval: 1s\n"
        f"transactions: {{max_transactions: {max_transactions}}}\n"
        f"sources: [{{name: p, paths: ['{folder}/wvp.log*'], start_at: beginning}}]\n"
    )


def high_water_mark(pid: int) -> int:
    """The process's peak resident size so far, in bytes (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def _total(text: str, name: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


def catch_up(folder: Path, config: Path, port: int, deadline: float = 1800) -> dict[str, float]:
    """Run the exporter on `config` until it is ready (every file read to its end once);
    its peak RSS and the totals that matter, then stop it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exporter",
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url, peak, started = f"http://127.0.0.1:{port}", 0, time.monotonic()
    try:
        while time.monotonic() - started < deadline and process.poll() is None:
            peak = max(peak, high_water_mark(process.pid))
            if _get(url + "/-/ready")[0] == 200:
                break
            time.sleep(0.05)  # a sampling period, not a wait for a condition
        seconds = time.monotonic() - started
        peak = max(peak, high_water_mark(process.pid))
        text = _get(url + "/metrics")[1]
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "peak_rss": peak,
        "seconds": seconds,
        "counted": _total(text, "sip_responses_total"),
        "timeouts": _total(text, "sip_transaction_timeouts_total"),
        "evictions": _total(text, "sip_exporter_tracking_evictions_total"),
    }


def measure(mebibytes: float, files: int, port: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="backlog-") as base:
        folder = Path(base) / "logs"
        folder.mkdir()
        written = write_backlog(folder, mebibytes, files)
        config = Path(base) / "config.yml"
        config.write_text(config_text(folder))
        got = catch_up(folder, config, port)
    return Result(
        files,
        int(got["peak_rss"]),
        got["counted"],
        written,
        got["timeouts"],
        got["evictions"],
        got["seconds"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mebibytes", type=float, default=800)
    parser.add_argument("--files", type=int, nargs="+", default=[1, 10, 40, 60])
    parser.add_argument("--port", type=int, default=19487)
    args = parser.parse_args()
    print("files  peak RSS MiB  counted/written  timeouts  evictions  seconds")
    for files in args.files:
        r = measure(args.mebibytes, files, args.port)
        print(
            f"{r.files:5d}  {r.peak_rss / MIB:12.1f}  {r.counted:.0f}/{r.written}"
            f"  {r.timeouts:8.0f}  {r.evictions:9.0f}  {r.seconds:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
