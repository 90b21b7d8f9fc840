"""One file's byte stream: whatever arrives, parsers never raise, buffers stay bounded, and
a clock only adds times."""

from __future__ import annotations

from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.formats import make_parser
from exporter.formats.options import (
    FormatOptions,
    JsonOptions,
    KeyValueOptions,
    RegexOptions,
    SipOptions,
    WvpOptions,
)
from exporter.formats.stream import Batch, RecordStream
from exporter.formats.timestamps import FileClock, TimeSettings
from tests import sipmsg

MAX_LINE = 4096
# What a stream may hold between reads: an unterminated line up to the limit, plus a SIP
# message still open (its start line, a header block of 16 KiB at most) and the 2 KiB
# window before it that may hold its wrapper.
BOUND = MAX_LINE + (MAX_LINE + 16384) + 2048

ALL_FORMATS: list[FormatOptions] = [
    SipOptions(),
    SipOptions(require_wrapper=True, encoding="gbk"),
    SipOptions(syslog_escapes=True),
    WvpOptions(),
    KeyValueOptions(),
    JsonOptions(),
    RegexOptions(r"rs=(?P<code>\d{3})"),
]

pieces = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            sipmsg.response(503).encode(),
            sipmsg.response(408).encode()[:120],  # a message cut short
            sipmsg.response(200).encode().replace(b"\n", b"\r\n"),
            "接收：来自--->1.2.3.4\n".encode("gbk"),
            b"\x00" * 50 + b"\n",
            b"\xff\xfe\xc3\x28 invalid utf-8\n",
            b'{"code": 503, "method": "INVITE"}\n{"code": \n',
            b"code=408;method=INVITE;\n",
            b"SIP/2.0 " + b"9" * 5000,  # an over-long line, no newline yet
        ]
    ),
    st.integers(1, 3).map(lambda n: b"y" * (MAX_LINE * n + 7)),
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ALL_FORMATS), st.lists(pieces, max_size=25))
def test_any_bytes_in_any_pieces_never_raise_and_keep_the_buffer_bounded(
    options: FormatOptions, chunks: list[bytes]
) -> None:
    stream = RecordStream(make_parser(options), MAX_LINE)
    for chunk in chunks:
        stream.feed(chunk)
        assert stream.pending <= BOUND
    stream.flush()
    stream.finish()
    assert stream.pending == 0


def test_an_over_long_line_is_cut_counted_and_its_head_still_read() -> None:
    stream = RecordStream(make_parser(SipOptions()), MAX_LINE)
    head = b"SIP/2.0 503 " + b"x" * (MAX_LINE * 3)
    batch = stream.feed(head[: MAX_LINE * 2])
    batch.merge(stream.feed(head[MAX_LINE * 2 :] + b"\nCSeq: 1 INVITE\n\n"))
    batch.merge(stream.finish())
    assert batch.truncated == 1
    assert [(e.code, e.method) for e in batch.events] == [("503", "")]
    assert stream.pending == 0


def same_but_times(without: Batch, timed: Batch) -> None:
    """`timed` is `without` with a time for each of its events."""
    assert timed.events == without.events
    assert len(timed.times) == len(timed.events)
    assert (timed.lines, timed.malformed, timed.ignored, timed.truncated) == (
        without.lines,
        without.malformed,
        without.ignored,
        without.truncated,
    )


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ALL_FORMATS), st.lists(pieces, max_size=25))
def test_a_clock_adds_a_time_to_every_event_and_changes_nothing_else(
    options: FormatOptions, chunks: list[bytes]
) -> None:
    plain = RecordStream(make_parser(options), MAX_LINE)
    timed = RecordStream(make_parser(options), MAX_LINE, clock=FileClock(TimeSettings(UTC, 2024)))
    for chunk in chunks:
        same_but_times(plain.feed(chunk), timed.feed(chunk))
        assert timed.pending == plain.pending
    same_but_times(plain.flush(), timed.flush())
    same_but_times(plain.finish(), timed.finish())
