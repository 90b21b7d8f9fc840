"""The HTTP side: `/metrics`, the landing page, its JSON twin (`/api/v1/status`) and the
health endpoints, behind the web config's TLS and basic auth.

Owns the routes and content negotiation (Prometheus text or OpenMetrics, gzip). The
exporter's own families are written by `exposition` (which keeps rendered series between
scrapes); other collectors in the registry (process metrics) by prometheus-client. Every
request is authenticated before it is routed, whatever its method or path, so no endpoint
(present or added later) is left open; `exporter/serve/security.py` decides what passes.
Handlers only read snapshots. Connections, their threads and their limits are
`exporter/serve/server.py`.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from socketserver import BaseServer

from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.registry import CollectorRegistry

from exporter import __version__
from exporter.serve import landing
from exporter.serve.exposition import Exposition
from exporter.serve.families import Family
from exporter.serve.negotiation import OPENMETRICS, negotiate
from exporter.serve.security import Guard
from exporter.serve.server import LimitedHandler, Server
from exporter.serve.status import Status, window_named
from exporter.serve.status_json import as_json

__all__ = ["Site", "parse_listen_address", "serve"]

log = logging.getLogger(__name__)

STATUS_PATH = "/api/v1/status"
_GET_PATHS = ("/", STATUS_PATH, "/-/healthy", "/-/ready")
# The landing page runs no script and loads nothing: say so to the browser as well.
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'"


@dataclass(frozen=True, slots=True)
class Site:
    """What the HTTP handlers serve."""

    families: Callable[[], Iterable[Family]]  # the exporter's own metrics
    registry: CollectorRegistry  # collectors beyond the exporter's own (process metrics)
    telemetry_path: str
    ready: Callable[[], bool]
    # The on-call status over the window named (`15m`, `1h`, `6h`): the page and its twin.
    status: Callable[[str], Status]
    # The landing page's language: `auto` (from the browser), `zh` or `en`.
    language: str = "auto"
    # Reloads the config; None when done, else what went wrong.
    reload: Callable[[], str | None] | None = None


def parse_listen_address(address: str) -> tuple[str, int]:
    """`:9756`, `127.0.0.1:9756` or `[::1]:9756` to (host, port); ValueError if not."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{address!r} is not host:port (for example :9756 or 127.0.0.1:9756)")
    return host.strip("[]"), int(port)


class _Server(Server):
    site: Site
    exposition: Exposition

    def __init__(self, address: tuple[str, int], site: Site, guard: Guard) -> None:
        self.site = site
        self.exposition = Exposition()
        super().__init__(address, _Handler, guard)


class _Handler(LimitedHandler):
    server: _Server
    server_version = f"sip-log-exporter/{__version__}"
    _extra_headers: tuple[tuple[str, str], ...] = ()

    def parse_request(self) -> bool:
        """The request within its limits, then the web config's authentication: every
        request passes both before it is routed."""
        self._extra_headers = ()
        if not super().parse_request():
            return False
        config = self.server.guard.current()
        self._extra_headers = config.headers
        path = self.path.split("?", 1)[0]
        if not self.server.guard.authorized(config, path, self.headers.get("Authorization")):
            self._send(
                401,
                "text/plain; charset=utf-8",
                b"Unauthorized.\n",
                {"WWW-Authenticate": 'Basic realm="sip-log-exporter", charset="UTF-8"'},
            )
            return False
        return True

    def end_headers(self) -> None:
        for name, value in self._extra_headers:
            self.send_header(name, value)
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        site = self.server.site
        path, _, query = self.path.partition("?")
        if path == site.telemetry_path:
            self._metrics(site)
        elif path == "/":
            self._landing_page(site, query)
        elif path == STATUS_PATH:
            status = site.status(window_named(landing.query_value(query, "window")))
            body = json.dumps(as_json(status), ensure_ascii=False).encode()
            self._send(200, "application/json", body, {"Cache-Control": "no-store"})
        elif path == "/-/reload":
            self._send(
                405,
                "text/plain; charset=utf-8",
                b"Use POST or PUT to reload.\n",
                {"Allow": "POST, PUT"},
            )
        elif path == "/-/healthy":
            self._send(200, "text/plain; charset=utf-8", b"Healthy.\n")
        elif path == "/-/ready":
            ok = site.ready()
            self._send(
                200 if ok else 503,
                "text/plain; charset=utf-8",
                b"Ready.\n" if ok else b"Not ready: the first pass is not done.\n",
            )
        else:
            self._send(404, "text/plain; charset=utf-8", b"Not found.\n")

    do_HEAD = do_GET  # noqa: N815 - the http.server API

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        site = self.server.site
        path = self.path.split("?", 1)[0]
        if path == "/-/reload":
            self._reload(site)
        elif path in (*_GET_PATHS, site.telemetry_path):
            self._send(
                405, "text/plain; charset=utf-8", b"Method not allowed.\n", {"Allow": "GET, HEAD"}
            )
        else:
            self._send(404, "text/plain; charset=utf-8", b"Not found.\n")

    do_PUT = do_POST  # noqa: N815 - the toolkit's /-/reload takes PUT too

    def _reload(self, site: Site) -> None:
        problem = site.reload() if site.reload else "reloading is not available here"
        if problem is None:
            self._send(200, "text/plain; charset=utf-8", b"Reloaded.\n")
        else:
            self._send(500, "text/plain; charset=utf-8", f"Reload failed: {problem}\n".encode())

    def _metrics(self, site: Site) -> None:
        content_type = negotiate(self.headers.get("Accept"))
        openmetrics = content_type == OPENMETRICS
        families = chain(site.families(), self.server.guard.families())
        ours = self.server.exposition.render(families, openmetrics=openmetrics)
        # The registry's encoder writes the other collectors and, for OpenMetrics, # EOF.
        encoder = openmetrics_latest if openmetrics else generate_latest
        body = ours + encoder(site.registry)
        headers = {}
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body, headers = gzip.compress(body, compresslevel=1), {"Content-Encoding": "gzip"}
        self._send(200, content_type, body, headers)

    def _landing_page(self, site: Site, query: str) -> None:
        lang = landing.choose_language(query, self.headers.get("Accept-Language"), site.language)
        status = site.status(window_named(landing.query_value(query, "window")))
        headers = {"Vary": "Accept-Language", "Cache-Control": "no-store"}
        if not any(name == "Content-Security-Policy" for name, _ in self._extra_headers):
            headers["Content-Security-Policy"] = _PAGE_POLICY
        body = landing.render(status, lang, site.telemetry_path).encode()
        self._send(200, "text/html; charset=utf-8", body, headers)

    def _send(
        self, status: int, content_type: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def serve(address: str, site: Site, guard: Guard | None = None) -> BaseServer:
    """Start serving on a daemon thread; the caller calls `shutdown()` to stop."""
    server = _Server(parse_listen_address(address), site, guard or Guard(None))
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
