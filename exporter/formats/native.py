"""The compiled framing of the `sip` format, and the switch between it and the Python one.

Owns whether SIP message dumps are framed by the C extension `exporter.formats._native`
(built by the package's own build where a C compiler is found) or by `sip.py` alone, which
stays the reference: the extension gives the same tuples as `sip._scan` and hands back any
block it does not decide exactly. `SIP_LOG_EXPORTER_NATIVE=0` in the environment forces
the Python framing; it is read once, when this module is first imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from exporter.events import SIP_METHODS, Direction, Event, Kind
from exporter.formats.directions import Table

ENVIRONMENT = "SIP_LOG_EXPORTER_NATIVE"
# SIP's methods as the extension looks up a method glued to other text: " ACK BYE … ".
_METHODS = b" " + b" ".join(sorted(m.encode("ascii") for m in SIP_METHODS)) + b" "

Framed = tuple[
    int, int, int, bytes | None, bytes, bytes, int,
    bytes | None, bytes | None, bytes | None, bytes | None, bytes | None, bytes | None, int,
    Event | None,
]  # fmt: skip
# The last item of a `Framed`: the message's direction, or 0 when Python is to read it.
UNDECIDED, IN, OUT, UNKNOWN, NOT_COUNTED = range(5)
# A source's direction words (directions.py `Table`) and whether it requires a wrapper.
SourceWords = tuple[Table, bool]
# What the extension makes events of (sip.py `SipParser._maker`).
Maker = tuple[
    type[Event], Kind, Kind, tuple[Direction | None, ...], str, dict[bytes, str], dict[bytes, str]
]
Scan = Callable[[bytes, int, bytes, SourceWords | None, Maker | None], list[Framed] | None]
# A line's start, and the fraction and zone of its stamp `yyyy-mm-dd hh:mm:ss…`.
Dated = tuple[int, bytes | None, bytes | None]
DatedLine = Callable[[bytes, int, int], Dated | None]


def _load() -> tuple[Scan, DatedLine] | None:
    try:
        from exporter.formats._native import dated_line, scan
    except ImportError:  # installed where no C compiler was found: Python frames alone
        return None
    return scan, dated_line


_LOADED = _load()
_SCAN, _DATED_LINE = _LOADED or (None, None)
BUILT = _LOADED is not None
ACTIVE = BUILT and os.environ.get(ENVIRONMENT, "1").strip() != "0"


def sip_scan(data: bytes, end: int, words: SourceWords, maker: Maker) -> list[Framed] | None:
    """`sip._scan(data, end)` computed by the extension, with the direction and the event
    of each message whose direction it can read with the source's `words`; None when it is
    not in use or leaves this block to the Python framing."""
    if not ACTIVE or _SCAN is None:
        return None
    return _SCAN(data, end, _METHODS, words, maker)


def dated_line(data: bytes, floor: int, line: int) -> Dated | None:
    """The common case of `FileClock._nearest`, computed by the extension: walking up from
    `line` while lines start after `floor`, the first line that may hold a stamp, when its
    stamp is `yyyy-mm-dd hh:mm:ss…` at its start. None: not in use, or Python must look."""
    if not ACTIVE or _DATED_LINE is None:
        return None
    return _DATED_LINE(data, floor, line)


def compiled_scan(data: bytes, end: int) -> list[Framed] | None:
    """The extension's framing whatever the switch says (for comparing the two framings)."""
    return None if _SCAN is None else _SCAN(data, end, _METHODS, None, None)


def path_name() -> str:
    """Which framing runs, as the start-up log line says it."""
    if ACTIVE:
        return "native (C extension)"
    return "pure Python" + (f" ({ENVIRONMENT}=0)" if BUILT else " (no C extension built)")
