"""The last minutes of responses, for the landing page: which codes, how many.

Owns a bounded ring of per-minute totals of `sip_responses_total` by source and code, and
the increase of each total over a window (15 minutes unless told). Counters only grow
within a run, so the increase is the current total less the total at the window's start;
before a window has passed, the start is the first total recorded. Pure: the reader
records totals with the time, and asks for increases with the time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from exporter import contract
from exporter.catalog import CodeInfo
from exporter.count.tally import TallySnapshot

WINDOW_SECONDS = 15 * 60.0
STEP_SECONDS = 60.0

Totals = Mapping[tuple[str, str], int]
_SOURCE = contract.RESPONSES.labels.index("source")
_CODE = contract.RESPONSES.labels.index("code")


@dataclass(frozen=True, slots=True)
class RecentCode:
    """A code a source saw in the window, with what its catalog profile says about it."""

    source: str
    code: str
    count: int
    info: CodeInfo | None  # None: not in the catalog (an unlisted code, `other`, `overflow`)


def response_totals(snapshot: TallySnapshot) -> dict[tuple[str, str], int]:
    """`sip_responses_total` summed by (source, code)."""
    totals: dict[tuple[str, str], int] = {}
    for labels, value in snapshot.counters.get(contract.RESPONSES.name, {}).items():
        key = (labels[_SOURCE], labels[_CODE])
        totals[key] = totals.get(key, 0) + value
    return totals


class History:
    """Totals recorded about once a `step`, kept for a `window` and one step more."""

    def __init__(self, window: float = WINDOW_SECONDS, step: float = STEP_SECONDS) -> None:
        self.window = window
        self._step = step
        self._ring: deque[tuple[float, Totals]] = deque(maxlen=int(window // step) + 2)

    def due(self, now: float) -> bool:
        return not self._ring or now - self._ring[-1][0] >= self._step

    def record(self, now: float, totals: Totals) -> None:
        self._ring.append((now, dict(totals)))

    def increase(self, now: float, totals: Totals) -> dict[tuple[str, str], int]:
        """What each total grew by since the window's start; only totals that grew."""
        start: Totals | None = None
        for moment, recorded in self._ring:
            if start is not None and moment > now - self.window:
                break
            start = recorded
        base = start or {}
        return {
            key: value - base.get(key, 0)
            for key, value in totals.items()
            if value > base.get(key, 0)
        }
