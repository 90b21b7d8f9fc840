"""SIP message dumps: the multi-line SIP messages that platforms, proxies and test tools log.

Owns the framing of dumps into messages and the reading of each message's labels:
the start line gives the code (responses) or the method (requests); the CSeq header gives
a response's method; the nearest wrapper line before the message gives the direction
(接收/发送, received/sent, rcv/snd, Transmitting, writeTo …). Call-ID and the user parts of
From and To are kept for later steps.

Framing works on whole blocks of bytes with compiled patterns, never line by line:
`finditer` finds the start lines, and each message's header block is the span from its
start line to the first blank line (or the next message). A start line may follow a
prefix (a log pattern, a supervisor's `15|wvp-pro | `, a leading space) but not a quote
or `=`, so attribute copies such as JAIN-SIP's `firstLine="SIP/2.0 200 OK"` never count.

What is not final yet is left unconsumed: a message whose header block has not ended
and that still lacks one of CSeq, Call-ID, From and To; and the last lines after the last
message, which may be the wrapper of a message still being written (a reader may cut a
file anywhere). Both are re-read, with the bytes behind them, on the next call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from exporter.events import Direction, Event, Kind
from exporter.formats.base import Parsed
from exporter.formats.options import SipOptions

# How far before a start line its wrapper may stand (Kamailio's sipdump puts `tag: rcv`
# ten lines up), and how long a header block may be before it is cut.
_WINDOW = 2048
_MAX_HEADER_BLOCK = 16384

# Every start line holds "SIP/2.0": at its end for a request, after the prefix for a
# response. Searching for that literal first lets the regex engine skip ahead fast; the
# rest of the line is checked only where it occurs (about twice a message, with Via).
_VERSION = re.compile(
    rb"SIP/2\.0(?:[ \t]+(?P<code>\d{3})(?:[ \t]+(?P<reason>[^\r\n]*?))?)?[ \t]*\r?$",
    re.MULTILINE,
)
_REQUEST_HEAD = re.compile(
    rb"(?:^|(?<=[ \t|:\]>]))(?P<method>[A-Za-z]{2,20})[ \t]+(?:sips?|tel|urn):[^ \t\r\n]+[ \t]+$",
    re.MULTILINE,
)
# What may stand right before a response's "SIP/2.0": a line start or a prefix's end. Not
# a quote or '=', so that attribute copies such as firstLine="SIP/2.0 200 OK" never count.
_BEFORE_RESPONSE = frozenset(b" \t|:]>")


class _Start(NamedTuple):
    """A start line: where it begins and ends, and what it says."""

    begin: int
    end: int
    code: bytes | None
    reason: bytes
    method: bytes


def _starts(data: bytes, end: int) -> Iterator[_Start]:
    for found in _VERSION.finditer(data, 0, end):
        line_start = data.rfind(b"\n", 0, found.start()) + 1
        code = found.group("code")
        if code is not None:
            at = found.start()
            if at == line_start or data[at - 1] in _BEFORE_RESPONSE:
                yield _Start(at, found.end(), code, found.group("reason") or b"", b"")
            continue
        request = _REQUEST_HEAD.search(data, line_start, found.start())
        if request is not None:
            yield _Start(request.start(), found.end(), None, b"", request.group("method"))


# A header name is matched only at a line start, after an optional supervisor prefix.
_LINE_HEAD = rb"(?:^|\|[ \t])[ \t]*"
_CSEQ = re.compile(_LINE_HEAD + rb"(?i:cseq)[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)", re.MULTILINE)
_CALL_ID = re.compile(_LINE_HEAD + rb"(?i:call-id|i)[ \t]*:[ \t]*([^\s]+)", re.MULTILINE)
_URI_USER = rb"[ \t]*:[^\r\n]*?(?:sips?|tel):([^@;>\s:]+)"
_FROM = re.compile(_LINE_HEAD + rb"(?i:from|f)" + _URI_USER, re.MULTILINE)
_TO = re.compile(_LINE_HEAD + rb"(?i:to|t)" + _URI_USER, re.MULTILINE)
# Consecutive header lines ("Name: value", or a folded continuation), each possibly
# behind a supervisor prefix; the first other line (blank, a log line, a body) ends them.
_HEADER_RUN = re.compile(rb"(?:(?:[^\r\n]{0,64}?\|[ \t]?)?(?:[!-9;-~]+[ \t]*:|[ \t]+\S)[^\n]*\n)*")
_FILLER = re.compile(
    rb"(?:[^\r\n]{0,64}?\|[ \t]?)?[ \t]*(?:[-=~|*#_.+]*|[A-Za-z][\w-]{0,24}[ \t]*:[^\r\n]{0,120})"
    rb"[ \t]*\r?\n"
)
_ARROW = re.compile(rb"<-{2,}|-{2,}>")
_ENGLISH_IN = ("received", "receive", "recv", "rcv", "readfrom", "incoming", "inbound")
# Not "transmit": wvp logs from its Java package `gb28181.transmit` whatever the direction.
_ENGLISH_OUT = ("sent", "send", "snd", "transmitting", "writeto", "outgoing", "outbound")


@dataclass(frozen=True, slots=True)
class _Words:
    """The direction words of one encoding, prepared once per source.

    Found with `rfind` rather than one case-insensitive alternation: on the short spans
    searched, a dozen substring searches in C beat the regex engine by far.
    """

    english: tuple[tuple[bytes, Direction], ...]
    chinese: tuple[tuple[bytes, Direction], ...]

    @classmethod
    def for_encoding(cls, encoding: str) -> _Words:
        english = tuple((w.encode(), Direction.IN) for w in _ENGLISH_IN) + tuple(
            (w.encode(), Direction.OUT) for w in _ENGLISH_OUT
        )
        chinese = (
            ("接收".encode(encoding), Direction.IN),
            ("发送".encode(encoding), Direction.OUT),
        )
        return cls(english, chinese)

    def direction(self, data: bytes, start: int, end: int) -> Direction | None:
        """The direction named nearest before `end` in data[start:end], if any."""
        span = data[start:end]
        folded = span.lower()  # ASCII only; Chinese words are looked for in `span`
        best, found = -1, None
        for word, direction in self.english:
            at = _last_word(folded, word)
            if at > best:
                best, found = at, direction
        for word, direction in self.chinese:
            at = span.rfind(word)
            if at > best:
                best, found = at, direction
        return found if found is not None else _arrow_direction(data, start, end)


def _last_word(text: bytes, word: bytes) -> int:
    """Where `word` last stands in `text` as a whole word (not inside another), or -1."""
    end = len(text)
    while (at := text.rfind(word, 0, end)) >= 0:
        after = at + len(word)
        if (at == 0 or not _is_word_byte(text[at - 1])) and (
            after == len(text) or not _is_word_byte(text[after])
        ):
            return at
        end = at + len(word) - 1
    return -1


def _is_word_byte(byte: int) -> bool:
    return byte == 95 or 48 <= byte <= 57 or 97 <= byte <= 122 or byte >= 128


def _arrow_direction(data: bytes, start: int, end: int) -> Direction | None:
    arrows = {m.group()[0:1] for m in _ARROW.finditer(data, start, end)}
    if arrows == {b"<"}:
        return Direction.IN
    if arrows == {b"-"}:
        return Direction.OUT
    return None


class SipParser:
    """Parser for SIP message dumps (see the module docstring for the framing rules)."""

    def __init__(self, options: SipOptions) -> None:
        self._encoding = options.encoding
        self._require_wrapper = options.require_wrapper
        self._syslog_escapes = options.syslog_escapes
        self._words = _Words.for_encoding(options.encoding)

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = len(data) if final else data.rfind(b"\n") + 1
        if self._syslog_escapes:
            # rsyslog forwards a whole message as one line; undo the escapes line by line
            # region, and read it as final since no message continues past its line.
            unescaped = data[:end].replace(b"#015", b"\r").replace(b"#012", b"\n")
            inner = self._frame(unescaped, len(unescaped), final=True)
            return Parsed(inner.events, end, inner.malformed, inner.ignored)
        return self._frame(data, end, final=final)

    def _frame(self, data: bytes, end: int, *, final: bool) -> Parsed:
        events: list[Event] = []
        ignored = 0
        prev_end = 0
        starts = list(_starts(data, end))
        for index, match in enumerate(starts):
            line_start = data.rfind(b"\n", 0, match.begin) + 1
            is_last = index + 1 == len(starts)
            limit = end if is_last else data.rfind(b"\n", 0, starts[index + 1].begin) + 1
            block_end, terminated = _header_block_end(data, match.end, limit)
            if is_last and not terminated and not final and not _complete(data, match, block_end):
                return Parsed(events, _window_start(data, prev_end, line_start), 0, ignored)
            direction = self._direction(data, prev_end, line_start, match.begin)
            if direction is None and self._require_wrapper:
                ignored += 1
            else:
                events.append(self._event(data, match, block_end, direction))
            prev_end = block_end
        consumed = end if final else max(prev_end, _window_start(data, prev_end, end))
        return Parsed(events, consumed, 0, ignored)

    def _direction(
        self, data: bytes, prev_end: int, line_start: int, start: int
    ) -> Direction | None:
        if self._require_wrapper:
            # The wrapper must be the line right before the message (or its own prefix).
            previous = data.rfind(b"\n", 0, max(line_start - 1, 0)) + 1
            return self._words.direction(data, max(previous, prev_end), start)
        found = self._words.direction(data, _preamble_start(data, prev_end, line_start), start)
        return Direction.UNKNOWN if found is None else found

    def _event(
        self, data: bytes, start: _Start, block_end: int, direction: Direction | None
    ) -> Event:
        lo, hi = start.end, block_end
        code = start.code
        if code is None:
            kind, method, reason = Kind.REQUEST, start.method, b""
        else:
            kind, method, reason = Kind.RESPONSE, _header(_CSEQ, data, lo, hi), start.reason
        return Event(
            kind,
            direction=direction or Direction.UNKNOWN,
            method=method.decode("ascii").upper(),
            code=code.decode("ascii") if code else "",
            reason=(reason or b"").decode(self._encoding, "replace").strip(),
            call_id=_header(_CALL_ID, data, lo, hi).decode("ascii", "replace"),
            from_user=_header(_FROM, data, lo, hi).decode("ascii", "replace"),
            to_user=_header(_TO, data, lo, hi).decode("ascii", "replace"),
        )


def _header(pattern: re.Pattern[bytes], data: bytes, lo: int, hi: int) -> bytes:
    """The first group of a header pattern within data[lo:hi], or b""."""
    found = pattern.search(data, lo, hi)
    return found.group(1) if found else b""


def _header_block_end(data: bytes, start: int, limit: int) -> tuple[int, bool]:
    """Where the header block after a start line ending at `start` ends, and whether a
    line that is not a header (a blank line, a log line, a body) ended it.

    The block never runs past `limit` (the next message, or the end of the data) nor past
    the header size limit.
    """
    first = data.find(b"\n", start, limit) + 1
    if first == 0:
        return limit, False
    cap = min(limit, first + _MAX_HEADER_BLOCK)
    run = _HEADER_RUN.match(data, first, cap)
    block_end = run.end() if run else first
    return block_end, block_end < limit


def _complete(data: bytes, start: _Start, block_end: int) -> bool:
    """Whether a message not yet ended by a blank line already has its key headers.

    Loggers without a blank line after the headers (gosip, Asterisk) would otherwise keep
    their last message waiting for the next one.
    """
    lo = start.end
    return all(p.search(data, lo, block_end) for p in (_CSEQ, _CALL_ID, _FROM, _TO))


def _preamble_start(data: bytes, floor: int, line_start: int) -> int:
    """Where the wrapper of a message starting at `line_start` may begin.

    That is the line right before it, reached over any filler in between: blank lines,
    separators (`----`, `~~~~`) and short `key: value` metadata (sipdump's `tag: rcv`
    stands ten such lines up). A log line about something else (wvp's
    接收到失败的response响应 before a message it did not wrap) stops the search.
    """
    position = line_start
    while position > floor and line_start - position < _WINDOW:
        previous = max(data.rfind(b"\n", floor, position - 1) + 1, floor)
        filler = _FILLER.match(data, previous, position) is not None
        position = previous
        if not filler:
            break
    return position


def _window_start(data: bytes, floor: int, position: int) -> int:
    """The line start at most `_WINDOW` bytes before `position`, and not before `floor`."""
    at = position - _WINDOW
    if at <= floor:
        return floor
    newline = data.find(b"\n", at, position)
    return position if newline < 0 else newline + 1
