"""Peers: who is at the other end of a message, by device type, and who failed most."""

from __future__ import annotations

from collections import Counter

from exporter import contract
from exporter.catalog import Catalog
from exporter.count.labels import Labeler
from exporter.count.peers import FailureRanking, Ranked, is_failure, peer_user
from exporter.data import builtin_catalog_text
from exporter.events import Direction, Event, Kind

PLATFORM = "34020000002000000001"  # type 200: SIP server
CAMERA = "34020000001320000001"  # type 132: IPC
NVR = "34020000001180000002"  # type 118


def message(kind: Kind, direction: Direction, code: str = "") -> Event:
    return Event(kind, direction, "INVITE", code, "", "c", PLATFORM, CAMERA)


def test_the_peer_is_the_party_that_did_not_write_the_log() -> None:
    # The platform (From) invites the camera (To); the camera answers.
    assert peer_user(message(Kind.REQUEST, Direction.OUT)) == CAMERA
    assert peer_user(message(Kind.RESPONSE, Direction.IN, "200")) == CAMERA
    # Seen from the camera's own log: the request came in from the platform.
    assert peer_user(message(Kind.REQUEST, Direction.IN)) == PLATFORM
    assert peer_user(message(Kind.RESPONSE, Direction.OUT, "200")) == PLATFORM
    assert peer_user(message(Kind.RESPONSE, Direction.UNKNOWN, "200")) == ""


def test_failures_are_4xx_to_6xx_and_platform_codes() -> None:
    assert [is_failure(c) for c in ("100", "200", "302", "408", "503", "603", "-1024")] == [
        False, False, False, True, True, True, True,
    ]  # fmt: skip


def test_responses_are_counted_by_the_peers_device_type_never_its_id() -> None:
    catalog = Catalog.from_yaml(builtin_catalog_text())
    labeler = Labeler("wvp", catalog.default_profile, catalog.classify)
    events = [
        Event(Kind.RESPONSE, Direction.IN, "INVITE", "408", "", "a", PLATFORM, CAMERA),
        Event(Kind.RESPONSE, Direction.IN, "INVITE", "408", "", "b", PLATFORM, CAMERA),
        Event(Kind.RESPONSE, Direction.IN, "INVITE", "200", "", "c", PLATFORM, NVR),
        Event(Kind.RESPONSE, Direction.OUT, "200", "200", "", "d", "alice", PLATFORM),
        Event(
            Kind.RESPONSE, Direction.IN, "MESSAGE", "200", "", "e", PLATFORM, "34020000001990000003"
        ),
        Event(Kind.REQUEST, Direction.OUT, "INVITE", "", "", "f", PLATFORM, CAMERA),
    ]
    counted = labeler.count(events)
    assert counted.peers == Counter(
        {
            ("wvp", "in", "ipc", "timeout"): 2,
            ("wvp", "in", "nvr", "success"): 1,
            ("wvp", "out", "unknown", "success"): 1,
            ("wvp", "in", "other", "success"): 1,
        }
    )
    assert counted.failing == [CAMERA, CAMERA]
    assert all(len(labels) == len(contract.PEER_RESPONSES.labels) for labels in counted.peers)


def test_the_ranking_shows_the_peers_that_failed_most_in_the_window() -> None:
    ranking = FailureRanking(window=600.0, capacity=100)
    ranking.add(["cam-a"] * 5 + ["cam-b"] * 3 + [CAMERA] * 3, now=1000.0)
    assert ranking.top(2, now=1000.0) == [Ranked("cam-a", "unknown", 5), Ranked(CAMERA, "ipc", 3)]
    # A tie goes to the smaller ID, so the set shown does not flicker between scrapes.
    assert ranking.top(3, now=1000.0)[2] == Ranked("cam-b", "unknown", 3)
    assert ranking.top(0, now=1000.0) == []


def test_old_failures_leave_the_ranking_as_the_window_moves_on() -> None:
    ranking = FailureRanking(window=600.0, capacity=100)
    ranking.add(["old"] * 10, now=0.0)
    ranking.add(["new"], now=500.0)
    assert [r.peer for r in ranking.top(5, now=700.0)] == ["old", "new"]
    # The window is 600 s wide, give or take one slice (150 s).
    assert [r.peer for r in ranking.top(5, now=751.0)] == ["new"]
    assert ranking.top(5, now=2000.0) == []


def test_a_flood_of_distinct_peers_keeps_memory_bounded_and_the_heavy_hitters() -> None:
    ranking = FailureRanking(window=600.0, capacity=50)
    for round_ in range(200):
        ranking.add([f"noise-{round_}-{i}" for i in range(100)] + ["loud"] * 3, now=10.0)
    top = ranking.top(1, now=10.0)
    assert top[0].peer == "loud"
    assert ranking.tracked <= 50
