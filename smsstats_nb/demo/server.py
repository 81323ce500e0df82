"""A local emulator of SMSC's ``get.php?get_stat=1``: a real HTTP server on 127.0.0.1.

It answers GET and POST, the four formats, ``charset`` (windows-1251 when absent), login/psw
(plain or MD5) or apikey, ``mycur``, ``balance2`` and an omitted ``end``; it gives error 1 for bad
parameters, 2 for bad credentials, 4 after five authorisation failures, and 9 when a login asks
more than ``limit`` times within a sliding ``window`` (seconds, configurable so tests run fast).

Faults can be queued for tests with :meth:`DemoServer.inject`: ``"502"``, ``"reset"``,
``"slow"``, ``"truncate"``, ``"html"``, ``"plain_error9"`` (the plain-text error whatever fmt) and
``"errorN"`` (error N in the asked format, e.g. ``"error1"``, ``"error9"``, ``"error7"``).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import logging
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import data
from .writers import write_error, write_rows

__all__ = ["FAULTS", "DemoServer"]

logger = logging.getLogger(__name__)

FAULTS = ("502", "reset", "slow", "truncate", "html", "plain_error9")
CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "koi8-r": "koi8-r"}
#: How often the serving thread checks for stop() (seconds).
POLL_SECONDS = 0.01
_HTML = "<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "smsstats-demo"
    sys_version = ""

    # headers and body are two writes: without TCP_NODELAY, Nagle holds the body until the
    # client's delayed ACK of the headers (17-40 ms a request on loopback)
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Never log request lines: with GET they would carry the password."""

    def parse_request(self) -> bool:
        # the request line has just arrived: that is when the server counts it against the limit
        # (not after reading and parsing the body, which a busy process may delay)
        self.received = self.server.owner.monotonic()
        return bool(super().parse_request())

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    def _handle(self, body: bytes) -> None:
        url = urlsplit(self.path)
        if url.path.rstrip("/") not in ("/sys/get.php", "/get.php"):
            self._send(404, b"not found", "text/plain")
            return
        params: dict[str, str] = {}
        for source in (url.query, body.decode("utf-8", "replace")):
            for key, values in parse_qs(source, keep_blank_values=True).items():
                params[key] = values[-1]
        owner = self.server.owner
        status, payload, ctype, fault = owner._answer(params, self.client_address[0], self.received)
        if fault == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if fault == "truncate":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload[: max(1, len(payload) // 2)])
            return
        self._send(status, payload, ctype)

    def _send(self, status: int, payload: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: DemoServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()

    def close_connections(self) -> None:
        """Drop every open keep-alive connection (a stopped server answers nobody)."""
        with self.conn_lock:
            conns, self.connections = list(self.connections), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeouts, resets) is normal here; anything else is logged."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)):
            return
        logger.exception("demo server: error while answering")


class DemoServer:
    """The demo SMSC server. Use as a context manager, or ``start()`` / ``stop()``.

    Attributes:
        url: base URL to give the client (``http://127.0.0.1:PORT``).
        login, psw, apikey: the demo credentials.
        stat_requests: statistics requests that reached the server.
        errors: how many answers of each error code were given.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        login: str = "demo",
        psw: str = "demo-password",
        apikey: str = "demo-apikey-0123456789",
        window: float = 60.0,
        limit: int = 3,
        block_after: int = 5,
        block_seconds: float = 1800.0,
        slow_seconds: float = 3.0,
        xml_declaration: bool = True,
        crlf: bool = False,
        clock: Any = None,
        accounts: dict[str, str] | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the demo server only listens on loopback")
        self.host = host
        self.port = port
        self.login = login
        self.psw = psw
        self.apikey = apikey
        # more logins (login -> password), each with the demo data and its own rate limit
        self.accounts: dict[str, str] = {login: psw, **(accounts or {})}
        self.window = window
        self.limit = limit
        self.block_after = block_after
        self.block_seconds = block_seconds
        self.slow_seconds = slow_seconds
        self.xml_declaration = xml_declaration
        self.crlf = crlf
        # anything with .monotonic() (a test's fake clock shared with the client); default: time's
        self.monotonic: Callable[[], float] = clock.monotonic if clock is not None else time.monotonic
        self._lock = threading.Lock()
        self._faults: collections.deque[str] = collections.deque()
        self._recent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._auth_failures: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._blocked_until: dict[str, float] = {}
        self.stat_requests = 0
        self.errors: collections.Counter[int] = collections.Counter()
        self.log: list[dict[str, Any]] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of the running server."""
        if self._httpd is None:
            raise RuntimeError("the demo server is not running")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> DemoServer:
        """Bind a port and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        # a short poll: stop() returns within 10 ms instead of serve_forever's default 0.5 s
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, name="smsstats-demo", daemon=True
        )
        self._thread.start()
        logger.info("demo SMSC server listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "stopped"
        return f"DemoServer({where}, login={self.login!r}, window={self.window}s, limit={self.limit})"

    # -- test controls -----------------------------------------------------------------------
    def inject(self, *faults: str) -> None:
        """Queue faults; each statistics request consumes the next one."""
        for fault in faults:
            if fault not in FAULTS and not re.fullmatch(r"error\d{1,2}", fault):
                raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
        with self._lock:
            self._faults.extend(faults)

    def reset(self) -> None:
        """Forget counters, rate-limit windows, auth failures, blocks and queued faults."""
        with self._lock:
            self._faults.clear()
            self._recent.clear()
            self._auth_failures.clear()
            self._blocked_until.clear()
            self.stat_requests = 0
            self.errors.clear()
            self.log.clear()

    # -- the protocol ------------------------------------------------------------------------
    def _answer(
        self, params: dict[str, str], ip: str, received: float | None = None
    ) -> tuple[int, bytes, str, str | None]:
        with self._lock:
            self.stat_requests += 1
            fault = self._faults.popleft() if self._faults else None
        charset = CHARSETS.get(params.get("charset", "").lower(), "windows-1251")
        try:
            fmt = int(params.get("fmt", "0") or "0")
        except ValueError:
            fmt = -1
        ctype = f"text/plain; charset={charset}"
        if fault == "502":
            return 502, b"<html><body>502 Bad Gateway</body></html>", "text/html", None
        if fault == "html":
            return 200, _HTML.encode(), "text/html; charset=utf-8", None
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault is not None and fault.startswith("error"):
            text, code = "", 0
        else:
            text, code = self._stat_text(params, ip, fmt if fmt in (0, 1, 2, 3) else 0, received)
        if fault == "plain_error9":
            text, code = write_error(9, 0), 9
        elif fault is not None and fault.startswith("error"):
            code = int(fault[5:])
            text = write_error(code, fmt if fmt in (0, 1, 2, 3) else 0)
        with self._lock:
            if code:
                self.errors[code] += 1
            self.log.append({"t": time.time(), "login": params.get("login", ""), "code": code, "fault": fault})
        return 200, text.encode(charset, "replace"), ctype, fault

    def _stat_text(self, params: dict[str, str], ip: str, fmt: int, received: float | None = None) -> tuple[str, int]:
        now = received if received is not None else self.monotonic()
        with self._lock:
            until = self._blocked_until.get(ip)
            if until is not None and now < until:
                return write_error(4, fmt), 4
        if params.get("get_stat") != "1":
            return write_error(1, fmt), 1
        who = self._authenticate(params)
        if who is None:
            with self._lock:
                failures = self._auth_failures[ip]
                failures.append(now)
                while failures and now - failures[0] > self.block_seconds:
                    failures.popleft()
                if len(failures) >= self.block_after:
                    self._blocked_until[ip] = now + self.block_seconds
                    failures.clear()
            return write_error(2, fmt), 2
        try:
            start = _date(params.get("start", ""))
            end = _date(params["end"]) if params.get("end") else start
        except ValueError:
            return write_error(1, fmt), 1
        if end < start or params.get("fmt", "0") not in ("", "0", "1", "2", "3"):
            return write_error(1, fmt), 1
        with self._lock:
            recent = self._recent[who]
            while recent and now - recent[0] >= self.window:
                recent.popleft()
            if len(recent) >= self.limit or self._in_flight[who] >= 15:
                return write_error(9, fmt), 9
            recent.append(now)
            self._in_flight[who] += 1
        try:
            rows = data.period_rows(
                start,
                end,
                mycur=params.get("mycur") == "1",
                balance2=params.get("balance2") == "1",
            )
            return write_rows(rows, fmt, xml_declaration=self.xml_declaration, crlf=self.crlf), 0
        finally:
            with self._lock:
                self._in_flight[who] -= 1

    def _authenticate(self, params: dict[str, str]) -> str | None:
        apikey = params.get("apikey")
        if apikey:
            return self.login if apikey == self.apikey else None
        login, psw = params.get("login", ""), params.get("psw", "")
        right = self.accounts.get(login)
        if right is None or not psw:
            return None
        md5 = hashlib.md5(right.encode("utf-8")).hexdigest()
        return login if psw in (right, md5) else None


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d.%m.%Y").date()
