"""The benchmark corpus: a seeded, realistic GB28181 platform log and its ground truth.

Owns what the benchmark reads: wvp-GB28181-pro `sip-log` dumps from the demo's traffic
generator (registrations with digest auth, keepalives, catalog queries, live-view INVITEs,
408 and 503 bursts), with the platform's other log lines (media hooks, keepalive and
play bookkeeping, SQL) between the exchanges as noise, and the counts a correct reader
must find in it. The same seed and size always give the same bytes.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from exporter.demo import Message, Traffic, render

SEED = 5060
_START = datetime(2024, 1, 8, 0, 0, 0)

# Lines the platform logs between SIP messages. None holds a SIP start line, so every
# tool in the benchmark sees the same status lines.
_NOISE = (
    "{when} [http-nio-18099-exec-{n}]  INFO --- c.genersoft.iot.vmp.media.zlm."
    "ZLMHttpHookListener: 486 [ZLM HOOK]流无人观看：zlmediakit-local->rtp/{device}_{n}",
    "{when} [wvp-{n}] DEBUG c.g.iot.vmp.gb28181.transmit.event.request.impl.message.notify.cmd."
    "KeepaliveNotifyMessageHandler:95 - [收到心跳] device: {device}",
    "{when} [http-nio-18099-exec-{n}] INFO  c.g.iot.vmp.service.impl.PlayServiceImpl:290 - "
    "[点播成功] deviceId: {device}, channelId: {device}",
    "{when} [scheduling-1] DEBUG c.g.iot.vmp.storager.dao.DeviceMapper.update - ==>  "
    "Preparing: UPDATE wvp_device SET keepalive_time=? WHERE device_id=?",
    "{when} [scheduling-1] DEBUG c.g.iot.vmp.storager.dao.DeviceMapper.update - ==> "
    "Parameters: {when}(String), {device}(String)",
)


@dataclass(slots=True)
class Truth:
    """What the corpus holds, counted while it was written."""

    lines: int = 0
    bytes: int = 0
    messages: int = 0
    noise_lines: int = 0
    # (direction, method, code) for responses; (direction, method) for requests
    responses: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)

    def codes(self) -> Counter[str]:
        """Responses by code alone, as a tool that reads only status lines sees them."""
        by_code: Counter[str] = Counter()
        for (_, _, code), count in self.responses.items():
            by_code[code] += count
        return by_code

    def count(self, message: Message) -> None:
        self.messages += 1
        head = message.start_line.split(" ")
        if head[0] == "SIP/2.0":
            self.responses[(message.direction, message.method, head[1])] += 1
        else:
            self.requests[(message.direction, message.method)] += 1


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def generate(path: Path, messages: int, seed: int = SEED) -> Truth:
    """Write a log of about `messages` SIP messages (whole exchanges) to `path`."""
    traffic = Traffic(seed=seed, cameras=200)
    noise = random.Random(seed)
    truth = Truth()
    moment = _START
    with path.open("w", encoding="utf-8", newline="") as out:
        while truth.messages < messages:
            moment += timedelta(milliseconds=noise.randint(1, 40))
            parts = []
            for n, message in enumerate(traffic.exchange()):
                truth.count(message)
                parts.append(render(message, moment, f"Thread-{100 + n}"))
            for _ in range(noise.choice((0, 1, 1, 2, 3))):
                template = noise.choice(_NOISE)
                device = f"3402000000132000{noise.randint(1, 200):04d}"
                parts.append(
                    template.format(when=_stamp(moment), n=noise.randint(1, 50), device=device)
                    + "\n"
                )
                truth.noise_lines += 1
            text = "".join(parts)
            truth.lines += text.count("\n")
            out.write(text)
    truth.bytes = path.stat().st_size
    return truth
