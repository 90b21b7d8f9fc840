"""wvp-GB28181-pro's one-line records: failed responses and the platform's error codes.

Owns the templates of the always-on wvp log lines that carry a SIP code (or wvp's own
pseudo-code -1024), which SIP method and direction each template stands for, and finding
them in a block of bytes.

Nothing of the log pattern is parsed: wvp has used at least three (logback file, logback
console, Spring Boot's default) and may sit behind a supervisor prefix (`15|wvp-pro | `).
Each template is found by its own anchor words wherever it sits on a line, which is also
why a line number such as `ZLMHttpHookListener: 486 [ZLM HOOK]…` can never be read as a
code. The anchors are encoded with the source's encoding once, so the bytes are searched
as they are and only a kept reason is decoded.

Direction is seen from wvp: a failure wvp reports about its own request (a live view, a
playback, a heartbeat or catalog sent to a parent platform) is the answer it received,
so `in`; `回复401` is wvp answering a device's REGISTER, so `out`. wvp reports a failed
live view twice (the generic `接收到失败的response响应` line, then `[点播失败]`); both
count, as the log says them: one without a method, one as INVITE.

A template whose anchor ends in a labelled code (`status：`, `code：`) but whose value is
not an integer ending at a comma or the line's end is counted as malformed (a JVM killed
mid-line leaves `status：` with the next start's `2024-05-02 …` glued on).
`[点播失败]` and `[录像回放] 失败，` are also used by wvp without a code (`[点播失败]
前门(3402…)` before a stack trace), so for those the code is part of the anchor and
other lines are simply not records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.events import Direction, Event, Kind
from exporter.formats.base import Parsed, complete_end
from exporter.formats.common import encode_pattern, require_encoding
from exporter.formats.options import WvpOptions

# Written as text; `encode_pattern` turns every non-ASCII character into its bytes in the
# source encoding. Only [ \t] is used for spacing so that no match runs into the next
# line, and full-width punctuation is always offered beside its ASCII form because wvp's
# templates mix them (`status：503,message:…`).
_SP = r"[ \t]*"
_COLON = r"(?:：|:)"
_COMMA = r"(?:，|,)"
_CODE = r"(?P<code>-?[0-9]+)\b"
# Where a labelled code must end: at a comma or at the end of the line. A line cut off
# after `status：` and run into the next record (a killed JVM) must not yield the year.
_LABELLED_CODE = rf"{_CODE}(?={_SP}(?:,|，|\r?$))"
_REST = r"(?P<reason>[^\r\n]*)"
_ID = r"(?P<user>[0-9A-Za-z]+)"
# Read at one position only (found with rfind), never searched: a reason made of long runs
# of spaces must not make the engine backtrack through every start.
_CHANNEL_TAIL = re.compile(
    rb"deviceId[ \t]*:[ \t]*[0-9A-Za-z]*[ \t]*,[ \t]*channelId[ \t]*:[ \t]*([0-9A-Za-z]+)[ \t]*$"
)


def _labelled_code_then(label: str) -> str:
    """A labelled code, then `, {label}: {reason}`; the code may be unreadable, which
    makes the line malformed rather than no record at all."""
    return rf"(?:{_LABELLED_CODE}(?:{_SP}{_COMMA}{_SP}{label}{_SP}{_COLON}{_SP}{_REST})?)?"


@dataclass(frozen=True, slots=True)
class _Template:
    """One kind of wvp line: its pattern and what it says about the SIP exchange.

    `code` is the code the template always means when its pattern has no code group
    (`回复401`); `cut` lists texts that end the reason (what wvp appends after it). The
    pattern's `user` group is the To user, and the From user too when `user_is_from`;
    `channel_tail` reads the To user from a `deviceId: …, channelId:…` after the reason.
    """

    pattern: str
    method: str
    direction: Direction
    code: str = ""
    cut: tuple[str, ...] = ()
    user_is_from: bool = False
    channel_tail: bool = False


_TEMPLATES: tuple[_Template, ...] = (
    # SIPProcessorObserver: every final failure response wvp receives, any method. Some
    # builds append " response = {}" with the whole message; the reason ends there.
    _Template(
        rf"接收到失败的response响应(?:！|!)?{_SP}status{_SP}{_COLON}{_SP}"
        + _labelled_code_then("message"),
        method="",
        direction=Direction.IN,
        cut=(" response = ",),
    ),
    # `[点播失败]{code}:{msg} deviceId: {id}, channelId:{id}`: the answer to wvp's live-view
    # INVITE (-1024 when none came). The channel is the INVITE's To user.
    _Template(
        rf"\[点播失败\]{_SP}{_CODE}{_SP}{_COLON}{_REST}",
        method="INVITE",
        direction=Direction.IN,
        channel_tail=True,
    ),
    # `[录像回放] 失败，{code} {msg}`: the answer to wvp's playback INVITE.
    _Template(
        rf"\[录像回放\]{_SP}失败{_COMMA}{_SP}{_CODE}{_SP}{_REST}",
        method="INVITE",
        direction=Direction.IN,
    ),
    # `[国标级联] 发送心跳收到错误，code： {code}, msg: {msg}`: the parent platform's answer
    # to wvp's Keepalive, which GB/T 28181 sends as a MESSAGE. Older builds have no space
    # after the tag.
    _Template(
        rf"\[国标级联\]{_SP}发送心跳收到错误{_COMMA}?{_SP}code{_SP}{_COLON}{_SP}"
        + _labelled_code_then("msg"),
        method="MESSAGE",
        direction=Direction.IN,
    ),
    # `[目录推送失败] 国标级联 platform : {id}, code: {code}, msg: {msg}, 停止发送`: the
    # parent's answer to one page of wvp's catalog response. wvp sends those pages
    # (sendCatalogResponse) as MESSAGE requests with a MANSCDP `<Response><CmdType>Catalog`
    # body; NOTIFY is only used for catalog *subscriptions*, which log other words.
    _Template(
        rf"\[目录推送失败\]{_SP}国标级联{_SP}platform{_SP}{_COLON}{_SP}{_ID}{_SP}{_COMMA}"
        rf"{_SP}code{_SP}{_COLON}{_SP}" + _labelled_code_then("msg"),
        method="MESSAGE",
        direction=Direction.IN,
        cut=(", 停止发送", "，停止发送"),
    ),
    # `[注册请求] 设备：{id}, 回复401: {addr}` (and `[注销请求]` for an unregister): wvp
    # challenging a device's REGISTER. A REGISTER's From and To are both the device.
    _Template(
        rf"\[注(?:册|销)请求\]{_SP}(?:设备{_SP}{_COLON}{_SP}{_ID}{_SP}{_COMMA}{_SP})?回复401",
        method="REGISTER",
        direction=Direction.OUT,
        code="401",
        user_is_from=True,
    ),
)


@dataclass(frozen=True, slots=True)
class _Compiled:
    template: _Template
    regex: re.Pattern[bytes]
    cut: tuple[bytes, ...]


class WvpParser:
    """Parser for wvp-GB28181-pro's one-line records (see the module docstring)."""

    def __init__(self, options: WvpOptions) -> None:
        require_encoding(options.encoding)
        self._encoding = options.encoding
        self._templates = tuple(
            _Compiled(
                t,
                re.compile(encode_pattern(t.pattern, options.encoding), re.MULTILINE),
                tuple(c.encode(options.encoding) for c in t.cut),
            )
            for t in _TEMPLATES
        )

    def parse(self, data: bytes, *, final: bool) -> Parsed:
        end = complete_end(data, final)
        found: list[tuple[int, Event]] = []
        malformed = 0
        # One pass per template: each pattern starts with a literal, which the regex
        # engine finds with a fast scan, so a few passes beat one pass over an alternation.
        for compiled in self._templates:
            for match in compiled.regex.finditer(data, 0, end):
                event = self._event(compiled, match)
                if event is None:
                    malformed += 1
                else:
                    found.append((match.start(), event))
        found.sort(key=lambda item: item[0])
        offsets = [data.rfind(b"\n", 0, at) + 1 for at, _ in found]
        return Parsed([event for _, event in found], end, malformed, 0, offsets)

    def _event(self, compiled: _Compiled, match: re.Match[bytes]) -> Event | None:
        """The event a template match stands for, or None when its code is unreadable."""
        template = compiled.template
        groups = compiled.regex.groupindex
        code = template.code
        if "code" in groups:
            raw = match.group("code")
            if raw is None:
                return None
            code = raw.decode("ascii")
        reason = match.group("reason") if "reason" in groups else None
        user = match.group("user") if "user" in groups else None
        if template.channel_tail and reason:
            reason, user = _split_channel(reason)
        user_text = user.decode("ascii") if user else ""
        return Event(
            Kind.RESPONSE,
            direction=template.direction,
            method=template.method,
            code=code,
            reason=self._reason(reason, compiled),
            from_user=user_text if template.user_is_from else "",
            to_user=user_text,
        )

    def _reason(self, raw: bytes | None, compiled: _Compiled) -> str:
        if not raw:
            return ""
        for cut in compiled.cut:
            at = raw.find(cut)
            if at >= 0:
                raw = raw[:at]
        return raw.decode(self._encoding, "replace").strip()


def _split_channel(reason: bytes) -> tuple[bytes, bytes | None]:
    """A `[点播失败]` reason without its `deviceId: …, channelId:…` tail, and the channel."""
    at = reason.rfind(b"deviceId")
    tail = _CHANNEL_TAIL.match(reason, at) if at >= 0 else None
    if tail is None:
        return reason, None
    return reason[:at], tail.group(1)
