"""Following a source's files: finding them, reading new bytes, rotation and truncation.

Owns the open file handles, read offsets and per-file byte streams of one source. Its
rules, in one place:

- A file is known by (device, inode) plus a fingerprint of its first bytes, never by path.
- A new file is read from its beginning. Files that exist at the very first start (no
  checkpoint) are read from their end, unless the source says `start_at: beginning`.
  A file known from the checkpoint resumes at its committed offset, if its identity and
  fingerprint still match.
- Rename rotation: a known file found under another matching path is the same file and
  goes on where it was; a file no longer found under any matching path (renamed away or
  deleted) stays open and is read to its end until it has not grown for `rotate_wait`,
  then its last records are finished and it is closed.
- Truncation (size below the offset, or different first bytes): what was held is
  finished, and the file is read again from 0. A new file whose first bytes equal those of
  a file truncated or followed (a copytruncate copy that also matches the glob) starts at
  the offset the original had reached, so nothing is read twice.
- An open multi-line record at an idle end of file is closed after `flush_after`.
- An unreadable file or folder is counted and logged once, and retried on every pass.

Only the reader thread calls into a `SourceFollower`.
"""

from __future__ import annotations

import fnmatch
import glob
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from stat import S_ISREG

from exporter.formats.stream import Batch, RecordStream

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
# At most this much of one file per pass: a pass's events stay few however large the
# backlog, and the other sources, the checkpoint and reloads get their turn.
_PASS_BUDGET = 8 * _BLOCK
_FINGERPRINT = 256
_MIN_COPY_MATCH = 64  # fewer first bytes than this are too common to prove a copy
_RETIRED = 64


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


@dataclass(slots=True)
class _File:
    path: str
    handle: int
    dev: int
    ino: int
    fingerprint: bytes
    offset: int
    stream: RecordStream
    size: int = 0
    last_growth: float = 0.0
    flushed: bool = True
    gone_since: float | None = None
    copy_short: bool = False

    @property
    def committed(self) -> int:
        return self.offset - self.stream.pending


def _is_copy(fingerprint: bytes, original: bytes) -> bool:
    shorter = min(len(fingerprint), len(original))
    return shorter >= _MIN_COPY_MATCH and fingerprint[:shorter] == original[:shorter]


class SourceFollower:
    """Follows the files of one source (see the module docstring for the rules)."""

    def __init__(
        self,
        patterns: Iterable[str],
        exclude: Iterable[str],
        new_stream: Callable[[], RecordStream],
        clock: Callable[[], float],
        *,
        saved: Iterable[SavedFile] | None,
        start_at_end: bool,
        rotate_wait: float,
        flush_after: float,
    ) -> None:
        self._patterns = tuple(patterns)
        self._exclude = tuple(exclude)
        self._new_stream = new_stream
        self._clock = clock
        self._saved = {(s.dev, s.ino): s for s in saved or ()}
        # With no checkpoint, files already there at the first pass are history.
        self._skip_existing = start_at_end and saved is None
        self._first_pass = True
        self._rotate_wait = rotate_wait
        self._flush_after = flush_after
        self._files: dict[tuple[int, int], _File] = {}
        # Where known content ended, for copies of it (copytruncate): files truncated or
        # closed, and, after a restart, every file of the checkpoint, because a copy made
        # while the exporter was down must start where the checkpoint says, not at 0.
        self._retired: OrderedDict[bytes, int] = OrderedDict(
            (s.fingerprint, s.offset) for s in saved or () if len(s.fingerprint) >= _MIN_COPY_MATCH
        )
        self._errors_logged: set[tuple[str, int]] = set()
        self._young: dict[tuple[int, int], float] = {}  # short new files: when first seen

    # -- what others may read ------------------------------------------------------
    def saved(self) -> list[SavedFile]:
        return [
            SavedFile(f.path, f.dev, f.ino, f.fingerprint, f.committed)
            for f in self._files.values()
        ]

    @property
    def file_count(self) -> int:
        return len(self._files)

    @property
    def lag_bytes(self) -> int:
        return sum(max(f.size - f.offset, 0) for f in self._files.values())

    def paths(self) -> list[str]:
        return sorted(f.path for f in self._files.values())

    def watched_folders(self) -> set[str]:
        """Folders whose file events should wake the reader for this source."""
        return {_base_folder(pattern) for pattern in self._patterns}

    # -- the pass ------------------------------------------------------------------
    def poll(self) -> SourceRead:
        read = SourceRead()
        found = dict(self._discover(read))
        # Known files first: an old file is read to its end before its successor, and a
        # copy is compared with the offset its original has reached by now.
        for key, followed in list(self._files.items()):
            if key in found:
                self._moved(followed, found[key], read)
            self._read(followed, read)
            if key not in found:
                self._retire_if_done(key, followed, read)
        for key, path in found.items():
            if key not in self._files and self._open(path, key, read):
                self._read(self._files[key], read)
        self._young = {key: since for key, since in self._young.items() if key in found}
        self._first_pass = False
        return read

    def release(self) -> None:
        """Close every file without reading further; `saved()` taken before still holds."""
        for followed in self._files.values():
            os.close(followed.handle)
        self._files.clear()

    def _discover(self, read: SourceRead) -> Iterator[tuple[tuple[int, int], str]]:
        for path in self._matching_paths():
            try:
                stat = os.stat(path)
            except OSError as error:
                self._error(path, error, read)
                continue
            if S_ISREG(stat.st_mode):
                yield (stat.st_dev, stat.st_ino), path

    def _matching_paths(self) -> list[str]:
        paths: set[str] = set()
        for pattern in self._patterns:
            paths.update(glob.glob(pattern, recursive=True))
        return sorted(p for p in paths if not self._excluded(p))

    def _excluded(self, path: str) -> bool:
        name = os.path.basename(path)
        return any(fnmatch.fnmatch(name, x) or fnmatch.fnmatch(path, x) for x in self._exclude)

    def _open(self, path: str, key: tuple[int, int], read: SourceRead) -> bool:
        try:
            handle = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as error:
            self._error(path, error, read)
            return False
        try:
            stat = os.fstat(handle)
            fingerprint = os.pread(handle, _FINGERPRINT, 0)
        except OSError as error:  # EIO and the like: the file is retried on the next pass
            os.close(handle)
            self._error(path, error, read)
            return False
        if (stat.st_dev, stat.st_ino) != key:  # replaced between stat and open
            os.close(handle)
            return False
        now = self._clock()
        if self._too_young(key, fingerprint, now):
            os.close(handle)
            return False
        offset = self._start_offset(key, fingerprint, stat.st_size)
        self._files[key] = _File(
            path,
            handle,
            key[0],
            key[1],
            fingerprint,
            offset,
            self._new_stream(),
            size=stat.st_size,
            last_growth=now,
            # A copy (copytruncate's cp) may still be being written, or may end before
            # where its original was read to: it is shorter than its offset, and that
            # means "nothing new yet", not truncation.
            copy_short=offset > stat.st_size,
        )
        self._errors_logged = {e for e in self._errors_logged if e[0] != path}
        log.info("following %s from offset %d", path, offset)
        return True

    def _too_young(self, key: tuple[int, int], fingerprint: bytes, now: float) -> bool:
        """Whether a new file is too short yet to tell if it copies a known one.

        copytruncate's cp creates the copy empty and fills it; read at once from 0 it
        would count again what was read from the original. A new file is opened when its
        first bytes are enough to compare, or after `flush_after` at the latest.
        """
        if key in self._saved or len(fingerprint) >= _MIN_COPY_MATCH:
            self._young.pop(key, None)
            return False
        first_seen = self._young.setdefault(key, now)
        if now - first_seen < self._flush_after:
            return True
        del self._young[key]
        return False

    def _start_offset(self, key: tuple[int, int], fingerprint: bytes, size: int) -> int:
        saved = self._saved.pop(key, None)
        if saved is not None and fingerprint.startswith(saved.fingerprint[: len(fingerprint)]):
            return saved.offset if saved.offset <= size else 0
        for followed in self._files.values():
            if _is_copy(fingerprint, followed.fingerprint):
                return followed.offset
        for original, offset in self._retired.items():
            if _is_copy(fingerprint, original):
                return offset
        if self._first_pass and self._skip_existing:
            return size
        return 0

    def _moved(self, followed: _File, path: str, read: SourceRead) -> None:
        if followed.path != path:
            log.info("%s was renamed to %s", followed.path, path)
            followed.path = path
            read.rotations += 1
        followed.gone_since = None

    def _read(self, followed: _File, read: SourceRead) -> None:
        """Read what is new; a failing read (EIO, a vanished mount) is retried next pass."""
        try:
            self._read_new(followed, read)
        except OSError as error:
            self._error(followed.path, error, read)

    def _read_new(self, followed: _File, read: SourceRead) -> None:
        stat = os.fstat(followed.handle)
        head = os.pread(followed.handle, len(followed.fingerprint) or _FINGERPRINT, 0)
        followed.size = stat.st_size
        if followed.copy_short and stat.st_size >= followed.offset:
            followed.copy_short = False
        shrunk = stat.st_size < followed.offset and not followed.copy_short
        if shrunk or not head.startswith(followed.fingerprint):
            self._truncated(followed, read)
        now = self._clock()
        budget = _PASS_BUDGET
        while followed.offset < followed.size and budget > 0:
            budget -= _BLOCK
            chunk = os.pread(followed.handle, _BLOCK, followed.offset)
            if not chunk:
                break
            followed.offset += len(chunk)
            read.bytes += len(chunk)
            read.batch.merge(followed.stream.feed(chunk))
            followed.last_growth, followed.flushed = now, False
            if len(followed.fingerprint) < _FINGERPRINT:
                followed.fingerprint = os.pread(followed.handle, _FINGERPRINT, 0)
        if not followed.flushed and now - followed.last_growth >= self._flush_after:
            read.batch.merge(followed.stream.flush())
            followed.flushed = True

    def _truncated(self, followed: _File, read: SourceRead) -> None:
        log.info(
            "%s was truncated at offset %d; reading it again from the start",
            followed.path,
            followed.offset,
        )
        read.batch.merge(followed.stream.finish())
        self._remember(followed)
        read.truncations += 1
        followed.offset = 0
        followed.fingerprint = os.pread(followed.handle, _FINGERPRINT, 0)

    def _retire_if_done(self, key: tuple[int, int], followed: _File, read: SourceRead) -> None:
        now = self._clock()
        if followed.gone_since is None:
            followed.gone_since = now
            read.rotations += 1
            log.info(
                "%s is no longer among the source's files; reading it to its end", followed.path
            )
        if now - max(followed.gone_since, followed.last_growth) < self._rotate_wait:
            return
        read.batch.merge(followed.stream.finish())
        self._remember(followed)
        os.close(followed.handle)
        del self._files[key]

    def _remember(self, followed: _File) -> None:
        """Keep where a file's content ended, for a copy of it that may appear."""
        if len(followed.fingerprint) >= _MIN_COPY_MATCH:
            self._retired[followed.fingerprint] = followed.offset
            while len(self._retired) > _RETIRED:
                self._retired.popitem(last=False)

    def _error(self, path: str, error: OSError, read: SourceRead) -> None:
        read.read_errors += 1
        if (path, error.errno or 0) not in self._errors_logged:
            self._errors_logged.add((path, error.errno or 0))
            log.warning("cannot read %s: %s (will retry)", path, error.strerror or error)


def _base_folder(pattern: str) -> str:
    """The deepest existing folder above a glob pattern's first wildcard."""
    folder = os.path.dirname(pattern) or "."
    while glob.has_magic(folder):
        folder = os.path.dirname(folder) or "."
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder) or "."
    return folder
