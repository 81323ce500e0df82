"""The transport: one question to one answer through the cache, the guard and the network.

:class:`Transport` wires the pieces together: a :class:`~smsstats_nb.store.Store` (HTTP cache,
quota bucket, cool-downs, period index, salt), the :mod:`cache policy <smsstats_nb.cache_policy>`
(key and expiry), and a ``requests`` session whose adapter is the
:class:`~smsstats_nb.guard.GuardedAdapter`. :meth:`Transport.fetch` answers one
:class:`~smsstats_nb.query.StatsQuery` with a :class:`FetchResult`, retrying once a window after
the server's error 9 (at most twice).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import requests

from .adapter import DEFAULT_MAX_BODY, GuardedAdapter, ServerBusyError
from .cache_policy import NEVER, SECRET_PARAMS, CacheKeyer, RequestProbe, expire_after, is_short_lived
from .credentials import Credentials, account_identity, service_host
from .errors import RateLimitError, SmsStatsError
from .formats import decode_body, parse_response
from .frames import make_frame
from .guard import CallContext, Guard, WaitHook
from .http_errors import translate_request_error
from .query import StatsQuery
from .quota import DEFAULT_MARGIN
from .redaction import install_log_redaction
from .store import Store
from .store.frames import Pieces, pack, unpack

__all__ = ["FetchResult", "Transport"]

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


class Transport:
    """Owns one session over a store: the HTTP cache (optional), the quota and the cool-downs."""

    def __init__(
        self,
        credentials: Credentials,
        store: Store,
        *,
        base_url: str,
        rate_limit: tuple[int, float],
        method: str,
        timeout: float,
        recent_expiry: float = 900.0,
        margin: float = DEFAULT_MARGIN,
        retries: int = 2,
        backoff: float = 0.5,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        install_log_redaction()
        self.credentials = credentials
        self.store = store
        self.base_url = base_url.rstrip("/")
        # a base URL may be given with the endpoint already on it (…/sys/get.php)
        self.url = self.base_url if self.base_url.endswith("get.php") else self.base_url + "/sys/get.php"
        self.host = service_host(self.base_url)
        self.method = method
        self.timeout = timeout
        self.recent_expiry = recent_expiry
        self.retries = retries
        self.identity = account_identity(self.base_url, credentials)
        limit, per = rate_limit
        self.quota = store.quota(self.identity, limit, per, margin)
        self.window = self.quota.window
        secret_key = credentials.secret_hash(store.salt())
        self._index_key = hashlib.sha256(("index\x00" + secret_key).encode()).hexdigest()[:32]
        self.guard = Guard(store, self.quota, host=self.host, secret_key=secret_key)
        self.cache_enabled = store.http_cache_enabled
        self._keyer = CacheKeyer(self.identity, secret_key)
        self._frames = store.frame_store() if self.cache_enabled else None
        adapter = GuardedAdapter(self.guard, host=self.host, retries=retries, backoff=backoff, max_body=max_body)
        self.session = self._build_session(adapter)

    def _build_session(self, adapter: GuardedAdapter) -> requests.Session:
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
                filter_fn=_store_now,
                expire_after=self.recent_expiry,
                stale_if_error=False,
            )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "smsstats_nb"
        return session

    # -- the one call ------------------------------------------------------------------------------
    def expire_after(self, query: StatsQuery) -> float:
        """Seconds an answer for ``query`` stays fresh (:data:`~smsstats_nb.cache_policy.NEVER`: forever)."""
        return expire_after(query, self.recent_expiry)

    def fetch(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        wait: bool = True,
        on_wait: WaitHook | None = None,
        max_wait: float | None = None,
        max_cooldowns: int = 2,
    ) -> FetchResult:
        """Answer one question from the cache or the server.

        Raises:
            SmscError subclasses, ResponseFormatError, TransportError.
        """
        if not refresh:
            hit = self.cached_pieces([query])[0]
            if hit is not None:  # parsed before: no unpickling of the answer, no parsing
                return FetchResult(pieces_frame(hit), True, 0, dt.datetime.fromisoformat(hit.fetched_at))
        params = {**query.to_params(), **self.credentials.params()}
        call = CallContext(query.fmt, wait, on_wait, max_wait, timeout=self.timeout)
        pauses = 0
        while True:
            try:
                with self.guard.call(call):
                    response = self._send(params, query, refresh)
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
        frame = getattr(response, "_smsstats_frame", None)
        from_cache = bool(getattr(response, "from_cache", False))
        if frame is None:
            frame = parse_response(decode_body(response.content), query.fmt)
        expires_at: float | None = None
        if not from_cache and self.cache_enabled:
            expire = self.expire_after(query)
            if is_short_lived(query.fmt, len(frame)):
                expire = self.recent_expiry
                self._save_short_lived(response, expire)
            expires_at = None if expire == NEVER else time.time() + expire
            self.store.add_period(self._index_key, query, expires_at)
        elif from_cache:
            until = getattr(response, "expires", None)
            if isinstance(until, dt.datetime):
                expires_at = (until if until.tzinfo else until.replace(tzinfo=dt.UTC)).timestamp()
        created = getattr(response, "created_at", None) if from_cache else None
        fetched_at = created if isinstance(created, dt.datetime) else dt.datetime.now(dt.UTC)
        if fetched_at.tzinfo is None:  # requests-cache keeps naive UTC
            fetched_at = fetched_at.replace(tzinfo=dt.UTC)
        if self._frames is not None and self.cache_enabled:
            blob = pack(frame, fetched_at.isoformat())
            if blob is not None:  # the answer is in the HTTP cache: keep it parsed beside it
                self._frames.put(self._frame_key(query), blob, expires_at)
        return FetchResult(frame, from_cache, call.requests_sent, fetched_at)

    def _frame_key(self, query: StatsQuery) -> str:
        """The parsed-answer key: the service and URL (like the HTTP cache key), the credential's
        index key and the question; no secret."""
        text = (
            f"{self.identity}|{self.url}|{self._index_key}|"
            f"{int(query.mycur)}|{int(query.balance2)}|{query.fmt}|{query.start}|{query.end}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def stored(self, queries: list[StatsQuery]) -> list[bool]:
        """Whether a parsed answer is stored for each of ``queries`` (one lookup, no blobs read)."""
        if self._frames is None:
            return [False] * len(queries)
        keys = [self._frame_key(q) for q in queries]
        found = self._frames.has_many(keys)
        return [k in found for k in keys]

    def cached_pieces(self, queries: list[StatsQuery]) -> list[Pieces | None]:
        """The parsed answers stored for ``queries`` (None where absent), in one lookup."""
        if self._frames is None:
            return [None] * len(queries)
        keys = [self._frame_key(q) for q in queries]
        out: list[Pieces | None] = []
        for i in range(0, len(keys), 64):  # a chunk of blobs at a time: they never pile up in memory
            chunk = keys[i : i + 64]
            blobs = self._frames.get_many(chunk)
            out.extend(unpack(blobs[k]) if k in blobs else None for k in chunk)
        return out

    def _gave_up(self, exc: RateLimitError | ServerBusyError, pauses: int, pause: float) -> SmsStatsError:
        if isinstance(exc, ServerBusyError):
            return ServerBusyError(f"{exc} (after {pauses} pause(s))", pause)
        what = "error 9 (another tool on this login?)" if exc.retry_after is None else exc.description
        return RateLimitError(
            9,
            exc.description,
            hint=f"the server kept answering {what} after {pauses} pause(s); wait {pause:.0f} s",
            retry_after=pause,
        )

    def _save_short_lived(self, response: requests.Response, seconds: float) -> None:
        """Store a zero-row fmt 0/1 answer with the short expiry only (the filter kept it out)."""
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        cache = self.session.cache  # type: ignore[attr-defined]
        cache.save_response(response, self._keyer(response.request), expires.replace(tzinfo=None))

    def cached_frame(self, query: StatsQuery) -> pd.DataFrame | None:
        """The cached answer for exactly this question, or None; never sends a request."""
        if not self.cache_enabled:
            return None
        hit = self.cached_pieces([query])[0]
        if hit is not None:  # parsed before: no unpickling, no parsing
            return pieces_frame(hit)
        params = {**query.to_params(), **self.credentials.params()}
        kwargs: dict[str, Any] = {"timeout": self.timeout, "only_if_cached": True}
        kwargs["params" if self.method == "GET" else "data"] = params
        with self.guard.call(CallContext(query.fmt, False, None, 0.0)):
            response = self.session.request(self.method, self.url, **kwargs)
        if response.status_code != 200 or not getattr(response, "from_cache", False):
            return None
        return parse_response(decode_body(response.content), query.fmt)

    def is_cached(self, query: StatsQuery) -> bool:
        """Whether a fresh cached answer exists for exactly this question (no parsing, no request)."""
        return self.cached_mask([query])[0]

    def cached_mask(self, queries: list[StatsQuery]) -> list[bool]:
        """:meth:`is_cached` for many questions: the parsed store in one lookup, the HTTP cache
        only for the others."""
        if not self.cache_enabled:
            return [False] * len(queries)
        return [s or self._in_http_cache(q) for q, s in zip(queries, self.stored(queries), strict=True)]

    def _in_http_cache(self, query: StatsQuery) -> bool:
        params = {**query.to_params(), **self.credentials.params()}
        probe = RequestProbe.of(self.method, self.url, params)
        cached = self.session.cache.get_response(self._keyer(probe))  # type: ignore[attr-defined]
        return cached is not None and not cached.is_expired

    def cached_periods(self, query: StatsQuery) -> list[tuple[dt.date, dt.date, int]]:
        """Cached periods inside ``query``'s range with the same flags (any fmt)."""
        if not self.cache_enabled:
            return []
        return self.store.periods_within(self._index_key, query)

    def eta(self, requests_needed: int) -> float:
        """Seconds until ``requests_needed`` more requests can all have been sent (rate limit only)."""
        return self.quota.eta(requests_needed, cooldown=self.guard.cooldown_left())

    def _send(self, params: dict[str, str], query: StatsQuery, refresh: bool) -> requests.Response:
        kwargs: dict[str, Any] = {"timeout": self.timeout, "allow_redirects": False}
        if self.cache_enabled:
            expire = self.expire_after(query)
            # a timedelta keeps sub-second expiry (requests-cache truncates plain numbers to int)
            kwargs["expire_after"] = NEVER if expire == NEVER else dt.timedelta(seconds=expire)
            kwargs["force_refresh"] = refresh
        kwargs["params" if self.method == "GET" else "data"] = params
        error: SmsStatsError
        try:
            return self.session.request(self.method, self.url, **kwargs)
        except SmsStatsError:
            raise
        except requests.exceptions.RequestException as exc:
            error = translate_request_error(exc, self.host, self.retries + 1, self.timeout)
        except (sqlite3.Error, OSError) as exc:
            error = self.store.storage_error(exc)
        # Raised outside the handler on purpose: requests' exceptions carry the URL (with GET, the
        # password), so they must not ride along as __context__.
        raise error

    # -- state ----------------------------------------------------------------------------------------
    def cache_info(self) -> dict[str, Any]:
        """Where the state lives, how big the HTTP cache is, the rate limit and any auth cool-down."""
        info = self.store.info()
        info["rate_limit"] = f"{self.quota.limit} per {self.window:.2f} s"
        info["auth_cooldown_s"] = round(self.store.cooldown_remaining(self.guard.auth_key), 1)
        return info

    def clear_cache(self, *, auth: bool = False) -> int:
        """Delete every cached answer; with ``auth=True`` also end every cool-down and refusal
        (known-bad secrets, the failed-login budget, the IP-block refusal, server pauses)."""
        removed = self.store.clear() if self.cache_enabled else 0
        if auth:
            self.store.cooldown_clear()
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


def _store_now(response: Any) -> bool:
    """requests-cache's filter: a zero-row fmt 0/1 answer is not stored with the request's expiry
    (the transport stores it with the short one)."""
    return not getattr(response, "_smsstats_short", False)
