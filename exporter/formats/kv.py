"""key=value lines, such as Kamailio's acc module or an operator's xlog lines.

Owns reading one line's pairs and turning a line that has the code field or the method
field into an event: a response when it has a code, else a request. The pairs may follow
any prefix (a syslog header, `ACC: transaction answered: `); the first key is the last
word before the first value separator.

A record with method ACK is a request (acc's `request acknowledged` carries the INVITE's
code); OpenSIPS' `call ended` CDR lines are ignored; a record inside a JSON log line ends
before the object's closing `" }`.

Keys match whole keys only: `code=` is not found in `rcode=`, nor `from=` in `from_tag=`.
A value runs to the next pair separator, so `to=<sip:…>;tag=…` with separator `;` gives
a `to` pair and a separate `tag` pair, which is what the line means anyway.
"""

from __future__ import annotations

import re

from exporter.events import Event
from exporter.formats.base import Parsed, complete_end
from exporter.formats.common import event_from_fields, own_words, require_encoding
from exporter.formats.options import KeyValueOptions

# Before a key there is a line start, horizontal space or the pair separator.
_SPACE = b" \t\n"
# OpenSIPS' acc writes a call's record when its dialog ends (`ACC: call ended: …;code=200`,
# the cdr_flag): the INVITE's answer again, already counted by `transaction answered`.
_SUMMARY = b"ACC: call ended:"
# A record inside a JSON log line (Kamailio's log_engine_type "json": `"message": "ACC: …;
# reason=OK" }`): the closing quote and brace are not the last value's.
_JSON_CLOSE = re.compile(rb'"[ \t]*}[ \t]*$')


def _json_tail(line: bytes) -> bytes:
    """The line without a JSON object's closing `" }` when the line is a JSON object."""
    if line[:1] != b"{" and not line.lstrip().startswith(b"{"):
        return line
    return _JSON_CLOSE.sub(b"", line)


class KeyValueParser:
    """Parser for key=value lines (see the module docstring)."""

    def __init__(self, options: KeyValueOptions) -> None:
        require_encoding(options.encoding)
        if not options.pair_separator or not options.value_separator:
            raise ValueError("key=value separators must not be empty")
        if options.pair_separator == options.value_separator:
            raise ValueError("the pair and value separators must differ")
        enc = options.encoding
        self._encoding = enc
        self._pair = options.pair_separator.encode(enc)
        self._value = options.value_separator.encode(enc)
        f = options.fields
        self._keys = {
            name: key.encode(enc)
            for name, key in (
                ("code", f.code),
                ("method", f.method),
                ("direction", f.direction),
                ("reason", f.reason),
                ("call_id", f.call_id),
                ("from", f.from_user),
                ("to", f.to_user),
                ("cseq", f.cseq),
                ("branch", f.branch),
            )
        }
        self._wanted = {key: name for name, key in self._keys.items()}
        words = options.direction_words
        self._own = own_words(words.incoming, words.outgoing)
        # Candidates only: lines where a code or method key is followed by the value
        # separator. The key's left edge and the full line are checked in Python, on these
        # lines alone, so the engine's fast scan does the work for every other line.
        keys = sorted({self._keys["code"], self._keys["method"]}, key=len, reverse=True)
        self._candidate = re.compile(
            b"(?:" + b"|".join(re.escape(k) for k in keys) + b")[ \t]*" + re.escape(self._value)
        )

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = complete_end(data, final)
        events: list[Event] = []
        offsets: list[int] = []
        malformed = ignored = 0
        next_line = 0
        for match in self._candidate.finditer(data, 0, end):
            at = match.start()
            if at < next_line or not self._at_key_start(data, at):
                continue
            line_start = data.rfind(b"\n", 0, at) + 1
            line_end = data.find(b"\n", at, end)
            next_line = end if line_end < 0 else line_end + 1
            line = data[line_start : (end if line_end < 0 else line_end)]
            if _SUMMARY in line:
                ignored += 1  # a call's record, whose answer its transaction's line counted
                continue
            fields = self._pairs(_json_tail(line.rstrip(b"\r")))
            if "code" not in fields and "method" not in fields:
                continue  # the key was text inside some other value
            event = self._event(fields)
            if event is None:
                malformed += 1
            else:
                events.append(event)
                offsets.append(line_start)
        return Parsed(events, end, malformed, ignored, offsets)

    def _at_key_start(self, data: bytes, at: int) -> bool:
        return at == 0 or data[at - 1] in _SPACE or data.endswith(self._pair, 0, at)

    def _pairs(self, line: bytes) -> dict[str, bytes]:
        """The wanted fields of one line, by field name; the first pair of a key wins."""
        fields: dict[str, bytes] = {}
        for part in line.split(self._pair):
            key, sep, value = part.partition(self._value)
            words = key.split()
            # The last word: drops a prefix before the first pair and stray spaces.
            name = self._wanted.get(words[-1]) if sep and words else None
            if name is not None and name not in fields:
                fields[name] = value.strip()
        return fields

    def _event(self, fields: dict[str, bytes]) -> Event | None:
        """The event of a record line, or None when its code is not an integer."""
        return event_from_fields(
            {name: raw.decode(self._encoding, "replace") for name, raw in fields.items()},
            self._own,
        )
