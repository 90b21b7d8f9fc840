"""The running exporter: its main loop, signals, reloads and HTTP server.

Owns the service's lifecycle. The reader runs on the main thread, so that everything it
owns is touched by one thread only; signal handlers and HTTP handlers merely ask (stop,
reload) and the loop acts between passes. SIGTERM and SIGINT stop after saving the
checkpoint; SIGHUP and `POST /-/reload` re-read the config file, and a config that does
not validate is reported and leaves the running one in place.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import FrameType

from prometheus_client import ProcessCollector
from prometheus_client.registry import CollectorRegistry

from exporter import __version__, contract
from exporter.catalog import Catalog
from exporter.config import Config
from exporter.formats import format_name, native
from exporter.ingest.watch import Waker
from exporter.reader import Reader
from exporter.serve.families import Family, families, info_rows
from exporter.serve.http import Site, serve
from exporter.serve.security import Guard
from exporter.serve.status import WINDOWS, SourceInput, Status
from exporter.serve.status_build import build

log = logging.getLogger(__name__)


class ReloadError(Exception):
    """The config could not be loaded again; the message says why."""


class ListenError(Exception):
    """The listen socket could not be opened: the one error that ends the exporter."""


# Loads the config and its catalog again (SIGHUP, /-/reload); raises ReloadError.
Loader = Callable[[], tuple[Config, Catalog]]
_RELOAD_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Loaded:
    config: Config
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class LastReload:
    """What the config reload self-metrics show: whether the last load succeeded, and
    when the config in force was loaded (unix time)."""

    successful: bool
    loaded_at: float

    def families(self) -> list[Family]:
        return [
            Family(contract.CONFIG_RELOAD_OK, {(): 1.0 if self.successful else 0.0}),
            Family(contract.CONFIG_RELOAD_TIME, {(): self.loaded_at}),
        ]


def follow(
    reader: Reader,
    waker: Waker,
    stopping: Callable[[], bool],
    between: Callable[[], bool] = lambda: False,
) -> None:
    """The reader's loop until `stopping`: a pass, then `between` (reloads: whether it
    changed the sources), then a wait for a file event or the poll, unless the reader is
    behind or the sources changed. Files are searched for on the first pass, after a
    folder changed or the sources did, and at each poll."""
    search = True
    while not stopping():
        behind = reader.run_once(search)
        if search:
            waker.watch(*reader.watched())
        changed = between()  # new or changed sources are read at once
        search = changed or (waker.pending() if behind else waker.wait())


class Service:
    """The exporter as it runs: reader, waker, HTTP server, stop and reload requests."""

    def __init__(self, config: Config, catalog: Catalog, load: Loader | None = None) -> None:
        self._loaded = Loaded(config, catalog)
        self._load = load
        # Replaced whole (never mutated) by the loop; scrapes read it from other threads.
        self._last_reload = LastReload(True, time.time())
        self._stop = threading.Event()
        self._reader = Reader(config, catalog, stopping=self._stop.is_set)
        self._waker = Waker(config.poll_interval)
        self._reloads: queue.SimpleQueue[queue.SimpleQueue[str | None]] = queue.SimpleQueue()
        # prometheus-client renders only the process metrics; our own are written by
        # exporter/serve/exposition.py from one snapshot per scrape.
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)

    def site(self, telemetry_path: str, language: str = "auto") -> Site:
        return Site(
            self._families,
            self.registry,
            telemetry_path,
            self._reader.ready.is_set,
            self._status,
            language,
            self.reload,
        )

    def run(
        self,
        address: str,
        telemetry_path: str,
        guard: Guard | None = None,
        language: str = "auto",
    ) -> int:
        """Serve until asked to stop; the caller's thread becomes the reader."""
        if os.geteuid() == 0:
            log.warning(
                "running as root, which nothing here needs: run as a user that can read the logs"
            )
        try:
            server = serve(address, self.site(telemetry_path, language), guard)
        except OSError as error:
            raise ListenError(f"cannot listen on {address}: {error.strerror or error}") from None
        log.info("listening on %s, serving %s", address, telemetry_path)
        log.info("framing SIP dumps: %s", native.path_name())
        self._install_signals()
        try:
            follow(self._reader, self._waker, self._stop.is_set, self._serve_reloads)
        finally:
            self._waker.stop()
            self._reader.close()
            server.shutdown()
        log.info("stopped")
        return 0

    def stop(self) -> None:
        self._stop.set()
        self._waker.wake()

    def reload(self) -> str | None:
        """Ask the loop to reload and wait for it: None when done, else what went wrong."""
        reply: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._reloads.put(reply)
        self._waker.wake()
        try:
            return reply.get(timeout=_RELOAD_TIMEOUT)
        except queue.Empty:
            return "the reload did not finish in time"

    def _install_signals(self) -> None:
        def on_stop(signum: int, frame: FrameType | None) -> None:
            self.stop()

        def on_hangup(signum: int, frame: FrameType | None) -> None:
            self._reloads.put(queue.SimpleQueue())  # nobody waits for a signal's answer
            self._waker.wake()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hangup)

    def _serve_reloads(self) -> bool:
        """Apply the reloads asked for; whether there was one."""
        served = False
        while True:
            try:
                reply = self._reloads.get_nowait()
            except queue.Empty:
                return served
            reply.put(self._reload_now())
            served = True

    def _families(self) -> Iterator[Family]:
        yield from families(self._reader.view(), self._info())
        yield from self._last_reload.families()

    def _reload_now(self) -> str | None:
        # Without a config file there is nothing to load: the config in force stays
        # current, so the reload metrics do not change.
        if self._load is None:
            return "nothing to reload: the exporter was not started from a config file"
        try:
            config, catalog = self._load()
        except ReloadError as error:
            log.error("reload failed, keeping the running config: %s", error)
            self._last_reload = replace(self._last_reload, successful=False)
            return str(error)
        self._last_reload = LastReload(True, time.time())
        self._reader.reload(config, catalog)
        self._waker.set_poll_interval(config.poll_interval)
        self._loaded = Loaded(config, catalog)
        log.info(
            "reloaded: %d source(s): %s",
            len(config.sources),
            ", ".join(s.name for s in config.sources),
        )
        return None

    def _info(self) -> list[tuple[str, ...]]:
        loaded = self._loaded
        default = loaded.config.default_profile or loaded.catalog.default_profile
        profiles = sorted({s.profile or default for s in loaded.config.sources})
        return info_rows(e for p in profiles for e in loaded.catalog.entries(p))

    def _status(self, window: str) -> Status:
        """The on-call status over `window` (a name of `status.WINDOWS`)."""
        minutes, slot = WINDOWS[window]
        observed = self._reader.observe(minutes, slot)
        view, files = self._reader.view(), self._reader.files()
        profiles = self._reader.profiles()
        sources = [
            SourceInput(
                s.name,
                format_name(s.format),
                s.paths,
                files.get(s.name, ()),
                view.gauges[s.name],
                profiles.get(s.name, ""),
            )
            for s in self._loaded.config.sources
            if s.name in view.gauges
        ]
        catalog = self._loaded.catalog
        return build(
            observed,
            sources,
            catalog.lookup,
            version=__version__,
            now=time.time(),
            ready=self._reader.ready.is_set(),
            window=window,
        )
