"""Reading whole files once: plain or gzip-compressed, block by block, in time order.

Owns what `replay` and `backfill` share: opening a log whatever its compression (known by
its first bytes, not its name, so a rotated `messages.1` that logrotate compressed is read
too), handing out its bytes a block at a time so that memory does not grow with the file,
and putting files in order by the first time written in them.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator

from exporter.formats.timestamps import TimeSettings, first_time

BLOCK = 1 << 20
_HEAD = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"


def open_log(path: str) -> tuple[io.BufferedIOBase, io.BufferedIOBase]:
    """The file's bytes (decompressed when it is gzip) and the raw file, whose position
    tells how far the reading has gone. The caller closes both."""
    raw = open(path, "rb")  # noqa: SIM115 -- closed by the caller, with the stream
    try:
        # peek, not read and seek: a FIFO or a pipe cannot seek back.
        compressed = raw.peek(2)[:2] == _GZIP_MAGIC
    except OSError:
        raw.close()
        raise
    if compressed:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def blocks(path: str, size: int = BLOCK) -> Iterator[bytes]:
    """The file's bytes, decompressed when it is gzip, a block at a time.

    A damaged or truncated .gz yields everything before the damage, then raises
    (`OSError` or `EOFError`): read1 hands out what is decompressed so far."""
    stream, raw = open_log(path)
    with stream, raw:
        while block := stream.read1(size):
            yield block


def in_time_order(paths: Iterable[str], settings: TimeSettings) -> list[str]:
    """Files by the first readable time in their head; files without one come last."""

    def key(path: str) -> tuple[bool, float, str]:
        seconds = first_time(_head(path), settings)
        return (seconds is None, seconds or 0.0, path)

    return sorted(paths, key=key)


def _head(path: str) -> bytes:
    try:
        stream, raw = open_log(path)
    except OSError:
        return b""
    with stream, raw:
        try:
            return stream.read(_HEAD)
        except (OSError, EOFError):
            return b""
