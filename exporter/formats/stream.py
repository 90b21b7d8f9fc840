"""One file's byte stream between reads: what the parser has not consumed yet.

Owns the unconsumed bytes of one followed file (an unterminated line, a SIP message still
being written), the line-length limit, and the three ways of handing bytes to a parser:
`feed` (more bytes arrived), `flush` (the file went idle: close open records but keep an
unterminated line) and `finish` (no byte will ever follow). Pure: no I/O.

`pending` is always the exact tail of what was fed, so a file's committed offset is its
read offset minus `pending`: restarting there re-reads only what produced no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exporter.events import Event
from exporter.formats.base import Parsed, Parser


@dataclass(slots=True)
class Batch:
    """What one step of a stream produced: events, and counts for the self-metrics."""

    events: list[Event] = field(default_factory=list)
    lines: int = 0
    malformed: int = 0
    ignored: int = 0
    truncated: int = 0

    def take(self, data: bytes, parsed: Parsed, *, final: bool) -> None:
        self.events.extend(parsed.events)
        self.lines += data.count(b"\n", 0, parsed.consumed)
        if final and parsed.consumed and not data.endswith(b"\n"):
            self.lines += 1  # the unterminated last line, read as a whole line
        self.malformed += parsed.malformed
        self.ignored += parsed.ignored

    def merge(self, other: Batch) -> None:
        self.events.extend(other.events)
        self.lines += other.lines
        self.malformed += other.malformed
        self.ignored += other.ignored
        self.truncated += other.truncated


class RecordStream:
    """Feeds one file's bytes to its parser, holding back what the parser left over."""

    def __init__(self, parser: Parser, max_line_bytes: int) -> None:
        self._parser = parser
        self._max_line = max_line_bytes
        self._pending = b""
        self._skipping = False  # inside an over-long line whose head was already read

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
        batch.take(buffer, parsed, final=False)
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
            batch.take(head, self._parser.parse(head, final=True), final=True)
        return batch

    def finish(self) -> Batch:
        """Consume everything: the file will never grow again (rotated, deleted, replayed)."""
        batch = Batch()
        if self._pending:
            rest, self._pending = self._pending, b""
            batch.take(rest, self._parser.parse(rest, final=True), final=True)
        self._skipping = False
        return batch

    def _cut_long_line(self, tail: int, batch: Batch) -> None:
        """Read an over-long line's head as a line of its own, and skip the rest of it."""
        before, line = self._pending[:tail], self._pending[tail : tail + self._max_line]
        self._pending = b""
        if before:
            batch.take(before, self._parser.parse(before, final=True), final=True)
        head = line + b"\n"
        batch.take(head, self._parser.parse(head, final=True), final=True)
        batch.truncated += 1
        self._skipping = True
