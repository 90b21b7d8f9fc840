"""`sip-log-exporter backfill`: weeks of old logs as Prometheus history.

The fixture is a wvp-GB28181-pro log with `sip-log` on, four hours of 2024-01-08 (UTC) in
three rotated files, the middle one gzip-compressed, given out of order. The 503s of each
hour are known, including one on each side of 11:00:00, so a record counted in the wrong
step would show. The real promtool turns the output into blocks, a real Prometheus loads
them, and what it answers for each hour must equal the count in the log.
"""

from __future__ import annotations

import gzip
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.sipmsg import request, response
from tests.support import REPO, query, run_cli, running_prometheus

pytestmark = pytest.mark.system

DAY = datetime(2024, 1, 8, tzinfo=UTC)
# 503s per hour of the fixture (UTC): what Prometheus must answer.
HOURLY_503 = {10: 4, 11: 7, 12: 0, 13: 5}
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}", re.MULTILINE)


def at(when: datetime, record: str) -> str:
    """A wvp record with its log lines stamped `when` (UTC, written without a zone)."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"
    return _STAMP.sub(stamp, record)


def hour_of_records(hour: int, failures: int) -> list[tuple[datetime, str]]:
    """An hour of traffic: a 200 and a request every 10 minutes, a 200 in its last
    second, and `failures` 503s."""
    start = DAY + timedelta(hours=hour)
    records = [(start + timedelta(minutes=59, seconds=59), response(200))]
    for minute in range(0, 60, 10):
        when = start + timedelta(minutes=minute, seconds=5)
        records += [(when, response(200, "MESSAGE")), (when, request("INVITE"))]
    for n in range(failures):
        records.append((start + timedelta(minutes=7 * n + 1, seconds=n), response(503)))
    return records


def fixture_records() -> list[tuple[datetime, str]]:
    records = [r for hour, n in HOURLY_503.items() for r in hour_of_records(hour, n)]
    # Either side of 11:00:00: the first is in hour 10, the second in hour 11 (counted
    # in HOURLY_503 as the 4th of hour 10 and the 7th of hour 11).
    records.remove(next(r for r in records if r[0].hour == 10 and "503" in r[1]))
    records.remove(next(r for r in records if r[0].hour == 11 and "503" in r[1]))
    eleven = DAY + timedelta(hours=11)
    records.append((eleven - timedelta(milliseconds=1), response(503)))
    records.append((eleven, response(503)))
    return sorted(records, key=lambda r: r[0])


UNREADABLE_503 = (
    "2024-13-45 13:30:00.000 [Thread-1] INFO  c.g.StackLoggerImpl:82 - 接收：来自--->10.0.0.1\n"
    + response(503).split("\n", 2)[2]
)


def write_fixture(folder: Path) -> list[Path]:
    """Three rotated files, oldest first by name .2, .1.gz, then the live file."""
    texts = ["", "", ""]
    for when, record in fixture_records():
        part = 0 if when < DAY + timedelta(hours=11, minutes=30) else 1 if when.hour < 13 else 2
        texts[part] += at(when, record)
    texts[2] += UNREADABLE_503  # a record whose time cannot be read: counted as skipped
    oldest, middle, live = folder / "wvp.log.2", folder / "wvp.log.1.gz", folder / "wvp.log"
    oldest.write_text(texts[0], encoding="utf-8")
    with gzip.open(middle, "wt", encoding="utf-8") as packed:
        packed.write(texts[1])
    live.write_text(texts[2], encoding="utf-8")
    return [live, oldest, middle]  # out of order on purpose


def backfill(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("backfill", "--format", "sip", "--name", "wvp", *args, timeout=120)


@dataclass(frozen=True)
class Backfilled:
    folder: Path
    result: subprocess.CompletedProcess[str]

    @property
    def openmetrics(self) -> Path:
        return self.folder / "out" / "backfill.om"


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Backfilled:
    folder = tmp_path_factory.mktemp("backfill")
    files = write_fixture(folder)
    result = backfill(*map(str, files), "--output", str(folder / "out"), "--timezone", "UTC")
    assert result.returncode == 0, result.stderr
    return Backfilled(folder, result)


def test_the_summary_reports_range_records_series_and_skipped_records(
    backfilled: Backfilled,
) -> None:
    out = backfilled.result.stdout
    records = len(fixture_records())
    assert "read 3 file(s), " + f"{records} record(s) counted" in out
    assert "time range covered 2024-01-08 10:00:05+00:00 to 2024-01-08 13:59:59+00:00" in out
    assert "skipped 1 record(s)" in out
    assert "1 after a time stamp that names no valid date or time" in out
    assert re.search(r"\d+ series, 241 step\(s\) of 60 s", out), out


def test_without_a_terminal_nothing_but_the_summary_is_printed(backfilled: Backfilled) -> None:
    assert backfilled.result.stderr == ""


def test_the_output_holds_cumulative_counters_with_the_live_names_and_labels(
    backfilled: Backfilled,
) -> None:
    text = backfilled.openmetrics.read_text(encoding="utf-8")
    series = (
        'sip_responses_total{source="wvp",direction="in",method="INVITE",code="503",'
        'category="overload"}'
    )
    values = [line.split() for line in text.splitlines() if line.startswith(series + " ")]
    at_eleven = int((DAY + timedelta(hours=11)).timestamp())
    assert [int(v) for v, t in ((row[-2], row[-1]) for row in values) if int(t) == at_eleven] == [
        HOURLY_503[10]
    ]
    assert int(values[-1][-2]) == sum(HOURLY_503.values())
    assert text.endswith("# EOF\n")


def test_on_a_terminal_a_progress_bar_shows_files_bytes_records_rate_and_time_left(
    backfilled: Backfilled, tmp_path: Path
) -> None:
    files = [str(p) for p in sorted(backfilled.folder.glob("wvp.log*"))]
    command = shlex.join(
        [
            sys.executable,
            "-m",
            "exporter",
            "backfill",
            "--format",
            "sip",
            *files,
            "--output",
            str(tmp_path / "out"),
            "--timezone",
            "UTC",
        ]
    )
    shown = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout.decode()  # as bytes: text mode would turn the bar's "\r" into "\n"
    assert re.search(r"\r\[#{24}\] files 3/3 +[\d.]+/[\d.]+ MiB +records \d+ ", shown), shown
    assert "MiB/s" in shown
    assert "left 0:00:00" in shown


def test_a_truncated_gzip_file_is_reported_and_what_was_read_of_it_counts(
    tmp_path: Path,
) -> None:
    whole = gzip.compress(at(DAY, response(503)).encode() * 200)
    damaged = tmp_path / "wvp.log.1.gz"
    damaged.write_bytes(whole[: len(whole) // 2])
    result = backfill(str(damaged), "--output", str(tmp_path / "out"), "--timezone", "UTC")
    assert result.returncode == 0, result.stderr
    assert f"could not read all of {damaged}: " in result.stdout
    counted = re.search(r"(\d+) record\(s\) counted", result.stdout)
    assert counted is not None
    assert 0 < int(counted[1]) < 200


def test_an_unknown_timezone_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(response(503), encoding="utf-8")
    result = backfill(str(log), "--output", str(tmp_path), "--timezone", "Mars/Olympus")
    assert result.returncode == 2
    assert "--timezone 'Mars/Olympus': not a time zone" in result.stderr


@pytest.fixture(scope="module")
def prometheus(backfilled: Backfilled) -> Iterator[str]:
    """A real Prometheus on the backfill's history, put there as the summary says: run the
    promtool command it prints, then move the blocks into Prometheus' data folder."""
    lines = backfilled.result.stdout.splitlines()
    command = shlex.split(next(line for line in lines if line.startswith("next: "))[6:])
    assert command[:4] == ["promtool", "tsdb", "create-blocks-from", "openmetrics"]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    blocks = Path(command[-1])
    assert any(
        line.startswith(f"then: stop Prometheus, move the block folders of {blocks}")
        for line in lines
    )
    base = backfilled.folder / "prometheus"
    (base / "tsdb").mkdir(parents=True)
    for block in blocks.iterdir():
        block.rename(base / "tsdb" / block.name)
    config = base / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n", encoding="utf-8")
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    # The fixture's day is older than the default retention of 15 days.
    with running_prometheus(binary, config, base, ["--storage.tsdb.retention.time=100y"]) as url:
        yield url


@pytest.mark.parametrize("hour", sorted(HOURLY_503))
def test_prometheus_answers_each_hours_503s_as_counted_in_the_log(
    prometheus: str, hour: int
) -> None:
    """Both queries are evaluated at the hour's end E, where a sample stands, as at every
    step boundary. The difference of the counter at E and at E - 1h is exact whatever the
    Prometheus version. increase() over [1h] at E is exact too: its window [E - 1h, E]
    starts and ends on samples, so it extrapolates by nothing (Prometheus 2.x ranges
    include both ends)."""
    end = (DAY + timedelta(hours=hour + 1)).timestamp()
    selector = 'sip_responses_total{code="503"}'
    difference = f"sum({selector}) - sum({selector} offset 1h)"
    assert query(prometheus, difference, at=end) == [float(HOURLY_503[hour])]
    assert query(prometheus, f"sum(increase({selector}[1h]))", at=end) == [float(HOURLY_503[hour])]
