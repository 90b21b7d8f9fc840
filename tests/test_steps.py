"""The counter history backfill writes: cumulative samples at step boundaries, as
OpenMetrics that promtool turns into TSDB blocks."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from exporter import contract
from exporter.backfill.steps import StepCounts
from exporter.count.tally import OVERFLOW

RESPONSES = contract.RESPONSES.name
REQUESTS = contract.REQUESTS.name
S503 = ("wvp", "in", "INVITE", "503", "overload")
S200 = ("wvp", "in", "INVITE", "200", "success")
S408 = ("wvp", "in", "INVITE", "408", "timeout")
REQ = ("wvp", "out", "INVITE")


def text(counts: StepCounts) -> str:
    return "".join(counts.openmetrics())


def samples(counts: StepCounts, series: str) -> list[tuple[int, int]]:
    """(value, timestamp) of every sample of one series line prefix, in order."""
    found = []
    for line in text(counts).splitlines():
        if line.startswith(series + " "):
            _, value, stamp = line.rsplit(" ", 2)
            found.append((int(value), int(stamp)))
    return found


def test_samples_are_cumulative_at_each_boundary_counting_events_before_it() -> None:
    counts = StepCounts(60, 100)
    counts.add(RESPONSES, Counter({S503: 2}), counts.index(120.5))
    counts.add(RESPONSES, Counter({S503: 3}), counts.index(239.9))
    counts.add(RESPONSES, Counter({S200: 1}), counts.index(300.0))
    series = 'sip_responses_total{source="wvp",direction="in",method="INVITE",code="503",'
    series += 'category="overload"}'
    assert samples(counts, series) == [(0, 120), (2, 180), (5, 240), (5, 300), (5, 360)]


def test_a_series_starts_at_0_at_the_step_of_its_first_event() -> None:
    counts = StepCounts(60, 100)
    counts.add(RESPONSES, Counter({S503: 1}), 2)
    counts.add(RESPONSES, Counter({S200: 4}), 4)
    series = 'sip_responses_total{source="wvp",direction="in",method="INVITE",code="200",'
    series += 'category="success"}'
    assert samples(counts, series) == [(0, 240), (4, 300)]


def test_series_created_at_0_exist_from_the_first_step() -> None:
    counts = StepCounts(60, 100)
    counts.ensure(RESPONSES, [S408])
    counts.add(RESPONSES, Counter({S503: 1}), 2)
    series = 'sip_responses_total{source="wvp",direction="in",method="INVITE",code="408",'
    series += 'category="timeout"}'
    assert samples(counts, series) == [(0, 120), (0, 180)]


def test_families_are_contiguous_with_their_type_and_the_text_ends_with_eof() -> None:
    counts = StepCounts(60, 100)
    counts.add(REQUESTS, Counter({REQ: 1}), 1)
    counts.add(RESPONSES, Counter({S503: 1}), 3)
    lines = text(counts).splitlines()
    names = [line.split("{")[0] for line in lines if not line.startswith("#")]
    assert names == sorted(names, reverse=True)  # all responses, then all requests
    assert "# TYPE sip_responses counter" in lines
    assert "# TYPE sip_requests counter" in lines
    assert lines[-1] == "# EOF"


def test_nothing_counted_writes_only_eof() -> None:
    assert text(StepCounts(60, 100)) == "# EOF\n"


def test_new_series_beyond_the_limit_are_counted_in_the_overflow_series() -> None:
    counts = StepCounts(60, 1)
    counts.add(RESPONSES, Counter({S503: 1}), 1)
    counts.add(RESPONSES, Counter({S200: 2}), 1)
    overflow = 'sip_responses_total{source="wvp",direction="overflow",method="overflow",'
    overflow += f'code="{OVERFLOW}",category="overflow"}}'
    assert samples(counts, overflow) == [(0, 60), (2, 120)]
    assert counts.dropped == 2


@pytest.mark.system
def test_promtool_creates_blocks_holding_every_sample(tmp_path: Path) -> None:
    counts = StepCounts(60, 100)
    counts.ensure(RESPONSES, [S408])
    for index in range(1_700_000_000 // 60, 1_700_000_000 // 60 + 180, 7):
        counts.add(RESPONSES, Counter({S503: 1, S200: 3}), index)
        counts.add(REQUESTS, Counter({REQ: 2}), index)
    written = tmp_path / "backfill.om"
    written.write_text(text(counts), encoding="utf-8")
    result = subprocess.run(
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(written),
            str(tmp_path / "b"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = sum(1 for line in text(counts).splitlines() if not line.startswith("#"))
    listed = subprocess.run(
        ["promtool", "tsdb", "list", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert sum(int(row[4]) for row in rows) == expected
