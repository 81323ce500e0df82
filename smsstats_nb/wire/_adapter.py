"""The wire: a ``requests`` adapter under the cache that applies the :class:`~smsstats_nb.wire.Guard`.

Order of a request (outermost first)::

    requests-cache (CachedSession)   a hit returns here: no quota spent, no request made
    GuardedAdapter.send              refusals, a place in the machine's failed-login budget (every
                                     attempt; one whose answer never came stays counted), then the
                                     answer: a redirect, 429/503, another status, an oversized or
                                     error body raises *here*, before the cache could store it
    urllib3 (retries)                a refused connection and 5xx without Retry-After, twice at
                                     most; never an attempt whose answer did not come (it may have
                                     reached SMSC as a login)
    _WatchedConnection.request       once the connection is up: a quota token (so a refused
                                     connection spends none), then a watchdog that cuts the
                                     attempt at ``timeout`` seconds, however slowly bytes trickle
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, NewConnectionError
from urllib3.util.retry import Retry

from ..core import (
    AuthError,
    IPBlockedError,
    RateLimitError,
    ResponseFormatError,
    SmsStatsError,
    TransportError,
    said,
)
from ..store import Outcome
from ._guard import CallContext, Guard, cancelled, current_call
from ._http_errors import translate_request_error

__all__ = ["GuardedAdapter", "ServerBusyError", "retry_after_seconds"]

#: Longest Retry-After honoured (seconds).
MAX_RETRY_AFTER = 3600.0


class ServerBusyError(TransportError):
    """HTTP 503 with a Retry-After header (the client pauses and asks again within ``max_wait``)."""

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from ``now``, or None."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _before_request(conn: HTTPConnection) -> None:
    """Spend a token once the connection is up (waiting disconnected), then arm the watchdog."""
    call = current_call()
    if call is None or call.guard is None:
        return
    guard = call.guard
    deadline = None if call.max_wait is None else guard.clock.monotonic() + call.max_wait
    announced = False
    while True:
        if call.cancel is not None and call.cancel.is_set():  # cancelled: no token, no request
            raise cancelled()
        if conn.sock is None:
            conn.connect()  # a refused connection raises here: no token spent
        left = guard.try_token()
        if left <= 0:
            break
        conn.close()  # never hold an idle connection open through a rate-limit wait
        if not announced:
            announced = True
            guard.quota_wait_logged(left)
        guard.wait_or_refuse(left, call, deadline)
    call.requests_sent += 1
    call.arm(conn.sock)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _before_request(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _before_request(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Retry(Retry):
    """urllib3's Retry that leaves 429 and 503-with-Retry-After to the client (which honours them)."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 or (status_code == 503 and has_retry_after):
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))


class GuardedAdapter(HTTPAdapter):
    """The HTTP adapter under the cache: every request it sends goes through the :class:`Guard`."""

    def __init__(self, guard: Guard, *, host: str, retries: int, backoff: float, max_body: int) -> None:
        retry = _Retry(
            total=retries,
            connect=retries,
            read=0,  # an attempt whose answer never came may have reached SMSC: never sent again blind
            status=retries,
            other=0,
            redirect=0,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,
            backoff_factor=backoff,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=False,
        )
        super().__init__(max_retries=retry)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        self.guard = guard
        self.host = host
        self.tries = retries + 1
        self.max_body = max_body

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        call = self.guard.current()
        self.guard.check_refusals()
        ticket = self.guard.begin_login()
        # what became of the attempt: "unknown" until an answer proves otherwise (a timeout, a
        # connection cut after the request left: SMSC may have counted a failed login)
        outcome: Outcome = "unknown"
        try:
            kwargs["stream"] = True
            call.never_sent = False
            try:
                response = self._send(request, call, *args, **kwargs)
            except SmsStatsError:
                if call.never_sent:
                    outcome = "ok"  # no connection was made: nothing reached the server
                raise
            try:
                outcome = "ok"  # a status line came: an HTTP error is the server's, not a login's
                self._check_status(response)
                outcome = "unknown"  # the body is still to come
                content = self._read(response, call)
                outcome = "ok"
            finally:
                call.disarm()
                response.close()
            try:
                frame = self.guard.parse(content, call)
            except (AuthError, IPBlockedError):
                outcome = "failed"
                raise
        finally:
            self.guard.end_login(ticket, outcome)
        response._content = content
        response._content_consumed = True  # type: ignore[attr-defined]
        response.smsstats_frame = frame  # type: ignore[attr-defined]
        return response

    def _send(
        self, request: requests.PreparedRequest, call: CallContext, *args: Any, **kwargs: Any
    ) -> requests.Response:
        error: SmsStatsError
        try:
            return super().send(request, *args, **kwargs)
        except SmsStatsError:
            raise
        except requests.exceptions.RequestException as exc:
            error = self._transport_error(exc, call)
        call.disarm()
        raise error  # outside the handler: requests' exception holds the URL

    def _transport_error(self, exc: requests.exceptions.RequestException, call: CallContext) -> SmsStatsError:
        if call.deadline_hit:
            return self._timeout_error(call)
        reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
        call.never_sent = isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, NewConnectionError)
        return translate_request_error(exc, self.host, self.tries, call.timeout)

    def _timeout_error(self, call: CallContext) -> TransportError:
        spent = (call.guard.clock.monotonic() if call.guard is not None else time.monotonic()) - call.started
        return TransportError(
            f"network timeout: no complete answer from {self.host} within {call.timeout:g} s "
            f"({call.requests_sent} attempt{'' if call.requests_sent == 1 else 's'}, {spent:.1f} s in all)"
        )

    def _check_status(self, response: requests.Response) -> None:
        """Refuse a redirect, honour 429 and 503 with Retry-After, refuse any other status but 200."""
        status = response.status_code
        if 300 <= status < 400:
            target = urlsplit(response.headers.get("Location", "")).hostname or self.host
            raise TransportError(
                f"{self.host} answered HTTP {status}, a redirect to {target}; redirects are never followed "
                "(the request carries the password). Check base_url"
            )
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise RateLimitError(
                9,
                "HTTP 429 Too Many Requests",
                hint=f"the server asked to wait {wait:.0f} s" if wait is not None else "wait a minute",
                retry_after=wait,
            )
        if status == 503:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is not None:
                raise ServerBusyError(f"{self.host} answered HTTP 503 and asked to wait {wait:.0f} s", wait)
        if status != 200:
            raise TransportError(f"{self.host} answered HTTP {status} (after {self.tries} tries at most)")

    def _read(self, response: requests.Response, call: CallContext) -> bytes:
        """Read the body within the size cap and the attempt's deadline."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise ResponseFormatError(f"the answer ({int(declared):,} bytes) is larger than max_body={self.max_body:,}")
        chunks: list[bytes] = []
        size = 0
        error: SmsStatsError | None = None
        try:
            for chunk in response.raw.stream(256 * 1024, decode_content=True):
                size += len(chunk)
                if size > self.max_body:
                    raise ResponseFormatError(f"the answer is larger than max_body={self.max_body:,} bytes")
                chunks.append(chunk)
        except SmsStatsError:
            raise
        except DecodeError:  # the bytes came, and their Content-Encoding (gzip, deflate) does not decode
            error = said(
                ResponseFormatError,
                "the answer from {host} says it is compressed ({encoding}) but does not decompress",
                host=self.host,
                encoding=response.headers.get("Content-Encoding", "?"),
            )
        except Exception:  # noqa: BLE001 - urllib3/socket errors mid-body; their text may hold the URL
            error = self._timeout_error(call) if call.deadline_hit else None
            if error is None:
                error = said(
                    TransportError, "the connection to {host} broke while the answer was arriving", host=self.host
                )
        if error is not None:
            raise error
        if call.deadline_hit:
            raise self._timeout_error(call)
        return b"".join(chunks)
