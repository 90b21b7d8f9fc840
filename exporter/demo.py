"""The demo's traffic: a seeded generator of realistic GB/T 28181 platform logs.

Owns the demo scenario: a platform (wvp-GB28181-pro with `sip-log` on) and its cameras
registering with digest auth, sending keepalives, answering catalog queries and live-view
INVITEs, with occasional 408 bursts (cameras not answering, some not at all) and 503 bursts
(an upstream platform overloaded). Each message is logged after its own delay (answers take
milliseconds to seconds, live views last minutes), so response times, timeouts and session
durations are there to see. Text generation is pure; `write_forever` is the one I/O edge.
"""

from __future__ import annotations

import heapq
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

DOMAIN = "3402000000"
PLATFORM = "34020000002000000001"
PLATFORM_ADDR = "192.168.1.10:5060"


@dataclass(frozen=True, slots=True)
class Message:
    """One SIP message of the scenario; a response's code is in its start line."""

    direction: str  # "in" or "out", as the platform sees it
    start_line: str
    method: str
    cseq: int
    call_id: str
    from_id: str
    to_id: str
    peer: str
    body: str = ""
    delay: float = 0.0  # seconds after the exchange began


def render(message: Message, stamp: datetime, thread: str) -> str:
    """How wvp-GB28181-pro with `sip-log` on logs one message: a peer line, the 接收/发送
    wrapper, then the CRLF message."""
    when = stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
    logger = "com.genersoft.iot.vmp.gb28181.conf.StackLoggerImpl:82"
    word = "接收：来自--->" if message.direction == "in" else "发送：目标--->"
    headers = [
        message.start_line,
        f"Via: SIP/2.0/UDP {message.peer};rport;branch=z9hG4bK{message.call_id[:10]}{message.cseq}",
        f"From: <sip:{message.from_id}@{DOMAIN}>;tag={message.cseq * 7919 % 10**9}",
        f"To: <sip:{message.to_id}@{DOMAIN}>",
        f"Call-ID: {message.call_id}",
        f"CSeq: {message.cseq} {message.method}",
        "User-Agent: WVP-Pro v2.7.0",
    ]
    if message.body:
        headers += [
            "Content-Type: Application/MANSCDP+xml",
            f"Content-Length: {len(message.body.encode())}",
        ]
    else:
        headers.append("Content-Length: 0")
    text = "\r\n".join(headers) + "\r\n\r\n" + message.body
    prefix = f"{when} [{thread}] INFO  {logger} - "
    return (
        f"{prefix}Setting SIPMessage peerPacketSource to: /{message.peer}\n"
        f"{prefix}{word}{PLATFORM_ADDR}\n{text}\n"
    )


@dataclass(frozen=True, slots=True)
class _Dialog:
    """What the messages of one exchange share: Call-ID, first CSeq, From, To, peer."""

    call_id: str
    cseq: int
    from_id: str
    to_id: str
    peer: str

    def say(
        self,
        direction: str,
        start_line: str,
        method: str,
        *,
        step: int = 0,
        delay: float = 0.0,
        body: str = "",
    ) -> Message:
        """One message of the exchange; `step` counts CSeq on (a REGISTER retried, a BYE)."""
        return Message(
            direction,
            start_line,
            method,
            self.cseq + step,
            self.call_id,
            self.from_id,
            self.to_id,
            self.peer,
            body,
            delay,
        )


class Traffic:
    """Generates platform log text; the same seed gives the same log."""

    def __init__(self, seed: int = 28181, cameras: int = 24) -> None:
        self._random = random.Random(seed)
        # Mostly IPCs, some analogue cameras, NVRs and DVRs: GB28181 type codes 132, 131,
        # 118 and 111 in digits 11-13, so that failures show by device type.
        kinds = ("132", "132", "131", "118", "111")
        self._cameras = [f"{DOMAIN}{kinds[n % len(kinds)]}0{n:06d}" for n in range(1, cameras + 1)]
        self._cseq = 0
        self._burst: tuple[str, int] | None = None  # (code, messages left)

    def _call(self) -> tuple[str, int]:
        self._cseq += 1
        return f"{self._random.getrandbits(64):016x}@192.168.1.10", self._cseq

    def _peer(self, camera: str) -> str:
        return f"192.168.{int(camera[-4:-2]) + 20}.{int(camera[-2:]) + 10}:5060"

    def exchange(self) -> list[Message]:
        """One exchange between the platform and a camera: requests and their answers,
        each with its delay from the exchange's start, in order of delay."""
        messages = self._exchange()
        return sorted(messages, key=lambda message: message.delay)

    def _after(self, low: float, high: float) -> float:
        return self._random.uniform(low, high)

    def _exchange(self) -> list[Message]:
        camera = self._random.choice(self._cameras)
        pick = self._random.random()
        if self._burst is None and pick < 0.01:
            self._burst = (self._random.choice(["408", "503"]), self._random.randint(8, 25))
        if self._burst is not None:
            return self._failure(camera)
        if pick < 0.45:
            return self._keepalive(camera)
        if pick < 0.65:
            return self._register(camera)
        if pick < 0.8:
            return self._catalog(camera)
        return self._live_view(camera)

    def _dialog(self, caller: str, callee: str, camera: str) -> _Dialog:
        call, cseq = self._call()
        return _Dialog(call, cseq, caller, callee, self._peer(camera))

    def _keepalive(self, camera: str) -> list[Message]:
        dialog = self._dialog(camera, PLATFORM, camera)
        body = (
            f'<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive'
            f"</CmdType>\r\n<SN>{dialog.cseq}</SN>\r\n<DeviceID>{camera}</DeviceID>\r\n"
            f"<Status>OK</Status>\r\n</Notify>\r\n"
        )
        return [
            dialog.say("in", f"MESSAGE sip:{PLATFORM}@{DOMAIN} SIP/2.0", "MESSAGE", body=body),
            dialog.say("out", "SIP/2.0 200 OK", "MESSAGE", delay=self._after(0.002, 0.015)),
        ]

    def _register(self, camera: str) -> list[Message]:
        dialog = self._dialog(camera, camera, camera)
        uri = f"REGISTER sip:{PLATFORM}@{DOMAIN} SIP/2.0"
        challenged = self._after(0.003, 0.010)
        again = challenged + self._after(0.04, 0.12)
        return [
            dialog.say("in", uri, "REGISTER"),
            dialog.say("out", "SIP/2.0 401 Unauthorized", "REGISTER", delay=challenged),
            dialog.say("in", uri, "REGISTER", step=1, delay=again),
            dialog.say(
                "out", "SIP/2.0 200 OK", "REGISTER", step=1,
                delay=again + self._after(0.005, 0.02),
            ),
        ]  # fmt: skip

    def _catalog(self, camera: str) -> list[Message]:
        dialog = self._dialog(PLATFORM, camera, camera)
        query = (
            f'<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog'
            f"</CmdType>\r\n<SN>{dialog.cseq}</SN>\r\n<DeviceID>{camera}</DeviceID>\r\n"
            "</Query>\r\n"
        )
        # About 80 ms, with a tail to a second.
        answered = self._random.lognormvariate(-2.5, 0.8)
        return [
            dialog.say("out", f"MESSAGE sip:{camera}@{DOMAIN} SIP/2.0", "MESSAGE", body=query),
            dialog.say("in", "SIP/2.0 200 OK", "MESSAGE", delay=answered),
        ]

    def _live_view(self, camera: str) -> list[Message]:
        dialog = self._dialog(PLATFORM, camera, camera)
        invite = dialog.say("out", f"INVITE sip:{camera}@{DOMAIN} SIP/2.0", "INVITE")
        answer = self._random.random()
        if answer < 0.05:
            busy = dialog.say("in", "SIP/2.0 486 Busy Here", "INVITE", delay=self._after(0.05, 0.3))
            return [invite, busy]
        # Most cameras answer within a second or two; a few old DVRs take several.
        answered = self._after(0.3, 2.5) if answer < 0.9 else self._after(3.0, 8.0)
        ended = answered + self._after(20.0, 180.0)
        trying = self._after(0.005, 0.02)
        bye = f"BYE sip:{camera}@{DOMAIN} SIP/2.0"
        return [
            invite,
            dialog.say("in", "SIP/2.0 100 Trying", "INVITE", delay=trying),
            dialog.say("in", "SIP/2.0 200 OK", "INVITE", delay=answered),
            dialog.say("out", f"ACK sip:{camera}@{DOMAIN} SIP/2.0", "ACK", delay=answered + 0.004),
            dialog.say("out", bye, "BYE", step=1, delay=ended),
            dialog.say(
                "in", "SIP/2.0 200 OK", "BYE", step=1, delay=ended + self._after(0.01, 0.06)
            ),
        ]

    def _failure(self, camera: str) -> list[Message]:
        assert self._burst is not None
        code, left = self._burst
        self._burst = (code, left - 1) if left > 1 else None
        dialog = self._dialog(PLATFORM, camera, camera)
        invite = dialog.say("out", f"INVITE sip:{camera}@{DOMAIN} SIP/2.0", "INVITE")
        if code == "408" and self._random.random() < 0.5:
            return [invite]  # a camera gone silent: the transaction times out unanswered
        delay = self._after(0.005, 0.05) if code == "503" else self._after(2.0, 6.0)
        phrase = "Request Timeout" if code == "408" else "Service Unavailable"
        return [invite, dialog.say("in", f"SIP/2.0 {code} {phrase}", "INVITE", delay=delay)]

    def timed(self, stamp: datetime) -> list[tuple[datetime, str]]:
        """The log text of one exchange begun at `stamp`: each message with its own time."""
        return [
            (when, render(message, when, f"Thread-{100 + n}"))
            for n, message in enumerate(self.exchange())
            for when in [stamp + timedelta(seconds=message.delay)]
        ]

    def text(self, stamp: datetime) -> Iterator[str]:
        """The log text of one exchange begun at `stamp`, in the order it is logged."""
        for _, text in self.timed(stamp):
            yield text


def write_forever(
    path: str, stop: threading.Event, rate: float = 20.0, now: Callable[[], datetime] = datetime.now
) -> None:
    """Begin `rate` exchanges a second, appending each message to `path` when its time
    comes, until `stop` is set."""
    traffic = Traffic()
    due: list[tuple[datetime, int, str]] = []  # a heap of messages not written yet
    order = 0
    with open(path, "a", encoding="utf-8", newline="") as log_file:
        while not stop.is_set():
            for when, text in traffic.timed(now()):
                heapq.heappush(due, (when, order, text))
                order += 1
            ready = []
            current = now()
            while due and due[0][0] <= current:
                ready.append(heapq.heappop(due)[2])
            log_file.write("".join(ready))
            log_file.flush()
            stop.wait(1.0 / rate)
