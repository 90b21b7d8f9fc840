"""The SIP dump format on fixture logs shaped like each real software's output.

The ground truth in tests/fixtures/expected.yaml was counted by hand from the files.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import yaml

from exporter.events import Event, Kind
from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import RecordStream
from tests.support import FIXTURES

EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURES / "expected.yaml").read_text("utf-8"))
SIP_FIXTURES = sorted(name for name, truth in EXPECTED.items() if truth["format"] == "sip")


def counted(events: list[Event]) -> tuple[Counter[str], Counter[str]]:
    requests: Counter[str] = Counter()
    responses: Counter[str] = Counter()
    for e in events:
        key = f"{e.direction.value} {e.method or 'unknown'}"
        if e.kind is Kind.REQUEST:
            requests[key] += 1
        else:
            responses[f"{key} {e.code}"] += 1
    return requests, responses


def options(name: str) -> SipOptions:
    return SipOptions(**EXPECTED[name].get("options") or {})


def read(name: str, piece: int) -> tuple[list[Event], int]:
    data = (FIXTURES / name).read_bytes()
    stream = RecordStream(SipParser(options(name)), 65536)
    events: list[Event] = []
    malformed = 0
    for at in range(0, len(data), piece):
        batch = stream.feed(data[at : at + piece])
        events += batch.events
        malformed += batch.malformed
    final = stream.finish()
    return events + final.events, malformed + final.malformed


def test_every_sip_fixture_has_its_ground_truth() -> None:
    on_disk = sorted(p.name for p in FIXTURES.glob("sip-*.log"))
    assert on_disk == SIP_FIXTURES


@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_a_fixture_read_whole_gives_exactly_the_hand_counted_events(name: str) -> None:
    events, malformed = read(name, 1 << 20)
    requests, responses = counted(events)
    truth = EXPECTED[name]
    assert dict(requests) == (truth.get("requests") or {})
    assert dict(responses) == (truth.get("responses") or {})
    assert malformed == truth.get("malformed", 0)


@pytest.mark.parametrize("piece", [1, 13, 256, 4093])
@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_a_fixture_read_in_small_pieces_gives_the_same_events(name: str, piece: int) -> None:
    assert read(name, piece)[0] == read(name, 1 << 20)[0]
