"""Times written in logs: where a record's time stamp stands, and what instant it names.

Owns the time stamp formats of the logs the exporter reads and how each becomes Unix
seconds: `2024-01-08 11:35:49.501` (logback, Spring Boot, FreeSWITCH's dated lines, SIPp),
ISO 8601 with or without a zone (`2024-01-08T11:35:49.501+08:00`, `…Z`, Asterisk's
`[2023-09-01 23:19:35.558-0400]`; SIPp's shortmessages put a tab between date and time),
syslog's yearless `Nov  6 10:23:55` (also Asterisk's default `[May  2 10:00:00]`),
Kamailio sipdump's epoch `time: 1695111111.123`, and FreeSWITCH siptrace's time of day
only (`send 414 bytes to … at 17:28:37.346923:`) and pjsip's line-leading `10:00:00.137`,
which take their date from the nearest earlier dated line of the same file. Stamps
without a zone are read in the zone given; stamps without a year in the year given.

A stamp counts only where a record can start: in the first bytes of a line (after a log
pattern's `[`, a supervisor's `15|wvp-pro | `, a JSON `{"ts":"`), a syslog stamp only at
the line's start, and never on a line that starts like a header (`Date: 2024-05-02T…` in
a SIP message, sipdump's `date: Thu May  2 10:22:00 2024`: both inside a record),
on a sipdump `time:` line, or at the end of a siptrace wrapper. A stamp that looks like
one but names no instant (`2024-13-45 …`, a time of day before any date) is returned as a
reason, so that the records after it are counted as skipped instead of being placed at a
guessed time.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from exporter.formats import native

# How far into a line its own time stamp may start (log patterns put it first).
_PREFIX_BYTES = 64

_DATE_TIME = (
    rb"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T \t](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    rb"(?:[.,](?P<f>\d{1,9}))?(?:[ ]?(?P<z>Z|[+-]\d{2}:?\d{2})(?![\d:]))?"
)
_SYSLOG = (
    rb"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<sd>[ \d]\d) "
    rb"(?P<sh>\d{2}):(?P<smi>\d{2}):(?P<ss>\d{2})(?:\.(?P<sf>\d{1,9}))?(?=[ \]])"
)
_EPOCH = rb"time:[ \t]*(?P<epoch>\d{9,11}(?:\.\d{1,9})?)[ \t]*\r?$"
# A time of day alone: at the end of a siptrace wrapper (`send 414 bytes to … at
# 17:28:37.346923:`), or first on the line before the logger's other fields (pjsip's
# `10:00:00.137   pjsua_core.c  .RX …`).
_TIME_OF_DAY = (
    rb"(?:(?:send|recv) [^\r\n]* at )?"
    rb"(?P<th>\d{2}):(?P<tmi>\d{2}):(?P<ts>\d{2})(?:\.(?P<tf>\d{1,9}))?(?::[ \t]*\r?$|[ \t]+(?=\S))"
)
# One pass finds every line that carries a stamp: each alternative is anchored at a line
# start, so the engine tests a few bytes per line.
_STAMP_LINE = re.compile(
    rb"^(?:"
    + rb"(?![A-Za-z][\w-]{0,30}[ \t]*:)[^\r\n]{0,%d}?(?<![\d.:])%s" % (_PREFIX_BYTES, _DATE_TIME)
    + rb"|(?:[^\r\n|]{0,%d}\|[ \t]?|\[)?%s" % (_PREFIX_BYTES, _SYSLOG)
    + rb"|"
    + _EPOCH
    + rb"|(?=(?:send|recv) |\d\d:\d\d:\d\d)"
    + _TIME_OF_DAY
    + rb")",
    re.MULTILINE,
)
_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))  # of yyyy-mm-dd hh:mm:ss
_MONTH_NAMES = b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(b" ")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}

# Reasons why the records after a stamp have no time: the summary reports them by these.
NO_STAMP = "no time stamp before them in their file"
UNREADABLE = "a time stamp that names no valid date or time"
NO_DATE = "a time of day with no earlier date in their file"


@dataclass(frozen=True, slots=True)
class TimeSettings:
    """How to read stamps that do not say everything: `zone` for stamps without one
    (None: the local zone of the machine), `year` for stamps without a year."""

    zone: tzinfo | None
    year: int


@dataclass(frozen=True, slots=True)
class Stamp:
    """A stamp found in a block of bytes: where the record it dates starts, and its time
    in Unix seconds, or why it has none."""

    start: int
    seconds: float | None
    reason: str = ""


def _fraction(raw: bytes | None) -> int:
    """Microseconds from a fraction of a second of any length."""
    return int((raw or b"0")[:6].ljust(6, b"0"))


def _zone(raw: bytes | None, settings: TimeSettings) -> tzinfo | None:
    if raw is None:
        return settings.zone
    if raw == b"Z":
        return UTC
    digits = raw.replace(b":", b"")
    minutes = int(digits[1:3]) * 60 + int(digits[3:5])
    return timezone(timedelta(minutes=-minutes if digits[:1] == b"-" else minutes))


def _seconds(moment: datetime, zone: tzinfo | None) -> float:
    # A naive datetime's timestamp() reads it in the machine's local zone.
    return (moment if zone is None else moment.replace(tzinfo=zone)).timestamp()


class FileClock:
    """Reads the stamps of one file in order, remembering its last date for the stamps
    that give only a time of day."""

    def __init__(self, settings: TimeSettings) -> None:
        self._settings = settings
        self._last: datetime | None = None  # the last full date and time, in its zone
        self._latest: float | None = None  # `times`: the time of the last stamp read
        # Seconds and moment of each date and time read lately, to the second.
        self._seconds_of: dict[tuple[bytes, bytes | None], tuple[float, datetime]] = {}

    def times(self, data: bytes, offsets: Sequence[int], end: int) -> list[float | None]:
        """The time of the events whose records start at `offsets` (ascending) in
        data[:end], the consumed part of a read: that of the last stamp starting at or
        before each, the last stamp before `data` carrying over from earlier reads (None:
        no stamp yet, or one that names no instant).

        Equal to reading every stamp with `stamps`, and much cheaper: from each event it
        looks back line by line only to the previous event, and usually finds the stamp
        on the wrapper line right above the message; lines after the last event are looked
        at once, for the events of later reads.
        """
        times: list[float | None] = []
        floor = -1  # lines starting after this belong to the event being dated
        for offset in offsets:
            found = self._nearest(data, floor, offset)
            if found is not None:
                self._latest = found.seconds
            times.append(self._latest)
            floor = offset
        if end > floor + 1:
            found = self._nearest(data, floor, end - 1)
            if found is not None:
                self._latest = found.seconds
        return times

    def _nearest(self, data: bytes, floor: int, position: int) -> Stamp | None:
        """The stamp of the last stamped line starting in (floor, position]."""
        start = data.rfind(b"\n", 0, position) + 1
        if (common := native.dated_line(data, floor, start)) is not None:  # the common shape
            return self._dated(common[0], data[common[0] : common[0] + 19], *common[1:])
        for line in _lines_up(data, floor, start):
            found = _stamp_at(data, line)
            if found is not None:
                if found["th"] is not None:
                    # A time of day takes its date from the nearest dated line above it.
                    self._nearest_dated(data, floor, line)
                return self._read(found)
        return None

    def _nearest_dated(self, data: bytes, floor: int, below: int) -> None:
        """Read the nearest stamp with a date on a line starting in (floor, below)."""
        for line in _lines_up(data, floor, below):
            found = _stamp_at(data, line) if line < below else None
            if found is not None and found["th"] is None:
                self._read(found)
                return

    def stamps(self, data: bytes, end: int) -> list[Stamp]:
        """Every stamp on the complete lines of data[:end], in order."""
        return [self._read(found) for found in _STAMP_LINE.finditer(data, 0, end)]

    def _read(self, found: re.Match[bytes]) -> Stamp:
        start = found.start()
        try:
            if found["y"] is not None:
                whole = found.string[found.start("y") : found.end("s")]
                return self._dated(start, whole, found["f"], found["z"])
            if found["mon"] is not None:
                return Stamp(start, self._syslog(found))
            if found["epoch"] is not None:
                seconds = float(found["epoch"])
                self._last = datetime.fromtimestamp(seconds, self._settings.zone)
                return Stamp(_sipdump_start(found.string, start), seconds)
        except ValueError:
            return Stamp(start, None, UNREADABLE)
        return self._time_of_day(found)

    def _dated(self, start: int, whole: bytes, fraction: bytes | None, raw: bytes | None) -> Stamp:
        """The stamp `yyyy-mm-dd hh:mm:ss` (`whole`) with its fraction and zone, if any."""
        # Busy logs write many stamps within one second: the date and time up to the
        # second (and the zone) are read once, the fraction added to them.
        known = self._seconds_of.get((whole, raw))
        if known is None:
            try:
                zone = _zone(raw, self._settings)
                year, month, day, hour, minute, second = (int(whole[a:b]) for a, b in _FIELDS)
                moment = datetime(year, month, day, hour, minute, second)
                aware = moment if zone is None else moment.replace(tzinfo=zone)
                known = (_seconds(moment, zone), aware)
            except ValueError:
                return Stamp(start, None, UNREADABLE)
            if len(self._seconds_of) >= 4096:
                self._seconds_of.clear()
            self._seconds_of[whole, raw] = known
        self._last = known[1]
        return Stamp(start, known[0] + _fraction(fraction) / 1_000_000)

    def _syslog(self, found: re.Match[bytes]) -> float:
        moment = datetime(
            self._settings.year,
            _MONTHS[found["mon"]],
            int(found["sd"]),
            int(found["sh"]),
            int(found["smi"]),
            int(found["ss"]),
            _fraction(found["sf"]),
        )
        self._last = (
            moment if self._settings.zone is None else moment.replace(tzinfo=self._settings.zone)
        )
        return _seconds(moment, self._settings.zone)

    def _time_of_day(self, found: re.Match[bytes]) -> Stamp:
        start = found.start()
        if self._last is None:
            return Stamp(start, None, NO_DATE)
        try:
            moment = datetime.combine(
                self._last.date(),
                datetime.min.time().replace(
                    hour=int(found["th"]),
                    minute=int(found["tmi"]),
                    second=int(found["ts"]),
                    microsecond=_fraction(found["tf"]),
                ),
                self._last.tzinfo,
            )
        except ValueError:
            return Stamp(start, None, UNREADABLE)
        if self._last - moment > timedelta(hours=12):
            moment += timedelta(days=1)  # past midnight since the last dated line
        return Stamp(start, _seconds(moment.replace(tzinfo=None), moment.tzinfo))


def _lines_up(data: bytes, floor: int, line: int) -> Iterator[int]:
    """The start of `line` and of each line above it, while they start after `floor`."""
    while line > floor:
        yield line
        if line == 0:
            return
        line = data.rfind(b"\n", 0, line - 1) + 1


def _stamp_at(data: bytes, line: int) -> re.Match[bytes] | None:
    """The stamp on the line starting at `line`, if it holds one."""
    return _STAMP_LINE.match(data, line) if _may_hold_stamp(data, line) else None


def _may_hold_stamp(data: bytes, line: int) -> bool:
    """A cheap test that a line can hold a stamp, before the stamp pattern is tried: every
    stamp has a time `hh:mm:ss` in the line's first 90 bytes (after at most 64 bytes of
    prefix and a date), except sipdump's `time:` and siptrace's `send`/`recv` wrappers,
    which are recognised by their first word."""
    if data.startswith((b"time:", b"send ", b"recv "), line):
        return True
    end = data.find(b"\n", line, line + 90)
    if end < 0:
        end = line + 90
    colon = data.find(b":", line, end)
    while colon >= 0:
        if (
            data[colon + 3 : colon + 4] == b":"
            and data[colon - 2 : colon].isdigit()
            and data[colon + 1 : colon + 3].isdigit()
        ):
            return True
        colon = data.find(b":", colon + 1, end)
    return False


def _sipdump_start(data: bytes, line_start: int) -> int:
    """Where a sipdump record dated by its `time:` line starts: at its `====` line above,
    so that the `tag: rcv` line between them stays with the message."""
    separator = data.rfind(b"\n====", max(0, line_start - 1024), line_start)
    if separator >= 0:
        return separator + 1
    return 0 if data.startswith(b"====") and line_start < 1024 else line_start


def first_time(data: bytes, settings: TimeSettings) -> float | None:
    """The first readable time in `data` (a file's head), for putting files in order."""
    for stamp in FileClock(settings).stamps(data, data.rfind(b"\n") + 1 or len(data)):
        if stamp.seconds is not None:
            return stamp.seconds
    return None
