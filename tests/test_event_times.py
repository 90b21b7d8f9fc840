"""Each event's time: that of the latest time stamp written at or before its record, as a
stream reads a file with the file's clock (RecordStream with a FileClock)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime

import pytest

from exporter.events import Event, Kind
from exporter.formats import make_parser
from exporter.formats.base import Parsed, Parser
from exporter.formats.options import RegexOptions, SipOptions, WvpOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import Batch, RecordStream
from exporter.formats.timestamps import FileClock, TimeSettings

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import (  # noqa: E402
    EXPECTED,
    PARTLY_DATED,
    UNDATED,
    config_for,
    fixture_bytes,
)

UTC_2024 = TimeSettings(zone=UTC, year=2024)
MAX_LINE = 4096
SIP_FIXTURES = sorted(name for name, truth in EXPECTED.items() if truth["format"] == "sip")
CODES = make_parser(RegexOptions(r"rs=(?P<code>\d+)"))


def at(text: str) -> float:
    """Unix seconds of an ISO 8601 time with its zone."""
    return datetime.fromisoformat(text).timestamp()


def dated(parser: Parser, pieces: list[bytes]) -> tuple[list[Event], list[float | None]]:
    """The events of `pieces` fed one by one to a stream with a clock, then finished, and
    their times."""
    stream = RecordStream(parser, MAX_LINE, clock=FileClock(UTC_2024))
    batch = Batch()
    for piece in pieces:
        batch.merge(stream.feed(piece))
    batch.merge(stream.finish())
    assert len(batch.times) == len(batch.events)
    return batch.events, batch.times


def sip_parser(name: str) -> SipParser:
    options = config_for(name).sources[0].format
    assert isinstance(options, SipOptions)
    return SipParser(options)


def times_of(name: str, piece: int = 1 << 20) -> list[float | None]:
    data = fixture_bytes(name)
    return dated(
        sip_parser(name), [data[start : start + piece] for start in range(0, len(data), piece)]
    )[1]


# (fixture, index of the event in the file, its time as the log wrote it), read in UTC and,
# where the stamp has no year, in 2024.
FIXTURE_TIMES = [
    # SIPp: the dashed line above the message.
    ("sip-sipp.log", 4, at("2024-05-02T10:30:00.207391+00:00")),
    ("sip-sipp.log", 13, at("2024-05-02T10:30:32.306288+00:00")),
    # wvp: the 接收/发送 wrapper line.
    ("sip-wvp.log", 17, at("2024-05-02T10:02:11.094+00:00")),
    ("sip-wvp.log", 21, at("2024-05-02T10:03:48.557+00:00")),
    # Kamailio sipdump: the epoch `time:` line between the `====` and `~~~~` lines.
    ("sip-kamailio-sipdump.log", 0, 1714616520.118433),
    ("sip-kamailio-sipdump.log", 22, 1714616647.119333),
    # FreeSWITCH siptrace: a time of day only, on the date of the last dated line.
    ("sip-freeswitch.log", 0, at("2024-05-02T10:15:01.244183+00:00")),
    ("sip-freeswitch.log", 10, at("2024-05-02T10:15:07.812440+00:00")),
    # rsyslog: the yearless syslog stamp of the line that holds the whole message.
    ("sip-rsyslog.log", 3, at("2024-05-02T10:50:02+00:00")),
    ("sip-rsyslog.log", 8, at("2024-05-02T10:50:30+00:00")),
    # Asterisk: the stamp's own zone, not the one given.
    ("sip-asterisk.log", 14, at("2024-05-02T10:21:14.207+08:00")),
    # Spring Boot: the start line follows the stamp on the same line.
    ("sip-wvp-springboot.log", 4, at("2021-11-18T23:15:34.193+00:00")),
    # pm2: the stamp behind the supervisor prefix.
    ("sip-pm2-prefixed.log", 11, at("2024-05-02T10:40:08.166+00:00")),
    ("sip-gbk.log", 0, at("2024-05-02T08:01:12.406+00:00")),
]


@pytest.mark.parametrize(("name", "index", "seconds"), FIXTURE_TIMES)
def test_a_fixture_message_has_the_time_of_the_stamp_written_before_it(
    name: str, index: int, seconds: float
) -> None:
    assert times_of(name)[index] == seconds


@pytest.mark.parametrize(
    "name", [n for n in SIP_FIXTURES if n not in UNDATED and n not in PARTLY_DATED]
)
def test_every_message_of_a_stamped_fixture_has_a_time(name: str) -> None:
    assert None not in times_of(name)


@pytest.mark.parametrize("name", sorted(PARTLY_DATED))
def test_messages_after_the_first_dated_line_have_a_time_and_none_before(name: str) -> None:
    times = times_of(name)
    first = next(n for n, seconds in enumerate(times) if seconds is not None)
    assert first > 0 and None not in times[first:]


@pytest.mark.parametrize("name", sorted(UNDATED))
def test_messages_in_a_log_that_writes_no_dates_have_no_time(name: str) -> None:
    times = times_of(name)
    assert times == [None] * len(times) and times


@pytest.mark.system  # slow
@pytest.mark.parametrize("piece", [1, 13, 256, 4093])
@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_a_fixture_fed_in_small_pieces_gives_the_same_times(name: str, piece: int) -> None:
    assert times_of(name, piece) == times_of(name)


@pytest.mark.system  # slow
@pytest.mark.parametrize(
    "name",
    [
        "sip-sipp.log",
        "sip-wvp.log",
        "sip-kamailio-sipdump.log",
        "sip-freeswitch.log",
        "sip-rsyslog.log",
    ],
)
def test_records_cut_between_two_reads_at_any_byte_keep_their_times(name: str) -> None:
    # The head of the fixture: its first messages with their stamps, wrappers and filler.
    data = fixture_bytes(name)[:2500]
    parser = sip_parser(name)
    whole = dated(parser, [data])
    assert len(whole[0]) >= 3 and None not in whole[1]
    for cut in range(len(data) + 1):
        assert dated(parser, [data[:cut], data[cut:]]) == whole, f"cut at byte {cut}"


def every_stamp_times(name: str) -> list[float | None]:
    """The reference: every stamp of the whole file read in one pass, and each event
    dated by the last one starting at or before its offset."""
    data = fixture_bytes(name)
    parsed = sip_parser(name).parse(data, final=True)
    stamps = FileClock(UTC_2024).stamps(data, len(data))
    starts = [stamp.start for stamp in stamps]
    times: list[float | None] = []
    for offset in parsed.offsets:
        before = bisect_right(starts, offset)
        times.append(stamps[before - 1].seconds if before else None)
    return times


@pytest.mark.system  # slow
@pytest.mark.parametrize("piece", [1, 13, 4093, 1 << 20])
@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_looking_back_from_each_event_dates_it_as_reading_every_stamp_would(
    name: str, piece: int
) -> None:
    # The clock looks back from each event only to the one before it, and once over the
    # lines after the last; that must be the same as reading every stamp of the file.
    assert times_of(name, piece) == every_stamp_times(name)


def test_a_stamp_read_earlier_dates_records_that_come_in_a_later_read() -> None:
    first = b"2024-05-02 10:00:00.250 [main] INFO link up\n"
    events, times = dated(CODES, [first, b"rs=408\n", b"rs=503\n"])
    assert [e.code for e in events] == ["408", "503"]
    assert times == [at("2024-05-02T10:00:00.250+00:00")] * 2


def test_a_sip_message_long_after_its_stamp_still_has_its_time() -> None:
    wrapper = b"----------------------------------------------- 2024-05-02 10:30:00.103921\n"
    noise = b"".join(b"~ %04d keepalive noise that carries no stamp\n" % n for n in range(100))
    message = b"UDP message received [30] bytes :\n\nSIP/2.0 200 OK\nCSeq: 1 BYE\n\n"
    data = wrapper + noise + message
    for piece in (64, 1024, len(data)):
        pieces = [data[start : start + piece] for start in range(0, len(data), piece)]
        events, times = dated(SipParser(SipOptions()), pieces)
        assert [(e.code, e.method) for e in events] == [("200", "BYE")]
        assert times == [at("2024-05-02T10:30:00.103921+00:00")]


def test_a_stamp_that_names_no_instant_leaves_records_without_a_time_until_a_readable_one() -> None:
    data = (
        b"2024-05-02 10:00:00 proxy rs=100\n"
        b"2024-13-45 10:00:01 proxy rs=486\n"  # no month 13
        b"rs=487\n"
        b"2024-05-02 10:00:02 proxy rs=200\n"
    )
    events, times = dated(CODES, [data])
    assert [e.code for e in events] == ["100", "486", "487", "200"]
    assert times == [at("2024-05-02T10:00:00+00:00"), None, None, at("2024-05-02T10:00:02+00:00")]


def test_records_before_any_stamp_have_no_time() -> None:
    events, times = dated(CODES, [b"rs=180\n2024-05-02 10:00:00 rs=200\n"])
    assert [e.code for e in events] == ["180", "200"]
    assert times == [None, at("2024-05-02T10:00:00+00:00")]


def test_each_one_line_wvp_record_has_the_time_of_its_own_line() -> None:
    prefix = " [wvp-10]  WARN --- c.g.iot.vmp.gb28181.transmit.SIPProcessorObserver: 119 "
    data = "".join(
        f"2024-01-08 11:35:{second}.501{prefix}接收到失败的response响应！status：{code},message:x\n"
        for second, code in (("49", 400), ("50", 486))
    ).encode()
    events, times = dated(make_parser(WvpOptions()), [data])
    assert [e.code for e in events] == ["400", "486"]
    assert times == [at("2024-01-08T11:35:49.501+00:00"), at("2024-01-08T11:35:50.501+00:00")]


class NoOffsets:
    """A parser that finds the events of another but says nothing of where they start."""

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        parsed = CODES.parse(data, final=final)
        return Parsed(parsed.events, parsed.consumed, parsed.malformed, parsed.ignored)


def test_events_of_a_parser_that_gives_no_offsets_have_no_time() -> None:
    events, times = dated(NoOffsets(), [b"2024-05-02 10:00:00 rs=200\nrs=486\n"])
    assert [e.code for e in events] == ["200", "486"]
    assert times == [None, None]


def test_flush_dates_the_records_it_closes_and_keeps_an_unterminated_line() -> None:
    stream = RecordStream(SipParser(SipOptions()), MAX_LINE, clock=FileClock(UTC_2024))
    gosip_like = b"2024-05-02 10:00:00.5 writeTo\nSIP/2.0 486 Busy Here\nCSeq: 2 INVITE\n"
    fed = stream.feed(gosip_like + b"2024-05-02 10:00:01.5 still writ")
    assert (fed.events, fed.times) == ([], [])
    flushed = stream.flush()
    assert [(e.code, e.method) for e in flushed.events] == [("486", "INVITE")]
    assert flushed.times == [at("2024-05-02T10:00:00.5+00:00")]
    assert stream.pending == len(b"2024-05-02 10:00:01.5 still writ")
    finished = stream.finish()
    assert (finished.events, finished.times) == ([], [])


def test_the_head_of_a_cut_over_long_line_has_the_time_of_the_stamp_before_it() -> None:
    stream = RecordStream(SipParser(SipOptions()), MAX_LINE, clock=FileClock(UTC_2024))
    head = b"SIP/2.0 503 " + b"x" * (MAX_LINE * 3)
    batch = stream.feed(b"2024-05-02 10:00:00.75 recv\n" + head[: MAX_LINE * 2])
    batch.merge(stream.feed(head[MAX_LINE * 2 :] + b"\nCSeq: 1 INVITE\n\n"))
    batch.merge(stream.finish())
    assert batch.truncated == 1
    assert [(e.code, e.method) for e in batch.events] == [("503", "")]
    assert batch.times == [at("2024-05-02T10:00:00.75+00:00")]


def test_without_a_clock_batches_carry_no_times() -> None:
    stream = RecordStream(CODES, MAX_LINE)
    fed = stream.feed(b"2024-05-02 10:00:00 rs=200\nrs=486")
    flushed, finished = stream.flush(), stream.finish()
    assert [len(b.events) for b in (fed, flushed, finished)] == [1, 0, 1]
    assert (fed.times, flushed.times, finished.times) == ([], [], [])


def test_merged_batches_keep_times_parallel_to_events() -> None:
    ok, busy = Event(Kind.RESPONSE, code="200"), Event(Kind.RESPONSE, code="486")
    merged = Batch()
    merged.merge(Batch(events=[ok]))  # from a stream without a clock
    merged.merge(Batch(events=[busy, ok], times=[1.5, None]))
    merged.merge(Batch())
    merged.merge(Batch(events=[busy]))
    assert merged.events == [ok, busy, ok, busy]
    assert merged.times == [None, 1.5, None, None]
