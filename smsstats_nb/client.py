"""StatsClient: a question in, a DataFrame out, for one account.

A :class:`StatsClient` validates its settings, opens the :mod:`store <smsstats_nb.store>` its
``cache`` setting names, owns one :class:`~smsstats_nb.transport.Transport`, and turns answers into
DataFrames with the query facts in ``df.attrs``. Series are delegated to :mod:`smsstats_nb.series`,
composition from cached sub-periods to :mod:`smsstats_nb.compose`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from . import series as _series
from . import sync as _sync
from .adapter import DEFAULT_MAX_BODY
from .compose import compose_answer
from .credentials import Credentials, check_base_url
from .errors import QueryError
from .guard import WaitHook
from .query import DateLike, StatsQuery, make_query
from .quota import DEFAULT_MARGIN, DEFAULT_RATE_LIMIT
from .series import PeriodHook, SeriesEstimate
from .store import CacheSpec, open_store
from .store.local import LocalStore
from .transport import Transport

__all__ = ["DEFAULT_BASE_URL", "StatsClient"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://smscentre.com"


def _check_rate_limit(rate_limit: Any) -> tuple[int, float]:
    try:
        count, per = rate_limit
    except (TypeError, ValueError):
        raise QueryError("rate_limit must be a pair (max_requests, per_seconds), e.g. (3, 60)") from None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise QueryError(f"rate_limit max_requests must be a positive integer, not {count!r}")
    if isinstance(per, bool) or not isinstance(per, (int, float)) or not (per > 0 and math.isfinite(per)):
        raise QueryError(f"rate_limit per_seconds must be a positive, finite number, not {per!r}")
    return count, float(per)


def _positive(value: Any, name: str, *, allow_none: bool = False, zero: bool = False) -> float | None:
    """A finite positive number of seconds (or None where allowed), else QueryError."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        raise QueryError(f"{name} must be a {'non-negative' if zero else 'positive'}, finite number, not {value!r}")
    return float(value)


class StatsClient:
    """A client for ``get.php?get_stat=1`` with a persistent cache and rate limit.

    Args:
        login: SMSC login (default: ``$SMSC_LOGIN``).
        psw: password or its lowercase MD5 (default: ``$SMSC_PASSWORD``). Never shown anywhere.
        apikey: an API key instead of login+psw (default: ``$SMSC_APIKEY``).
        base_url: scheme and host (default: ``$SMSC_BASE_URL`` or ``https://smscentre.com``).
        cache: directory for the HTTP cache and the rate-limit state (default:
            ``$SMSSTATS_CACHE_DIR`` or the user cache directory); ``False`` disables the HTTP
            cache (the quota still persists in the default directory); ``"redis://host:port/db"``
            puts the cache, the quota (counted on the Redis server's clock) and the cool-downs on
            a shared Redis, for a team on several machines.
        rate_limit: ``(max_requests, per_seconds)`` for one login, default ``(3, 60)``.
        method: ``"POST"`` (default: the password never goes into a URL) or ``"GET"``.
        timeout: seconds for each HTTP attempt.
        recent_expiry: seconds before an answer for a period that includes yesterday or today
            expires (older periods never expire).
        wait: wait for the rate limit (True) or raise RateLimitError at once (False).
        on_wait: called with the seconds left while waiting for the rate limit.
        max_wait: longest wait for the rate limit before RateLimitError (None: no bound).
        rate_margin: seconds added to the rate-limit window so that network jitter never lets
            the server see one request too many inside its own window (default 0.25).
        max_body: largest answer accepted, in bytes (default 32 MiB); a larger one is a
            ResponseFormatError and is not stored.
    """

    def __init__(
        self,
        login: str | None = None,
        psw: str | None = None,
        *,
        apikey: str | None = None,
        base_url: str | None = None,
        cache: CacheSpec = None,
        rate_limit: tuple[int, float] = DEFAULT_RATE_LIMIT,
        method: str = "POST",
        timeout: float = 30.0,
        recent_expiry: float = 900.0,
        wait: bool = True,
        on_wait: WaitHook | None = None,
        max_wait: float | None = None,
        rate_margin: float = DEFAULT_MARGIN,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        credentials = Credentials.resolve(login, psw, apikey)
        self.base_url = check_base_url(base_url or os.environ.get("SMSC_BASE_URL") or DEFAULT_BASE_URL)
        method = method.upper() if isinstance(method, str) else method
        if method not in ("GET", "POST"):
            raise QueryError(f"method must be 'POST' or 'GET', not {method!r}")
        self.timeout = _positive(timeout, "timeout") or 0.0
        recent = _positive(recent_expiry, "recent_expiry") or 0.0
        margin = _positive(rate_margin, "rate_margin", zero=True) or 0.0
        self.max_wait = _positive(max_wait, "max_wait", allow_none=True, zero=True)
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise QueryError(f"max_body must be a positive number of bytes, not {max_body!r}")
        self.rate_limit = _check_rate_limit(rate_limit)
        self.method = method
        self.wait = bool(wait)
        self.on_wait = on_wait
        self._credentials = credentials
        store = open_store(cache)
        try:
            self._transport = Transport(
                credentials,
                store,
                base_url=self.base_url,
                rate_limit=self.rate_limit,
                method=method,
                timeout=self.timeout,
                recent_expiry=recent,
                margin=margin,
                max_body=max_body,
            )
        except BaseException:
            store.close()
            raise
        self._store = store
        self._cache_spec = cache
        self._closed = False

    # -- public API ------------------------------------------------------------------------------
    @property
    def login(self) -> str | None:
        """The login (None when an apikey is used)."""
        return self._credentials.login

    @property
    def cache_dir(self) -> Path | None:
        """Directory of the HTTP cache (None when disabled or in Redis)."""
        return self._store.cache_dir if isinstance(self._store, LocalStore) else None

    def fetch(
        self,
        start: DateLike,
        end: DateLike | None = None,
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int = 3,
        refresh: bool = False,
        compose: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
    ) -> pd.DataFrame:
        """Statistics for one period as a DataFrame (``end=None``: the start day only).

        Args:
            start: first day: ``'dd.mm.yyyy'``, ``'yyyy-mm-dd'``, date, datetime or Timestamp.
            end: last day (inclusive), same forms.
            mycur: amounts in the client's own currency instead of roubles.
            balance2: statistics of messages paid from the electronic balance.
            fmt: wire format to ask for: 0 text, 1 csv, 2 xml, 3 json (same frame either way).
            refresh: skip the cache and ask the server again (the answer replaces the cached one).
            compose: answer from cached sub-periods when they cover the period (at most one
                request for the one missing stretch); ``df.attrs["composed"]`` says so. Off by
                default: the server rounds money once per period, so a sum of cached days can
                differ by kopecks from the server's own figure for the period.
            wait: override the client's ``wait`` for this call.
            on_wait: override the client's ``on_wait`` for this call.

        Returns:
            Columns ``login, sms, credit, debit, currency``; ``df.attrs`` holds the query facts.

        Raises:
            QueryError: bad input, before any request.
            SmscError: the server's error (AuthError, RateLimitError, ...).
            ResponseFormatError: an answer that is neither data nor an error.
            TransportError: network or HTTP failure after retries.
        """
        query = make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
        return self.fetch_query(query, refresh=refresh, compose=compose, wait=wait, on_wait=on_wait)

    def fetch_query(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        compose: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
    ) -> pd.DataFrame:
        """Like :meth:`fetch` for an already validated :class:`~smsstats_nb.query.StatsQuery`."""
        self._check_open()
        for name, flag in (("refresh", refresh), ("compose", compose)):
            if not isinstance(flag, bool):
                raise QueryError(f"{name} must be True or False, not {flag!r}")
        if compose and not refresh:
            composed = compose_answer(self, query, wait=wait, on_wait=on_wait)
            if composed is not None:
                return composed
        return self._fetch_one(query, refresh=refresh, wait=wait, on_wait=on_wait)

    def _fetch_one(
        self, query: StatsQuery, *, refresh: bool, wait: bool | None, on_wait: WaitHook | None
    ) -> pd.DataFrame:
        result = self._transport.fetch(
            query,
            refresh=refresh,
            wait=self.wait if wait is None else wait,
            on_wait=on_wait or self.on_wait,
            max_wait=self.max_wait,
        )
        frame = result.frame
        logger.info(
            "%s..%s: %d row(s) %s",
            query.start,
            query.end,
            len(frame),
            "from the cache" if result.from_cache else f"from the server ({result.requests} request(s))",
        )
        frame.attrs.clear()
        frame.attrs.update(
            self._attrs(
                query,
                from_cache=result.from_cache,
                requests=result.requests,
                composed=False,
                fetched_at=result.fetched_at,
            )
        )
        return frame

    def cached(
        self,
        start: DateLike,
        end: DateLike | None = None,
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int | None = None,
    ) -> pd.DataFrame | None:
        """The cached answer for exactly this period (any format unless ``fmt`` is given), or
        None; never sends a request."""
        self._check_open()
        formats = (3, 0, 1, 2) if fmt is None else (fmt,)
        for f in formats:
            query = make_query(start, end, mycur=mycur, balance2=balance2, fmt=f)
            frame = self._transport.cached_frame(query)
            if frame is not None:
                frame.attrs.update(self._attrs(query, from_cache=True, requests=0, composed=False))
                return frame
        return None

    #: Which periods of a range are cached and the ETA to fill the rest (see :func:`.sync.client_coverage`).
    coverage = _sync.client_coverage
    #: Fill the cache with every closed period back to a day (see :func:`.sync.sync`).
    sync = _sync.sync

    def eta(self, requests: int) -> float:
        """Seconds until ``requests`` more requests can all have been sent under the rate limit
        (and any server-requested pause); sends nothing."""
        self._check_open()
        return self._transport.eta(max(0, int(requests)))

    # -- series ------------------------------------------------------------------------------------
    def estimate_series(
        self,
        start: DateLike,
        end: DateLike,
        freq: str = "D",
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int = 3,
        refresh: bool = False,
    ) -> SeriesEstimate:
        """How many requests a series needs and the ETA under the rate limit; sends nothing."""
        self._check_open()
        queries = _series.series_queries(start, end, freq, mycur=mycur, balance2=balance2, fmt=fmt)
        return _series.estimate(self, queries, refresh=refresh)

    def fetch_series(
        self,
        start: DateLike,
        end: DateLike,
        freq: str = "D",
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int = 3,
        refresh: bool = False,
        progress: bool | None = None,
        cancel: threading.Event | None = None,
        on_period: PeriodHook | None = None,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
    ) -> pd.DataFrame:
        """One row per period and login: ``period_start, period_end, login, sms, credit, debit, currency``.

        Args:
            start, end: the range (both required), any form :meth:`fetch` accepts.
            freq: ``D`` days, ``W`` Monday-based weeks, ``MS``/``M`` months, ``QS`` quarters,
                ``YS`` years; the first and last period are clipped to the range.
            progress: show a tqdm bar (None: only when the rate limit will make it wait more
                than a few seconds).
            cancel: a ``threading.Event``; when set, stop after the current request and return
                what was fetched (``df.attrs["complete"]`` is False).
            on_period: called as ``on_period(done, total, from_cache)`` after each period.

        Every fetched period is cached as soon as it arrives: after an error or Ctrl-C a re-run
        spends requests only on the rest. The exception carries ``.partial`` (the rows so far).
        """
        self._check_open()
        queries = _series.series_queries(start, end, freq, mycur=mycur, balance2=balance2, fmt=fmt)
        return _series.fetch_series(
            self,
            queries,
            freq,
            refresh=refresh,
            progress=progress,
            cancel=cancel,
            on_period=on_period,
            wait=wait,
            on_wait=on_wait,
        )

    # -- state -------------------------------------------------------------------------------------
    def cache_info(self) -> dict[str, Any]:
        """Cache location, entry count, size, rate limit and any auth cool-down."""
        self._check_open()
        return self._transport.cache_info()

    def clear_cache(self, *, auth: bool = False) -> int:
        """Delete all cached answers (returns how many); ``auth=True`` also ends every cool-down and
        local refusal: known-bad passwords, the failed-login budget, the IP-block refusal."""
        self._check_open()
        return self._transport.clear_cache(auth=auth)

    def close(self) -> None:
        """Close the session and the state databases. Idempotent."""
        if not self._closed:
            self._closed = True
            self._transport.close()

    def __enter__(self) -> StatsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        who = f"login={self.login!r}" if self.login is not None else "apikey='***'"
        cache: Any = self._store.description if self._store.http_cache_enabled else False
        return (
            f"StatsClient({who}, base_url={self.base_url!r}, cache={cache!r}, "
            f"rate_limit={self.rate_limit}, method={self.method!r})"
        )

    # -- helpers ---------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise QueryError("this StatsClient is closed")

    def _attrs(self, query: StatsQuery, **extra: Any) -> dict[str, Any]:
        return {
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
            "mycur": query.mycur,
            "balance2": query.balance2,
            "fmt": query.fmt,
            "source": self.base_url,
            **extra,
            "fetched_at": (extra.get("fetched_at") or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        }
