"""Peers: who is at the other end of a message, and which peers failed most lately.

Owns the rule that names a message's peer (the party that is not the system writing the
log) and the bounded ranking of peers by failures behind `sip_peer_top_failures`. The
peer's full ID never becomes a label except in that ranking, whose size has a hard limit.
Pure: the caller says what time it is.

The peer of a message, from its direction and its From and To users:
- a request received comes from its From user; a request sent goes to its To user;
- a response received answers a request sent, so it comes from the To user; a response
  sent answers a request received, so it goes to the From user;
- a message of unknown direction has no known peer.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from exporter.count import gb28181
from exporter.events import Direction, Event, Kind

# A peer ID longer than this is cut: a log line must not make a label value of any size.
_MAX_PEER = 64


def peer_of(kind: Kind, direction: str, from_user: str, to_user: str) -> str:
    """The user part naming a message's peer ("" when unknown)."""
    if direction == Direction.IN:
        user = from_user if kind is Kind.REQUEST else to_user
    elif direction == Direction.OUT:
        user = to_user if kind is Kind.REQUEST else from_user
    else:
        return ""
    return user[:_MAX_PEER]


def peer_user(event: Event) -> str:
    return peer_of(event.kind, event.direction, event.from_user, event.to_user)


def is_failure(code: str) -> bool:
    """4xx-6xx, and the platforms' own negative codes (wvp's -1024: no answer)."""
    return code[:1] in ("4", "5", "6", "-")


@dataclass(frozen=True, slots=True)
class Ranked:
    peer: str
    peer_type: str
    failures: int


class FailureRanking:
    """Failures per peer over a sliding window, with bounded memory.

    The window is cut into `slices` equal slices; counts live per slice and the oldest
    slice is dropped as time moves on, so the ranking covers between `window` and
    `window` plus one slice. Each slice holds at most `capacity` peers: when a new peer
    arrives at a full slice, the peers with the fewest failures in it are forgotten
    (half of them at once, so the cost per failure stays constant under a flood of
    distinct peers). Rankings are exact while fewer than `capacity` peers fail per slice;
    beyond that, the peers that fail often still stand, which is what the ranking is for.
    """

    def __init__(self, window: float, capacity: int, slices: int = 4) -> None:
        self._slice = window / slices
        self._slices = slices
        self._capacity = capacity
        self._counts: dict[int, Counter[str]] = {}

    @property
    def tracked(self) -> int:
        """Peers held, over all slices (the memory the ranking takes)."""
        return sum(len(counts) for counts in self._counts.values())

    def add(self, peers: Iterable[str], now: float) -> None:
        """Count one failure for each peer named (repeats count again)."""
        index = int(now // self._slice)
        current = self._counts.get(index)
        if current is None:
            current = self._counts[index] = Counter()
            self._forget_before(index - self._slices)
        for peer in peers:
            if not peer:
                continue
            if peer not in current and len(current) >= self._capacity:
                self._prune(current)
            current[peer] += 1

    def top(self, count: int, now: float, within: float | None = None) -> list[Ranked]:
        """The `count` peers with most failures in the window ending at `now` (or in the
        last `within` seconds of it, to the slice)."""
        if count <= 0:
            return []
        first = int(now // self._slice) - self._slices
        self._forget_before(first)
        if within is not None:
            first = max(first, int(now // self._slice) - math.ceil(within / self._slice))
        total: Counter[str] = Counter()
        for index, counts in self._counts.items():
            if index >= first:
                total.update(counts)
        # Ties go to the smaller ID, so that the served set does not flicker between scrapes.
        ranked = heapq.nsmallest(count, total.items(), key=lambda item: (-item[1], item[0]))
        return [Ranked(peer, gb28181.peer_type(peer), n) for peer, n in ranked]

    def _forget_before(self, first: int) -> None:
        for index in [i for i in self._counts if i < first]:
            del self._counts[index]

    @staticmethod
    def _prune(counts: Counter[str]) -> None:
        keep = sorted(counts.items(), key=lambda item: -item[1])[: len(counts) // 2]
        counts.clear()
        counts.update(dict(keep))
