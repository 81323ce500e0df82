"""The transport: the core. One question to one answer through the cache, the guard and the network,
and the small public interface everything above it uses.

:class:`Transport` wires the pieces together: a :class:`~smsstats_nb.store.Store` (HTTP cache,
quota bucket, cool-downs, period index, parsed answers, salt), the :mod:`cache policy
<smsstats_nb.wire._cache_policy>` (key and expiry), and a ``requests`` session whose adapter is the
:class:`~smsstats_nb.wire.GuardedAdapter`, all configured by one
:class:`~smsstats_nb.core.Settings` and one injected :class:`~smsstats_nb.core.Clock`.

What the layers above use (series, composition, sync, coverage, the client facade):

- :meth:`Transport.fetch_frame`: one question to a DataFrame with its ``attrs`` stamped;
- :meth:`Transport.lookup`: the cached answers of many questions, never a request;
- :meth:`Transport.cached_mask`: which questions are cached (no parsing);
- :meth:`Transport.cached_periods`, :meth:`Transport.eta`, :meth:`Transport.stamp`, and the public
  ``quota``, ``store``, ``settings``, ``identity`` and ``clock``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import requests

from ..core import (
    SYSTEM,
    Clock,
    Credentials,
    Environment,
    RateLimitError,
    Settings,
    SmsStatsError,
    StatsQuery,
    account_identity,
    by_login,
    install_log_redaction,
    make_frame,
    moscow_today,
    service_host,
    stamp,
)
from ..store import Pieces, Store
from ..wire import (
    AUTH_COOLDOWN,
    NEVER,
    SECRET_PARAMS,
    CacheKeyer,
    CallContext,
    Guard,
    GuardedAdapter,
    ServerBusyError,
    WaitHook,
    expire_after,
    translate_request_error,
)
from ..wire.formats import decode_body, parse_response

__all__ = ["FetchResult", "Transport", "pieces_frame"]


from ._cached import CacheView

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    """One answered question.

    Attributes:
        frame: the stats DataFrame.
        from_cache: True when no request was sent.
        requests: requests sent for it (retries included).
        fetched_at: when the server gave the answer (for a cache hit, when it was stored).
    """

    frame: pd.DataFrame
    from_cache: bool
    requests: int
    fetched_at: dt.datetime


def kdf_rounds() -> int:
    """The PBKDF2 rounds of the secret's hash: 100,000, or ``$SMSSTATS_KDF_ROUNDS`` (at least 1,000)."""
    asked = Environment.read().kdf_rounds
    return max(1_000, int(asked)) if asked and asked.isdigit() else 100_000


class Transport:
    """Owns one session over a store: the HTTP cache (optional), the quota and the cool-downs.

    Args:
        credentials: who asks (the secret stays inside).
        store: where the state lives (see :func:`~smsstats_nb.store.open_store`).
        settings: every other setting.
        clock: the clock of the time rules (default: the system's).
    """

    def __init__(self, credentials: Credentials, store: Store, settings: Settings, *, clock: Clock = SYSTEM) -> None:
        install_log_redaction()
        self.credentials = credentials
        self.store = store
        self.settings = settings
        self.clock = clock
        self.base_url = settings.base_url.rstrip("/")
        # a base URL may be given with the endpoint already on it (…/sys/get.php)
        self.url = self.base_url if self.base_url.endswith("get.php") else self.base_url + "/sys/get.php"
        self.host = service_host(self.base_url)
        self.identity = account_identity(self.base_url, credentials, settings.service)
        limit, per = settings.rate_limit
        self.quota = store.quota(self.identity, limit, per, settings.rate_margin)
        self.window = self.quota.window
        secret_key = credentials.secret_hash(store.salt(), kdf_rounds())
        self.guard = Guard(
            store, self.quota, host=self.host, secret_key=secret_key, service=self.identity.split("|")[0], clock=clock
        )
        self.cache_enabled = store.http_cache_enabled
        self._keyer = CacheKeyer(self.identity, secret_key, settings.service)
        adapter = GuardedAdapter(
            self.guard, host=self.host, retries=settings.retries, backoff=settings.backoff, max_body=settings.max_body
        )
        self.session = self._build_session(adapter)
        #: what is cached for this credential (lookups only: never a request)
        self.cache = CacheView(self, secret_key)
        if self.cache_enabled and (legacy := store.legacy_answers()):
            logger.warning(
                "%s cached in %s by an older smsstats_nb with pickle, which can run code: "
                "not read, each fetched again when asked for (`smsstats cache clear` removes them)",
                f"{legacy} answer" + ("" if legacy == 1 else "s"),
                store.description,
            )

    def _build_session(self, adapter: GuardedAdapter) -> requests.Session:
        settings = self.settings
        session: requests.Session
        backend = self.store.http_backend()
        if backend is None:
            session = requests.Session()
        else:
            from requests_cache import CachedSession

            session = CachedSession(
                backend=backend,
                allowable_methods=("GET", "POST"),
                allowable_codes=(200,),
                ignored_parameters=list(SECRET_PARAMS),  # only redacts the stored request; the key is ours
                key_fn=self._keyer,
                expire_after=settings.recent_expiry,
                stale_if_error=False,
            )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "smsstats_nb"
        return session

    @property
    def login(self) -> str | None:
        """The login (None when an apikey is used)."""
        return self.credentials.login

    # -- the one call ------------------------------------------------------------------------------
    def expire_after(self, query: StatsQuery) -> float:
        """Seconds an answer for ``query`` stays fresh (:data:`~smsstats_nb.wire.NEVER`: forever),
        on this transport's clock."""
        today = moscow_today(dt.datetime.fromtimestamp(self.clock.time(), dt.UTC))
        return expire_after(query, self.settings.recent_expiry, today=today)

    def fetch(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
        max_wait: float | None = None,
        max_cooldowns: int = 2,
        cancel: threading.Event | None = None,
    ) -> FetchResult:
        """Answer one question from the cache or the server (``wait``/``max_wait``: the settings'
        unless given; ``cancel``: an event that ends any wait at once, sending nothing).

        Raises:
            SmscError subclasses, ResponseFormatError, TransportError, StorageError, CancelledError.
        """
        wait = self.settings.wait if wait is None else wait
        max_wait = self.settings.max_wait if max_wait is None else max_wait
        if not refresh:
            hit = self.cache.lookup([query], fallback=False)[0]
            if hit is not None:  # parsed before: no decoding of the answer, no parsing
                return FetchResult(pieces_frame(hit), True, 0, dt.datetime.fromisoformat(hit.fetched_at))
        params = {**query.to_params(), **self.credentials.params()}
        call = CallContext(query.fmt, wait, on_wait, max_wait, timeout=self.settings.timeout, cancel=cancel)
        expire = self.expire_after(query)  # what requests-cache is told when it sends
        pauses = 0
        while True:
            try:
                with self.guard.call(call):
                    response = self._send(params, expire, refresh)
                break
            except (RateLimitError, ServerBusyError) as exc:
                if isinstance(exc, RateLimitError) and exc.local:
                    raise
                pause = exc.retry_after if exc.retry_after is not None else self.window
                self.guard.pause(pause, fill=isinstance(exc, RateLimitError))
                too_long = max_wait is not None and pause > max_wait
                if pauses >= max_cooldowns or not wait or too_long:
                    raise self._gave_up(exc, pauses, pause) from None
                pauses += 1
                logger.warning("the server asked for a pause; waiting %.0f s before retry %d", pause, pauses)
        frame = getattr(response, "smsstats_frame", None)
        from_cache = bool(getattr(response, "from_cache", False))
        if frame is None:
            frame = parse_response(decode_body(response.content), query.fmt)
        frame = by_login(frame)  # one row order, whether it came live, from the cache or parsed before
        expires_at: float | None = None
        if not from_cache and self.cache_enabled:
            # one expiry per answer, from the period and the time the answer was received: a wait
            # for a token across Moscow midnight turns "yesterday" (open) into a closed day
            received = self.expire_after(query)
            if received != expire:
                self.cache.restamp(response, received)
                expire = received
            expires_at = None if expire == NEVER else self.clock.time() + expire
            self.cache.index(query, expires_at)
        if from_cache:
            fetched_at, expires_at = self.cache.times(response)
        else:
            fetched_at = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC)
        self.cache.keep(query, frame, fetched_at, expires_at)
        return FetchResult(frame, from_cache, call.requests_sent, fetched_at)

    def fetch_frame(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
        cancel: threading.Event | None = None,
    ) -> pd.DataFrame:
        """:meth:`fetch` as the stats frame with its query facts in ``attrs`` (see :func:`~.frames.stamp`)."""
        result = self.fetch(query, refresh=refresh, wait=wait, on_wait=on_wait, cancel=cancel)
        logger.info(
            "%s..%s: %s %s",
            query.start,
            query.end,
            f"{len(result.frame)} row" + ("" if len(result.frame) == 1 else "s"),
            "from the cache"
            if result.from_cache
            else f"from the server ({result.requests} request{'' if result.requests == 1 else 's'})",
        )
        return self.stamp(
            result.frame,
            query,
            from_cache=result.from_cache,
            requests=result.requests,
            composed=False,
            fetched_at=result.fetched_at,
        )

    def stamp(self, frame: pd.DataFrame, query: StatsQuery, **extra: Any) -> pd.DataFrame:
        """Replace ``frame.attrs`` with the query facts of ``query`` on this service."""
        return stamp(frame, query, source=self.base_url, now=self.clock.time(), **extra)

    def eta(self, requests_needed: int) -> float:
        """Seconds until ``requests_needed`` more requests can all have been sent (rate limit and
        any server-requested pause)."""
        return self.quota.eta(max(0, int(requests_needed)), cooldown=self.guard.cooldown_left())

    # -- below the cache ------------------------------------------------------------------------------
    def _gave_up(self, exc: RateLimitError | ServerBusyError, pauses: int, pause: float) -> SmsStatsError:
        tries = {0: "without a pause", 1: "after 1 pause"}.get(pauses, f"after {pauses} pauses")
        if isinstance(exc, ServerBusyError):
            return ServerBusyError(f"{exc} ({tries})", pause)
        what = "error 9 (another tool on this login?)" if exc.retry_after is None else exc.description
        return RateLimitError(
            9,
            exc.description,
            hint=f"the server kept answering {what} {tries}; wait {pause:.0f} s",
            retry_after=pause,
        )

    def _send(self, params: dict[str, str], expire: float, refresh: bool) -> requests.Response:
        method, timeout = self.settings.method, self.settings.timeout
        kwargs: dict[str, Any] = {"timeout": timeout, "allow_redirects": False}
        if self.cache_enabled:
            # a timedelta keeps sub-second expiry (requests-cache truncates plain numbers to int)
            kwargs["expire_after"] = NEVER if expire == NEVER else dt.timedelta(seconds=expire)
            kwargs["force_refresh"] = refresh
        kwargs["params" if method == "GET" else "data"] = params
        error: SmsStatsError | None = None
        with self.store.errors():
            try:
                return self.session.request(method, self.url, **kwargs)
            except SmsStatsError:
                raise
            except requests.exceptions.RequestException as exc:
                error = translate_request_error(exc, self.host, self.settings.retries + 1, timeout)
        # Raised outside the handler on purpose: requests' exceptions carry the URL (with GET, the
        # password), so they must not ride along as __context__.
        assert error is not None
        raise error

    # -- state ----------------------------------------------------------------------------------------
    def cache_info(self) -> dict[str, Any]:
        """Where the state lives, how big the HTTP cache is, the rate limit and any auth cool-down."""
        info: dict[str, Any] = dict(self.store.info().as_dict())
        info["rate_limit"] = f"{self.quota.limit} per {self.window:.2f} s"
        info["auth_cooldown_s"] = round(self.store.cooldowns.remaining(self.guard.auth_key), 1)
        # failed or unanswered logins from this machine (or team) in the last 30 minutes, every account
        info["failed_logins"] = self.store.logins.failed(AUTH_COOLDOWN)
        return info

    def clear_cache(self, *, auth: bool = False) -> int:
        """Delete every cached answer; with ``auth=True`` also end every cool-down and refusal
        (known-bad secrets, the failed-login budget, the IP-block refusal, server pauses)."""
        removed = self.store.clear() if self.cache_enabled else 0
        if auth:
            self.store.cooldowns.clear()
            self.store.logins.clear()
        return removed

    def close(self) -> None:
        """Close the session and the store."""
        self.session.close()
        self.store.close()


def pieces_frame(pieces: Pieces) -> pd.DataFrame:
    """The stats frame of one stored answer (its own writable copies of the columns)."""
    return make_frame(
        np.array(pieces.logins, dtype=object),
        pieces.sms,
        pieces.credit,
        pieces.debit,
        pieces.currencies,
    )
