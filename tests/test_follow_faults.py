"""Faults in the followed files never stop the exporter: a file that fails to read, and
folders whose symbolic links make loops."""

from __future__ import annotations

import glob
import signal
import socket
import time
from os.path import isfile
from pathlib import Path

from exporter.ingest.walk import search
from tests import sipmsg
from tests.support import run_cli, running_exporter, start_exporter, value, wait_until

# Reading a process's own memory at address 0 (never mapped) fails with EIO for real: a
# file that any user can open and that gives a true input/output error on every read. A
# link to it among the logs makes it one of the source's files.
FAILING_FILE = "/proc/self/mem"


def test_a_file_that_fails_with_an_io_error_is_counted_and_retried_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "wvp.log").write_text(sipmsg.response(503))
    (logs / "failing.log").symlink_to(FAILING_FILE)
    config = tmp_path / "config.yml"
    config.write_text(
        "poll_interval: 100ms\n"
        f"sources: [{{name: p, paths: ['{logs}/*.log'], start_at: beginning}}]\n"
    )
    with running_exporter(config) as exporter:
        wait_until(
            lambda: value(exporter.scrape(), "sip_exporter_read_errors_total", source="p") >= 3,
            what="the failing file retried on several passes",
        )
        samples = exporter.scrape()
        assert value(samples, "sip_responses_total", source="p", code="503") == 1
        assert exporter.process.poll() is None
        (logs / "wvp.log").write_text(sipmsg.response(503) + sipmsg.response(408))
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", source="p", code="408"),
            what="the other file still read",
        )
        output = exporter.output()
    assert output.count("Input/output error") == 1, output
    assert "cannot listen" not in output


def test_only_a_listen_address_in_use_ends_it_and_the_message_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(f"sources: [{{name: p, paths: ['{tmp_path}/*.log']}}]\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        exporter = start_exporter(config, port=taken.getsockname()[1])
        status = exporter.process.wait(timeout=30)
    assert status == 2
    assert f"cannot listen on 127.0.0.1:{exporter.port}: Address already in use" in (
        exporter.output()
    )


def test_links_that_loop_are_followed_once_and_sigterm_stops_it_promptly(
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    (logs / "a").mkdir(parents=True)
    (logs / "b").mkdir()
    (logs / "a" / "x.log").write_text(sipmsg.response(503))
    (logs / "b" / "y.log").write_text(sipmsg.response(408))
    for folder in ("a", "b"):  # two ways back up: every depth leads to the top again
        (logs / folder / "up").symlink_to("..")
    (logs / "a" / "here").symlink_to(".")
    config = tmp_path / "config.yml"
    config.write_text(
        "poll_interval: 100ms\n"
        f"sources: [{{name: p, paths: ['{logs}/**/*.log'], start_at: beginning}}]\n"
    )
    with running_exporter(config) as exporter:
        samples = exporter.scrape()
        assert value(samples, "sip_responses_total", source="p") == 2
        assert value(samples, "sip_exporter_files", source="p") == 2
        started = time.monotonic()
        assert exporter.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 5


def test_a_search_stops_at_its_limit_and_when_asked_to(tmp_path: Path) -> None:
    for n in range(30):
        (tmp_path / f"{n}.log").touch()
    limited = search([f"{tmp_path}/**/*.log"], (), limit=10)
    assert limited.over_limit and len(limited.paths) == 10
    stopped = search([f"{tmp_path}/**/*.log"], (), limit=1000, interrupted=lambda: True)
    assert stopped.interrupted


def test_check_config_refuses_a_search_of_the_whole_system(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("sources: [{name: p, paths: ['/var/log/wvp/*.log', '/**']}]\n")
    result = run_cli("check-config", str(config))
    assert result.returncode == 2
    assert "sources[0].paths: '/**' searches the whole system: name the log folder" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_search_without_links_finds_what_glob_finds(tmp_path: Path) -> None:
    for name in ("a.log", "x/b.log", "x/y/c.log", "x/y/c.txt", "x/.hidden/d.log", "x/.e.log"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    for pattern in ("**/*.log", "x/**/*.log", "**/c.*", "x/**", "*/**/*.log", "**.log"):
        files = {p for p in glob.glob(f"{tmp_path}/{pattern}", recursive=True) if isfile(p)}
        assert search([f"{tmp_path}/{pattern}"], (), limit=1000).paths == files, pattern
