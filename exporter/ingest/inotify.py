"""Linux inotify, read by the thread that waits on it, with no thread of its own.

Owns one inotify descriptor and its watches, one folder each (inotify is never recursive).
Nothing is read until the waiting thread looks, and the kernel merges an event identical
to the last unread one: a log written in a thousand small pieces while the reader works
costs one event when it next looks, not a thousand (watchdog's threads turn each write
into Python objects passed through three queues). Only what the reader needs is asked for:
appends, and names that come and go; the reader's own reads and folder listings send
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
from collections.abc import Iterator

IN_MODIFY = 0x2
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x1000000
IN_ISDIR = 0x40000000
# Names that come and go, and the folder itself going: what can change a search's result.
NAMES = IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
_MASK = IN_MODIFY | NAMES | IN_ONLYDIR
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, length of the name that follows
_BUFFER = 64 * 1024


class Inotify:
    """One inotify descriptor, non-blocking; raises OSError where there is none."""

    def __init__(self) -> None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            self._add_watch = libc.inotify_add_watch
            self._rm_watch = libc.inotify_rm_watch
            init = libc.inotify_init1
        except (OSError, AttributeError) as error:  # not Linux: the caller uses watchdog
            raise OSError(f"no inotify here ({error})") from None
        self._add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self._rm_watch.argtypes = (ctypes.c_int, ctypes.c_int)
        self.fd = self._checked(init(os.O_NONBLOCK | os.O_CLOEXEC))
        self._folders: dict[int, str] = {}

    @staticmethod
    def _checked(result: int, what: str | None = None) -> int:
        if result < 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number), what)
        return result

    def add(self, folder: str) -> int:
        """Watch `folder`; its watch descriptor (OSError: gone, or the watch limit)."""
        wd = self._checked(self._add_watch(self.fd, os.fsencode(folder), _MASK), folder)
        self._folders[wd] = folder
        return wd

    def remove(self, wd: int) -> None:
        self._folders.pop(wd, None)
        self._rm_watch(self.fd, wd)  # fails only for a watch the kernel dropped already

    def read(self) -> Iterator[tuple[int, str]]:
        """Each waiting event's mask and path (the folder's own for events about it)."""
        try:
            data = os.read(self.fd, _BUFFER)
        except BlockingIOError:
            return
        at = 0
        while at < len(data):
            wd, mask, _, length = _HEADER.unpack_from(data, at)
            name = data[at + _HEADER.size : at + _HEADER.size + length].rstrip(b"\0")
            at += _HEADER.size + length
            folder = self._folders.get(wd, "")
            yield mask, os.path.join(folder, os.fsdecode(name)) if name else folder

    def close(self) -> None:
        os.close(self.fd)
        self._folders.clear()
