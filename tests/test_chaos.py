"""Chaos: writers append fast while files rotate, truncate, vanish and the exporter is killed.

Writers append known records to several files; a controller, at random moments, rotates
files by rename, rotates by copytruncate, creates new files, truncates, deletes and
recreates, and kills the exporter with SIGKILL and starts it again. At the end the
scraped counters are compared with the writers' ground truth, per method and code:

- exact mode (renames the glob still matches, copytruncate, new files, crashes): equal;
- lossy mode (plus truncation, deletion and renames out of the glob, which can take away
  lines before they are read): never more than was written, and never less than what is
  left in the files.

`pytest tests/test_chaos.py --chaos-seconds=600` runs a longer soak.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pytest

from tests import sipmsg
from tests.support import Exporter, start_exporter, wait_until

pytestmark = pytest.mark.system

METHODS = ("INVITE", "REGISTER", "MESSAGE", "BYE")
Key = tuple[str, str]  # (method, code)
_RECORD = re.compile(r"^SIP/2\.0 (\d{3}) .*?^CSeq: \d+ (\w+)", re.MULTILINE | re.DOTALL)


@dataclass
class Stream:
    path: Path
    handle: TextIO
    method: str
    rotations: int = 0


@dataclass
class Writers:
    """Appends records to every stream; holds the lock while a file changes hands."""

    logs: Path
    rng: random.Random
    lock: threading.Lock = field(default_factory=threading.Lock)
    streams: list[Stream] = field(default_factory=list)
    written: Counter[Key] = field(default_factory=Counter)
    sequence: int = 0

    def add_stream(self) -> None:
        with self.lock:
            path = self.logs / f"platform-{len(self.streams)}.log"
            method = METHODS[len(self.streams) % len(METHODS)]
            self.streams.append(Stream(path, self._open(path), method))

    @staticmethod
    def _open(path: Path) -> TextIO:
        return path.open("a", encoding="utf-8", newline="")

    def write_round(self) -> None:
        with self.lock:
            for stream in self.streams:
                for _ in range(self.rng.randint(1, 8)):
                    self.sequence += 1
                    code = str(200 + self.sequence % 400)
                    stream.handle.write(
                        sipmsg.dump(f"SIP/2.0 {code} Whatever", stream.method) + sipmsg.noise()
                    )
                    self.written[(stream.method, code)] += 1
                stream.handle.flush()

    def reopen(self, stream: Stream) -> None:
        stream.handle.close()
        stream.handle = self._open(stream.path)

    def close(self) -> None:
        with self.lock:
            for stream in self.streams:
                stream.handle.close()


def left_in_files(logs: Path) -> Counter[Key]:
    """Records still in the files the source follows, counted without the exporter."""
    found: Counter[Key] = Counter()
    for path in logs.glob("*.log*"):
        for code, method in _RECORD.findall(path.read_text(encoding="utf-8")):
            found[(method, code)] += 1
    return found


def counted(exporter: Exporter) -> Counter[Key]:
    found: Counter[Key] = Counter()
    for (name, pairs), value in exporter.scrape().items():
        labels = dict(pairs)
        if name == "sip_responses_total" and value and labels["source"] == "chaos":
            found[(labels["method"], labels["code"])] += int(value)
    return found


@dataclass
class Chaos:
    tmp: Path
    exact: bool
    rng: random.Random
    exporter: Exporter | None = None
    actions: Counter[str] = field(default_factory=Counter)

    @property
    def logs(self) -> Path:
        return self.tmp / "logs"

    def config(self) -> Path:
        path = self.tmp / "config.yml"
        path.write_text(f"""
checkpoint: {{file: {self.tmp / "checkpoint.json"}, interval: 200ms}}
poll_interval: 200ms
rotate_wait: 500ms
flush_after: 200ms
sources:
  - name: chaos
    paths: ["{self.logs}/*.log*"]
    start_at: beginning
""")
        return path

    def start(self) -> None:
        self.exporter = start_exporter(self.config())
        exporter = self.exporter
        wait_until(
            lambda: exporter.ready() or exporter.process.poll() is not None,
            timeout=30,
            what="the exporter to start",
        )
        assert exporter.process.poll() is None, exporter.output()

    def crash_and_restart(self) -> None:
        assert self.exporter is not None
        self.exporter.process.send_signal(signal.SIGKILL)
        self.exporter.process.wait()
        time.sleep(self.rng.uniform(0, 0.3))  # the writers go on while it is down
        self.start()

    def act(self, writers: Writers) -> None:
        choices = ["rename", "copytruncate", "new file", "crash"]
        if not self.exact:
            choices += ["truncate", "delete", "rename away"]
        action = self.rng.choice(choices)
        if action == "new file" and len(writers.streams) >= 6:
            action = "rename"
        self.actions[action] += 1
        if action == "crash":
            self.crash_and_restart()
        elif action == "new file":
            writers.add_stream()
        else:
            stream = self.rng.choice(writers.streams)
            with writers.lock:
                self._change(action, stream, writers)

    def _change(self, action: str, stream: Stream, writers: Writers) -> None:
        stream.rotations += 1
        rotated = stream.path.with_name(f"{stream.path.name}.{stream.rotations}")
        if action == "rename":
            stream.path.rename(rotated)
            writers.reopen(stream)
        elif action == "rename away":
            away = self.tmp / "archive" / rotated.name
            away.parent.mkdir(exist_ok=True)
            stream.path.rename(away)
            writers.reopen(stream)
        elif action == "copytruncate":
            shutil.copyfile(stream.path, rotated)
            os.truncate(stream.path, 0)
        elif action == "truncate":
            os.truncate(stream.path, 0)
        elif action == "delete":
            stream.path.unlink()
            writers.reopen(stream)


def run_chaos(tmp_path: Path, seconds: float, exact: bool, seed: int) -> None:
    rng = random.Random(seed)
    chaos = Chaos(tmp_path, exact, rng)
    chaos.logs.mkdir()
    writers = Writers(chaos.logs, random.Random(seed + 1))
    for _ in range(3):
        writers.add_stream()
    chaos.start()
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            writers.write_round()
            stop.wait(0.005)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.1, 0.6))
            chaos.act(writers)
    finally:
        stop.set()
        writer.join()
        writers.close()
    exporter = chaos.exporter
    assert exporter is not None
    try:
        written, left = writers.written, left_in_files(chaos.logs)
        try:
            if exact:
                wait_until(
                    lambda: counted(exporter) == written,
                    timeout=60,
                    what="the counters to equal the writers' ground truth",
                )
            else:
                wait_until(
                    lambda: _within(counted(exporter), left, written),
                    timeout=60,
                    what="left-in-files <= counted <= written",
                )
        finally:
            report(chaos, writers, counted(exporter), left)
    finally:
        exporter.stop()


def _within(found: Counter[Key], low: Counter[Key], high: Counter[Key]) -> bool:
    keys = set(found) | set(low) | set(high)
    return all(low[k] <= found[k] <= high[k] for k in keys)


def report(chaos: Chaos, writers: Writers, final: Counter[Key], left: Counter[Key]) -> None:
    written = writers.written
    lost = sum(max(written[k] - final[k], 0) for k in written)
    duplicated = sum(max(final[k] - written[k], 0) for k in final)
    print(
        f"\nchaos ({'exact' if chaos.exact else 'lossy'}): written={written.total()} "
        f"counted={final.total()} left_in_files={left.total()} lost={lost} "
        f"duplicated={duplicated} restarts={chaos.actions['crash']} "
        f"rotations={chaos.actions['rename'] + chaos.actions['copytruncate']} "
        f"actions={dict(chaos.actions)}"
    )
    off = {
        k: (written[k], final[k], left[k])
        for k in set(written) | set(final)
        if written[k] != final[k]
    }
    if off:
        first = dict(sorted(off.items())[:20])
        print(f"(method, code): (written, counted, left) where they differ: {first}")


@pytest.fixture
def chaos_seconds(request: pytest.FixtureRequest) -> float:
    return float(request.config.getoption("--chaos-seconds"))


def test_rename_rotation_copytruncate_new_files_and_crashes_count_exactly_once(
    tmp_path: Path, chaos_seconds: float
) -> None:
    run_chaos(tmp_path, chaos_seconds, exact=True, seed=28181)


def test_truncation_deletion_and_renames_away_never_count_twice_or_invent(
    tmp_path: Path, chaos_seconds: float
) -> None:
    run_chaos(tmp_path, chaos_seconds, exact=False, seed=5060)
