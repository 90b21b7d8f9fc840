"""`replay`: logs read once, whole, and their metrics printed; and how `replay` and
`backfill` are told which source settings to read the files given with.

Owns the flags they share (a config's source, or a format on the command line), the
source those flags name, reading each file's blocks (plain or gzip, `ingest.once`) through
the same counting step as the live exporter, and saying on standard error which file gave
no record, with the command that shows what reads it. With `--jobs` above 1, each file is
counted by a worker process and the parts are joined in file order (`count.stitch`),
which gives the exposition one process gives.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from exporter import contract
from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig, parse_config
from exporter.count.account import Replayed, labeler_for, replay
from exporter.count.labels import Labeler
from exporter.count.parts import FilePart, FileTracker, count_file
from exporter.count.stitch import Join
from exporter.data import builtin_catalog_text
from exporter.formats import FORMATS, format_name
from exporter.ingest import once, workers
from exporter.restore import load_settings
from exporter.serve.exposition import Exposition
from exporter.serve.families import View, families, info_rows


class ReplayUsageError(ValueError):
    """A replay or backfill argument the user can fix."""


def source_flags(command: argparse.ArgumentParser, name: str) -> None:
    """The flags that say how to read the files given: a config's source, or a format."""
    command.add_argument("files", nargs="+", metavar="FILE")
    command.add_argument(
        "--config.file",
        dest="replay_config",
        metavar="FILE",
        help="take format and settings from this config's source",
    )
    command.add_argument("--source", help="which source of --config.file (default: first)")
    command.add_argument("--format", choices=sorted(FORMATS), default=None)
    command.add_argument("--encoding", default="utf-8")
    command.add_argument("--profile", default=None, help="catalog profile of the codes")
    command.add_argument("--name", default=name, help=f"the source label (default {name})")
    workers.jobs_flag(command)


def _blocks(path: str) -> Iterator[bytes]:
    """A log's blocks for replay; a file that cannot be read is the user's to fix."""
    try:
        yield from once.blocks(path)
    except (OSError, EOFError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise ReplayUsageError(f"cannot read {path}: {reason}") from None


@dataclass(frozen=True, slots=True)
class _Replay:
    """What every worker of a replay needs, to count one file."""

    source: SourceConfig
    catalog: Catalog
    config: Config
    year: int

    def labeler(self) -> Labeler:
        return labeler_for(self.source, self.catalog, self.config.default_profile)

    def count(self, path: str, tracker: FileTracker | None = None) -> FilePart:
        """One file's part, from `tracker`'s state or, without one, on its own."""
        if tracker is None and self.source.transactions:
            tracker = FileTracker(self.config.transactions.settings)
        return count_file(
            _blocks(path), self.source, self.config, self.labeler(), self.year, tracker
        )


def _in_parallel(job: _Replay, paths: list[str], jobs: int) -> Replayed:
    """Files counted by `jobs` processes and joined in order, as `replay` counts them."""
    join = Join(job.source, job.catalog, job.config)
    records = []
    for path, part in workers.in_order(job.count, paths, jobs):
        join.add(part, partial(job.count, path))
        records.append(part.records)
    return Replayed(join.tally, records)


def run_replay(args: argparse.Namespace) -> int:
    config, catalog, source = source_of(args)
    year = datetime.now().year
    jobs = workers.how_many(args.jobs, len(args.files))
    if jobs > 1:
        tally, records = _in_parallel(_Replay(source, catalog, config, year), args.files, jobs)
    else:
        logs = (_blocks(path) for path in args.files)
        tally, records = replay(logs, source, catalog, config, year)
    for path, found in zip(args.files, records, strict=True):
        if not found:
            # No silent zero: the exposition alone would look like a quiet log.
            print(
                f"sip-log-exporter: {path}: no record read as format "
                f"{format_name(source.format)}; `sip-log-exporter detect {path}` shows "
                "which format or recipe reads it",
                file=sys.stderr,
            )
    snapshot = tally.snapshot()
    seen = {labels[3] for labels in snapshot.counters.get(contract.RESPONSES.name, {})}
    profile = source.profile or config.default_profile or catalog.default_profile
    info = info_rows(e for e in catalog.entries(profile) if e.code in seen)
    shown = families(View(snapshot, {}), info, service=False)
    sys.stdout.buffer.write(Exposition().render(shown, openmetrics=False))
    return 0


def source_of(args: argparse.Namespace) -> tuple[Config, Catalog, SourceConfig]:
    """The config, catalog and source that `replay` and `backfill` read files with."""
    if args.replay_config:
        config, catalog = load_settings(args.replay_config)
        source = _pick_source(config, args.source, args.replay_config)
    else:
        if args.source:
            raise ReplayUsageError("--source needs --config.file")
        chosen = args.format or "sip"
        text = (
            f"sources: [{{name: {args.name!r}, paths: ['-'], format: {chosen}, "
            f"encoding: {args.encoding!r}}}]"
        )
        if chosen == "regex":
            raise ReplayUsageError("the regex format needs its pattern from --config.file")
        config = parse_config(text, "(command line)")
        catalog = Catalog.from_yaml(builtin_catalog_text())
        source = config.sources[0]
    if args.profile:
        if not catalog.has_profile(args.profile):
            raise ReplayUsageError(
                f"--profile {args.profile!r}: use one of {', '.join(catalog.profiles)}"
            )
        source = dataclasses.replace(source, profile=args.profile)
    for path in args.files:
        if not os.path.exists(path):
            raise ReplayUsageError(f"{path}: no such file")
    return config, catalog, source


def _pick_source(config: Config, name: str | None, path: str) -> SourceConfig:
    for source in config.sources:
        if name is None or source.name == name:
            return source
    raise ReplayUsageError(f"{path}: no source named {name!r}")
