"""The reference computation (tests/sipp_reference.py) on small traces worked out by hand:
before it judges the exporter, it has to be right itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.sipp_reference import (
    RESPONSE_BUCKETS,
    Expected,
    Histogram,
    expected_metrics,
    read_trace,
)
from tests.support import FIXTURES

START = datetime(2024, 5, 2, 10, 30, 0)
TIMEOUT = 2.0


class Trace:
    """A SIPp message log written by hand: the separator line with the time, the
    sent/received line, a blank line, then the message with CRLF line ends."""

    def __init__(self) -> None:
        self.blocks: list[str] = []

    def add(
        self,
        at: float,
        direction: str,
        first_line: str,
        cseq: str,
        call_id: str = "1-31520@192.168.1.99",
        branch: str = "z9hG4bK-31520-1-0",
    ) -> Trace:
        """One message, `at` seconds after START, "out" (sent) or "in" (received)."""
        stamp = (START + timedelta(seconds=at)).strftime("%Y-%m-%d %H:%M:%S.%f")
        wrapper = (
            "UDP message sent (321 bytes):"
            if direction == "out"
            else "UDP message received [321] bytes :"
        )
        message = "\r\n".join(
            [
                first_line,
                f"Via: SIP/2.0/UDP 192.168.1.99:5061;branch={branch};rport",
                "From: sipp <sip:sipp@192.168.1.99:5061>;tag=31520SIPpTag001",
                "To: service <sip:service@192.168.1.20:5060>",
                f"Call-ID: {call_id}",
                f"CSeq: {cseq}",
                "Content-Length: 0",
                "",
                "",
            ]
        )
        self.blocks.append(f"{'-' * 47} {stamp}\n{wrapper}\n\n{message}\n")
        return self

    def expected(self, timeout: float = TIMEOUT) -> Expected:
        return expected_metrics(read_trace("".join(self.blocks)), timeout)


def buckets(*seconds: float) -> dict[float, int]:
    """The cumulative buckets of a response histogram holding `seconds`."""
    histogram = Histogram(RESPONSE_BUCKETS)
    for value in seconds:
        histogram.observe(value)
    return histogram.cumulative()


def test_reads_time_direction_and_ids_of_each_message_of_a_sipp_log() -> None:
    messages = read_trace((FIXTURES / "sip-sipp.log").read_text(encoding="utf-8"))
    first, second = messages[0], messages[1]
    assert (first.time, first.direction, first.method, first.code) == (
        datetime(2024, 5, 2, 10, 30, 0, 103921),
        "out",
        "INVITE",
        None,
    )
    assert (first.call_id, first.cseq_number, first.cseq_method, first.branch) == (
        "1-31520@192.168.1.99",
        "1",
        "INVITE",
        "z9hG4bK-31520-1-0",
    )
    # The branch stops at the next parameter (";received=…").
    assert (second.direction, second.method, second.code, second.branch) == (
        "in",
        "INVITE",
        100,
        "z9hG4bK-31520-1-0",
    )
    assert len(messages) == 15  # one per separator line


def test_an_answered_invite_gives_its_duration_its_srd_and_its_counts() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.005, "in", "SIP/2.0 100 Trying", "1 INVITE")
        .add(0.030, "in", "SIP/2.0 180 Ringing", "1 INVITE")
        .add(0.300, "in", "SIP/2.0 200 OK", "1 INVITE")
        .add(0.301, "out", "ACK sip:service@192.168.1.20:5060 SIP/2.0", "1 ACK", branch="b-ack")
        .expected()
    )
    duration = expected.response_duration[("out", "INVITE", "2xx")]
    assert duration.cumulative() == buckets(0.300)
    assert duration.sum == pytest.approx(0.300, abs=1e-6)
    # SRD stops at the first response other than 100: the 180.
    assert set(expected.request_delay) == {("out", "1xx")}
    assert expected.request_delay[("out", "1xx")].sum == pytest.approx(0.030, abs=1e-6)
    assert expected.requests == {("out", "INVITE"): 1, ("out", "ACK"): 1}
    assert expected.responses == {
        ("in", "INVITE", "100"): 1,
        ("in", "INVITE", "180"): 1,
        ("in", "INVITE", "200"): 1,
    }
    assert not expected.timeouts and not expected.retransmissions


def test_a_bucket_holds_the_values_up_to_and_including_its_bound() -> None:
    assert buckets(0.01)[0.01] == 1
    assert buckets(0.0100001)[0.01] == 0
    assert buckets(40.0)[32.0] == 0 and buckets(40.0)[float("inf")] == 1


def test_request_copies_are_retransmissions_and_the_duration_runs_from_the_first() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "MESSAGE sip:service@192.168.1.20 SIP/2.0", "1 MESSAGE")
        .add(0.5, "out", "MESSAGE sip:service@192.168.1.20 SIP/2.0", "1 MESSAGE")
        .add(1.5, "out", "MESSAGE sip:service@192.168.1.20 SIP/2.0", "1 MESSAGE")
        .add(1.7, "in", "SIP/2.0 200 OK", "1 MESSAGE")
        .expected()
    )
    assert expected.requests == {("out", "MESSAGE"): 1}
    assert expected.retransmissions == {("out", "MESSAGE", "request"): 2}
    assert expected.response_duration[("out", "MESSAGE", "2xx")].sum == pytest.approx(1.7)
    # SRD is about INVITEs only.
    assert not expected.request_delay


def test_a_repeated_final_response_is_counted_once_and_as_a_retransmission() -> None:
    expected = (
        Trace()
        .add(0.0, "in", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.1, "out", "SIP/2.0 486 Busy Here", "1 INVITE")
        .add(0.6, "out", "SIP/2.0 486 Busy Here", "1 INVITE")
        .add(1.6, "out", "SIP/2.0 486 Busy Here", "1 INVITE")
        .add(1.7, "in", "ACK sip:service@192.168.1.20:5060 SIP/2.0", "1 ACK")
        .expected()
    )
    # A UAS's log: the INVITE came in; its responses, and their repeats, went out.
    assert expected.responses == {("out", "INVITE", "486"): 1}
    assert expected.retransmissions == {("out", "INVITE", "response"): 2}
    assert expected.response_duration[("in", "INVITE", "4xx")].count == 1
    assert expected.request_delay[("in", "4xx")].sum == pytest.approx(0.1)
    # An ACK is a request of its own every time, never a transaction.
    assert expected.requests == {("in", "INVITE"): 1, ("in", "ACK"): 1}


def test_a_different_second_final_response_is_counted_but_times_nothing() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.2, "in", "SIP/2.0 200 OK", "1 INVITE")
        .add(0.3, "in", "SIP/2.0 500 Server Internal Error", "1 INVITE")
        .expected()
    )
    assert expected.responses == {("in", "INVITE", "200"): 1, ("in", "INVITE", "500"): 1}
    assert not expected.retransmissions
    assert set(expected.response_duration) == {("out", "INVITE", "2xx")}


def test_a_response_after_the_deadline_finds_the_transaction_timed_out() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "OPTIONS sip:service@192.168.1.20 SIP/2.0", "1 OPTIONS")
        .add(2.5, "in", "SIP/2.0 200 OK", "1 OPTIONS")
        .expected()
    )
    assert expected.timeouts == {("out", "OPTIONS"): 1}
    assert expected.responses == {("in", "OPTIONS", "200"): 1}
    assert expected.unmatched_finals == 1
    assert not expected.response_duration


def test_a_response_exactly_at_the_deadline_is_an_answer() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "OPTIONS sip:service@192.168.1.20 SIP/2.0", "1 OPTIONS")
        .add(2.0, "in", "SIP/2.0 200 OK", "1 OPTIONS")
        .expected()
    )
    assert not expected.timeouts and expected.unmatched_finals == 0
    histogram = expected.response_duration[("out", "OPTIONS", "2xx")]
    assert histogram.cumulative()[1.0] == 0 and histogram.cumulative()[2.0] == 1


def test_any_later_message_times_out_an_unanswered_transaction_a_microsecond_late() -> None:
    def other(at: float) -> Trace:
        return (
            Trace()
            .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
            .add(at, "out", "MESSAGE sip:x@y SIP/2.0", "7 MESSAGE", call_id="other", branch="b2")
        )

    assert not other(2.0).expected().timeouts
    assert other(2.000001).expected().timeouts == {("out", "INVITE"): 1}


def test_at_the_end_of_the_trace_unanswered_transactions_stay_open() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.5, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(1.5, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .expected()
    )
    assert not expected.timeouts
    assert expected.open_unanswered == 1
    assert expected.retransmissions == {("out", "INVITE", "request"): 2}


def test_a_copy_after_the_timeout_is_a_new_request() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(3.5, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .expected()
    )
    assert expected.timeouts == {("out", "INVITE"): 1}
    assert expected.requests == {("out", "INVITE"): 2}
    assert not expected.retransmissions and expected.open_unanswered == 1


def test_an_answered_transaction_is_held_until_the_timeout_after_its_final() -> None:
    def copy_at(at: float) -> Expected:
        return (
            Trace()
            .add(0.0, "in", "MESSAGE sip:service@192.168.1.20 SIP/2.0", "1 MESSAGE")
            .add(1.0, "out", "SIP/2.0 200 OK", "1 MESSAGE")
            .add(at, "in", "MESSAGE sip:service@192.168.1.20 SIP/2.0", "1 MESSAGE")
            .expected()
        )

    # Three seconds after the request but two after the answer: still held.
    assert copy_at(3.0).retransmissions == {("in", "MESSAGE", "request"): 1}
    later = copy_at(3.000001)
    assert not later.retransmissions and later.requests == {("in", "MESSAGE"): 2}
    # Answered transactions do not time out when they are let go.
    assert not later.timeouts


def test_a_response_answers_only_a_request_that_went_the_other_way() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.1, "out", "SIP/2.0 200 OK", "1 INVITE")
        .expected()
    )
    assert not expected.response_duration and expected.unmatched_finals == 1


def test_responses_match_on_call_id_cseq_and_branch() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.1, "in", "SIP/2.0 200 OK", "1 INVITE", branch="z9hG4bK-other")
        .add(0.2, "in", "SIP/2.0 200 OK", "2 INVITE")
        .add(0.3, "in", "SIP/2.0 200 OK", "1 INVITE", call_id="another-call")
        .expected()
    )
    assert not expected.response_duration and expected.unmatched_finals == 3


def test_cancel_has_its_own_transaction_and_the_invite_ends_with_487() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.01, "in", "SIP/2.0 100 Trying", "1 INVITE")
        .add(0.05, "in", "SIP/2.0 180 Ringing", "1 INVITE")
        .add(0.85, "out", "CANCEL sip:service@192.168.1.20:5060 SIP/2.0", "1 CANCEL")
        .add(0.86, "in", "SIP/2.0 200 OK", "1 CANCEL")
        .add(0.87, "in", "SIP/2.0 487 Request Terminated", "1 INVITE")
        .add(0.88, "out", "ACK sip:service@192.168.1.20:5060 SIP/2.0", "1 ACK")
        .expected()
    )
    assert expected.requests == {("out", "INVITE"): 1, ("out", "CANCEL"): 1, ("out", "ACK"): 1}
    assert expected.response_duration[("out", "CANCEL", "2xx")].sum == pytest.approx(0.01)
    assert expected.response_duration[("out", "INVITE", "4xx")].sum == pytest.approx(0.87)
    assert set(expected.request_delay) == {("out", "1xx")}
    # A cancelled INVITE is no session, and nothing timed out.
    assert not expected.session_duration and not expected.timeouts


def session(bye_direction: str, bye_at: float) -> Expected:
    """An INVITE sent, answered at 0.2 s (and the 200 repeated at 0.7 s), ACKed at
    1.0 s, then a BYE from either side at `bye_at`, and a repeat of that BYE."""
    bye = "BYE sip:sipp@192.168.1.99:5061 SIP/2.0"
    cseq = "2 BYE" if bye_direction == "out" else "1 BYE"  # each side numbers its own
    return (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.2, "in", "SIP/2.0 200 OK", "1 INVITE")
        .add(0.7, "in", "SIP/2.0 200 OK", "1 INVITE")
        .add(1.0, "out", "ACK sip:service@192.168.1.20:5060 SIP/2.0", "1 ACK", branch="b-ack")
        .add(bye_at, bye_direction, bye, cseq, branch="b-bye")
        .add(bye_at + 0.5, bye_direction, bye, cseq, branch="b-bye")
        .expected()
    )


@pytest.mark.parametrize("bye_direction", ["out", "in"])
def test_sdt_runs_from_the_first_2xx_to_the_first_bye_from_either_side(
    bye_direction: str,
) -> None:
    expected = session(bye_direction, 3.7)
    # Labelled with the INVITE's direction, whoever hangs up.
    assert set(expected.session_duration) == {("out",)}
    histogram = expected.session_duration[("out",)]
    assert histogram.count == 1 and histogram.sum == pytest.approx(3.5)
    assert histogram.cumulative()[1.0] == 0 and histogram.cumulative()[5.0] == 1
    assert expected.retransmissions == {
        ("in", "INVITE", "response"): 1,
        (bye_direction, "BYE", "request"): 1,
    }


def test_sdt_of_a_session_seen_from_the_answering_side() -> None:
    expected = (
        Trace()
        .add(0.0, "in", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.5, "out", "SIP/2.0 200 OK", "1 INVITE")
        .add(0.6, "in", "ACK sip:service@192.168.1.20:5060 SIP/2.0", "1 ACK", branch="b-ack")
        .add(20.5, "out", "BYE sip:sipp@192.168.1.99:5061 SIP/2.0", "1 BYE", branch="b-bye")
        .add(20.6, "in", "SIP/2.0 200 OK", "1 BYE", branch="b-bye")
        .expected()
    )
    histogram = expected.session_duration[("in",)]
    assert histogram.sum == pytest.approx(20.0)
    assert histogram.cumulative()[15.0] == 0 and histogram.cumulative()[30.0] == 1
    assert expected.response_duration[("out", "BYE", "2xx")].sum == pytest.approx(0.1)


def test_a_bye_without_an_answered_invite_ends_no_session() -> None:
    expected = (
        Trace()
        .add(0.0, "out", "INVITE sip:service@192.168.1.20:5060 SIP/2.0", "1 INVITE")
        .add(0.1, "in", "SIP/2.0 603 Decline", "1 INVITE")
        .add(0.2, "out", "BYE sip:service@192.168.1.20:5060 SIP/2.0", "2 BYE", branch="b-bye")
        .expected()
    )
    assert not expected.session_duration
