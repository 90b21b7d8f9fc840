"""Waking the reader: file events from watchdog, plus a poll that always runs.

Owns the watchdog observer and the one `threading.Event` the reader waits on. Events only
wake; they carry no meaning, because busy logs flood event queues and some filesystems
(NFS, CIFS) send none. The reader re-checks every file on each wake and on each poll tick.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

log = logging.getLogger(__name__)


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._event.set()


class Waker:
    """Wakes the reader on file events in the watched folders, or when the poll is due."""

    def __init__(self, poll_interval: float) -> None:
        self._poll_interval = poll_interval
        self._event = threading.Event()
        self._handler = _Wake(self._event)
        self._observer: BaseObserver | None = None
        self._watches: dict[str, ObservedWatch] = {}

    def watch(self, folders: Iterable[str]) -> None:
        """Watch these folders (recursively), and no others; folders may come and go."""
        wanted = {os.path.abspath(f) for f in folders if os.path.isdir(f)}
        if self._observer is None and wanted:
            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        if self._observer is None:
            return
        for folder in set(self._watches) - wanted:
            self._observer.unschedule(self._watches.pop(folder))
        for folder in wanted - set(self._watches):
            try:
                self._watches[folder] = self._observer.schedule(
                    self._handler, folder, recursive=True
                )
            except OSError as error:  # e.g. inotify watch limit reached: polling still works
                log.warning("cannot watch %s for file events (%s); polling it", folder, error)

    def set_poll_interval(self, seconds: float) -> None:
        self._poll_interval = seconds

    def wait(self) -> None:
        """Block until a file event or the next poll tick."""
        self._event.wait(self._poll_interval)
        self._event.clear()

    def wake(self) -> None:
        """Wake the reader now (shutdown, reload)."""
        self._event.set()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
            self._watches.clear()
