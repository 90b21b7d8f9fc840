"""The `backfill` subcommand: its flags, its settings, its run, and what it prints.

Owns the subcommand's flags, turning them into time settings (`--timezone`, `--year`,
`--step`), running a backfill into `--output`, and telling the person what to do next:
the promtool command and the move of its blocks into Prometheus (README: Backfill).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exporter.backfill.progress import ProgressBar, summary
from exporter.backfill.read import Backfill, read_in_parallel, read_logs, write_openmetrics
from exporter.catalog import Catalog
from exporter.config import Config, SourceConfig
from exporter.formats.timestamps import TimeSettings
from exporter.ingest import workers
from exporter.ingest.once import in_time_order

OPENMETRICS_FILE = "backfill.om"
BLOCKS_FOLDER = "blocks"


class BackfillUsageError(ValueError):
    """A backfill flag the user can fix."""


def zone_named(name: str) -> tzinfo | None:
    """The zone `--timezone` names; None for the machine's local zone."""
    if name.lower() == "local":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BackfillUsageError(
            f"--timezone {name!r}: not a time zone (use local, UTC, or a name such as "
            "Asia/Shanghai)"
        ) from None


def add_backfill_command(
    commands: Any, source_flags: Callable[[argparse.ArgumentParser, str], None]
) -> None:
    """The `backfill` subcommand and its flags, beside the source flags it shares with
    `replay`."""
    backfill_cmd = commands.add_parser(
        "backfill",
        help="turn old logs (plain or .gz) into OpenMetrics history for promtool",
    )
    source_flags(backfill_cmd, "backfill")
    backfill_cmd.add_argument(
        "--output", required=True, metavar="DIR", help="folder for backfill.om (and blocks/)"
    )
    backfill_cmd.add_argument(
        "--step", type=int, default=60, metavar="SECONDS", help="sample step (default 60)"
    )
    backfill_cmd.add_argument(
        "--timezone",
        default="local",
        metavar="ZONE",
        help="zone of stamps that name none, e.g. UTC, Asia/Shanghai (default: local)",
    )
    backfill_cmd.add_argument(
        "--year",
        type=int,
        default=None,
        help="year of yearless (syslog) stamps (default: this year)",
    )


def _make_output(folder: str) -> None:
    """The output folder, made if missing and checked writable before hours of reading."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise BackfillUsageError(f"--output {folder}: {error.strerror or error}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackfillUsageError(f"--output {folder}: not writable; choose a folder you can write")


def run_backfill(
    args: argparse.Namespace, config: Config, catalog: Catalog, source: SourceConfig
) -> int:
    if args.step < 1:
        raise BackfillUsageError("--step: must be at least 1 second")
    zone = zone_named(args.timezone)
    settings = TimeSettings(zone, args.year or datetime.now(zone).year)
    _make_output(args.output)
    paths = in_time_order(args.files, settings)
    bar = ProgressBar(sys.stderr, len(paths), sum(os.path.getsize(p) for p in paths))
    jobs = workers.how_many(args.jobs, len(paths))
    try:
        if jobs > 1:
            job = Backfill(source, catalog, config, settings, args.step)
            outcome = read_in_parallel(paths, job, jobs, bar)
        else:
            outcome = read_logs(paths, source, catalog, config, settings, args.step, bar)
    finally:
        bar.close()
    for path in outcome.empty:
        print(
            f"sip-log-exporter: {path}: no record read; `sip-log-exporter detect {path}` shows "
            "which format or recipe reads it",
            file=sys.stderr,
        )
    written = os.path.join(args.output, OPENMETRICS_FILE)
    if outcome.earliest is None:
        # Nothing has a time: a history file would hold only `# EOF`.
        sys.stdout.write(summary(outcome, zone, None))
        return 1
    try:
        write_openmetrics(outcome.counts, written)
    except OSError as error:
        raise BackfillUsageError(f"--output {args.output}: {error.strerror or error}") from None
    sys.stdout.write(summary(outcome, zone, written))
    blocks = os.path.join(args.output, BLOCKS_FOLDER)
    command = ["promtool", "tsdb", "create-blocks-from", "openmetrics", written, blocks]
    # Printed, not run: the package runs no other program (tests/test_hardening.py).
    print(f"next: {shlex.join(command)}")
    print(
        f"then: stop Prometheus, move the block folders of {blocks} into its "
        "--storage.tsdb.path folder, and start it again (README: Backfill)"
    )
    return 0
