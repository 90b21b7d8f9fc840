"""No silent zero: whether a source reads nothing, why, and when to say so.

Owns the two ways a source can count nothing while everything looks healthy: its globs
match no file (`no_files`: a typo in `paths`, a log folder that moved), or its files give
lines but not one record since the source started (`no_records`: most often the wrong
format, or a platform setting such as wvp's sip-log that is off), once that has lasted
`after` seconds. A source that has read one record is not silent when its log is quiet:
quiet logs are normal, formats that read nothing are not. Also when to tell the person:
at once, again every `repeat` seconds while it lasts, and once when it ends.
Pure: the caller passes the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NO_FILES = "no_files"
NO_RECORDS = "no_records"
REASONS = (NO_FILES, NO_RECORDS)


@dataclass(slots=True)
class Silence:
    """One source's silence, updated after each pass."""

    after: float = 300.0
    repeat: float = 600.0
    reason: str = ""
    _records: int = 0
    _first_line: float | None = None
    _told: float | None = None

    def update(self, files: int, lines: int, records: int, now: float) -> str | None:
        """Take one pass's counts at `now`; what to log, if anything, and the new reason
        in `reason` ("" when the source reads)."""
        self._records += records
        if lines and self._first_line is None:
            self._first_line = now
        before, self.reason = self.reason, self._reason(files, now)
        if not self.reason:
            self._told = None
            return "reading again" if before else None
        if before != self.reason or self._told is None or now - self._told >= self.repeat:
            self._told = now
            return self.reason
        return None

    def _reason(self, files: int, now: float) -> str:
        if files == 0:
            return NO_FILES
        if self._records or self._first_line is None:
            return ""
        return NO_RECORDS if now - self._first_line >= self.after else ""


# Log levels, as the logging module numbers them (this module imports no logging).
_WARNING, _INFO = 30, 20


def telling(said: str, source: str, paths: Sequence[str]) -> tuple[int, str]:
    """What `Silence.update` said, as a log level and a line for the person."""
    if said == NO_FILES:
        return _WARNING, f"source {source}: no file matches {', '.join(paths)}; nothing is counted"
    if said == NO_RECORDS:
        return _WARNING, (
            f"source {source}: its files give lines but no record; is the format right? "
            "`sip-log-exporter detect FILE` shows which format or recipe reads them"
        )
    return _INFO, f"source {source}: reading records again"
