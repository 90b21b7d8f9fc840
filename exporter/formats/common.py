"""Small helpers shared by the line-based formats (wvp, key=value, JSON, regex).

Owns the rules those formats agree on: which source encodings can be searched as bytes,
how a pattern written as text becomes a bytes pattern in the source's encoding, what
counts as a code, how a method token is normalised, how a CSeq value splits into its
number and method, and how the user part of a SIP URI is read. Pure: no I/O.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from exporter.events import Event, Kind
from exporter.formats.base import NO_WORDS, OwnWords, direction_from_word

# Every byte pattern in the formats is ASCII apart from Chinese anchor words, so the source
# encoding must keep ASCII as single, unchanged bytes (UTF-8, GBK, GB18030 do; UTF-16
# does not).
_ASCII_PROBE = "\t\n\r !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~"

_CODE = re.compile(r"-?[0-9]+")
# A CSeq value: the sequence number, then the method if the field holds the whole header
# value ("1 INVITE"). Whitespace as in str.split: logs may put a tab between them.
_CSEQ = re.compile(r"\s*([0-9]+)(?:\s+(\S+))?\s*")
# The user part of a SIP/SIPS/TEL URI: after the scheme, up to '@' (or, for tel:, up to a
# parameter). Case-insensitive because "SIP:" is legal (RFC 3261 §19.1.4).
_URI_USER = re.compile(r"(?i:sips?|tel):([^@;>\s:,\"]+)(@)?")


def check_encoding(encoding: str) -> str | None:
    """What is wrong with `encoding` as a source encoding, or None when it is usable: a
    text codec (not rot13 or base64, which map bytes to bytes or text to text) that
    decodes bytes and keeps ASCII as single, unchanged bytes."""
    try:
        is_text = codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        return f"{encoding!r} is not an encoding Python knows"
    if not is_text:
        return f"{encoding!r} is not a text encoding"
    try:
        probe = _ASCII_PROBE.encode(encoding)
        back = probe.decode(encoding)
        # Logs hold any bytes: a source's decoding replaces what it cannot read.
        bytes(range(256)).decode(encoding, "replace")
    except (UnicodeError, LookupError, TypeError):
        return f"{encoding!r} is not an encoding that can decode any bytes"
    if probe != _ASCII_PROBE.encode("ascii") or back != _ASCII_PROBE:
        return f"{encoding!r} is not an encoding that keeps ASCII as is"
    return None


def require_encoding(encoding: str) -> None:
    """Raise ValueError when `encoding` cannot be a source encoding."""
    problem = check_encoding(encoding)
    if problem is not None:
        raise ValueError(problem)


def encode_pattern(pattern: str, encoding: str) -> bytes:
    """A text pattern as a bytes pattern in `encoding`.

    ASCII is regex syntax and stays as it is; every other character is a literal, so it
    becomes its escaped encoded bytes, grouped so that a quantifier after it applies to
    the whole character rather than to its last byte. Raises UnicodeEncodeError (a
    ValueError) when a character has no form in `encoding`.
    """
    parts: list[bytes] = []
    escaped = False
    for char in pattern:
        if char.isascii():
            parts.append(char.encode("ascii"))
            escaped = char == "\\" and not escaped
            continue
        if escaped:
            parts.pop()  # `\接` is the literal 接 too; its backslash must not escape `(`
            escaped = False
        parts.append(b"(?:" + re.escape(char.encode(encoding)) + b")")
    return b"".join(parts)


def code_text(raw: str) -> str | None:
    """The code a field holds ("503", "-1024"), or None when it is not an integer."""
    text = raw.strip()
    # fullmatch on an ASCII class: str.isdigit() would also take "٥٠٣" or "²".
    return text if _CODE.fullmatch(text) else None


def method_token(raw: str) -> str:
    """A method as events carry it: the raw token, upper-cased ("" when there is none)."""
    return raw.strip().upper()


def cseq_parts(raw: str) -> tuple[str, str]:
    """The number and the method token of a CSeq value: `1 INVITE` gives ("1", "INVITE"),
    `1` gives ("1", ""). Anything else names no CSeq and gives ("", "")."""
    found = _CSEQ.fullmatch(raw)
    if found is None:
        return "", ""
    return found.group(1), method_token(found.group(2) or "")


def user_part(value: str) -> str:
    """The user of the first SIP URI in a From/To value ("" when it names no user).

    `<sip:34020000001320000001@3402000000>;tag=…` gives `34020000001320000001`; a bare
    value without a scheme (`34020000001320000001`, `1001@10.0.0.5`) gives its part
    before '@'.
    """
    found = _URI_USER.search(value)
    if found is not None:
        scheme_is_tel = found.group(0)[:3].lower() == "tel"
        return found.group(1) if found.group(2) or scheme_is_tel else ""
    bare = value.strip().strip("<>\"'")
    if not bare or any(c.isspace() for c in bare):
        return ""
    return bare.split("@", 1)[0]


def own_words(incoming: tuple[str, ...], outgoing: tuple[str, ...]) -> OwnWords:
    """A source's direction words (`DirectionWords`) as `direction_from_word` takes them."""
    return (
        frozenset(w.strip().lower() for w in incoming),
        frozenset(w.strip().lower() for w in outgoing),
    )


def event_from_fields(fields: Mapping[str, str], own: OwnWords = NO_WORDS) -> Event | None:
    """The event of a record whose values were found by name (code, method, direction,
    reason, call_id, from, to, cseq, branch): a response when it has a code, else a
    request. A record without a method takes the one its CSeq value names; an ACK is a
    request whatever code stands beside it. None when its code is not an integer (the
    caller counts it as malformed)."""
    code = ""
    if "code" in fields:
        parsed = code_text(fields["code"])
        if parsed is None:
            return None
        code = parsed
    number, cseq_method = cseq_parts(fields.get("cseq", ""))
    method = method_token(fields.get("method", "")) or cseq_method
    if method == "ACK":
        # Nothing answers an ACK: a code beside one (Kamailio's and OpenSIPS' acc
        # `request acknowledged`) is that of the INVITE it acknowledges, already counted.
        code = ""
    return Event(
        Kind.RESPONSE if code else Kind.REQUEST,
        direction=direction_from_word(fields.get("direction", ""), own),
        method=method,
        code=code,
        reason=fields.get("reason", "").strip(),
        call_id=fields.get("call_id", "").strip(),
        from_user=user_part(fields.get("from", "")),
        to_user=user_part(fields.get("to", "")),
        cseq=number,
        branch=fields.get("branch", "").strip(),
    )


def check_pattern(pattern: str) -> str | None:
    """What is wrong with a custom pattern, or None when it can be used."""
    try:
        names = re.compile(pattern).groupindex
    except re.error as error:
        return f"invalid regular expression: {error}"
    if "code" not in names and "method" not in names:
        return "the pattern needs a named group `code` or `method`, e.g. rs=(?P<code>\\d+)"
    if _non_ascii_in_class(pattern):
        return (
            "non-ASCII characters cannot stand inside a character class [...] because "
            "logs are matched as bytes; use an alternation such as (?:接收|发送)"
        )
    try:
        re.compile(encode_pattern(pattern, "utf-8"))
    except re.error as error:
        # Text-only syntax such as \uXXXX escapes or the (?u) flag.
        return f"the pattern cannot be used on bytes: {error}"
    return None


def _non_ascii_in_class(pattern: str) -> bool:
    """Whether a non-ASCII character stands inside a character class."""
    in_class = escaped = False
    class_start = -1
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
            if in_class and not char.isascii():
                return True
        elif char == "\\":
            escaped = True
        elif not in_class:
            if char == "[":
                in_class, class_start = True, index
        elif not char.isascii():
            return True
        elif char == "]" and index > class_start + 1 and pattern[class_start + 1 : index] != "^":
            in_class = False  # a `]` right after `[` or `[^` is a literal
    return False
