"""copytruncate as logrotate does it, against the real exporter: a writer process keeps
appending while the copy is made block by block, then the original is truncated. Every
message in the two files is counted exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import REPO, Exporter, running_exporter, value, wait_until

BLOCK = 4096
# A process appending one complete message per write (O_APPEND), as a logger does, until
# SIGTERM; each message is its own response with its own Call-ID.
WRITER = """
import os, signal, sys, time
from tests import sipmsg
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
out = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
print("writing", flush=True)
while not stop:
    os.write(out, sipmsg.response(200).encode())
    time.sleep(0.002)
"""
START_LINE = b"SIP/2.0 200 OK"


def responses(exporter: Exporter) -> float:
    return value(exporter.scrape(), "sip_responses_total", source="p")


def copy_until_end(original: Path, copy: Path, start: int) -> None:
    """Go on copying in blocks, as cp does, until the original's end is reached."""
    with original.open("rb") as source, copy.open("ab") as target:
        source.seek(start)
        while block := source.read(BLOCK):
            target.write(block)
            target.flush()


def test_lines_appended_while_cp_copies_are_counted_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    original, copy = logs / "wvp.log", logs / "wvp.log.1"
    original.touch()
    config = tmp_path / "config.yml"
    config.write_text(
        "poll_interval: 50ms\nflush_after: 100ms\nrotate_wait: 300ms\n"
        f"sources: [{{name: p, paths: ['{logs}/wvp.log*'], start_at: beginning}}]\n"
    )
    with running_exporter(config) as exporter:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(original)], cwd=REPO, stdout=subprocess.PIPE
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline() == b"writing\n"
            wait_until(lambda: responses(exporter) >= 50, what="the first lines read")
            # cp's first block: enough for the copy to be recognised by its first bytes.
            copy.write_bytes(original.read_bytes()[:BLOCK])
            wait_until(lambda: str(copy) in exporter.output(), what="the copy followed")
            # The writer goes on while cp copies, and the exporter reads those lines from
            # the original before cp has reached them.
            seen = responses(exporter)
            wait_until(lambda: responses(exporter) >= seen + 30, what="lines read meanwhile")
            copy_until_end(original, copy, BLOCK)
            # Lines appended between cp's last block and the truncation are in neither
            # file (copytruncate's own loss), yet the exporter may have read them: the
            # writer pauses for that moment only, so the files stay the ground truth.
            writer.send_signal(signal.SIGSTOP)
            copy_until_end(original, copy, copy.stat().st_size)
            os.truncate(original, 0)
            writer.send_signal(signal.SIGCONT)
            wait_until(lambda: original.stat().st_size > BLOCK, what="lines after truncation")
        finally:
            writer.send_signal(signal.SIGTERM)
            writer.wait(timeout=10)
        in_files = copy.read_bytes().count(START_LINE) + original.read_bytes().count(START_LINE)
        wait_until(lambda: responses(exporter) >= in_files, what="every line counted")
        samples = exporter.scrape()
        assert value(samples, "sip_responses_total", source="p") == in_files
        assert value(samples, "sip_retransmissions_total", source="p") == 0
        assert value(samples, "sip_exporter_truncations_total", source="p") == 1
