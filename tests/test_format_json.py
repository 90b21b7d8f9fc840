"""JSON lines: which lines are records, how fields are found, and what is malformed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.jsonl import JsonParser
from exporter.formats.options import FieldNames, JsonOptions

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import (  # noqa: E402
    EXPECTED,
    check_chunks_give_one_shot,
    check_crlf_gives_lf,
    check_ground_truth,
    check_last_line_waits,
    check_offsets_start_record_lines,
    check_reason_decoded,
    check_whole_lines_consumed,
)

FIXTURE = "gateway.jsonl"
GATEWAY = JsonParser(JsonOptions(fields=FieldNames(**EXPECTED[FIXTURE]["options"]["fields"])))
FLAT = JsonParser(JsonOptions())


def parse_line(line: str, parser: JsonParser = FLAT) -> tuple[list[Event], int]:
    parsed = parser.parse((line + "\n").encode(), final=False)
    return parsed.events, parsed.malformed


def test_the_fixture_gives_exactly_its_ground_truth() -> None:
    check_ground_truth(GATEWAY, FIXTURE)


def test_each_event_of_the_fixture_has_the_offset_of_its_line() -> None:
    check_offsets_start_record_lines(GATEWAY, FIXTURE)


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_feeding_the_fixture_in_chunks_gives_the_one_shot_result(size: int) -> None:
    check_chunks_give_one_shot(GATEWAY, FIXTURE, size)


def test_dotted_field_names_reach_into_nested_objects() -> None:
    events, _ = parse_line(
        '{"dir":"send","sip":{"method":"register","status":401,"reason":"Unauthorized",'
        '"call_id":"1195034725","from":"<sip:3402@3402000000>;tag=1","to":"<sip:3402@3402000000>"}}',
        GATEWAY,
    )

    assert events == [
        Event(
            Kind.RESPONSE,
            Direction.OUT,
            method="REGISTER",
            code="401",
            reason="Unauthorized",
            call_id="1195034725",
            from_user="3402",
            to_user="3402",
        )
    ]


def test_cseq_and_branch_fields_name_the_transaction() -> None:
    [event] = parse_line(
        '{"code":486,"method":"INVITE","cseq":"4711 INVITE","branch":"z9hG4bK-c1"}'
    )[0]

    assert (event.method, event.cseq, event.branch) == ("INVITE", "4711", "z9hG4bK-c1")


@pytest.mark.parametrize(
    ("value", "cseq", "method"),
    [('"7 invite"', "7", "INVITE"), ('"7"', "7", ""), ("7", "7", ""), ('"seven"', "", "")],
)
def test_a_cseq_is_a_json_number_or_a_string_and_its_method_fills_a_missing_one(
    value: str, cseq: str, method: str
) -> None:
    [event] = parse_line(f'{{"code":200,"cseq":{value}}}')[0]

    assert (event.cseq, event.method) == (cseq, method)


@pytest.mark.parametrize("value", ["true", "-1", "1.5", "[1]", "null"])
def test_a_cseq_that_is_no_number_is_left_empty(value: str) -> None:
    [event] = parse_line(f'{{"code":200,"method":"BYE","cseq":{value}}}')[0]

    assert (event.cseq, event.method) == ("", "BYE")


def test_cseq_and_branch_fields_can_be_nested() -> None:
    parser = JsonParser(
        JsonOptions(fields=FieldNames(code="sip.status", cseq="sip.cseq", branch="sip.via.branch"))
    )

    [event] = parse_line(
        '{"sip":{"status":408,"cseq":"3 MESSAGE","via":{"branch":"z9hG4bK-3"}}}', parser
    )[0]

    assert (event.method, event.cseq, event.branch) == ("MESSAGE", "3", "z9hG4bK-3")


def test_a_key_that_contains_the_dot_itself_wins() -> None:
    parser = JsonParser(JsonOptions(fields=FieldNames(code="sip.status")))

    [event] = parse_line('{"sip.status":503,"sip":{"status":200}}', parser)[0]

    assert event.code == "503"


@pytest.mark.parametrize(
    ("value", "code"), [("503", "503"), ('"503"', "503"), ('" -1024 "', "-1024"), ("408.0", "408")]
)
def test_a_code_is_a_json_integer_or_a_string_holding_one(value: str, code: str) -> None:
    [event] = parse_line(f'{{"code":{value},"method":"INVITE"}}')[0]

    assert (event.kind, event.code) == (Kind.RESPONSE, code)


@pytest.mark.parametrize("value", ['"timeout"', "true", "4.5", "[486]", '{"n":486}', '""', "NaN"])
def test_a_code_that_is_not_an_integer_is_malformed(value: str) -> None:
    assert parse_line(f'{{"code":{value},"method":"INVITE"}}') == ([], 1)


def test_an_object_with_a_method_and_no_code_is_a_request() -> None:
    [event] = parse_line('{"method":"bye","direction":"incoming","call_id":"x"}')[0]

    assert (event.kind, event.direction, event.method, event.code) == (
        Kind.REQUEST,
        Direction.IN,
        "BYE",
        "",
    )


@pytest.mark.parametrize(
    "line",
    [
        '{"level":"info","msg":"media server connected"}',
        '{"code":null,"method":""}',
        "2024/05/02 11:20:00 gb-gateway starting",
        "panic: runtime error: {not json}",
        '\t"code": 486',
        "",
    ],
)
def test_lines_that_are_no_sip_object_are_not_records(line: str) -> None:
    assert parse_line(line) == ([], 0)


@pytest.mark.parametrize(
    "line",
    [
        '{"level":"info","sip":{"method":"MESS',
        '{"msg":"device name "大门" has no channel","code":200}',
        "{" * 100_000,
        '{"code":' + "9" * 5000 + "}",
    ],
)
def test_an_object_line_that_is_not_valid_json_is_malformed(line: str) -> None:
    assert parse_line(line) == ([], 1)


def test_an_object_may_follow_leading_whitespace() -> None:
    [event] = parse_line('   {"code":200,"method":"MESSAGE"}')[0]

    assert event.code == "200"


def test_crlf_lines_give_the_same_events_as_lf_lines() -> None:
    check_crlf_gives_lf(GATEWAY, FIXTURE)


def test_an_unterminated_last_line_is_left_for_the_next_call() -> None:
    line = b'{"code":486,"method":"INVITE"}'

    check_last_line_waits(FLAT, b"{}\n", line)


def test_a_gbk_source_is_decoded_before_it_is_read() -> None:
    parser = JsonParser(JsonOptions(encoding="gbk"))

    check_reason_decoded(
        parser, '{"code":486,"method":"INVITE","reason":"设备忙"}\n', "gbk", "设备忙"
    )


@given(st.binary())
def test_any_bytes_parse_without_raising_and_consume_whole_lines(data: bytes) -> None:
    check_whole_lines_consumed(FLAT, data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "code": JSON_VALUES,
        "method": JSON_VALUES,
        "direction": JSON_VALUES,
        "from": JSON_VALUES,
    },
)


@pytest.mark.system  # slow
@given(st.lists(RECORDS, max_size=5))
def test_any_json_objects_never_raise_and_codes_are_always_integers(
    records: list[dict[str, Any]],
) -> None:
    data = "".join(json.dumps(record) + "\n" for record in records).encode()

    parsed = FLAT.parse(data, final=True)

    assert len(parsed.events) + parsed.malformed <= len(records)
    for event in parsed.events:
        assert event.code == "" or event.code.lstrip("-").isdigit()
