"""One delivery over HTTP within one deadline: a POST whose answer's status is the answer (its body
is not read), tried again only when it surely did not arrive (no connection, 5xx, 429), never
following a redirect; a watchdog cuts an answer that trickles past the deadline."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from ..core import SmsStatsError, said
from ..core.i18n import gettext_ as _

__all__ = ["ChannelError", "post"]


class ChannelError(SmsStatsError):
    """An alert could not be delivered; it is sent again at the next check."""


class _NotSentError(Exception):
    """No connection was made: nothing reached the receiver (safe to try again)."""


def _post_once(url: str, body: bytes, headers: dict[str, str], seconds: float) -> tuple[int, str | None]:
    """One POST within ``seconds`` in all (a watchdog closes the socket at the deadline, however
    slowly the answer trickles); the status and the Location header. The body is not read."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname or "", port, timeout=seconds, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", port, timeout=seconds)
    try:
        conn.connect()
    except OSError as exc:
        conn.close()
        raise _NotSentError(type(exc).__name__) from None
    fired = threading.Event()
    watchdog = threading.Timer(seconds, _cut, (conn, fired))
    watchdog.daemon = True
    watchdog.start()
    try:
        path = parts.path or "/"
        conn.request("POST", f"{path}?{parts.query}" if parts.query else path, body=body, headers=headers)
        answer = conn.getresponse()
        if fired.is_set():  # cut mid-answer: http.client reads the cut as the end of the headers
            raise TimeoutError("the answer did not come within the deadline")
        return answer.status, answer.getheader("Location")
    finally:
        watchdog.cancel()
        conn.close()


def _cut(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    fired.set()
    if conn.sock is not None:
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    name: str,
    timeout: float,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> None:
    """POST ``body`` within one deadline of ``timeout`` seconds for the whole delivery; try again
    only what surely did not arrive (no connection, a 5xx or 429 answer); never follow a redirect.
    A :class:`ChannelError` naming ``name`` (never the URL) when it was not delivered."""
    end = time.monotonic() + timeout
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            pause = backoff * 2 ** (attempt - 1)
            if time.monotonic() + pause >= end:
                break
            sleep(pause)
        left = end - time.monotonic()
        if left <= 0:
            last = _("timed out")
            break
        try:
            status, location = _post_once(url, body, headers, left)
        except _NotSentError as exc:
            last = str(exc)
            continue  # nothing reached the receiver
        except (OSError, http.client.HTTPException) as exc:
            # sent, and no answer in time: it may have arrived; the next check sends it again
            # (delivery is at least once; the message's id lets a receiver drop the second copy)
            last = _("timed out") if isinstance(exc, TimeoutError) or time.monotonic() >= end else type(exc).__name__
            break
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            target = urlsplit(location or "").hostname or _("an unknown address")
            raise said(
                ChannelError,
                "{name}: answered HTTP {status}, a redirect to {target}; redirects are not followed (the alert "
                "and its signature would go to another address): give the new address",
                name=name,
                status=status,
                target=target,
            )
        last = f"HTTP {status}"
        if status != 429 and status < 500:
            break  # the receiver refused it: trying again now would not help
    raise said(ChannelError, "{name}: not delivered ({why}); it is sent again at the next check", name=name, why=last)
