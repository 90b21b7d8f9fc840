"""The reader: every source's follower, stream and tally, on the one reader thread.

Owns the one `Tally`, every `SourceFollower` and each source's tracker, failure ranking
and silence; HTTP threads see them only through snapshots (`view`, `observe`) taken
under the reader's lock. Starts from the checkpoint (`restore`), saves it every interval
and at stop. The wall clock and the monotonic clock are passed in.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from exporter import contract
from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig
from exporter.count.account import (
    Matching,
    account,
    labeler_for,
    matching_for,
    new_stream,
    precreate,
    ranking_for,
    record_matched,
    series_limits,
)
from exporter.count.labels import Labeler
from exporter.count.peers import FailureRanking
from exporter.count.silence import Silence, telling
from exporter.formats.stream import Batch, RecordStream
from exporter.ingest import checkpoint
from exporter.ingest.follow import MAX_VISITS, SavedFile, SourceFollower, SourceRead
from exporter.ingest.walk import watch_folders
from exporter.restore import restore
from exporter.serve.families import SourceGauges, View
from exporter.serve.recent import Observed, Recent

log = logging.getLogger(__name__)

Clock = Callable[[], float]


_PER_SOURCE = [m.name for m in contract.ALL if m.labels[:1] == ("source",)]


def _reading_settings(config: Config) -> tuple[float, float, int]:
    """The global settings a follower is built with."""
    return (config.rotate_wait, config.flush_after, config.max_line_bytes)


@dataclass(slots=True)
class _Source:
    config: SourceConfig
    labeler: Labeler
    follower: SourceFollower
    ranking: FailureRanking
    matching: Matching | None = None
    # When (monotonic) the source last gave events: its log's quiet time runs from there.
    last_events: float = 0.0
    silence: Silence = field(default_factory=Silence)
    # What HTTP threads may read, refreshed under the lock after each pass.
    gauges: SourceGauges = field(default_factory=SourceGauges)
    paths: tuple[str, ...] = ()


class Reader:
    """The single reader: follows every source, counts, and checkpoints."""

    def __init__(
        self,
        config: Config,
        catalog: Catalog,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self._stopping = stopping  # a stop asked for: a long search ends its pass at once
        self._config = config
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._next_checkpoint = 0.0
        self._catalog = catalog
        restored = restore(config, clock)
        self._tally, self._saved_transactions = restored.tally, restored.transactions
        saved = restored.files
        self._sources = [self._make_source(s, catalog, saved) for s in config.sources]
        self._recent = Recent()
        self._recent.start(clock(), self._tally.snapshot(), restored.history)
        self.ready = threading.Event()
        self.passes = self.searches = 0  # passes over the sources; those that searched

    def _make_source(
        self,
        source: SourceConfig,
        catalog: Catalog,
        saved: Mapping[str, list[SavedFile]] | None,
        matching: Matching | None = None,
    ) -> _Source:
        labeler = labeler_for(source, catalog, self._config.default_profile)
        precreate(self._tally, self._config, labeler, transactions=source.transactions)
        account(self._tally, labeler, Batch(), SourceRead())  # self-metrics at 0
        if matching is None:
            matching = matching_for(source, self._config, self._saved_transactions.get(source.name))
        follower = SourceFollower(
            source.paths,
            source.exclude,
            partial(self._new_stream, source),
            self._monotonic,
            saved=None if saved is None else saved.get(source.name, []),
            start_at_end=source.start_at == "end",
            rotate_wait=self._config.rotate_wait,
            flush_after=self._config.flush_after,
            interrupted=self._stopping,
        )
        ranking, silence = ranking_for(self._config), Silence(self._config.no_records_after)
        return _Source(source, labeler, follower, ranking, matching, self._monotonic(), silence)

    def _new_stream(self, source: SourceConfig) -> RecordStream:
        year = datetime.fromtimestamp(self._clock()).year
        return new_stream(source, self._config.max_line_bytes, year)

    def reload(self, config: Config, catalog: Catalog) -> None:
        """Apply a new config between passes.

        Unchanged sources go on untouched (with the new catalog); changed ones go on from
        the offsets they had reached; new ones start as at a first start; removed ones stop
        and their series go. Counters of sources that stay continue.
        """
        current = {s.config.name: s for s in self._sources}
        old = self._config
        same_reading = _reading_settings(config) == _reading_settings(old)
        with self._lock:
            self._config = config
            self._catalog = catalog
            self._tally.set_limits(series_limits(config))
            sources = []
            for source in config.sources:
                previous = current.pop(source.name, None)
                if previous is not None and previous.config == source and same_reading:
                    previous.labeler = labeler_for(source, catalog, config.default_profile)
                    if previous.matching is not None and config.transactions != old.transactions:
                        # Open transactions go on, under the new settings.
                        previous.matching = matching_for(
                            source, config, previous.matching.tracker.dump()
                        )
                    if config.top_peers != old.top_peers:
                        previous.ranking = ranking_for(config)
                    sources.append(previous)
                    continue
                saved, matching = None, None
                if previous is not None:
                    saved = {source.name: previous.follower.saved()}
                    previous.follower.release()
                    if previous.matching is not None and source.transactions:
                        # Open transactions go on, under the new settings.
                        matching = matching_for(source, config, previous.matching.tracker.dump())
                sources.append(self._make_source(source, catalog, saved, matching))
            for gone in current.values():
                gone.follower.release()
                self._tally.remove_source(gone.config.name, _PER_SOURCE)
            self._sources = sources

    def watched(self) -> tuple[set[str], tuple[str, ...]]:
        """Folders whose file events wake the reader, and the paths (patterns) that matter:
        the sources' (not poll_only ones') and their files' real ones (a link's target)."""
        sources = [s for s in self._sources if not s.config.poll_only]
        found = [p for s in sources for p in (s.follower.found or {}).values()]
        patterns = {os.path.abspath(p) for s in sources for p in s.config.paths}
        patterns |= {glob.escape(os.path.realpath(p)) for p in found}
        folders = {f for p in patterns for f in watch_folders(p, MAX_VISITS)}
        return folders, tuple(sorted(patterns))

    def run_once(self, search: bool = True) -> bool:
        """One pass over every source, then a checkpoint if one is due. `search`: look
        for every source's files again (a folder changed, or the poll is due).

        Returns whether some source has more to read than one pass takes, so that the
        caller goes on at once instead of waiting for a file event or the poll.
        """
        self.passes, self.searches = self.passes + 1, self.searches + search
        behind = False
        for source in self._sources:
            read = (follower := source.follower).poll(search)
            now = self._clock()
            last = now if read.batch.events else source.gauges.last_record
            # A source still catching up is not quiet, events or not: its quiet time (which
            # runs its log clock on) starts once all its files are read to their end.
            if read.batch.events or follower.lag_bytes > 0:
                source.last_events = self._monotonic()
            self._silence(source, read)
            with self._lock:
                noted = partial(self._recent.note, now, source.config.name)
                failing = account(
                    self._tally, source.labeler, read.batch, read, source.matching, noted
                )
                self._idle(source)
                source.ranking.add(failing, now)
                source.gauges = self._gauges(source, last, now)
                source.paths = tuple(follower.paths())
            behind = behind or follower.lag_bytes > 0
        if self._recent.history.due(now := self._clock()):
            with self._lock:
                self._recent.tick(now, self._tally.snapshot())
        if not behind:
            self.ready.set()
        if self._config.checkpoint_file and self._monotonic() >= self._next_checkpoint:
            self.save_checkpoint()
        return behind

    def _idle(self, source: _Source) -> None:
        """Let a quiet source's log clock run on, so its unanswered requests time out."""
        # Quiet only at the end of its files: a source still catching up is not quiet.
        if source.matching is None or source.follower.lag_bytes > 0:
            return
        matched = source.matching.tracker.idle(self._monotonic() - source.last_events)
        record_matched(self._tally, source.config.name, matched, source.matching.exemplars)
        source.ranking.add(matched.timed_out_peers, self._clock())

    def _silence(self, source: _Source, read: SourceRead) -> None:
        """No silent zero: say in the log when a source starts or stops reading nothing."""
        files = source.follower.file_count if read.matched is None else read.matched
        lines, records = read.batch.lines, len(read.batch.events)
        if (said := source.silence.update(files, lines, records, self._monotonic())) is not None:
            log.log(*telling(said, source.config.name, source.config.paths))

    def _gauges(self, source: _Source, last: float, now: float) -> SourceGauges:
        follower, matching = source.follower, source.matching
        tracker = matching.tracker if matching is not None else None
        return SourceGauges(
            follower.file_count,
            follower.lag_bytes,
            last,
            tracker.open_transactions if tracker else 0,
            tracker.open_sessions if tracker else 0,
            (),  # ranked when a view is taken: see `view`
            source.silence.reason,
        )

    def _ranked(self, source: _Source, now: float) -> SourceGauges:
        """The source's gauges with its failing peers ranked now."""
        top = source.ranking.top(self._config.top_peers.count, now)
        ranked = tuple((r.peer, r.peer_type, r.failures) for r in top)
        return replace(source.gauges, top_failures=ranked)

    def save_checkpoint(self) -> None:
        path = self._config.checkpoint_file
        if path is None:
            return
        self._next_checkpoint = self._monotonic() + self._config.checkpoint_interval
        with self._lock:
            self._tally.inc(contract.CHECKPOINT_SAVES.name, ())
            held = {s.config.name: s.matching.tracker.dump() for s in self._sources if s.matching}
            files = {s.config.name: s.follower.saved() for s in self._sources}
            history = self._recent.dump(self._clock(), self._tally.snapshot())
            state = checkpoint.Checkpoint(files, self._tally.dump(), held, history)
        try:
            checkpoint.save(path, state, self._clock())
        except OSError as error:
            log.error("cannot write checkpoint %s: %s (the previous one is kept)", path, error)
            with self._lock:
                self._tally.inc(contract.CHECKPOINT_ERRORS.name, ())

    def view(self) -> View:
        # The failing peers are ranked here, when a scrape or the page asks, not on every
        # pass: a busy log passes many times a second, and ranking cost more than reading.
        with self._lock:
            snapshot, now = self._tally.snapshot(), self._clock()
            gauges = {s.config.name: self._ranked(s, now) for s in self._sources}
        return View(snapshot, gauges)

    def observe(self, minutes: int, slot: int) -> Observed:
        """The landing page's last `minutes` minutes, with a trend in slots of `slot`."""
        with self._lock:
            return self._recent.window(self._clock(), self._tally.snapshot(), minutes, slot)

    def profiles(self) -> dict[str, str]:
        """Each source's catalog profile."""
        return {s.config.name: s.labeler.profile for s in self._sources}

    def files(self) -> dict[str, tuple[str, ...]]:
        with self._lock:
            return {s.config.name: s.paths for s in self._sources}

    def close(self) -> None:
        """Save where every file stands; what is held stays held for the next start."""
        self.save_checkpoint()
