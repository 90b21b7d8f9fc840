"""Per-line prefixes: what a container runtime, a journal or a process supervisor writes
before every physical line of a program's output, found per block and stripped.

Owns the shapes such prefixes take (`docker logs --timestamps` and `kubectl logs
--timestamps`, RFC 3339 with nanoseconds; `kubectl logs --prefix`'s `[pod/…/…] `;
`docker compose logs`' `name-1  | `; pm2's `15|name | ` and `seq|time|`; syslog and
`journalctl -o short`/`short-iso` lines `… host tag[pid]: `), and in any combination, in
that order. A block carries a prefix when nearly every line of its head does; then every
line's prefix is cut away in one call, and positions in the cut bytes map back to the bytes
as logged (a record's line start to the line's start, before its prefix, where a time
stamp in the prefix dates it).

A log pattern that stands only before a record's first line (a Java logger's time and
thread before a SIP start line) is not a per-line prefix: the message's other lines do not
carry it, so the block is left as it is. Pure.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_RFC3339 = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)"
_SYSLOG_TIME = rb"(?:[A-Z][a-z]{2}[ \t]+\d{1,2}[ \t]\d\d:\d\d:\d\d|" + _RFC3339 + rb")"
_PREFIX = re.compile(
    rb"^(?:\d{1,9}\|[^|\r\n]{0,64}\|[ \t]?)?"  # pm2 `15|name | `, `seq|time|`
    rb"(?:[\w.-]{1,64}[ \t]*\|[ \t])?"  # docker compose `name-1  | `
    rb"(?:\[[^\]\r\n]{1,160}\][ \t])?"  # kubectl --prefix `[pod/name/container] `
    # syslog and journald `time host tag[pid]: `, tried before a bare time stamp (docker
    # and kubectl --timestamps), which would take a journal's ISO time and stop there.
    rb"(?:" + _SYSLOG_TIME + rb"[ \t][\w.:-]{1,64}[ \t][^\s:\[\]]{1,64}(?:\[\d{1,10}\])?:[ \t]"
    rb"|" + _RFC3339 + rb"[ \t])?",
    re.MULTILINE,
)
# How many lines of a block's head decide, and how many of them must carry a prefix.
_HEAD_LINES = 40
_SHARE = 0.9


def carries_prefix(data: bytes, end: int) -> bool:
    """Whether nearly every line of data[:end]'s head starts with a per-line prefix."""
    lines = carried = 0
    position = 0
    while position < end and lines < _HEAD_LINES:
        newline = data.find(b"\n", position, end)
        stop = end if newline < 0 else newline
        if stop > position:
            lines += 1
            found = _PREFIX.match(data, position, stop)
            carried += found is not None and found.end() > position
        position = stop + 1
    return lines >= 2 and carried >= _SHARE * lines


@dataclass(frozen=True, slots=True)
class Stripped:
    """Bytes with every line's prefix cut away, and the way back to the bytes as logged."""

    data: bytes
    # For each line that had a prefix: where it starts in `data`, where it started as
    # logged, and how long its prefix was.
    starts: list[int]
    logged: list[int]
    cut: list[int]

    def logged_at(self, position: int) -> int:
        """Where `position` in the stripped bytes stood as logged; a line's start maps to
        that line's start, before its prefix."""
        line = bisect_right(self.starts, position) - 1
        if line < 0:
            return position
        within = position - self.starts[line]
        return self.logged[line] + (self.cut[line] + within if within else 0)


def strip(data: bytes) -> Stripped:
    """`data` with every line's prefix cut away."""
    starts, logged, cut = [], [], []
    removed = 0
    for found in _PREFIX.finditer(data):
        begin, length = found.start(), found.end() - found.start()
        if length:
            starts.append(begin - removed)
            logged.append(begin)
            cut.append(length)
            removed += length
    return Stripped(_PREFIX.sub(b"", data), starts, logged, cut)
