"""The per-source settings of each log format: frozen values, and how each format's keys of
a source are read from the config with the `Checker` (the format table in
`exporter.formats` names these readers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.formats.common import check_pattern
from exporter.validation import Checker


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

_FIELD_KEYS = ("code", "method", "direction", "reason", "call_id", "from", "to", "cseq", "branch")
# A pattern that never matches, so that reading goes on after a missing one.
_NEVER = "(?P<code>x)^"


def read_sip(check: Checker, where: str, encoding: str, source: Mapping[str, Any]) -> SipOptions:
    return SipOptions(
        encoding,
        check.boolean(f"{where}.require_wrapper", source.get("require_wrapper"), False),
        check.boolean(f"{where}.syslog_escapes", source.get("syslog_escapes"), False),
    )


def read_wvp(check: Checker, where: str, encoding: str, source: Mapping[str, Any]) -> WvpOptions:
    return WvpOptions(encoding)


def read_kv(
    check: Checker, where: str, encoding: str, source: Mapping[str, Any]
) -> KeyValueOptions:
    return KeyValueOptions(
        encoding,
        check.text(f"{where}.pair_separator", source.get("pair_separator"), ";", blank=True) or ";",
        check.text(f"{where}.value_separator", source.get("value_separator"), "=", blank=True)
        or "=",
        _read_fields(check, f"{where}.fields", source.get("fields")),
    )


def read_json(check: Checker, where: str, encoding: str, source: Mapping[str, Any]) -> JsonOptions:
    return JsonOptions(encoding, _read_fields(check, f"{where}.fields", source.get("fields")))


def read_regex(
    check: Checker, where: str, encoding: str, source: Mapping[str, Any]
) -> RegexOptions:
    pattern = check.text(f"{where}.pattern", source.get("pattern"))
    if pattern is None:
        check.fail(
            f"{where}.pattern",
            "required for format regex: a regular expression with "
            "named groups such as (?P<code>\\d{3})",
        )
        return RegexOptions(_NEVER, encoding)

    problem = check_pattern(pattern)
    if problem:
        check.fail(f"{where}.pattern", problem)
        return RegexOptions(_NEVER, encoding)
    return RegexOptions(pattern, encoding)


def _read_fields(check: Checker, key: str, value: object) -> FieldNames:
    section = check.mapping(key, value, _FIELD_KEYS)
    names = {k: check.text(f"{key}.{k}", v) for k, v in section.items() if k in _FIELD_KEYS}
    renamed = {
        ("from_user" if k == "from" else "to_user" if k == "to" else k): v
        for k, v in names.items()
        if v
    }
    return FieldNames(**renamed)
