"""The web config in force at the HTTP edge, as the file changes under it.

Owns which web config applies to each request and each new connection. Like the
exporter-toolkit, the file is read again for every request and the certificate, key and
client CA files for every connection: a changed file is noticed by its bytes, and a renewed
certificate needs no restart. Unlike the toolkit, a file that cannot be used never takes
effect, so a rewrite never opens the door:

- a file changed less than `SETTLE_SECONDS` ago may be half-written (an editor or `>`
  truncates, then writes), even if what is there so far is valid: it is applied once it
  has not changed for that long;
- a file that is then empty, unreadable or invalid, or that turns TLS on or off (which
  needs a restart), leaves the last valid one in force; the error is logged once per
  change, and `sip_exporter_web_config_last_reload_successful` is 0 until a valid file is
  back. The same holds for TLS files that cannot be used: the last good context serves.

Basic auth itself is `exporter/serve/basic_auth.py`, TLS `exporter/serve/tls.py`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass, replace

from exporter import contract
from exporter.serve.basic_auth import BasicAuth
from exporter.serve.families import Family
from exporter.serve.tls import build_context, read_file, tls_files
from exporter.serve.webconfig import TlsSettings, WebConfig, parse_web_config
from exporter.settings_yaml import load_yaml
from exporter.validation import ConfigError, decode

__all__ = ["SETTLE_SECONDS", "Guard"]

log = logging.getLogger(__name__)

SETTLE_SECONDS = 1.0  # a file changed more recently than this may still be being written


@dataclass(frozen=True, slots=True)
class _InForce:
    text: bytes  # the file's bytes when it was applied
    config: WebConfig
    applied_at: float  # unix time
    problem: str = ""  # why the file as it is now is not in force; "": it is
    rejected: bytes | None = None  # the file's bytes when found unusable: not parsed again


class Guard:
    """The web config in force, re-read as it changes; see the module docstring."""

    def __init__(self, path: str | None) -> None:
        """Load and check the web config (ConfigError naming the key if it is unusable)."""
        self._path = path
        self._lock = threading.RLock()  # held while a changed file is checked
        self._auth = BasicAuth()
        self._context: tuple[bytes, ssl.SSLContext] | None = None
        self._tls_problem = ""  # why the TLS files as they are now are not in force
        self.tls = False
        if path is None:
            self._in_force = _InForce(b"", WebConfig(), time.time())
            return
        text = read_file(path)
        config = _parse(text, path)
        if config.tls is not None:
            files = tls_files(config.tls, path)
            self._context = (_key(config.tls, files), build_context(config.tls, files, path))
        self._in_force = _InForce(text, config, time.time())
        self.tls = config.tls is not None
        log.info(
            "web config %s: TLS %s, basic auth %s",
            path,
            "on" if self.tls else "off",
            f"for {len(config.users)} user(s)" if config.users else "off",
        )

    def current(self) -> WebConfig:
        """The web config for this request: the file's, or the last valid one."""
        if self._path is None:
            return self._in_force.config
        try:
            text, modified = _read_with_time(self._path)
        except ConfigError as error:
            return self._keep(str(error))
        with self._lock:
            in_force = self._in_force
            if text == in_force.text:
                if in_force.problem:
                    log.info("web config %s is valid again", self._path)
                    self._in_force = replace(in_force, problem="")
                return in_force.config
            if text == in_force.rejected or time.time() - modified < SETTLE_SECONDS:
                return in_force.config  # maybe half-written: wait until it settles
            try:
                config = self._usable(text)
            except ConfigError as error:
                return self._keep(str(error), text)
            self._in_force = _InForce(text, config, time.time())
        log.info("web config %s reloaded", self._path)
        return config

    def context(self) -> ssl.SSLContext | None:
        """The TLS context for a new connection, rebuilt if a file changed (the last good
        one if they cannot be used); None: refuse the connection."""
        tls = self.current().tls
        if tls is None:
            return None
        path = self._path or ""
        try:
            files = tls_files(tls, path)
            key = _key(tls, files)
            with self._lock:
                if self._context is None or self._context[0] != key:
                    self._context = (key, build_context(tls, files, path))
                    self._tls_problem = ""
                return self._context[1]
        except ConfigError as error:
            with self._lock:
                if str(error) != self._tls_problem:
                    self._tls_problem = str(error)
                    log.error("TLS files unusable, keeping the last good ones: %s", error)
                return self._context[1] if self._context else None

    def authorized(self, config: WebConfig, path: str, authorization: str | None) -> bool:
        """Whether a request may pass: no users configured, an excluded path, or valid
        basic-auth credentials."""
        if not config.users or path in config.auth_excluded_paths:
            return True
        return self._auth.check(config.users, authorization)

    def families(self) -> list[Family]:
        """The web config's self-metrics (none without a web config)."""
        if self._path is None:
            return []
        in_force = self._in_force
        ok = not (in_force.problem or self._tls_problem)
        return [
            Family(contract.WEB_CONFIG_RELOAD_OK, {(): 1.0 if ok else 0.0}),
            Family(contract.WEB_CONFIG_RELOAD_TIME, {(): in_force.applied_at}),
        ]

    def _usable(self, text: bytes) -> WebConfig:
        path = self._path or ""
        config = _parse(text, path)
        if (config.tls is not None) != self.tls:
            problem = "turning TLS on or off needs a restart"
            raise ConfigError(path, [("tls_server_config", problem)])
        return config

    def _keep(self, problem: str, rejected: bytes | None = None) -> WebConfig:
        with self._lock:
            in_force = self._in_force
            if problem != in_force.problem:
                log.error("web config unusable, keeping the last valid one: %s", problem)
            self._in_force = replace(in_force, problem=problem, rejected=rejected)
        return in_force.config


def _key(tls: TlsSettings, files: tuple[bytes, bytes, bytes]) -> bytes:
    return hashlib.sha256(repr((tls, files)).encode()).digest()


def _parse(text: bytes, path: str) -> WebConfig:
    """A web config file's bytes as values; ConfigError if empty, not UTF-8 or invalid.
    An empty file is refused: it would turn off TLS and basic auth."""
    decoded = decode(text, path)
    if load_yaml(decoded, path) is None:
        problem = "empty; to serve without TLS and basic auth, leave out --web.config.file"
        raise ConfigError(path, [("", problem)])
    return parse_web_config(decoded, path)


def _read_with_time(path: str) -> tuple[bytes, float]:
    """A file's bytes, and when it was last modified, taken after reading them so that a
    write during the read counts as recent."""
    try:
        with open(path, "rb") as file:
            text = file.read()
            return text, os.fstat(file.fileno()).st_mtime
    except OSError as error:
        raise ConfigError(path, [("", f"cannot read it: {error.strerror or error}")]) from None
