"""JSON lines: one JSON object per line, with configurable field names.

Owns finding the object lines, reading the configured fields (a dotted name such as
`sip.status` reaches into nested objects; a key that itself contains the dot wins), and
turning an object that has the code field or the method field into an event.

A line is an object line when it starts with `{` after optional spaces; any other line
(a plain-text banner, a Go panic's stack) is not a record of this format. An object line
that is not valid JSON, or whose code is neither an integer nor a string holding one, is
malformed.
"""

from __future__ import annotations

import json
import re

from exporter.events import Direction, Event, Kind
from exporter.formats.base import Parsed, complete_end, direction_from_word
from exporter.formats.common import (
    code_text,
    cseq_parts,
    method_token,
    own_words,
    require_encoding,
    user_part,
)
from exporter.formats.options import JsonOptions

_OBJECT_LINE = re.compile(rb"^[ \t]*\{", re.MULTILINE)


class JsonParser:
    """Parser for JSON lines (see the module docstring)."""

    def __init__(self, options: JsonOptions) -> None:
        require_encoding(options.encoding)
        self._encoding = options.encoding
        words = options.direction_words
        self._own = own_words(words.incoming, words.outgoing)
        f = options.fields
        self._fields = {
            "code": f.code,
            "method": f.method,
            "direction": f.direction,
            "reason": f.reason,
            "call_id": f.call_id,
            "from": f.from_user,
            "to": f.to_user,
            "cseq": f.cseq,
            "branch": f.branch,
        }

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = complete_end(data, final)
        events: list[Event] = []
        offsets: list[int] = []
        malformed = 0
        for match in _OBJECT_LINE.finditer(data, 0, end):
            line_end = data.find(b"\n", match.end(), end)
            line = data[match.start() : end if line_end < 0 else line_end]
            record = self._load(line)
            if record is None:
                malformed += 1
                continue
            code_value = _lookup(record, self._fields["code"])
            method_value = _lookup(record, self._fields["method"])
            if code_value is None and not _is_text(method_value):
                continue  # an object line, but not a SIP record
            event = self._event(record, code_value, method_value)
            if event is None:
                malformed += 1
            else:
                events.append(event)
                offsets.append(match.start())  # the line's start: the pattern is `^`-anchored
        return Parsed(events, end, malformed, 0, offsets)

    def _load(self, line: bytes) -> dict[str, object] | None:
        """The object on a line, or None when the line is not a valid JSON object."""
        try:
            record = json.loads(line.decode(self._encoding, "replace"))
        except (ValueError, RecursionError):
            # ValueError covers JSONDecodeError and over-long integers; a deeply nested
            # line exhausts the decoder's recursion instead.
            return None
        # A line opened by `{` is an object when it is valid at all; the check is for mypy.
        return record if isinstance(record, dict) else None

    def _event(
        self, record: dict[str, object], code_value: object, method_value: object
    ) -> Event | None:
        """The event of a SIP record, or None when its code is not an integer."""
        code = ""
        if code_value is not None:
            parsed = _code(code_value)
            if parsed is None:
                return None
            code = parsed
        word = self._text(record, "direction")
        number, cseq_method = _cseq(_lookup(record, self._fields["cseq"]))
        method = method_token(method_value) if isinstance(method_value, str) else ""
        return Event(
            Kind.REQUEST if code_value is None else Kind.RESPONSE,
            direction=direction_from_word(word, self._own) if word else Direction.UNKNOWN,
            method=method or cseq_method,
            code=code,
            reason=self._text(record, "reason").strip(),
            call_id=self._text(record, "call_id").strip(),
            from_user=user_part(self._text(record, "from")),
            to_user=user_part(self._text(record, "to")),
            cseq=number,
            branch=self._text(record, "branch").strip(),
        )

    def _text(self, record: dict[str, object], field: str) -> str:
        value = _lookup(record, self._fields[field])
        return value if isinstance(value, str) else ""


def _lookup(record: dict[str, object], name: str) -> object:
    """The value at a field name, following dots into nested objects; None if absent."""
    if name in record:
        return record[name]
    value: object = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _code(value: object) -> str | None:
    """A code given as a JSON number or string, or None when it is not an integer."""
    if isinstance(value, bool):
        return None  # bool is an int to Python, but `true` is no code
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    if isinstance(value, str):
        return code_text(value)
    return None


def _cseq(value: object) -> tuple[str, str]:
    """A CSeq given as a JSON number (1) or string ("1 INVITE", "1"): number and method."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value), ""
    return cseq_parts(value) if isinstance(value, str) else ("", "")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
