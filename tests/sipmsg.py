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


# --- Whole transactions, stamped with the time they are logged -----------------------
#
# `dump`, `request` and `response` above give every message its own Call-ID and CSeq, so
# none of them belongs to another's transaction. A `Transaction` renders the messages of
# one exchange between the platform and a GB/T 28181 peer the way wvp logs them: the
# request and its responses share Call-ID, CSeq and Via branch, the responses repeat From
# and To (To with the callee's tag), and each message carries the time it is logged at,
# so response times, timeouts and session durations follow from the log.

PLATFORM = "34020000002000000001"  # type 200: a SIP server, the logging platform
PLATFORM_ADDRESS = "192.168.108.180:5060"
DOMAIN = "3402000000"
_PHRASES = {
    100: "Trying",
    200: "OK",
    301: "Moved Permanently",
    401: "Unauthorized",
    403: "Forbidden",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
}
_IDS = itertools.count(1)


def stamp(when: datetime) -> str:
    """A time as wvp writes it: local time to the millisecond."""
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def peer_address(peer: str) -> str:
    """A stable address for a device ID (by its type code and serial number)."""
    return f"192.168.141.{(int(peer[10:13]) + int(peer[-6:])) % 200 + 20}:5060"


def logged(message_lines: list[str], sent: bool, peer: str, when: datetime) -> str:
    """One message as wvp logs it: the peer line, the 发送/接收 wrapper, the CRLF message."""
    n = next(_IDS)
    wrapper = "发送：目标--->" if sent else "接收：来自--->"
    at = stamp(when)
    return (
        f"{at} [Thread-{n % 200}] INFO  {_LOGGER} - Setting SIPMessage peerPacketSource "
        f"to: /{peer_address(peer).split(':')[0]}:5060\n"
        f"{at} [Thread-{n % 200}] INFO  {_LOGGER} - {wrapper}{peer_address(peer)}\n"
        + "\r\n".join([*message_lines, "Content-Length: 0", "", ""])
    )


class Transaction:
    """One request between the platform and `peer` (a 20-digit ID) and its responses.

    `direction` is the request's, seen from the platform: "out", the platform asks the
    peer (an INVITE for live video, a catalogue query); "in", the peer asks the platform
    (a keepalive, a REGISTER). Responses go the other way.
    """

    def __init__(
        self,
        method: str,
        peer: str,
        direction: str = "out",
        *,
        call_id: str | None = None,
        cseq: int = 1,
        from_tag: str | None = None,
        to_tag: str | None = None,
    ) -> None:
        n = next(_IDS)
        self.method = method
        self.peer = peer
        self.direction = direction
        self.call_id = call_id or f"{n:032x}@{self._sender_address().split(':')[0]}"
        self.cseq = cseq
        self.branch = f"z9hG4bK{n:010d}"
        self.from_tag = from_tag or f"{n * 31 % 999983}"
        self.to_tag = to_tag or f"{n * 17 % 999983}"

    @property
    def caller(self) -> str:
        return PLATFORM if self.direction == "out" else self.peer

    @property
    def callee(self) -> str:
        return self.peer if self.direction == "out" else PLATFORM

    def _sender_address(self) -> str:
        return PLATFORM_ADDRESS if self.direction == "out" else peer_address(self.peer)

    def _headers(self, method: str, to_tag: bool) -> list[str]:
        tag = f";tag={self.to_tag}" if to_tag else ""
        return [
            f"Via: SIP/2.0/UDP {self._sender_address()};branch={self.branch};rport",
            f"From: <sip:{self.caller}@{DOMAIN}>;tag={self.from_tag}",
            f"To: <sip:{self.callee}@{DOMAIN}>{tag}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} {method}",
            "Max-Forwards: 70",
        ]

    def request(self, when: datetime, *, in_dialog: bool = False) -> str:
        """The request; `in_dialog` for one inside an established dialog (BYE, ACK)."""
        start = f"{self.method} sip:{self.callee}@{DOMAIN} SIP/2.0"
        lines = [start, *self._headers(self.method, to_tag=in_dialog)]
        return logged(lines, sent=self.direction == "out", peer=self.peer, when=when)

    def response(self, code: int, when: datetime) -> str:
        """A response to the request; all but 100 Trying carry the callee's tag."""
        start = f"SIP/2.0 {code} {_PHRASES.get(code, 'Whatever')}"
        lines = [start, *self._headers(self.method, to_tag=code != 100)]
        return logged(lines, sent=self.direction == "in", peer=self.peer, when=when)

    def ack(self, when: datetime, *, answered: bool) -> str:
        """The ACK of an INVITE: for a 2xx a request of its own (a new branch), for a
        failure part of the INVITE's transaction (the same branch); the INVITE's CSeq."""
        ack = self._sibling("ACK", self.cseq) if answered else self
        start = f"ACK sip:{self.callee}@{DOMAIN} SIP/2.0"
        lines = [start, *ack._headers("ACK", to_tag=True)]
        return logged(lines, sent=self.direction == "out", peer=self.peer, when=when)

    def in_dialog(self, method: str) -> Transaction:
        """The next transaction of this dialog (the BYE after an answered INVITE): same
        Call-ID and tags, the next CSeq, a new branch."""
        return self._sibling(method, self.cseq + 1)

    def _sibling(self, method: str, cseq: int) -> Transaction:
        return Transaction(
            method,
            self.peer,
            self.direction,
            call_id=self.call_id,
            cseq=cseq,
            from_tag=self.from_tag,
            to_tag=self.to_tag,
        )
