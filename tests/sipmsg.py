"""SIP message dumps as wvp-GB28181-pro writes them with `sip-log` on, for tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

_SEQUENCE = itertools.count(1)
_START = datetime(2024, 1, 8, 11, 0, 0)
_LOGGER = "com.genersoft.iot.vmp.gb28181.conf.StackLoggerImpl:82"


def dump(start_line: str, method: str, direction: str = "in", device: int = 6) -> str:
    """One logged message: the peer line, the 接收/发送 wrapper, the CRLF message."""
    n = next(_SEQUENCE)
    camera = f"340200000013100{device:05d}"
    wrapper = "接收：来自--->" if direction == "in" else "发送：目标--->"
    # Milliseconds apart, as in a busy log: no two messages share a timestamp.
    stamp = _START + timedelta(milliseconds=n)
    when = stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
    message = "\r\n".join(
        [
            start_line,
            f"Via: SIP/2.0/UDP 192.168.108.180:5060;branch=z9hG4bK{n:010d};rport=5060",
            f"From: <sip:34020000002000000001@3402000000>;tag={n * 31 % 99991}",
            f"To: <sip:{camera}@192.168.141.61:5060>;tag={n * 17 % 99991}",
            f"Call-ID: {n:032x}@192.168.108.180",
            f"CSeq: {n} {method}",
            "User-Agent: Embedded Net DVR/NVR/DVS",
            "Content-Length: 0",
            "",
            "",
        ]
    )
    return (
        f"{when} [Thread-{n % 200}] INFO  {_LOGGER} - Setting SIPMessage peerPacketSource "
        f"to: /192.168.141.61:5060\n"
        f"{when} [Thread-{n % 200}] INFO  {_LOGGER} - {wrapper}192.168.108.180:5060\n" + message
    )


def response(code: int, method: str = "INVITE", direction: str = "in") -> str:
    phrases = {
        200: "OK",
        401: "Unauthorized",
        408: "Request Timeout",
        486: "Busy Here",
        503: "Service Unavailable",
    }
    return dump(f"SIP/2.0 {code} {phrases.get(code, 'Whatever')}", method, direction)


def request(method: str = "INVITE", direction: str = "out") -> str:
    return dump(f"{method} sip:34020000001310000006@3402000000 SIP/2.0", method, direction)


def noise(n: int = 1) -> str:
    return "".join(
        f"2024-01-08 11:35:49.595 [http-nio-18099-exec-{i}]  INFO --- "
        f"c.genersoft.iot.vmp.media.zlm.ZLMHttpHookListener: 486 [ZLM HOOK]流无人观看："
        f"zlmediakit-local->hls->rtp/06423DB{i}\n"
        for i in range(n)
    )
