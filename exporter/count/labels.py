"""Events to label sets: the classify step between matching and the tally.

Owns how an `Event` becomes the label values of the SIP counters (source, direction,
method, code and category; peer_type for the peer counter) and which failed peers a batch
names for the ranking, so that every label keeps its closed, bounded set of values
whatever the log says. The metric names are the contract's. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from operator import itemgetter

from exporter import contract
from exporter.catalog import OTHER
from exporter.count import gb28181
from exporter.count.peers import is_failure, peer_of
from exporter.count.tally import Labels
from exporter.events import Event, Kind, method_label

RESPONSES = contract.RESPONSES.name
REQUESTS = contract.REQUESTS.name

Classify = Callable[[str, str], tuple[str, str]]

# What an event's labels depend on: kind, direction, method, code (its first four fields).
_LABELLED_FIELDS = itemgetter(0, 1, 2, 3)
# What its peer depends on: kind, direction, code, From user, To user.
_PEER_FIELDS = itemgetter(0, 1, 3, 6, 7)


@dataclass(frozen=True, slots=True)
class Counted:
    """One batch of events as increments per label set."""

    responses: Counter[Labels]
    requests: Counter[Labels]
    peers: Counter[Labels]
    # The peer of each failed response (4xx-6xx, platform codes), for the ranking.
    failing: list[str]
    # Responses whose code is no SIP code the catalog knows (labelled `other`).
    suspicious: int = 0
    # Responses by (code label, peer type), and (code label, peer) of each failed one:
    # the landing page's "where" of each code.
    codes: Counter[Labels] = field(default_factory=Counter)
    failing_codes: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Labeler:
    """Label values for one source's events, with that source's catalog profile."""

    source: str
    profile: str
    classify: Classify

    def count(self, events: Iterable[Event]) -> Counted:
        """Count a batch: events are first grouped by what their labels depend on (in C),
        so each distinct group is classified once, not each event."""
        groups: Counter[tuple[Kind, str, str, str]] = Counter(map(_LABELLED_FIELDS, events))
        responses: Counter[Labels] = Counter()
        requests: Counter[Labels] = Counter()
        for (kind, direction, method, code), count in groups.items():
            if kind is Kind.RESPONSE:
                responses[self.response_labels(direction, method, code)] += count
            else:
                requests[(self.source, str(direction), method_label(method))] += count
        counted = Counted(responses, requests, Counter(), [])
        self._peers(events, counted)
        suspicious = sum(n for labels, n in responses.items() if labels[3] == OTHER)
        return replace(counted, suspicious=suspicious)

    def _peers(self, events: Iterable[Event], counted: Counted) -> None:
        """Responses by the kind of device at the other end (see `peers.peer_user`)."""
        groups: Counter[tuple[Kind, str, str, str, str]] = Counter(map(_PEER_FIELDS, events))
        for (kind, direction, code, from_user, to_user), count in groups.items():
            if kind is not Kind.RESPONSE:
                continue
            peer = peer_of(kind, direction, from_user, to_user)
            code_label, category = self.classify(code, self.profile)
            peer_type = gb28181.peer_type(peer)
            counted.peers[(self.source, str(direction), peer_type, category)] += count
            counted.codes[(code_label, peer_type)] += count
            if peer and is_failure(code):
                counted.failing.extend([peer] * count)
                counted.failing_codes.extend([(code_label, peer)] * count)

    def response_labels(self, direction: str, method: str, code: str) -> Labels:
        code_label, category = self.classify(code, self.profile)
        return (self.source, str(direction), method_label(method), code_label, category)
