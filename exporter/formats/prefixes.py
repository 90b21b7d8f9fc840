"""Per-line prefixes: what a container runtime, a journal or a process supervisor writes
before every physical line of a program's output, cut away before framing.

Owns the shapes such prefixes take (`docker logs --timestamps` and `kubectl logs
--timestamps`, RFC 3339 with nanoseconds; `kubectl logs --prefix`'s `[pod/…/…] `;
`docker compose logs`' `name-1  | `; pm2's `15|name | ` and `seq|time|`; Android
logcat and Apple's console, where an app logs each line of a message as its own record;
syslog and `journalctl -o short`/`short-iso` lines `… host tag[pid]: `), in any
combination, in that order. Each line is judged alone, so what is cut never depends on
where a read cut the file, and positions in the cut bytes map back to the bytes as logged
(a record's line start to the line's start, before its prefix, where a time stamp in the
prefix dates it). A log pattern before a message's first line only (a Java logger's
`2021-11-18 23:15:34.193 DEBUG …`) is none of these shapes and stays. Pure.
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
    # Android logcat (`2019-10-14 18:27:39.354 17220-17220/org.linphone I/Linphone: `, and
    # -v threadtime's `10-14 18:27:39.354 17220 17220 I Linphone: `) and Apple's console
    # (`2020-03-29 01:25:05.125522+0530 linphone[68064:1643374] [Message] `): apps such as
    # linphone log each line of a message as a record of its own.
    rb"(?:(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[ \t]+\d+(?:-\d+/[\w.:-]+|[ \t]+\d+)"
    rb"[ \t]+[VDIWEFA][ /][^:\r\n]{1,64}:[ \t]"
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,6}[+-]\d{4} [\w.-]{1,64}\[\d+:\d+\]"
    rb"(?: \[[A-Za-z]{3,9}\])?[ \t])?"
    # syslog and journald `time host tag[pid]: `, tried before a bare time stamp (docker
    # and kubectl --timestamps), which would take a journal's ISO time and stop there.
    rb"(?:" + _SYSLOG_TIME + rb"[ \t][\w.:-]{1,64}[ \t][^\s:\[\]]{1,64}(?:\[\d{1,10}\])?:[ \t]"
    rb"|" + _RFC3339 + rb"[ \t])?",
    re.MULTILINE,
)
# Where a prefix may start: the first bytes of each shape, tried at line starts in one
# search, so that a log with no prefix costs one scan of its block.
_MAY_START = re.compile(
    rb"^(?:\d{1,9}\||[\w.-]{1,64}[ \t]*\|[ \t]|\[[^\]\r\n]{1,160}\][ \t]"
    rb"|(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[ \t]+\d+(?:-\d+/|[ \t]+\d+[ \t]+[VDIWEFA] )"
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,6}[+-]\d{4} "
    rb"|" + _SYSLOG_TIME + rb"[ \t])",
    re.MULTILINE,
)


# How many lines of a block's head are looked at: a log that has per-line prefixes has
# them on (nearly) every line, and a scan of every line of every block would cost as much
# as framing the messages.
_HEAD_LINES = 64


def carries_prefix(data: bytes, end: int) -> bool:
    """Whether a line of data[:end]'s head may start with a per-line prefix."""
    head = end
    position = 0
    for _ in range(_HEAD_LINES):
        position = data.find(b"\n", position, end) + 1
        if not position:
            break
        head = position
    return _MAY_START.search(data, 0, head) is not None


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
    """`data` with every line's prefix cut away. Each line is judged alone, so the result
    does not depend on where a read cut the file."""
    starts, logged, cut = [], [], []
    pieces: list[bytes] = []
    kept = removed = 0
    for candidate in _MAY_START.finditer(data):
        begin = candidate.start()
        found = _PREFIX.match(data, begin)
        length = found.end() - begin if found else 0
        if length:
            pieces.append(data[kept:begin])
            kept = begin + length
            starts.append(begin - removed)
            logged.append(begin)
            cut.append(length)
            removed += length
    pieces.append(data[kept:])
    return Stripped(b"".join(pieces), starts, logged, cut)
