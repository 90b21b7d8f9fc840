"""`sip-log-exporter replay`: read logs once and print exactly the expected exposition."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

from tests.support import FIXTURES, REPO, parse_samples, run_cli, value

pytestmark = pytest.mark.system

GOLDEN = REPO / "tests" / "golden"


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("replay", *args)


@pytest.mark.parametrize(
    ("golden", "args"),
    [
        (
            "replay-sip-wvp.prom",
            [f"--config.file={GOLDEN / 'wvp-sip.yml'}", str(FIXTURES / "sip-wvp.log")],
        ),
        (
            "replay-wvp-oneline.prom",
            ["--name", "wvp", "--format", "wvp", str(FIXTURES / "wvp-oneline.log")],
        ),
    ],
)
def test_replay_prints_exactly_the_golden_exposition(
    golden: str, args: list[str], update_golden: bool
) -> None:
    result = replay(*args)
    assert result.returncode == 0, result.stderr
    path = GOLDEN / golden
    if update_golden:
        path.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == path.read_text(encoding="utf-8"), (
        f"regenerate with: python -m pytest {Path(__file__).name} --update-golden"
    )


def test_replay_passes_promtool_check_metrics() -> None:
    result = replay(str(FIXTURES / "sip-wvp.log"))
    lint = subprocess.run(
        ["promtool", "check", "metrics"],
        input=result.stdout,
        text=True,
        capture_output=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_replay_of_several_files_adds_them_up(tmp_path: Path) -> None:
    # Two different logs: the same file twice would repeat its messages, which transaction
    # matching rightly counts as retransmissions.
    first, second = str(FIXTURES / "sip-wvp.log"), str(FIXTURES / "sip-wvp-springboot.log")
    one = parse_samples(replay(first).stdout)
    other = parse_samples(replay(second).stdout)
    both = parse_samples(replay(first, second).stdout)
    for metric in ("sip_responses_total", "sip_requests_total"):
        assert value(both, metric) == value(one, metric) + value(other, metric)
    assert value(one, "sip_responses_total") > 0 and value(other, "sip_responses_total") > 0


def test_replay_with_a_config_takes_the_sources_format(tmp_path: Path) -> None:
    config = tmp_path / "c.yml"
    config.write_text("sources: [{name: acc, paths: [x], format: kv}]\n")
    result = replay(f"--config.file={config}", str(FIXTURES / "kamailio-acc.log"))
    assert result.returncode == 0, result.stderr
    assert value(parse_samples(result.stdout), "sip_responses_total", source="acc") > 0


def test_replay_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = replay(str(tmp_path / "nope.log"))
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_a_user_catalog_file_overrides_and_adds_entries(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(
        "codes:\n"
        '  "503": {user: {zh: 上级平台过载, en: The upstream platform is overloaded}}\n'
        '  "477": {reason: Vendor Busy, category: busy, severity: warning,\n'
        "          user: {zh: 厂商忙, en: Vendor busy},\n"
        "          engineer: {zh: 厂商私有码, en: Vendor code}}\n",
        encoding="utf-8",
    )
    config = tmp_path / "c.yml"
    config.write_text(f"catalog: {{file: {catalog}}}\nsources: [{{name: wvp, paths: [x]}}]\n")
    log = tmp_path / "wvp.log"
    log.write_text(
        "SIP/2.0 503 Service Unavailable\nCSeq: 1 INVITE\n\n"
        "SIP/2.0 477 Vendor Busy\nCSeq: 2 INVITE\n\n",
        encoding="utf-8",
    )
    result = replay(f"--config.file={config}", str(log))
    assert result.returncode == 0, result.stderr
    samples = parse_samples(result.stdout)
    assert (
        value(
            samples,
            "sip_response_code_info",
            code="503",
            user_en="The upstream platform is overloaded",
            category="overload",
        )
        == 1
    )
    assert value(samples, "sip_responses_total", code="477", category="busy") == 1


def test_a_json_source_with_call_id_and_cseq_fields_is_matched_too(tmp_path: Path) -> None:
    records = [
        ("11:35:49.501", '"dir":"out","method":"INVITE","callId":"c1","cseq":"7 INVITE"'),
        ("11:35:49.901", '"dir":"in","status":"180","callId":"c1","cseq":"7 INVITE"'),
        ("11:35:50.751", '"dir":"in","status":"200","callId":"c1","cseq":"7 INVITE"'),
        ("11:35:51.000", '"dir":"out","method":"MESSAGE","callId":"m1","cseq":"8 MESSAGE"'),
        ("11:36:40.000", '"dir":"out","method":"OPTIONS","callId":"o1","cseq":"9 OPTIONS"'),
    ]
    log = tmp_path / "gateway.jsonl"
    log.write_text(
        "".join(f'{{"ts":"2024-01-08T{at}+08:00",{fields}}}\n' for at, fields in records)
    )
    config = tmp_path / "c.yml"
    config.write_text(
        "sources: [{name: gw, paths: [x], format: json, transactions: true,"
        " fields: {code: status, direction: dir, call_id: callId}}]\n"
    )
    result = replay(f"--config.file={config}", str(log))
    assert result.returncode == 0, result.stderr
    samples = parse_samples(result.stdout)
    duration = "sip_response_duration_seconds"
    assert value(samples, f"{duration}_count", method="INVITE", outcome="2xx") == 1
    assert value(samples, f"{duration}_sum", method="INVITE") == 1.25
    assert value(samples, "sip_session_request_delay_seconds_sum", outcome="1xx") == 0.4
    # The MESSAGE is never answered, and the OPTIONS 49 s later is past its deadline.
    assert value(samples, "sip_transaction_timeouts_total", method="MESSAGE") == 1
    assert value(samples, "sip_exporter_unmatched_total") == 0


def test_replay_of_a_gzip_log_counts_exactly_what_the_plain_log_counts(tmp_path: Path) -> None:
    plain = FIXTURES / "sip-wvp.log"
    compressed = tmp_path / "sip-wvp.log.1"  # no .gz in the name: known by its bytes
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    from_plain, from_gzip = replay(str(plain)), replay(str(compressed))
    assert from_gzip.returncode == 0, from_gzip.stderr
    assert value(parse_samples(from_plain.stdout), "sip_responses_total") > 0
    assert from_gzip.stdout == from_plain.stdout


def test_replay_of_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = replay(str(tmp_path))
    assert result.returncode == 2
    assert str(tmp_path) in result.stderr and "Traceback" not in result.stderr


def test_replay_of_a_damaged_gzip_log_is_a_clear_error(tmp_path: Path) -> None:
    damaged = tmp_path / "old.log.gz"
    damaged.write_bytes(gzip.compress((FIXTURES / "sip-wvp.log").read_bytes())[:-20])
    result = replay(str(damaged))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_gives_no_record_is_named_on_standard_error_with_detect(
    tmp_path: Path,
) -> None:
    result = replay("--format", "kv", str(FIXTURES / "sip-wvp.log"))
    assert result.returncode == 0
    assert "sip-wvp.log: no record read as format kv" in result.stderr
    assert "sip-log-exporter detect" in result.stderr


def test_a_file_that_gives_records_is_not_warned_about() -> None:
    result = replay(str(FIXTURES / "sip-wvp.log"))
    assert result.returncode == 0 and result.stderr == ""


def test_a_code_outside_100_to_699_is_other_and_counted_as_suspicious(tmp_path: Path) -> None:
    log = tmp_path / "acc.log"
    log.write_text(
        "ACC: transaction answered: method=INVITE;code=486;reason=Busy Here\n"
        "ACC: transaction answered: method=INVITE;code=999;reason=Busy Here\n"
        "ACC: transaction answered: method=INVITE;code=8080;reason=port, not a code\n"
    )
    samples = parse_samples(replay("--format", "kv", "--name", "acc", str(log)).stdout)
    assert value(samples, "sip_responses_total", source="acc", code="other") == 2
    assert value(samples, "sip_exporter_suspicious_records_total", source="acc") == 2
    assert value(samples, "sip_responses_total", source="acc", code="486") == 1
