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
class DirectionWords:
    """A source's own words for the two directions (`direction_words: {in: […], out: […]}`),
    tried before the built-in ones: words a program uses that no other does (SIPp's `R` and
    `S`), or the two built-in words swapped for a build that wrote them the wrong way round."""

    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SipOptions:
    """SIP message dumps. `require_wrapper`: count only messages right after a line
    that names a direction (wvp's 接收/发送 lines), because some loggers print the same
    message again inside other text. `syslog_escapes`: undo rsyslog's #012/#015."""

    encoding: str = "utf-8"
    require_wrapper: bool = False
    syslog_escapes: bool = False
    direction_words: DirectionWords = field(default_factory=DirectionWords)


@dataclass(frozen=True, slots=True)
class WvpOptions:
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class KeyValueOptions:
    encoding: str = "utf-8"
    pair_separator: str = ";"
    value_separator: str = "="
    fields: FieldNames = field(default_factory=FieldNames)
    direction_words: DirectionWords = field(default_factory=DirectionWords)


@dataclass(frozen=True, slots=True)
class JsonOptions:
    encoding: str = "utf-8"
    fields: FieldNames = field(default_factory=FieldNames)
    direction_words: DirectionWords = field(default_factory=DirectionWords)


@dataclass(frozen=True, slots=True)
class RegexOptions:
    """A custom regular expression (Python syntax) with named groups among `code`,
    `method`, `direction`, `reason`, `call_id`, `from`, `to`, `cseq`, `branch`, `ts`;
    matched per line. `direction` and `method` are what a record whose pattern has no such
    group (or an empty one) stands for: a log whose one-liners say "back from" holds only
    received responses."""

    pattern: str
    encoding: str = "utf-8"
    direction_words: DirectionWords = field(default_factory=DirectionWords)
    direction: str = ""
    method: str = ""


FormatOptions = SipOptions | WvpOptions | KeyValueOptions | JsonOptions | RegexOptions

_FIELD_KEYS = ("code", "method", "direction", "reason", "call_id", "from", "to", "cseq", "branch")
# A pattern that never matches, so that reading goes on after a missing one.
_NEVER = "(?P<code>x)^"


def read_sip(check: Checker, where: str, encoding: str, source: Mapping[str, Any]) -> SipOptions:
    return SipOptions(
        encoding,
        check.boolean(f"{where}.require_wrapper", source.get("require_wrapper"), False),
        check.boolean(f"{where}.syslog_escapes", source.get("syslog_escapes"), False),
        read_direction_words(check, where, source),
    )


def read_direction_words(check: Checker, where: str, source: Mapping[str, Any]) -> DirectionWords:
    """`direction_words: {in: [...], out: [...]}`: each a list of words or phrases."""
    key = f"{where}.direction_words"
    section = check.mapping(key, source.get("direction_words"), ("in", "out"))
    words = DirectionWords(
        check.strings(f"{key}.in", section.get("in")),
        check.strings(f"{key}.out", section.get("out")),
    )
    both = set(words.incoming) & set(words.outgoing)
    if both:
        check.fail(key, f"{sorted(both)[0]!r} is both an in and an out word; keep it in one")
    return words


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
        read_direction_words(check, where, source),
    )


def read_json(check: Checker, where: str, encoding: str, source: Mapping[str, Any]) -> JsonOptions:
    return JsonOptions(
        encoding,
        _read_fields(check, f"{where}.fields", source.get("fields")),
        read_direction_words(check, where, source),
    )


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
    return RegexOptions(
        pattern,
        encoding,
        read_direction_words(check, where, source),
        check.choice(f"{where}.direction", source.get("direction"), ("in", "out", "unknown"), ""),
        _read_method(check, f"{where}.method", source.get("method")),
    )


def _read_method(check: Checker, key: str, value: object) -> str:
    method = check.text(key, value, "") or ""
    if method and not method.isalpha():
        check.fail(key, f"{method!r} is not a SIP method; write it like INVITE or REGISTER")
        return ""
    return method.upper()


def _read_fields(check: Checker, key: str, value: object) -> FieldNames:
    section = check.mapping(key, value, _FIELD_KEYS)
    names = {k: check.text(f"{key}.{k}", v) for k, v in section.items() if k in _FIELD_KEYS}
    renamed = {
        ("from_user" if k == "from" else "to_user" if k == "to" else k): v
        for k, v in names.items()
        if v
    }
    return FieldNames(**renamed)
