"""Transaction matching: which response answers which request, and how long it took."""

from __future__ import annotations

import pytest

from exporter import contract
from exporter.config import TransactionSettings as Settings
from exporter.count.transactions import (
    NO_IDS,
    NO_REQUEST,
    NO_TIME,
    SESSIONS,
    TRANSACTIONS,
    Matched,
    Tracker,
    exemplar_value,
)
from exporter.events import Direction, Event, Kind

IN, OUT = Direction.IN, Direction.OUT
CAMERA = "34020000001320000001"
PLATFORM = "34020000002000000001"
DURATION = contract.RESPONSE_DURATION.name
SRD = contract.SESSION_REQUEST_DELAY.name
SDT = contract.SESSION_DURATION.name


def request(method: str, direction: Direction = OUT, *, call: str = "c1", cseq: str = "1",
            branch: str = "z9hG4bK1") -> Event:  # fmt: skip
    return Event(Kind.REQUEST, direction, method, "", "", call, PLATFORM, CAMERA, cseq, branch)


def response(code: str, method: str, direction: Direction = IN, *, call: str = "c1",
             cseq: str = "1", branch: str = "z9hG4bK1") -> Event:  # fmt: skip
    return Event(Kind.RESPONSE, direction, method, code, "", call, PLATFORM, CAMERA, cseq, branch)


def run(tracker: Tracker, *timed: tuple[float, Event]) -> Matched:
    return tracker.match([event for _, event in timed], [time for time, _ in timed])


def observed(matched: Matched) -> list[tuple[str, tuple[str, ...], float]]:
    return [(o.metric, o.labels, round(o.value, 6)) for o in matched.observations]


def test_a_final_response_gives_the_time_from_its_request() -> None:
    matched = run(
        Tracker(Settings()), (10.0, request("MESSAGE")), (10.25, response("200", "MESSAGE"))
    )
    assert observed(matched) == [(DURATION, ("out", "MESSAGE", "2xx"), 0.25)]
    assert len(matched.counted) == 2


def test_invite_gives_srd_at_its_first_non_100_response_and_duration_at_its_final() -> None:
    matched = run(
        Tracker(Settings()),
        (0.0, request("INVITE")),
        (0.01, response("100", "INVITE")),
        (0.5, response("180", "INVITE")),
        (0.75, response("183", "INVITE")),
        (2.0, response("200", "INVITE")),
    )
    assert observed(matched) == [
        (SRD, ("out", "1xx"), 0.5),
        (DURATION, ("out", "INVITE", "2xx"), 2.0),
    ]


def test_an_invite_failing_at_once_gives_srd_and_duration_of_the_failure() -> None:
    matched = run(Tracker(Settings()), (0.0, request("INVITE")), (0.1, response("503", "INVITE")))
    assert observed(matched) == [
        (SRD, ("out", "5xx"), 0.1),
        (DURATION, ("out", "INVITE", "5xx"), 0.1),
    ]


def test_a_received_request_is_answered_by_a_sent_response() -> None:
    matched = run(
        Tracker(Settings()),
        (0.0, request("REGISTER", IN)),
        (0.02, response("401", "REGISTER", OUT)),
    )
    assert observed(matched) == [(DURATION, ("in", "REGISTER", "4xx"), 0.02)]


def test_a_response_going_the_same_way_as_the_request_does_not_answer_it() -> None:
    # A proxy logs both legs: the request in and out, each answered from the other side.
    tracker = Tracker(Settings())
    matched = run(
        tracker,
        (0.0, request("INVITE", IN, branch="a")),
        (0.01, request("INVITE", OUT, branch="b")),
        (0.3, response("200", "INVITE", IN, branch="b")),
        (0.31, response("200", "INVITE", OUT, branch="a")),
    )
    assert observed(matched) == [
        (SRD, ("out", "2xx"), 0.29),
        (DURATION, ("out", "INVITE", "2xx"), 0.29),
        (SRD, ("in", "2xx"), 0.31),
        (DURATION, ("in", "INVITE", "2xx"), 0.31),
    ]
    assert matched.retransmissions == {}


def test_without_via_the_directions_alone_keep_a_proxys_legs_apart() -> None:
    matched = run(
        Tracker(Settings()),
        (0.0, request("MESSAGE", IN, branch="")),
        (0.01, request("MESSAGE", OUT, branch="")),
        (0.2, response("200", "MESSAGE", IN, branch="")),
        (0.21, response("200", "MESSAGE", OUT, branch="")),
    )
    assert [o.labels[0] for o in matched.observations] == ["out", "in"]
    assert len(matched.counted) == 4


def test_a_request_logged_again_is_a_retransmission_counted_once() -> None:
    tracker = Tracker(Settings())
    invite = request("INVITE")
    matched = run(
        tracker,
        (0.0, invite),
        (0.5, invite),
        (1.5, invite),
        (2.0, response("486", "INVITE")),
    )
    assert matched.retransmissions == {("out", "INVITE", "request"): 2}
    assert matched.counted == [invite, response("486", "INVITE")]
    # The duration runs from the first copy.
    assert observed(matched)[-1] == (DURATION, ("out", "INVITE", "4xx"), 2.0)


def test_a_final_response_logged_again_is_a_retransmission_but_a_new_code_is_not() -> None:
    tracker = Tracker(Settings())
    ok = response("200", "INVITE")
    matched = run(
        tracker,
        (0.0, request("INVITE")),
        (0.1, response("180", "INVITE")),
        (0.2, response("180", "INVITE")),  # a provisional repeat counts as it is
        (1.0, ok),
        (1.5, ok),
        (2.5, ok),
    )
    # Under the direction of the repeated message: responses received again.
    assert matched.retransmissions == {("in", "INVITE", "response"): 2}
    assert len(matched.counted) == 4
    assert [o.metric for o in matched.observations] == [SRD, DURATION]


def test_ack_opens_no_transaction_and_cancel_has_its_own() -> None:
    tracker = Tracker(Settings(timeout=32.0))
    matched = run(
        tracker,
        (0.0, request("INVITE")),
        (1.0, request("CANCEL")),
        (1.05, response("200", "CANCEL")),
        (1.1, response("487", "INVITE")),
        (1.2, request("ACK")),
        (100.0, request("OPTIONS", call="other")),
    )
    assert observed(matched) == [
        (DURATION, ("out", "CANCEL", "2xx"), 0.05),
        (SRD, ("out", "4xx"), 1.1),
        (DURATION, ("out", "INVITE", "4xx"), 1.1),
    ]
    assert matched.timeouts == {}


def test_a_request_times_out_once_the_log_passes_its_deadline() -> None:
    tracker = Tracker(Settings(timeout=32.0))
    run(tracker, (0.0, request("INVITE")), (1.0, request("MESSAGE", call="m")))
    assert run(tracker, (32.0, request("OPTIONS", call="o"))).timeouts == {}
    matched = run(tracker, (32.001, request("OPTIONS", call="p")))
    assert matched.timeouts == {("out", "INVITE"): 1}
    assert matched.timed_out_peers == [CAMERA]
    assert run(tracker, (33.5, request("OPTIONS", call="q"))).timeouts == {("out", "MESSAGE"): 1}


def test_a_response_exactly_at_the_deadline_answers_and_a_later_one_finds_nothing() -> None:
    tracker = Tracker(Settings(timeout=2.0))
    matched = run(
        tracker,
        (0.0, request("MESSAGE", call="a")),
        (0.0, request("MESSAGE", call="b")),
        (2.0, response("200", "MESSAGE", call="a")),
        (2.5, response("200", "MESSAGE", call="b")),
    )
    assert observed(matched) == [(DURATION, ("out", "MESSAGE", "2xx"), 2.0)]
    assert matched.timeouts == {("out", "MESSAGE"): 1}
    assert matched.unmatched == {NO_REQUEST: 1}


def test_a_quiet_log_still_times_out_its_last_requests() -> None:
    tracker = Tracker(Settings(timeout=32.0))
    run(tracker, (100.0, request("INVITE")))
    assert tracker.idle(31.0).timeouts == {}
    assert tracker.idle(32.5).timeouts == {("out", "INVITE"): 1}
    assert tracker.open_transactions == 0


def test_idle_time_is_counted_from_the_last_logged_time_not_added_up() -> None:
    tracker = Tracker(Settings(timeout=10.0))
    run(tracker, (0.0, request("INVITE")))
    for quiet in (4.0, 8.0, 9.0):
        assert tracker.idle(quiet).timeouts == {}
    assert tracker.open_transactions == 1


def test_messages_without_time_or_ids_are_counted_but_not_matched() -> None:
    tracker = Tracker(Settings())
    no_ids = Event(Kind.RESPONSE, IN, "INVITE", "503")
    matched = tracker.match([request("INVITE"), no_ids], [None, 5.0])
    assert matched.unmatched == {NO_TIME: 1, NO_IDS: 1}
    assert len(matched.counted) == 2
    assert tracker.open_transactions == 0


def test_a_response_without_its_request_is_counted_as_unmatched() -> None:
    matched = run(Tracker(Settings()), (1.0, response("200", "REGISTER")))
    assert matched.unmatched == {NO_REQUEST: 1}
    assert len(matched.counted) == 1


def test_a_response_stamped_before_its_request_takes_zero_not_a_negative_time() -> None:
    matched = run(
        Tracker(Settings()), (5.0, request("MESSAGE")), (4.999, response("200", "MESSAGE"))
    )
    assert observed(matched) == [(DURATION, ("out", "MESSAGE", "2xx"), 0.0)]


def test_session_duration_runs_from_the_2xx_to_the_bye_of_either_side() -> None:
    tracker = Tracker(Settings())
    matched = run(
        tracker,
        (0.0, request("INVITE", call="a")),
        (1.0, response("200", "INVITE", call="a")),
        (1.01, request("ACK", call="a")),
        (0.0, request("INVITE", IN, call="b")),
        (0.5, response("200", "INVITE", OUT, call="b")),
        (61.0, request("BYE", IN, call="a", cseq="2", branch="x")),
        (61.01, response("200", "BYE", OUT, call="a", cseq="2", branch="x")),
        (90.5, request("BYE", OUT, call="b", cseq="2", branch="y")),
    )
    sessions = [(o.labels, round(o.value, 6)) for o in matched.observations if o.metric == SDT]
    assert sessions == [(("out",), 60.0), (("in",), 90.0)]
    assert tracker.open_sessions == 0


def test_sessions_without_bye_are_forgotten_after_their_maximum_age() -> None:
    tracker = Tracker(Settings(session_max_age=3600.0))
    run(tracker, (0.0, request("INVITE")), (1.0, response("200", "INVITE")))
    run(tracker, (3600.5, request("OPTIONS", call="o")))
    assert tracker.open_sessions == 1
    run(tracker, (3601.5, request("OPTIONS", call="p")))
    assert tracker.open_sessions == 0
    assert not any(
        o.metric == SDT for o in run(tracker, (3700.0, request("BYE", cseq="2"))).observations
    )


def test_a_full_table_drops_its_oldest_entry_and_counts_it() -> None:
    tracker = Tracker(Settings(max_transactions=3, max_sessions=1))
    matched = run(tracker, *[(float(i), request("MESSAGE", call=f"m{i}")) for i in range(5)])
    assert tracker.open_transactions == 3
    assert matched.evictions == {TRANSACTIONS: 2}
    # The oldest went: m0's answer finds nothing, m4's is matched.
    late = run(
        tracker,
        (5.0, response("200", "MESSAGE", call="m0")),
        (5.0, response("200", "MESSAGE", call="m4")),
    )
    assert late.unmatched == {NO_REQUEST: 1}
    assert len(late.observations) == 1
    sessions = run(
        tracker,
        (6.0, request("INVITE", call="s1")),
        (6.1, response("200", "INVITE", call="s1")),
        (6.2, request("INVITE", call="s2")),
        (6.3, response("200", "INVITE", call="s2")),
    )
    assert sessions.evictions[SESSIONS] == 1
    assert tracker.open_sessions == 1


def test_memory_stays_bounded_under_a_flood_of_unanswered_requests() -> None:
    tracker = Tracker(Settings(max_transactions=1000))
    flood = [request("MESSAGE", call=f"flood-{i}") for i in range(100_000)]
    matched = tracker.match(flood, [i / 1000 for i in range(100_000)])
    assert tracker.open_transactions == 1000
    # At 1000 a second, a request times out after 32 s: the table held what was younger.
    assert matched.evictions[TRANSACTIONS] + sum(matched.timeouts.values()) == 99_000


def test_answered_transactions_are_held_for_their_retransmissions_until_the_timeout() -> None:
    tracker = Tracker(Settings(timeout=2.0))
    ok = response("200", "MESSAGE")
    run(tracker, (0.0, request("MESSAGE")), (0.1, ok))
    assert tracker.open_transactions == 1
    assert run(tracker, (2.1, ok)).retransmissions == {("in", "MESSAGE", "response"): 1}
    late = run(tracker, (2.2, request("OPTIONS", call="x")), (2.2, ok))
    assert late.unmatched == {NO_REQUEST: 1}
    assert late.timeouts == {}


def test_a_checkpointed_tracker_goes_on_where_it_stopped() -> None:
    settings = Settings(timeout=32.0)
    tracker = Tracker(settings)
    run(
        tracker,
        (0.0, request("INVITE", call="a")),
        (0.1, response("180", "INVITE", call="a")),
        (1.0, request("MESSAGE", call="b")),
        (2.0, request("INVITE", call="c")),
        (2.5, response("200", "INVITE", call="c")),
    )
    resumed = Tracker.load(settings, tracker.dump())
    assert (resumed.open_transactions, resumed.open_sessions) == (3, 1)
    matched = run(
        resumed,
        (3.0, response("200", "INVITE", call="a")),
        (3.0, response("200", "INVITE", call="c")),
        (10.0, request("BYE", call="c", cseq="2")),
    )
    # a's SRD was observed before the checkpoint: only its duration now.
    assert observed(matched) == [
        (DURATION, ("out", "INVITE", "2xx"), 3.0),
        (SDT, ("out",), 7.5),
    ]
    assert matched.retransmissions == {("in", "INVITE", "response"): 1}
    # b was open at the checkpoint, and the BYE is never answered either.
    assert resumed.idle(40.0).timeouts == {("out", "MESSAGE"): 1, ("out", "BYE"): 1}


def test_a_lower_limit_after_a_restart_keeps_the_newest_entries() -> None:
    tracker = Tracker(Settings())
    run(tracker, *[(float(i), request("MESSAGE", call=f"m{i}")) for i in range(10)])
    resumed = Tracker.load(Settings(max_transactions=4), tracker.dump())
    assert resumed.open_transactions == 4
    assert run(resumed, (11.0, response("200", "MESSAGE", call="m9"))).unmatched == {}


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"transactions": "no"},
        {
            "transactions": [
                ["c", "1", "INVITE", "b", "out", "x", 1.0, "INVITE", [], False, False, ""]
            ]
        },
        {
            "transactions": [
                ["c", "1", "INVITE", "b", "out", 0.0, 1.0, "INVITE", "200", False, False, ""]
            ]
        },
        {"sessions": [["c", "out"]]},
        {"clock": "soon"},
    ],
)
def test_a_damaged_checkpoint_entry_is_refused(data: object) -> None:
    with pytest.raises(ValueError):
        Tracker.load(Settings(), data)


def test_exemplars_name_the_call_by_its_id_or_a_hash_of_it() -> None:
    assert exemplar_value("a84b4c76e66710@pc33.atlanta.com", "call_id") == (
        "a84b4c76e66710@pc33.atlanta.com"
    )
    hashed = exemplar_value("a84b4c76e66710@pc33.atlanta.com", "hash")
    assert hashed is not None and len(hashed) == 16 and hashed != exemplar_value("x", "hash")
    assert exemplar_value("x" * 101, "call_id") == exemplar_value("x" * 101, "hash")
    assert exemplar_value("abc", "off") is None


def test_a_new_timeout_applies_to_transactions_loaded_from_a_checkpoint() -> None:
    tracker = Tracker(Settings(timeout=600.0))
    run(tracker, (0.0, request("MESSAGE", call="a")), (1.0, request("MESSAGE", call="b")))
    run(tracker, (1.5, response("200", "MESSAGE", call="b")))
    shorter = Tracker.load(Settings(timeout=2.0), tracker.dump())
    assert shorter.idle(1.0).timeouts == {("out", "MESSAGE"): 1}  # a at 0 s: 2.5 > 0 + 2
    assert shorter.open_transactions == 1  # b, answered at 1.5 s, held until 3.5 s
    assert shorter.idle(2.1).timeouts == {}
    assert shorter.open_transactions == 0
