"""wvp-GB28181-pro one-line records: what each template counts as, and what it must not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.options import WvpOptions
from exporter.formats.wvp import WvpParser
from exporter.formats.wvp_templates import TEMPLATES, Template
from tests.support import FIXTURES

# Before the import, so that its checks fail with the values they compared.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import (  # noqa: E402
    EXPECTED,
    check_chunks_give_one_shot,
    check_crlf_gives_lf,
    check_ground_truth,
    check_last_line_waits,
    check_offsets_start_record_lines,
    check_whole_lines_consumed,
    fixture_bytes,
)

WVP_FIXTURES = sorted(name for name, truth in EXPECTED.items() if truth["format"] == "wvp")
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


def test_every_wvp_fixture_has_its_ground_truth() -> None:
    on_disk = sorted(p.name for p in FIXTURES.glob("wvp-*.log"))
    assert on_disk == WVP_FIXTURES


@pytest.mark.parametrize("name", WVP_FIXTURES)
def test_a_fixture_gives_exactly_its_ground_truth(name: str) -> None:
    check_ground_truth(PARSER, name)


@pytest.mark.parametrize("name", WVP_FIXTURES)
def test_each_event_of_a_fixture_has_the_offset_of_its_line(name: str) -> None:
    check_offsets_start_record_lines(PARSER, name)


@pytest.mark.parametrize("name", WVP_FIXTURES)
@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_feeding_a_fixture_in_chunks_gives_the_one_shot_result(name: str, size: int) -> None:
    check_chunks_give_one_shot(PARSER, name, size)


@pytest.mark.parametrize("name", WVP_FIXTURES)
def test_a_fixtures_header_comment_is_no_record(name: str) -> None:
    header = b"".join(
        line for line in fixture_bytes(name).splitlines(keepends=True) if line.startswith(b"# ")
    )
    parsed = PARSER.parse(header, final=True)

    assert (parsed.events, parsed.malformed) == ([], 0)


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


def said(line: str) -> tuple[str, str, str]:
    """What the single event of `line` (after a log prefix) says: direction, method, code."""
    event = one(PREFIX + line)
    return event.direction.value, event.method or "unknown", event.code


@pytest.mark.parametrize(
    "line",
    [
        "[注册请求] 设备：34020000001320000001, 密码/SIP服务器ID错误, 回复403: 192.168.1.64:5060",
        "[注销请求] 设备：34020000001320000001, 密码/SIP服务器ID错误, 回复403: 10.0.0.3:5060",
        "[注册请求] 密码/SIP服务器ID错误, 回复403: 10.10.20.31:5060",
        "[192.168.1.64:5060] 密码/SIP服务器ID错误, 回复403",
        "[192.168.1.64:5060] 密码错误 回复403",
    ],
)
def test_a_refused_register_is_an_outgoing_403_in_every_build(line: str) -> None:
    assert said(line) == ("out", "REGISTER", "403")


@pytest.mark.parametrize(
    "line",
    [
        "[注册请求] 回复401: 192.168.1.64:5060",
        "[注册请求] 未携带授权头 回复401: 10.10.20.31:5060",
        "[192.168.1.64:5060] 未携带授权头 回复401",
        "[192.168.1.64:5060] 密码错误 回复401",
        "未携带授权头 回复401",
        "密码错误 回复401",
    ],
)
def test_an_older_register_challenge_is_an_outgoing_401(line: str) -> None:
    assert said(line) == ("out", "REGISTER", "401")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("收到[ 34020000001320000009 ]心跳信息, 但是设备不存在, 回复404", "404"),
        ("收到[ 34020000001320000009 ]心跳信息, 但是设备离线, 回复401", "401"),
    ],
)
def test_a_keepalive_from_an_unknown_device_is_answered_out(line: str, code: str) -> None:
    event = one(PREFIX + line)

    assert (event.direction, event.method, event.code, event.from_user) == (
        Direction.OUT,
        "MESSAGE",
        code,
        "34020000001320000009",
    )


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("[上级INVITE] 通道不存在，返回404: 34020000001310000007", "404"),
        ("通道不存在，返回404", "404"),
        ("无法从FromHeader的Address中获取到平台id，返回404", "404"),
        ("无法从FromHeader的Address中获取到平台/设备id，返回400", "400"),
        ("[解析INVITE消息] 无法从请求中获取到来源id，返回400错误", "400"),
        ("[ app=rtp, stream=3402_3402 ]通道离线，返回400", "400"),
        ("[ app=rtp, stream=3402_3402 ]找不到zlm zlmediakit-local，返回410", "410"),
        ("[ app=rtp, stream=3402_3402 ]zlm找不到，返回410", "410"),
        ("[解析INVITE消息]  不支持的媒体格式，返回415", "415"),
    ],
)
def test_a_refused_invite_is_an_outgoing_answer(line: str, code: str) -> None:
    assert said(line) == ("out", "INVITE", code)


@pytest.mark.parametrize(
    ("line", "method"),
    [
        ("[notify] 待处理消息队列已满 10000，返回486 BUSY_HERE，消息不做处理", "NOTIFY"),
        ("[notify-目录订阅] 待处理消息队列已满 100000，返回486 BUSY_HERE，消息不做处理", "NOTIFY"),
        ("[notify-报警订阅] 待处理消息队列已满 100000，返回486 BUSY_HERE", "NOTIFY"),
        ("[Alarm] 待处理消息队列已满 100000，返回486 BUSY_HERE，消息不做处理", "MESSAGE"),
        ("[心跳] 待处理消息队列已满 100000，返回486 BUSY_HERE，消息不做处理", "MESSAGE"),
        ("[message-notify-移动位置] 待处理消息队列已满 100000，返回486 BUSY_HERE", "MESSAGE"),
    ],
)
def test_a_full_queue_answers_486_to_the_request_it_drops(line: str, method: str) -> None:
    assert said(line) == ("out", method, "486")


def test_an_illegal_code_replaced_by_500_is_the_500_on_the_wire() -> None:
    line = (
        "[SIP响应] 非法状态码: -1024，已替换为500 Server Internal Error。原始消息: 消息超时未回复"
    )

    assert said(line) == ("out", "unknown", "500")


def test_a_record_query_with_an_illegal_code_is_the_devices_outcome_and_wvps_500() -> None:
    line = "[录像查询失败] 收到非法SIP状态码: -1024，通道: 省厅/3402，消息: 超时，已替换为500"

    parsed = PARSER.parse(("other line\n" + PREFIX + line + "\n").encode(), final=False)

    assert [(e.direction.value, e.method, e.code) for e in parsed.events] == [
        ("in", "MESSAGE", "-1024"),
        ("out", "MESSAGE", "500"),
    ]
    assert parsed.offsets == [len("other line\n")] * 2


def test_a_talk_failure_is_the_answer_to_wvps_talk_invite() -> None:
    event = one(
        PREFIX + "[语音对讲] 失败，34020000001320000001/34020000001310000007, 错误码 486 Busy Here"
    )

    assert (event.direction, event.method, event.code, event.reason, event.to_user) == (
        Direction.IN,
        "INVITE",
        "486",
        "Busy Here",
        "34020000001310000007",
    )


def test_a_live_view_failure_with_the_code_after_the_ids_is_read_too() -> None:
    event = one(
        PREFIX + "[点播失败] deviceId: 34020000001180000001, channelId:34020000001310000002, "
        "408: Request Timeout"
    )

    assert (event.direction, event.method, event.code, event.reason, event.to_user) == (
        Direction.IN,
        "INVITE",
        "408",
        "Request Timeout",
        "34020000001310000002",
    )


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("[同步通道]失败,编号: 34020000001180000001, 错误码： -1024, 消息超时未回复", "-1024"),
        ("[同步通道]失败,编号: 34020000001320000001, 错误码： 404, Not Found", "404"),
    ],
)
def test_a_channel_sync_failure_is_the_answer_to_wvps_catalog_query(line: str, code: str) -> None:
    assert said(line) == ("in", "MESSAGE", code)


def test_a_notify_failure_is_the_parents_answer_to_wvps_notify() -> None:
    event = one(PREFIX + "发送NOTIFY通知消息失败。错误：481 Call/Transaction Does Not Exist")

    assert (event.direction, event.method, event.code, event.reason) == (
        Direction.IN,
        "NOTIFY",
        "481",
        "Call/Transaction Does Not Exist",
    )


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("[国标级联]注册 401响应 41010500002000000001 ", "401"),
        ("[国标级联]注销 200响应 41010500002000000001 ", "200"),
        ("[国标级联]注册 200响应,41010500002000000001 ", "200"),
        ("[注册 401响应]41010500002000000001 ", "401"),
        ("收到 41010500002000000001 注册的401响应", "401"),
        ("收到 41010500002000000001 注销的200响应", "200"),
        ("收到 41010500002000000001 的注册/注销200响应", "200"),
        ("收到 41010500002000000001 的注册401请求", "401"),
        ("收到 41010500002000000001 的注册/注销401请求, 但是平台缓存信息未查询到!!!", "401"),
        ("[收到注册/注销200请求]平台：41010500002000000001，但是平台缓存信息未查询到!!!", "200"),
        (
            "[国标级联]收到注册/注销401请求，平台：41010500002000000001，但是平台缓存信息未查询到!!!",
            "401",
        ),
        ("[国标级联] 平台：41010500002000000001注册失败，-1024:消息超时未回复", "-1024"),
    ],
)
def test_a_parents_answer_to_wvps_register_is_an_incoming_register_response(
    line: str, code: str
) -> None:
    assert said(line) == ("in", "REGISTER", code)


@pytest.mark.parametrize(
    "line",
    [
        "[发送心跳] 国标级联 发送心跳, code： 200, msg: OK",
        "[国标级联] 发送心跳,平台省厅上级平台(41010500002000000001), code： 200, msg: OK",
    ],
)
def test_a_heartbeat_success_is_the_parents_200_to_a_keepalive_message(line: str) -> None:
    event = one(PREFIX + line)

    assert (event.direction, event.method, event.code, event.reason) == (
        Direction.IN,
        "MESSAGE",
        "200",
        "OK",
    )


@pytest.mark.parametrize(
    ("line", "method", "code"),
    [
        ("[国标级联] 语音喊话 回复失败 platform： 4101， 错误：404/Not Found", "MESSAGE", "404"),
        (
            "[国标级联-语音喊话] 与下级通道建立失败 device: 3402, channel: 3402， 错误：486/Busy",
            "INVITE",
            "486",
        ),
    ],
)
def test_a_broadcast_failure_is_the_parents_answer(line: str, method: str, code: str) -> None:
    assert said(line) == ("in", method, code)


def test_a_parent_invite_failure_is_wvps_answer_to_the_parent() -> None:
    line = "[上级Invite] Play, 失败, 平台：4101， 通道：3402, code： 486， msg；Busy Here"

    assert said(line) == ("out", "INVITE", "486")


def test_a_parent_invite_failure_with_wvps_own_code_is_no_record() -> None:
    nothing_in(
        PREFIX + "[上级Invite] Play, 失败, 平台：4101， 通道：3402, code： -2， msg；收流超时"
    )


@pytest.mark.parametrize(
    "line",
    [
        "[命令发送失败] 回复200 OK: Transaction terminated",
        "[命令发送失败] 国标级联 目录查询回复200OK: Transaction terminated",
        "[命令发送失败] invite 不支持的媒体格式，返回415， Transaction terminated",
        "[命令发送失败] 语音通话 回复410失败， Transaction terminated",
        "[上级Invite]下级已经开始推流。 回复200OK(SDP)， rtp/3402_3402",
        "[语音喊话] 回复200OK后发现 BroadcastPushAfterAck为False，现在开始推流",
        "[国标级联]收到 来自41010500002000000001的 注册 回复 200, 但是平台信息未查询到!!!",
        "[国标级联]收到 41010500002000000001 注册的200请求, 但是平台信息未查询到!!!",
        "收到 41010500002000000001 的注册401请求, 但是平台信息未查询到!!!",
        "收到 41010500002000000001 的注册/注销401请求, 但是平台信息未查询到!!!",
        "[国标级联-语音喊话] 与下级通道建立超时 device: 3402, channel: 3402， 错误：1/收流超时",
        "[SIP日志]已关闭",
        "[点播失败] 东门球机(34020000001310000001), 设备离线",
        "[国标级联]：41010500002000000001,  注册失败: Forbidden ",
        "[注册成功] deviceId: 34020000001320000001->192.168.1.64:5060",
        "[注册请求]设备：41010500001320000002, 开始处理: 117.61.185.175:56609",
    ],
)
def test_a_line_that_only_looks_like_a_record_is_none(line: str) -> None:
    nothing_in(PREFIX + line)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.pattern[:24])
def test_every_template_names_a_key_its_pattern_holds(template: Template) -> None:
    assert template.key in template.pattern


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


@pytest.mark.parametrize("name", WVP_FIXTURES)
def test_crlf_lines_give_the_same_events_as_lf_lines(name: str) -> None:
    check_crlf_gives_lf(PARSER, name)


def test_an_unterminated_last_line_is_left_for_the_next_call() -> None:
    line = (PREFIX + "[点播失败]486:Busy Here deviceId: 3402, channelId:3402").encode()

    check_last_line_waits(PARSER, b"other line\n", line)


@pytest.mark.parametrize("name", WVP_FIXTURES)
@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_a_chinese_encoded_source_gives_the_same_events(name: str, encoding: str) -> None:
    text = fixture_bytes(name).decode("utf-8")
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
        "密码/SIP服务器ID错误, 回复403",
        "[同步通道]失败,编号: 1, 错误码： ",
        "[国标级联]注册 ",
        "响应",
        "收到 1 的注册/注销",
        "请求",
        "，返回",
        "[SIP响应] 非法状态码: ",
        "[录像查询失败] 收到非法SIP状态码: ",
        "已替换为500",
        "[命令发送失败] ",
        "[上级Invite] Play, 失败, 平台：1， 通道：2, code： ",
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
        assert event.method in {"", "INVITE", "MESSAGE", "NOTIFY", "REGISTER"}
        assert event.code.lstrip("-").isdigit() and event.code.isascii()
