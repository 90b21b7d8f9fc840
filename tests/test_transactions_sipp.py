"""Transaction matching on real SIP traffic: what SIPp's UAC and UAS logged of the calls
of tests/data/sipp/calls.csv, read once by `replay` with a 2 s transaction timeout, must
give exactly what the independent reference (tests/sipp_reference.py) works out from
the same log: every bucket, sum and count of the duration, SRD and SDT histograms, and
every timeout, retransmission, request and response count.

Twice: on the logs of a fresh SIPp run (real processes, a few seconds), and on the logs
of one run committed as tests/fixtures/sipp-uac-trace.log and sipp-uas-trace.log, which
need no SIPp and stay the same from one run of the tests to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.sipp import Traces, run_calls
from tests.sipp_reference import Expected, Histogram, expected_for_file
from tests.support import FIXTURES, Samples, parse_samples, run_cli

pytestmark = pytest.mark.system

TIMEOUT = 2.0
SOURCE = "sipp"
CONFIG = f"""\
transactions: {{timeout: {TIMEOUT:g}s}}
sources: [{{name: {SOURCE}, paths: [unused], format: sip}}]
"""
COMMITTED = {"uac": FIXTURES / "sipp-uac-trace.log", "uas": FIXTURES / "sipp-uas-trace.log"}
# Which way the calls go in each side's log: the UAC sends the INVITEs, the UAS receives.
CALLER = {"uac": "out", "uas": "in"}

Flat = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Traces:
    return run_calls(tmp_path_factory.mktemp("sipp"))


def test_the_sipp_run_plays_every_kind_of_call(live: Traces) -> None:
    for side, trace in (("uac", live.uac), ("uas", live.uas)):
        assert_every_kind_of_call(expected_for_file(trace, TIMEOUT), CALLER[side])


@pytest.mark.parametrize("side", ["uac", "uas"])
def test_the_committed_sipp_traces_hold_every_kind_of_call(side: str) -> None:
    assert_every_kind_of_call(expected_for_file(COMMITTED[side], TIMEOUT), CALLER[side])


@pytest.mark.parametrize("side", ["uac", "uas"])
def test_replay_of_a_live_sipp_trace_counts_what_the_reference_counts(
    live: Traces, side: str, tmp_path: Path
) -> None:
    trace = live.uac if side == "uac" else live.uas
    assert_replay_matches_reference(trace, tmp_path)


@pytest.mark.parametrize("side", ["uac", "uas"])
def test_replay_of_a_committed_sipp_trace_counts_what_the_reference_counts(
    side: str, tmp_path: Path
) -> None:
    assert_replay_matches_reference(COMMITTED[side], tmp_path)


def assert_every_kind_of_call(expected: Expected, caller: str) -> None:
    """The traffic calls.csv describes, seen from the side whose INVITEs go `caller`:
    so that matching the reference means something, whatever the run's timings."""
    callee = "in" if caller == "out" else "out"
    assert expected.requests == {
        (caller, "INVITE"): 14,
        (caller, "ACK"): 14,  # 8 for 200, 2 for 486, 2 for 503, 2 for 487
        (caller, "CANCEL"): 2,  # one while ringing, one after the unanswered INVITE
        (caller, "BYE"): 6,
        (callee, "BYE"): 2,
        (caller, "MESSAGE"): 4,
        (caller, "OPTIONS"): 1,
    }
    # The INVITE and the OPTIONS left unanswered: each retransmitted at 0.5 s and 1.5 s,
    # timed out by later calls' messages past 2 s. The slow 100 and the slow MESSAGE
    # answer after a retransmission, and the two late ACKs each let a final repeat.
    assert expected.timeouts == {(caller, "INVITE"): 1, (caller, "OPTIONS"): 1}
    assert expected.retransmissions == {
        (caller, "INVITE", "request"): 3,
        (caller, "OPTIONS", "request"): 2,
        (caller, "MESSAGE", "request"): 1,
        (callee, "INVITE", "response"): 2,
    }
    # The 487 to the unanswered INVITE, cancelled at 3.5 s, comes after its timeout.
    assert expected.unmatched_finals == 1 and expected.open_unanswered == 0
    invites = {
        outcome: histogram.count
        for (direction, method, outcome), histogram in expected.response_duration.items()
        if (direction, method) == (caller, "INVITE")
    }
    assert invites == {"2xx": 8, "4xx": 3, "5xx": 2}
    answered = expected.response_duration[(caller, "INVITE", "2xx")]
    assert buckets_used(answered) >= 4, answered.counts
    assert {k: h.count for k, h in expected.request_delay.items()} == {
        (caller, "1xx"): 9,
        (caller, "4xx"): 2,
        (caller, "5xx"): 2,
    }
    sessions = expected.session_duration[(caller,)]
    assert sessions.count == 8 and buckets_used(sessions) >= 2, sessions.counts


def buckets_used(histogram: Histogram) -> int:
    return sum(1 for count in histogram.counts if count)


def assert_replay_matches_reference(trace: Path, folder: Path) -> None:
    config = folder / "transactions.yml"
    config.write_text(CONFIG, encoding="utf-8")
    result = run_cli("replay", f"--config.file={config}", str(trace))
    assert result.returncode == 0, result.stderr
    samples = parse_samples(result.stdout)
    expected = expected_for_file(trace, TIMEOUT)
    assert_same(exported(samples), reference(expected))
    # Final responses that found no transaction: here, the 487 after a timeout.
    no_request = ("sip_exporter_unmatched_total", _labels(reason="no_request", source=SOURCE))
    assert samples.get(no_request, 0) == expected.unmatched_finals


HISTOGRAMS = {
    "sip_response_duration_seconds": ("direction", "method", "outcome"),
    "sip_session_request_delay_seconds": ("direction", "outcome"),
    "sip_session_duration_seconds": ("direction",),
}
COUNTERS = {
    "sip_transaction_timeouts_total": ("direction", "method"),
    "sip_retransmissions_total": ("direction", "method", "kind"),
    "sip_requests_total": ("direction", "method"),
    "sip_responses_total": ("direction", "method", "code"),
}


def reference(expected: Expected) -> Flat:
    """The reference's numbers as exposition samples (without the source label)."""
    flat: Flat = {}
    histograms: dict[str, Iterable[tuple[tuple[str, ...], Histogram]]] = {
        "sip_response_duration_seconds": expected.response_duration.items(),
        "sip_session_request_delay_seconds": expected.request_delay.items(),
        "sip_session_duration_seconds": expected.session_duration.items(),
    }
    for name, series in histograms.items():
        for values, histogram in series:
            labels = dict(zip(HISTOGRAMS[name], values, strict=True))
            for bound, count in histogram.cumulative().items():
                flat[(f"{name}_bucket", _labels(**labels, le=_le(bound)))] = count
            flat[(f"{name}_sum", _labels(**labels))] = histogram.sum
            flat[(f"{name}_count", _labels(**labels))] = histogram.count
    counters: dict[str, Iterable[tuple[tuple[str, ...], int]]] = {
        "sip_transaction_timeouts_total": expected.timeouts.items(),
        "sip_retransmissions_total": expected.retransmissions.items(),
        "sip_requests_total": expected.requests.items(),
        "sip_responses_total": expected.responses.items(),
    }
    for name, counts in counters.items():
        for values, count in counts:
            flat[(name, _labels(**dict(zip(COUNTERS[name], values, strict=True))))] = count
    return flat


def exported(samples: Samples) -> Flat:
    """The exporter's samples of the same metrics for SOURCE, labelled as the reference
    labels them: responses summed over category, `le` spelled one way, and what only
    exists at zero (series created in advance) left out."""
    counters: Flat = {}
    histograms: Flat = {}
    for (name, pairs), value in samples.items():
        labels = dict(pairs)
        if labels.pop("source", None) != SOURCE:
            continue
        metric = _metric_of(name)
        if metric in COUNTERS:
            key = (name, _labels(**{k: labels[k] for k in COUNTERS[metric]}))
            counters[key] = counters.get(key, 0) + value
        elif metric in HISTOGRAMS:
            if "le" in labels:
                labels["le"] = _le(float(labels["le"]))
            histograms[(name, _labels(**labels))] = value
    # A histogram series is left out whole (buckets, sum, count) when it counted nothing.
    empty = {
        (_metric_of(name), pairs)
        for (name, pairs), value in histograms.items()
        if name.endswith("_count") and value == 0
    }
    flat = {key: value for key, value in counters.items() if value != 0}
    for (name, pairs), value in histograms.items():
        if (_metric_of(name), _without_le(pairs)) not in empty:
            flat[(name, pairs)] = value
    return flat


def assert_same(exported: Flat, reference: Flat) -> None:
    """Equal sample for sample (sums to a microsecond), with every difference listed."""
    problems = [
        f"{name}{dict(pairs)}: exported {exported.get((name, pairs))}, "
        f"reference {reference.get((name, pairs))}"
        for name, pairs in sorted(exported.keys() | reference.keys())
        if (name, pairs) not in exported
        or (name, pairs) not in reference
        or abs(exported[(name, pairs)] - reference[(name, pairs)]) > 1e-6
    ]
    assert not problems, "\n".join(problems)


def _metric_of(sample_name: str) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix) and sample_name.removesuffix(suffix) in HISTOGRAMS:
            return sample_name.removesuffix(suffix)
    return sample_name


def _labels(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))


def _without_le(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(pair for pair in pairs if pair[0] != "le")


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
