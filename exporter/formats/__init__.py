"""Log formats: bytes in, `Event`s out. One module per format; this one picks the parser.

Owns the mapping from a source's format settings to a `Parser`. Pure: formats never
open files; `stream` holds the bytes between calls.
"""

from __future__ import annotations

from exporter.formats.base import Parsed, Parser
from exporter.formats.options import (
    FormatOptions,
    JsonOptions,
    KeyValueOptions,
    RegexOptions,
    SipOptions,
    WvpOptions,
)

__all__ = ["Parsed", "Parser", "make_parser"]


def make_parser(options: FormatOptions) -> Parser:
    """The parser for a source's format settings."""
    # Imported here so that each format module stays independent of the others.
    if isinstance(options, SipOptions):
        from exporter.formats.sip import SipParser

        return SipParser(options)
    if isinstance(options, WvpOptions):
        from exporter.formats.wvp import WvpParser

        return WvpParser(options)
    if isinstance(options, KeyValueOptions):
        from exporter.formats.kv import KeyValueParser

        return KeyValueParser(options)
    if isinstance(options, JsonOptions):
        from exporter.formats.jsonl import JsonParser

        return JsonParser(options)
    if isinstance(options, RegexOptions):
        from exporter.formats.regex import RegexParser

        return RegexParser(options)
    raise TypeError(f"unknown format options: {options!r}")
