"""What following hands out: a file's place as a checkpoint keeps it, and what a pass found.

Plain values, shared by the follower, the checkpoint and the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exporter.formats.stream import Batch


@dataclass(frozen=True, slots=True)
class SavedFile:
    """A file's place as a checkpoint keeps it."""

    path: str
    dev: int
    ino: int
    fingerprint: bytes
    offset: int


@dataclass(slots=True)
class SourceRead:
    """What one pass over a source found: records, and counts for the self-metrics."""

    batch: Batch = field(default_factory=Batch)
    bytes: int = 0
    rotations: int = 0
    truncations: int = 0
    read_errors: int = 0
    # Files the source's paths matched in this pass (None: the pass stopped before it knew).
    matched: int | None = None
