"""Reading the times written in logs: each format, the zone and year settings, and stamps
that name no instant."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from exporter.formats.timestamps import (
    NO_DATE,
    UNREADABLE,
    FileClock,
    Stamp,
    TimeSettings,
    first_time,
)

UTC_2023 = TimeSettings(UTC, 2023)


def stamps(data: bytes, settings: TimeSettings = UTC_2023) -> list[Stamp]:
    return FileClock(settings).stamps(data, len(data))


def seconds(text: str) -> float:
    """Unix seconds of an ISO 8601 time with its zone."""
    return datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            b"2024-01-08 11:35:49.501 [wvp-10]  WARN --- c.g.i.SIPProcessorObserver: 119 x\n",
            "2024-01-08T11:35:49.501+00:00",
        ),
        (
            b"15|wvp-pro | 2023-08-26 01:19:29.606 [Thread-142] INFO  c.g.StackLoggerImpl\n",
            "2023-08-26T01:19:29.606+00:00",
        ),
        (
            b"2021-11-18 23:15:34.193 DEBUG 3024 --- [vp-sip-handle-3] c.g.i.v.g.t.S  : SIP\n",
            "2021-11-18T23:15:34.193+00:00",
        ),
        (
            b"[2023-09-01 23:19:35.558-0400] VERBOSE[30874]: <--- Received SIP request --->\n",
            "2023-09-01T23:19:35.558-04:00",
        ),
        (b'{"ts":"2024-01-08T11:35:49.501+08:00","code":"503"}\n', "2024-01-08T11:35:49.501+08:00"),
        (b"2024-01-08T03:35:49Z level=warn code=503\n", "2024-01-08T03:35:49+00:00"),
        (b"2024-05-02 10:00:00.123456 ------------------\n", "2024-05-02T10:00:00.123456+00:00"),
        (
            b"Nov  6 10:23:55 proxy1 kamailio[58634]: INFO: <script>: SIP request\n",
            "2023-11-06T10:23:55+00:00",
        ),
        (b"Oct 26 15:57:55 [27073] DEBUG-T_FAILED1 rs=408\n", "2023-10-26T15:57:55+00:00"),
    ],
)
def test_each_format_of_a_line_prefix_is_read_as_the_instant_it_names(
    line: bytes, expected: str
) -> None:
    assert stamps(line) == [Stamp(0, seconds(expected))]


def test_a_sipdump_record_is_dated_by_its_epoch_time_line_from_its_separator() -> None:
    data = b"====================\ntag: rcv\npid: 1\ntime: 1695111111.123\ndate: x\n"
    assert stamps(data) == [Stamp(0, 1695111111.123)]


def test_a_siptrace_time_of_day_takes_the_date_of_the_last_dated_line() -> None:
    data = (
        b"2021-04-02 17:28:37.360956 [DEBUG] sofia.c:7325 Channel entering state\n"
        b"send 414 bytes to udp/[10.0.0.2]:5064 at 17:28:38.346923:\n"
        b"------------------------------------------------------------------------\n"
        b"ACK sip:a@10.0.0.2:5064 SIP/2.0\n"
    )
    found = stamps(data)
    assert found[1] == Stamp(data.index(b"send"), seconds("2021-04-02T17:28:38.346923+00:00"))


def test_a_time_of_day_past_midnight_falls_on_the_next_day() -> None:
    data = (
        b"2021-04-02 23:59:59.000000 [DEBUG] sofia.c:1 late\n"
        b"recv 414 bytes from udp/10.0.0.2:5064 at 00:00:01.000000:\n"
    )
    assert stamps(data)[1].seconds == seconds("2021-04-03T00:00:01+00:00")


def test_a_time_of_day_before_any_date_has_no_time_and_says_why() -> None:
    data = b"send 414 bytes to udp/10.0.0.2:5064 at 17:28:37.346923:\n"
    assert stamps(data) == [Stamp(0, None, NO_DATE)]


@pytest.mark.parametrize(
    "line",
    [b"2024-13-45 11:35:49.501 [wvp-1] INFO x\n", b"Feb 30 10:23:55 proxy1 kamailio[1]: x\n"],
)
def test_a_stamp_that_names_no_valid_instant_has_no_time_and_says_why(line: bytes) -> None:
    assert stamps(line) == [Stamp(0, None, UNREADABLE)]


def test_stamps_without_a_zone_are_read_in_the_zone_given() -> None:
    shanghai = TimeSettings(ZoneInfo("Asia/Shanghai"), 2023)
    line = b"2024-01-08 11:35:49.501 [wvp-10] WARN x\n"
    assert stamps(line, shanghai)[0].seconds == seconds("2024-01-08T03:35:49.501+00:00")


def test_stamps_with_a_zone_keep_it_whatever_zone_is_given() -> None:
    shanghai = TimeSettings(ZoneInfo("Asia/Shanghai"), 2023)
    line = b"[2023-09-01 23:19:35.558-0400] VERBOSE[30874]: x\n"
    assert stamps(line, shanghai)[0].seconds == seconds("2023-09-01T23:19:35.558-04:00")


def test_without_a_zone_the_local_zone_is_used() -> None:
    local = TimeSettings(None, 2023)
    line = b"2024-01-08 11:35:49 [wvp-10] WARN x\n"
    assert stamps(line, local)[0].seconds == time.mktime((2024, 1, 8, 11, 35, 49, 0, 0, -1))


def test_yearless_stamps_take_the_year_given() -> None:
    line = b"Nov  6 10:23:55 proxy1 kamailio[58634]: INFO: x\n"
    in_2021 = stamps(line, TimeSettings(timezone(timedelta(hours=8)), 2021))
    assert in_2021[0].seconds == seconds("2021-11-06T10:23:55+08:00")


@pytest.mark.parametrize(
    "line",
    [
        b"Via: SIP/2.0/UDP 192.168.1.198:5060;rport=5060;branch=z9hG4bK-3539\n",
        b"Date: Sat, 13 Nov 2010 23:29:00 GMT\n",
        b"Date: 2024-05-02T10:11:11\n",
        b"date: Thu May  2 10:22:00 2024\n",
        b"CSeq: 8330 INVITE\n",
        b"x" * 70 + b" 2024-01-08 11:35:49.501 deep inside a line\n",
    ],
)
def test_times_that_do_not_start_a_record_are_not_stamps(line: bytes) -> None:
    assert stamps(line) == []


def test_a_files_first_readable_time_puts_it_in_order() -> None:
    head = b"noise\n2024-13-45 00:00:00 bad\n2024-01-08 11:00:00.000 [x] INFO first\n2024-01"
    assert first_time(head, UTC_2023) == seconds("2024-01-08T11:00:00+00:00")
    assert first_time(b"no time here\n", UTC_2023) is None
