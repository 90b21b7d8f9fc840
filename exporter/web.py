"""The HTTP side: `/metrics`, the landing page and the health endpoints.

Owns the threaded HTTP server, its routes, content negotiation (Prometheus text or
OpenMetrics, gzip) and the landing page's HTML. Handlers only read snapshots; a slow
client holds one thread, never the reader. Every value from logs or config is escaped.
The exporter's own families are written by `exposition` (which keeps rendered series
between scrapes); other collectors in the registry (process metrics) by prometheus-client.
"""

from __future__ import annotations

import datetime
import gzip
import html
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer

from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from exporter import __version__
from exporter.collector import Family, SourceGauges
from exporter.exposition import Exposition

log = logging.getLogger(__name__)

_TIMEOUT = 30.0  # seconds a client may take to send its request


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    format: str
    patterns: tuple[str, ...]
    files: tuple[str, ...]
    gauges: SourceGauges


@dataclass(frozen=True, slots=True)
class Site:
    """What the HTTP handlers serve."""

    families: Callable[[], Iterable[Family]]
    registry: CollectorRegistry  # collectors beyond the exporter's own (process metrics)
    telemetry_path: str
    ready: Callable[[], bool]
    status: Callable[[], Sequence[SourceStatus]]


def parse_listen_address(address: str) -> tuple[str, int]:
    """`:9756`, `127.0.0.1:9756` or `[::1]:9756` to (host, port); ValueError if not."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{address!r} is not host:port (for example :9756 or 127.0.0.1:9756)")
    return host.strip("[]"), int(port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site
    exposition: Exposition

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site
        self.exposition = Exposition()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = _TIMEOUT
    server_version = f"sip-log-exporter/{__version__}"

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("?", 1)[0]
        if path == site.telemetry_path:
            self._metrics(site)
        elif path == "/":
            self._send(200, "text/html; charset=utf-8", landing_page(site).encode())
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

    do_HEAD = do_GET  # noqa: N815 - the http.server API

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def serve(address: str, site: Site) -> BaseServer:
    """Start serving on a daemon thread; the caller calls `shutdown()` to stop."""
    server = _Server(parse_listen_address(address), site)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}code{background:#f6f6f6}"""


def landing_page(site: Site) -> str:
    rows = "".join(_source_row(s) for s in site.status())
    metrics = html.escape(site.telemetry_path)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sip-log-exporter</title>
<style>{_STYLE}</style></head><body>
<h1>sip-log-exporter</h1>
<p>Follows SIP and GB/T 28181 platform logs and counts every response code, explained by
its catalog, for Prometheus. Version {html.escape(__version__)}.</p>
<p><a href="{metrics}">Metrics</a> · <a href="/-/healthy">Health</a> ·
<a href="/-/ready">Readiness</a></p>
<h2>Sources</h2>
<table><tr><th>source</th><th>format</th><th>patterns</th><th>files followed</th>
<th>lag (bytes)</th><th>last record</th></tr>{rows}</table>
</body></html>
"""


def _source_row(status: SourceStatus) -> str:
    cells = [
        status.name,
        status.format,
        "\n".join(status.patterns),
        "\n".join(status.files) or "(no file yet)",
        str(status.gauges.lag_bytes),
        _when(status.gauges.last_record),
    ]
    escaped = (html.escape(c).replace("\n", "<br>") for c in cells)
    return "<tr>" + "".join(f"<td>{c}</td>" for c in escaped) + "</tr>"


def _when(timestamp: float) -> str:
    if not timestamp:
        return "none yet"
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
