"""Custom regular expressions: checking a pattern, and what a matched line counts as."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.common import check_pattern
from exporter.formats.options import RegexOptions
from exporter.formats.regex import RegexParser

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import (  # noqa: E402
    EXPECTED,
    check_chunks_give_one_shot,
    check_ground_truth,
    check_last_line_waits,
    check_offsets_start_record_lines,
    check_whole_lines_consumed,
)

FIXTURE = "opensips.log"
OPENSIPS = RegexParser(RegexOptions(pattern=EXPECTED[FIXTURE]["options"]["pattern"]))


def parse(pattern: str, text: str, encoding: str = "utf-8") -> tuple[list[Event], int, int]:
    parser = RegexParser(RegexOptions(pattern=pattern, encoding=encoding))
    parsed = parser.parse(text.encode(encoding), final=True)
    return parsed.events, parsed.malformed, parsed.ignored


def test_the_fixture_gives_exactly_its_ground_truth() -> None:
    check_ground_truth(OPENSIPS, FIXTURE)


def test_each_event_of_the_fixture_has_the_offset_of_its_line() -> None:
    check_offsets_start_record_lines(OPENSIPS, FIXTURE)


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_feeding_the_fixture_in_chunks_gives_the_one_shot_result(size: int) -> None:
    check_chunks_give_one_shot(OPENSIPS, FIXTURE, size)


def test_a_usable_pattern_has_no_problem() -> None:
    assert check_pattern(r"rs=(?P<code>\d+)") is None
    assert check_pattern(r"(?P<method>[A-Z]+) sip:\S+ SIP/2\.0") is None
    assert check_pattern(r"(?:接收|发送)\s*(?P<code>\d{3})") is None


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("rs=(?P<code>\\d+", "invalid regular expression"),
        ("rs=(\\d+)", "named group `code` or `method`"),
        ("(?P<status>\\d+)", "named group `code` or `method`"),
        ("[接发](?P<code>\\d+)", "character class"),
        ("\\u63a5(?P<code>\\d+)", "bytes"),
        ("(?u)(?P<code>\\d+)", "bytes"),
    ],
)
def test_a_pattern_problem_is_described(pattern: str, problem: str) -> None:
    described = check_pattern(pattern)

    assert described is not None and problem in described


def test_the_constructor_rejects_what_the_check_reports() -> None:
    with pytest.raises(ValueError, match="named group"):
        RegexParser(RegexOptions(pattern="rs=(\\d+)"))


def test_named_groups_fill_the_event() -> None:
    events, _, _ = parse(
        r"(?P<direction>rcv|snd) (?P<method>\w+) (?P<code>\d+) (?P<reason>[^|]*)\|"
        r"(?P<call_id>\S+) (?P<from>\S+) (?P<to>\S+) (?P<ts>\d+)",
        "snd invite 486 Busy Here|a84b4c76e66710 <sip:1001@pbx>;tag=1 sip:1002@pbx 1714618801\n",
    )

    assert events == [
        Event(
            Kind.RESPONSE,
            Direction.OUT,
            method="INVITE",
            code="486",
            reason="Busy Here",
            call_id="a84b4c76e66710",
            from_user="1001",
            to_user="1002",
        )
    ]


def test_cseq_and_branch_groups_name_the_transaction() -> None:
    events, _, _ = parse(
        r"rs=(?P<code>\d+) cseq=(?P<cseq>\d+ \w+) branch=(?P<branch>\S+)",
        "rs=408 cseq=12 MESSAGE branch=z9hG4bK-12\n",
    )

    assert [(e.code, e.method, e.cseq, e.branch) for e in events] == [
        ("408", "MESSAGE", "12", "z9hG4bK-12")
    ]


def test_a_line_with_a_method_and_no_code_is_a_request() -> None:
    events, _, _ = parse(
        r"(?P<method>[A-Z]+) sip:\S+ SIP/2\.0(?: (?P<code>\d+))?", "BYE sip:1@h SIP/2.0\n"
    )

    assert [(e.kind, e.method, e.code) for e in events] == [(Kind.REQUEST, "BYE", "")]


def test_a_line_counts_once_however_often_the_pattern_matches_it() -> None:
    events, _, _ = parse(r"rs=(?P<code>\d+)", "rs=408 rs=486\nrs=503\n")

    assert [e.code for e in events] == ["408", "503"]


def test_a_match_never_spans_lines() -> None:
    events, _, _ = parse(r"T_FAILED\s+rs=(?P<code>\d+)", "T_FAILED\nrs=408\nT_FAILED rs=486\n")

    assert [e.code for e in events] == ["486"]


def test_a_caret_anchors_at_every_line_start() -> None:
    events, _, _ = parse(r"^rs=(?P<code>\d+)", "x rs=400\nrs=401\nrs=402")

    assert [e.code for e in events] == ["401", "402"]


def test_a_code_group_that_is_not_an_integer_is_malformed() -> None:
    assert parse(r"rs=(?P<code>\S+)", "rs=<null>\n") == ([], 1, 0)


def test_a_match_that_captured_neither_code_nor_method_is_ignored() -> None:
    assert parse(r"rs=(?P<code>\d*)", "rs=\n") == ([], 0, 1)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030"])
def test_chinese_literals_are_searched_in_the_source_encoding(encoding: str) -> None:
    events, _, _ = parse(
        r"(?P<direction>接收|发送)：状态码(?P<code>\d+)", "发送：状态码503\n", encoding
    )

    assert [(e.direction, e.code) for e in events] == [(Direction.OUT, "503")]


def test_a_crlf_log_needs_an_optional_cr_before_the_end_of_line() -> None:
    events, _, _ = parse(r"rs=(?P<code>\d+)\r?$", "rs=408\r\nrs=486\n")

    assert [e.code for e in events] == ["408", "486"]


def test_an_unterminated_last_line_is_left_for_the_next_call() -> None:
    line = b"May  2 11:32:30 [27073] DEBUG-T_FAILED1 rs=408"

    check_last_line_waits(OPENSIPS, b"noise\n", line)


@given(st.binary())
def test_any_bytes_parse_without_raising_and_consume_whole_lines(data: bytes) -> None:
    check_whole_lines_consumed(OPENSIPS, data)


SPANNING = RegexParser(RegexOptions(pattern=r"(?P<method>[A-Z]*)\s*rs=(?P<code>\S*)"))


@given(
    st.lists(st.sampled_from(["rs=", "408", "INVITE", " ", "\n", "\r", "x"]) | st.text(max_size=3))
)
def test_each_line_yields_at_most_one_record_with_an_integer_code(fragments: list[str]) -> None:
    data = "".join(fragments).encode("utf-8", "replace")

    parsed = SPANNING.parse(data, final=True)

    assert len(parsed.events) + parsed.malformed + parsed.ignored <= data.count(b"\n") + 1
    for event in parsed.events:
        assert event.code == "" or event.code.lstrip("-").isdigit()


def naive(pattern: bytes, data: bytes) -> list[tuple[str, str]]:
    """What `re.search` on each line alone gives: (method, code) of each record line."""
    found = []
    for line in data.split(b"\n"):
        match = re.search(pattern, line)
        if match is None:
            continue
        method, code = match["method"].decode().upper(), match["code"].decode()
        if (code and code.isdigit()) or (method and not code):
            found.append((method, code))
    return found


@given(st.lists(st.sampled_from(["rs=", "408", "INVITE", " ", "\n", "\t", "x"]), max_size=30))
def test_records_are_what_a_search_of_each_line_alone_finds(fragments: list[str]) -> None:
    data = "".join(fragments).encode()

    parsed = SPANNING.parse(data, final=True)

    assert [(e.method, e.code) for e in parsed.events] == naive(
        rb"(?P<method>[A-Z]*)\s*rs=(?P<code>\S*)", data
    )
