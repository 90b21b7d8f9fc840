"""wvp-GB28181-pro's one-line records: the lines that carry a SIP code, in every build.

Owns finding the templates of exporter/formats/wvp_templates.py in a block of bytes and
turning a match into events. The templates say which method and direction each wording
stands for; this module says how a line is read.

Nothing of the log pattern is parsed: wvp has used at least three (logback file, logback
console, Spring Boot's default) and may sit behind a supervisor prefix (`15|wvp-pro | `).
Each template is found by its own anchor words wherever it sits on a line, which is also
why a line number such as `ZLMHttpHookListener: 486 [ZLM HOOK]…` can never be read as a
code. The anchors are encoded with the source's encoding once, so the bytes are searched
as they are and only a kept reason is decoded.

One search per key (a literal such as `失败`, `回复` or `响应`) finds the lines of a block
that may be records; only the templates of the keys a line holds are tried on it, in
table order, and the first that matches reads it: a line is at most one record (two when the
template also names wvp's answer). Lines holding `命令发送失败` are never records.

Lines that look like records but are none, and why no template reads them:
- `[命令发送失败] 回复200 OK: …`, `… 目录查询回复200OK: …`, `… 不支持的媒体格式，返回415， …`:
  a send that failed with an exception; the parser skips every line holding 命令发送失败.
- `[上级Invite]下级已经开始推流。 回复200OK(SDP)， …`, `[语音喊话] 回复200OK后发现 …`: progress.
- `[国标级联]收到 来自{id}的 注册 回复 {code}, 但是平台信息未查询到!!!` (and the older
  `收到 {id} 注册的{code}请求, 但是平台信息未查询到!!!`): written right after the
  `注册 {code}响应` line of the same response, which is the one counted.
- `[国标级联-语音喊话] 与下级通道建立超时 …， 错误：1/收流超时`: 1 is wvp's stream timeout.
- `[点播失败] 东门球机(3402…), 设备离线`, `[国标级联]：{id},  注册失败: Forbidden `: no code.

wvp reports a failed live view twice (the generic `接收到失败的response响应` line, then
`[点播失败]`); both count, as the log says them: one without a method, one as INVITE.
A template whose anchor ends in a labelled code (`status：`, `code：`) but whose value is
not an integer ending at a comma or the line's end is counted as malformed (a JVM killed
mid-line leaves `status：` with the next start's `2024-05-02 …` glued on). `[点播失败]`
and `[录像回放] 失败，` are also used by wvp without a code (`[点播失败] 前门(3402…)`
before a stack trace), so for those the code is part of the anchor and other lines are
simply not records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.events import Direction, Event, Kind
from exporter.formats.base import Parsed, complete_end
from exporter.formats.common import encode_pattern, require_encoding
from exporter.formats.options import WvpOptions
from exporter.formats.wvp_templates import SKIP, TEMPLATES, Template

# Read at one position only (found with rfind), never searched: a reason made of long runs
# of spaces must not make the engine backtrack through every start.
_CHANNEL_TAIL = re.compile(
    rb"deviceId[ \t]*:[ \t]*[0-9A-Za-z]*[ \t]*,[ \t]*channelId[ \t]*:[ \t]*([0-9A-Za-z]+)[ \t]*$"
)
_LOWEST_SIP, _HIGHEST_SIP = 100, 699


@dataclass(frozen=True, slots=True)
class _Compiled:
    template: Template
    key: bytes
    regex: re.Pattern[bytes]
    cut: tuple[bytes, ...]


class WvpParser:
    """Parser for wvp-GB28181-pro's one-line records (see the module docstring)."""

    def __init__(self, options: WvpOptions) -> None:
        require_encoding(options.encoding)
        encoding = options.encoding
        self._encoding = encoding
        self._templates = tuple(_compile(t, encoding) for t in TEMPLATES)
        keys = dict.fromkeys(t.key for t in TEMPLATES)
        # The last key is SKIP's: a line holding it is tried with no template at all.
        self._keys = (*(k.encode(encoding) for k in keys), SKIP.encode(encoding))
        # Which templates to try on a line, by the set of keys it holds (a bit mask).
        self._plans = tuple(self._plan(held) for held in range(1 << len(self._keys)))

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = complete_end(data, final)
        events: list[Event] = []
        offsets: list[int] = []
        malformed = 0
        lines = self._candidate_lines(data, end)
        for start in sorted(lines):
            stop, held = lines[start]
            found = self._read_line(data, start, stop, held)
            if found is None:
                malformed += 1
                continue
            events += found
            offsets += [start] * len(found)
        return Parsed(events, end, malformed, 0, offsets)

    def _candidate_lines(self, data: bytes, end: int) -> dict[int, tuple[int, int]]:
        """Each line holding a key: where it starts, where it stops, which keys it holds.

        One literal search per key: the bytes find of a few keys is several times faster
        than one regular expression alternating between them.
        """
        lines: dict[int, tuple[int, int]] = {}
        for bit, key in enumerate(self._keys):
            at = data.find(key, 0, end)
            while at >= 0:
                start = data.rfind(b"\n", 0, at) + 1
                stop, held = lines.get(start) or (data.find(b"\n", at, end), 0)
                stop = end if stop < 0 else stop
                lines[start] = (stop, held | 1 << bit)
                at = data.find(key, stop, end)
        return lines

    def _read_line(self, data: bytes, start: int, stop: int, held: int) -> tuple[Event, ...] | None:
        """The events of the line data[start:stop]; None when its code is unreadable."""
        for compiled in self._plans[held]:
            match = compiled.regex.search(data, start, stop)
            if match is not None:
                return self._events(compiled, match)
        return ()

    def _plan(self, held: int) -> tuple[_Compiled, ...]:
        """The templates whose key a line holding the keys `held` holds, in table order."""
        if held >> (len(self._keys) - 1):
            return ()
        keys = {key for bit, key in enumerate(self._keys) if held >> bit & 1}
        return tuple(c for c in self._templates if c.key in keys)

    def _events(self, compiled: _Compiled, match: re.Match[bytes]) -> tuple[Event, ...] | None:
        """The events a template match stands for (None: its code is unreadable)."""
        template = compiled.template
        groups = match.groupdict()
        code = template.code
        if "code" in groups:
            raw = groups["code"]
            if raw is None:
                return None
            code = raw.decode("ascii")
        if template.sip_only and not _LOWEST_SIP <= int(code) <= _HIGHEST_SIP:
            return ()
        reason, user = groups.get("reason"), groups.get("user")
        if template.channel_tail and reason:
            reason, user = _split_channel(reason)
        user_text = user.decode("ascii") if user else ""
        event = Event(
            Kind.RESPONSE,
            direction=template.direction,
            method=template.method,
            code=code,
            reason=self._reason(reason, compiled),
            from_user=user_text if template.user_is_from else "",
            to_user=user_text,
        )
        if not template.answer:
            return (event,)
        return event, Event(Kind.RESPONSE, Direction.OUT, template.method, template.answer)

    def _reason(self, raw: bytes | None, compiled: _Compiled) -> str:
        if not raw:
            return ""
        for cut in compiled.cut:
            at = raw.find(cut)
            if at >= 0:
                raw = raw[:at]
        return raw.decode(self._encoding, "replace").strip()


def _compile(template: Template, encoding: str) -> _Compiled:
    regex = re.compile(encode_pattern(template.pattern, encoding), re.MULTILINE)
    cut = tuple(c.encode(encoding) for c in template.cut)
    return _Compiled(template, template.key.encode(encoding), regex, cut)


def _split_channel(reason: bytes) -> tuple[bytes, bytes | None]:
    """A `[点播失败]` reason without its `deviceId: …, channelId:…` tail, and the channel."""
    at = reason.rfind(b"deviceId")
    tail = _CHANNEL_TAIL.match(reason, at) if at >= 0 else None
    if tail is None:
        return reason, None
    return reason[:at], tail.group(1)
