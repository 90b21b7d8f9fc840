"""`sip-log-exporter detect` and `recipes`: the right reading of every real log shape is
ranked first, what it writes is a config the exporter takes, and nothing fits says so."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest
import yaml

from exporter.config import parse_config
from exporter.detect.command import builtin_recipes
from exporter.detect.fit import detect, source_for
from exporter.formats import make_parser
from exporter.recipes import Recipe
from tests.support import FIXTURES, parse_samples, run_cli, value

pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import EXPECTED, fixture_bytes, tally  # noqa: E402

# The reading a person should be told to use for each fixture: a recipe where one is for
# the program that wrote it, else the format with the settings the log needs.
BEST = {
    "asterisk-messages.log": "recipe asterisk-messages",
    "freeswitch-nta.log": "recipe freeswitch-nta",
    "gateway.jsonl": "format json, fields from the log",
    "kamailio-acc.log": "recipe kamailio-acc",
    "kamailio-acc-variants.log": "recipe kamailio-acc",
    "kamailio-xlog.log": "recipe kamailio-xlog",
    "opensips-acc.log": "recipe opensips-acc",
    "opensips.log": "format kv, fields from the log",
    "sip-asterisk-chansip.log": "recipe asterisk-chan-sip",
    "sip-asterisk.log": "recipe asterisk-pjsip",
    "sip-drachtio.log": "recipe drachtio",
    "sip-freeswitch-1.10.log": "recipe freeswitch-siptrace",
    "sip-freeswitch.log": "recipe freeswitch-siptrace",
    "sip-gbk.log": "recipe wvp-sip-log",
    "sip-gosip.log": "recipe gosip",
    "sip-kamailio-sipdump.log": "recipe kamailio-sipdump",
    "sip-linphone-android.log": "recipe linphone",
    "sip-monibuca.jsonl": "recipe monibuca-gb28181",
    "sip-pjsua.log": "recipe pjsua",
    "sip-pm2-prefixed.log": "recipe wvp-sip-log",
    "sip-rsyslog.log": "recipe kamailio-rsyslog",
    "sip-sipp.log": "recipe sipp-trace-msg",
    "sip-wvp-2023q1.log": "recipe wvp-sip-log-2023q1",
    "sip-wvp-2024.log": "recipe wvp-sip-log",
    "sip-wvp-springboot.log": "recipe wvp-debug-2021",
    "sip-wvp.log": "recipe wvp-sip-log",
    "sipp-shortmsg.log": "recipe sipp-shortmsg",
    "sipp-uac-trace.log": "recipe sipp-trace-msg",
    "sipp-uas-trace.log": "recipe sipp-trace-msg",
    "wvp-oneline.log": "recipe wvp",
    "wvp-oneline-2025.log": "recipe wvp",
    "wvp-oneline-history.log": "recipe wvp",
}
RECIPES = builtin_recipes()
LOGS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in {".log", ".jsonl"})


def test_every_fixture_has_the_reading_it_should_get() -> None:
    assert sorted(BEST) == LOGS


@pytest.mark.parametrize("name", LOGS)
def test_detect_ranks_the_right_reading_first_for_every_fixture(name: str) -> None:
    report = detect(str(FIXTURES / name), RECIPES, 2024)
    assert report.best is not None
    assert report.best.candidate.name == BEST[name], [f.candidate.name for f in report.fits]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if BEST[n].endswith("from the log")))
def test_field_names_found_in_the_log_count_exactly_the_ground_truth(name: str) -> None:
    report = detect(str(FIXTURES / name), RECIPES, 2024)
    assert report.best is not None
    block = dict(report.best.candidate.block, paths=["x"])
    source = parse_config(yaml.safe_dump({"sources": [block]}), name).sources[0]
    parsed = make_parser(source.format).parse(fixture_bytes(name), final=True)
    requests, responses = tally(parsed.events)
    truth = EXPECTED[name]
    assert (requests, responses) == (truth["requests"] or {}, truth["responses"])


def test_every_recipe_is_ranked_first_on_some_fixture() -> None:
    assert {r.name for r in RECIPES} == {b.removeprefix("recipe ") for b in BEST.values()
                                         if b.startswith("recipe ")}  # fmt: skip


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_every_recipes_source_block_is_a_valid_config(recipe: Recipe) -> None:
    parse_config(yaml.safe_dump({"sources": [dict(recipe.source)]}), recipe.name)


def test_detect_prints_the_ranking_and_a_source_block_and_exits_0() -> None:
    result = run_cli("detect", str(FIXTURES / "sip-wvp.log"))
    assert result.returncode == 0, result.stderr
    assert "recipe wvp-sip-log" in result.stdout.splitlines()[2]
    assert "require_wrapper: true" in result.stdout
    # The business lines no message format reads are shown.
    assert "接收到失败的response响应" in result.stdout


def test_a_written_config_is_taken_by_replay_as_it_is(tmp_path: Path) -> None:
    config = tmp_path / "detected.yml"
    logs = [str(FIXTURES / "gateway.jsonl"), str(FIXTURES / "sip-sipp.log")]
    result = run_cli("detect", *logs, "--write-config", str(config))
    assert result.returncode == 0, result.stderr
    assert run_cli("check-config", str(config)).returncode == 0
    replayed = run_cli("replay", f"--config.file={config}", "--source", "json", logs[0])
    assert replayed.returncode == 0, replayed.stderr
    responses = value(parse_samples(replayed.stdout), "sip_responses_total", source="json")
    assert responses == sum(EXPECTED["gateway.jsonl"]["responses"].values())


def test_detect_reads_a_gzip_log(tmp_path: Path) -> None:
    compressed = tmp_path / "sip-wvp.log.1.gz"
    compressed.write_bytes(gzip.compress(fixture_bytes("sip-wvp.log")))
    report = detect(str(compressed), RECIPES, 2024)
    assert report.best is not None and report.best.candidate.name == "recipe wvp-sip-log"


def test_detect_guesses_a_gbk_log_and_reads_it_in_gbk() -> None:
    assert detect(str(FIXTURES / "sip-gbk.log"), RECIPES, 2024).encoding == "gbk"


def test_detect_reads_a_sample_of_a_large_file_head_and_tail(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    head, tail = fixture_bytes("wvp-oneline.log"), fixture_bytes("sip-sipp.log")
    filler = b"2024-05-02 10:00:00.000 INFO nothing to see here\n" * 400_000  # ~20 MB
    big.write_bytes(head + filler + tail)
    report = detect(str(big), RECIPES, 2024)
    names = Counter(f.candidate.name for f in report.fits)
    # Both ends were read, and nothing of the middle: the sip messages of the tail and the
    # wvp lines of the head are each found once.
    assert names["recipe wvp"] == 1 and names["recipe sipp-trace-msg"] == 1


def test_a_log_that_nothing_reads_exits_1_and_shows_its_status_lines(tmp_path: Path) -> None:
    log = tmp_path / "custom.log"
    log.write_text("2024-05-02 10:00:00 call 17 ended with reply 503 from gw1\n" * 3)
    result = run_cli("detect", str(log))
    assert result.returncode == 1
    assert "no format or recipe reads a record" in result.stdout
    assert "ended with reply 503" in result.stdout and "regex" in result.stdout


def test_detect_on_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("detect", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "a folder" in result.stderr


def test_recipes_lists_every_recipe_and_shows_one_whole() -> None:
    listing = run_cli("recipes")
    assert listing.returncode == 0
    assert all(r.name in listing.stdout for r in RECIPES)
    shown = run_cli("recipes", "wvp-sip-log")
    assert shown.returncode == 0 and "sip-log" in shown.stdout and "error-*.log" in shown.stdout


def test_an_unknown_recipe_name_lists_the_recipes_there_are() -> None:
    result = run_cli("recipes", "wvp-2030")
    assert result.returncode == 2 and "wvp-sip-log" in result.stderr


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_reading_detect_picks_counts_every_fixture_exactly(name: str) -> None:
    """Code, method and direction of every record, as the ground truth has them, with the
    source block detect prints: a recipe's settings count its program's logs exactly."""
    report = detect(str(FIXTURES / name), RECIPES, 2024)
    assert report.best is not None
    source = source_for(report.best.candidate, report.encoding, ["x"])
    parsed = make_parser(source.format).parse(fixture_bytes(name), final=True)
    requests, responses = tally(parsed.events)
    truth = EXPECTED[name]
    assert dict(requests) == (truth.get("requests") or {})
    assert dict(responses) == (truth.get("responses") or {})
