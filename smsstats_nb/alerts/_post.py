"""One delivery over HTTP within one deadline: a POST whose answer's status is the answer (its body
is not read), tried again only when it surely did not arrive (no connection, 5xx, 429), never
following a redirect; a watchdog cuts an answer that trickles past the deadline."""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from ..core import SmsStatsError, said
from ..core.i18n import gettext_ as _

__all__ = ["RETRY_AFTER_CAP", "ChannelError", "post"]

#: The longest wait a receiver's ``Retry-After`` (or Telegram's ``retry_after``) is granted within
#: one delivery; a longer one fails the delivery now, and the next check sends it.
RETRY_AFTER_CAP = 30.0


class ChannelError(SmsStatsError):
    """An alert could not be delivered; it is sent again at the next check."""


class _NotSentError(Exception):
    """No connection was made: nothing reached the receiver (safe to try again)."""


def _post_once(url: str, body: bytes, headers: dict[str, str], seconds: float) -> tuple[int, str | None, float | None]:
    """One POST within ``seconds`` in all (a watchdog closes the socket at the deadline, however
    slowly the answer trickles); the status, the Location header and how long a 429 or 503 asks to
    wait (``Retry-After``, or Telegram's ``parameters.retry_after`` in the first 4 KiB of a 429's
    body). No other body is read."""
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
        wait = _retry_after(answer.getheader("Retry-After"))
        if answer.status == 429 and wait is None:
            wait = _telegram_wait(answer.read(4096))
        return answer.status, answer.getheader("Location"), wait
    finally:
        watchdog.cancel()
        conn.close()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _telegram_wait(body: bytes) -> float | None:
    """Telegram's ``{"ok": false, "parameters": {"retry_after": N}}``."""
    try:
        data = json.loads(body.decode("utf-8", "replace"))
        wait = data["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(wait) if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait >= 0 else None


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
    asked: float | None = None  # the wait the last answer asked for
    for attempt in range(retries + 1):
        if attempt:
            pause = backoff * 2 ** (attempt - 1) if asked is None else asked
            if asked is not None and asked > RETRY_AFTER_CAP:
                last = _("asked to wait {seconds} s").format(seconds=f"{asked:g}")
                break
            if time.monotonic() + pause >= end:
                if asked is not None:
                    last = _("asked to wait {seconds} s").format(seconds=f"{asked:g}")
                break
            sleep(pause)
        left = end - time.monotonic()
        if left <= 0:
            last = _("timed out")
            break
        try:
            status, location, asked = _post_once(url, body, headers, left)
        except _NotSentError as exc:
            last, asked = str(exc), None
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
        if status not in (429, 503):
            asked = None  # only a 429 or a 503 asks for a wait
        if status != 429 and status < 500:
            break  # the receiver refused it: trying again now would not help
    raise said(ChannelError, "{name}: not delivered ({why}); it is sent again at the next check", name=name, why=last)
