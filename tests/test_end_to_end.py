"""The real exporter process, following real files through rotation, truncation and restarts.

Every step appends known records, then waits until /metrics shows exactly the counts
written so far: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from tests import sipmsg
from tests.support import Exporter, Samples, running_exporter, value, wait_until

pytestmark = pytest.mark.system


class Ledger:
    """What has been written, and what the exporter must therefore show."""

    def __init__(self) -> None:
        self.responses: Counter[tuple[str, str]] = Counter()
        self.requests: Counter[str] = Counter()

    def write(
        self, path: Path, responses: int = 0, code: int = 200, requests: int = 0, noise: int = 1
    ) -> None:
        text = sipmsg.noise(noise)
        for _ in range(requests):
            text += sipmsg.request("INVITE", "out")
            self.requests["INVITE"] += 1
        for _ in range(responses):
            text += sipmsg.response(code, "INVITE", "in") + sipmsg.noise(noise)
            self.responses[("INVITE", str(code))] += 1
        with path.open("a", encoding="utf-8", newline="") as out:
            out.write(text)

    def matches(self, samples: Samples) -> bool:
        shown = {
            (m, c): value(samples, "sip_responses_total", source="platform", method=m, code=c)
            for m, c in self.responses
        }
        total = value(samples, "sip_responses_total", source="platform")
        requests = value(samples, "sip_requests_total", source="platform")
        return (
            shown == dict(self.responses)
            and total == sum(self.responses.values())
            and requests == sum(self.requests.values())
        )

    def wait_for(self, exporter: Exporter, what: str) -> Samples:
        def scrape_if_exact() -> Samples | None:
            samples = exporter.scrape()
            return samples if self.matches(samples) else None

        return wait_until(
            scrape_if_exact, what=f"exact counts after {what}: {dict(self.responses)}"
        )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    config = tmp_path / "config.yml"
    config.write_text(f"""
checkpoint: {{file: {tmp_path / "state" / "checkpoint.json"}, interval: 200ms}}
poll_interval: 100ms
rotate_wait: 300ms
flush_after: 100ms
sources:
  - name: platform
    paths: ["{logs}/*.log"]
    format: sip
    require_wrapper: true
    start_at: beginning
""")
    return config, logs


def test_counts_survive_rotation_truncation_deletion_and_restart(setup: tuple[Path, Path]) -> None:
    config, logs = setup
    current = logs / "wvp.log"
    ledger = Ledger()
    ledger.write(current, responses=5, code=200, requests=3)
    with running_exporter(config) as exporter:
        ledger.wait_for(exporter, "the first records")

        # Rename rotation: the writer still appends to the old file before reopening.
        rotated = logs / "wvp.log.1"
        current.rename(rotated)
        ledger.write(rotated, responses=2, code=503)
        ledger.write(current, responses=4, code=408)
        samples = ledger.wait_for(exporter, "rename rotation")
        assert value(samples, "sip_exporter_rotations_total", source="platform") >= 1

        # Truncation in place (copytruncate without a copy that matches the glob).
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_lag_bytes") == 0,
            what="the reader to catch up",
        )
        os.truncate(current, 0)
        ledger.write(current, responses=1, code=486)
        samples = ledger.wait_for(exporter, "truncation")
        assert value(samples, "sip_exporter_truncations_total", source="platform") == 1

        # Deletion, then a new file of the same name.
        current.unlink()
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_files") == 0,
            what="the deleted file to be forgotten",
        )
        ledger.write(current, responses=3, code=200)
        ledger.wait_for(exporter, "delete and recreate")

    # Stopped: records written while the exporter is down are counted after the restart,
    # and counters continue from the checkpoint instead of starting again at 0.
    ledger.write(current, responses=2, code=503, requests=1)
    with running_exporter(config) as exporter:
        ledger.wait_for(exporter, "a restart")
        ledger.write(current, responses=1, code=200)
        ledger.wait_for(exporter, "appending after the restart")


def bytes_read_reach(exporter: Exporter, count: int) -> bool:
    return value(exporter.scrape(), "sip_exporter_bytes_total") == count


def test_a_message_split_across_writes_is_counted_once(setup: tuple[Path, Path]) -> None:
    config, logs = setup
    path = logs / "wvp.log"
    text = sipmsg.response(503).encode()
    with running_exporter(config) as exporter:
        with path.open("ab") as out:
            for cut in (40, 130, 260, len(text)):
                out.write(text[out.tell() : cut])
                out.flush()
                wait_until(partial(bytes_read_reach, exporter, cut), what=f"{cut} bytes read")
        samples = exporter.scrape()
        assert (
            value(samples, "sip_responses_total", code="503", method="INVITE", direction="in") == 1
        )
        assert value(samples, "sip_responses_total") == 1


def test_408_and_503_series_exist_at_zero_before_any_record(setup: tuple[Path, Path]) -> None:
    config, _ = setup
    with running_exporter(config) as exporter:
        samples = exporter.scrape()
    for code in ("408", "503"):
        keys = [k for k in samples if k[0] == "sip_responses_total" and ("code", code) in k[1]]
        assert keys, f"no {code} series"
        assert all(samples[k] == 0 for k in keys)
        assert {dict(k[1])["method"] for k in keys} == {"INVITE", "REGISTER", "MESSAGE"}


def test_the_exposition_passes_promtool_check_metrics(setup: tuple[Path, Path]) -> None:
    config, logs = setup
    Ledger().write(logs / "wvp.log", responses=3, code=503, requests=2)
    with running_exporter(config) as exporter:
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", code="503") == 3,
            what="the records",
        )
        text = exporter.metrics_text()
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, text=True, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_health_readiness_and_landing_page(setup: tuple[Path, Path]) -> None:
    config, logs = setup
    Ledger().write(logs / "wvp.log", responses=1)
    with running_exporter(config) as exporter:
        assert exporter.get("/-/healthy")[0] == 200
        assert exporter.get("/-/ready")[0] == 200
        status, page = exporter.get("/")
        assert status == 200
        assert "platform" in page and 'href="/metrics"' in page
        assert exporter.get("/nope")[0] == 404


def test_sigterm_exits_zero_and_saves_the_checkpoint(setup: tuple[Path, Path]) -> None:
    config, logs = setup
    Ledger().write(logs / "wvp.log", responses=1)
    with running_exporter(config) as exporter:
        wait_until(lambda: value(exporter.scrape(), "sip_responses_total") == 1, what="a record")
        assert exporter.stop() == 0
    saved = config.parent / "state" / "checkpoint.json"
    assert '"sip_responses_total"' in saved.read_text()
