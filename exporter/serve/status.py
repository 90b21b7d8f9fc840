"""The on-call status: the data the landing page and its JSON twin share.

Owns the values (frozen) the page shows and the twin serves, taken over one window: per
code (and catalog profile) seen in it, its count, trend, split by method and direction,
by kind of device and by source (top few, the rest summed), its top failing peers and its
catalog entry; per source, its state in the "no silent zero" sense, its counts, trend,
SRD and response-time p95 by method, timeouts, retransmissions and open transactions.
Also the windows the page offers. `status_build` makes them; `status_json` writes the
twin's document. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from exporter.catalog import CodeInfo, Explanation
from exporter.serve.families import SourceGauges

TOP = 5  # parts of a split shown before "the rest"
QUANTILE = 0.95
SEVERITIES = ("critical", "error", "warning", "info")
# The page's windows, by their `?window=` name: minutes, and minutes per trend point.
WINDOWS: Mapping[str, tuple[int, int]] = {"15m": (15, 1), "1h": (60, 1), "6h": (360, 5)}
DEFAULT_WINDOW = "1h"

Lookup = Callable[[str, str], CodeInfo | None]


@dataclass(frozen=True, slots=True)
class SourceInput:
    """What the service knows of a source besides the page's memory."""

    name: str
    format: str
    patterns: tuple[str, ...]
    files: tuple[str, ...]
    gauges: SourceGauges
    profile: str = ""


@dataclass(frozen=True, slots=True)
class Share:
    """One part of a split: its label values and count."""

    names: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Split:
    top: tuple[Share, ...]
    rest: int  # the parts beyond the top, summed


@dataclass(frozen=True, slots=True)
class Peer:
    peer: str
    peer_type: str
    source: str
    failures: int


@dataclass(frozen=True, slots=True)
class CodeStatus:
    code: str
    profile: str
    count: int
    trend: tuple[int, ...]
    methods: Split  # names: (method, direction)
    devices: Split  # names: (peer_type,)
    sources: Split  # names: (source,)
    peers: tuple[Peer, ...]
    info: CodeInfo | None  # None: not in the catalog
    since: float | None = None  # start of the window's first trend point with this code

    @property
    def severity(self) -> str:
        return self.info.severity if self.info else ""

    @property
    def check_first(self) -> Explanation | None:
        return self.info.check_first if self.info else None


@dataclass(frozen=True, slots=True)
class Timing:
    """Response times of one method of a source over the window."""

    method: str
    answered: int
    p95: float | None  # seconds; None when nothing was answered
    timeouts: int
    retransmissions: int


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    format: str
    profile: str
    patterns: tuple[str, ...]
    files: tuple[str, ...]
    state: str  # no_files, no_records (reads nothing), waiting, catching_up, following
    lag_bytes: int
    last_record: float  # 0: none yet
    responses: int
    failures: int
    trend: tuple[int, ...]
    srd_p95: float | None
    srd_count: int
    timings: tuple[Timing, ...]
    timeouts: int
    retransmissions: int
    open_transactions: int
    open_sessions: int

    @property
    def silent(self) -> bool:
        return self.state in ("no_files", "no_records")


@dataclass(frozen=True, slots=True)
class Status:
    version: str
    now: float
    ready: bool
    window: str
    minutes: int
    slot_minutes: int
    sources: tuple[SourceState, ...]
    codes: tuple[CodeStatus, ...]


def window_named(query_value: str) -> str:
    return query_value if query_value in WINDOWS else DEFAULT_WINDOW
