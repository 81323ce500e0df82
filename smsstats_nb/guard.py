"""The guarded HTTP path: a ``requests`` adapter under the cache that spends quota and checks answers.

Order of a request (outermost first)::

    requests-cache (CacheMixin)   a hit returns here: no quota spent, no request made
    GuardedAdapter.send           local refusals, a quota token, the HTTP status, decoding and
                                  parsing: an error or malformed body raises *here*, before the
                                  cache could store it or drop the last good entry
    urllib3 + QuotaRetry          retries (5xx, resets, timeouts), each taking a quota token first

:class:`Guard` holds the rules and its collaborators (the store's cool-downs, the quota); the
adapter only calls it. What one fetch needs inside the adapter (the asked format, whether to wait)
travels in a :class:`CallContext` set with :meth:`Guard.call`, since ``requests`` cannot pass
custom arguments down.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import AuthError, RateLimitError, TransportError
from .formats import decode_body, parse_response
from .quota import Quota
from .store import Store

__all__ = ["AUTH_COOLDOWN", "CallContext", "Guard", "GuardedAdapter", "QuotaRetry", "WaitHook"]

logger = logging.getLogger(__name__)

WaitHook = Callable[[float], None]
#: Seconds the same credentials are refused locally after the server rejected them.
AUTH_COOLDOWN = 30 * 60.0


@dataclass
class CallContext:
    """What one fetch needs below the cache: the asked format and how to wait for the quota."""

    fmt: int
    wait: bool
    on_wait: WaitHook | None
    max_wait: float | None
    requests_sent: int = 0


_CURRENT: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar("smsstats_call", default=None)


class Guard:
    """The rules applied to every request that reaches the network.

    Args:
        store: where cool-downs persist.
        quota: the account's quota.
        host: the service host (for messages).
        secret_key: the salted hash of the secret (keys the auth cool-down).
        retries: retries after the first attempt (for messages).
    """

    def __init__(self, store: Store, quota: Quota, *, host: str, secret_key: str, retries: int) -> None:
        self.store = store
        self.quota = quota
        self.host = host
        self.retries = retries
        self.auth_key = "auth:" + secret_key
        self.cool_key = "cool:" + quota.identity

    # -- per-call context ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def call(self, context: CallContext) -> Iterator[CallContext]:
        """Make ``context`` the current call for requests sent inside the block."""
        token = _CURRENT.set(context)
        try:
            yield context
        finally:
            _CURRENT.reset(token)

    @staticmethod
    def current() -> CallContext:
        """The current call (the session must be used through ``Transport.fetch``)."""
        context = _CURRENT.get()
        if context is None:
            raise RuntimeError("the guarded session must be used through Transport.fetch()")
        return context

    # -- refusals and the quota ---------------------------------------------------------------------
    def check_refusals(self) -> None:
        """Refuse locally while these credentials are in their auth cool-down."""
        left = self.store.cooldown_remaining(self.auth_key)
        if left > 0:
            raise AuthError(
                2,
                "refused locally",
                hint=f"these credentials were rejected by the server; not retrying them for "
                f"{left / 60:.0f} more minutes (five failures would block this IP). Fix the "
                "password, or clear the cool-down with StatsClient.clear_cache(auth=True)",
            )

    def start_auth_cooldown(self) -> None:
        """The server rejected these credentials: refuse them locally for 30 minutes."""
        self.store.cooldown_set(self.auth_key, AUTH_COOLDOWN, "auth")
        logger.warning(
            "authorisation failed for %s; not retrying these credentials for 30 minutes", self.quota.identity
        )

    def server_rate_limited(self) -> None:
        """The server answered error 9: cool down one window, shared by every process."""
        self.store.cooldown_set(self.cool_key, self.quota.window, "error 9")
        self.quota.fill()

    def cooldown_left(self) -> float:
        """Seconds left in an error-9 cool-down."""
        return self.store.cooldown_remaining(self.cool_key)

    def take_token(self, call: CallContext) -> None:
        """Wait for (or refuse) a quota token, honouring any error-9 cool-down first."""
        deadline = None if call.max_wait is None else time.monotonic() + call.max_wait
        announced = False
        while True:
            left = self.cooldown_left()
            if left <= 0:
                left = self.quota.try_take()
                if left <= 0:
                    call.requests_sent += 1
                    return
            if not call.wait:
                raise RateLimitError(
                    9,
                    "local rate limit",
                    hint=f"{self.quota.limit} statistics requests per {self.quota.window:.0f} s on this "
                    f"login are used up; wait {left:.1f} s",
                    retry_after=left,
                    local=True,
                )
            if deadline is not None and time.monotonic() + left > deadline:
                raise RateLimitError(
                    9,
                    "local rate limit",
                    hint=f"the wait of {left:.1f} s is longer than max_wait={call.max_wait} s",
                    retry_after=left,
                    local=True,
                )
            if not announced:
                logger.info("rate limit for %s: waiting %.1f s", self.quota.identity, left)
                announced = True
            if call.on_wait is not None:
                call.on_wait(left)
            time.sleep(min(left, 1.0))

    def before_retry(self) -> None:
        """A retry is about to go out: it spends a token like any request (the server counts it)."""
        context = _CURRENT.get()
        if context is not None:
            self.take_token(CallContext(context.fmt, True, context.on_wait, None))
            context.requests_sent += 1

    # -- the answer -------------------------------------------------------------------------------------
    def check_answer(self, response: requests.Response, call: CallContext) -> pd.DataFrame:
        """The parsed frame of a 200 answer; raises for any other status or an error body."""
        if response.status_code != 200:
            raise TransportError(
                f"{self.host} answered HTTP {response.status_code} (after {self.retries + 1} tries at most)"
            )
        try:
            return parse_response(decode_body(response.content), call.fmt)
        except AuthError:
            self.start_auth_cooldown()
            raise


class QuotaRetry(Retry):
    """urllib3 Retry whose every retry takes a quota token first (the server counts retries)."""

    before_retry: Callable[[], None] | None = None

    def new(self, **kw: Any) -> QuotaRetry:
        other = super().new(**kw)
        other.before_retry = self.before_retry
        return other

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.before_retry is not None:
            self.before_retry()


class GuardedAdapter(HTTPAdapter):
    """The HTTP adapter under the cache: every request it sends goes through the :class:`Guard`."""

    def __init__(self, guard: Guard, *, retries: int, backoff: float) -> None:
        retry = QuotaRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=None,
            backoff_factor=backoff,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        retry.before_retry = guard.before_retry
        super().__init__(max_retries=retry)
        self.guard = guard

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        call = self.guard.current()
        self.guard.check_refusals()
        self.guard.take_token(call)
        response = super().send(request, *args, **kwargs)
        response._smsstats_frame = self.guard.check_answer(response, call)  # type: ignore[attr-defined]
        return response
