"""The SIP dump format on fixture logs shaped like each real software's output.

The ground truth in tests/fixtures/expected.yaml was counted by hand from the files.
"""

from __future__ import annotations

import pytest

from exporter.events import Event
from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import RecordStream
from tests.support import FIXTURES

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import EXPECTED, fixture_bytes, tally  # noqa: E402

SIP_FIXTURES = sorted(name for name, truth in EXPECTED.items() if truth["format"] == "sip")


def options(name: str) -> SipOptions:
    return SipOptions(**EXPECTED[name].get("options") or {})


def read(name: str, piece: int) -> tuple[list[Event], int]:
    data = fixture_bytes(name)
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
    requests, responses = tally(events)
    truth = EXPECTED[name]
    assert dict(requests) == (truth.get("requests") or {})
    assert dict(responses) == (truth.get("responses") or {})
    assert malformed == truth.get("malformed", 0)


@pytest.mark.parametrize("piece", [1, 13, 256, 4093])
@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_a_fixture_read_in_small_pieces_gives_the_same_events(name: str, piece: int) -> None:
    assert read(name, piece)[0] == read(name, 1 << 20)[0]
