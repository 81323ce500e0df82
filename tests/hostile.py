"""A hostile server on 127.0.0.1 for the rules about what a server or a receiver may do: its answer
to the n-th request is ``reply(handler, n)`` (redirects, trickles, silences, refusals, bad bodies),
and it keeps what came (path, headers, body) and counts the requests."""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[BaseHTTPRequestHandler, int], None]


class Hostile:
    """A server whose every answer is ``reply(handler, n)`` for the n-th request (from 0)."""

    def __init__(self, reply: Reply, tls: ssl.SSLContext | None = None, path: str = "") -> None:
        self.requests = 0
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 17-40 ms Nagle/delayed-ACK stall per answer

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                n, outer.requests = outer.requests, outer.requests + 1
                outer.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                # the client may cut the connection at its deadline: what a hostile server expects
                with contextlib.suppress(OSError):
                    reply(self, n)

            do_GET = do_POST  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    """One answer: a status, headers, a body."""
    handler.send_response(status)
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
