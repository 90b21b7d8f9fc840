"""A web config changed while the exporter runs: a file being rewritten, empty, invalid or
unreadable never opens the door; the last valid one stays in force until a valid file is
back, and the log and a self-metric say so. Proven against the real exporter process, with
a real writer process."""

from __future__ import annotations

import collections
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest

from tests.support import (
    Exporter,
    basic_auth,
    one_source_config,
    run_cli,
    running_exporter,
    value,
    wait_until,
)

# Real exporter processes and sockets: the full suite's.
pytestmark = pytest.mark.system

HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
GUARDED = f"basic_auth_users:\n  prometheus: '{HASH}'\n"
CREDENTIALS = basic_auth("prometheus", "s3cret")
RELOAD_OK = "sip_exporter_web_config_last_reload_successful"


@dataclass(frozen=True)
class Running:
    exporter: Exporter
    web: Path


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    config = one_source_config(tmp_path)
    web = tmp_path / "web.yml"
    web.write_text(GUARDED)
    with running_exporter(config, f"--web.config.file={web}", headers=CREDENTIALS) as exporter:
        yield Running(exporter, web)


def anonymous_status(exporter: Exporter) -> int:
    return exporter.request("GET", "/metrics", {"Authorization": ""})[0]


def reload_ok(exporter: Exporter) -> float:
    return value(exporter.scrape(), RELOAD_OK)


REWRITER = textwrap.dedent(
    """
    import sys
    path, text = sys.argv[1], sys.argv[2]
    while True:
        with open(path, "w") as file:  # truncated, then written: as `>` and an editor do
            file.write(text)
    """
)


def test_rewriting_the_web_config_in_place_never_lets_a_request_through(running: Running) -> None:
    assert reload_ok(running.exporter) == 1
    writer = subprocess.Popen([sys.executable, "-c", REWRITER, str(running.web), GUARDED])
    try:
        statuses = collections.Counter(anonymous_status(running.exporter) for _ in range(1500))
    finally:
        writer.kill()
        writer.wait()
    print(f"1500 requests without credentials during rewrites: {dict(statuses)}")
    assert statuses[200] == 0, statuses
    assert statuses[401] == 1500, statuses
    assert running.exporter.get("/metrics")[0] == 200


@pytest.mark.parametrize(
    "broken",
    ["", "   \n", "basic_auth_users: [\n", "basic_auth_users: {prometheus: not-a-hash}\n"],
    ids=["empty", "blank", "invalid YAML", "invalid value"],
)
def test_an_unusable_web_config_keeps_the_last_valid_one_and_says_so(
    running: Running, broken: str
) -> None:
    exporter = running.exporter
    running.web.write_text(broken)
    wait_until(lambda: reload_ok(exporter) == 0, what="the failed reload in the metric")
    assert anonymous_status(exporter) == 401
    assert exporter.get("/metrics")[0] == 200  # the last valid config, still in force
    assert "keeping the last valid one" in exporter.output()
    running.web.write_text(GUARDED)
    wait_until(lambda: reload_ok(exporter) == 1, what="the good file back in the metric")
    assert anonymous_status(exporter) == 401


def test_an_unreadable_web_config_keeps_the_last_valid_one(running: Running) -> None:
    running.web.unlink()
    wait_until(lambda: reload_ok(running.exporter) == 0, what="the failed reload")
    assert anonymous_status(running.exporter) == 401
    running.web.write_text(GUARDED)
    wait_until(lambda: reload_ok(running.exporter) == 1, what="the file back")


def test_a_changed_web_config_applies_once_it_has_settled(running: Running) -> None:
    """A file modified in the last moment may be half-written, even if what is there so far
    is valid: it is applied once it has not changed for a second."""
    exporter = running.exporter
    running.web.write_text("http_server_config: {headers: {X-Frame-Options: deny}}\n")
    assert anonymous_status(exporter) == 401  # just written: the last valid one holds
    wait_until(lambda: anonymous_status(exporter) == 200, what="the settled file applied")
    assert exporter.request("GET", "/metrics")[2]["X-Frame-Options"] == "deny"
    assert reload_ok(exporter) == 1
    assert "web config" in exporter.output() and "reloaded" in exporter.output()


def test_an_empty_web_config_is_refused_at_start(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(f"sources: [{{name: p, paths: ['{tmp_path}/*.log']}}]\n")
    web = tmp_path / "web.yml"
    web.write_text("# nothing here yet\n")
    result = run_cli(
        f"--config.file={config}",
        f"--web.config.file={web}",
        "--web.listen-address=127.0.0.1:0",
    )
    assert result.returncode == 2
    assert f"{web}: empty; to serve without TLS and basic auth" in result.stderr
    assert "Traceback" not in result.stderr
