"""The tally: counts by label set, the cardinality guard, and the checkpoint form."""

from __future__ import annotations

import json

import pytest

from exporter import contract
from exporter.count.tally import DROPPED_METRIC, OVERFLOW, Exemplar, Tally


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


DURATION = contract.RESPONSE_DURATION.name


def test_an_observation_lands_in_the_first_bucket_whose_bound_it_does_not_exceed() -> None:
    tally = Tally({})
    labels = ("wvp", "out", "INVITE", "2xx")
    for seconds in (0.0, 0.01, 0.0100001, 32.0, 32.5):
        tally.observe(DURATION, labels, seconds)
    value = tally.snapshot().histograms[DURATION][labels]
    bounds = contract.RESPONSE_DURATION.buckets
    cumulative = dict(zip((*bounds, float("inf")), value.buckets, strict=True))
    assert cumulative[0.01] == 2  # le="0.01" holds 0.01 itself
    assert cumulative[0.025] == 3
    assert cumulative[16.0] == 3
    assert cumulative[32.0] == 4
    assert cumulative[float("inf")] == value.count == 5
    assert value.sum == pytest.approx(0.0 + 0.01 + 0.0100001 + 32.0 + 32.5)


def test_each_bucket_keeps_its_latest_exemplar() -> None:
    tally = Tally({})
    labels = ("wvp", "out", "INVITE", "2xx")
    tally.observe(DURATION, labels, 0.2, Exemplar("call-a", 0.2, 100.0))
    tally.observe(DURATION, labels, 0.21, Exemplar("call-b", 0.21, 101.0))
    tally.observe(DURATION, labels, 5.0, Exemplar("call-c", 5.0, 102.0))  # le="8.0"
    exemplars = tally.snapshot().histograms[DURATION][labels].exemplars
    assert [e.label if e else None for e in exemplars] == [
        None, None, None, None, "call-b", None, None, None, None, "call-c", None, None, None,
    ]  # fmt: skip


def test_histograms_survive_a_checkpoint_without_their_exemplars() -> None:
    tally = Tally({})
    labels = ("wvp", "in", "REGISTER", "4xx")
    tally.observe(DURATION, labels, 0.03, Exemplar("call-a", 0.03, 1.0))
    tally.inc(contract.REQUESTS.name, ("wvp", "in", "REGISTER"), 3)
    loaded = Tally.load({}, json.loads(json.dumps(tally.dump()))).snapshot()
    value = loaded.histograms[DURATION][labels]
    assert value.buckets == tally.snapshot().histograms[DURATION][labels].buckets
    assert value.sum == 0.03
    assert set(value.exemplars) == {None}
    assert loaded.get(contract.REQUESTS.name, ("wvp", "in", "REGISTER")) == 3


@pytest.mark.parametrize(
    "row",
    [
        ["wvp", "in", "REGISTER", "4xx", [[0] * 12, 0.0]],  # one bucket short
        ["wvp", "in", "REGISTER", "4xx", [[0] * 13]],
        ["wvp", "in", "REGISTER", "4xx", [[-1] + [0] * 12, 0.0]],
        ["wvp", "in", "REGISTER", "4xx", [[0] * 13, "0"]],
        ["wvp", 1, "REGISTER", "4xx", [[0] * 13, 0.0]],
        ["wvp", "in", "REGISTER", "4xx", 7],
    ],
)
def test_a_damaged_histogram_row_is_refused(row: list[object]) -> None:
    with pytest.raises(ValueError):
        Tally.load({}, {DURATION: [row]})


def test_removing_a_source_removes_its_histograms() -> None:
    tally = Tally({})
    tally.observe(DURATION, ("a", "in", "INVITE", "2xx"), 0.1)
    tally.observe(DURATION, ("b", "in", "INVITE", "2xx"), 0.1)
    tally.remove_source("a", [DURATION])
    assert list(tally.snapshot().histograms[DURATION]) == [("b", "in", "INVITE", "2xx")]
