"""SIP messages embedded in one log line with escaped line ends: JSON and text loggers.

Owns finding a block whose lines carry a whole SIP message as an escaped string (zap's and
logrus' JSON `"msg":"SIP/2.0 200 OK\\r\\nVia: …"`, or a text line `recv: INVITE sip:…
SIP/2.0\\r\\nVia: …`), undoing the escapes so that each message stands on its own lines as
in any dump, and mapping positions in the unescaped bytes back to the bytes as logged.

The quote (or space) that opens an embedded message becomes a line end (one byte for one, so nothing
moves): the message then starts a line, and what came before it on the log line (the
logger's fields, a `recv`/`send` word) is the line before it, where the direction is read.
Escapes undone: `\\r`, `\\n`, `\\t`, `\\"`, `\\\\`, `\\/` and JSON's `\\u003c` `\\u003e`
`\\u0026` (Go's encoder writes `<`, `>` and `&` that way). Pure.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_ESCAPED_END = b"\\r\\n"
# The quote or space that opens a message whose start line ends in an escaped CRLF.
_EMBEDDED = re.compile(
    rb'[" \t](?=(?:SIP/2\.0[ \t]+\d{3}|[A-Za-z]{2,20}[ \t]+(?:sips?|tel):)[^"\r\n]*?\\r\\n)'
)
_ESCAPE = re.compile(rb'\\(?:[rnt"\\/]|u00(?:3[cCeE]|26))')
_UNESCAPED = {
    b"\\r": b"\r",
    b"\\n": b"\n",
    b"\\t": b"\t",
    b'\\"': b'"',
    b"\\\\": b"\\",
    b"\\/": b"/",
    b"\\u003c": b"<",
    b"\\u003C": b"<",
    b"\\u003e": b">",
    b"\\u003E": b">",
    b"\\u0026": b"&",
}


def carries_escaped_messages(data: bytes, end: int) -> bool:
    """Whether data[:end] holds a SIP message written as one escaped string."""
    return data.find(_ESCAPED_END, 0, end) >= 0 and _EMBEDDED.search(data, 0, end) is not None


@dataclass(frozen=True, slots=True)
class Unescaped:
    """Bytes with the escapes undone, and the way back to the bytes as logged."""

    data: bytes
    # For each escape undone: where its replacement ends in `data`, and how many bytes
    # shorter everything after it is than as logged.
    ends: list[int]
    shrunk: list[int]

    def logged_at(self, position: int) -> int:
        """Where `position` in the unescaped bytes stood as logged."""
        undone = bisect_right(self.ends, position)
        return position + (self.shrunk[undone - 1] if undone else 0)


def unescape(data: bytes) -> Unescaped:
    """`data` with its embedded messages on lines of their own and its escapes undone."""
    lines = bytearray(data)
    for found in _EMBEDDED.finditer(data):
        lines[found.start()] = ord("\n")
    opened = bytes(lines)
    pieces: list[bytes] = []
    ends: list[int] = []
    shrunk: list[int] = []
    kept = removed = 0
    length = 0
    for found in _ESCAPE.finditer(opened):
        pieces.append(opened[kept : found.start()])
        replacement = _UNESCAPED[found.group()]
        pieces.append(replacement)
        length += found.start() - kept + len(replacement)
        removed += len(found.group()) - len(replacement)
        ends.append(length)
        shrunk.append(removed)
        kept = found.end()
    pieces.append(opened[kept:])
    return Unescaped(b"".join(pieces), ends, shrunk)
