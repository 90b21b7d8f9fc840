"""Waking the reader: file events in the watched folders, plus a poll that always runs.

Owns the file-event source (Linux inotify, read by the reader thread itself; elsewhere, or
where inotify cannot start, one watchdog observer), the folders it watches and the poll's
schedule. Events only wake: busy logs flood event queues and some filesystems (NFS, CIFS)
send none, so the reader re-checks every followed file on each wake. What an event may
still say is whether the reader must search for files again:

- a name that a source's paths can match appearing, going or moving, a folder appearing
  or going, or events lost: search (glob) on this pass;
- an append to a file a source's paths match: read, without searching;
- anything else (another program's files in the same folder): nothing, not even a wake.

The poll searches and reads every `poll_interval` whatever the events said. Events that
come in a burst become one pass: after a wake the reader waits until the folders have
been quiet for `_QUIET` (at most `_SETTLE` in all), so a writer's hundred small writes
cost one pass, and an append is still read within milliseconds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
import weakref
from collections.abc import Callable, Iterable

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from exporter.ingest.inotify import (
    IN_DELETE_SELF,
    IN_IGNORED,
    IN_ISDIR,
    IN_MOVE_SELF,
    IN_Q_OVERFLOW,
    NAMES,
    Inotify,
)
from exporter.ingest.walk import could_match

log = logging.getLogger(__name__)

_QUIET = 0.003  # seconds without an event that end a burst
_SETTLE = 0.02  # the longest a burst delays its pass
_VERDICTS = 1024  # paths whose verdict (matched by a source or not) is remembered
# What watchdog is asked for: appends and names, never opens, closes or reads.
_WATCHDOG_EVENTS = [
    FileModifiedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


class Waker:
    """Wakes the reader on file events in the watched folders, or when the poll is due."""

    def __init__(
        self,
        poll_interval: float,
        *,
        native: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._poll_interval, self._clock = poll_interval, clock
        self._next_poll = clock() + poll_interval
        self._wakeup_r, self._wakeup_w = os.pipe()
        for end in (self._wakeup_r, self._wakeup_w):
            os.set_blocking(end, False)
            # Closed with the waker, not by `stop`: a late `wake` from another thread (a
            # signal, a reload) must never write to a descriptor number used again.
            weakref.finalize(self, os.close, end)
        self._inotify = _inotify() if native else None
        self._observer: BaseObserver | None = None
        self._watches: dict[str, int | ObservedWatch] = {}
        self._patterns: tuple[str, ...] = ()
        self._verdicts: dict[str, bool] = {}
        self._changed = False

    @property
    def native(self) -> bool:
        """Whether events come from inotify read here (else from a watchdog observer)."""
        return self._inotify is not None

    def watch(self, folders: Iterable[str], patterns: Iterable[str]) -> None:
        """Watch these folders (each alone, not what is below), and no others, for names
        that match one of `patterns` (absolute); folders may come and go."""
        wanted = {os.path.abspath(f) for f in folders if os.path.isdir(f)}
        patterns = tuple(patterns)
        if patterns != self._patterns:
            self._patterns, self._verdicts = patterns, {}
        for folder in set(self._watches) - wanted:
            self._unwatch(folder)
        for folder in sorted(wanted - set(self._watches)):
            try:
                self._watches[folder] = self._watch_one(folder)
            except OSError as error:  # e.g. inotify watch limit reached: polling still works
                log.warning("cannot watch %s for file events (%s); polling it", folder, error)

    def _watch_one(self, folder: str) -> int | ObservedWatch:
        if self._inotify is not None:
            return self._inotify.add(folder)
        if self._observer is None:
            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        handler = _Handler(self._notice, self.wake)
        return self._observer.schedule(handler, folder, event_filter=_WATCHDOG_EVENTS)

    def _unwatch(self, folder: str) -> None:
        watch = self._watches.pop(folder)
        if isinstance(watch, int):
            if self._inotify is not None:
                self._inotify.remove(watch)
        elif self._observer is not None:
            self._observer.unschedule(watch)

    def set_poll_interval(self, seconds: float) -> None:
        self._poll_interval = seconds
        self._next_poll = min(self._next_poll, self._clock() + seconds)

    def wait(self) -> bool:
        """Block until a file event that matters or the next poll tick, let a burst of
        events settle; whether the reader must search for files again."""
        ready = select.select(self._fds(), [], [], 0)[0]
        if ready and self._take_events(ready):
            # Come while the reader read: a writer at work, with no quiet to wait for.
            self._gather(self._clock() + _SETTLE)
            return self._search_due()
        while (timeout := self._next_poll - self._clock()) > 0:
            ready = select.select(self._fds(), [], [], timeout)[0]
            if not ready:
                break
            if self._take_events(ready):
                self._settle()
                break
            time.sleep(_QUIET)  # about other programs' files: let the kernel merge them
        return self._search_due()

    def pending(self) -> bool:
        """Without waiting: take what has come; whether the reader must search again."""
        self._take_events(select.select(self._fds(), [], [], 0)[0])
        return self._search_due()

    def wake(self) -> None:
        """Wake the reader now (shutdown, reload); safe from any thread."""
        with contextlib.suppress(BlockingIOError):  # a full pipe wakes it all the same
            os.write(self._wakeup_w, b"\0")

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        self._watches.clear()

    def _fds(self) -> list[int]:
        return [self._wakeup_r] if self._inotify is None else [self._wakeup_r, self._inotify.fd]

    def _settle(self) -> None:
        """Wait until the folders have been quiet for `_QUIET`, or `_SETTLE` after the wake
        when they are not (a writer at work: one pass per `_SETTLE`)."""
        deadline = self._clock() + _SETTLE
        if self._gather(self._clock() + _QUIET):
            self._gather(deadline)

    def _gather(self, until: float) -> bool:
        """Sleep until `until`, then take what came; whether something did."""
        # Asleep, not listening: the kernel merges an event identical to the last one
        # unread, so a burst's many appends wait as one.
        time.sleep(max(until - self._clock(), 0.0))
        ready = select.select(self._fds(), [], [], 0)[0]
        if ready:
            self._take_events(ready)
        return bool(ready)

    def _take_events(self, ready: list[int]) -> bool:
        """Read what has come on the `ready` descriptors; whether any of it wakes the
        reader."""
        woken = False
        if self._wakeup_r in ready:
            woken = bool(os.read(self._wakeup_r, 4096))
        if self._inotify is not None and self._inotify.fd in ready:
            for mask, path in self._inotify.read():
                woken = self._inotified(mask, path) or woken
        return woken

    def _inotified(self, mask: int, path: str) -> bool:
        if mask & IN_IGNORED:  # the kernel dropped the watch (folder gone): watch it anew
            self._watches.pop(path, None)
        if mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
            return self._notice(path, True, True)  # events lost, or a watched folder gone
        return self._notice(path, bool(mask & NAMES), bool(mask & IN_ISDIR))

    def _notice(self, path: str, names: bool, folder: bool) -> bool:
        """An event about `path`: a name came, went or moved (`names`) or it was written
        to. Whether it wakes the reader."""
        if names and folder:
            self._changed = True
            return True
        if folder or not self._matters(path):
            return False
        self._changed = self._changed or names
        return True

    def _matters(self, path: str) -> bool:
        verdict = self._verdicts.get(path)
        if verdict is None:
            if len(self._verdicts) >= _VERDICTS:
                self._verdicts.clear()
            verdict = any(could_match(path, pattern) for pattern in self._patterns)
            self._verdicts[path] = verdict
        return verdict

    def _search_due(self) -> bool:
        now = self._clock()
        due = now >= self._next_poll
        if due:
            self._next_poll = now + self._poll_interval
        search, self._changed = self._changed or due, False
        return search


def _inotify() -> Inotify | None:
    try:
        return Inotify()
    except OSError as error:
        log.info("file events come from watchdog (%s)", error)
        return None


class _Handler(FileSystemEventHandler):
    """Passes watchdog's events, on its thread, to the same rules as inotify's."""

    def __init__(self, notice: Callable[[str, bool, bool], bool], wake: Callable[[], None]) -> None:
        self._notice, self._wake = notice, wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        names = not isinstance(event, FileModifiedEvent)
        paths = [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        woken = [self._notice(os.fsdecode(p), names, event.is_directory) for p in paths]
        if any(woken):
            self._wake()
