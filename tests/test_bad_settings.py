"""Settings that would break the exporter at run time are refused before it runs.

Each bad file gives exit status 2 and a message naming the file and the key (never a
traceback, never a hang), wherever it is read: `check-config`, the exporter's start, the
web config, and a reload of the running exporter (HTTP 500, the running config kept).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import sipmsg
from tests.support import free_port, run_cli, running_exporter, value, wait_until

# Real exporter processes and sockets: the full suite's.
pytestmark = pytest.mark.system

DEEP = 20_000


def alias_bomb(key: str, use: str) -> str:
    """Nine levels of ten aliases each under `key`, a billion strings once expanded, then
    used as the value of `use` (a setting whose bad value is quoted in its message)."""
    lines = [f"{key}:", '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for name, below in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"  {name}: &{name} [{', '.join([f'*{below}'] * 10)}]")
    return "\n".join(lines) + f"\n{use}\n"


def good_source(logs: Path) -> str:
    return f'sources: [{{name: a, paths: ["{logs}/*.log"], start_at: beginning}}]\n'


@dataclass(frozen=True)
class Bad:
    """A config that would break the exporter: its text (given the logs folder and a
    folder for extra files) and the key the message must name."""

    text: Callable[[Path, Path], str]
    key: str


def _gbk_catalog(logs: Path, folder: Path) -> str:
    catalog = folder / "catalog.yml"
    catalog.write_bytes(
        'codes:\n  "486": {reason: Busy Here, user: {zh: 设备忙, en: busy}}\n'.encode("gbk")
    )
    return f"catalog: {{file: {catalog}}}\n" + good_source(logs)


POLL = "poll_interval"
BAD_CONFIGS = {
    "rot13 encoding": Bad(
        lambda logs, _: f'sources: [{{name: a, paths: ["{logs}/*.log"], encoding: rot13}}]\n',
        "sources[0].encoding",
    ),
    "utf-16 encoding": Bad(
        lambda logs, _: f'sources: [{{name: a, paths: ["{logs}/*.log"], encoding: utf-16}}]\n',
        "sources[0].encoding",
    ),
    "infinite poll": Bad(lambda logs, _: "poll_interval: .inf\n" + good_source(logs), POLL),
    "nan poll": Bad(lambda logs, _: "poll_interval: .nan\n" + good_source(logs), POLL),
    "negative poll": Bad(lambda logs, _: "poll_interval: -1s\n" + good_source(logs), POLL),
    "absurd poll": Bad(lambda logs, _: "poll_interval: 9999999999h\n" + good_source(logs), POLL),
    "bare number": Bad(lambda logs, _: "rotate_wait: 5\n" + good_source(logs), "rotate_wait"),
    "NUL in a path": Bad(
        lambda logs, _: f'sources: [{{name: a, paths: ["{logs}/\\0.log"]}}]\n',
        "sources[0].paths",
    ),
    "GBK catalog": Bad(_gbk_catalog, "catalog.file"),
    "deep nesting": Bad(
        lambda logs, _: good_source(logs) + "poll_interval: " + "[" * DEEP + "]" * DEEP + "\n",
        "poll_interval",
    ),
    "alias bomb": Bad(
        lambda logs, _: good_source(logs) + alias_bomb("precreate", "poll_interval: *i"),
        "precreate",
    ),
}


def assert_refused(result_code: int, output: str, filename: Path, key: str) -> None:
    assert result_code == 2, output
    assert "Traceback" not in output
    assert f"{filename}: {key}" in output, output


@pytest.mark.parametrize("case", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_check_config_refuses_what_would_break_the_exporter(tmp_path: Path, case: Bad) -> None:
    config = tmp_path / "config.yml"
    config.write_text(case.text(tmp_path, tmp_path), encoding="utf-8")
    result = run_cli("check-config", str(config), timeout=30)
    assert_refused(result.returncode, result.stderr, config, case.key)


@pytest.mark.parametrize("case", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_the_exporter_refuses_to_start_with_what_would_break_it(tmp_path: Path, case: Bad) -> None:
    (tmp_path / "x.log").write_text(sipmsg.response(200))
    config = tmp_path / "config.yml"
    config.write_text(case.text(tmp_path, tmp_path), encoding="utf-8")
    result = run_cli(
        f"--config.file={config}", f"--web.listen-address=127.0.0.1:{free_port()}", timeout=30
    )
    assert_refused(result.returncode, result.stderr, config, case.key)


BAD_WEB_CONFIGS = {
    "deep nesting": ("basic_auth_users: " + "[" * DEEP + "]" * DEEP + "\n", "basic_auth_users"),
    "alias bomb": (
        alias_bomb("http_server_config", "tls_server_config: {min_version: *i}"),
        "http_server_config",
    ),
}


@pytest.mark.parametrize("case", BAD_WEB_CONFIGS.values(), ids=BAD_WEB_CONFIGS.keys())
def test_a_web_config_that_would_break_the_exporter_is_refused(
    tmp_path: Path, case: tuple[str, str]
) -> None:
    text, key = case
    config = tmp_path / "config.yml"
    config.write_text(good_source(tmp_path))
    web = tmp_path / "web.yml"
    web.write_text(text)
    result = run_cli(
        f"--config.file={config}",
        f"--web.config.file={web}",
        f"--web.listen-address=127.0.0.1:{free_port()}",
        timeout=30,
    )
    assert_refused(result.returncode, result.stderr, web, key)


def test_a_web_config_not_in_utf8_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(good_source(tmp_path))
    web = tmp_path / "web.yml"
    web.write_bytes("# 网页配置\nbasic_auth_users: {}\n".encode("gbk"))
    result = run_cli(
        f"--config.file={config}",
        f"--web.config.file={web}",
        f"--web.listen-address=127.0.0.1:{free_port()}",
        timeout=30,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{web}: not UTF-8" in result.stderr


def reload(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url + "/-/reload", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.parametrize("case", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_a_reload_refuses_what_would_break_the_exporter_and_keeps_running(
    tmp_path: Path, case: Bad
) -> None:
    log = tmp_path / "x.log"
    log.write_text(sipmsg.response(503))
    config = tmp_path / "config.yml"
    good = "poll_interval: 100ms\n" + good_source(tmp_path)
    config.write_text(good)
    with running_exporter(config) as exporter:
        config.write_text(case.text(tmp_path, tmp_path), encoding="utf-8")
        status, body = reload(exporter.url)
        assert status == 500, body
        assert f"{config}: {case.key}" in body
        with log.open("a") as out:
            out.write(sipmsg.response(503))
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", code="503") == 2,
            what="the running config still counting",
        )
        config.write_text(good)
        assert reload(exporter.url)[0] == 200
    assert "Traceback" not in exporter.output()
