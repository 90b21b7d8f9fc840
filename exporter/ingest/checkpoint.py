"""The checkpoint: file offsets, counter values, open transactions and the landing page's
history, saved together.

Owns the checkpoint file's format and its writing (a temporary file beside it, fsync,
rename, fsync of the folder), so that a crash at any moment leaves either the previous
checkpoint or the new one, never a mix. Offsets and counts are taken at the same point of
the reader's loop, so after a restart every record is counted exactly once. A file that
cannot be read as a checkpoint is set aside under a new name, never trusted or deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.ingest import decode as shape
from exporter.ingest.decode import CheckpointError
from exporter.ingest.follow import SavedFile

__all__ = ["Checkpoint", "CheckpointError", "load", "save", "set_aside"]

FORMAT = "sip-log-exporter-checkpoint"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    files: Mapping[str, list[SavedFile]]
    counters: Any  # Tally.dump() data; Tally.load validates it
    # Per source, Tracker.dump() data (open transactions and sessions); Tracker.load checks.
    transactions: Mapping[str, Any] = field(default_factory=dict)
    # The landing page's per-minute history (History.dump data, a section with its own
    # version and bounds; History.load checks it). None: a checkpoint written without one.
    history: Any = None


def encode(checkpoint: Checkpoint, saved_at: float) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "saved_at": saved_at,
        "files": {
            source: [
                {
                    "path": f.path,
                    "dev": f.dev,
                    "ino": f.ino,
                    "fingerprint": f.fingerprint.hex(),
                    "offset": f.offset,
                }
                for f in files
            ]
            for source, files in checkpoint.files.items()
        },
        "counters": checkpoint.counters,
        "transactions": checkpoint.transactions,
        **({} if checkpoint.history is None else {"history": checkpoint.history}),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def decode(data: bytes) -> Checkpoint:
    """The checkpoint in `data`; CheckpointError naming the first place that is wrong.
    (The counters, transactions and history are checked by `Tally.load`, `Tracker.load`
    and `History.load`.)"""
    document = shape.mapping(shape.parse(data), "checkpoint")
    if document.get("format") != FORMAT:
        raise CheckpointError(f"not a {FORMAT} file")
    if document.get("version") != VERSION:
        raise CheckpointError(f"version {document.get('version')!r}, expected {VERSION}")
    files = shape.mapping(document.get("files"), "files")
    decoded = {
        source: [_saved_file(entry, f"files.{source}[{i}]") for i, entry in enumerate(entries)]
        for source, entries in files.items()
        for entries in [shape.items(entries, f"files.{source}")]
    }
    transactions = shape.mapping(document.get("transactions", {}), "transactions")
    return Checkpoint(decoded, document.get("counters", {}), transactions, document.get("history"))


def _saved_file(value: object, where: str) -> SavedFile:
    entry = shape.mapping(value, where)
    fingerprint = shape.text(entry.get("fingerprint"), f"{where}.fingerprint")
    try:
        raw = bytes.fromhex(fingerprint)
    except ValueError:
        raise CheckpointError(f"{where}.fingerprint: expected hex digits") from None
    return SavedFile(
        shape.text(entry.get("path"), f"{where}.path"),
        shape.count(entry.get("dev"), f"{where}.dev"),
        shape.count(entry.get("ino"), f"{where}.ino"),
        raw,
        shape.count(entry.get("offset"), f"{where}.offset"),
    )


def save(path: str, checkpoint: Checkpoint, clock: float | None = None) -> None:
    """Write the checkpoint atomically; on error the previous file is left as it was."""
    data = encode(checkpoint, time.time() if clock is None else clock)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp"
    try:
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError:
        _remove_quietly(temporary)
        raise
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load(path: str) -> Checkpoint | None:
    """The saved checkpoint, or None if there is none; CheckpointError if unusable."""
    try:
        with open(path, "rb") as source:
            data = source.read()
    except FileNotFoundError:
        return None
    return decode(data)


def set_aside(path: str, clock: float) -> str:
    """Rename an unusable checkpoint out of the way, keeping it for inspection."""
    target = f"{path}.corrupt-{int(clock)}"
    os.replace(path, target)
    return target


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
