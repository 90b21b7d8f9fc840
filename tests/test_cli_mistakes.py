"""A user's mistake on the command line ends in a clear message and exit status 2, never
a traceback; a run that finds nothing to do says so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import FIXTURES, run_cli


def assert_clear_error(result: object, *words: str) -> None:
    assert isinstance(result, subprocess.CompletedProcess)
    assert result.returncode == 2, result
    stderr = str(result.stderr)
    assert "Traceback" not in stderr
    for word in words:
        assert word in stderr, stderr


def test_explain_with_an_unknown_profile_names_the_profiles_there_are() -> None:
    result = run_cli("explain", "408", "--profile", "gb")
    assert_clear_error(result, "--profile 'gb'", "gb28181-platform")


def test_backfill_into_a_folder_that_cannot_be_made_names_the_flag(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("backfill", "--output", str(blocker / "out"), str(FIXTURES / "sip-wvp.log"))
    assert_clear_error(result, "--output", str(blocker / "out"))


def test_backfill_of_logs_without_time_stamps_writes_nothing_and_says_why(
    tmp_path: Path,
) -> None:
    # gosip writes seconds since its start: no record has a date.
    result = run_cli("backfill", "--output", str(tmp_path), str(FIXTURES / "sip-gosip.log"))
    assert result.returncode == 1, result.stderr
    assert "nothing was written" in result.stdout and "detect" in result.stdout
    assert "promtool" not in result.stdout
    assert not (tmp_path / "backfill.om").exists()


def test_backfill_always_says_which_zone_it_read_stamps_in(tmp_path: Path) -> None:
    result = run_cli(
        "backfill", "--timezone", "Asia/Shanghai", "--output", str(tmp_path),
        str(FIXTURES / "sip-wvp.log"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "read in Asia/Shanghai" in result.stdout


@pytest.mark.parametrize("path", ["metrics", "/", "/metrics?x=1"])
def test_a_telemetry_path_without_a_leading_slash_is_refused(path: str, tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(f"sources: [{{name: a, paths: ['{tmp_path}/*.log']}}]\n")
    for args in (
        ("demo", "--web.telemetry-path", path),
        (f"--config.file={config}", "--web.telemetry-path", path),
    ):
        assert_clear_error(run_cli(*args, timeout=20), "--web.telemetry-path")


def test_a_web_flag_before_the_demo_subcommand_is_not_overwritten_by_its_default() -> None:
    result = run_cli("--web.telemetry-path", "metrics", "demo", timeout=20)
    assert_clear_error(result, "--web.telemetry-path 'metrics'")


def test_backfill_names_a_file_that_gave_no_record_and_suggests_detect(tmp_path: Path) -> None:
    result = run_cli(
        "backfill", "--format", "kv", "--output", str(tmp_path), str(FIXTURES / "sip-wvp.log")
    )
    assert "sip-wvp.log: no record read" in result.stderr and "detect" in result.stderr
