"""SIP message dumps: the multi-line SIP messages that platforms, proxies and test tools log.

Owns the framing of dumps into messages and the reading of each message's labels:
the start line gives the code (responses) or the method (requests); the CSeq header gives
a response's method; the nearest wrapper line before the message gives the direction
(接收/发送, received/sent, rcv/snd, Transmitting, writeTo …). Call-ID, the CSeq number, the
user parts of From and To and the branch of the topmost Via are kept for later steps
(transaction matching pairs a request and its responses by them).

Framing works on whole blocks of bytes with compiled patterns, never line by line, and
costs a few C-level calls per message whatever its size: `finditer` finds the start
lines; one match per message reads its header block (the header lines after the start
line, up to the first other line or the next message) and, on the way, its CSeq, Call-ID,
From, To and first Via; one search over the reversed preamble finds the nearest direction
word. A start line may follow a prefix (a log pattern, a supervisor's `15|wvp-pro | `, a
leading space) but not a quote or `=`, so attribute copies such as JAIN-SIP's
`firstLine="SIP/2.0 200 OK"` never count. A header name counts at its line's start, or
right after a supervisor prefix; never inside another header's value.

What is not final yet is left unconsumed: a message whose header block has not ended
and that still lacks one of CSeq, Call-ID, From, To and Via; and the last lines after the
last message, which may be the wrapper of a message still being written (a reader may cut
a file anywhere). Both are re-read, with the bytes behind them, on the next call.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from exporter.events import SIP_METHODS, Direction, Event, Kind
from exporter.formats import escapes, native, prefixes
from exporter.formats.base import Parsed
from exporter.formats.directions import Words
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
# A request's method after a line start or a prefix's end; or, in `tcpdump -A` output,
# one of the methods of SIP glued to the packet's headers printed as text
# (`E..@..3U..r..uOPTIONS sip:… SIP/2.0`).
_REQUEST_HEAD = re.compile(
    rb"(?:(?:^|(?<=[ \t|:\]>]))(?P<method>[A-Za-z]{2,20})"
    rb"|(?<=[!-~])(?P<glued>" + b"|".join(m.encode() for m in sorted(SIP_METHODS)) + rb"))"
    rb"[ \t]+(?:sips?|tel|urn):[^ \t\r\n]+[ \t]+$",
    re.MULTILINE,
)
# What may stand right before a response's "SIP/2.0": a line start or a prefix's end, or
# the dots `tcpdump -A` prints for a packet's header bytes. Not a quote or '=', so that
# attribute copies such as firstLine="SIP/2.0 200 OK" never count.
_BEFORE_RESPONSE = frozenset(b" \t|:]>.")


# A start line as framing uses it: (begin, end, line start, code, reason, method).
_Start = tuple[int, int, int, bytes | None, bytes, bytes]


def _starts(data: bytes, end: int) -> list[_Start]:
    starts: list[_Start] = []
    for found in _VERSION.finditer(data, 0, end):
        at, stop = found.span()
        line_start = data.rfind(b"\n", 0, at) + 1
        code, reason = found.group("code", "reason")
        if code is not None:
            if at == line_start or data[at - 1] in _BEFORE_RESPONSE:
                starts.append((at, stop, line_start, code, reason or b"", b""))
            continue
        request = _REQUEST_HEAD.search(data, line_start, at)
        if request is not None:
            method = request["method"] or request["glued"]
            starts.append((request.start(), stop, line_start, None, b"", method))
    return starts


# The header block after a start line, in one pass: consecutive header lines ("Name:
# value", or a folded continuation), each possibly behind a supervisor prefix (at most 64
# bytes ending in "|"); the first other line (blank, a log line, a body) ends it. On the
# way it reads the first CSeq's number and method (groups 1, 2), Call-ID (3), the user
# parts of From (4) and To (5), and the branch of the first Via (6; empty when that Via
# has none): a header name counts at its line's start, or right after a prefix that
# ends in "| " or "|\t". Lines are tried without a prefix first, and each named header
# is tried only while still unread ("(?(n)(?!)|…)"), which keeps the per-line cost to a
# few byte tests on the common path.
_PREFIX = rb"[^\r\n]{0,64}?\|[ \t]?"
_AT_NAME = rb"(?:(?<=\n)|(?<=\|[ \t]))[ \t]*+"
_URI_USER = rb"[ \t]*:[^\r\n]*?(?:sips?|tel):([^@;>\s:]+)"
# The branch of the topmost Via only. It is a parameter of the first via-value, so the
# parameters are skipped one by one up to a `branch=` but never past the comma that starts
# a second via-value (`Via: …;rport, SIP/2.0/UDP …;branch=…`); without a branch the group
# still matches (empty), so that a later Via line is never read. One group, skipped by
# possessive runs: each more group or lazy scan costs every message's header block.
_VIA_BRANCH = (
    rb"(?:[^;,\r\n]*+;[ \t]*+(?!(?i:branch)[ \t]*=))*+"
    rb"(?:[^;,\r\n]*+;[ \t]*+(?i:branch)[ \t]*=[ \t]*|[^,\r\n]*+)([^;,\s>]*)"
)
_NAMED = (
    _AT_NAME
    # CSeq's groups are taken only once the whole value is known to match: a group set and
    # then given back keeps its stale bytes in `re` when a later group is already set.
    + rb"(?:[cC](?(1)(?!)|(?i:seq)[ \t]*:[ \t]*(?=\d+[ \t]+[A-Za-z])(\d+)[ \t]+([A-Za-z]+))"
    + rb"|[cCiI](?(3)(?!)|(?:(?<=[cC])(?i:all-id)|(?<=[iI]))[ \t]*:[ \t]*([^\s]+))"
    + rb"|[fF](?(4)(?!)|(?i:rom)?"
    + _URI_USER
    + rb")|[tT](?(5)(?!)|[oO]?"
    + _URI_USER
    + rb")|[vV](?(6)(?!)|(?i:ia)?[ \t]*:"
    + _VIA_BRANCH
    + rb"))"
)
_HEADER = rb"(?:[!-9;-~]++[ \t]*+:|[ \t]++\S)"
# A named header's line starts with one of these (or a prefix); others skip _NAMED at once.
_NAMED_FIRST = rb"(?=[ \tcCiIfFtTvV])"
_HEADER_BLOCK = re.compile(
    rb"(?:(?:|" + _PREFIX + rb")(?:" + _NAMED_FIRST + _NAMED + rb"|" + _HEADER + rb")[^\n]*+\n)*+"
)
# Lines that may stand between a wrapper and its message: blank lines, separators
# (`----`, `~~~~`) and short `key: value` metadata. Only whether a line matches counts,
# so the prefix is tried last and greedily (a backtrack straight to each "|").
_FILLER = re.compile(
    rb"(?:|[^\r\n]{0,64}\|[ \t]?)[ \t]*(?:[-=~|*#_.+]*|[A-Za-z][\w-]{0,24}[ \t]*:[^\r\n]{0,120})"
    rb"[ \t]*\r?\n"
)
# How a filler line can start: with its own first byte, or with a prefix ending in "|".
_FILLER_FIRST = frozenset(b" \t\r\n-=~|*#_.+ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class SipParser:
    """Parser for SIP message dumps (see the module docstring for the framing rules)."""

    def __init__(self, options: SipOptions) -> None:
        self._encoding = options.encoding
        self._require_wrapper = options.require_wrapper
        self._syslog_escapes = options.syslog_escapes
        self._words = Words.for_source(options.encoding, options.direction_words)
        self._native_words = (self._words.table, self._require_wrapper)
        self._maker: native.Maker = (
            Event, Kind.REQUEST, Kind.RESPONSE, _DIRECTION_OF[:4], self._encoding,
            _METHOD_TEXT, _CODE_TEXT,
        )  # fmt: skip

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = len(data) if final else data.rfind(b"\n") + 1
        if prefixes.carries_prefix(data, end):
            return self._parse_stripped(data, end, final=final)
        return self._parse_plain(data, end, final=final)

    def _parse_stripped(self, data: bytes, end: int, *, final: bool) -> Parsed:
        """A block whose every line carries a prefix (docker, journald, pm2 …): framed
        without the prefixes, its positions mapped back to the bytes as logged."""
        stripped = prefixes.strip(data[:end])
        inner = self._parse_plain(stripped.data, len(stripped.data), final=final)
        back = stripped.logged_at
        offsets = [back(at) for at in inner.offsets]
        return Parsed(inner.events, back(inner.consumed), inner.malformed, inner.ignored, offsets)

    def _parse_plain(self, data: bytes, end: int, *, final: bool) -> Parsed:
        if escapes.carries_escaped_messages(data, end):
            return self._parse_escaped(data, end)
        if self._syslog_escapes:
            # rsyslog forwards a whole message as one line; undo the escapes line by line
            # region, and read it as final since no message continues past its line.
            escaped = data[:end]
            unescaped = escaped.replace(b"#015", b"\r").replace(b"#012", b"\n")
            inner = self._frame(unescaped, len(unescaped), final=True)
            offsets = _escaped_offsets(escaped, inner.offsets) if inner.offsets else []
            return Parsed(inner.events, end, inner.malformed, inner.ignored, offsets)
        return self._frame(data, end, final=final)

    def _parse_escaped(self, data: bytes, end: int) -> Parsed:
        """Complete lines that carry messages as escaped strings (JSON loggers): each such
        message is whole on its line, so the lines are read as final."""
        unescaped = escapes.unescape(data[:end])
        inner = self._frame(unescaped.data, len(unescaped.data), final=True)
        back = unescaped.logged_at
        offsets = [data.rfind(b"\n", 0, back(at)) + 1 for at in inner.offsets]
        return Parsed(inner.events, end, inner.malformed, inner.ignored, offsets)

    def _frame(self, data: bytes, end: int, *, final: bool) -> Parsed:
        events: list[Event] = []
        offsets: list[int] = []
        ignored = 0
        prev_end = 0
        # The compiled step gives the same tuples, or None for a block it leaves to Python.
        framed = native.sip_scan(data, end, self._native_words, self._maker)
        if framed is None:
            framed = _scan(data, end)
        last = len(framed) - 1
        for index, message in enumerate(framed):
            line_start, block_end = message[2], message[6]
            if index == last and block_end >= end and not final and None in message[7:13]:
                # Still being written: neither ended by a line that is not a header nor
                # already holding every header (loggers such as gosip and Asterisk write no
                # blank line after the headers, so their last message must not wait for
                # the next one).
                consumed = _window_start(data, prev_end, line_start)
                return Parsed(events, consumed, 0, ignored, offsets)
            code = message[13]  # the direction when the compiled step read it
            if code == native.UNDECIDED:
                direction = self._direction(data, prev_end, line_start, message[0])
            else:
                direction = _DIRECTION_OF[code]
            if direction is None:
                ignored += 1
            else:
                events.append(message[14] or self._event(message, direction))
                offsets.append(line_start)
            prev_end = block_end
        consumed = end if final else max(prev_end, _window_start(data, prev_end, end))
        return Parsed(events, consumed, 0, ignored, offsets)

    def _direction(
        self, data: bytes, prev_end: int, line_start: int, start: int
    ) -> Direction | None:
        """The message's direction; None when the message is not to be counted: the
        source requires a wrapper and none is there, or the wrapper marks a copy."""
        if self._require_wrapper:
            # The wrapper must be the line right before the message (or its own prefix).
            previous = data.rfind(b"\n", 0, max(line_start - 1, 0)) + 1
            wrapper = max(previous, prev_end)
        else:
            wrapper = _preamble_start(data, prev_end, line_start)
        if self._words.is_copy(data, wrapper, start):
            return None
        found = self._words.direction(data, wrapper, start)
        if found is None and not self._require_wrapper:
            return Direction.UNKNOWN
        return found

    def _event(self, message: native.Framed, direction: Direction) -> Event:
        number, cseq_method, call_id, from_user, to_user, branch = message[7:13]
        code = message[3]
        if code is None:
            kind, method, code_text, reason = Kind.REQUEST, message[5], "", ""
        else:
            kind, method = Kind.RESPONSE, cseq_method or b""
            code_text = _CODE_TEXT.get(code) or code.decode("ascii")
            reason = message[4].decode(self._encoding, "replace").strip()
        return Event(
            kind,
            direction,
            _METHOD_TEXT.get(method) or method.decode("ascii").upper(),
            code_text,
            reason,
            call_id.decode("ascii", "replace") if call_id else "",
            from_user.decode("ascii", "replace") if from_user else "",
            to_user.decode("ascii", "replace") if to_user else "",
            number.decode("ascii") if number else "",
            branch.decode("ascii", "replace") if branch else "",
        )


# A direction as the compiled step gives it (`native.IN` …); None: not counted.
_DIRECTION_OF = (None, Direction.IN, Direction.OUT, Direction.UNKNOWN, None)

# The text of the usual methods and codes, looked up rather than decoded per message.
_METHOD_TEXT = {method.encode(): method for method in SIP_METHODS}
_CODE_TEXT = {f"{code:03d}".encode(): f"{code:03d}" for code in range(1000)}

# What a header block read: CSeq number and method, Call-ID, From user, To user, the top
# Via's branch (b"" for a Via without one; None: not there).
_Headers = tuple[bytes | None, ...]
_NO_HEADERS: _Headers = (None,) * 6


def _scan(data: bytes, end: int) -> list[native.Framed]:
    """Every message of data[:end] as framing reads it: its start line (`_Start`), where
    its header block ends, what that block read (`_Headers`), and `native.UNDECIDED`
    (`_frame` reads the direction). The reference for the compiled step
    (`native.sip_scan`), which gives the same tuples, with the direction when it can."""
    framed: list[native.Framed] = []
    starts = _starts(data, end)
    last = len(starts) - 1
    for index, start in enumerate(starts):
        limit = end if index == last else starts[index + 1][2]
        first = data.find(b"\n", start[1], limit) + 1
        block_end, headers = limit, _NO_HEADERS
        if first:
            cap = first + _MAX_HEADER_BLOCK if limit - first > _MAX_HEADER_BLOCK else limit
            block = _HEADER_BLOCK.match(data, first, cap)
            block_end, headers = (block.end(), block.groups()) if block else (first, _NO_HEADERS)
        h = headers
        framed.append(
            (*start, block_end, h[0], h[1], h[2], h[3], h[4], h[5], native.UNDECIDED, None)
        )
    return framed


# rsyslog's escapes of a CR and an LF. No two can overlap, so finding them in one pass
# finds exactly what the two `replace` calls replace.
_ESCAPE = re.compile(rb"#01[25]")


def _escaped_offsets(escaped: bytes, offsets: list[int]) -> list[int]:
    """Offsets in the unescaped bytes as offsets in `escaped`, where every escape took
    four bytes for the one byte it became."""
    # The n-th escape (from 0) at `at` in `escaped` is a single byte at `at - 3 * n` once
    # unescaped: an offset moves by 3 for each escape unescaped before it.
    unescaped_at = [found.start() - 3 * n for n, found in enumerate(_ESCAPE.finditer(escaped))]
    return [at + 3 * bisect_left(unescaped_at, at) for at in offsets]


def _preamble_start(data: bytes, floor: int, line_start: int) -> int:
    """Where the wrapper of a message starting at `line_start` may begin.

    That is the line right before it, reached over any filler in between: blank lines,
    separators (`----`, `~~~~`) and short `key: value` metadata (sipdump's `tag: rcv`
    stands ten such lines up). A log line about something else (wvp's
    接收到失败的response响应 before a message it did not wrap) stops the search.
    """
    position = line_start
    while position > floor and line_start - position < _WINDOW:
        previous = data.rfind(b"\n", floor, position - 1) + 1 or floor
        # A cheap test first, which most log lines fail and every filler line passes:
        # wrappers tend to start with a timestamp and hold no "|" where a prefix could end.
        may_be_filler = (
            data[previous] in _FILLER_FIRST or data.find(b"|", previous, previous + 65) >= 0
        )
        if not may_be_filler or _FILLER.match(data, previous, position) is None:
            return previous
        position = previous
    return position


def _window_start(data: bytes, floor: int, position: int) -> int:
    """The line start at most `_WINDOW` bytes before `position`, and not before `floor`."""
    at = position - _WINDOW
    if at <= floor:
        return floor
    newline = data.find(b"\n", at, position)
    return position if newline < 0 else newline + 1
