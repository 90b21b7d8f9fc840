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
  a file truncated or closed (a copytruncate copy that also matches the glob) starts at
  the offset the original had reached, so nothing is read twice. A copy of a file still
  followed and intact (cp may still write it while the writer appends to the original) is
  not read: its offset keeps up with the original's until the original is truncated or
  let go, and it is read from there. A file found to differ further on is no copy.
- Files are read one after another, oldest change first, at most `_PASS_BUDGET` bytes of
  all of a source's files per pass: memory is bounded by the pass, not by the backlog or
  the number of files, and a backlog is read in the order it was written (the source's
  log clock does not run ahead of older lines).
- `**` enters no folder twice, up to `MAX_VISITS` visits (walk.py); a stop ends a pass.
  The files are searched for when the caller says (a folder changed, or the poll is due).
- An open multi-line record at an idle end of file is closed after `flush_after`.
- A file that cannot be opened or read (EIO too) is counted, logged once, retried.

Only the reader thread calls into a `SourceFollower`.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from stat import S_ISREG

from exporter.formats.stream import RecordStream
from exporter.ingest.places import SavedFile as SavedFile
from exporter.ingest.places import SourceRead as SourceRead
from exporter.ingest.walk import Finder

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
# At most this much of all of a source's files per pass: a pass's events stay few however
# large the backlog or the number of files, and other sources and checkpoints get a turn.
_PASS_BUDGET = 8 * _BLOCK
# At most this many folders and files visited by one search of a source's `**` patterns:
# a pattern such as `/**` is a mistake to report, not a walk of every mounted disk.
MAX_VISITS = 50_000
_FINGERPRINT = 256
_MIN_COPY_MATCH = 64  # fewer first bytes than this are too common to prove a copy
_RETIRED = 64


_Key = tuple[int, int]  # device and inode


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
    mtime: int = 0
    copy_of: _Key | None = None  # the followed file this copies, while that one is intact
    unlinked: int = 0  # where it is read from if it proves no copy

    @property
    def committed(self) -> int:
        """Where a restart resumes; for a copy never past its end (it may not grow again)."""
        done = self.offset - self.stream.pending
        return min(done, self.size) if self.copy_short or self.copy_of else done


def _is_copy(fingerprint: bytes, original: bytes) -> bool:
    shorter = min(len(fingerprint), len(original))
    return shorter >= _MIN_COPY_MATCH and fingerprint[:shorter] == original[:shorter]


def _copy_state(copy: _File, original: _File) -> str:
    """'copy' (a prefix of the intact original), 'truncated' (the original) or 'other'."""
    head = os.pread(original.handle, len(original.fingerprint), 0)
    if original.size < original.offset or not head.startswith(original.fingerprint):
        return "truncated"
    if copy.size > original.size:  # a copy is never longer: this one is an original
        return "other"
    start = max(copy.size - _FINGERPRINT, 0)
    tails = [os.pread(f.handle, copy.size - start, start) for f in (copy, original)]
    return "copy" if tails[0] == tails[1] else "other"


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
        interrupted: Callable[[], bool] = lambda: False,
    ) -> None:
        self._patterns = tuple(patterns)
        self._finder = Finder(self._patterns, tuple(exclude), MAX_VISITS, interrupted)
        self._stopping = interrupted
        self._new_stream = new_stream
        self._clock = clock
        self._saved = {(s.dev, s.ino): s for s in saved or ()}
        # With no checkpoint, files already there at the first pass are history.
        self._skip_existing = start_at_end and saved is None
        self._first_pass = True
        self._rotate_wait = rotate_wait
        self._flush_after = flush_after
        self._files: dict[_Key, _File] = {}
        # Where known content ended, for copies of it: files truncated or closed, and every
        # file of the checkpoint (a copy made while the exporter was down starts there).
        self._retired: OrderedDict[bytes, int] = OrderedDict(
            (s.fingerprint, s.offset) for s in saved or () if len(s.fingerprint) >= _MIN_COPY_MATCH
        )
        self._errors_logged: set[tuple[str, int]] = set()
        self._young: dict[_Key, float] = {}  # short new files: when first seen
        self.found: dict[_Key, str] | None = None  # what the last search found

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
        return sum(max(f.size - f.offset, 0) for f in self._files.values() if f.copy_of is None)

    def paths(self) -> list[str]:
        return sorted(f.path for f in self._files.values())

    def poll(self, search: bool = True) -> SourceRead:
        """Read what is new, after searching for the files again if `search` (or never yet)."""
        read = SourceRead()
        if search or self.found is None:
            paths = self._finder.paths()
            if paths is None:  # a stop was asked for during the search
                return read
            read.read_errors += self._finder.over_limit
            self.found = dict(self._discover(paths, read))
        read.matched = len(found := self.found)
        for key, path in found.items():
            if self._stopping():
                return read
            if key in self._files:
                self._moved(self._files[key], path, read)
            else:
                self._open(path, key, read)
        budget = _PASS_BUDGET
        for followed in self._in_time_order(read):
            if self._stopping():
                return read
            budget -= self._read(followed, read, budget)
        # A search cut short at its limit proves nothing about the files it did not find.
        for key, followed in [] if self._finder.over_limit else list(self._files.items()):
            if key not in found:
                self._retire_if_done(key, followed, read)
        self._young = {key: since for key, since in self._young.items() if key in found}
        self._first_pass = False
        return read

    def _in_time_order(self, read: SourceRead) -> list[_File]:
        """This pass's files, the one changed longest ago first (a rotated file first)."""
        ready = []
        for followed in self._files.values():
            try:
                stat = os.fstat(followed.handle)
            except OSError as error:
                self._error(followed.path, error, read)
                continue
            followed.size, followed.mtime = stat.st_size, stat.st_mtime_ns
            ready.append(followed)
        return sorted(ready, key=lambda f: (f.mtime, f.path))

    def release(self) -> None:
        """Close every file without reading further; `saved()` taken before still holds."""
        for followed in self._files.values():
            os.close(followed.handle)
        self._files.clear()

    def _discover(self, paths: list[str], read: SourceRead) -> Iterator[tuple[_Key, str]]:
        for path in paths:
            try:
                stat = os.stat(path)
            except OSError as error:
                self._error(path, error, read)
                continue
            if S_ISREG(stat.st_mode):
                yield (stat.st_dev, stat.st_ino), path

    def _open(self, path: str, key: _Key, read: SourceRead) -> bool:
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
        offset, original, unlinked = self._start_offset(key, fingerprint, stat.st_size)
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
            copy_short=offset > stat.st_size,  # a copy cp still writes: not a truncation
            copy_of=original,
            unlinked=unlinked,
        )
        self._errors_logged = {e for e in self._errors_logged if e[0] != path}
        log.info("following %s from offset %d", path, offset)
        return True

    def _too_young(self, key: _Key, fingerprint: bytes, now: float) -> bool:
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

    def _start_offset(
        self, key: _Key, fingerprint: bytes, size: int
    ) -> tuple[int, _Key | None, int]:
        """Where a new file starts, the followed file it copies, and its start if no copy."""
        saved = self._saved.pop(key, None)
        if saved is not None and fingerprint.startswith(saved.fingerprint[: len(fingerprint)]):
            own = saved.offset if saved.offset <= size else 0
        else:
            own = self._unknown_start(fingerprint, size)
        for original_key, followed in self._files.items():
            if followed.copy_of is None and _is_copy(fingerprint, followed.fingerprint):
                return max(followed.offset, own), original_key, own
        return own, None, own

    def _unknown_start(self, fingerprint: bytes, size: int) -> int:
        for original, offset in self._retired.items():
            if _is_copy(fingerprint, original):
                return offset
        return size if self._first_pass and self._skip_existing else 0

    def _moved(self, followed: _File, path: str, read: SourceRead) -> None:
        if followed.path != path:
            log.info("%s was renamed to %s", followed.path, path)
            followed.path = path
            read.rotations += 1
        followed.gone_since = None

    def _read(self, followed: _File, read: SourceRead, budget: int) -> int:
        """Read up to `budget` new bytes; how many. A failing read (EIO) is retried."""
        before = read.bytes
        try:
            if not self._keeps_up_with_original(followed):
                self._read_new(followed, read, budget)
        except OSError as error:
            self._error(followed.path, error, read)
        return read.bytes - before

    def _keeps_up_with_original(self, followed: _File) -> bool:
        """A copy of an intact followed file is not read: its offset follows the original's."""
        original = self._files.get(followed.copy_of) if followed.copy_of else None
        state = "gone" if original is None else _copy_state(followed, original)
        if original is not None and state != "other":
            followed.offset = max(followed.offset, original.offset)
            followed.copy_short = followed.offset > followed.size
        elif state == "other":  # only the first bytes were the same: a file of its own
            log.info("%s is no copy; reading it from %d", followed.path, followed.unlinked)
            followed.offset, followed.copy_short = followed.unlinked, False
        # A truncated original: the copy holds what was not read from it (older than what
        # the original holds now), so it is read from here on, and first.
        followed.copy_of = followed.copy_of if state == "copy" else None
        return state == "copy"

    def _read_new(self, followed: _File, read: SourceRead, budget: int) -> None:
        head = os.pread(followed.handle, len(followed.fingerprint) or _FINGERPRINT, 0)
        if followed.copy_short and followed.size >= followed.offset:
            followed.copy_short = False
        shrunk = followed.size < followed.offset and not followed.copy_short
        if shrunk or not head.startswith(followed.fingerprint):
            self._truncated(followed, read)
        now = self._clock()
        while followed.offset < followed.size and budget > 0:
            chunk = os.pread(followed.handle, min(_BLOCK, budget), followed.offset)
            if not chunk:
                break
            budget -= len(chunk)
            followed.offset += len(chunk)
            read.bytes += len(chunk)
            read.batch.merge(followed.stream.feed(chunk))
            followed.last_growth, followed.flushed = now, False
            if len(followed.fingerprint) < _FINGERPRINT:
                followed.fingerprint = os.pread(followed.handle, _FINGERPRINT, 0)
        # At its end only: a file waiting for its turn holds the rest of a record unread.
        at_end = followed.offset >= followed.size
        if at_end and not followed.flushed and now - followed.last_growth >= self._flush_after:
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

    def _retire_if_done(self, key: _Key, followed: _File, read: SourceRead) -> None:
        now = self._clock()
        if followed.gone_since is None:
            followed.gone_since = now
            read.rotations += 1
            log.info(
                "%s is no longer among the source's files; reading it to its end", followed.path
            )
        if now - max(followed.gone_since, followed.last_growth) < self._rotate_wait:
            return
        if followed.offset < followed.size and followed.copy_of is None:
            return  # not read to its end yet: its turn has not come
        read.batch.merge(followed.stream.finish())
        self._remember(followed)
        os.close(followed.handle)
        del self._files[key]

    def _remember(self, followed: _File) -> None:
        """Keep where a file's content ended, for a copy of it that may appear, and hand
        that place to its copies already followed: they are read from there on."""
        key = (followed.dev, followed.ino)
        for copy in self._files.values():
            if copy.copy_of == key:
                copy.copy_of = None
                copy.offset = max(copy.offset, followed.offset)
                copy.copy_short = copy.offset > copy.size
        if len(followed.fingerprint) >= _MIN_COPY_MATCH:
            self._retired[followed.fingerprint] = followed.offset
            while len(self._retired) > _RETIRED:
                self._retired.popitem(last=False)

    def _error(self, path: str, error: OSError, read: SourceRead) -> None:
        read.read_errors += 1
        if (path, error.errno or 0) not in self._errors_logged:
            self._errors_logged.add((path, error.errno or 0))
            log.warning("cannot read %s: %s (will retry)", path, error.strerror or error)
