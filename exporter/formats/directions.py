"""The words and arrows that say which way a logged SIP message went.

Owns the direction words that dumps write on the wrapper line before a message (接收/收到/
发送, received/recv/read/RX, sent/send/TX/Transmitting, readFrom/writeTo …), a source's
own words (`direction_words`), which are tried first and so can also swap the built-in
two for a build that wrote them the wrong way round, the marks of a logged copy (wvp's
short arrow), and the arrows (`<---`, `--->`) read only where no word stands. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.events import Direction
from exporter.formats.options import DirectionWords

_ARROW = re.compile(rb"<-{2,}|-{2,}>")
# pjsip writes `.RX 512 bytes Response msg …` and `.TX …`; belle-sip `message received
# from` and `sending`; sofia-sip (FreeSWITCH, drachtio) `recv` and `send`; Asterisk's
# chan_sip `<--- SIP read from UDP:… --->`, `Transmitting` and `Retransmitting #1`.
_ENGLISH_IN = (
    "received", "receive", "recv", "rcv", "rx", "read", "readfrom", "incoming", "inbound"
)  # fmt: skip
# Not "transmit": wvp logs from its Java package `gb28181.transmit` whatever the direction.
_ENGLISH_OUT = (
    "sent", "send", "sending", "snd", "tx", "transmitting", "retransmitting", "writeto",
    "outgoing", "outbound",
)  # fmt: skip
# wvp's 接收 (received) and 发送 (sent); 收到 (got) in its 2022 `收到请求：`/`收到响应：` dumps.
_CHINESE_IN = ("接收", "收到")
_CHINESE_OUT = ("发送",)
# JAIN-SIP logs every response it receives a second time ("before processing"), which wvp
# wraps with a short arrow (`接收：来自->`, `发送： 目标->`) where the first has `--->`: a
# copy, never a message of its own.
_COPY_MARKS = ("来自->", "目标->")
# A byte that continues a word: an English direction word counts only as a whole word.
_WORD_BYTE = rb"[_0-9a-z\x80-\xff]"


@dataclass(frozen=True, slots=True)
class Words:
    """The direction words of one encoding, prepared once per source.

    The word nearest before the end of a span is the first one in the span reversed, so
    one forward search over the reversed, ASCII-lowered span finds it: the search skips
    to the bytes that end a word (a C loop over a byte set) and stops at the wrapper's
    word, which loggers put near the start line. Every word is spelled backwards in the
    pattern, English words with their whole-word tests (no word byte on either side).
    """

    reversed_words: re.Pattern[bytes]
    copy_marks: re.Pattern[bytes]
    # The source's own words, searched first; None when it has none.
    own: re.Pattern[bytes] | None = None
    # The same words and marks as data, for the C framing (`Table`).
    table: Table = ((), (), ())

    @classmethod
    def for_source(cls, encoding: str, own: DirectionWords | None = None) -> Words:
        # Incoming words end in an empty group, so `lastindex` tells the two apart. Every
        # alternative starts with a literal byte, which lets the search skip ahead.
        builtin = (
            _entries(_ENGLISH_IN, encoding, incoming=True, whole=True)
            + _entries(_CHINESE_IN, encoding, incoming=True, whole=False)
            + _entries(_ENGLISH_OUT, encoding, incoming=False, whole=True)
            + _entries(_CHINESE_OUT, encoding, incoming=False, whole=False)
        )
        marks = tuple(m.encode(encoding) for m in _COPY_MARKS)
        mark_pattern = re.compile(b"|".join(re.escape(m) for m in marks))
        words = re.compile(b"|".join(_backwards(word) for word in builtin), re.DOTALL)
        own_words = _own_entries(own, encoding)
        own_pattern = None
        if own_words:
            own_pattern = re.compile(b"|".join(_backwards(w) for w in own_words), re.DOTALL)
        return cls(words, mark_pattern, own_pattern, (own_words, builtin, marks))

    def is_copy(self, data: bytes, start: int, end: int) -> bool:
        """Whether data[start:end], a message's wrapper, marks it as a logged copy."""
        return self.copy_marks.search(data, start, end) is not None

    def direction(self, data: bytes, start: int, end: int) -> Direction | None:
        """The direction named nearest before `end` in data[start:end], if any: the
        source's own words first, then the built-in ones, then arrows."""
        span = data[start:end].lower()[::-1]
        found = self.own.search(span) if self.own is not None else None
        if found is None:
            found = self.reversed_words.search(span)
        if found is None:
            return _arrow_direction(data, start, end)
        return Direction.IN if found.lastindex else Direction.OUT


# A direction word as searched: lowered in the source's encoding, whether it counts only as
# a whole word, whether it means incoming. A source's `Table`: its own words, the built-in
# words (each list in the order tried) and the copy marks.
Word = tuple[bytes, bool, bool]
Table = tuple[tuple[Word, ...], tuple[Word, ...], tuple[bytes, ...]]


def _entries(
    words: tuple[str, ...], encoding: str, *, incoming: bool, whole: bool
) -> tuple[Word, ...]:
    return tuple((word.encode(encoding).lower(), whole, incoming) for word in words)


def _backwards(word: Word) -> bytes:
    """A word spelled backwards, with its whole-word test where it has one, and an empty
    group when it means incoming."""
    raw, whole, incoming = word
    test = rb"(?<!%s.{%d})(?!%s)" % (_WORD_BYTE, len(raw), _WORD_BYTE)
    return re.escape(raw[::-1]) + (test if whole else b"") + (b"()" if incoming else b"")


def _own_entries(own: DirectionWords | None, encoding: str) -> tuple[Word, ...]:
    """A source's own words: an ASCII word counts as a whole word (SIPp's `R` is not the r
    of `Request`), anything else wherever it stands (`SIP<-`, 发送)."""
    if own is None:
        return ()
    entries: list[Word] = []
    for words, incoming in ((own.incoming, True), (own.outgoing, False)):
        for word in words:
            whole = word.isascii() and word.replace("_", "a").isalnum()
            entries += _entries((word,), encoding, incoming=incoming, whole=whole)
    return tuple(entries)


def _arrow_direction(data: bytes, start: int, end: int) -> Direction | None:
    arrows = {m.group()[0:1] for m in _ARROW.finditer(data, start, end)}
    if arrows == {b"<"}:
        return Direction.IN
    if arrows == {b"-"}:
        return Direction.OUT
    return None
