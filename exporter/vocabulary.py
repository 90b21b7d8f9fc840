"""The page's words for label values, in Chinese and English.

Owns what a value the exporter shows (a category, a severity, a source's state, a
direction, a method, a kind of GB/T 28181 device, a time window) is called in each
language, so that a page in Chinese shows no English value. Values the tables do not
hold (a method a user's catalog or a log invents) come back unchanged: a word is never
missing from a page. Pure: tables and lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LANGUAGES = ("zh", "en")

# kind -> value -> (zh, en)
_Table = Mapping[str, tuple[str, str]]

_CATEGORY: _Table = {
    "success": ("成功", "success"),
    "provisional": ("临时响应", "provisional"),
    "redirect": ("重定向", "redirect"),
    "auth": ("认证鉴权", "authentication"),
    "not_found": ("未找到", "not found"),
    "busy": ("忙", "busy"),
    "timeout": ("超时", "timeout"),
    "cancelled": ("已取消", "cancelled"),
    "device_offline": ("设备离线", "device offline"),
    "media": ("媒体", "media"),
    "routing": ("路由", "routing"),
    "permission": ("无权限", "permission"),
    "overload": ("过载", "overload"),
    "server_error": ("服务端错误", "server error"),
    "protocol": ("协议错误", "protocol error"),
    "platform": ("平台自定义", "platform"),
    "other": ("其他", "other"),
}

_SEVERITY: _Table = {
    "info": ("提示", "info"),
    "warning": ("警告", "warning"),
    "error": ("错误", "error"),
    "critical": ("严重", "critical"),
}

# A source's state: the three of a source that reads, and the two "no silent zero"
# reasons of `sip_exporter_source_silent` (exporter.count.silence.REASONS).
_STATE: _Table = {
    "waiting": ("等待日志文件", "waiting for files"),
    "catching_up": ("正在追赶", "catching up"),
    "following": ("正常跟踪", "following"),
    "no_files": ("没有匹配的文件", "no file matches"),
    "no_records": ("有日志行但读不出记录", "lines but no record"),
}

_DIRECTION: _Table = {
    "in": ("收到", "received"),
    "out": ("发出", "sent"),
    "unknown": ("方向未知", "direction unknown"),
}

# What each method is for on a GB/T 28181 platform (the `method` label's values).
_METHOD: _Table = {
    "REGISTER": ("注册、注销与刷新注册", "registration, refresh and unregistration"),
    "INVITE": ("点播、回放、下载与语音对讲", "live view, playback, download and talk-back"),
    "ACK": ("确认 INVITE 的最终响应", "acknowledges an INVITE's final response"),
    "BYE": ("结束点播或回放会话", "ends a live-view or playback session"),
    "CANCEL": ("取消尚未应答的点播", "cancels an unanswered INVITE"),
    "MESSAGE": (
        "心跳保活、目录与设备信息查询、设备控制、报警",
        "keepalive, catalog and device queries, device control, alarms",
    ),
    "SUBSCRIBE": ("订阅目录、报警、移动位置", "subscribes to catalog, alarms, positions"),
    "NOTIFY": (
        "推送订阅的目录、报警、位置变化",
        "pushes subscribed catalog, alarm, position changes",
    ),
    "INFO": ("回放控制(暂停、拖动、倍速)", "playback control (pause, seek, speed)"),
    "OPTIONS": ("能力查询与探活", "capability query and liveness probe"),
    "PRACK": ("确认可靠的临时响应", "acknowledges a reliable provisional response"),
    "PUBLISH": ("发布状态", "publishes state"),
    "REFER": ("转接", "transfer"),
    "UPDATE": ("会话建立前更新媒体参数", "updates the session before it is set up"),
    "OTHER": ("其他方法", "another method"),
    "unknown": ("日志未写方法", "method not logged"),
}

# The `peer_type` label's values: the device kinds of GB/T 28181's type codes.
_PEER_TYPE: _Table = {
    "dvr": ("硬盘录像机(DVR)", "DVR"),
    "video_server": ("视频服务器", "video server"),
    "encoder": ("编码器", "encoder"),
    "decoder": ("解码器", "decoder"),
    "video_matrix": ("视频切换矩阵", "video matrix"),
    "audio_matrix": ("音频切换矩阵", "audio matrix"),
    "alarm_controller": ("报警控制器", "alarm controller"),
    "nvr": ("网络硬盘录像机(NVR)", "NVR"),
    "hvr": ("混合硬盘录像机(HVR)", "HVR"),
    "camera": ("摄像机", "camera"),
    "ipc": ("网络摄像机(IPC)", "IP camera"),
    "monitor": ("显示器", "monitor"),
    "alarm_input": ("报警输入设备", "alarm input"),
    "alarm_output": ("报警输出设备", "alarm output"),
    "voice_input": ("语音输入设备", "voice input"),
    "voice_output": ("语音输出设备", "voice output"),
    "mobile_transmission": ("移动传输设备", "mobile transmission device"),
    "other_peripheral": ("其他外围设备", "other peripheral"),
    "sip_server": ("中心信令控制服务器", "SIP server"),
    "web_application_server": ("Web 应用服务器", "web application server"),
    "media_distribution_server": ("媒体分发服务器", "media distribution server"),
    "proxy_server": ("代理服务器", "proxy server"),
    "security_server": ("安全服务器", "security server"),
    "alarm_server": ("报警服务器", "alarm server"),
    "database_server": ("数据库服务器", "database server"),
    "gis_server": ("GIS 服务器", "GIS server"),
    "management_server": ("管理服务器", "management server"),
    "access_gateway": ("接入网关", "access gateway"),
    "media_storage_server": ("媒体存储服务器", "media storage server"),
    "signalling_security_gateway": ("信令安全路由网关", "signalling security gateway"),
    "business_group": ("业务分组", "business group"),
    "virtual_organisation": ("虚拟组织", "virtual organisation"),
    "centre_user": ("中心用户", "centre user"),
    "end_user": ("终端用户", "end user"),
    "external_platform": ("其他联网平台", "another platform"),
    "other": ("非标准类型的国标设备", "GB28181 ID of a non-standard type"),
    "unknown": ("非国标编码", "not a GB28181 ID"),
}

# The page's time windows, as `?window=` names them.
_WINDOW: _Table = {
    "15m": ("15 分钟", "15 minutes"),
    "1h": ("1 小时", "1 hour"),
    "6h": ("6 小时", "6 hours"),
}

# A retransmission's `kind`, and an event's.
_KIND: _Table = {
    "request": ("请求", "request"),
    "response": ("响应", "response"),
}

_KINDS: Mapping[str, _Table] = MappingProxyType(
    {
        "category": _CATEGORY,
        "severity": _SEVERITY,
        "state": _STATE,
        "direction": _DIRECTION,
        "method": _METHOD,
        "peer_type": _PEER_TYPE,
        "window": _WINDOW,
        "kind": _KIND,
    }
)
KINDS: tuple[str, ...] = tuple(_KINDS)


def word(kind: str, value: str, lang: str) -> str:
    """What `value` of `kind` is called in `lang`; a value the table lacks, unchanged.

    Raises ValueError for a kind or a language it does not know (a caller's mistake)."""
    table = _table(kind)
    index = _language(lang)
    known = table.get(value)
    return value if known is None else known[index]


def words(kind: str, lang: str) -> dict[str, str]:
    """Every value of `kind` with its word in `lang`, in the table's order."""
    index = _language(lang)
    return {value: pair[index] for value, pair in _table(kind).items()}


def values(kind: str) -> frozenset[str]:
    """The values of `kind` the table names."""
    return frozenset(_table(kind))


def _table(kind: str) -> _Table:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of word {kind!r}; one of: {', '.join(KINDS)}") from None


def _language(lang: str) -> int:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; one of: {', '.join(LANGUAGES)}")
    return LANGUAGES.index(lang)
