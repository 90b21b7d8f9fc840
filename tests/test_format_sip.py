"""The SIP message dump format, on bytes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import RecordStream
from exporter.formats.timestamps import FileClock, TimeSettings

LOGGER = "com.genersoft.iot.vmp.gb28181.conf.StackLoggerImpl:82"
WVP_503 = (
    f"2023-08-26 01:19:29.605 [Thread-142] INFO  {LOGGER}"
    " - Setting SIPMessage peerPacketSource to: /192.168.141.61:5060\n"
    f"2023-08-26 01:19:29.606 [Thread-142] INFO  {LOGGER}"
    " - 接收：来自--->192.168.108.180:5060\n"
    "SIP/2.0 503 Service Unavailable\r\n"
    "Via: SIP/2.0/UDP 192.168.108.180:5060;branch=z9hG4bK7223329939;rport=5060\r\n"
    "From: <sip:37010100002000108180@3701010000>;tag=b76fd216256f4b31b92d3faa9bfd0b21\r\n"
    "To: <sip:34020000001310000006@192.168.141.61:5060>;tag=797528533\r\n"
    "Call-ID: b7abd1238508e8610062145682f19272@192.168.108.180\r\n"
    "CSeq: 8330 INVITE\r\n"
    "User-Agent: Embedded Net DVR/NVR/DVS\r\n"
    "Warning: start priview failed:maybe rtp session false or preview links' num limit\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
).encode()

WVP_OUT_REGISTER = (
    f"2023-08-26 01:19:30.001 [Thread-143] INFO  {LOGGER}"
    " - 发送：目标--->192.168.141.61:5060\n"
    "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.141.61:5060;rport;branch=z9hG4bK1\r\n"
    "From: <sip:34020000001320000001@3402000000>;tag=1\r\n"
    "To: <sip:34020000001320000001@3402000000>\r\n"
    "Call-ID: reg-1@192.168.141.61\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Expires: 3600\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
).encode()

GOSIP_401 = (
    b"TRAC[0671] writeTo 430 , [::]:5060 -> 192.168.80.2:5061 \n"
    b" SIP/2.0 401 Unauthorized\n"
    b"Via: SIP/2.0/UDP 192.168.80.2:5061;rport;branch=z9hG4bK8c9504bf4c629800d819eafc302e9e37\n"
    b"From: <sip:34020000001320000001@192.168.80.2:5061>;tag=186df942117f40e3cd4c9ab11ef5f0e4\n"
    b"To: <sip:34020000001320000001@192.168.80.2:5061>\n"
    b"Call-ID: e0fc80c69ce6837ca41b948e23c96171\n"
    b"CSeq: 1 REGISTER\n"
    b'WWW-Authenticate: Digest nonce="VXiW75tcyw4c", algorithm=MD5, realm="3707000008",qop="auth"\n'
)


def parse_all(data: bytes, **options: object) -> list[Event]:
    return SipParser(SipOptions(**options)).parse(data, final=True).events  # type: ignore[arg-type]


def fed_in_pieces(data: bytes, size: int, **options: object) -> list[Event]:
    stream = RecordStream(SipParser(SipOptions(**options)), 65536)  # type: ignore[arg-type]
    events: list[Event] = []
    for at in range(0, len(data), size):
        events += stream.feed(data[at : at + size]).events
    return events + stream.finish().events


def test_a_response_takes_its_method_from_cseq_and_direction_from_the_wrapper() -> None:
    (event,) = parse_all(WVP_503)
    assert event == Event(
        Kind.RESPONSE,
        Direction.IN,
        "INVITE",
        "503",
        "Service Unavailable",
        "b7abd1238508e8610062145682f19272@192.168.108.180",
        "37010100002000108180",
        "34020000001310000006",
        cseq="8330",
        branch="z9hG4bK7223329939",
    )


def test_a_request_takes_its_method_from_the_start_line_and_a_send_wrapper_means_out() -> None:
    (event,) = parse_all(WVP_OUT_REGISTER)
    assert (event.kind, event.method, event.direction) == (Kind.REQUEST, "REGISTER", Direction.OUT)
    assert event.from_user == "34020000001320000001"


def message(*headers: str, start: str = "SIP/2.0 200 OK") -> bytes:
    """A message that a `recv` wrapper names: its start line, the header lines, a blank line."""
    lines = ["recv 400 bytes from udp/10.0.0.2:5060", start, *headers, "", ""]
    return "\r\n".join(lines).encode()


COMMON = (
    "From: <sip:1001@example.net>;tag=1",
    "To: <sip:1002@example.net>",
    "Call-ID: tx-1@10.0.0.2",
    "CSeq: 4711 INVITE",
)


def top_branch(*vias: str) -> str:
    (event,) = parse_all(message(*vias, *COMMON))
    return event.branch


def test_a_request_has_its_cseq_number_and_top_via_branch() -> None:
    (event,) = parse_all(WVP_OUT_REGISTER)
    assert (event.cseq, event.branch) == ("1", "z9hG4bK1")


@pytest.mark.parametrize(
    ("via", "branch"),
    [
        (
            "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-first;rport;received=10.0.0.9",
            "z9hG4bK-first",
        ),
        (
            "Via: SIP/2.0/UDP 10.0.0.2:5060;rport=5060;received=10.0.0.9;branch=z9hG4bK-last",
            "z9hG4bK-last",
        ),
        ("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-alone", "z9hG4bK-alone"),
        ("Via: SIP/2.0/TCP [2001:db8::2]:5060 ; branch = z9hG4bK-spaced ; ttl=1", "z9hG4bK-spaced"),
        ("VIA: SIP/2.0/UDP 10.0.0.2;BRANCH=z9hG4bK-upper", "z9hG4bK-upper"),
        ("Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-angle>", "z9hG4bK-angle"),
        ("Via: SIP/2.0/UDP 10.0.0.2;received=10.0.0.9;xbranch=no", ""),
        ("Via: SIP/2.0/UDP 10.0.0.2:5060;rport", ""),
    ],
)
def test_the_branch_is_the_branch_parameter_wherever_it_stands(via: str, branch: str) -> None:
    assert top_branch(via) == branch


def test_the_branch_is_the_topmost_vias_when_there_are_several() -> None:
    proxy = "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK-proxy"
    phone = "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-phone;rport=5060"
    assert top_branch(proxy, phone) == "z9hG4bK-proxy"
    assert top_branch("Record-Route: <sip:10.0.0.5;lr>", proxy, phone) == "z9hG4bK-proxy"
    # Two via-values in one header, and more Via headers after it.
    both = (
        "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK-proxy, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-phone"
    )
    assert top_branch(both, "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-third") == "z9hG4bK-proxy"
    # The topmost via-value has no branch: the next one's is not the transaction's.
    bare = "Via: SIP/2.0/UDP 10.0.0.5;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-phone"
    assert top_branch(bare, phone) == ""
    assert top_branch("Via: SIP/2.0/UDP 10.0.0.5;rport", phone) == ""


def test_a_message_without_a_via_has_no_branch() -> None:
    (event,) = parse_all(message(*COMMON))
    assert (event.cseq, event.branch) == ("4711", "")


def test_compact_header_names_are_read() -> None:
    data = message(
        "v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-compact",
        "f: <sip:1001@example.net>;tag=1",
        "t: <sip:1002@example.net>",
        "i: tx-2@10.0.0.2",
        "CSeq: 12 OPTIONS",
        start="SIP/2.0 486 Busy Here",
    )
    (event,) = parse_all(data)
    assert event == Event(
        Kind.RESPONSE,
        Direction.IN,
        "OPTIONS",
        "486",
        "Busy Here",
        "tx-2@10.0.0.2",
        "1001",
        "1002",
        cseq="12",
        branch="z9hG4bK-compact",
    )


@pytest.mark.parametrize("broken", ["CSeq: 7", "CSeq: 7x INVITE", "CSeq: 7 \t"])
def test_a_cseq_line_without_number_and_method_does_not_hide_the_next_one(broken: str) -> None:
    # A CSeq line that is not `number method` reads as no CSeq at all, whatever header was
    # read before it, and leaves the next CSeq line to be read.
    data = message("Call-ID: tx-3@10.0.0.2", broken, "CSeq: 8 BYE", start="SIP/2.0 200 OK")
    (event,) = parse_all(data)
    assert (event.cseq, event.method, event.call_id) == ("8", "BYE", "tx-3@10.0.0.2")


def test_a_message_whose_via_has_not_arrived_yet_is_held_until_it_has() -> None:
    # CSeq, Call-ID, From and To came first: without waiting for the Via, the branch would
    # depend on where a read ended.
    head = message(*COMMON)[: -len(b"\r\n")]
    parser = SipParser(SipOptions())
    assert parser.parse(head, final=False).events == []
    via = b"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-late\r\n"
    (event,) = parser.parse(head + via, final=False).events
    assert event.branch == "z9hG4bK-late"


def test_each_event_has_the_offset_of_the_line_holding_its_start_line() -> None:
    spring_boot = (
        b"2021-11-18 23:15:34.193 DEBUG 3024 --- [vp-sip-handle-3] "
        b"c.g.i.v.g.transmit.SIPProcessorObserver  : SIP/2.0 400 Bad Request\n"
        b"Via: SIP/2.0/UDP 192.168.1.198:5060;branch=z9hG4bK-3539\nCSeq: 1 INVITE\n\n"
    )
    data = WVP_503 + WVP_OUT_REGISTER + spring_boot + GOSIP_401
    parsed = SipParser(SipOptions()).parse(data, final=True)
    assert parsed.offsets == [
        data.index(b"SIP/2.0 503"),
        data.index(b"REGISTER sip:"),
        data.index(b"2021-11-18 23:15:34.193"),  # the start line follows a log prefix
        data.index(b" SIP/2.0 401"),  # gosip's leading space
    ]


def test_a_message_that_is_not_counted_has_no_offset() -> None:
    bare = WVP_503[WVP_503.index(b"SIP/2.0 503") :]
    data = bare + WVP_OUT_REGISTER
    parsed = SipParser(SipOptions(require_wrapper=True)).parse(data, final=True)
    assert parsed.offsets == [len(bare) + WVP_OUT_REGISTER.index(b"REGISTER sip:")]


def test_rsyslog_escaped_messages_have_offsets_in_the_bytes_as_logged() -> None:
    def forwarded(wrapper: bytes, message: bytes) -> bytes:
        """One syslog line: the wrapper, then the message with its line ends escaped."""
        return wrapper + b"#012" + message.replace(b"\r\n", b"#015#012") + b"\n"

    syslog = b"May  2 10:50:02 sbc01 kamailio[2315]: INFO: <script>: SIP "
    first = forwarded(syslog + b"received:", WVP_503[WVP_503.index(b"SIP/2.0 503") :])
    register = WVP_OUT_REGISTER[WVP_OUT_REGISTER.index(b"REGISTER sip:") :]
    second = forwarded(syslog + b"sent:", register)
    parsed = SipParser(SipOptions(syslog_escapes=True)).parse(first + second, final=True)
    assert [(e.code or e.method, e.direction) for e in parsed.events] == [
        ("503", Direction.IN),
        ("REGISTER", Direction.OUT),
    ]
    # Each offset is where the message starts in the escaped line, right after its #012.
    assert parsed.offsets == [
        first.index(b"SIP/2.0 503"),
        len(first) + second.index(b"REGISTER sip:"),
    ]


def test_lf_and_crlf_give_the_same_events() -> None:
    crlf = WVP_503 + WVP_OUT_REGISTER
    lf = crlf.replace(b"\r\n", b"\n")
    assert parse_all(lf) == parse_all(crlf)


def test_messages_split_across_reads_at_any_size_are_counted_once() -> None:
    data = (WVP_503 + b"noise line\n" + WVP_OUT_REGISTER) * 3 + GOSIP_401
    whole = parse_all(data)
    assert len(whole) == 7
    for size in (1, 2, 7, 64, 333, 4096):
        assert fed_in_pieces(data, size) == whole, f"pieces of {size} bytes"


def test_a_message_without_a_blank_line_after_its_headers_ends_at_the_next_log_line() -> None:
    data = GOSIP_401 + b"TRAC[0672] readFrom 310 , 192.168.80.2:5061 -> [::]:5060\n" + GOSIP_401
    events = parse_all(data)
    assert [(e.code, e.method, e.direction) for e in events] == [
        ("401", "REGISTER", Direction.OUT),
        ("401", "REGISTER", Direction.OUT),
    ]


def test_a_message_still_being_written_is_held_until_its_headers_arrive() -> None:
    parser = SipParser(SipOptions())
    head = WVP_503[: WVP_503.index(b"Call-ID")]
    parsed = parser.parse(head, final=False)
    assert parsed.events == []
    assert parsed.consumed < head.index(b"SIP/2.0 503")  # the wrapper is held with it


def test_an_unterminated_last_line_is_not_consumed_until_final() -> None:
    parser = SipParser(SipOptions())
    data = WVP_503 + b"2023-08-26 01:19:31.000 [main] INFO no newline yet"
    assert parser.parse(data, final=False).consumed <= len(WVP_503)
    assert parser.parse(data, final=True).consumed == len(data)


def test_supervisor_prefixes_on_every_line_are_understood() -> None:
    prefixed = b"".join(b"15|wvp-pro | " + line for line in WVP_503.splitlines(keepends=True))
    (event,) = parse_all(prefixed)
    assert (event.code, event.method, event.direction) == ("503", "INVITE", Direction.IN)
    assert event.call_id.startswith("b7abd123")


def test_a_start_line_after_a_log_prefix_on_the_same_line_counts() -> None:
    data = (
        b"2021-11-18 23:15:34.193 DEBUG 3024 --- [vp-sip-handle-3] "
        b"c.g.i.v.g.transmit.SIPProcessorObserver  : SIP/2.0 400 Bad Request\n"
        b"Via: SIP/2.0/UDP 192.168.1.198:5060;rport=5060;branch=z9hG4bK-3539\n"
        b'CSeq: 1 INVITE\n\n<?xml version="1.0"?>\n<ErrorInfo>\n<ErrorCode>2207</ErrorCode>\n'
    )
    (event,) = parse_all(data)
    # "transmit" in the Java package name says nothing about the direction.
    assert (event.code, event.method, event.direction) == ("400", "INVITE", Direction.UNKNOWN)


def test_quoted_copies_of_a_start_line_are_not_messages() -> None:
    data = b'<message\nisSender="true"\nfirstLine="SIP/2.0 200 OK"\n>\n' + WVP_503
    assert [e.code for e in parse_all(data)] == ["503"]


def test_require_wrapper_ignores_messages_without_a_direction_line() -> None:
    bare = WVP_503[WVP_503.index(b"SIP/2.0 503") :]
    parsed = SipParser(SipOptions(require_wrapper=True)).parse(bare + WVP_OUT_REGISTER, final=True)
    assert [e.method for e in parsed.events] == ["REGISTER"]
    assert parsed.ignored == 1


def test_english_wrappers_name_the_direction() -> None:
    asterisk_in = (
        b"[2023-09-01 23:19:35.558-0400] VERBOSE[30874]: <--- Received SIP request (1286 bytes)"
        b" from UDP:167.98.76.54:5060 --->\n"
        b"INVITE sip:1181179609@50.12.34.56:5060 SIP/2.0\nCSeq: 30147 INVITE\n\n"
    )
    freeswitch_out = (
        b"send 414 bytes to udp/[10.0.0.2]:5064 at 17:28:37.346923:\n" + b"-" * 72 + b"\n"
        b"ACK sip:atpsh@10.0.0.2:5064 SIP/2.0\nCSeq: 34134854 ACK\n\n"
    )
    kamailio_in = (
        b"====================\ntag: rcv\npid: 2501\nprocess: 1\ntime: 1695111111.123\n"
        b"proto: udp\nsrcip: 10.0.0.1\nsrcport: 5060\ndstip: 10.0.0.2\ndstport: 5060\n"
        b"~~~~~~~~~~~~~~~~~~~~\nSIP/2.0 180 Ringing\nCSeq: 2 INVITE\n\n||||||||||||||||||||\n"
    )
    events = parse_all(asterisk_in + freeswitch_out + kamailio_in)
    assert [(e.method, e.code, e.direction) for e in events] == [
        ("INVITE", "", Direction.IN),
        ("ACK", "", Direction.OUT),
        ("INVITE", "180", Direction.IN),
    ]


def test_gbk_logs_have_their_chinese_wrappers_read_in_gbk() -> None:
    gbk = WVP_503.decode().encode("gbk")
    (event,) = parse_all(gbk, encoding="gbk")
    assert event.direction is Direction.IN


def test_rsyslog_escaped_messages_are_read_when_asked() -> None:
    one_line = WVP_503.replace(b"\r\n", b"#015#012") + b"\n"
    (hidden,) = parse_all(one_line)
    assert (hidden.code, hidden.method) == ("503", "")  # the CSeq stays behind the escapes
    (event,) = parse_all(one_line, syslog_escapes=True)
    assert (event.code, event.method) == ("503", "INVITE")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048), st.booleans())
def test_any_bytes_parse_without_raising_and_consume_a_prefix(data: bytes, final: bool) -> None:
    parsed = SipParser(SipOptions()).parse(data, final=final)
    assert 0 <= parsed.consumed <= len(data)
    if final:
        assert parsed.consumed == len(data)


@pytest.mark.system  # slow
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([WVP_503, WVP_OUT_REGISTER, GOSIP_401, b"noise\n", b"\n"]), max_size=12
    ),
    st.integers(min_value=1, max_value=500),
)
def test_any_mix_of_messages_counts_the_same_however_it_is_cut(
    pieces: list[bytes], size: int
) -> None:
    data = b"".join(pieces)
    whole = Counter((e.method, e.code) for e in parse_all(data))
    assert Counter((e.method, e.code) for e in fed_in_pieces(data, size)) == whole


# Per-line prefixes as container runtimes, journals and supervisors write them (the line
# shapes of `docker logs --timestamps`, `kubectl logs --timestamps --prefix`, `docker
# compose logs`, `journalctl -o short` and `-o short-iso`, pm2 and `seq|time|` loggers).
LINE_PREFIXES = {
    "docker --timestamps": b"2024-05-02T10:00:01.123456789Z ",
    "kubectl --prefix --timestamps": b"[pod/wvp-0/wvp] 2024-05-02T10:00:01.123456789Z ",
    "docker compose": b"wvp-1  | ",
    "docker compose --timestamps": b"wvp-1  | 2024-05-02T10:00:01.123456789Z ",
    "journalctl short": b"May 02 10:00:01 nvr-host wvp[1234]: ",
    "journalctl short-iso": b"2024-05-02T10:00:01+0800 nvr-host wvp[1234]: ",
    "syslog with a space-padded day": b"May  2 10:00:01 nvr-host kamailio[88]: ",
    "pm2": b"15|wvp-pro | ",
    "seq|time|": b"1234|10:00:01.123|",
    "android logcat": b"2019-10-14 18:27:39.354 17220-17220/org.linphone.debug I/Linphone: ",
    "logcat -v threadtime": b"10-14 18:27:39.354 17220 17235 I Linphone: ",
    "apple console": b"2020-03-29 01:25:05.125522+0530 linphone[68064:1643374] [Message] ",
}


def with_prefix(data: bytes, prefix: bytes) -> bytes:
    return b"".join(prefix + line for line in data.splitlines(keepends=True))


def labels(events: list[Event]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (e.kind.value, e.direction.value, e.method, e.code, e.call_id, e.branch) for e in events
    ]


@pytest.mark.parametrize("prefix", LINE_PREFIXES.values(), ids=LINE_PREFIXES.keys())
def test_a_prefix_on_every_physical_line_is_stripped_before_framing(prefix: bytes) -> None:
    data = WVP_503 + WVP_OUT_REGISTER + GOSIP_401
    assert labels(parse_all(with_prefix(data, prefix))) == labels(parse_all(data))
    assert [e.method for e in parse_all(with_prefix(data, prefix))] == [
        "INVITE",
        "REGISTER",
        "REGISTER",
    ]


@pytest.mark.parametrize("prefix", LINE_PREFIXES.values(), ids=LINE_PREFIXES.keys())
def test_a_prefixed_events_offset_is_its_line_start_as_logged(prefix: bytes) -> None:
    data = with_prefix(WVP_503 + WVP_OUT_REGISTER, prefix)
    parsed = SipParser(SipOptions()).parse(data, final=True)
    starts = [data[at : data.index(b"\n", at)] for at in parsed.offsets]
    assert [line.removeprefix(prefix)[:12] for line in starts] == [
        b"SIP/2.0 503 ",
        b"REGISTER sip",
    ]
    assert all(line.startswith(prefix) for line in starts)


def test_a_docker_time_stamp_dates_the_message_it_prefixes() -> None:
    data = with_prefix(WVP_503, b"2024-05-02T10:00:01.250000000Z ")
    stream = RecordStream(SipParser(SipOptions()), 65536, clock=FileClock(TimeSettings(UTC, 2024)))
    batch = stream.feed(data)
    batch.merge(stream.finish())
    assert batch.times == [datetime(2024, 5, 2, 10, 0, 1, 250000, tzinfo=UTC).timestamp()]


def test_a_log_pattern_before_only_a_messages_first_line_is_not_a_per_line_prefix() -> None:
    lines = WVP_503.splitlines(keepends=True)
    # A Java logger's stamp before the wrapper line only: the headers carry none.
    assert labels(parse_all(b"".join(lines))) == labels(parse_all(WVP_503))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from([WVP_503, WVP_OUT_REGISTER, GOSIP_401, b"noise\n", b"\n"]),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(sorted(LINE_PREFIXES.values())),
    st.integers(min_value=1, max_value=700),
)
def test_prefix_stripping_never_invents_or_loses_a_message(
    pieces: list[bytes], prefix: bytes, size: int
) -> None:
    data = b"".join(pieces)
    prefixed = with_prefix(data, prefix)
    plain = Counter(labels(parse_all(data)))
    assert Counter(labels(parse_all(prefixed))) == plain
    assert Counter(labels(fed_in_pieces(prefixed, size))) == plain


def test_wvps_short_arrow_copy_of_a_received_response_is_not_counted_again() -> None:
    # JAIN-SIP logs each response it receives twice; wvp wraps the second with `来自->`
    # (ServerLoggerImpl.logMessage with a status, since 2023-02).
    copy = WVP_503.replace("接收：来自--->".encode(), "接收：来自->".encode())
    assert copy != WVP_503
    for options in ({}, {"require_wrapper": True}):
        events = parse_all(WVP_503 + copy, **options)
        assert [(e.code, e.direction) for e in events] == [("503", Direction.IN)]
    assert SipParser(SipOptions()).parse(WVP_503 + copy, final=True).ignored == 1


@pytest.mark.parametrize(
    ("wrapper", "direction"),
    [
        # pjsua_core.c logging_on_rx_msg / logging_on_tx_msg
        (b"10:00:00.137   pjsua_core.c  .RX 322 bytes Response msg 503/INVITE/cseq=1 "
         b"(rdata0x7f3c2c010001) from UDP 10.0.0.20:5060:", Direction.IN),
        (b"10:00:00.137   pjsua_core.c  .TX 322 bytes Response msg 503/INVITE/cseq=1 "
         b"(tdta0x7f3c2c010001) to UDP 10.0.0.20:5060:", Direction.OUT),
        # belle-sip channel.c
        (b"2024-05-02 10:00:00:137 belle-sip-message-channel [0x55d0] message received "
         b"from [udp://10.0.0.20:5060], size: [322]", Direction.IN),
        (b"2024-05-02 10:00:00:137 belle-sip-message-channel [0x55d0] sending [322] bytes "
         b"to [udp://10.0.0.20:5060]", Direction.OUT),
        # wvp 2022: `logger.debug("\n收到响应：\n{}", response)`
        ("收到响应：".encode(), Direction.IN),
    ],
)  # fmt: skip
def test_pjsip_belle_sip_and_old_wvp_wrappers_name_the_direction(
    wrapper: bytes, direction: Direction
) -> None:
    message = WVP_503[WVP_503.index(b"SIP/2.0 503") :]
    (event,) = parse_all(wrapper + b"\n" + message)
    assert (event.code, event.method, event.direction) == ("503", "INVITE", direction)


def escaped(message: bytes) -> bytes:
    """A message as a JSON encoder writes it inside a string (Go's escapes <, > and &)."""
    text = message.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    text = text.replace(b"\r", b"\\r").replace(b"\n", b"\\n")
    return text.replace(b"<", b"\\u003c").replace(b">", b"\\u003e")


SIP_ONLY_503 = WVP_503[WVP_503.index(b"SIP/2.0 503") :]
SIP_ONLY_REGISTER = WVP_OUT_REGISTER[WVP_OUT_REGISTER.index(b"REGISTER sip") :]


def test_a_message_embedded_in_a_json_line_with_escaped_line_ends_is_framed() -> None:
    data = (
        b'{"level":"debug","ts":"2024-05-02T10:00:01.123+0800","msg":"recv","sip":"'
        + escaped(SIP_ONLY_503)
        + b'"}\n{"level":"debug","ts":"2024-05-02T10:00:02.000+0800","msg":"send","sip":"'
        + escaped(SIP_ONLY_REGISTER)
        + b'"}\n'
    )
    parsed = SipParser(SipOptions()).parse(data, final=False)
    assert labels(parsed.events) == [
        ("response", "in", "INVITE", "503", "b7abd1238508e8610062145682f19272@192.168.108.180",
         "z9hG4bK7223329939"),
        ("request", "out", "REGISTER", "", "reg-1@192.168.141.61", "z9hG4bK1"),
    ]  # fmt: skip
    assert parsed.events[0].to_user == "34020000001310000006"
    assert parsed.consumed == len(data)
    # Each event's record is its log line, where the logger's time stamp is.
    assert parsed.offsets == [0, data.index(b"\n") + 1]


def test_a_message_embedded_in_a_text_line_with_escaped_line_ends_is_framed() -> None:
    data = b"2024-05-02 10:00:01.123 DEBUG sip recv: " + escaped(SIP_ONLY_503) + b"\n"
    (event,) = parse_all(data)
    assert (event.code, event.method, event.direction) == ("503", "INVITE", Direction.IN)


def test_an_escaped_line_end_outside_a_message_frames_nothing() -> None:
    data = b'{"msg":"device said \\"SIP/2.0 is fine\\"\\r\\n bye"}\n'
    assert parse_all(data) == []


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from([SIP_ONLY_503, SIP_ONLY_REGISTER]), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=400),
)
def test_escaped_messages_count_the_same_however_the_file_is_cut(
    messages: list[bytes], size: int
) -> None:
    data = b"".join(b'{"msg":"recv","sip":"' + escaped(m) + b'"}\n' for m in messages)
    expected = Counter(labels(parse_all(b"received\n" + b"received\n".join(messages))))
    assert Counter(labels(parse_all(data))) == expected
    assert Counter(labels(fed_in_pieces(data, size))) == expected


# `tcpdump -nqt -s 0 -A port 5060`: the packet's IP and UDP headers printed as text, dots
# for what cannot be shown, glued to the start line (shape from a published capture).
TCPDUMP_A = (
    b"IP 10.0.0.5.5060 > 85.26.114.2.5060: UDP, length 252\n"
    b"E.......@......3U..r..o....uOPTIONS sip:100@85.26.114.2 SIP/2.0\n"
    b"Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK0\n"
    b"From: sip:pinger@kamailio.org;tag=532c3365\n"
    b"To: sip:100@85.26.114.2\n"
    b"Call-ID: 085dfe91-025420f2-2812823@10.0.0.5\n"
    b"CSeq: 10 OPTIONS\n"
    b"Content-Length: 0\n\n"
    b"IP 85.26.114.2.5060 > 10.0.0.5.5060: UDP, length 455\n"
    b"E.......u.!'U..r...3o.......SIP/2.0 200 OK\n"
    b"Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK0\n"
    b"To: <sip:100@85.26.114.2>;tag=771cf100\n"
    b"From: <sip:pinger@kamailio.org>;tag=532c3365\n"
    b"Call-ID: 085dfe91-025420f2-2812823@10.0.0.5\n"
    b"CSeq: 10 OPTIONS\n"
    b"Content-Length: 0\n\n"
)


def test_tcpdump_ascii_output_frames_start_lines_behind_the_packet_headers() -> None:
    events = parse_all(TCPDUMP_A)
    assert [(e.kind.value, e.method, e.code, e.cseq) for e in events] == [
        ("request", "OPTIONS", "", "10"),
        ("response", "OPTIONS", "200", "10"),
    ]


def test_ngrep_byline_output_frames_each_message() -> None:
    # `ngrep -W byline port 5060`: `#` lines name the packet, CR shown as a trailing dot.
    data = (
        b"#\nU 10.0.0.20:5060 -> 10.0.0.10:5060 #12\n"
        b"SIP/2.0 486 Busy Here.\nVia: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bK77.\n"
        b"Call-ID: c1@10.0.0.10.\nCSeq: 3 INVITE.\nContent-Length: 0.\n.\n"
    )
    (event,) = parse_all(data)
    assert (event.code, event.method, event.cseq) == ("486", "INVITE", "3")
