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

    @classmethod
    def for_source(cls, encoding: str, own: DirectionWords | None = None) -> Words:
        # Incoming words end in an empty group, so `lastindex` tells the two apart. Every
        # alternative starts with a literal byte, which lets the search skip ahead.
        incoming = _backwards(_ENGLISH_IN, encoding, b"()", True)
        incoming += _backwards(_CHINESE_IN, encoding, b"()", False)
        outgoing = _backwards(_ENGLISH_OUT, encoding, b"", True)
        outgoing += _backwards(_CHINESE_OUT, encoding, b"", False)
        marks = re.compile(b"|".join(re.escape(m.encode(encoding)) for m in _COPY_MARKS))
        words = re.compile(b"|".join(incoming + outgoing), re.DOTALL)
        return cls(words, marks, _own_pattern(own, encoding))

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


def _backwards(words: tuple[str, ...], encoding: str, mark: bytes, whole: bool) -> list[bytes]:
    """Each word lowered and spelled backwards, with its whole-word test where `whole`."""
    spelled = []
    for word in words:
        raw = word.encode(encoding).lower()
        test = rb"(?<!%s.{%d})(?!%s)" % (_WORD_BYTE, len(raw), _WORD_BYTE)
        spelled.append(re.escape(raw[::-1]) + (test if whole else b"") + mark)
    return spelled


def _own_pattern(own: DirectionWords | None, encoding: str) -> re.Pattern[bytes] | None:
    """A source's own words: an ASCII word counts as a whole word (SIPp's `R` is not the r
    of `Request`), anything else wherever it stands (`SIP<-`, 发送)."""
    if own is None or not (own.incoming or own.outgoing):
        return None
    alternatives = []
    for words, mark in ((own.incoming, b"()"), (own.outgoing, b"")):
        for word in words:
            whole = word.isascii() and word.replace("_", "a").isalnum()
            alternatives += _backwards((word,), encoding, mark, whole)
    return re.compile(b"|".join(alternatives), re.DOTALL)


def _arrow_direction(data: bytes, start: int, end: int) -> Direction | None:
    arrows = {m.group()[0:1] for m in _ARROW.finditer(data, start, end)}
    if arrows == {b"<"}:
        return Direction.IN
    if arrows == {b"-"}:
        return Direction.OUT
    return None
