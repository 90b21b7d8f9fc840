"""One file's byte stream between reads: what the parser has not consumed yet.

Owns the unconsumed bytes of one followed file (an unterminated line, a SIP message still
being written), the line-length limit, and the three ways of handing bytes to a parser:
`feed` (more bytes arrived), `flush` (the file went idle: close open records but keep an
unterminated line) and `finish` (no byte will ever follow). Given the file's clock, it
also dates each event by the time stamps written before it. Pure: no I/O.

`pending` is always the exact tail of what was fed, so a file's committed offset is its
read offset minus `pending`: restarting there re-reads only what produced no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exporter.events import Event
from exporter.formats.base import Parsed, Parser
from exporter.formats.timestamps import FileClock

# An event's time in Unix seconds, or None when the log gives it none.
Time = float | None


@dataclass(slots=True)
class Batch:
    """What one step of a stream produced: events, and counts for the self-metrics.

    `times` is empty when the stream has no clock; otherwise it is parallel to `events`:
    each event's time as the log wrote it (see `RecordStream`), None when it has none.
    """

    events: list[Event] = field(default_factory=list)
    lines: int = 0
    malformed: int = 0
    ignored: int = 0
    truncated: int = 0
    times: list[Time] = field(default_factory=list)

    def take(
        self, data: bytes, parsed: Parsed, *, final: bool, times: list[Time] | None = None
    ) -> None:
        if times is not None or self.times:
            self._add_times(times, len(parsed.events))
        self.events.extend(parsed.events)
        self.lines += data.count(b"\n", 0, parsed.consumed)
        if final and parsed.consumed and not data.endswith(b"\n"):
            self.lines += 1  # the unterminated last line, read as a whole line
        self.malformed += parsed.malformed
        self.ignored += parsed.ignored

    def merge(self, other: Batch) -> None:
        if other.times or self.times:
            self._add_times(other.times or None, len(other.events))
        self.events.extend(other.events)
        self.lines += other.lines
        self.malformed += other.malformed
        self.ignored += other.ignored
        self.truncated += other.truncated

    def _add_times(self, times: list[Time] | None, count: int) -> None:
        """The times of `count` events about to be added; None for each when they have
        none. Events already here that came without times get None too, so that `times`
        stays parallel to `events` whatever was merged."""
        self.times.extend([None] * (len(self.events) - len(self.times)))
        self.times.extend([None] * count if times is None else times)


class RecordStream:
    """Feeds one file's bytes to its parser, holding back what the parser left over.

    With a `clock` (one per file: it remembers the file's last date), every batch carries
    the time of each event: that of the latest stamp starting at or before the event's
    record, carried over from earlier reads (a wrapper line holds the stamp, the message
    follows on the next lines). None before any stamp, after a stamp that names no instant
    (until a readable one), and for a parser that gives no offsets. Only consumed bytes
    are searched for stamps: what is left pending is searched once it is consumed, so
    every byte is searched once.
    """

    def __init__(
        self, parser: Parser, max_line_bytes: int, *, clock: FileClock | None = None
    ) -> None:
        self._parser = parser
        self._max_line = max_line_bytes
        self._pending = b""
        self._skipping = False  # inside an over-long line whose head was already read
        self._clock = clock

    @property
    def pending(self) -> int:
        """Bytes fed but not consumed: the distance from the read to the committed offset."""
        return len(self._pending)

    def feed(self, data: bytes) -> Batch:
        batch = Batch()
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                return batch
            self._skipping = False
            data = data[newline + 1 :]
        buffer = self._pending + data if self._pending else data
        parsed = self._parser.parse(buffer, final=False)
        self._take(batch, buffer, parsed, final=False)
        self._pending = buffer[parsed.consumed :]
        tail = self._pending.rfind(b"\n") + 1
        if len(self._pending) - tail > self._max_line:
            self._cut_long_line(tail, batch)
        return batch

    def flush(self) -> Batch:
        """Close records left open at an idle end of file; keep an unterminated line."""
        complete = self._pending.rfind(b"\n") + 1
        batch = Batch()
        if complete:
            head, self._pending = self._pending[:complete], self._pending[complete:]
            self._take(batch, head, self._parser.parse(head, final=True), final=True)
        return batch

    def finish(self) -> Batch:
        """Consume everything: the file will never grow again (rotated, deleted, replayed)."""
        batch = Batch()
        if self._pending:
            rest, self._pending = self._pending, b""
            self._take(batch, rest, self._parser.parse(rest, final=True), final=True)
        self._skipping = False
        return batch

    def _take(self, batch: Batch, data: bytes, parsed: Parsed, *, final: bool) -> None:
        """Add what the parser found in `data` to `batch`, dated when there is a clock."""
        times = None if self._clock is None else self._times(self._clock, data, parsed)
        batch.take(data, parsed, final=final, times=times)

    def _times(self, clock: FileClock, data: bytes, parsed: Parsed) -> list[Time]:
        """The time of each event `parsed` found in `data`, from the stamps of the part it
        consumed and the last stamp before `data` (which the clock keeps)."""
        times = clock.times(data, parsed.offsets, parsed.consumed)
        if len(times) != len(parsed.events):
            return [None] * len(parsed.events)  # a parser that gives no offsets
        return times

    def _cut_long_line(self, tail: int, batch: Batch) -> None:
        """Read an over-long line's head as a line of its own, and skip the rest of it."""
        before, line = self._pending[:tail], self._pending[tail : tail + self._max_line]
        self._pending = b""
        if before:
            self._take(batch, before, self._parser.parse(before, final=True), final=True)
        self._take(batch, line + b"\n", self._parser.parse(line + b"\n", final=True), final=True)
        batch.truncated += 1
        self._skipping = True
