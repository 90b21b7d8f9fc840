"""The config file: defaults, validation, and what a user sees when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.catalog import Catalog, CatalogError
from exporter.config import parse_config
from exporter.data import builtin_catalog_text
from exporter.formats.options import FieldNames, JsonOptions, KeyValueOptions, SipOptions
from exporter.serve.webconfig import parse_web_config
from exporter.validation import ConfigError
from tests.support import REPO, run_cli


def test_the_annotated_example_is_valid() -> None:
    config = parse_config((REPO / "config" / "example.yml").read_text(), "example.yml")
    assert [s.name for s in config.sources] == ["wvp", "kamailio-acc", "gateway-json", "opensips"]
    assert config.sources[0].format == SipOptions("utf-8", require_wrapper=True)
    assert config.checkpoint_interval == 5.0


def test_a_minimal_config_takes_the_documented_defaults() -> None:
    config = parse_config("sources: [{name: a, paths: ['/var/log/*.log']}]", "c.yml")
    (source,) = config.sources
    assert source.format == SipOptions()
    assert (source.start_at, source.poll_only, source.profile) == ("end", False, None)
    assert (config.poll_interval, config.rotate_wait, config.max_line_bytes) == (1.0, 5.0, 65536)
    assert config.precreate.codes == ("408", "503")


def test_durations_take_units() -> None:
    config = parse_config(
        "poll_interval: 250ms\nrotate_wait: 2m\nsources: [{name: a, paths: [x]}]", "c.yml"
    )
    assert (config.poll_interval, config.rotate_wait) == (0.25, 120.0)


def test_json_field_names_are_read() -> None:
    config = parse_config(
        "sources: [{name: j, paths: [x], format: json, fields: {code: status, from: caller}}]",
        "c.yml",
    )
    assert config.sources[0].format == JsonOptions(
        "utf-8", JsonOptions().fields.__class__(code="status", from_user="caller")
    )


def test_cseq_and_branch_field_names_are_read() -> None:
    config = parse_config(
        "sources: [{name: k, paths: [x], format: kv, fields: {cseq: cs, branch: via_branch}}]",
        "c.yml",
    )
    assert config.sources[0].format == KeyValueOptions(
        fields=FieldNames(cseq="cs", branch="via_branch")
    )


def test_transaction_matching_is_on_for_sip_sources_and_off_for_the_others() -> None:
    config = parse_config(
        "transactions: {timeout: 4s, max_transactions: 10, exemplars: hash}\n"
        "top_peers: {count: 5, window: 5m}\n"
        "sources: [{name: s, paths: [x]}, {name: w, paths: [y], format: wvp},"
        " {name: k, paths: [z], format: kv, transactions: true}]",
        "c.yml",
    )
    assert [s.transactions for s in config.sources] == [True, False, True]
    settings = config.transactions.settings
    assert (settings.timeout, settings.max_transactions, settings.max_sessions) == (4.0, 10, 50000)
    assert config.transactions.exemplars == "hash"
    assert (config.top_peers.count, config.top_peers.window) == (5, 300.0)


def test_bad_transaction_settings_are_named_with_the_fix() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(
            "transactions: {timeout: soon, max_transactions: 0, exemplars: trace, max_open: 5}\n"
            "top_peers: {count: 1000}\n"
            "sources: [{name: s, paths: [x], transactions: maybe}]",
            "c.yml",
        )
    problems = dict(raised.value.problems)
    assert set(problems) == {
        "transactions.timeout",
        "transactions.max_transactions",
        "transactions.exemplars",
        "transactions.max_open",
        "top_peers.count",
        "sources[0].transactions",
    }
    assert "like 500ms, 5s or 2m" in problems["transactions.timeout"]
    assert "call_id, hash, off" in problems["transactions.exemplars"]
    assert "limit of 100" in problems["top_peers.count"]


BAD = """\
poll_interval: fast
sources:
  - name: wvp
    paths: []
    format: sipp
    encoding: klingon
    start_at: middle
    requre_wrapper: true
  - name: wvp
    paths: ["/x"]
    format: regex
    pattern: "(?P<code>"
"""


def test_every_problem_of_a_bad_config_is_listed_with_its_key() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(BAD, "bad.yml")
    keys = [key for key, _ in raised.value.problems]
    assert sorted(keys) == sorted(
        [
            "poll_interval",
            "sources[0].format",
            "sources[0].requre_wrapper",
            "sources[0].paths",
            "sources[0].encoding",
            "sources[0].start_at",
            "sources[1].pattern",
            "sources[1].name",
        ]
    )


@pytest.mark.system
def test_a_bad_config_exits_2_with_a_clear_message_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD)
    result = run_cli(f"--config.file={bad}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        f"{bad}: sources[0].format: 'sipp' is not one of: json, kv, regex, sip, wvp"
        in result.stderr
    )
    assert (
        "sources[0].requre_wrapper: unknown key; did you mean 'require_wrapper'?" in result.stderr
    )
    assert "poll_interval: 'fast' is not a duration; write it with a unit" in result.stderr
    assert "'wvp' is used by another source" in result.stderr


@pytest.mark.system
def test_check_config_reports_the_same_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD)
    result = run_cli("check-config", str(bad))
    assert result.returncode == 2
    assert "sources[0].encoding: 'klingon' is not an encoding" in result.stderr
    good = run_cli("check-config", str(REPO / "config" / "example.yml"))
    assert good.returncode == 0, good.stderr
    assert "OK, 4 source(s)" in good.stdout


@pytest.mark.system
def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text("sources:\n  - name: a\n   paths: [x]\n")
    result = run_cli("check-config", str(bad))
    assert result.returncode == 2
    assert f"{bad}: line 3" in result.stderr and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.system
def test_an_unknown_profile_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "profile.yml"
    bad.write_text("sources: [{name: a, paths: [x], profile: sip-world}]\n")
    result = run_cli("check-config", str(bad))
    assert result.returncode == 2
    assert "sources[0].profile: 'sip-world' is not a catalog profile" in result.stderr


@pytest.mark.system
def test_a_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(f"--config.file={tmp_path / 'nope.yml'}")
    assert result.returncode == 2
    assert "cannot read config file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.system
def test_running_without_a_config_says_what_to_do() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "--config.file" in result.stderr and "demo" in result.stderr


def test_a_duration_without_a_unit_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config("poll_interval: 2\nsources: [{name: a, paths: [x]}]", "c.yml")
    assert raised.value.lines == (
        "c.yml: poll_interval: 2 has no unit; write it with one, like 2s or 500ms",
    )


@pytest.mark.parametrize("value", ["0s", "721h", ".inf", "-.inf", ".nan", "-5s", "5 s", "true"])
def test_a_duration_that_is_not_a_positive_finite_time_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(f"rotate_wait: {value}\nsources: [{{name: a, paths: [x]}}]", "c.yml")
    assert [key for key, _ in raised.value.problems] == ["rotate_wait"]


def test_an_unknown_key_reads_the_same_in_every_settings_file() -> None:
    with pytest.raises(ConfigError) as config:
        parse_config("poll_intervall: 1s\nsources: [{name: a, paths: [x]}]", "c.yml")
    with pytest.raises(ConfigError) as web:
        parse_web_config("basic_auth_user: {}", "web.yml")
    with pytest.raises(CatalogError) as catalog:
        Catalog.from_yaml(builtin_catalog_text(), ("cat.yml", "code: {}"))
    found = [*config.value.lines, *web.value.lines, *catalog.value.problems]
    assert [line.split(" (allowed: ")[0] for line in found] == [
        "c.yml: poll_intervall: unknown key; did you mean 'poll_interval'?",
        "web.yml: basic_auth_user: unknown key; did you mean 'basic_auth_users'?",
        "cat.yml: code: unknown key; did you mean 'codes'?",
    ]


def test_a_source_encoding_must_be_a_text_encoding_that_keeps_ascii() -> None:
    for encoding in ("rot13", "base64", "utf-16", "idna"):
        with pytest.raises(ConfigError) as raised:
            parse_config(f"sources: [{{name: a, paths: [x], encoding: {encoding}}}]", "c.yml")
        assert [key for key, _ in raised.value.problems] == ["sources[0].encoding"]
    for encoding in ("gbk", "gb18030", "utf-8"):
        config = parse_config(f"sources: [{{name: a, paths: [x], encoding: {encoding}}}]", "c")
        assert config.sources[0].format == SipOptions(encoding)


def test_settings_that_pass_the_checks_but_break_the_parser_are_refused() -> None:
    # wvp's anchor words (接收, 发送) have no form in latin-1.
    with pytest.raises(ConfigError) as raised:
        parse_config("sources: [{name: a, paths: [x], format: wvp, encoding: latin-1}]", "c.yml")
    assert [key for key, _ in raised.value.problems] == ["sources[0].format"]


def test_a_blank_is_a_key_value_separator() -> None:
    config = parse_config("sources: [{name: k, paths: [x], format: kv, pair_separator: ' '}]", "c")
    assert config.sources[0].format == KeyValueOptions(pair_separator=" ")
