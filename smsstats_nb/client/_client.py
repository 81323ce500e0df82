"""StatsClient: a question in, a DataFrame out, for one account; a facade over the transport.

It takes one :class:`~smsstats_nb.core.Settings`, opens the store its ``cache`` names and owns one
:class:`~smsstats_nb.client.Transport`; every method delegates to a function of the transport
(``_series``, ``_compose``, ``_coverage``, ``_sync``). The 0.1 names it kept for one release are
in ``_old_names``.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import pandas as pd

from ..core import (
    DEFAULT_BASE_URL,
    DEFAULT_MARGIN,
    DEFAULT_MAX_BODY,
    DEFAULT_RATE_LIMIT,
    SYSTEM,
    CacheSpec,
    Clock,
    Credentials,
    DateLike,
    FlagWords,
    QueryError,
    QueryFlags,
    Settings,
    StatsQuery,
    make_query,
    renamed,
    said,
)
from ..store import open_store
from ..wire import WaitHook
from . import _coverage, _series, _sync
from ._compose import compose_answer
from ._coverage import Coverage
from ._old_names import keep_old_names
from ._series import PeriodHook, SeriesEstimate
from ._sync import SyncOptions, SyncReport
from ._transport import Transport, pieces_frame

if TYPE_CHECKING:
    from ._accounts import Account

__all__ = ["DEFAULT_BASE_URL", "StatsClient"]

logger = logging.getLogger(__name__)


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
        on_wait: called with the seconds left while waiting for the rate limit.
        method, timeout, recent_expiry, wait, max_wait, rate_margin, max_body, retries, backoff:
            the other settings, each described in :class:`~smsstats_nb.core.Settings` (POST, 30 s
            per attempt, 15 min for a period that includes yesterday, wait without bound, 0.25 s
            of margin, 32 MiB, 2 retries with a 0.5 s back-off).
        settings: a ready :class:`~smsstats_nb.core.Settings` (then the keyword settings
            above must not be given).
        clock: the clock of the time rules (tests pass a :class:`~smsstats_nb.core.FakeClock`).
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
        retries: int = 2,
        backoff: float = 0.5,
        settings: Settings | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        credentials = Credentials.resolve(login, psw, apikey)
        if settings is None:
            settings = Settings.from_env(
                base_url=base_url,
                cache=cache,
                rate_limit=rate_limit,
                method=method,
                timeout=timeout,
                recent_expiry=recent_expiry,
                wait=bool(wait),
                max_wait=max_wait,
                rate_margin=rate_margin,
                max_body=max_body,
                retries=retries,
                backoff=backoff,
            )
        elif not isinstance(settings, Settings):
            raise said(QueryError, "settings must be a smsstats_nb.Settings, not {kind}", kind=type(settings).__name__)
        self.settings = settings
        self.on_wait = on_wait
        self._credentials = credentials
        store = open_store(settings.cache, clock=clock)
        try:
            self._transport = Transport(credentials, store, settings, clock=clock)
        except BaseException:
            store.close()
            raise
        self._closed = False

    @classmethod
    def from_account(
        cls,
        account: str | Account,
        *,
        accounts_file: str | os.PathLike[str] | None = None,
        on_wait: WaitHook | None = None,
        clock: Clock = SYSTEM,
        **settings: Any,
    ) -> StatsClient:
        """A client for a named account of the accounts file, or an already loaded
        :class:`~smsstats_nb.client.Account`: its login, its server (unless ``base_url`` is given)
        and its secret from the OS keyring or the environment, read now. ``settings`` are the other
        keyword settings of :class:`StatsClient`.

        Raises:
            QueryError: no such account, or its secret is not where the file says.
        """
        if isinstance(account, str):
            from ._accounts import resolve_names

            (account,) = resolve_names([account], accounts_file)
        login, psw, apikey = account.credentials()
        if account.base_url and settings.get("base_url") is None:
            settings["base_url"] = account.base_url
        return cls(login, psw, apikey=apikey, on_wait=on_wait, clock=clock, **settings)

    @property
    def transport(self) -> Transport:
        """The transport this client delegates to (the public interface series, compose and sync use)."""
        self._check_open()
        return self._transport

    # -- public API ------------------------------------------------------------------------------
    @property
    def login(self) -> str | None:
        """The login (None when an apikey is used)."""
        return self._credentials.login

    @property
    def cache_dir(self) -> Path | None:
        """Directory of the HTTP cache (None when disabled or in Redis)."""
        info = self._transport.store.info()
        return Path(info.location) if info.kind == "local" and info.http_cache else None

    def fetch(
        self,
        start: DateLike,
        end: DateLike | None = None,
        *,
        refresh: bool = False,
        compose: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
        cancel: threading.Event | None = None,
        **flags: Unpack[FlagWords],
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
            wait, on_wait: override the client's ``wait`` and ``on_wait`` for this call.
            cancel: a ``threading.Event``; set while the request waits for the rate limit, it
                ends the wait at once and sends nothing (:class:`~smsstats_nb.core.CancelledError`).

        Returns:
            Columns ``login, sms, credit, debit, currency``; ``df.attrs`` holds the query facts.

        Raises:
            QueryError: bad input, before any request. SmscError (the server's: AuthError,
                RateLimitError, ...), ResponseFormatError, TransportError, StorageError,
                CancelledError.
        """
        query = make_query(start, end, **flags)
        return self.fetch_query(query, refresh=refresh, compose=compose, wait=wait, on_wait=on_wait, cancel=cancel)

    def fetch_query(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        compose: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
        cancel: threading.Event | None = None,
    ) -> pd.DataFrame:
        """Like :meth:`fetch` for an already validated :class:`~smsstats_nb.core.StatsQuery`."""
        self._check_open()
        for name, flag in (("refresh", refresh), ("compose", compose)):
            if not isinstance(flag, bool):
                raise said(QueryError, "{name} must be True or False, not {flag}", name=name, flag=repr(flag))
        hook = on_wait or self.on_wait
        if compose and not refresh:
            composed = compose_answer(self._transport, query, wait=wait, on_wait=hook, cancel=cancel)
            if composed is not None:
                return composed
        return self._transport.fetch_frame(query, refresh=refresh, wait=wait, on_wait=hook, cancel=cancel)

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
            piece = self._transport.cache.lookup([query])[0]
            if piece is not None:
                return self._transport.stamp(pieces_frame(piece), query, from_cache=True, requests=0, composed=False)
        return None

    def cached_series(
        self, start: DateLike, end: DateLike, freq: str = "D", **flags: Unpack[FlagWords]
    ) -> pd.DataFrame | None:
        """The series of ``freq`` over ``[start, end]`` when the cache holds every period of it, else
        None; never sends a request (what :meth:`cached` is for one period)."""
        if self.estimate_series(start, end, freq, **flags).requests:
            return None
        return self.fetch_series(start, end, freq, progress=False, **flags)

    def coverage(
        self,
        start: DateLike,
        end: DateLike,
        freq: str = "D",
        *,
        share: int | None = None,
        **flags: Unpack[FlagWords],
    ) -> Coverage:
        """Which periods of ``freq`` in ``[start, end]`` are cached, which are missing (newest
        first), and the ETA to fill them at ``share`` requests per window; sends nothing
        (see :func:`.sync.range_coverage`)."""
        self._check_open()
        return _coverage.range_coverage(self._transport, start, end, freq, QueryFlags.of(**flags), share=share)

    @renamed(until="end")
    def sync_status(
        self,
        since: DateLike,
        end: DateLike | None = None,
        freq: str = "D",
        *,
        share: int = 2,
        **flags: Unpack[FlagWords],
    ) -> Coverage:
        """What :meth:`sync` would fetch: the same closed periods, which are cached, and the ETA at
        ``share`` requests per window; sends nothing (see :func:`.sync.sync_status`)."""
        self._check_open()
        return _coverage.sync_status(self._transport, since, end, freq, QueryFlags.of(**flags), share=share)

    @renamed(until="end")
    def sync(
        self, since: DateLike, end: DateLike | None = None, freq: str = "D", **options: Unpack[SyncOptions]
    ) -> SyncReport:
        """Fill the cache with every closed period back to ``since`` (see :func:`.sync.sync`: its
        keyword options, :class:`SyncOptions`, are forwarded as they are); with ``watch`` it rides
        out transient faults (``on_fault(error, seconds)`` is told)."""
        self._check_open()
        return _sync.sync(self._transport, since, end, freq, **options)

    def eta(self, requests: int) -> float:
        """Seconds until ``requests`` more requests can all have been sent (sends nothing)."""
        self._check_open()
        return self._transport.eta(requests)

    def estimate_series(
        self,
        start: DateLike,
        end: DateLike,
        freq: str = "D",
        *,
        refresh: bool = False,
        **flags: Unpack[FlagWords],
    ) -> SeriesEstimate:
        """How many requests a series needs and the ETA under the rate limit; sends nothing."""
        self._check_open()
        queries = _series.series_queries(start, end, freq, QueryFlags.of(**flags))
        return _series.estimate(self._transport, queries, refresh=refresh)

    def fetch_series(
        self,
        start: DateLike,
        end: DateLike,
        freq: str = "D",
        *,
        refresh: bool = False,
        progress: bool | None = None,
        cancel: threading.Event | None = None,
        on_period: PeriodHook | None = None,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
        order: str = "oldest",
        on_frame: _series.FrameHook | None = None,
        **flags: Unpack[FlagWords],
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
            order: ``"oldest"`` first (the default) or ``"newest"`` first, so the recent periods
                arrive first; the frame is in date order either way.
            on_frame: called with the series answered so far after each period (a page that
                redraws as periods arrive); each call builds a frame, so keep it for pages.

        Every fetched period is cached as soon as it arrives: after an error or Ctrl-C a re-run
        spends requests only on the rest. The exception carries ``.partial`` (the rows so far).
        """
        self._check_open()
        queries = _series.series_queries(start, end, freq, QueryFlags.of(**flags))
        return _series.fetch_series(
            self._transport,
            queries,
            freq,
            refresh=refresh,
            progress=progress,
            cancel=cancel,
            on_period=on_period,
            wait=wait,
            on_wait=on_wait or self.on_wait,
            order=order,
            on_frame=on_frame,
        )

    def cache_info(self) -> dict[str, Any]:
        """Cache location, entry count, size, rate limit, auth cool-down and failed logins."""
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
        store = self._transport.store
        cache: Any = store.description if store.http_cache_enabled else False
        return (
            f"StatsClient({who}, base_url={self.settings.base_url!r}, cache={cache!r}, "
            f"rate_limit={self.settings.rate_limit}, method={self.settings.method!r})"
        )

    def _check_open(self) -> None:
        if self._closed:
            raise said(QueryError, "this StatsClient is closed")


keep_old_names(StatsClient)
