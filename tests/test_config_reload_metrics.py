"""The config reload self-metrics, as the Prometheus server names its own: whether the
last reload of the config file succeeded, and when the config in force was loaded. Set at
start and on every reload, by SIGHUP and by POST /-/reload. Proven against the real
exporter process."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.support import Exporter, one_source_config, running_exporter, value, wait_until

# Real exporter processes and sockets: the full suite's.
pytestmark = pytest.mark.system

OK = "sip_exporter_config_last_reload_successful"
LOADED_AT = "sip_exporter_config_last_reload_success_timestamp_seconds"
# A config that does not validate: a source needs paths.
BROKEN = "sources: [{name: p, paths: []}]\n"


def served(exporter: Exporter, name: str) -> float:
    """The one sample of `name`, which must be served (a missing one is not 0)."""
    samples = exporter.scrape()
    assert (name, ()) in samples, f"{name} is not served"
    return value(samples, name)


def reload_ok(exporter: Exporter) -> float:
    return served(exporter, OK)


def loaded_at(exporter: Exporter) -> float:
    return served(exporter, LOADED_AT)


def post_reload(exporter: Exporter) -> int:
    return exporter.request("POST", "/-/reload")[0]


def test_a_started_exporter_reports_its_config_loaded_successfully_at_start(
    tmp_path: Path,
) -> None:
    config = one_source_config(tmp_path)
    before = time.time()
    with running_exporter(config) as exporter:
        assert reload_ok(exporter) == 1
        assert before - 1 <= loaded_at(exporter) <= time.time()


def test_a_failed_reload_sets_successful_to_0_and_keeps_the_time_of_the_config_in_force(
    tmp_path: Path,
) -> None:
    config = one_source_config(tmp_path)
    with running_exporter(config) as exporter:
        started = loaded_at(exporter)
        config.write_text(BROKEN)
        assert post_reload(exporter) == 500
        assert reload_ok(exporter) == 0
        assert loaded_at(exporter) == started


def test_a_failed_sighup_reload_sets_successful_to_0(tmp_path: Path) -> None:
    config = one_source_config(tmp_path)
    with running_exporter(config) as exporter:
        config.write_text(BROKEN)
        exporter.process.send_signal(signal.SIGHUP)
        wait_until(lambda: reload_ok(exporter) == 0, what="the failed reload reported")


def test_a_good_reload_after_a_failed_one_sets_successful_to_1_and_a_newer_time(
    tmp_path: Path,
) -> None:
    config = one_source_config(tmp_path)
    good = config.read_text()
    with running_exporter(config) as exporter:
        started = loaded_at(exporter)
        config.write_text(BROKEN)
        assert post_reload(exporter) == 500
        config.write_text(good)
        exporter.process.send_signal(signal.SIGHUP)
        wait_until(lambda: reload_ok(exporter) == 1, what="the good reload reported")
        assert loaded_at(exporter) > started
