"""wvp-GB28181-pro one-line records: what each template counts as, and what it must not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.options import WvpOptions
from exporter.formats.wvp import WvpParser

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import (  # noqa: E402
    check_chunks_give_one_shot,
    check_crlf_gives_lf,
    check_ground_truth,
    check_last_line_waits,
    check_offsets_start_record_lines,
    check_whole_lines_consumed,
    fixture_bytes,
)

FIXTURE = "wvp-oneline.log"
PARSER = WvpParser(WvpOptions())
PREFIX = "2024-05-02 09:12:03.118 [wvp-1] WARN  c.g.iot.vmp.gb28181.transmit.X:119 - "


def one(line: str, encoding: str = "utf-8") -> Event:
    """The single event a single line gives."""
    parsed = WvpParser(WvpOptions(encoding=encoding)).parse(
        (line + "\n").encode(encoding), final=False
    )
    assert parsed.malformed == 0
    assert len(parsed.events) == 1, parsed
    return parsed.events[0]


def nothing_in(line: str) -> None:
    parsed = PARSER.parse((line + "\n").encode(), final=False)
    assert parsed.events == []
    assert parsed.malformed == 0


def test_the_fixture_gives_exactly_its_ground_truth() -> None:
    check_ground_truth(PARSER, FIXTURE)


def test_each_event_of_the_fixture_has_the_offset_of_its_line() -> None:
    check_offsets_start_record_lines(PARSER, FIXTURE)


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_feeding_the_fixture_in_chunks_gives_the_one_shot_result(size: int) -> None:
    check_chunks_give_one_shot(PARSER, FIXTURE, size)


def test_a_failed_response_is_an_incoming_response_without_method() -> None:
    event = one(PREFIX + "接收到失败的response响应！status：503,message:Service Unavailable")

    assert event == Event(
        Kind.RESPONSE, Direction.IN, method="", code="503", reason="Service Unavailable"
    )


def test_the_newer_failed_response_wording_with_spaces_is_read_too() -> None:
    event = one(
        PREFIX + "接收到失败的response响应！status：481, message: Call/Transaction Does Not Exist"
    )

    assert (event.code, event.reason) == ("481", "Call/Transaction Does Not Exist")


def test_a_whole_message_appended_to_a_failed_response_is_not_its_reason() -> None:
    event = one(
        PREFIX + "接收到失败的response响应！status：486,message:Busy Here response = SIP/2.0 486"
    )

    assert event.reason == "Busy Here"


def test_a_live_view_failure_is_the_answer_to_wvps_invite() -> None:
    event = one(
        PREFIX + "[点播失败]-1024:消息超时未回复 deviceId: 34020000001180000001, "
        "channelId:34020000001310000002"
    )

    assert event == Event(
        Kind.RESPONSE,
        Direction.IN,
        method="INVITE",
        code="-1024",
        reason="消息超时未回复",
        to_user="34020000001310000002",
    )


def test_a_playback_failure_is_the_answer_to_wvps_invite() -> None:
    event = one(PREFIX + "[录像回放] 失败，408 Request Timeout")

    assert (event.direction, event.method, event.code, event.reason) == (
        Direction.IN,
        "INVITE",
        "408",
        "Request Timeout",
    )


@pytest.mark.parametrize("tag", ["[国标级联]", "[国标级联] "])
def test_a_heartbeat_error_is_the_parents_answer_to_a_keepalive_message(tag: str) -> None:
    event = one(PREFIX + tag + "发送心跳收到错误，code： 404, msg: Not Found")

    assert (event.direction, event.method, event.code, event.reason) == (
        Direction.IN,
        "MESSAGE",
        "404",
        "Not Found",
    )


def test_a_catalog_push_failure_is_the_parents_answer_to_a_catalog_message() -> None:
    event = one(
        PREFIX + "[目录推送失败] 国标级联 platform : 44010200492000000001, code: 408, "
        "msg: Request Timeout, 停止发送"
    )

    assert (event.direction, event.method, event.code, event.reason, event.to_user) == (
        Direction.IN,
        "MESSAGE",
        "408",
        "Request Timeout",
        "44010200492000000001",
    )


@pytest.mark.parametrize("title", ["[注册请求]", "[注销请求]"])
def test_a_register_challenge_is_an_outgoing_401(title: str) -> None:
    event = one(PREFIX + title + " 设备：34020000001320000001, 回复401: 192.168.1.108:5060")

    assert event == Event(
        Kind.RESPONSE,
        Direction.OUT,
        method="REGISTER",
        code="401",
        from_user="34020000001320000001",
        to_user="34020000001320000001",
    )


@pytest.mark.parametrize(
    "line",
    [
        "2024-01-08 11:35:49.595 [http-nio-18099-exec-1]  INFO --- "
        "c.genersoft.iot.vmp.media.zlm.ZLMHttpHookListener: 486 "
        "[ZLM HOOK]流无人观看：zlmediakit-local->hls->rtp/06423DB0",
        "2024-01-08 11:35:49.595 [http-nio-18099-exec-1] INFO  "
        "c.genersoft.iot.vmp.media.zlm.ZLMHttpHookListener:486 - "
        "[ZLM HOOK]流无人观看：zlmediakit-local->hls->rtp/06423DB0",
    ],
)
def test_a_java_line_number_of_486_is_never_a_code(line: str) -> None:
    nothing_in(line)


def test_a_device_going_offline_is_not_a_response() -> None:
    nothing_in(PREFIX + "[设备离线] device：34020000001110000003， 心跳间隔： 60，心跳超时次数： 3")


def test_a_live_view_failure_without_a_code_is_not_a_record() -> None:
    nothing_in(PREFIX + "[点播失败] 前门球机(34020000001320000009)")


@pytest.mark.parametrize(
    "line",
    [
        PREFIX + "接收到失败的response响应！status：null,message:null",
        PREFIX + "接收到失败的response响应！status：" + PREFIX + "Starting VManageBootstrap",
        PREFIX + "[国标级联] 发送心跳收到错误，code： , msg: null",
    ],
)
def test_a_labelled_code_that_cannot_be_read_is_malformed(line: str) -> None:
    parsed = PARSER.parse((line + "\n").encode(), final=False)

    assert (parsed.events, parsed.malformed) == ([], 1)


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "15|wvp-pro | ",
        "wvp-pro-1  | ",
        "2021-11-18 23:15:34.195  WARN 3024 --- [handle-3] c.X  : ",
    ],
)
def test_a_supervisor_prefix_or_an_older_log_pattern_changes_nothing(prefix: str) -> None:
    event = one(prefix + "接收到失败的response响应！status：400,message:Bad Request")

    assert (event.code, event.reason) == ("400", "Bad Request")


def test_crlf_lines_give_the_same_events_as_lf_lines() -> None:
    check_crlf_gives_lf(PARSER, FIXTURE)


def test_an_unterminated_last_line_is_left_for_the_next_call() -> None:
    line = (PREFIX + "[点播失败]486:Busy Here deviceId: 3402, channelId:3402").encode()

    check_last_line_waits(PARSER, b"other line\n", line)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_a_chinese_encoded_source_gives_the_same_events(encoding: str) -> None:
    text = fixture_bytes(FIXTURE).decode("utf-8")
    utf8 = PARSER.parse(text.encode("utf-8"), final=True)

    other = WvpParser(WvpOptions(encoding=encoding)).parse(text.encode(encoding), final=True)

    assert (other.events, other.malformed) == (utf8.events, utf8.malformed)


def test_utf8_anchors_are_not_found_in_a_gbk_file_read_as_utf8() -> None:
    line = PREFIX + "接收到失败的response响应！status：503,message:Service Unavailable\n"

    assert PARSER.parse(line.encode("gbk"), final=False).events == []


@pytest.mark.parametrize("encoding", ["no-such-codec", "utf-16"])
def test_an_unusable_encoding_is_rejected(encoding: str) -> None:
    with pytest.raises(ValueError, match="encoding"):
        WvpParser(WvpOptions(encoding=encoding))


FRAGMENTS = st.sampled_from(
    [
        "接收到失败的response响应！status：",
        "[点播失败]",
        "[录像回放] 失败，",
        "[国标级联]发送心跳收到错误，code： ",
        "[目录推送失败] 国标级联 platform : 3402, code: ",
        "[注册请求] 设备：",
        ", 回复401",
        ",message:",
        ", msg: ",
        " deviceId: 1, channelId:",
        "-",
        "503",
        "1024",
        "：",
        ":",
        "，",
        " ",
        "\r",
        "\n",
        "\r\n",
        "\ufffd",
    ]
)


@given(st.binary())
def test_any_bytes_parse_without_raising_and_consume_whole_lines(data: bytes) -> None:
    check_whole_lines_consumed(PARSER, data)


@given(st.lists(FRAGMENTS | st.text(max_size=5)), st.sampled_from(["utf-8", "gbk"]))
def test_near_miss_records_never_raise_and_never_invent_a_label(
    fragments: list[str], encoding: str
) -> None:
    data = "".join(fragments).encode(encoding, "replace")

    parsed = WvpParser(WvpOptions(encoding=encoding)).parse(data, final=True)

    for event in parsed.events:
        assert event.kind is Kind.RESPONSE
        assert event.method in {"", "INVITE", "MESSAGE", "REGISTER"}
        assert event.code.lstrip("-").isdigit() and event.code.isascii()
