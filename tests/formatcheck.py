"""What the format parsers' tests share: the fixtures' ground truth and the common checks.

Owns loading tests/fixtures/expected.yaml, counting events under its
"direction method[ code]" keys, feeding bytes to a parser in chunks the way a reader
does (carrying over what it left unconsumed), and the checks every line-based format
passes alike: a fixture gives its ground truth, chunks give the one-shot result, CRLF
gives what LF gives, an unterminated last line waits, whole lines are consumed, and each
event's offset is the start of its record's line.

The checks assert. pytest rewrites the asserts of test modules only, so each test module
registers "tests.formatcheck" with `pytest.register_assert_rewrite` before importing it:
a failing check then shows its values, as the same assert in a test would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import yaml

from exporter.config import Config, parse_config
from exporter.events import Event, Kind
from exporter.formats.base import Parser
from exporter.formats.timestamps import NO_DATE, NO_STAMP
from tests.support import FIXTURES

EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURES / "expected.yaml").read_text("utf-8"))

# The fixtures of programs that write no date, and why their records have no time: gosip
# counts seconds since its start (`TRAC[0671]`); pjsua's default log decoration writes a
# time of day only.
UNDATED = {"sip-gosip.log": NO_STAMP, "sip-pjsua.log": NO_DATE}
# Fixtures whose first records come before the first dated line: FreeSWITCH's siptrace
# writes a time of day only and takes its date from the log lines around it.
PARTLY_DATED = {"sip-freeswitch-1.10.log": NO_DATE}


def config_for(name: str) -> Config:
    """The config of one source with the settings expected.yaml gives for `name`."""
    truth = EXPECTED[name]
    source = {"name": "fixture", "paths": ["-"], "format": truth["format"]}
    options = dict(truth.get("options") or {})
    if "fields" in options:  # the config's names of the FieldNames fields
        renamed = {"from_user": "from", "to_user": "to"}
        options["fields"] = {renamed.get(k, k): v for k, v in options["fields"].items()}
    source.update(options)
    return parse_config(yaml.safe_dump({"sources": [source]}), name)


def fixture_bytes(name: str) -> bytes:
    """The raw bytes of tests/fixtures/`name`."""
    return (FIXTURES / name).read_bytes()


def tally(events: Iterable[Event]) -> tuple[dict[str, int], dict[str, int]]:
    """Events counted under expected.yaml's keys: "direction method[ code]"."""
    requests: Counter[str] = Counter()
    responses: Counter[str] = Counter()
    for event in events:
        label = f"{event.direction.value} {event.method or 'unknown'}"
        if event.kind is Kind.REQUEST:
            requests[label] += 1
        else:
            responses[f"{label} {event.code}"] += 1
    return dict(requests), dict(responses)


def parse_in_chunks(parser: Parser, data: bytes, size: int) -> tuple[list[Event], int]:
    """Feed `data` in chunks of `size` bytes the way a reader does, then finish."""
    events: list[Event] = []
    malformed = 0
    pending = b""
    for start in range(0, len(data), size):
        pending += data[start : start + size]
        parsed = parser.parse(pending, final=False)
        events += parsed.events
        malformed += parsed.malformed
        pending = pending[parsed.consumed :]
    parsed = parser.parse(pending, final=True)
    return events + parsed.events, malformed + parsed.malformed


def check_ground_truth(parser: Parser, name: str) -> None:
    """Fixture `name` read whole gives exactly the counts expected.yaml holds for it."""
    parsed = parser.parse(fixture_bytes(name), final=True)

    assert tally(parsed.events) == (EXPECTED[name]["requests"], EXPECTED[name]["responses"])
    assert parsed.malformed == EXPECTED[name].get("malformed", 0)


def check_chunks_give_one_shot(parser: Parser, name: str, size: int) -> None:
    """Fixture `name` fed in chunks of `size` bytes gives what one call on all of it gives."""
    data = fixture_bytes(name)
    whole = parser.parse(data, final=True)

    assert parse_in_chunks(parser, data, size) == (whole.events, whole.malformed)


def check_offsets_start_record_lines(parser: Parser, name: str) -> None:
    """Fixture `name` read whole gives one offset per event, in order, and each is the
    start of a line that, parsed on its own, gives exactly that event."""
    data = fixture_bytes(name)
    parsed = parser.parse(data, final=True)

    assert len(parsed.offsets) == len(parsed.events) > 0
    assert parsed.offsets == sorted(parsed.offsets)
    for offset, event in zip(parsed.offsets, parsed.events, strict=True):
        assert offset == 0 or data[offset - 1] == ord("\n")
        line_end = data.find(b"\n", offset) + 1 or len(data)
        assert parser.parse(data[offset:line_end], final=True).events == [event]


def check_crlf_gives_lf(parser: Parser, name: str) -> None:
    """Fixture `name` with CRLF line ends gives the events and malformed count of LF ends."""
    data = fixture_bytes(name).replace(b"\r\n", b"\n")

    lf = parser.parse(data, final=True)
    crlf = parser.parse(data.replace(b"\n", b"\r\n"), final=True)

    assert (crlf.events, crlf.malformed) == (lf.events, lf.malformed)


def check_last_line_waits(parser: Parser, before: bytes, line: bytes) -> None:
    """A record `line` with no newline, after the line(s) `before`, waits unless final.

    `before` gives no event; `line` gives exactly one once no more bytes will follow.
    """
    waiting = parser.parse(before + line, final=False)
    finished = parser.parse(line, final=True)

    assert (waiting.events, waiting.consumed) == ([], len(before))
    assert (len(finished.events), finished.consumed) == (1, len(line))


def check_whole_lines_consumed(parser: Parser, data: bytes) -> None:
    """`data` is consumed up to its last newline, and all of it when final."""
    parsed = parser.parse(data, final=False)

    assert parsed.consumed == data.rfind(b"\n") + 1
    assert parser.parse(data, final=True).consumed == len(data)


def check_reason_decoded(parser: Parser, line: str, encoding: str, reason: str) -> None:
    """`line` written in `encoding` is exactly one event, whose reason reads `reason`."""
    [event] = parser.parse(line.encode(encoding), final=False).events

    assert event.reason == reason
