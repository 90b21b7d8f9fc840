"""What the exporter's transaction matching should make of a SIPp `-trace_msg` log, worked
out a second time, independently, to check it against.

Nothing here comes from `exporter`: the trace is read with its own few regular
expressions, and the rules are applied one message at a time in the plainest way, so
that a reader can check each rule against its statement:

- A message's time is the stamp of the dashed separator line before it; `message sent`
  is direction out, `message received` is in.
- A transaction is keyed by Call-ID, CSeq number, CSeq method, the topmost Via's branch
  and the request's direction; a response belongs to the transaction whose request went
  the other way. ACK never opens one; CANCEL opens its own.
- A request logged again while its transaction is held is a retransmission; so is a final
  response whose code its transaction has already seen.
- A transaction is held from its request until `timeout` after it while unanswered (then
  it times out, when a message later than that is seen), and until `timeout` after its
  first final response once answered. "After" is strict: at exactly the deadline it is
  still held. The end of the trace moves no clock: what is still open stays open.
- Response duration: first final response minus the request's first copy, by the
  request's direction, method and the final's class. SRD: INVITE to its first response
  other than 100, by that response's class. SDT: first 2xx answering an INVITE to the
  first BYE of that Call-ID, either way, by the INVITE's direction.
- Requests are counted once (repeats are retransmissions, kind "request"); responses
  once per code and transaction for finals (repeats: kind "response"); ACKs and
  provisional responses every time. A retransmission is labelled with its own direction,
  as the totals it is kept out of would have labelled it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

# The exporter's bucket bounds, restated (le="+Inf" is implied).
RESPONSE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
SESSION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
                   7200.0, 14400.0, 43200.0, 86400.0)  # fmt: skip

_SEPARATOR = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$")
_WRAPPER = re.compile(r"^\S+ message (sent|received)\b")
_REQUEST_LINE = re.compile(r"^([A-Z]+) \S+ SIP/2\.0$")
_STATUS_LINE = re.compile(r"^SIP/2\.0 (\d{3})\b")
_BRANCH = re.compile(r";\s*branch=([^;,\s]+)", re.IGNORECASE)
# RFC 3261 7.3.3 compact forms of the headers read here.
_COMPACT = {"v": "via", "i": "call-id"}
K = TypeVar("K", bound=tuple[str, ...])


@dataclass(frozen=True)
class Message:
    """One SIP message of the trace, reduced to what matching needs."""

    time: datetime
    direction: str  # "in" or "out"
    method: str  # the request's method, or for a response the CSeq's
    code: int | None  # None for a request
    call_id: str
    cseq_number: str
    cseq_method: str
    branch: str

    @property
    def is_request(self) -> bool:
        return self.code is None


def read_trace(text: str) -> list[Message]:
    """Every message of a SIPp message log, in the order logged."""
    messages: list[Message] = []
    time: datetime | None = None
    block: list[str] = []
    for line in [*text.splitlines(), None]:  # None: the end, which closes the last block
        separator = _SEPARATOR.match(line) if line is not None else None
        if line is not None and separator is None:
            block.append(line)
            continue
        if time is not None and block:
            message = _read_block(time, block)
            if message is not None:
                messages.append(message)
        time = datetime.fromisoformat(separator[1]) if separator else None
        block = []
    return messages


def _read_block(time: datetime, lines: list[str]) -> Message | None:
    """The message between two separators: the sent/received line, a blank line, then
    the SIP message (headers up to the first empty line, then a body)."""
    wrapper = _WRAPPER.match(lines[0])
    if wrapper is None:
        return None
    direction = "out" if wrapper[1] == "sent" else "in"
    sip = [line.rstrip("\r") for line in lines[1:]]
    while sip and not sip[0]:
        sip.pop(0)
    if not sip:
        return None
    headers: dict[str, str] = {}
    for line in sip[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        name = _COMPACT.get(name.strip().lower(), name.strip().lower())
        headers.setdefault(name, value.strip())  # the first one: the topmost Via
    cseq = headers.get("cseq", "").split()
    branch = _BRANCH.search(headers.get("via", "").split(",")[0])
    if len(cseq) != 2 or branch is None:
        return None
    request, status = _REQUEST_LINE.match(sip[0]), _STATUS_LINE.match(sip[0])
    if request is not None:
        method, code = request[1], None
    elif status is not None:
        method, code = cseq[1], int(status[1])
    else:
        return None
    return Message(
        time=time,
        direction=direction,
        method=method,
        code=code,
        call_id=headers.get("call-id", ""),
        cseq_number=cseq[0],
        cseq_method=cseq[1],
        branch=branch[1],
    )


@dataclass
class Histogram:
    """Observations of one label set: per-bucket (not cumulative) counts, sum, count."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    sum: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, seconds: float) -> None:
        index = next((i for i, bound in enumerate(self.bounds) if seconds <= bound), -1)
        self.counts[index] += 1
        self.sum += seconds
        self.count += 1

    def cumulative(self) -> dict[float, int]:
        """Bucket counts as exposed: upper bound (inf for +Inf) to observations <= it."""
        running, result = 0, {}
        for bound, count in zip([*self.bounds, float("inf")], self.counts, strict=True):
            running += count
            result[bound] = running
        return result


@dataclass
class Expected:
    """Everything the exporter should count for one trace, by label values (no source)."""

    response_duration: dict[tuple[str, str, str], Histogram] = field(default_factory=dict)
    request_delay: dict[tuple[str, str], Histogram] = field(default_factory=dict)
    session_duration: dict[tuple[str], Histogram] = field(default_factory=dict)
    timeouts: Counter[tuple[str, str]] = field(default_factory=Counter)
    retransmissions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    responses: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Final responses with no held transaction (late, or their request never logged).
    unmatched_finals: int = 0
    # Transactions still held, unanswered, when the trace ends.
    open_unanswered: int = 0


@dataclass
class _Transaction:
    method: str
    direction: str
    requested: datetime
    answered: datetime | None = None
    final_codes: set[int] = field(default_factory=set)
    delay_seen: bool = False


@dataclass
class _Session:
    direction: str
    started: datetime


def expected_metrics(messages: list[Message], timeout: float) -> Expected:
    """Apply the matching rules (module docstring) to `messages` in order."""
    limit = timedelta(seconds=timeout)
    expected = Expected()
    held: dict[tuple[str, str, str, str, str], _Transaction] = {}
    sessions: dict[str, _Session] = {}
    for message in messages:
        _expire(held, message.time, limit, expected)
        if message.is_request:
            _request(message, held, sessions, expected)
        else:
            _response(message, held, sessions, expected)
    expected.open_unanswered = sum(1 for t in held.values() if t.answered is None)
    return expected


def _expire(
    held: dict[tuple[str, str, str, str, str], _Transaction],
    now: datetime,
    limit: timedelta,
    expected: Expected,
) -> None:
    """Let go of every transaction whose hold ended before `now`; the unanswered ones
    time out."""
    for key, transaction in list(held.items()):
        since = transaction.answered or transaction.requested
        if now - since > limit:
            del held[key]
            if transaction.answered is None:
                expected.timeouts[(transaction.direction, transaction.method)] += 1


def _request(
    message: Message,
    held: dict[tuple[str, str, str, str, str], _Transaction],
    sessions: dict[str, _Session],
    expected: Expected,
) -> None:
    if message.method == "BYE" and message.call_id in sessions:
        session = sessions.pop(message.call_id)
        seconds = _seconds(message.time - session.started)
        _histogram(expected.session_duration, (session.direction,), SESSION_BUCKETS).observe(
            seconds
        )
    if message.method == "ACK":
        expected.requests[(message.direction, message.method)] += 1
        return
    key = (
        message.call_id,
        message.cseq_number,
        message.cseq_method,
        message.branch,
        message.direction,
    )
    if key in held:
        expected.retransmissions[(message.direction, message.method, "request")] += 1
        return
    expected.requests[(message.direction, message.method)] += 1
    held[key] = _Transaction(message.method, message.direction, message.time)


def _response(
    message: Message,
    held: dict[tuple[str, str, str, str, str], _Transaction],
    sessions: dict[str, _Session],
    expected: Expected,
) -> None:
    code = message.code
    assert code is not None
    request_direction = "in" if message.direction == "out" else "out"
    key = (
        message.call_id,
        message.cseq_number,
        message.cseq_method,
        message.branch,
        request_direction,
    )
    transaction = held.get(key)
    final = code >= 200
    if transaction is not None and final and code in transaction.final_codes:
        expected.retransmissions[(message.direction, message.method, "response")] += 1
        return
    expected.responses[(message.direction, message.method, str(code))] += 1
    if transaction is None:
        expected.unmatched_finals += final
        return
    elapsed = _seconds(message.time - transaction.requested)
    if transaction.method == "INVITE" and code != 100 and not transaction.delay_seen:
        transaction.delay_seen = True
        outcome = f"{code // 100}xx"
        _histogram(
            expected.request_delay, (transaction.direction, outcome), RESPONSE_BUCKETS
        ).observe(elapsed)
    if not final:
        return
    transaction.final_codes.add(code)
    if transaction.answered is not None:
        return  # a second, different final answer: counted, but it times nothing
    transaction.answered = message.time
    labels = (transaction.direction, transaction.method, f"{code // 100}xx")
    _histogram(expected.response_duration, labels, RESPONSE_BUCKETS).observe(elapsed)
    if transaction.method == "INVITE" and 200 <= code < 300:
        sessions.setdefault(message.call_id, _Session(transaction.direction, message.time))


def _seconds(delta: timedelta) -> float:
    """A duration in seconds, clamped at 0 (a log is not always in time order)."""
    return max(delta.total_seconds(), 0.0)


def _histogram(table: dict[K, Histogram], labels: K, bounds: tuple[float, ...]) -> Histogram:
    if labels not in table:
        table[labels] = Histogram(bounds)
    return table[labels]


def expected_for_file(path: Path, timeout: float) -> Expected:
    """`expected_metrics` of the SIPp message log at `path`."""
    return expected_metrics(read_trace(path.read_text(encoding="utf-8")), timeout)
