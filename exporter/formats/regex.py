"""Custom regular expressions: the user's pattern, with named groups, matched per line.

Owns checking a user's pattern (for config validation and the constructor alike),
compiling it for bytes in the source's encoding, and turning a line's first match into an
event. Named groups among `code`, `method`, `direction`, `reason`, `call_id`, `from`, `to`,
`cseq`, `branch` and `ts` are read (`ts` is accepted but not used yet); others are ignored.

A pattern is written in Python syntax as text. Its non-ASCII characters are literals and
are searched as their bytes in the source's encoding, so they must stand outside
character classes (`(?:接收|发送)`, not `[接发]`). The pattern is compiled with
re.MULTILINE: `^` and `$` are a line's start and end, but `$` matches before `\n` only,
so on CRLF logs end a pattern with `\r?$`. Each line counts at most once, for the
leftmost match the engine finds on it, as `re.search` on that line alone would.

A match whose `code` group holds no integer is malformed; a match that captured neither a
code nor a method carries nothing to count and is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from exporter.events import Event
from exporter.formats.base import Parsed, complete_end
from exporter.formats.common import (
    check_pattern,
    encode_pattern,
    event_from_fields,
    own_words,
    require_encoding,
)
from exporter.formats.options import RegexOptions

GROUPS = (
    "code",
    "method",
    "direction",
    "reason",
    "call_id",
    "from",
    "to",
    "cseq",
    "branch",
    "ts",
)


class RegexParser:
    """Parser for a custom regular expression (see the module docstring)."""

    def __init__(self, options: RegexOptions) -> None:
        problem = check_pattern(options.pattern)
        if problem is not None:
            raise ValueError(problem)
        require_encoding(options.encoding)
        self._encoding = options.encoding
        try:
            self._regex = re.compile(
                encode_pattern(options.pattern, options.encoding), re.MULTILINE
            )
        except (re.error, UnicodeError) as error:
            raise ValueError(
                f"the pattern cannot be used with encoding {options.encoding!r}: {error}"
            ) from error
        self._groups = frozenset(GROUPS) & set(self._regex.groupindex)
        words = options.direction_words
        self._own = own_words(words.incoming, words.outgoing)
        # What a record stands for where the pattern has no such group, or it is empty.
        self._defaults = {
            name: value
            for name, value in (("direction", options.direction), ("method", options.method))
            if value
        }

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = complete_end(data, final)
        events: list[Event] = []
        offsets: list[int] = []
        malformed = ignored = 0
        for line_start, match in self._line_matches(data, end):
            fields = self._fields(match)
            if "code" not in fields and "method" not in fields:
                ignored += 1
                continue
            event = event_from_fields(self._defaults | fields, self._own)
            if event is None:
                malformed += 1
            else:
                events.append(event)
                offsets.append(line_start)
        return Parsed(events, end, malformed, ignored, offsets)

    def _line_matches(self, data: bytes, end: int) -> Iterator[tuple[int, re.Match[bytes]]]:
        """Each line's start and first match in data[:end], in order, searching the block
        at once.

        The engine skips lines without a match by itself; Python only sees matched lines.
        """
        position = 0
        while position < end:
            match = self._regex.search(data, position, end)
            if match is None:
                return
            line_start = data.rfind(b"\n", 0, match.start()) + 1
            line_end = data.find(b"\n", match.start(), end)
            line_end = end if line_end < 0 else line_end
            if match.end() > line_end:
                # The pattern can run over a newline, so block matches are no longer
                # line matches, and searching the block again from each next line could
                # rescan the same span over and over: go line by line from here.
                yield from self._each_line(data, line_start, end)
                return
            position = line_end + 1
            yield line_start, match

    def _each_line(
        self, data: bytes, start: int, end: int
    ) -> Iterator[tuple[int, re.Match[bytes]]]:
        """Each line's start and first match in data[start:end], searching line by line."""
        while start < end:
            line_end = data.find(b"\n", start, end)
            line_end = end if line_end < 0 else line_end
            match = self._regex.search(data, start, line_end)
            if match is not None:
                yield start, match
            start = line_end + 1

    def _fields(self, match: re.Match[bytes]) -> dict[str, str]:
        """The known groups that matched something, decoded and stripped."""
        fields: dict[str, str] = {}
        for name in self._groups:
            raw = match.group(name)
            if raw:
                text = raw.decode(self._encoding, "replace").strip()
                if text:
                    fields[name] = text
        return fields
