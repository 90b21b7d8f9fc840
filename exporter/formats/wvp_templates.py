"""The wvp-GB28181-pro log lines that carry a SIP status code: one template per wording.

Pure data: each template's text, and the method and direction (seen from wvp: `in` the
answer it received, `out` the one it sent) its code stands for, commented with the wvp
source file and the builds (commit dates) that wrote it. What is no record: `wvp`."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.events import Direction

# Spacing is [ \t] only, so that no match runs into the next line; full-width punctuation
# stands beside its ASCII form because wvp mixes them (`status：503,message:…`).
_SP = r"[ \t]*"
_COLON = r"(?:：|:)"
_COMMA = r"(?:，|,)"
_CODE = r"(?P<code>-?[0-9]+)\b"
# Where a labelled code must end: at a comma or at the end of the line. A line cut off
# after `status：` and run into the next record (a killed JVM) must not yield the year.
_LABELLED_CODE = rf"{_CODE}(?={_SP}(?:,|，|\r?$))"
_REST = r"(?P<reason>[^\r\n]*)"
_ID = r"(?P<user>[0-9A-Za-z]+)"
_ANY_ID = r"[0-9A-Za-z]+"
# A device's REGISTER refused: the newer builds' title and device, then the refusal's words.
_REFUSAL = rf"(?:未携带授权头|密码(?:/SIP服务器ID)?错误){_SP}{_COMMA}?{_SP}"
_REGISTER_TITLE = rf"\[注(?:册|销)请求\]{_SP}(?:设备{_SP}{_COLON}{_SP}{_ID}{_SP}{_COMMA}{_SP})?"


def _labelled_code_then(label: str) -> str:
    """A labelled code, then `, {label}: {reason}` (no label: `, {reason}`); the code may
    be unreadable, which makes the line malformed rather than no record at all."""
    named = rf"{label}{_SP}{_COLON}{_SP}" if label else ""
    return rf"(?:{_LABELLED_CODE}(?:{_SP}{_COMMA}{_SP}{named}{_REST})?)?"


@dataclass(frozen=True, slots=True)
class Template:
    """One wording of a wvp line: its pattern and what it says of the SIP exchange. `key`:
    a literal every matching line holds (only lines holding it are tried). `code`:
    the code when the pattern has no code group. `cut`: texts that end the reason. The
    `user` group is the To user (and the From user when `user_is_from`); `channel_tail`
    reads it from a `deviceId: …, channelId:…` after the reason. `sip_only`: a code outside
    100–699 is no record. `answer`: a code wvp sent back for the same method as well."""

    key: str
    pattern: str
    method: str
    direction: Direction
    code: str = ""
    cut: tuple[str, ...] = ()
    user_is_from: bool = False
    channel_tail: bool = False
    sip_only: bool = False
    answer: str = ""


# Lines holding this are never records: a send that raised (`[命令发送失败] 回复200 OK: …`).
SKIP = "命令发送失败"

IN, OUT = Direction.IN, Direction.OUT

TEMPLATES: tuple[Template, ...] = (
    # --- answers wvp received (in) ------------------------------------------------------
    # gb28181/transmit/SIPProcessorObserver, 2020-05 … today: every final response >= 300
    # but 401, any method. Some builds append " response = {}" with the whole message.
    Template(
        "失败",
        rf"接收到失败的response响应(?:！|!)?{_SP}status{_SP}{_COLON}{_SP}"
        + _labelled_code_then("message"),
        "",
        IN,
        cut=(" response = ",),
    ),
    # PlayServiceImpl, 2024-10-16 (2492b0d63) … today: `[点播失败]{code}:{msg} deviceId: …,
    # channelId:{ch}`, the answer to wvp's live-view INVITE (-1024 when none came).
    Template(
        "失败", rf"\[点播失败\]{_SP}{_CODE}{_SP}{_COLON}{_REST}", "INVITE", IN, channel_tail=True
    ),
    # PlayServiceImpl, 2023-12-15 (3a1fc63d7) … 2024-10-15: the same, code after the ids.
    Template(
        "失败",
        rf"\[点播失败\]{_SP}deviceId{_SP}{_COLON}{_SP}{_ANY_ID}{_SP}{_COMMA}{_SP}channelId{_SP}"
        rf"{_COLON}{_SP}{_ID}{_SP}{_COMMA}{_SP}{_CODE}{_SP}{_COLON}{_SP}{_REST}",
        "INVITE",
        IN,
    ),
    # PlayServiceImpl / PlaybackServiceImpl, 2023-05-08 (c429a34e5) … today: playback INVITE.
    Template("失败", rf"\[录像回放\]{_SP}失败{_COMMA}{_SP}{_CODE}{_SP}{_REST}", "INVITE", IN),
    # PlayServiceImpl, 2023-02-19 (663130df4) … today: `[语音对讲] 失败，{dev}/{ch}, 错误码
    # {code} {msg}`, the answer to wvp's talk INVITE.
    Template(
        "失败",
        rf"\[语音对讲\]{_SP}失败{_COMMA}{_SP}{_ANY_ID}/{_ID}{_SP}{_COMMA}{_SP}错误码{_SP}{_CODE}"
        rf"{_SP}{_REST}",
        "INVITE",
        IN,
    ),
    # gb28181/service/impl/DeviceServiceImpl, 2024-11-26 (4e165fe24) … today: `[同步通道]失败,
    # 编号: {dev}, 错误码： {code}, {msg}`, the device's answer to wvp's Catalog query MESSAGE.
    Template(
        "失败",
        rf"\[同步通道\]{_SP}失败{_COMMA}{_SP}编号{_SP}{_COLON}{_SP}{_ID}{_SP}{_COMMA}{_SP}"
        rf"错误码{_SP}{_COLON}{_SP}" + _labelled_code_then(""),
        "MESSAGE",
        IN,
    ),
    # PlatformServiceImpl, 2022-08-31 (2de4c322f) … today (a space after the tag since
    # 2025-05-22): the parent's answer to wvp's Keepalive, a MESSAGE in GB/T 28181.
    Template(
        "发送心跳",
        rf"\[国标级联\]{_SP}发送心跳收到错误{_COMMA}?{_SP}code{_SP}{_COLON}{_SP}"
        + _labelled_code_then("msg"),
        "MESSAGE",
        IN,
    ),
    # PlatformServiceImpl, the Keepalive's success callback: `[发送心跳] 国标级联 发送心跳,
    # code： 200, msg: OK` 2023-08-10 (dd2ae6578) … 2024-10-28; `[国标级联] 发送心跳,平台{name}
    # ({id}), code： 200, msg: OK` 2024-10-29 (98b4566c6) … 2025-05-21.
    Template(
        "发送心跳",
        rf"(?:\[发送心跳\]{_SP}国标级联{_SP}发送心跳|\[国标级联\]{_SP}发送心跳{_SP}{_COMMA}{_SP}"
        rf"平台[^\r\n]*?\({_ID}\)){_SP}{_COMMA}{_SP}code{_SP}{_COLON}{_SP}"
        + _labelled_code_then("msg"),
        "MESSAGE",
        IN,
    ),
    # SIPCommanderForPlatform, 2023-01-30 (6374a8f2e) … today (`, 停止发送` dropped on one
    # call site 2025-07-07): the parent's answer to a page of wvp's catalog, which wvp
    # sends as a MESSAGE (`<Response><CmdType>Catalog`); NOTIFY is for subscriptions.
    Template(
        "失败",
        rf"\[目录推送失败\]{_SP}国标级联{_SP}platform{_SP}{_COLON}{_SP}{_ID}{_SP}{_COMMA}"
        rf"{_SP}code{_SP}{_COLON}{_SP}" + _labelled_code_then("msg"),
        "MESSAGE",
        IN,
        cut=(", 停止发送", "，停止发送"),
    ),
    # SIPCommanderForPlatform, 2022-03-10 (c1d7f867c) … today: the parent's answer to a
    # catalog, alarm or position NOTIFY of a subscription.
    Template(
        "失败",
        rf"发送NOTIFY通知消息失败{_SP}。?{_SP}错误{_SP}{_COLON}{_SP}{_CODE}{_SP}{_REST}",
        "NOTIFY",
        IN,
    ),
    # RegisterResponseProcessor: the parent's answer (200 or 401) to wvp's REGISTER.
    # `[国标级联]{注册|注销} {code}响应,{id} ` 2022-08-31 (2de4c322f) … 2025-05-21, a space
    # for the comma since 2025-05-22 (243f7f62b); `[{注册|注销} {code}响应]{id} ` 2022-07-29
    # (e05d0aa0a) … 2022-08-30; `收到 {id} {注册|注销}的{code}响应` 2021-03-15 (95889f358) …
    # 2022-07-28; `收到 {id} 的注册/注销{code}响应` 2021-01-07 (54d795317) … 2021-03-14.
    Template(
        "响应",
        rf"(?:\[(?:国标级联\])?注(?:册|销)|收到{_SP}{_ANY_ID}{_SP}(?:的注册/注销|注(?:册|销)的))"
        rf"{_SP}{_CODE}{_SP}响应",
        "REGISTER",
        IN,
    ),
    # RegisterResponseProcessor, 2020-11-24 (ecaf8750d) … 2021-01-06: `收到 {id} 的注册{code}
    # 请求` (sic) ends the line; the same words followed by `, 但是平台信息未查询到!!!` are
    # the after-line of the same response.
    Template("的注册", rf"收到{_SP}{_ANY_ID}{_SP}的注册{_CODE}请求(?={_SP}\r?$)", "REGISTER", IN),
    # RegisterResponseProcessor, the platform's cache missing, written instead of the
    # 响应 line: `收到 {id} 的注册/注销{code}请求, 但是平台缓存信息未查询到!!!` 2021-03-15 …
    # 2022-07-28 (from 2021-01-07 to 2021-03-14 it followed the 响应 line: counted twice
    # there), `[收到注册/注销{code}请求]平台：{id}，但是…` 2022-07-29 … 2022-08-30,
    # `[国标级联]收到注册/注销{code}请求，平台：{id}，但是…` 2022-08-31 … 2025-05-21.
    Template(
        "注册/注销",
        rf"收到(?:{_SP}{_ANY_ID}{_SP}的)?注册/注销{_CODE}请求\]?{_SP}{_COMMA}?{_SP}"
        rf"(?:平台{_SP}{_COLON}{_SP}{_ANY_ID}{_SP}{_COMMA}{_SP})?但是平台缓存信息未查询到",
        "REGISTER",
        IN,
    ),
    # PlatformServiceImpl, 2023-06-19 (8cf5b65e3) … 2025-05-21: the error callback of
    # wvp's REGISTER to a parent, `[国标级联] 平台：{id}注册失败，{code}:{msg}`.
    Template(
        "失败",
        rf"\[国标级联\]{_SP}平台{_SP}{_COLON}{_SP}{_ANY_ID}{_SP}注册失败{_COMMA}{_SP}{_CODE}"
        rf"{_SP}{_COLON}{_SP}{_REST}",
        "REGISTER",
        IN,
    ),
    # BroadcastNotifyMessageHandler, 2022-12-13 (4b827f389) … today: the parent's answer
    # to wvp's Broadcast response MESSAGE, `… 回复失败 platform： {id}， 错误：{code}/{msg}`.
    Template(
        "失败",
        rf"\[国标级联\]{_SP}语音喊话{_SP}回复失败{_SP}platform{_SP}{_COLON}{_SP}{_ID}{_SP}"
        rf"{_COMMA}{_SP}错误{_SP}{_COLON}{_SP}{_CODE}{_SP}/{_REST}",
        "MESSAGE",
        IN,
    ),
    # BroadcastNotifyMessageHandler, 2022-12-13 (4b827f389) … today: the parent's answer
    # to wvp's broadcast INVITE. (`…建立超时 …， 错误：1/收流超时` is no SIP code.)
    Template(
        "失败",
        rf"\[国标级联-语音喊话\]{_SP}与下级通道建立失败[^\r\n]*?错误{_SP}{_COLON}{_SP}{_CODE}"
        rf"{_SP}/{_REST}",
        "INVITE",
        IN,
    ),
    # RecordInfoQueryMessageHandler, 2026-07-08 (95808bf29) … today: the outcome of wvp's
    # RecordInfo query MESSAGE to a device was a code outside 100–699 (wvp's -1024: no
    # answer), then wvp answered the parent's query MESSAGE with 500 (its responseAck
    # writes no line of its own then). Two records: in MESSAGE {code} as logged, like
    # `[点播失败]-1024`, and out MESSAGE 500, which is what went on the wire.
    Template(
        "失败",
        rf"\[录像查询失败\]{_SP}收到非法SIP状态码{_SP}{_COLON}{_SP}{_CODE}",
        "MESSAGE",
        IN,
        answer="500",
    ),
    # --- answers wvp sent (out) ---------------------------------------------------------
    # SIPRequestProcessorParent, 2026-07-08 (95808bf29) … today: a handler asked for an
    # illegal code (often -1024 relayed from a device); the wire carries 500 to a request
    # of any method.
    Template(
        "响应",
        rf"\[SIP响应\]{_SP}非法状态码{_SP}{_COLON}{_SP}-?[0-9]+{_SP}{_COMMA}{_SP}已替换为500",
        "",
        OUT,
        code="500",
    ),
    # RegisterRequestProcessor, a device's REGISTER challenged (401) or refused (403);
    # `[注销请求]` is an unregister (Expires: 0). From and To are both the device.
    #   `[注册请求] 设备：{id}, 回复401: {addr}` / `…密码/SIP服务器ID错误, 回复403: …`
    #       2023-04-03 (f89ef3abf) … today; `[注销请求] …` 2023-08-10 (dd2ae6578) … today
    #   `[注册请求] 回复401: {addr}` 2022-11-10 (2466a2486) … 2023-04-02
    #   `[注册请求] 未携带授权头 回复401: {addr}` 2022-05-13 (175720320) … 2022-11-09
    #   `[注册请求] 密码/SIP服务器ID错误, 回复403: {addr}` 2022-05-13 … 2023-04-02
    #   `[{addr}] 未携带授权头 回复401`, `[{addr}] 密码错误 回复401` (→ 403 2021-09-02,
    #       → `密码/SIP服务器ID错误, 回复403` 2021-11-03) 2021-04-28 (10ae1bba5) … 2022-05-12
    #   `未携带授权头 回复401`, `密码错误 回复401` 2020-11-17 (4cdeeb4a3) … 2021-04-27
    Template(
        "回复",
        rf"(?:{_REGISTER_TITLE}(?:{_REFUSAL})?|{_REFUSAL})回复(?P<code>40[13])",
        "REGISTER",
        OUT,
        user_is_from=True,
    ),
    # MessageRequestProcessor, a Keepalive MESSAGE from an unknown device: `收到[ {id} ]心跳
    # 信息, 但是设备不存在, 回复404` 2021-07-26 (ea32cd267) … 2021-12-02; `…但是设备{不存在|
    # 离线}, 回复401` 2021-04-28 (04f3511fb) … 2021-07-25.
    Template(
        "回复",
        rf"收到\[{_SP}{_ID}{_SP}\]{_SP}心跳信息{_SP}{_COMMA}{_SP}但是设备(?:不存在|离线){_SP}"
        rf"{_COMMA}{_SP}回复(?P<code>[1-6][0-9][0-9])",
        "MESSAGE",
        OUT,
        user_is_from=True,
    ),
    # InviteRequestProcessor, an INVITE (from a parent platform) refused: `通道不存在，返回404[:
    #   {ch}]` 2021-03-26 (f9d30bdfa) … 2024-08, `[上级INVITE] …` 2024-08-12 (213b218ef) … today
    #   `无法从FromHeader的Address中获取到平台id，返回404` 2021-03-02 (2f165d595) … 2021-03-25,
    #       `…平台id，返回400` 2021-03-26 …, `…平台/设备id，返回400` 2022-10-17 …, `无法从请求中
    #       获取到平台id，返回400` 2023-10-13 …, `[解析INVITE消息] 无法从请求中获取到来源id，
    #       返回400错误` 2024-08-12 (9a4a81a90) … today
    #   `[ app=…, stream=… ]通道离线，返回400` 2021-04-26 (39078225f) … 2022-09-21
    #   `[ app=…, stream=… ]zlm找不到，返回410` / `…找不到zlm {id}，返回410` 2021-07-16 … 2024-08
    #   `[解析INVITE消息]  不支持的媒体格式，返回415` 2021-03-26 … today
    Template(
        "返回",
        r"(?:通道不存在|获取到(?:平台|平台/设备|来源)id|通道离线|zlm找不到|找不到zlm[^\r\n，,]*"
        rf"|不支持的媒体格式){_COMMA}{_SP}返回(?P<code>4[0-9][0-9])(?![0-9])",
        "INVITE",
        OUT,
    ),
    # NOTIFY handlers, a full queue: `[notify] 待处理消息队列已满 {n}，返回486 BUSY_HERE…`
    # 2023-04-19 (db2ccfedf) … 2024-04-23; `[notify-目录订阅]`, `[notify-移动位置]` 2024-04-24
    # (2113e8cf2) … today; `[notify-报警订阅]` 2026-04-03 (e51d00058) … today.
    Template(
        "返回",
        rf"\[notify(?:-[^\]\r\n]*)?\]{_SP}待处理消息队列已满[^\r\n，,]*{_COMMA}{_SP}"
        r"返回(?P<code>486)",
        "NOTIFY",
        OUT,
    ),
    # MESSAGE handlers, a full queue: `[Alarm] …` 2024-10-28 (bf9262283) … today, `[心跳] …`
    # 2024-10-30 (6141a8bc4) … 2026-01-13, `[message-notify-移动位置] …` 2026-04-16 … today.
    Template(
        "返回",
        rf"\[(?:Alarm|心跳|message-notify-[^\]\r\n]*)\]{_SP}待处理消息队列已满[^\r\n，,]*"
        rf"{_COMMA}{_SP}返回(?P<code>486)",
        "MESSAGE",
        OUT,
    ),
    # InviteRequestProcessor, 2024-04-09 (ab318fcf7) … 2024-08-12: a parent's INVITE that
    # wvp could not serve; wvp answers the parent with the code it logs. That code is
    # often wvp's own (-1 signalling timeout, -2 stream timeout …), which no response
    # can carry (createResponse throws): only a code in 100–699 is a record.
    Template(
        "失败",
        rf"\[上级Invite\][^\r\n]*?{_COMMA}{_SP}失败{_COMMA}{_SP}平台{_SP}{_COLON}[^\r\n]*?"
        rf"code{_SP}{_COLON}{_SP}{_CODE}",
        "INVITE",
        OUT,
        sip_only=True,
    ),
)
