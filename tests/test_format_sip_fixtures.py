"""The SIP dump format on fixture logs shaped like each real software's output.

The ground truth in tests/fixtures/expected.yaml was counted by hand from the files.
"""

from __future__ import annotations

import re

import pytest

from exporter.events import Event
from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import RecordStream
from tests.support import FIXTURES

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import EXPECTED, config_for, fixture_bytes, tally  # noqa: E402

# A physical line ends at LF; in an rsyslog fixture a message's lines end at #012 too.
LINE_END = re.compile(rb"\r?\n|(?:#015)?#012")

SIP_FIXTURES = sorted(name for name, truth in EXPECTED.items() if truth["format"] == "sip")


def options(name: str) -> SipOptions:
    found = config_for(name).sources[0].format
    assert isinstance(found, SipOptions)
    return found


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
    on_disk = sorted(p.name for p in FIXTURES.glob("sip-*") if p.suffix in {".log", ".jsonl"})
    assert on_disk == SIP_FIXTURES


@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_a_fixture_read_whole_gives_exactly_the_hand_counted_events(name: str) -> None:
    events, malformed = read(name, 1 << 20)
    requests, responses = tally(events)
    truth = EXPECTED[name]
    assert dict(requests) == (truth.get("requests") or {})
    assert dict(responses) == (truth.get("responses") or {})
    assert malformed == truth.get("malformed", 0)


@pytest.mark.system  # slow
@pytest.mark.parametrize("piece", [1, 13, 256, 4093])
@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_a_fixture_read_in_small_pieces_gives_the_same_events(name: str, piece: int) -> None:
    assert read(name, piece)[0] == read(name, 1 << 20)[0]


@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_every_fixture_message_has_its_cseq_number_and_an_rfc3261_branch(name: str) -> None:
    # Every message in the fixtures carries a CSeq and a top Via with a magic-cookie branch.
    events, _ = read(name, 1 << 20)
    assert [e for e in events if not re.fullmatch(r"[0-9]+", e.cseq)] == []
    assert [e for e in events if not e.branch.startswith("z9hG4bK")] == []


# (fixture, index of the event in the file): direction, method, code, CSeq number, branch.
TRANSACTION_IDS = [
    ("sip-wvp.log", 17, ("in", "INVITE", "503", "1", "z9hG4bK1714615331020")),
    (
        "sip-wvp-springboot.log",
        4,
        ("unknown", "INVITE", "400", "1", "z9hG4bK-3539-c692822bcebe79e1b4cdeed345be87bd"),
    ),
    ("sip-gosip.log", 11, ("in", "INVITE", "486", "1", "z9hG4bK2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f")),
    # rport before the branch.
    ("sip-freeswitch.log", 6, ("out", "INVITE", "", "34134853", "z9hG4bKy4grQQc2m0eFS")),
    ("sip-freeswitch.log", 10, ("in", "INVITE", "486", "34134853", "z9hG4bKy4grQQc2m0eFS")),
    (
        "sip-asterisk.log",
        14,
        ("in", "INVITE", "603", "4212", "z9hG4bKPj0d1e2f3a-4b5c-4d6e-9f70-8192a3b4c5d6"),
    ),
    # The proxy's own Via on top of the caller's, and the answer relayed with it removed.
    (
        "sip-kamailio-sipdump.log",
        8,
        ("in", "INVITE", "180", "20", "z9hG4bK3c1e.5a9f0e3b7d1c2a4e6f8091a2b3c4d5e6.0"),
    ),
    ("sip-kamailio-sipdump.log", 9, ("out", "INVITE", "180", "20", "z9hG4bK.aQ5Kp7r2D")),
    ("sip-sipp.log", 10, ("out", "ACK", "", "1", "z9hG4bK-31520-1-5")),
    ("sip-sipp.log", 13, ("in", "INVITE", "408", "1", "z9hG4bK-31520-3-0")),
    ("sip-pm2-prefixed.log", 11, ("in", "INVITE", "488", "1", "z9hG4bK1714617608114")),
    ("sip-gbk.log", 0, ("in", "MESSAGE", "", "20", "z9hG4bK664891325")),
    # Record-Route before two Via headers, all behind #015#012 escapes.
    (
        "sip-rsyslog.log",
        2,
        ("out", "INVITE", "", "102", "z9hG4bK1b7f.8e0d2c4a6b1f3e5d7c9a0b2d4f6e8a1c.0"),
    ),
    (
        "sip-rsyslog.log",
        3,
        ("in", "INVITE", "503", "102", "z9hG4bK1b7f.8e0d2c4a6b1f3e5d7c9a0b2d4f6e8a1c.0"),
    ),
]


@pytest.mark.parametrize(("name", "index", "expected"), TRANSACTION_IDS)
def test_chosen_messages_have_exactly_their_cseq_number_and_top_via_branch(
    name: str, index: int, expected: tuple[str, str, str, str, str]
) -> None:
    event = read(name, 1 << 20)[0][index]
    assert (event.direction.value, event.method, event.code, event.cseq, event.branch) == expected


@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_each_event_has_the_offset_of_the_line_holding_its_start_line(name: str) -> None:
    data = fixture_bytes(name)
    parsed = SipParser(options(name)).parse(data, final=True)
    assert len(parsed.offsets) == len(parsed.events)
    for offset, event in zip(parsed.offsets, parsed.events, strict=True):
        assert offset == 0 or data.endswith(b"\n", 0, offset) or data.endswith(b"#012", 0, offset)
        line = LINE_END.split(data[offset:], maxsplit=1)[0]
        if event.code:
            assert re.search(rb"SIP/2\.0 %s " % event.code.encode(), line), line
        else:
            # Or in a JSON string, the start line's end escaped (`SIP/2.0\r\n…`).
            pattern = rb"%s \S+ SIP/2\.0(?:$|\\r\\n)" % event.method.encode()
            assert re.search(pattern, line), line
