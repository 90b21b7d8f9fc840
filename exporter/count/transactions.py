"""Transactions and sessions: requests paired with their responses, by the logged times.

Owns the matching step between parsing and the tally: which response answers which
request, how long it took by the times written in the log, which requests were never
answered, which messages were logged again (retransmissions), and how long answered
INVITE dialogs lasted. Pure: times come with the events and the caller says how much
idle time has passed; nothing here reads a clock, a file or a thread.

Matching rules (RFC 3261 §17, as far as a log shows them):
- A transaction is keyed by Call-ID, CSeq number, CSeq method, the branch of the top Via
  and the request's direction. A response belongs to the transaction whose request went
  the other way (a received response answers a sent request), so a proxy that logs both
  legs of a call keeps them apart even where its log carries no Via. ACK opens no
  transaction (it gets no response); CANCEL has its own.
- The log clock is the latest time seen in the source. A transaction with no final
  response times out once the clock passes its request's time plus `timeout` (Timer B
  for INVITE, F for the others: 64·T1 = 32 s); a response after that finds no
  transaction. While the log is quiet the clock runs on by the idle time the caller
  reports, so a last unanswered request still times out.
- A request logged again while its transaction is held, and a final response whose code
  the transaction already had, are retransmissions: counted once among the messages and
  once more per repeat as retransmissions, under the repeated message's own direction.
  An answered transaction is held for `timeout` after its final response to recognise
  them (Timers H, J).
- Response duration: first final response minus the request's first copy; INVITE's
  session request delay (RFC 6076 SRD): first response other than 100 minus the INVITE.
  Both are clamped at 0, since loggers on several threads may stamp a response a
  millisecond before its request.
- Session duration (RFC 6076 SDT): from the first 2xx of an INVITE to the first BYE with
  that Call-ID, whichever side sends it; a BYE ends every session of its Call-ID (a proxy
  holds one per leg). Sessions without a BYE are forgotten after `session_max_age`.
- Tables are bounded: when full, the oldest entry goes and is counted as an eviction.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from exporter import contract
from exporter.config import TransactionSettings as Settings
from exporter.count.peers import peer_user
from exporter.events import Direction, Event, Kind, method_label
from exporter.ingest import decode as shape
from exporter.ingest.decode import CheckpointError

TRANSACTIONS = "transactions"
SESSIONS = "sessions"
NO_TIME = "no_time"
NO_IDS = "no_ids"
NO_REQUEST = "no_request"
UNMATCHED_REASONS = (NO_TIME, NO_IDS, NO_REQUEST)
TABLES = (TRANSACTIONS, SESSIONS)

_DURATION = contract.RESPONSE_DURATION.name
_SRD = contract.SESSION_REQUEST_DELAY.name
_SDT = contract.SESSION_DURATION.name
# A message's direction as label text, and the direction of the request it answers.
_TEXT = {direction: direction.value for direction in Direction}
_ANSWERS = {Direction.IN: "out", Direction.OUT: "in", Direction.UNKNOWN: "unknown"}
_CLASSES = {str(digit): f"{digit}xx" for digit in range(1, 7)}

# Call-ID, CSeq number, method, top Via branch, the request's direction.
Key = tuple[str, str, str, str, str]


class Observation(NamedTuple):
    """One histogram observation, with what its exemplar names: labels without source.
    (A named tuple: one is made per answer, where a frozen dataclass costs three times
    as much.)"""

    metric: str
    labels: tuple[str, ...]
    value: float
    call_id: str
    time: float


@dataclass(slots=True)
class Matched:
    """What one batch gave: the events to count (retransmissions left out) and the rest."""

    counted: list[Event] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    timeouts: Counter[tuple[str, str]] = field(default_factory=Counter)
    retransmissions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    unmatched: Counter[str] = field(default_factory=Counter)
    evictions: Counter[str] = field(default_factory=Counter)
    # Users at the other end of requests that timed out (for the failing-peer ranking).
    timed_out_peers: list[str] = field(default_factory=list)


class _Transaction:
    """One held transaction. A plain slotted class: one is made per request."""

    __slots__ = ("answered", "codes", "deadline", "delayed", "direction", "method", "peer", "start")

    def __init__(self, start: float, deadline: float, direction: str, method: str, peer: str):
        self.start = start
        self.deadline = deadline
        self.direction = direction
        self.method = method
        self.codes: tuple[str, ...] = ()  # the response codes seen
        self.answered = False  # a final response came
        self.delayed = False  # the SRD was observed (INVITE)
        self.peer = peer


class Tracker:
    """The open transactions and sessions of one source, matched event by event."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # In order of deadline (requests arrive in time order, and an answered one moves
        # to the end), so expiry looks at the front only.
        self._transactions: OrderedDict[Key, _Transaction] = OrderedDict()
        # (Call-ID, the INVITE's direction) -> time of its 2xx, in order of that time.
        self._sessions: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._latest: float | None = None  # the latest logged time seen
        self._clock: float | None = None  # that, or later while the log is quiet

    @property
    def open_transactions(self) -> int:
        return len(self._transactions)

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)

    def match(self, events: Sequence[Event], times: Sequence[float | None]) -> Matched:
        """Match a batch; `times` holds each event's logged time (None: unknown)."""
        out = Matched()
        counted = out.counted
        for event, time in zip(events, times, strict=True):
            if time is None:
                out.unmatched[NO_TIME] += 1
                counted.append(event)
            elif not event.call_id or not event.cseq:
                out.unmatched[NO_IDS] += 1
                counted.append(event)
            else:
                if self._latest is None or time > self._latest:
                    self._latest = time
                    self._advance(time, out)
                if self._one(event, time, out):
                    counted.append(event)
        return out

    def idle(self, seconds: float) -> Matched:
        """The log has been quiet for `seconds` since the last batch with events: let the
        clock run on, so that requests left unanswered time out."""
        out = Matched()
        if self._latest is not None and seconds > 0:
            self._advance(self._latest + seconds, out)
        return out

    def _advance(self, time: float, out: Matched) -> None:
        if self._clock is not None and time <= self._clock:
            return
        self._clock = time
        transactions = self._transactions
        while transactions:
            key, held = next(iter(transactions.items()))
            if held.deadline >= time:
                break
            del transactions[key]
            if not held.answered:
                out.timeouts[(held.direction, method_label(held.method))] += 1
                if held.peer:
                    out.timed_out_peers.append(held.peer)
        oldest = time - self.settings.session_max_age
        sessions = self._sessions
        while sessions:
            key2, started = next(iter(sessions.items()))
            if started >= oldest:
                break
            del sessions[key2]

    def _one(self, event: Event, time: float, out: Matched) -> bool:
        """Match one event; whether it counts (False: a retransmission)."""
        if event.kind is Kind.REQUEST:
            return self._request(event, time, out)
        return self._response(event, time, out)

    def _request(self, event: Event, time: float, out: Matched) -> bool:
        method = event.method
        if method == "ACK":
            return True
        direction = _TEXT[event.direction]
        key = (event.call_id, event.cseq, method, event.branch, direction)
        if key in self._transactions:
            out.retransmissions[(direction, method_label(method), "request")] += 1
            return False
        if len(self._transactions) >= self.settings.max_transactions:
            self._transactions.popitem(last=False)
            out.evictions[TRANSACTIONS] += 1
        peer = peer_user(event)
        self._transactions[key] = _Transaction(
            time, time + self.settings.timeout, direction, method, peer
        )
        if method == "BYE":
            self._end_sessions(event.call_id, time, out)
        return True

    def _response(self, event: Event, time: float, out: Matched) -> bool:
        code = event.code
        request_direction = _ANSWERS[event.direction]
        key = (event.call_id, event.cseq, event.method, event.branch, request_direction)
        held = self._transactions.get(key)
        if held is None:
            out.unmatched[NO_REQUEST] += 1
            return True
        if not ("100" <= code <= "699" and len(code) == 3 and code.isdigit()):
            out.unmatched[NO_IDS] += 1  # not a SIP status code (a platform's own code)
            return True
        final = code >= "200"
        if final and code in held.codes:
            out.retransmissions[
                (_TEXT[event.direction], method_label(held.method), "response")
            ] += 1
            return False
        delay = _elapsed(held.start, time)
        outcome = _CLASSES.get(code[0], "other")
        if held.method == "INVITE" and code != "100" and not held.delayed:
            held.delayed = True
            out.observations.append(
                Observation(_SRD, (request_direction, outcome), delay, event.call_id, time)
            )
        held.codes += (code,)
        if final and not held.answered:
            held.answered = True
            held.deadline = time + self.settings.timeout
            self._transactions.move_to_end(key)
            labels = (request_direction, method_label(held.method), outcome)
            out.observations.append(Observation(_DURATION, labels, delay, event.call_id, time))
            if held.method == "INVITE" and code[0] == "2":
                self._start_session((event.call_id, request_direction), time, out)
        return True

    def _start_session(self, key: tuple[str, str], time: float, out: Matched) -> None:
        if key in self._sessions:
            return
        if len(self._sessions) >= self.settings.max_sessions:
            self._sessions.popitem(last=False)
            out.evictions[SESSIONS] += 1
        self._sessions[key] = time

    def _end_sessions(self, call_id: str, time: float, out: Matched) -> None:
        for direction in (Direction.IN, Direction.OUT, Direction.UNKNOWN):
            started = self._sessions.pop((call_id, str(direction)), None)
            if started is not None:
                out.observations.append(
                    Observation(_SDT, (str(direction),), _elapsed(started, time), call_id, time)
                )

    def dump(self) -> dict[str, object]:
        """Plain data for a checkpoint: the clock and both tables, in their order."""
        timeout = self.settings.timeout
        return {
            "latest": self._latest,
            "clock": self._clock,
            "transactions": [
                # The time the deadline counts from, so that a new timeout applies on load.
                [
                    *key,
                    t.start,
                    t.deadline - timeout,
                    t.method,
                    list(t.codes),
                    t.answered,
                    t.delayed,
                    t.peer,
                ]
                for key, t in self._transactions.items()
            ],
            "sessions": [[*key, started] for key, started in self._sessions.items()],
        }

    @classmethod
    def load(cls, settings: Settings, data: object, where: str = "transactions") -> Tracker:
        """A tracker from `dump`'s plain data; CheckpointError (a ValueError) naming the
        place if it is not that shape. Entries beyond the (possibly lowered) table limits
        are dropped, oldest first."""
        tracker = cls(settings)
        document = shape.mapping(data, where)
        latest, clock = document.get("latest"), document.get("clock")
        tracker._latest = None if latest is None else shape.number(latest, f"{where}.latest")
        tracker._clock = None if clock is None else shape.number(clock, f"{where}.clock")
        rows = shape.items(document.get("transactions", []), f"{where}.transactions")
        for i, row in enumerate(rows):
            key, held = _held(row, f"{where}.transactions[{i}]", settings.timeout)
            tracker._transactions[key] = held
        rows = shape.items(document.get("sessions", []), f"{where}.sessions")
        for i, row in enumerate(rows):
            at = f"{where}.sessions[{i}]"
            started = shape.number(_last(row, at, 3), f"{at}.started")
            call_id, direction = shape.texts(shape.items(row, at)[:2], f"{at}.key", 2)
            tracker._sessions[(call_id, direction)] = started
        while len(tracker._transactions) > settings.max_transactions:
            tracker._transactions.popitem(last=False)
        while len(tracker._sessions) > settings.max_sessions:
            tracker._sessions.popitem(last=False)
        return tracker


def _held(row: object, where: str, timeout: float) -> tuple[Key, _Transaction]:
    """One dumped transaction row: its key (5 strings), then start, the time its deadline
    counts from, method, codes, answered, delayed and peer."""
    values = shape.items(row, where)
    _last(values, where, 12)
    call_id, cseq, method, branch, direction = shape.texts(values[:5], f"{where}.key", 5)
    start, since, held_method, codes, answered, delayed, peer = values[5:]
    held = _Transaction(
        shape.number(start, f"{where}.start"),
        shape.number(since, f"{where}.since") + timeout,
        direction,
        shape.text(held_method, f"{where}.method"),
        shape.text(peer, f"{where}.peer"),
    )
    listed = shape.items(codes, f"{where}.codes")
    held.codes = shape.texts(listed, f"{where}.codes", len(listed))
    held.answered = shape.flag(answered, f"{where}.answered")
    held.delayed = shape.flag(delayed, f"{where}.delayed")
    return (call_id, cseq, method, branch, direction), held


def _last(row: object, where: str, width: int) -> object:
    """The last value of a row that must hold exactly `width` values."""
    values = shape.items(row, where)
    if len(values) != width:
        raise CheckpointError(f"{where}: expected {width} values, got {len(values)}")
    return values[-1]


def _elapsed(start: float, end: float) -> float:
    """Seconds from `start` to `end`, never negative, to the microsecond: no log stamps
    finer, and Unix times as floats carry noise below it (1.2000000476837158)."""
    return max(0.0, round(end - start, 6))


def exemplar_value(call_id: str, mode: str) -> str | None:
    """What an exemplar says of a call: its Call-ID, a short hash of it, or nothing.

    A hash lets an operator find the call in the log (hash the Call-IDs there the same
    way) without the Call-ID, which may name hosts and users, leaving the exporter."""
    if mode == "off":
        return None
    if mode == "hash":
        return hashlib.sha256(call_id.encode("utf-8", "replace")).hexdigest()[:16]
    # OpenMetrics caps an exemplar's label set at 128 characters; longer Call-IDs go hashed.
    return call_id if len(call_id) <= 100 else exemplar_value(call_id, "hash")
