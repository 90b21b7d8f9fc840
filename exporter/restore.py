"""What a start reads back from disk: the config, the catalog and the checkpoint.

Owns reading the config file and the catalog it names, checked as the start, `check-config`
and a reload all check them, and turning the saved checkpoint into the values the reader
starts from: the catalog (the built-in one with the user's file merged over it) and the
tally, open transactions and file offsets of the last checkpoint. A checkpoint that cannot
be used is set aside under a new name, logged and counted, and the start is a fresh one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exporter import contract
from exporter.catalog import Catalog
from exporter.config import Config, check_profiles, parse_config
from exporter.count.account import matching_for, series_limits
from exporter.count.tally import Tally
from exporter.data import builtin_catalog_text
from exporter.ingest import checkpoint
from exporter.ingest.follow import SavedFile
from exporter.serve.history import History
from exporter.validation import ConfigError, decode

log = logging.getLogger(__name__)


def load_settings(path: str) -> tuple[Config, Catalog]:
    """The config and its catalog, checked as a start, `check-config` and a reload all
    check them: every setting the exporter will use."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        problem = f"cannot read config file: {error.strerror or error}"
        raise ConfigError(path, [("", problem)]) from None
    config = parse_config(decode(data, path), path)
    try:
        catalog = load_catalog(config)
    except OSError as error:
        reason = error.strerror or error
        raise ConfigError(path, [("catalog.file", f"cannot read it: {reason}")]) from None
    except ConfigError as error:  # the catalog file is not UTF-8
        raise ConfigError(path, [("catalog.file", line) for line in error.lines]) from None
    check_profiles(config, path, catalog.profiles)
    return config, catalog


def load_catalog(config: Config) -> Catalog:
    """The built-in catalog with the user's catalog file merged over it (CatalogError)."""
    overrides = []
    if config.catalog_file:
        path = Path(config.catalog_file)
        overrides.append((str(path), decode(path.read_bytes(), str(path))))
    return Catalog.from_yaml(builtin_catalog_text(), *overrides)


@dataclass(frozen=True, slots=True)
class Restored:
    """Where the reader starts: its tally, each source's saved transactions (Tracker.dump
    data) and each source's files (None: no checkpoint, a first start)."""

    tally: Tally
    transactions: Mapping[str, object] = field(default_factory=dict)
    files: Mapping[str, list[SavedFile]] | None = None
    history: object = None  # the landing page's minutes (History.dump data), checked


def restore(config: Config, clock: Callable[[], float]) -> Restored:
    """The checkpoint's state, or a fresh start if there is none or it is unusable (set
    aside under a name with the `clock`'s time)."""
    path = config.checkpoint_file
    if path is None:
        return Restored(Tally(series_limits(config)))
    try:
        saved = checkpoint.load(path)
        if saved is None:
            return Restored(Tally(series_limits(config)))
        tally = Tally.load(series_limits(config), saved.counters)
        for source in config.sources:
            matching_for(source, config, saved.transactions.get(source.name))
        if saved.history is not None:
            History().load(saved.history)
    except (checkpoint.CheckpointError, OSError) as error:
        aside = checkpoint.set_aside(path, clock()) if Path(path).exists() else None
        log.error(
            "checkpoint %s is unusable (%s); set aside as %s, starting afresh", path, error, aside
        )
        fresh = Tally(series_limits(config))
        fresh.inc(contract.CHECKPOINT_ERRORS.name, ())
        return Restored(fresh)
    log.info("resuming from checkpoint %s", path)
    return Restored(tally, saved.transactions, saved.files, saved.history)
