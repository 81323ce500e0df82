"""A local alert receiver: an HTTP server on 127.0.0.1 that records what is POSTed to it.

It stands in for a chat's incoming webhook, or for Telegram's Bot API (it answers ``{"ok": true}``,
as ``sendMessage`` does), so the notebooks and the tests can watch alerts arrive with no network::

    with WebhookReceiver() as hook:
        alerts.check(client, "2024-04-01", channels=[WebhookChannel(hook.url)])
        hook.received[0]["json"]["text"]

``fail_next(n, status)`` makes the next ``n`` POSTs fail (a receiver that is down for a while).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["WebhookReceiver"]


class WebhookReceiver:
    """Records every POST: ``received`` is a list of ``{"path", "headers", "body", "json"}``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The receiver's address (a path of your choice may follow it)."""
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` POSTs with ``status`` (and record nothing for them)."""
        with self._lock:
            self._failures.extend([status] * count)

    def texts(self) -> list[str]:
        """The ``text`` of every JSON body received (what a chat would show)."""
        return [str(r["json"].get("text")) for r in self.received if isinstance(r.get("json"), dict)]

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert of every digest received, in order (a digest's body lists them in ``alerts``)."""
        out: list[dict[str, Any]] = []
        for r in self.received:
            body = r.get("json")
            if isinstance(body, dict):
                listed = body.get("alerts")
                out.extend(a for a in listed if isinstance(a, dict)) if isinstance(listed, list) else out.append(body)
        return out

    def start(self) -> WebhookReceiver:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with owner._lock:
                    status = owner._failures.pop(0) if owner._failures else 200
                    if status == 200:
                        try:
                            parsed = json.loads(body.decode("utf-8"))
                        except ValueError:
                            parsed = None
                        owner.received.append(
                            {"path": self.path, "headers": dict(self.headers), "body": body, "json": parsed}
                        )
                answer = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # a short poll: stop() returns within 10 ms instead of serve_forever's default 0.5 s
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
