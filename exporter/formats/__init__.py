"""Log formats: bytes in, `Event`s out. One module per format; this one holds the table.

Owns the format table: each format's name, its options type, the source keys it adds,
the reader of those keys (with the config's `Checker`) and its parser. Adding a format
means a module and a row here; nothing outside `formats/` changes. Also owns which
encodings a source may have (ASCII-compatible text encodings). Pure: formats never open
files; `stream` holds the bytes between calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from exporter.formats import options as o
from exporter.formats.base import Parsed, Parser
from exporter.formats.common import check_encoding
from exporter.validation import Checker

__all__ = ["FORMATS", "Format", "Parsed", "Parser", "format_name", "make_parser", "read_encoding"]

Opts = TypeVar("Opts", bound=o.FormatOptions)
# (checker, the source's key such as "sources[0]", its encoding, the source's mapping)
Reader = Callable[[Checker, str, str, Mapping[str, Any]], Opts]


@dataclass(frozen=True, slots=True)
class Format(Generic[Opts]):
    options: type[Opts]
    keys: tuple[str, ...]  # the source keys this format adds
    read: Reader[Opts]
    parser: Callable[[Opts], Parser]


# Each parser is imported when first made, so that a format's module (and its start-up
# cost) is loaded only by the sources that use it.
def _sip(options: o.SipOptions) -> Parser:
    from exporter.formats.sip import SipParser

    return SipParser(options)


def _wvp(options: o.WvpOptions) -> Parser:
    from exporter.formats.wvp import WvpParser

    return WvpParser(options)


def _kv(options: o.KeyValueOptions) -> Parser:
    from exporter.formats.kv import KeyValueParser

    return KeyValueParser(options)


def _json(options: o.JsonOptions) -> Parser:
    from exporter.formats.jsonl import JsonParser

    return JsonParser(options)


def _regex(options: o.RegexOptions) -> Parser:
    from exporter.formats.regex import RegexParser

    return RegexParser(options)


FORMATS: Mapping[str, Format[Any]] = {
    "sip": Format(
        o.SipOptions, ("require_wrapper", "syslog_escapes", "direction_words"), o.read_sip, _sip
    ),
    "wvp": Format(o.WvpOptions, (), o.read_wvp, _wvp),
    "kv": Format(
        o.KeyValueOptions,
        ("pair_separator", "value_separator", "fields", "direction_words"),
        o.read_kv,
        _kv,
    ),
    "json": Format(o.JsonOptions, ("fields", "direction_words"), o.read_json, _json),
    "regex": Format(
        o.RegexOptions, ("pattern", "direction_words", "direction", "method"), o.read_regex, _regex
    ),
}
_BY_OPTIONS = {row.options: name for name, row in FORMATS.items()}


def format_name(options: o.FormatOptions) -> str:
    """The name a source's format settings were given under (`sip`, `kv`, …)."""
    return _BY_OPTIONS[type(options)]


def make_parser(options: o.FormatOptions) -> Parser:
    """The parser for a source's format settings; ValueError if they cannot be used."""
    parser: Parser = FORMATS[format_name(options)].parser(options)
    return parser


def read_encoding(check: Checker, key: str, value: object) -> str:
    """A source's `encoding`: a text encoding that keeps ASCII as is (utf-8 by default)."""
    encoding = check.text(key, value, "utf-8") or "utf-8"
    problem = check_encoding(encoding)
    if problem is None:
        return encoding
    check.fail(key, f"{problem}; use utf-8, gbk, gb18030 or another ASCII-compatible encoding")
    return "utf-8"
