"""The seam every log format plugs into: the `Parser` protocol and what it returns.

A parser turns a run of bytes that starts at a line boundary into events. It keeps no
state between calls: what it cannot finish yet (an unterminated line, a SIP message
whose headers have not all arrived) it leaves unconsumed, and the caller hands those
bytes back, with more behind them, on the next call. That keeps checkpoints simple: a
file's committed offset is just "read offset minus unconsumed bytes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from exporter.events import Direction, Event


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one `Parser.parse` call found in `data[:consumed]`.

    `malformed` counts records that looked like the format's records but could not be
    read (counted and skipped, never raised); `ignored` counts well-formed records that
    carry nothing to count (for example a SIP message outside the wrapper a source
    requires). `offsets`, when not empty, holds one entry per event: where in `data` the
    line starts that begins the event's record (a SIP message's start line, a one-line
    record's line), so that the caller can date each event by the stamps before it.
    """

    events: list[Event] = field(default_factory=list)
    consumed: int = 0
    malformed: int = 0
    ignored: int = 0
    offsets: list[int] = field(default_factory=list)


class Parser(Protocol):
    def parse(self, data: bytes, *, final: bool) -> Parsed:
        """Parse `data`, which starts at a line boundary.

        `final` means no byte will ever follow `data` (the file was rotated away,
        deleted, or the replay reached its end): consume everything, including an
        unterminated last line. Otherwise leave unconsumed whatever may still change
        meaning when more bytes arrive. A parser never raises on any input.
        """
        ...


def complete_end(data: bytes, final: bool) -> int:
    """Where the last complete line of `data` ends (all of it when `final`)."""
    if final:
        return len(data)
    return data.rfind(b"\n") + 1


# A source's own in and out words, lowered; and those of a source without any.
OwnWords = tuple[frozenset[str], frozenset[str]]
NO_WORDS: OwnWords = (frozenset(), frozenset())
_IN_WORDS = frozenset({"in", "inbound", "incoming", "recv", "rcv", "received", "receive", "接收"})
_OUT_WORDS = frozenset({"out", "outbound", "outgoing", "send", "sent", "snd", "transmit", "发送"})


def direction_from_word(
    word: str, own: tuple[frozenset[str], frozenset[str]] = NO_WORDS
) -> Direction:
    """The direction a structured record's direction field names ("recv", "out", 发送 …);
    `own` holds a source's own in and out words (lowered), tried first."""
    folded = word.strip().lower()
    if folded in own[0]:
        return Direction.IN
    if folded in own[1]:
        return Direction.OUT
    if folded in _IN_WORDS:
        return Direction.IN
    if folded in _OUT_WORDS:
        return Direction.OUT
    return Direction.UNKNOWN
