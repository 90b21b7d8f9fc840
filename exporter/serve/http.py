"""The HTTP side: `/metrics`, the landing page and the health endpoints, behind the web
config's TLS and basic auth.

Owns the threaded HTTP server, its limits, its routes, and content negotiation
(Prometheus text or OpenMetrics, gzip). The exporter's own families are written by
`exposition` (which keeps rendered series between scrapes); other collectors in the
registry (process metrics) by prometheus-client. Every request is authenticated before it is
routed, whatever its method or path, so no endpoint (present or added later) is left
open; `exporter/serve/security.py` decides what passes. Handlers only read snapshots; each
connection has its own thread, so a slow client holds one thread, never the reader nor
another scrape. Limits:

- a connection has 10 s to finish its TLS handshake and to send each request's line and
  headers, 8 KiB at most (414 or 431 beyond), and 30 s for each read or write after that;
- requests carry no body (413);
- at most 64 connections at once; more are closed on arrival.
"""

from __future__ import annotations

import gzip
import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer
from typing import Any

from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from exporter import __version__
from exporter.serve import landing
from exporter.serve.exposition import Exposition
from exporter.serve.families import Family
from exporter.serve.landing import SourceStatus
from exporter.serve.recent import WINDOW_SECONDS, RecentCode
from exporter.serve.security import Guard, accept_tls

__all__ = ["Site", "SourceStatus", "parse_listen_address", "serve"]

log = logging.getLogger(__name__)

HEAD_TIMEOUT = 10.0  # seconds to finish a handshake, or a request's line and headers
IO_TIMEOUT = 30.0  # seconds for any one read or write after that
MAX_HEAD_BYTES = 8192
MAX_CONNECTIONS = 64
_GET_PATHS = ("/", "/-/healthy", "/-/ready")
# The landing page runs no script and loads nothing: say so to the browser as well.
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'"


@dataclass(frozen=True, slots=True)
class Site:
    """What the HTTP handlers serve."""

    families: Callable[[], Iterable[Family]]  # the exporter's own metrics
    registry: CollectorRegistry  # collectors beyond the exporter's own (process metrics)
    telemetry_path: str
    ready: Callable[[], bool]
    status: Callable[[], Sequence[SourceStatus]]
    recent: Callable[[], Sequence[RecentCode]] = lambda: ()
    # Reloads the config; None when done, else what went wrong.
    reload: Callable[[], str | None] | None = None


def parse_listen_address(address: str) -> tuple[str, int]:
    """`:9756`, `127.0.0.1:9756` or `[::1]:9756` to (host, port); ValueError if not."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{address!r} is not host:port (for example :9756 or 127.0.0.1:9756)")
    return host.strip("[]"), int(port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = MAX_CONNECTIONS
    site: Site
    guard: Guard
    exposition: Exposition

    def __init__(self, address: tuple[str, int], site: Site, guard: Guard) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site
        self.guard = guard
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.exposition = Exposition()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.debug("too many connections: closing one from %s", client_address)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if not self.guard.tls:
            super().finish_request(request, client_address)
            return
        secure = accept_tls(request, self.guard, HEAD_TIMEOUT)  # on this connection's thread
        if secure is not None:
            try:
                super().finish_request(secure, client_address)
            finally:
                secure.close()


class _HeadReader(io.BufferedReader):
    """A connection's input that gives each request's line and headers a byte budget and a
    deadline. Past the budget it reads nothing more and notes it; past the deadline it
    times out."""

    def __init__(self, connection: socket.socket) -> None:
        super().__init__(connection.makefile("rb", buffering=0))
        self._connection = connection
        self.start()

    def start(self) -> None:
        self.left = MAX_HEAD_BYTES
        self.exceeded = False
        self._deadline = time.monotonic() + HEAD_TIMEOUT

    def readline(self, size: int | None = -1) -> bytes:
        if self.exceeded:
            return b""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request head not received in time")
        self._connection.settimeout(remaining)
        allowed = self.left + 1
        line = super().readline(allowed if size is None or size < 0 else min(size, allowed))
        self.left -= len(line)
        self.exceeded = self.left < 0
        return line


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    rfile: _HeadReader
    timeout = IO_TIMEOUT
    server_version = f"sip-log-exporter/{__version__}"
    _extra_headers: tuple[tuple[str, str], ...] = ()

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the buffered reader made by setup, replaced by one with limits
        self.rfile = _HeadReader(self.connection)

    def handle_one_request(self) -> None:
        self.rfile.start()
        self._extra_headers = ()
        super().handle_one_request()

    def parse_request(self) -> bool:
        """The request line and headers, then the checks every request passes before it
        is routed: limits, then the web config's authentication."""
        if self.rfile.exceeded:  # the request line alone is over the limit
            self.requestline = self.request_version = self.command = ""
            self.close_connection = True
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        if not super().parse_request():
            return False
        self.connection.settimeout(IO_TIMEOUT)
        if self.rfile.exceeded:
            self.close_connection = True
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            return False
        if self.headers.get("Content-Length", "0").strip() != "0" or self.headers.get(
            "Transfer-Encoding"
        ):
            self.close_connection = True
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "This server takes no body.")
            return False
        config = self.server.guard.current()
        if config is None:
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "The web config is unusable.")
            return False
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

    def do_GET(self) -> None:
        site = self.server.site
        path, _, query = self.path.partition("?")
        if path == site.telemetry_path:
            self._metrics(site)
        elif path == "/":
            self._landing_page(site, query)
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

    def do_POST(self) -> None:
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
        encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
        openmetrics = content_type.startswith("application/openmetrics-text")
        # The registry's encoder writes the other collectors and, for OpenMetrics, # EOF.
        ours = self.server.exposition.render(site.families(), openmetrics=openmetrics)
        body = ours + encoder(site.registry)
        headers = {}
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body, headers = gzip.compress(body, compresslevel=1), {"Content-Encoding": "gzip"}
        self._send(200, content_type, body, headers)

    def _landing_page(self, site: Site, query: str) -> None:
        lang = landing.choose_language(query, self.headers.get("Accept-Language"))
        page = landing.Page(
            version=__version__,
            telemetry_path=site.telemetry_path,
            ready=site.ready(),
            sources=site.status(),
            recent=site.recent(),
            window_minutes=round(WINDOW_SECONDS / 60),
            now=time.time(),
        )
        headers = {"Vary": "Accept-Language", "Cache-Control": "no-store"}
        if not any(name == "Content-Security-Policy" for name, _ in self._extra_headers):
            headers["Content-Security-Policy"] = _PAGE_POLICY
        body = landing.render(page, lang).encode()
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
