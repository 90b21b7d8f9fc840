"""Files counted apart and joined in file order count what one pass over them counts.

`replay --jobs N` counts each file in a worker of its own and joins the parts in file
order (`exporter.count.stitch`). These tests cut logs where a rotation would: inside
transactions and dialogs, and where joining cannot be done from the parts alone (then
the file is counted again from the state of one pass). Every case compares the whole
tally, histogram sums and exemplars included, with `account.replay` over the same files.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate
from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig, parse_config
from exporter.count.account import labeler_for, replay
from exporter.count.parts import FileTracker, count_file
from exporter.count.stitch import Join
from exporter.count.tally import Exemplar, Tally, TallySnapshot
from exporter.data import builtin_catalog_text
from tests.sipmsg import Transaction
from tests.support import REPO

T0 = datetime(2024, 1, 8, 11, 0, 0)
CAMERA = "34020000001320000006"
KEEPER = "34020000001320000007"
YEAR = 2024


def source_settings(extra: str = "") -> tuple[Config, Catalog, SourceConfig]:
    config = parse_config("sources: [{name: wvp, paths: ['-'], format: sip}]\n" + extra, "(test)")
    return config, Catalog.from_yaml(builtin_catalog_text()), config.sources[0]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def keepalives(start: float, end: float, every: float = 5.0) -> list[tuple[float, str]]:
    """A device's answered keepalives, so that the log's clock moves on."""
    out = []
    second = start
    while second < end:
        keepalive = Transaction("MESSAGE", KEEPER, "in")
        out += [(second, keepalive.request(at(second)))]
        out += [(second + 0.01, keepalive.response(200, at(second + 0.01)))]
        second += every
    return out


def files(*messages: list[tuple[float, str]]) -> list[bytes]:
    """Each file's messages in the order of their times."""
    return [
        "".join(text for _, text in sorted(chunk, key=lambda m: m[0])).encode()
        for chunk in messages
    ]


def one_pass(logs: list[bytes], extra: str = "") -> TallySnapshot:
    config, catalog, source = source_settings(extra)
    blocks = [[log] for log in logs]
    return replay(blocks, source, catalog, config, YEAR).tally.snapshot()


def joined(logs: list[bytes], extra: str = "") -> tuple[TallySnapshot, Join]:
    """The logs counted apart, each from an empty state, and joined in order."""
    config, catalog, source = source_settings(extra)
    labeler = labeler_for(source, catalog, config.default_profile)
    join = Join(source, catalog, config)
    for log in logs:
        count = partial(count_file, [log], source, config, labeler, YEAR)
        join.add(count(FileTracker(config.transactions.settings)), count)
    return join.tally.snapshot(), join


def counter(snapshot: TallySnapshot, metric: str, *labels: str) -> int:
    return snapshot.get(metric, ("wvp", *labels))


def histogram_count(snapshot: TallySnapshot, metric: str, *labels: str) -> int:
    return snapshot.histograms[metric][("wvp", *labels)].count


def test_a_response_in_the_next_file_is_matched_to_its_request_in_log_order() -> None:
    invite = Transaction("INVITE", CAMERA)
    later = Transaction("INVITE", CAMERA)
    first = [(1, invite.request(at(1))), (1.1, invite.response(100, at(1.1)))]
    second = [
        (2.5, invite.response(200, at(2.5))),
        (4, later.request(at(4))),
        (5.5, later.response(200, at(5.5))),
    ]
    logs = files(first + keepalives(0, 2), second + keepalives(3, 80))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert counter(snapshot, "sip_exporter_unmatched_total", "no_request") == 0
    durations = snapshot.histograms["sip_response_duration_seconds"][
        ("wvp", "out", "INVITE", "2xx")
    ]
    assert durations.count == 2
    # Both took 1.5 s: their bucket points at the later call, as the log has them.
    assert {e.label for e in durations.exemplars if e is not None} == {later.call_id}
    assert join.recounted == 0


def test_histogram_sums_add_an_answer_across_the_boundary_where_the_log_has_it() -> None:
    # Float sums depend on the order of their terms: ((a + a) + b) + c is not b first or last.
    across, quick, quicker, slow = (Transaction("INVITE", CAMERA) for _ in range(4))
    first = [(10, across.request(at(10)))]
    second = [
        (10.1, quick.request(at(10.1))),
        (10.101, quick.response(200, at(10.101))),
        (10.2, quicker.request(at(10.2))),
        (10.201, quicker.response(200, at(10.201))),
        (11, across.response(200, at(11))),
        (11.1, slow.request(at(11.1))),
        (13.099, slow.response(200, at(13.099))),
    ]
    logs = files(first + keepalives(0, 10), second + keepalives(11, 90))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    durations = snapshot.histograms["sip_response_duration_seconds"][
        ("wvp", "out", "INVITE", "2xx")
    ]
    assert durations.sum == ((0.001 + 0.001) + 1.0) + 1.999 != 0.001 + 0.001 + 1.999 + 1.0
    assert join.recounted == 0


def test_a_dialog_answered_in_one_file_and_ended_in_the_next_has_its_duration() -> None:
    invite = Transaction("INVITE", CAMERA)
    bye = invite.in_dialog("BYE")
    first = [
        (1, invite.request(at(1))),
        (1.5, invite.response(200, at(1.5))),
        (1.6, invite.ack(at(1.6), answered=True)),
    ]
    second = [(50, bye.request(at(50), in_dialog=True)), (50.1, bye.response(200, at(50.1)))]
    logs = files(first + keepalives(0, 40), second + keepalives(40, 120))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert histogram_count(snapshot, "sip_session_duration_seconds", "out") == 1
    assert join.recounted == 0


def test_a_request_unanswered_at_the_end_of_a_file_times_out_in_the_next() -> None:
    unanswered = Transaction("INVITE", CAMERA)
    first = [(30, unanswered.request(at(30)))]
    logs = files(first + keepalives(0, 31), keepalives(31, 120))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert counter(snapshot, "sip_transaction_timeouts_total", "out", "INVITE") == 1
    assert join.recounted == 0


def test_a_request_logged_again_across_the_boundary_is_one_request_and_a_retransmission() -> None:
    message = Transaction("MESSAGE", CAMERA)
    first = [(30, message.request(at(30)))]
    second = [(30.5, message.request(at(30.5))), (30.6, message.response(200, at(30.6)))]
    logs = files(first + keepalives(0, 30), second + keepalives(31, 120))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert counter(snapshot, "sip_retransmissions_total", "out", "MESSAGE", "request") == 1
    assert join.recounted == 1


def test_a_final_response_logged_again_across_the_boundary_counts_once() -> None:
    message = Transaction("MESSAGE", CAMERA)
    first = [(30, message.request(at(30))), (30.1, message.response(200, at(30.1)))]
    second = [(31, message.response(200, at(31)))]
    logs = files(first + keepalives(0, 30), second + keepalives(32, 120))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert counter(snapshot, "sip_retransmissions_total", "in", "MESSAGE", "response") == 1
    assert join.recounted == 1


def test_a_re_invite_in_the_next_file_keeps_the_dialog_that_began_before() -> None:
    invite = Transaction("INVITE", CAMERA)
    again = invite.in_dialog("INVITE")
    bye = again.in_dialog("BYE")
    first = [(1, invite.request(at(1))), (1.5, invite.response(200, at(1.5)))]
    second = [
        (60, again.request(at(60), in_dialog=True)),
        (60.2, again.response(200, at(60.2))),
        (90, bye.request(at(90), in_dialog=True)),
        (90.1, bye.response(200, at(90.1))),
    ]
    logs = files(first + keepalives(0, 40), second + keepalives(40, 120))
    snapshot, _ = joined(logs)
    assert snapshot == one_pass(logs)
    durations = snapshot.histograms["sip_session_duration_seconds"][("wvp", "out")]
    assert durations.count == 1
    assert durations.sum == pytest.approx(88.5)  # from the first 2xx, logged in the file before


def test_a_file_shorter_than_the_timeout_is_counted_again_from_the_state_before() -> None:
    unanswered = Transaction("INVITE", CAMERA)
    logs = files(
        [(10, unanswered.request(at(10))), *keepalives(0, 11)],
        keepalives(11, 20),
        keepalives(20, 120),
    )
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert counter(snapshot, "sip_transaction_timeouts_total", "out", "INVITE") == 1
    assert join.recounted == 1


def test_files_given_out_of_time_order_are_counted_again_and_agree() -> None:
    invite = Transaction("INVITE", CAMERA)
    late = [(200, invite.request(at(200))), (200.5, invite.response(486, at(200.5)))]
    logs = files(keepalives(100, 250) + late, keepalives(0, 90))
    snapshot, join = joined(logs)
    assert snapshot == one_pass(logs)
    assert join.recounted == 1


def test_a_file_without_time_stamps_between_two_rotations_keeps_the_state() -> None:
    invite = Transaction("INVITE", CAMERA)
    undated = "SIP/2.0 503 Service Unavailable\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"
    logs = files(
        [(30, invite.request(at(30))), *keepalives(0, 30)],
        [(0, undated)],
        [(31, invite.response(200, at(31))), *keepalives(32, 120)],
    )
    snapshot, _ = joined(logs)
    assert snapshot == one_pass(logs)
    assert histogram_count(snapshot, "sip_response_duration_seconds", "out", "INVITE", "2xx") == 1


def test_sources_without_matching_add_their_counts_in_file_order() -> None:
    invite = Transaction("INVITE", CAMERA)
    logs = files([(1, invite.request(at(1)))], [(2, invite.response(503, at(2)))])
    config, catalog, source = source_settings()
    off = dataclasses.replace(source, transactions=False)
    labeler = labeler_for(off, catalog, config.default_profile)
    join = Join(off, catalog, config)
    for log in logs:
        count = partial(count_file, [log], off, config, labeler, YEAR)
        join.add(count(None), count)
    expected = replay([[log] for log in logs], off, catalog, config, YEAR).tally
    assert join.tally.snapshot() == expected.snapshot()
    assert counter(join.tally.snapshot(), "sip_requests_total", "out", "INVITE") == 1


@pytest.fixture(scope="module")
def platform_log(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """About a minute of a busy platform's log: answered, failed and unanswered traffic."""
    path = tmp_path_factory.mktemp("corpus") / "wvp.log"
    generate(path, 8000)
    return path.read_bytes()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=3))
def test_a_platform_log_rotated_anywhere_is_counted_as_one_pass_counts_it(
    platform_log: bytes, where: list[float]
) -> None:
    cuts = sorted({int(len(platform_log) * w) for w in where})
    logs = [
        platform_log[start:end]
        for start, end in zip([0, *cuts], [*cuts, len(platform_log)], strict=True)
    ]
    snapshot, _ = joined(logs)
    assert snapshot == one_pass(logs)


def test_observations_added_at_once_count_as_observed_one_by_one() -> None:
    values = [0.001, 0.001, 1.0, 1.999, 40.0]
    exemplar = Exemplar("call-2", 1.999, 1.0)
    one_by_one, at_once = Tally({}), Tally({})
    metric, labels = "sip_response_duration_seconds", ("wvp", "out", "INVITE", "2xx")
    for value in values:
        one_by_one.observe(metric, labels, value, exemplar if value == 1.999 else None)
    counts = one_by_one.snapshot().histograms[metric][labels]
    per_bucket = [b - a for a, b in zip((0, *counts.buckets), counts.buckets, strict=False)]
    at_once.observe_all(metric, labels, per_bucket, values, counts.exemplars)
    assert at_once.snapshot() == one_by_one.snapshot()


SIP_FIXTURES = sorted(
    path.name
    for pattern in ("sip-*.log", "sipp-*.log")
    for path in (REPO / "tests" / "fixtures").glob(pattern)
)


@pytest.mark.parametrize("name", SIP_FIXTURES)
def test_every_sip_fixture_cut_in_four_is_counted_as_one_pass_counts_it(name: str) -> None:
    log = (REPO / "tests" / "fixtures" / name).read_bytes()
    cuts = [0, len(log) // 4, len(log) // 2, len(log) * 3 // 4, len(log)]
    logs = [log[start:end] for start, end in itertools.pairwise(cuts)]
    snapshot, _ = joined(logs)
    assert snapshot == one_pass(logs)
