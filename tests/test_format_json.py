"""JSON lines: which lines are records, how fields are found, and what is malformed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.base import Parser
from exporter.formats.jsonl import JsonParser
from exporter.formats.options import FieldNames, JsonOptions

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURES / "expected.yaml").read_text("utf-8"))
FIXTURE = "gateway.jsonl"
GATEWAY = JsonParser(JsonOptions(fields=FieldNames(**EXPECTED[FIXTURE]["options"]["fields"])))
FLAT = JsonParser(JsonOptions())


def tally(events: Iterable[Event]) -> tuple[dict[str, int], dict[str, int]]:
    """Events counted under expected.yaml's keys: "direction method[ code]"."""
    requests: Counter[str] = Counter()
    responses: Counter[str] = Counter()
    for event in events:
        label = f"{event.direction.value} {event.method or 'unknown'}"
        if event.kind is Kind.REQUEST:
            requests[label] += 1
        else:
            responses[f"{label} {event.code}"] += 1
    return dict(requests), dict(responses)


def parse_in_chunks(parser: Parser, data: bytes, size: int) -> tuple[list[Event], int]:
    """Feed `data` in chunks of `size` bytes the way a reader does, then finish."""
    events: list[Event] = []
    malformed = 0
    pending = b""
    for start in range(0, len(data), size):
        pending += data[start : start + size]
        parsed = parser.parse(pending, final=False)
        events += parsed.events
        malformed += parsed.malformed
        pending = pending[parsed.consumed :]
    parsed = parser.parse(pending, final=True)
    return events + parsed.events, malformed + parsed.malformed


def parse_line(line: str, parser: JsonParser = FLAT) -> tuple[list[Event], int]:
    parsed = parser.parse((line + "\n").encode(), final=False)
    return parsed.events, parsed.malformed


def test_the_fixture_gives_exactly_its_ground_truth() -> None:
    parsed = GATEWAY.parse((FIXTURES / FIXTURE).read_bytes(), final=True)

    assert tally(parsed.events) == (EXPECTED[FIXTURE]["requests"], EXPECTED[FIXTURE]["responses"])
    assert parsed.malformed == EXPECTED[FIXTURE]["malformed"]


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_feeding_the_fixture_in_chunks_gives_the_one_shot_result(size: int) -> None:
    data = (FIXTURES / FIXTURE).read_bytes()
    whole = GATEWAY.parse(data, final=True)

    assert parse_in_chunks(GATEWAY, data, size) == (whole.events, whole.malformed)


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
    data = (FIXTURES / FIXTURE).read_bytes().replace(b"\r\n", b"\n")

    lf = GATEWAY.parse(data, final=True)
    crlf = GATEWAY.parse(data.replace(b"\n", b"\r\n"), final=True)

    assert (crlf.events, crlf.malformed) == (lf.events, lf.malformed)


def test_an_unterminated_last_line_is_left_for_the_next_call() -> None:
    line = b'{"code":486,"method":"INVITE"}'

    waiting = FLAT.parse(b"{}\n" + line, final=False)
    finished = FLAT.parse(line, final=True)

    assert (waiting.events, waiting.consumed) == ([], len(b"{}\n"))
    assert (len(finished.events), finished.consumed) == (1, len(line))


def test_a_gbk_source_is_decoded_before_it_is_read() -> None:
    parser = JsonParser(JsonOptions(encoding="gbk"))

    [event] = parser.parse(
        '{"code":486,"method":"INVITE","reason":"设备忙"}\n'.encode("gbk"), final=False
    ).events

    assert event.reason == "设备忙"


@given(st.binary())
def test_any_bytes_parse_without_raising_and_consume_whole_lines(data: bytes) -> None:
    parsed = FLAT.parse(data, final=False)

    assert parsed.consumed == data.rfind(b"\n") + 1
    assert FLAT.parse(data, final=True).consumed == len(data)


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


@given(st.lists(RECORDS, max_size=5))
def test_any_json_objects_never_raise_and_codes_are_always_integers(
    records: list[dict[str, Any]],
) -> None:
    data = "".join(json.dumps(record) + "\n" for record in records).encode()

    parsed = FLAT.parse(data, final=True)

    assert len(parsed.events) + parsed.malformed <= len(records)
    for event in parsed.events:
        assert event.code == "" or event.code.lstrip("-").isdigit()
