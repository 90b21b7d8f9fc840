"""What the landing page remembers: the last hours of counts, and who failed with each code.

Owns the keyed totals the page's windows are taken from (responses by source, direction,
method and code; responses by code and kind of device; timeouts; retransmissions; the
response-time and SRD histograms' cumulative buckets), their per-minute `History`, and one
bounded failure ranking per source and failing code. The reader hands it every counted
batch and, about once a minute, the tally's snapshot; the page asks for a window.
Pure: the caller passes the time and holds the lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter import contract
from exporter.count.labels import Counted
from exporter.count.peers import FailureRanking, Ranked, is_failure
from exporter.count.tally import TallySnapshot
from exporter.serve.history import History, Key

# The kinds of key, first in each key; the source comes second.
RESPONSES = "responses"  # source, direction, method, code
DEVICES = "devices"  # source, code, peer type
TIMEOUTS = "timeouts"  # source, direction, method
RETRANSMISSIONS = "retransmissions"  # source, direction, method
DURATION = "duration"  # source, method, bucket index: cumulative count of answers that fast
SRD = "srd"  # source, bucket index: cumulative count of INVITEs answered that fast

OVERFLOW = "overflow"
WINDOW_SECONDS = 6 * 3600.0  # the longest window the page offers
PEERS_SHOWN = 5
_MAX_RANKINGS = 100  # (source, code) pairs ranked; a flood of distinct codes stops there
_MAX_DEVICE_KEYS = 5000
_SLICES = 72  # five-minute slices over six hours
_CAPACITY = 16  # peers per slice and code: the five shown stay exact but in a flood


def fold_key(key: Key, level: int) -> Key:
    """Where a key's increase goes when its slot is full: at level 1 the method and
    direction become `overflow` (a response keeps its code, a device count its code, a
    histogram its bucket); at level 2 the code too. The kind and source always stay."""
    kind, source, *rest = key
    if kind in (DURATION, SRD):
        return (kind, source, *(OVERFLOW for _ in rest[:-1]), rest[-1])
    if kind == RESPONSES:
        return (kind, source, OVERFLOW, OVERFLOW, rest[-1] if level == 1 else OVERFLOW)
    if kind == DEVICES:
        return (kind, source, rest[0] if level == 1 else OVERFLOW, OVERFLOW)
    return (kind, source, *(OVERFLOW for _ in rest))


Trends = dict[tuple[str, ...], list[int]]


@dataclass(frozen=True, slots=True)
class Observed:
    """One window as the history saw it: what each key grew by; the trend of the
    responses per (source, code) and per (source,), one point per slot of `slot_minutes`,
    oldest first; and the top failing peers of each (source, code)."""

    minutes: int
    slot_minutes: int
    points: int
    grown: Mapping[Key, int]
    trends: Mapping[tuple[str, ...], list[int]]
    peers: Mapping[tuple[str, str], list[Ranked]]


@dataclass(frozen=True, slots=True)
class _Closed:
    """What the closed minutes of a window add up to (unchanged until the next record)."""

    grown: dict[Key, int]
    trends: Trends


class Recent:
    """The page's memory, owned by the reader thread."""

    def __init__(self) -> None:
        self.history = History(fold=fold_key)
        self._devices: dict[Key, int] = {}
        self._rankings: dict[tuple[str, str], FailureRanking] = {}
        self._closed: dict[tuple[int, ...], _Closed] = {}

    def start(self, now: float, snapshot: TallySnapshot, saved: object = None) -> None:
        """Begin at these counts, with the minutes of a checkpoint's history if any."""
        if saved is not None:
            self.history.load(saved)
        self.history.start(now, self.totals(snapshot))

    def note(self, now: float, source: str, counted: Counted) -> None:
        """Count one batch's responses by code and kind of device, and rank who failed."""
        devices = self._devices
        for (code, peer_type), n in counted.codes.items():
            key = (DEVICES, source, code, peer_type)
            if key not in devices and len(devices) >= _MAX_DEVICE_KEYS:
                key = (DEVICES, source, code, OVERFLOW)
            devices[key] = devices.get(key, 0) + n
        by_code: dict[str, list[str]] = {}
        for code, peer in counted.failing_codes:
            by_code.setdefault(code, []).append(peer)
        for code, peers in by_code.items():
            ranking = self._ranking(source, code)
            if ranking is not None:
                ranking.add(peers, now)

    def tick(self, now: float, snapshot: TallySnapshot) -> None:
        if self.history.due(now):
            self.history.record(now, self.totals(snapshot))

    def dump(self, now: float, snapshot: TallySnapshot) -> dict[str, object]:
        return self.history.dump(now, self.totals(snapshot))

    def window(self, now: float, snapshot: TallySnapshot, minutes: int, slot: int) -> Observed:
        """The last `minutes` minutes, with a trend in slots of `slot` minutes."""
        closed = self._closed_part(now, minutes, slot)
        grown, trends = dict(closed.grown), dict(closed.trends)
        points = -(-minutes // slot)
        for key, n in self.history.partial(self.totals(snapshot)).items():
            grown[key] = grown.get(key, 0) + n
            if key[0] == RESPONSES:
                for trend in (key[1], key[4]), (key[1],):
                    # A copy: the closed part's lists are kept for the next request.
                    trends[trend] = [*trends.get(trend, [0] * points)]
                    trends[trend][-1] += n
        ranked = {
            pair: ranking.top(PEERS_SHOWN, now, minutes * 60.0)
            for pair, ranking in self._rankings.items()
        }
        peers = {pair: top for pair, top in ranked.items() if top}
        return Observed(minutes, slot, points, grown, trends, peers)

    def _closed_part(self, now: float, minutes: int, slot: int) -> _Closed:
        """The closed minutes' sums, kept until the history records again or time moves
        the window: the page is asked for far more often than once a minute."""
        key = (self.history.changes, int(now // 60), minutes, slot)
        closed = self._closed.get(key)
        if closed is None:
            slots = self.history.closed(now, minutes, slot)
            grown: dict[Key, int] = {}
            trends: Trends = {}
            for i, part in enumerate(slots):
                for k, n in part.items():
                    grown[k] = grown.get(k, 0) + n
                    if k[0] == RESPONSES:
                        trends.setdefault((k[1], k[4]), [0] * len(slots))[i] += n
                        trends.setdefault((k[1],), [0] * len(slots))[i] += n
            closed = _Closed(grown, trends)
            self._closed = {k: v for k, v in self._closed.items() if k[:2] == key[:2]}
            self._closed[key] = closed
        return closed

    def totals(self, snapshot: TallySnapshot) -> dict[Key, int]:
        """The keyed totals of one snapshot (and of the counts by kind of device)."""
        totals: dict[Key, int] = dict(self._devices)
        counters = snapshot.counters
        for labels, n in counters.get(contract.RESPONSES.name, {}).items():
            _add(totals, (RESPONSES, *labels[:4]), n)
        for labels, n in counters.get(contract.TIMEOUTS.name, {}).items():
            _add(totals, (TIMEOUTS, *labels), n)
        for labels, n in counters.get(contract.RETRANSMISSIONS.name, {}).items():
            _add(totals, (RETRANSMISSIONS, *labels[:3]), n)
        histograms = snapshot.histograms
        for labels, h in histograms.get(contract.RESPONSE_DURATION.name, {}).items():
            for i, n in enumerate(h.buckets):
                _add(totals, (DURATION, labels[0], labels[2], str(i)), n)
        for labels, h in histograms.get(contract.SESSION_REQUEST_DELAY.name, {}).items():
            for i, n in enumerate(h.buckets):
                _add(totals, (SRD, labels[0], str(i)), n)
        return totals

    def _ranking(self, source: str, code: str) -> FailureRanking | None:
        ranking = self._rankings.get((source, code))
        if ranking is None and len(self._rankings) < _MAX_RANKINGS and is_failure(code):
            ranking = FailureRanking(WINDOW_SECONDS, _CAPACITY, _SLICES)
            self._rankings[(source, code)] = ranking
        return ranking


def _add(totals: dict[Key, int], key: Key, n: int) -> None:
    if n:
        totals[key] = totals.get(key, 0) + n
