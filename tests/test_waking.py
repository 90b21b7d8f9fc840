"""File events wake the reader early; the poll alone serves sources that send none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import sipmsg
from tests.support import running_exporter, value, wait_until

pytestmark = pytest.mark.system


def config_with(tmp_path: Path, poll_only: bool) -> tuple[Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    config = tmp_path / "config.yml"
    config.write_text(f"""
poll_interval: {"300ms" if poll_only else "1h"}
sources:
  - name: platform
    paths: ["{logs}/**/*.log"]
    start_at: beginning
    poll_only: {str(poll_only).lower()}
""")
    return config, logs


def test_a_file_event_wakes_the_reader_long_before_the_next_poll(tmp_path: Path) -> None:
    config, logs = config_with(tmp_path, poll_only=False)
    with running_exporter(config) as exporter:
        (logs / "a.log").write_text(sipmsg.response(503), encoding="utf-8")
        # The poll runs once an hour here: only a file event can explain a quick count.
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", code="503") == 1,
            timeout=10,
            what="the record, woken by a file event",
        )
        nested = logs / "2024" / "01"
        nested.mkdir(parents=True)
        (nested / "b.log").write_text(sipmsg.response(408), encoding="utf-8")
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", code="408") == 1,
            timeout=10,
            what="a record in a new sub-folder",
        )


def test_a_poll_only_source_is_read_by_the_poll(tmp_path: Path) -> None:
    config, logs = config_with(tmp_path, poll_only=True)
    with running_exporter(config) as exporter:
        (logs / "a.log").write_text(sipmsg.response(503), encoding="utf-8")
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", code="503") == 1,
            what="the record, read by the poll",
        )
