"""The tally: counts by label set, the cardinality guard, and the checkpoint form."""

from __future__ import annotations

import pytest

from exporter.tally import DROPPED_METRIC, OVERFLOW, Tally


def test_increments_add_up_per_label_set() -> None:
    tally = Tally({})
    tally.add("m", {("a", "x"): 2, ("a", "y"): 1})
    tally.add("m", {("a", "x"): 3})
    assert tally.snapshot().counters["m"] == {("a", "x"): 5, ("a", "y"): 1}


def test_a_full_metric_counts_new_label_sets_in_the_sources_overflow_series() -> None:
    tally = Tally({"m": 2})
    tally.add("m", {("a", "1", "x"): 1, ("a", "2", "x"): 1})
    tally.add("m", {("a", "3", "x"): 4, ("b", "4", "y"): 1, ("a", "1", "x"): 1})
    counts = tally.snapshot().counters
    assert counts["m"] == {
        ("a", "1", "x"): 2,
        ("a", "2", "x"): 1,
        ("a", OVERFLOW, OVERFLOW): 4,
        ("b", OVERFLOW, OVERFLOW): 1,
    }
    assert counts[DROPPED_METRIC] == {("m",): 5}


def test_series_made_at_zero_exist_before_any_increment() -> None:
    tally = Tally({})
    tally.ensure("m", [("a", "503"), ("a", "408")])
    tally.ensure("m", [("a", "503")])
    assert tally.snapshot().counters["m"] == {("a", "503"): 0, ("a", "408"): 0}


def test_a_snapshot_does_not_change_when_counting_goes_on() -> None:
    tally = Tally({})
    tally.inc("m", ("a",))
    snapshot = tally.snapshot()
    tally.inc("m", ("a",))
    assert snapshot.get("m", ("a",)) == 1


def test_dump_and_load_round_trip() -> None:
    tally = Tally({"m": 10})
    tally.add("m", {("a", "中文"): 3})
    tally.inc("n", ())
    again = Tally.load({"m": 10}, tally.dump())
    assert again.snapshot() == tally.snapshot()


@pytest.mark.parametrize(
    "data", [[], {"m": "x"}, {"m": [["a", -1]]}, {"m": [["a", "b"]]}, {"m": [[1, 2]]}, {"m": [[]]}]
)
def test_load_rejects_anything_but_dumped_data(data: object) -> None:
    with pytest.raises(ValueError):
        Tally.load({}, data)
