"""The landing page's memory: per-minute increases over windows, their bounds, the
checkpoint section that carries them over a restart, and the p95 estimate.
"""

from __future__ import annotations

import json

import pytest

from exporter.ingest import checkpoint
from exporter.ingest.decode import CheckpointError
from exporter.serve.history import CAP, COARSE, MINUTES, History, Key
from exporter.serve.quantile import histogram_quantile
from exporter.serve.recent import RESPONSES, fold_key

T0 = 1_700_000_040.0  # a minute's start
MINUTE = 60.0
KEY = (RESPONSES, "wvp", "in", "INVITE", "503")


def filled(minutes: int, per_minute: int = 1) -> tuple[History, int]:
    """A history recorded once a minute while KEY grew by `per_minute`; its last total."""
    history = History()
    history.start(T0, {KEY: 0})
    total = 0
    for m in range(1, minutes + 1):
        total += per_minute
        history.record(T0 + m * MINUTE, {KEY: total})
    return history, total


def test_the_increase_over_a_window_is_the_total_now_less_the_total_at_its_start() -> None:
    history, total = filled(30)
    now = T0 + 30 * MINUTE + 10
    # Minutes 16..30 are the last 15 (the current one included); 3 more since the record.
    assert history.increase(now, {KEY: total + 3}, 15) == {KEY: 14 + 3}
    assert history.increase(now, {KEY: total + 3}, 60) == {KEY: 30 + 3}


def test_keys_that_did_not_grow_are_left_out() -> None:
    history = History()
    history.start(T0, {KEY: 5, ("other",): 9})
    assert history.increase(T0 + 30, {KEY: 7, ("other",): 9}, 15) == {KEY: 2}


def test_the_trend_has_one_slot_per_step_oldest_first() -> None:
    history, total = filled(20)
    slots = history.slots(T0 + 20 * MINUTE, {KEY: total}, 15, 1)
    assert [slot.get(KEY, 0) for slot in slots] == [1] * 14 + [0]
    coarse = history.slots(T0 + 20 * MINUTE, {KEY: total}, 20, 5)
    # The current minute has grown by nothing yet: the last slot holds four.
    assert [slot.get(KEY, 0) for slot in coarse] == [5, 5, 5, 4]


def test_a_restart_from_the_checkpoint_keeps_every_minute() -> None:
    history, total = filled(90, per_minute=2)
    now = T0 + 90 * MINUTE + 30
    saved = json.loads(json.dumps(history.dump(now, {KEY: total + 1})))
    before = {m: history.increase(now, {KEY: total + 1}, m) for m in (15, 60, 360)}
    again = History()
    again.load(saved)
    again.start(now, {KEY: total + 1})  # the counters resume from the same checkpoint
    assert {m: again.increase(now, {KEY: total + 1}, m) for m in (15, 60, 360)} == before
    assert again.slots(now, {KEY: total + 1}, 360, 5) == history.slots(
        now, {KEY: total + 1}, 360, 5
    )


def test_minutes_older_than_an_hour_are_merged_and_older_than_six_hours_forgotten() -> None:
    history, total = filled(8 * 60)
    saved = history.dump(T0 + 8 * 60 * MINUTE, {KEY: total})
    minutes = saved["minutes"]
    assert isinstance(minutes, list)
    assert len(minutes) <= 60 + (MINUTES - 60) // COARSE + 2
    # 359 whole minutes and the current one (nothing yet), to within a merged slot.
    grown = history.increase(T0 + 8 * 60 * MINUTE, {KEY: total}, 360)[KEY]
    assert 359 <= grown <= 359 + COARSE


def test_a_full_minute_gives_up_the_method_split_first_and_keeps_each_code() -> None:
    history = History(fold=fold_key)
    history.start(T0, {})
    totals: dict[Key, int] = {
        (RESPONSES, "wvp", "in", f"M{n}", code): 1
        for n in range(CAP // 2)
        for code in ("503", "408", "200")
    }
    history.record(T0 + MINUTE, totals)
    grown = history.increase(T0 + MINUTE, totals, 15)
    assert grown == {
        (RESPONSES, "wvp", "overflow", "overflow", code): CAP // 2 for code in ("503", "408", "200")
    }


def test_a_minute_with_more_codes_than_the_cap_keeps_the_source_total() -> None:
    history = History(fold=fold_key)
    history.start(T0, {})
    totals: dict[Key, int] = {
        (RESPONSES, source, "in", "INVITE", str(code)): 2
        for code in range(CAP)
        for source in ("wvp", "sipp")
    }
    history.record(T0 + MINUTE, totals)
    assert history.increase(T0 + MINUTE, totals, 15) == {
        (RESPONSES, source, "overflow", "overflow", "overflow"): 2 * CAP
        for source in ("wvp", "sipp")
    }


def test_an_old_checkpoint_without_history_loads_and_a_new_one_round_trips() -> None:
    old = checkpoint.encode(checkpoint.Checkpoint({}, {}), T0)
    assert b"history" not in old
    assert checkpoint.decode(old).history is None
    history, total = filled(3)
    section = history.dump(T0 + 200, {KEY: total})
    new = checkpoint.decode(checkpoint.encode(checkpoint.Checkpoint({}, {}, {}, section), T0))
    assert new.history == json.loads(json.dumps(section))


def test_a_history_of_another_version_is_left_out() -> None:
    history = History()
    history.load({"version": 99, "step": 60, "minutes": "whatever this version means"})
    history.start(T0, {KEY: 5})
    assert history.increase(T0 + 10, {KEY: 6}, 15) == {KEY: 1}


@pytest.mark.parametrize(
    ("data", "place"),
    [
        ({"version": 1, "step": 60, "minutes": {}}, "history.minutes: expected a list"),
        ({"version": 1, "step": 60, "minutes": [[1]]}, "history.minutes[0]: expected [minute"),
        (
            {"version": 1, "step": 60, "minutes": [[1, [["a", -1]]]]},
            "history.minutes[0][1][0]: expected an integer",
        ),
        (
            {"version": 1, "step": 60, "minutes": [[i, []] for i in range(200)]},
            "history.minutes: 200 slots",
        ),
    ],
)
def test_a_history_section_of_the_wrong_shape_names_its_place(data: object, place: str) -> None:
    with pytest.raises(CheckpointError, match=place.replace("[", r"\[")):
        History().load(data)


BOUNDS = (0.1, 0.5, 1.0)


@pytest.mark.parametrize(
    ("q", "cumulative", "expected"),
    [
        (0.5, [10, 50, 90, 100], 0.5),
        (0.25, [10, 50, 90, 100], 0.25),
        (0.05, [10, 50, 90, 100], 0.05),  # in the first bucket: from 0
        (0.95, [10, 50, 90, 100], 1.0),  # in +Inf: the highest finite bound
        (0.95, [0, 0, 20, 20], 0.5 + 0.5 * 0.95),
        (0.95, [0, 0, 0, 0], None),
    ],
)
def test_the_p95_is_interpolated_as_prometheus_histogram_quantile_does(
    q: float, cumulative: list[int], expected: float | None
) -> None:
    assert histogram_quantile(q, BOUNDS, cumulative) == pytest.approx(expected)


def test_a_total_that_went_down_was_reset_and_counts_from_zero() -> None:
    # A source removed by a reload loses its series; added again, it counts from 0.
    history = History()
    history.start(T0, {KEY: 10})
    history.record(T0 + MINUTE, {KEY: 3})
    assert history.increase(T0 + MINUTE + 1, {KEY: 5}, 15) == {KEY: 5}
