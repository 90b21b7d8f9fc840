"""key=value lines (Kamailio acc, xlog): which lines are records and what they say."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.common import user_part
from exporter.formats.kv import KeyValueParser
from exporter.formats.options import FieldNames, KeyValueOptions

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import (  # noqa: E402
    check_chunks_give_one_shot,
    check_crlf_gives_lf,
    check_ground_truth,
    check_last_line_waits,
    check_offsets_start_record_lines,
    check_reason_decoded,
    check_whole_lines_consumed,
)

FIXTURE = "kamailio-acc.log"
PARSER = KeyValueParser(KeyValueOptions())
SYSLOG = "Sep  7 07:16:53 sip /usr/local/sbin/kamailio[29264]: NOTICE: acc [acc.c:317]: "
ACC = (
    SYSLOG + "acc_log_request(): ACC: request accounted: timestamp=1504783013;method=OPTIONS;"
    "from_tag=eUC9UgGrD;to_tag=j90H6yy5pU6Xc;call_id=2xJd0KCt-P;code=200;reason=OK;"
    "calling=46566464645;called=you;egressIP=kamailio.org;src_ip=1.0.0.127;"
    "to=<sip:+918866213320@sip.call.org>;tag=j90H6yy5pU6Xc;from=sip:918888888888@localhost;"
    "contact=;pai=;uri=sip:you@kamailio.org;onnet=0;rate=0.000333333"
)


def events_of(line: str, parser: KeyValueParser = PARSER) -> list[Event]:
    parsed = parser.parse((line + "\n").encode(), final=False)
    assert parsed.malformed == 0
    return parsed.events


def test_the_fixture_gives_exactly_its_ground_truth() -> None:
    check_ground_truth(PARSER, FIXTURE)


def test_each_event_of_the_fixture_has_the_offset_of_its_line() -> None:
    check_offsets_start_record_lines(PARSER, FIXTURE)


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_feeding_the_fixture_in_chunks_gives_the_one_shot_result(size: int) -> None:
    check_chunks_give_one_shot(PARSER, FIXTURE, size)


def test_an_acc_record_behind_a_syslog_prefix_is_a_response() -> None:
    assert events_of(ACC) == [
        Event(
            Kind.RESPONSE,
            Direction.UNKNOWN,
            method="OPTIONS",
            code="200",
            reason="OK",
            call_id="2xJd0KCt-P",
            from_user="918888888888",
            to_user="+918866213320",
        )
    ]


def test_cseq_and_branch_fields_name_the_transaction() -> None:
    [event] = events_of("method=INVITE;code=486;call_id=c1;cseq=4711 INVITE;branch=z9hG4bK-c1")

    assert (event.method, event.cseq, event.branch) == ("INVITE", "4711", "z9hG4bK-c1")


def test_a_response_without_a_method_takes_the_one_its_cseq_names() -> None:
    [event] = events_of("code=486;cseq=7 invite")

    assert (event.kind, event.method, event.cseq) == (Kind.RESPONSE, "INVITE", "7")


def test_a_method_field_wins_over_the_cseq_method() -> None:
    [event] = events_of("method=CANCEL;code=200;cseq=7 INVITE")

    assert (event.method, event.cseq) == ("CANCEL", "7")


@pytest.mark.parametrize(
    ("value", "cseq", "method"),
    [("12", "12", ""), ("12\tbye", "12", "BYE"), (" 12  BYE ", "12", "BYE"), ("twelve", "", "")],
)
def test_a_cseq_value_gives_its_number_and_method(value: str, cseq: str, method: str) -> None:
    [event] = events_of(f"code=200;cseq={value}")

    assert (event.cseq, event.method) == (cseq, method)


def test_cseq_and_branch_keys_can_be_renamed() -> None:
    parser = KeyValueParser(KeyValueOptions(fields=FieldNames(cseq="cs", branch="via_branch")))

    [event] = events_of("code=408;cs=3 MESSAGE;via_branch=z9hG4bK-3;cseq=9;branch=x", parser)

    assert (event.method, event.cseq, event.branch) == ("MESSAGE", "3", "z9hG4bK-3")


def test_a_line_with_a_method_but_no_code_is_a_request() -> None:
    [event] = events_of("INFO: <script>: method=register;direction=in;call_id=926391577")

    assert (event.kind, event.direction, event.method, event.code) == (
        Kind.REQUEST,
        Direction.IN,
        "REGISTER",
        "",
    )


@pytest.mark.parametrize(
    ("word", "direction"),
    [
        ("in", Direction.IN),
        ("recv", Direction.IN),
        ("out", Direction.OUT),
        ("sideways", Direction.UNKNOWN),
    ],
)
def test_the_direction_field_names_the_direction(word: str, direction: Direction) -> None:
    [event] = events_of(f"method=MESSAGE;code=200;direction={word}")

    assert event.direction is direction


def test_keys_match_whole_keys_only() -> None:
    assert events_of("NOTICE: <script>: probe failed: dst=sip:10.0.0.7:5060;rcode=408") == []
    assert events_of("xmethod=INVITE;codes=5") == []


def test_from_tag_is_not_the_from_field() -> None:
    [event] = events_of("method=INVITE;from_tag=eUC9UgGrD;code=486;from=sip:2003@example.net")

    assert event.from_user == "2003"


def test_the_first_pair_of_a_key_wins_and_a_tag_after_a_uri_is_its_own_pair() -> None:
    [event] = events_of("code=480;method=INVITE;to=<sip:2002@example.net>;tag=abc;code=200")

    assert (event.code, event.to_user) == ("480", "2002")


@pytest.mark.parametrize("value", ["<null>", "", "4o4", "٤٠٤"])
def test_a_code_that_is_not_an_integer_is_malformed(value: str) -> None:
    parsed = PARSER.parse(f"method=MESSAGE;code={value};reason=x\n".encode(), final=False)

    assert (parsed.events, parsed.malformed) == ([], 1)


def test_separators_and_field_names_are_configurable() -> None:
    fields = FieldNames(code="sip_code", method="sip_method", direction="dir")
    parser = KeyValueParser(KeyValueOptions(pair_separator=" ", value_separator=":", fields=fields))

    [event] = events_of("ts:1714618801 dir:out sip_method:BYE sip_code:481", parser)

    assert (event.direction, event.method, event.code) == (Direction.OUT, "BYE", "481")


@pytest.mark.parametrize(
    ("value", "user"),
    [
        ("<sip:34020000001320000001@3402000000>;tag=1", "34020000001320000001"),
        ('"Reception" <sip:1001@192.168.10.5:5060;transport=udp>', "1001"),
        ("sip:918888888888@localhost", "918888888888"),
        ("tel:+8613800000000;phone-context=example.cn", "+8613800000000"),
        ("<sip:3402000000>", ""),
        ("1001@10.0.0.5", "1001"),
        ("", ""),
    ],
)
def test_from_and_to_give_the_user_part_of_the_uri(value: str, user: str) -> None:
    assert user_part(value) == user


def test_crlf_lines_give_the_same_events_as_lf_lines() -> None:
    check_crlf_gives_lf(PARSER, FIXTURE)


def test_an_unterminated_last_line_is_left_for_the_next_call() -> None:
    line = b"method=INVITE;code=408;reason=Request Timeout"

    check_last_line_waits(PARSER, b"noise\n", line)


def test_a_gbk_reason_is_decoded_with_the_source_encoding() -> None:
    parser = KeyValueParser(KeyValueOptions(encoding="gbk"))

    check_reason_decoded(parser, "method=INVITE;code=486;reason=设备忙\n", "gbk", "设备忙")


@pytest.mark.parametrize(
    "options",
    [
        KeyValueOptions(pair_separator=""),
        KeyValueOptions(pair_separator="=", value_separator="="),
        KeyValueOptions(encoding="utf-16"),
    ],
)
def test_unusable_settings_are_rejected(options: KeyValueOptions) -> None:
    with pytest.raises(ValueError):
        KeyValueParser(options)


@given(st.binary())
def test_any_bytes_parse_without_raising_and_consume_whole_lines(data: bytes) -> None:
    check_whole_lines_consumed(PARSER, data)


FRAGMENTS = st.sampled_from(
    [
        "code",
        "method",
        "rcode",
        "from",
        "to",
        "=",
        ";",
        " ",
        "\t",
        "\r",
        "\n",
        "200",
        "-",
        "<sip:a@b>",
    ]
)


@given(st.lists(FRAGMENTS | st.text(max_size=4)))
def test_near_miss_records_never_raise_and_codes_are_always_integers(fragments: list[str]) -> None:
    parsed = PARSER.parse("".join(fragments).encode("utf-8", "replace"), final=True)

    for event in parsed.events:
        assert event.code == "" or event.code.lstrip("-").isdigit()
        assert (event.kind is Kind.RESPONSE) == (event.code != "")
