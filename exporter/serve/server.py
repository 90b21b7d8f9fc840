"""Connections at the HTTP edge: accepting them, what each may cost, and reading request
heads.

Owns the threaded server and its limits. Each connection has its own thread, so a slow
client holds one thread, never the reader nor another scrape. It speaks HTTP/1.1 and keeps
connections alive (every answer has a Content-Length), which spares Prometheus a TLS
handshake per scrape. Limits:

- a connection has `HEAD_TIMEOUT` to finish its TLS handshake and to send each request's
  line and headers, `MAX_HEAD_BYTES` at most (414 or 431 beyond), and `IO_TIMEOUT` for
  each read or write after that;
- a kept-alive connection waits at most `KEEPALIVE_TIMEOUT` for its next request, and is
  closed after `MAX_REQUESTS_PER_CONNECTION` (the last answer says `Connection: close`);
- at most `MAX_CONNECTIONS` at once. One that arrives when all are taken pushes out the
  connection that has waited longest for a request head (a slow or idle client, or a
  kept-alive connection between requests), so idle and slow connections, however many,
  never keep a scrape out: a scrape sends its head at once and is answered. Only when
  every connection is busy answering is a new one closed on arrival.

Handler errors never reach the log as tracebacks: a dropped connection is a debug line,
anything else one error line, at most one a minute.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from exporter.serve.security import Guard
from exporter.serve.tls import accept_tls

log = logging.getLogger(__name__)

HEAD_TIMEOUT = 10.0  # seconds to finish a handshake, or a request's line and headers
IO_TIMEOUT = 30.0  # seconds for any one read or write after that
KEEPALIVE_TIMEOUT = 75.0  # seconds between requests: longer than a 1-minute scrape interval
MAX_HEAD_BYTES = 8192
MAX_CONNECTIONS = 64
MAX_REQUESTS_PER_CONNECTION = 100
_ERROR_LOG_INTERVAL = 60.0


class _Connection:
    """One connection's place in the server: a duplicate of its socket, by which it can
    be cut from another thread at any time, and since when its thread waits for a
    handshake or a request head. None: busy answering, or its thread has not run yet (a
    scrape's head may be there already: under a flood of new connections, it is not
    pushed out before its thread has had the chance to read it)."""

    __slots__ = ("cut", "evicted", "waiting_since")

    def __init__(self, cut: socket.socket) -> None:
        self.cut = cut
        self.waiting_since: float | None = None
        self.evicted = False


class Server(ThreadingHTTPServer):
    """The threaded HTTP server with the limits of the module docstring."""

    daemon_threads = True
    request_queue_size = 2 * MAX_CONNECTIONS

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], guard: Guard
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.guard = guard
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._local = threading.local()
        self._next_error_log = 0.0
        self._errors_not_logged = 0
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            live = sum(not c.evicted for c in self._connections)
            if live >= MAX_CONNECTIONS and not self._evict_longest_waiting():
                log.debug("every connection busy: closing one from %s", client_address)
                self.shutdown_request(request)
                return
            connection = _Connection(request.dup())
            self._connections.append(connection)
        thread = threading.Thread(
            target=self._serve, args=(request, client_address, connection), daemon=True
        )
        try:
            thread.start()
        except RuntimeError:  # no thread to be had now: as if every connection were busy
            self._forget(connection)
            self.shutdown_request(request)

    def _evict_longest_waiting(self) -> bool:
        waiting = [c for c in self._connections if c.waiting_since is not None and not c.evicted]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.waiting_since or 0.0)
        oldest.evicted = True
        with contextlib.suppress(OSError):  # already closed by the client
            oldest.cut.shutdown(socket.SHUT_RDWR)  # its thread's read ends at once
        return True

    def _serve(self, request: Any, client_address: Any, connection: _Connection) -> None:
        self._local.connection = connection
        try:
            self.finish_request(request, client_address)
        except Exception:  # one connection's failure is logged (once a minute), not raised
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._forget(connection)

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.remove(connection)
        connection.cut.close()

    def waiting(self, since: float | None) -> None:
        """The calling connection waits for a request head (since then), or is busy."""
        with self._lock:
            self._local.connection.waiting_since = since

    def finish_request(self, request: Any, client_address: Any) -> None:
        if not self.guard.tls:
            super().finish_request(request, client_address)
            return
        self.waiting(time.monotonic())
        secure = accept_tls(request, self.guard, HEAD_TIMEOUT)  # on this connection's thread
        if secure is not None:
            try:
                super().finish_request(secure, client_address)
            finally:
                secure.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # the client went away, or was too slow
            log.debug("connection from %s ended: %s", client_address, error)
            return
        now = time.monotonic()
        with self._lock:
            if now < self._next_error_log:
                self._errors_not_logged += 1
                return
            self._next_error_log = now + _ERROR_LOG_INTERVAL
            skipped, self._errors_not_logged = self._errors_not_logged, 0
        log.error(
            "request from %s failed: %s: %s (%d more not logged since the last)",
            client_address[0] if client_address else "?",
            type(error).__name__,
            error,
            skipped,
        )


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

    def next_request(self, timeout: float) -> bool:
        """Wait for a kept-alive connection's next request; False if the client closed
        the connection or sent nothing in time."""
        self._connection.settimeout(timeout)
        try:
            return bool(self.peek(1))
        except OSError:  # timed out, or reset
            return False

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


class LimitedHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive and the limits of the module docstring; subclasses add
    their checks to `parse_request` and their routes."""

    server: Server
    rfile: _HeadReader
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # so a malformed request line gets a status line
    timeout = IO_TIMEOUT
    _requests = 0

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the buffered reader made by setup, replaced by one with limits
        self.rfile = _HeadReader(self.connection)

    def handle_one_request(self) -> None:
        self.server.waiting(time.monotonic())
        # A kept-alive connection first waits, longer, for its next request to begin.
        if self._requests and not self.rfile.next_request(KEEPALIVE_TIMEOUT):
            self.close_connection = True
            return
        self._requests += 1
        self.rfile.start()
        super().handle_one_request()

    def parse_request(self) -> bool:
        """The request line and headers within their limits; no body."""
        if self.rfile.exceeded:  # the request line alone is over the limit
            self.requestline = self.command = ""
            self.request_version = self.default_request_version
            self.close_connection = True
            self.send_error(414)
            return False
        if not super().parse_request():  # reads the headers
            return False
        self.server.waiting(None)  # the head is in: busy answering from here on
        self.connection.settimeout(IO_TIMEOUT)
        if self.rfile.exceeded:
            self.close_connection = True
            self.send_error(431)
            return False
        if self.headers.get("Content-Length", "0").strip() != "0" or self.headers.get(
            "Transfer-Encoding"
        ):
            self.close_connection = True
            self.send_error(413, "This server takes no body.")
            return False
        return True

    def end_headers(self) -> None:
        if self._requests >= MAX_REQUESTS_PER_CONNECTION and not self.close_connection:
            self.send_header("Connection", "close")  # and close it after this answer
        super().end_headers()
