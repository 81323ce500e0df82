"""The guard: the rules every request that would reach the network must pass, and what its answer means.

Before a request: a local IP-block refusal (30 minutes after the server's error 4), a known-bad
secret's refusal (30 minutes after its error 2), the machine-wide budget of failed logins (at most
four in any 30 minutes, whatever the credentials; SMSC blocks the IP at five), and a quota token
(waiting, or refusing when the caller will not wait). After it: the server's error 9, 429 or 503
with Retry-After become a shared cool-down; error 2 and 4 start their refusals.

The wire-level code that calls these rules is :mod:`smsstats_nb.wire._adapter`; what one fetch needs
travels in a :class:`CallContext` set with :meth:`Guard.call`.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core import SYSTEM, AuthError, CancelledError, Clock, IPBlockedError, RateLimitError, said
from ..core.i18n import N_
from ..store import PENDING_WAIT, Outcome, Quota, Store
from .formats import decode_body, parse_response

__all__ = ["AUTH_COOLDOWN", "LOGIN_BUDGET", "CallContext", "Guard", "Reason", "WaitHook"]

logger = logging.getLogger(__name__)

WaitHook = Callable[[float], None]
#: Seconds a known-bad secret, and the IP after error 4, are refused locally.
AUTH_COOLDOWN = 30 * 60.0
IP_BLOCK_COOLDOWN = 30 * 60.0
#: Failed logins allowed to reach the server in any ``AUTH_COOLDOWN`` seconds (SMSC blocks at 5).
LOGIN_BUDGET = 4
#: Seconds a first login waits for the budget's in-flight logins to settle before it is refused.
PENDING_PATIENCE = 120.0


class Reason(enum.StrEnum):
    """Why a cool-down is kept: the guard's own vocabulary (the stores only keep the word)."""

    AUTH = "auth"
    IP_BLOCK = "error 4"
    SERVER_PAUSE = "server pause"
    VERIFIED = "verified"

    @property
    def words(self) -> str:
        """What it means, for people."""
        return _WORDS[self]

    @property
    def is_refusal(self) -> bool:
        """Whether it holds requests back (``VERIFIED`` is a good mark, not a refusal)."""
        return self is not Reason.VERIFIED

    @classmethod
    def describe(cls, word: str) -> str | None:
        """The plain words for a stored reason, or None when it is not a refusal to show."""
        try:
            reason = cls(word)
        except ValueError:
            return word
        return reason.words if reason.is_refusal else None


_WORDS = {  # marked for the catalogue; the terminal says them in the person's language
    Reason.AUTH: N_("known-bad credentials refused locally"),
    Reason.IP_BLOCK: N_("IP-block refusal (SMSC answered error 4)"),
    Reason.SERVER_PAUSE: N_("pause the server asked for (error 9, 429 or 503)"),
    Reason.VERIFIED: N_("credentials known to be good"),
}

CLEAR_HINT = "clear it deliberately with `smsstats cache clear --cooldowns` or StatsClient.clear_cache(auth=True)"


@dataclass
class CallContext:
    """What one fetch needs below the cache.

    Attributes:
        fmt: the asked format (to parse the answer).
        wait, on_wait, max_wait: how to wait for the quota.
        cancel: an event that ends a wait at once (:class:`~smsstats_nb.core.CancelledError`).
        timeout: seconds one attempt may take, from sending to the last byte.
        requests_sent: attempts that went on the wire (each spent a token).
        deadline_hit: set when an attempt ran past ``timeout`` and was cut.
        never_sent: set when an attempt failed before a connection was made (nothing reached the server).
    """

    fmt: int
    wait: bool
    on_wait: WaitHook | None
    max_wait: float | None
    timeout: float = 30.0
    requests_sent: int = 0
    deadline_hit: bool = False
    never_sent: bool = False
    started: float = 0.0
    guard: Guard | None = None
    cancel: threading.Event | None = None  # set: stop waiting at once and send nothing
    _watchdog: threading.Timer | None = None

    def arm(self, sock: Any) -> None:
        """Cut ``sock`` if this attempt is not over within ``timeout`` seconds."""
        self.disarm()
        timer = threading.Timer(self.timeout, self._cut, (sock,))
        timer.daemon = True
        self._watchdog = timer
        timer.start()

    def disarm(self) -> None:
        """The attempt is over (answered or failed): stop its watchdog."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _cut(self, sock: Any) -> None:
        self.deadline_hit = True
        with contextlib.suppress(OSError):
            sock.shutdown(2)  # SHUT_RDWR: a blocked read returns at once


_CURRENT: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar("smsstats_call", default=None)


def current_call() -> CallContext | None:
    """The call being served in this thread, if any."""
    return _CURRENT.get()


class Guard:
    """The rules applied to every request that reaches the network.

    Args:
        store: where cool-downs, refusals and the failed-login budget persist.
        quota: the account's quota.
        host: the service host (for messages).
        secret_key: the salted hash of the secret (keys the per-secret refusal).
    """

    def __init__(
        self, store: Store, quota: Quota, *, host: str, secret_key: str, service: str = "", clock: Clock = SYSTEM
    ) -> None:
        self.store = store
        self.service = service or host  # the failed-login budget's scope: one per service, all credentials
        self.secret = secret_key[:24]
        self.clock = clock
        self.quota = quota
        self.host = host
        self.auth_key = "auth:" + secret_key
        self.cool_key = "cool:" + quota.identity
        self.ip_key = "ipblock"

    # -- per-call context ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def call(self, context: CallContext) -> Iterator[CallContext]:
        """Make ``context`` the current call for requests sent inside the block."""
        context.guard = self
        context.started = self.clock.monotonic()
        token = _CURRENT.set(context)
        try:
            yield context
        finally:
            context.disarm()
            _CURRENT.reset(token)

    @staticmethod
    def current() -> CallContext:
        """The current call (the session must be used through ``Transport.fetch``)."""
        context = _CURRENT.get()
        if context is None:
            raise RuntimeError("the guarded session must be used through Transport.fetch()")
        return context

    # -- refusals -------------------------------------------------------------------------------------
    def check_refusals(self) -> None:
        """Refuse locally during an IP-block refusal, while this secret is known to be bad, or
        when the quota cannot record a token (a read-only store)."""
        self.quota.check_usable()
        left = self.store.cooldowns.remaining(self.ip_key)
        if left > 0:
            raise IPBlockedError(
                4,
                "refused locally",
                hint=f"SMSC blocked this IP address; not asking again for {_minutes(left)} (every request "
                f"could prolong the block, which also stops SMS sending from this IP); {CLEAR_HINT}",
                retry_after=left,
            )
        left = self.store.cooldowns.remaining(self.auth_key)
        if left > 0:
            raise AuthError(
                2,
                "refused locally",
                hint=f"the server rejected these credentials; not trying them again for {_minutes(left)} "
                f"(five failures in 30 minutes block this IP). Fix the password, or {CLEAR_HINT}",
            )

    def begin_login(self) -> str:
        """Reserve a place in the failed-login budget for an attempt (every attempt: a password
        that worked yesterday and was changed at SMSC today fails like any other).

        Raises:
            AuthError: four failed (or unanswered) logins from this machine or team in 30 minutes.
        """
        patience = self.clock.monotonic() + PENDING_PATIENCE
        reserve = self.store.logins.reserve
        ticket, wait = reserve(LOGIN_BUDGET, AUTH_COOLDOWN, scope=self.service, secret=self.secret)
        while ticket is None and wait <= PENDING_WAIT and self.clock.monotonic() < patience:
            # only attempts still in flight fill the budget (many accounts at once): they settle
            self.clock.sleep(wait)
            ticket, wait = reserve(LOGIN_BUDGET, AUTH_COOLDOWN, scope=self.service, secret=self.secret)
        if ticket is None:
            raise AuthError(
                2,
                "refused locally",
                hint=f"{LOGIN_BUDGET} logins failed from this machine in the last 30 minutes and SMSC blocks "
                f"the IP at five; new credentials may be tried in {_minutes(wait)}, or {CLEAR_HINT}",
            )
        return ticket

    def end_login(self, ticket: str, outcome: Outcome) -> None:
        """Settle a reserved attempt (``ok``: the server answered without refusing the secret;
        ``failed``: error 2 or 4; ``unknown``: no answer came, so it counts as a failure until
        this secret gets an answer) and remember what the server said of this secret."""
        self.store.logins.settle(ticket, outcome)
        if outcome == "failed":
            self.store.cooldowns.set(self.auth_key, AUTH_COOLDOWN, Reason.AUTH.value)
            # INFO, not WARNING: the AuthError the caller gets says it all (a notebook showed both)
            logger.info(
                "authorisation failed for %s; not retrying these credentials for 30 minutes", self.quota.identity
            )

    def ip_blocked(self) -> None:
        """The server answered error 4: refuse every request from this machine (or team) for 30 minutes."""
        self.store.cooldowns.set(self.ip_key, IP_BLOCK_COOLDOWN, Reason.IP_BLOCK.value)
        logger.warning("SMSC answered error 4 (IP blocked); refusing requests locally for 30 minutes")

    # -- the quota --------------------------------------------------------------------------------------
    def pause(self, seconds: float, *, fill: bool) -> None:
        """The server asked for a pause (error 9, 429, 503 + Retry-After): a cool-down every process honours."""
        self.store.cooldowns.set(self.cool_key, seconds, Reason.SERVER_PAUSE.value)
        if fill:
            self.quota.fill()

    def cooldown_left(self) -> float:
        """Seconds left in a server-requested pause."""
        return self.store.cooldowns.remaining(self.cool_key)

    def try_token(self) -> float:
        """Take a token now (0) or say how many seconds until one can be taken."""
        left = self.cooldown_left()
        return left if left > 0 else self.quota.try_take()

    def quota_wait_logged(self, left: float) -> None:
        """Say once per request that it waits for the quota."""
        logger.info("rate limit for %s: waiting %.1f s", self.quota.identity, left)

    def wait_or_refuse(self, left: float, call: CallContext, deadline: float | None) -> None:
        """Sleep a little towards a token, or raise RateLimitError when the caller will not wait."""
        if not call.wait:
            raise RateLimitError(
                9,
                "local rate limit",
                hint=f"{self.quota.limit} statistics requests per {self.quota.window:.0f} s on this "
                f"login are used up; wait {left:.1f} s",
                retry_after=left,
                local=True,
            )
        if deadline is not None and self.clock.monotonic() + left > deadline:
            raise RateLimitError(
                9,
                "local rate limit",
                hint=f"the wait of {left:.1f} s is longer than max_wait={call.max_wait} s",
                retry_after=left,
                local=True,
            )
        if call.on_wait is not None:
            call.on_wait(left)
        if self.clock.wait(call.cancel, min(left, 1.0)):
            raise cancelled()

    # -- the answer -------------------------------------------------------------------------------------
    def parse(self, content: bytes, call: CallContext) -> pd.DataFrame:
        """The frame of a 200 answer; error bodies raise (and start their refusals)."""
        try:
            return parse_response(decode_body(content), call.fmt)
        except IPBlockedError:
            self.ip_blocked()
            raise


def cancelled() -> CancelledError:
    """The one error of a wait ended by Cancel (the guard's sleep, or a cancel seen before a token)."""
    return said(CancelledError, "cancelled while waiting for the rate limit; nothing more was sent")


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} more minute{'s' if minutes != 1 else ''}"
