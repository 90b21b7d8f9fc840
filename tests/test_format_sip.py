"""The SIP message dump format, on bytes."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.events import Direction, Event, Kind
from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import RecordStream

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
