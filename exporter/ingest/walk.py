"""Finding a source's files: its glob patterns expanded, with `**` walked safely.

Owns the search of the filesystem. Python's own recursive glob follows symbolic links to
folders without remembering where it has been, so two links to a parent folder (or
`/**` on a system that has such links) make a search that never ends. Here a `**` is
walked folder by folder: a folder reached twice (the same device and inode, through a
link or not) is searched once; a search visits at most `limit` folders and files; and
the caller can interrupt it (a stop asked for while it runs). Other patterns go to
`glob`, whose single-level wildcards cannot loop.
"""

from __future__ import annotations

import fnmatch
import glob
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

_CHECK_EVERY = 256  # entries between two looks at whether the caller wants to stop


@dataclass(slots=True)
class Search:
    """What one search found, and whether it was cut short."""

    paths: set[str]
    visits: int = 0
    over_limit: bool = False
    interrupted: bool = False


class Finder:
    """One source's search, which says once (in the log) when its patterns reach too far."""

    def __init__(
        self,
        patterns: tuple[str, ...],
        exclude: tuple[str, ...],
        limit: int,
        interrupted: Callable[[], bool],
    ) -> None:
        self._patterns, self._exclude = patterns, exclude
        self._limit, self._interrupted = limit, interrupted
        self._logged = False
        self.over_limit = False

    def paths(self) -> list[str] | None:
        """The matching paths, sorted; None when a stop was asked for during the search."""
        found = search(self._patterns, self._exclude, self._limit, self._interrupted)
        if found.interrupted:
            return None
        self.over_limit = found.over_limit
        if found.over_limit and not self._logged:
            self._logged = True
            log.warning(
                "the paths %s reach more than %d folders and files; the search stops there "
                "(narrow the patterns)",
                ", ".join(self._patterns),
                self._limit,
            )
        return sorted(found.paths)


def search(
    patterns: Iterable[str],
    exclude: Iterable[str],
    limit: int,
    interrupted: Callable[[], bool] = lambda: False,
) -> Search:
    """Every existing path matching one of `patterns` (`**`: any depth of folders) and
    none of `exclude` (matched against the path or the file name)."""
    found = Search(set())
    _search(patterns, limit, interrupted, found)
    excluded = tuple(exclude)
    found.paths = {p for p in found.paths if not _excluded(p, excluded)}
    return found


def base_folder(pattern: str) -> str:
    """The deepest existing folder above a glob pattern's first wildcard."""
    folder = os.path.dirname(pattern) or "."
    while glob.has_magic(folder):
        folder = os.path.dirname(folder) or "."
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder) or "."
    return folder


def could_match(path: str, pattern: str) -> bool:
    """Whether `path` matches `pattern` as the search would find it (both absolute)."""
    return _matches(path.split("/"), pattern.split("/"))


def watch_folders(pattern: str, limit: int) -> set[str]:
    """The existing folders in which a change can add or remove a match of `pattern`:
    its base folder and every folder below that the pattern's folder part can reach
    (a `**` reaches all of them, each entered once, at most `limit`)."""
    base = base_folder(pattern)
    folders = {base}
    rest = os.path.relpath(os.path.dirname(pattern), base).split(os.sep)
    for depth, part in enumerate(rest if rest != ["."] else []):
        if part == "**":
            for top in [f for f in folders if f.count(os.sep) == base.count(os.sep) + depth]:
                folders.update(_subfolders(top, limit - len(folders)))
            break
        below = os.path.join(base, *rest[: depth + 1])
        folders.update(f for f in glob.glob(below) if os.path.isdir(f))
    return folders


def _subfolders(top: str, limit: int) -> Iterator[str]:
    """Every folder under `top` (not hidden ones), each entered once, at most `limit`."""
    yield from _walk(top, Search(set()), limit, lambda: False, folders=True)


def _excluded(path: str, exclude: tuple[str, ...]) -> bool:
    name = os.path.basename(path)
    return any(fnmatch.fnmatch(name, x) or fnmatch.fnmatch(path, x) for x in exclude)


def _search(
    patterns: Iterable[str], limit: int, interrupted: Callable[[], bool], found: Search
) -> None:
    for pattern in patterns:
        if "**" not in pattern.split("/"):  # a `**` inside a name is a plain `*`
            found.paths.update(glob.glob(pattern))
            continue
        prefix, rest = _split(pattern)
        for top in glob.glob(prefix) if glob.has_magic(prefix) else [prefix]:
            for path in _walk(top, found, limit, interrupted):
                if _matches(os.path.relpath(path, top).split(os.sep), rest):
                    found.paths.add(path.removeprefix("./") if prefix == "." else path)
            if found.over_limit or found.interrupted:
                return


def _split(pattern: str) -> tuple[str, list[str]]:
    """The folder part before the first `**`, and the components from it on."""
    parts = pattern.split("/")
    first = parts.index("**") if "**" in parts else len(parts) - 1
    prefix = "/".join(parts[:first]) or ("/" if pattern.startswith("/") else ".")
    return prefix, parts[first:]


def _walk(
    top: str,
    found: Search,
    limit: int,
    interrupted: Callable[[], bool],
    folders: bool = False,
) -> Iterator[str]:
    """Every file (or with `folders`, every folder) under `top`, each folder entered once
    (by device and inode)."""
    try:
        first = os.stat(top)
    except OSError:
        return
    seen = {(first.st_dev, first.st_ino)}
    pending = [top]
    while pending:
        if interrupted():
            found.interrupted = True
            return
        folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:  # unreadable or gone: as glob does, it simply matches nothing
            continue
        for entry in listed:
            found.visits += 1
            if found.visits > limit:
                found.over_limit = True
                return
            if found.visits % _CHECK_EVERY == 0 and interrupted():
                found.interrupted = True
                return
            if not _is_folder(entry):
                if not folders:
                    yield entry.path
            elif not entry.name.startswith(".") and _first_visit(entry, seen):
                pending.append(entry.path)
                if folders:
                    yield entry.path


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _first_visit(entry: os.DirEntry[str], seen: set[tuple[int, int]]) -> bool:
    try:
        stat = entry.stat()  # follows a link: the folder it leads to is what counts
    except OSError:
        return False
    key = (stat.st_dev, stat.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def _matches(parts: list[str], pattern: list[str]) -> bool:
    """Whether path components match pattern components; `**` is any number of them.
    As in glob, a name starting with a dot is matched only by a component that does."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        for taken in range(len(parts) + 1):
            if taken and parts[taken - 1].startswith("."):
                return False
            if _matches(parts[taken:], rest):
                return True
        return False
    if not parts or (parts[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatch.fnmatchcase(parts[0], head) and _matches(parts[1:], rest)
