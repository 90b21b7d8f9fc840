"""The per-minute history behind the landing page's windows and trends.

Owns a bounded ring of minutes, each holding what a set of keyed totals grew by in that
minute (only the keys that grew, so a quiet minute costs nothing), and the plain-data form
a checkpoint stores. The totals are counters (they only grow within a run), so what a key
grew by over the last N minutes is the sum of its minutes plus what it grew since the
last record: exactly the counter's value now less its value at the start of the window.

Bounds: six hours, kept minute by minute for the last hour and in five-minute slots
before it (the six-hour trend is drawn in five-minute steps anyway), and at most `cap`
keys per slot; beyond the cap, a slot's keys are summed into coarser ones (`fold` at
level 1, then at level 2 if that is not enough: first the method and direction go, then
the code), so the totals stay true while the detail thins.
Pure: the caller passes the time and the totals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from exporter.ingest import decode as shape
from exporter.ingest.decode import CheckpointError

Key = tuple[str, ...]
Totals = Mapping[Key, int]
Fold = Callable[[Key, int], Key]  # a key at fold level 1 or 2

STEP_SECONDS = 60
MINUTES = 6 * 60
FINE = 60  # minutes kept one by one; older ones are merged into slots of COARSE minutes
COARSE = 5
SLOTS = FINE + (MINUTES - FINE) // COARSE + 2
CAP = 2000
VERSION = 1


def _keep_key(key: Key, level: int) -> Key:
    return key


class History:
    """Minutes of increases, newest last, and the totals last recorded."""

    def __init__(self, cap: int = CAP, fold: Fold = _keep_key) -> None:
        self._cap = cap
        self._fold = fold
        self._minutes: dict[int, dict[Key, int]] = {}
        self._last: dict[Key, int] = {}
        self._open: int | None = None  # the minute in which the totals were last recorded
        self.changes = 0  # counts the records, so that a reader can keep what it derived

    def start(self, now: float, totals: Totals) -> None:
        """Begin from these totals (a start or a restart): nothing has grown yet."""
        self._last = dict(totals)
        self._open = _minute(now)
        self.changes += 1

    def due(self, now: float) -> bool:
        return self._open is None or _minute(now) != self._open

    def record(self, now: float, totals: Totals) -> None:
        """Add what grew since the last record to the minute it grew in (to within the
        minute), and merge or forget old minutes."""
        # Passes record about once a minute, so what grew since the last record grew in the
        # minute just ended (or, for a record within the same minute, in this one).
        minute = _minute(now) - 1 if self._open is None else max(self._open, _minute(now) - 1)
        self._add(minute, self._grown(totals))
        self._last = dict(totals)
        self._open = _minute(now)
        self._age(self._open)
        self.changes += 1

    def increase(self, now: float, totals: Totals, minutes: int) -> dict[Key, int]:
        """What each key grew by in the last `minutes` minutes (this one included)."""
        grown = self._grown(totals)
        first = _minute(now) - minutes + 1
        for index, keys in self._minutes.items():
            if index >= first:
                for key, n in keys.items():
                    grown[key] = grown.get(key, 0) + n
        return grown

    def slots(self, now: float, totals: Totals, minutes: int, width: int) -> list[dict[Key, int]]:
        """The last `minutes` minutes in slots of `width` minutes, oldest first, the current
        one's growth since the last record in the last slot."""
        out = self.closed(now, minutes, width)
        for key, n in self.partial(totals).items():
            out[-1][key] = out[-1].get(key, 0) + n
        return out

    def closed(self, now: float, minutes: int, width: int) -> list[dict[Key, int]]:
        """As `slots`, without what grew since the last record; the same until the next
        record (see `changes`). A five-minute slot of the older hours counts in the slot
        holding its start."""
        first = _minute(now) - minutes + 1
        count = -(-minutes // width)
        out: list[dict[Key, int]] = [{} for _ in range(count)]
        for index, keys in self._minutes.items():
            if index >= first:
                slot = out[min(count - 1, (index - first) // width)]
                for key, n in keys.items():
                    slot[key] = slot.get(key, 0) + n
        return out

    def partial(self, totals: Totals) -> dict[Key, int]:
        """What grew since the last record."""
        return self._grown(totals)

    def dump(self, now: float, totals: Totals) -> dict[str, object]:
        """Plain data for a checkpoint taken with these totals: what grew since the last
        record counts in its minute, so a restart from the same totals loses nothing."""
        self.record(now, totals)
        slots = [
            [index, [[*key, n] for key, n in keys.items()]]
            for index, keys in sorted(self._minutes.items())
        ]
        return {"version": VERSION, "step": STEP_SECONDS, "minutes": slots}

    def load(self, data: object) -> None:
        """The minutes of `dump`'s data (CheckpointError naming the place if it is not that
        shape or beyond the bounds); a version this release does not know is left out."""
        document = shape.mapping(data, "history")
        if document.get("version") != VERSION or document.get("step") != STEP_SECONDS:
            return  # another release's history: the counters still resume, the trend restarts
        slots = shape.items(document.get("minutes"), "history.minutes")
        if len(slots) > SLOTS:
            raise CheckpointError(f"history.minutes: {len(slots)} slots, at most {SLOTS}")
        self._minutes = dict(
            _slot(slot, f"history.minutes[{i}]", 2 * self._cap) for i, slot in enumerate(slots)
        )
        self.changes += 1

    def _age(self, current: int) -> None:
        """Merge minutes older than FINE into COARSE slots; forget those beyond MINUTES."""
        for index in [i for i in self._minutes if i <= current - FINE and i % COARSE]:
            self._add(index - index % COARSE, self._minutes.pop(index))
        for index in [i for i in self._minutes if i <= current - MINUTES - COARSE]:
            del self._minutes[index]

    def _grown(self, totals: Totals) -> dict[Key, int]:
        last, grown = self._last, {}
        for key, n in totals.items():
            before = last.get(key, 0)
            # A total that went down was reset (its source removed and added again by a
            # reload): as Prometheus' increase() does, it grew by all it holds now.
            grew = n - before if n >= before else n
            if grew:
                grown[key] = grew
        return grown

    def _add(self, minute: int, grown: Mapping[Key, int]) -> None:
        if not grown:
            return
        keys = self._minutes.setdefault(minute, {})
        for key, n in grown.items():
            keys[key] = keys.get(key, 0) + n
        if len(keys) > self._cap:
            self._minutes[minute] = _folded(keys, self._cap, self._fold)


def _minute(now: float) -> int:
    return int(now // STEP_SECONDS)


def _folded(keys: Mapping[Key, int], cap: int, fold: Fold) -> dict[Key, int]:
    """The keys summed at fold level 1, or at level 2 if level 1 still holds more than
    `cap`. Every key of a kind folds alike, so a histogram's buckets stay one histogram."""
    folded: dict[Key, int] = {}
    for level in (1, 2):
        folded = {}
        for key, n in keys.items():
            coarser = fold(key, level)
            folded[coarser] = folded.get(coarser, 0) + n
        if len(folded) <= cap:
            break
    return folded


def _slot(value: object, where: str, cap: int) -> tuple[int, dict[Key, int]]:
    slot = shape.items(value, where)
    if len(slot) != 2:
        raise CheckpointError(f"{where}: expected [minute, increases]")
    rows = shape.items(slot[1], f"{where}[1]")
    if len(rows) > cap:
        raise CheckpointError(f"{where}: {len(rows)} keys, at most {cap}")
    keys: dict[Key, int] = {}
    for i, row in enumerate(rows):
        at = f"{where}[1][{i}]"
        cells = shape.items(row, at)
        if not cells:
            raise CheckpointError(f"{at}: expected key values and a count")
        keys[shape.texts(cells[:-1], at, len(cells) - 1)] = shape.count(cells[-1], at)
    return shape.count(slot[0], f"{where}[0]"), keys
