"""The values that flow between the pipeline's steps: what a parsed record says.

Owns `Event` (one request or response seen in a log) and the closed vocabularies that
label values are drawn from. Pure: no I/O, no prometheus-client.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Direction(StrEnum):
    """Which way a message went, seen from the system that wrote the log."""

    IN = "in"
    OUT = "out"
    UNKNOWN = "unknown"


class Kind(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"


# RFC 3261 and the extension methods registered with IANA. Anything else a log says
# becomes OTHER, so that log content alone can never mint a new `method` label value.
SIP_METHODS: frozenset[str] = frozenset(
    {
        "ACK",
        "BYE",
        "CANCEL",
        "INFO",
        "INVITE",
        "MESSAGE",
        "NOTIFY",
        "OPTIONS",
        "PRACK",
        "PUBLISH",
        "REFER",
        "REGISTER",
        "SUBSCRIBE",
        "UPDATE",
    }
)
METHOD_OTHER = "OTHER"
METHOD_UNKNOWN = "unknown"


class Event(NamedTuple):
    """One SIP request or response (or platform error code) found in a log.

    Fields hold what the log said, before any label normalisation: `method` is the raw
    token (upper-cased, "" when the record has none) and `code` the raw code text
    ("503", "-1024"; "" for requests). Classification into label values happens later.
    `cseq` is the CSeq sequence number as the log wrote it (digits, "" when unknown) and
    `branch` the `branch` parameter of the topmost Via ("" when there is none): with
    `call_id` and `method` they name the transaction a message belongs to.

    A named tuple rather than a frozen dataclass: as immutable, and a parser makes one
    per message on the hot path, where a frozen dataclass's `__init__` costs four times
    as much.
    """

    kind: Kind
    direction: Direction = Direction.UNKNOWN
    method: str = ""
    code: str = ""
    reason: str = ""
    call_id: str = ""
    from_user: str = ""
    to_user: str = ""
    cseq: str = ""
    branch: str = ""


def method_label(method: str) -> str:
    """The bounded `method` label value for a raw method token."""
    if not method:
        return METHOD_UNKNOWN
    upper = method.upper()
    return upper if upper in SIP_METHODS else METHOD_OTHER
