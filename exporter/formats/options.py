"""The per-source settings of each log format, as frozen values built by `config`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldNames:
    """Which field of a structured record (key=value, JSON) holds which value. `cseq`
    holds a CSeq value (`1 INVITE`, or just the number); `branch` the top Via's branch."""

    code: str = "code"
    method: str = "method"
    direction: str = "direction"
    reason: str = "reason"
    call_id: str = "call_id"
    from_user: str = "from"
    to_user: str = "to"
    cseq: str = "cseq"
    branch: str = "branch"


@dataclass(frozen=True, slots=True)
class SipOptions:
    """SIP message dumps. `require_wrapper`: count only messages right after a line
    that names a direction (wvp's 接收/发送 lines), because some loggers print the same
    message again inside other text. `syslog_escapes`: undo rsyslog's #012/#015."""

    encoding: str = "utf-8"
    require_wrapper: bool = False
    syslog_escapes: bool = False


@dataclass(frozen=True, slots=True)
class WvpOptions:
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class KeyValueOptions:
    encoding: str = "utf-8"
    pair_separator: str = ";"
    value_separator: str = "="
    fields: FieldNames = field(default_factory=FieldNames)


@dataclass(frozen=True, slots=True)
class JsonOptions:
    encoding: str = "utf-8"
    fields: FieldNames = field(default_factory=FieldNames)


@dataclass(frozen=True, slots=True)
class RegexOptions:
    """A custom regular expression (Python syntax) with named groups among `code`,
    `method`, `direction`, `reason`, `call_id`, `from`, `to`, `cseq`, `branch`, `ts`;
    matched per line."""

    pattern: str
    encoding: str = "utf-8"


FormatOptions = SipOptions | WvpOptions | KeyValueOptions | JsonOptions | RegexOptions

FORMAT_NAMES: dict[str, type[FormatOptions]] = {
    "sip": SipOptions,
    "wvp": WvpOptions,
    "kv": KeyValueOptions,
    "json": JsonOptions,
    "regex": RegexOptions,
}
