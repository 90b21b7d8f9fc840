"""`detect`: which format and recipe read a log best, tried on a sample of it.

Owns sampling a file (its head and, for a large plain file, its tail: never the whole
file), guessing its encoding, trying every built-in format and every recipe on the
sample, and ranking what each would count: records, codes, directions and methods
known, time stamps found. Also the lines that look as if they carry a SIP status or
request but that no candidate reads, so that a log no candidate fits says so. The
ranking prefers a recipe whose program's signature is in the log, then the candidate
that reads the most of those lines, then the one that knows the most directions,
methods and times, then a recipe over a bare format.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from exporter.config import SourceConfig, parse_config
from exporter.detect import guess
from exporter.events import Direction, Event, Kind
from exporter.formats import make_parser
from exporter.formats.timestamps import FileClock, TimeSettings
from exporter.ingest.once import open_log
from exporter.recipes import Recipe
from exporter.validation import ConfigError

SAMPLE_BYTES = 1 << 20
# How close to the most lines read a candidate must come to be ranked by its signature.
_NEARLY = 0.8
# Lines that look as if they carry a SIP status or a request: a start line, or a code
# after words that loggers put before one.
_EVIDENCE = re.compile(
    rb"SIP/2\.0[ \t]+[1-6]\d\d\b|\b[A-Z]{3,9}[ \t]+sips?:\S+[ \t]+SIP/2\.0"
    rb"|(?i:status|code|response|rs|reply|\xe5\x9b\x9e\xe5\xa4\x8d)[^\n]{0,12}?\b[1-6]\d\d\b"
    rb"|\b(?:received|sent)[ \t]+[1-6]\d\d[ \t]"
)
_ENCODINGS = ("utf-8", "gbk", "gb18030")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A way to read the log: a built-in format with its defaults, or a recipe."""

    name: str
    block: dict[str, Any]
    recipe: Recipe | None = None


@dataclass(slots=True)
class Fit:
    """What one candidate read in the samples."""

    candidate: Candidate
    responses: int = 0
    requests: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    directions: Counter[str] = field(default_factory=Counter)
    methods_known: int = 0
    stamped: int = 0
    malformed: int = 0
    read_lines: set[tuple[int, int]] = field(default_factory=set)
    signature: bool = False
    # How many of the lines that look like a status or a request it reads.
    covered: int = 0

    @property
    def records(self) -> int:
        return self.responses + self.requests

    def outcome(self) -> tuple[object, ...]:
        """What it read, to tell candidates that read the same apart from those that don't."""
        codes, directions = sorted(self.codes.items()), sorted(self.directions.items())
        return (self.covered, self.responses, self.requests, *codes, (), *directions,
                self.methods_known, self.stamped)  # fmt: skip

    def rank(self, most: int) -> tuple[int, ...]:
        """Its place, given the most lines any candidate reads: among those that read
        nearly as many (a recipe may rightly leave out a copy that a bare format counts),
        a recipe whose program's signature is in the log first."""
        known = self.records - self.directions[Direction.UNKNOWN.value]
        recipe = self.candidate.recipe
        # A recipe for one build of a program that another recipe reads too (wvp's
        # early-2023 builds), first where its signature is found.
        specific = self.signature and recipe is not None and recipe.specific
        return (
            int(self.covered >= _NEARLY * most),
            int(self.signature),
            int(specific),
            self.covered,
            known,
            self.methods_known,
            self.stamped,
            -self.malformed,
        )


@dataclass(frozen=True, slots=True)
class Sample:
    """The bytes read of one file, each piece starting and ending at a line boundary."""

    path: str
    pieces: tuple[bytes, ...]
    encoding: str


def sample(path: str, size: int = SAMPLE_BYTES) -> Sample:
    """The head of the file (decompressed when it is gzip) and, for a plain file larger
    than twice `size`, its tail too: a log's shape can change over its life."""
    stream, raw = open_log(path)
    with stream, raw:
        head = _whole_lines(stream.read(size), at_start=True)
        pieces = [head]
        if stream is raw and os.fstat(raw.fileno()).st_size > 2 * size:
            raw.seek(-size, os.SEEK_END)
            pieces.append(_whole_lines(raw.read(size), at_start=False))
    return Sample(path, tuple(pieces), guess_encoding(b"".join(pieces)))


def _whole_lines(data: bytes, *, at_start: bool) -> bytes:
    if not at_start:
        data = data[data.find(b"\n") + 1 :]
    end = data.rfind(b"\n") + 1
    return data[:end] if end else data


def guess_encoding(data: bytes) -> str:
    """UTF-8 if the bytes decode as UTF-8, else GBK, else GB18030 (its superset)."""
    for encoding in _ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "gb18030"


# The built-in formats as detect tries them without a recipe: those that need no setting
# of their own, and the sip format's two switches that real logs need.
_FORMATS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("format sip", {"name": "sip", "format": "sip"}),
    ("format sip, syslog escapes", {"name": "sip", "format": "sip", "syslog_escapes": True}),
    ("format sip, wrapper required", {"name": "sip", "format": "sip", "require_wrapper": True}),
    ("format wvp", {"name": "wvp", "format": "wvp"}),
    ("format kv", {"name": "kv", "format": "kv"}),
    ("format json", {"name": "json", "format": "json"}),
)


def candidates(recipes: Iterable[Recipe], one: Sample | None = None) -> list[Candidate]:
    """Every recipe, every built-in format that needs no setting of its own, and, for a
    sample of JSON or key=value lines, those formats with the field names it holds."""
    found = [Candidate(f"recipe {r.name}", dict(r.source), r) for r in recipes]
    found += [Candidate(name, dict(block)) for name, block in _FORMATS]
    if one is not None:
        text = b"".join(one.pieces).decode(one.encoding, "replace")
        fields = guess.json_fields(text)
        if fields is not None:
            block = {"name": "json", "format": "json", "fields": fields}
            found.append(Candidate("format json, fields from the log", block))
        settings = guess.kv_settings(text)
        if settings is not None:
            block = {"name": "kv", "format": "kv", **settings}
            found.append(Candidate("format kv, fields from the log", block))
    return found


def source_for(candidate: Candidate, encoding: str, paths: Sequence[str]) -> SourceConfig:
    """The candidate's source block as the config reads it, for `paths`."""
    block = dict(candidate.block, paths=list(paths))
    if encoding != "utf-8":
        block["encoding"] = encoding
    return parse_config(yaml.safe_dump({"sources": [block]}), candidate.name).sources[0]


def evidence_lines(one: Sample) -> set[tuple[int, int]]:
    """(piece, line start) of every line that looks as if it carries a status or request."""
    found = set()
    for number, data in enumerate(one.pieces):
        for match in _EVIDENCE.finditer(data):
            found.add((number, data.rfind(b"\n", 0, match.start()) + 1))
    return found


def fit(candidate: Candidate, one: Sample, year: int) -> Fit | None:
    """What `candidate` reads in the sample; None where its settings do not apply."""
    try:
        source = source_for(candidate, one.encoding, [one.path])
    except ConfigError:
        return None
    result = Fit(candidate)
    signature = candidate.recipe.signature if candidate.recipe else None
    for number, data in enumerate(one.pieces):
        parsed = make_parser(source.format).parse(data, final=True)
        result.malformed += parsed.malformed
        _add_events(result, parsed.events)
        result.read_lines.update(_lines_at(data, number, parsed.offsets))
        clock = FileClock(TimeSettings(None, year))
        times = clock.times(data, parsed.offsets, parsed.consumed)
        result.stamped += sum(t is not None for t in times)
        if signature is not None and signature.search(data):
            result.signature = True
    return result


def _lines_at(data: bytes, number: int, offsets: Sequence[int]) -> Iterable[tuple[int, int]]:
    """The lines an event's record starts at, and the line after (a wrapper line stands
    before a SIP start line that the evidence finds)."""
    for offset in offsets:
        # A start line may begin inside its line (rsyslog's #012 escapes a whole message
        # into one line): the record's line is where that line starts. The line before
        # is the wrapper that a dump writes before the message (`.RX … Response msg 401`).
        start = data.rfind(b"\n", 0, offset) + 1
        yield number, start
        yield number, data.rfind(b"\n", 0, max(start - 1, 0)) + 1
        yield number, data.find(b"\n", offset) + 1


def _add_events(result: Fit, events: Sequence[Event]) -> None:
    for event in events:
        if event.kind is Kind.RESPONSE:
            result.responses += 1
            result.codes[event.code] += 1
        else:
            result.requests += 1
        result.directions[event.direction.value] += 1
        result.methods_known += event.method not in ("", "unknown")


def unread_lines(
    one: Sample, best: Fit | None, evidence: set[tuple[int, int]], most: int = 5
) -> list[str]:
    """A few lines that look as if they carry a status but that the best fit does not read."""
    read = best.read_lines if best else set()
    shown = []
    for number, start in sorted(evidence - read)[:most]:
        data = one.pieces[number]
        end = data.find(b"\n", start)
        line = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
        shown.append(line.decode(one.encoding, "replace")[:200])
    return shown


def _distinct(fits: list[Fit]) -> list[Fit]:
    """Without a candidate that reads exactly what an earlier one reads, unless its
    program's signature is in the log: the first of equals (bare formats in the order of
    their simpler settings) stands for them all."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for each in fits:
        outcome = each.outcome()
        if not each.signature and outcome in seen:
            continue
        seen.add(outcome)
        kept.append(each)
    return kept


@dataclass(frozen=True, slots=True)
class Report:
    """What detect found in one file: every candidate that reads something, best first."""

    path: str
    encoding: str
    fits: list[Fit]
    evidence: int
    unread: list[str]

    @property
    def best(self) -> Fit | None:
        return self.fits[0] if self.fits else None


def detect(path: str, recipes: Iterable[Recipe], year: int) -> Report:
    """Try every candidate on a sample of the file at `path` (OSError, EOFError)."""
    one = sample(path)
    evidence = evidence_lines(one)
    fits = [f for c in candidates(recipes, one) if (f := fit(c, one, year)) and f.records]
    for each in fits:
        each.covered = len(each.read_lines & evidence)
    # A recipe whose signature is not in the log is no better than its bare format.
    fits = _distinct(sorted(fits, key=lambda f: (not f.signature, f.candidate.recipe is not None)))
    most = max((f.covered for f in fits), default=0)
    fits.sort(key=lambda f: f.rank(most), reverse=True)
    best = fits[0] if fits else None
    return Report(path, one.encoding, fits, len(evidence), unread_lines(one, best, evidence))
