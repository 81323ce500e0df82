"""StatsClient and fetch_stats: a question in, a DataFrame out.

``StatsClient`` owns one :class:`~smsstats_nb.transport.Transport` (session, cache, quota).
The module function :func:`fetch_stats` reuses one client per distinct configuration (login,
secret, base URL, cache, limits), kept in a small module registry, so repeated calls in a notebook
do not re-derive the credential hash or reopen the cache. :func:`close_all` empties it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import QueryError
from .frames import COLUMNS, empty_frame, empty_series_frame
from .query import StatsQuery, check_freq, make_query, split_periods
from .transport import DEFAULT_MARGIN, Credentials, Transport, WaitHook, default_cache_dir

__all__ = [
    "DEFAULT_BASE_URL",
    "SeriesEstimate",
    "StatsClient",
    "close_all",
    "fetch_stats",
    "fetch_stats_series",
]

#: A series longer than this wait shows a progress bar by default (``progress=None``).
PROGRESS_AFTER_SECONDS = 5.0


@dataclass(frozen=True)
class SeriesEstimate:
    """What a series will cost before any request: periods, cache hits, requests and ETA.

    Attributes:
        periods: number of periods the range splits into.
        cached: periods already answered by the cache.
        requests: requests still needed (one per uncached period).
        eta_seconds: lower bound of the wait imposed by the rate limit.
    """

    periods: int
    cached: int
    requests: int
    eta_seconds: float

    def __str__(self) -> str:
        return (
            f"{self.periods} periods: {self.cached} cached, {self.requests} to fetch, "
            f"about {_duration(self.eta_seconds)} under the rate limit"
        )


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "no wait"
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {sec:02d} s" if minutes else f"{sec} s"


def _sum_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Totals of several periods' frames: sms exact, money summed from the server's rounded values."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame()
    both = pd.concat(frames, ignore_index=True)
    summed = both.groupby(["login", "currency"], sort=False, observed=True, as_index=False)[
        ["sms", "credit", "debit"]
    ].sum()
    summed[["credit", "debit"]] = summed[["credit", "debit"]].round(6)
    return summed[list(COLUMNS)].reset_index(drop=True)


logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://smscentre.com"
CacheSpec = str | os.PathLike[str] | bool | None
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _resolve_cache(cache: CacheSpec) -> tuple[Path | None, Path]:
    """(HTTP cache dir or None when disabled, state dir for quota and cool-downs)."""
    if isinstance(cache, str) and cache.startswith(REDIS_SCHEMES):
        return None, default_cache_dir()
    if cache is False:
        return None, default_cache_dir()
    if cache is None or cache is True:
        d = default_cache_dir()
        return d, d
    if isinstance(cache, (str, os.PathLike)):
        d = Path(cache).expanduser()
        return d, d
    raise QueryError(f"cache must be a directory path, None (default) or False, not {cache!r}")


def _check_rate_limit(rate_limit: Any) -> tuple[int, float]:
    try:
        count, per = rate_limit
    except (TypeError, ValueError):
        raise QueryError("rate_limit must be a pair (max_requests, per_seconds), e.g. (3, 60)") from None
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise QueryError(f"rate_limit max_requests must be a positive integer, not {count!r}")
    if isinstance(per, bool) or not isinstance(per, (int, float)) or not per > 0:
        raise QueryError(f"rate_limit per_seconds must be a positive number, not {per!r}")
    return count, float(per)


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
    """

    def __init__(
        self,
        login: str | None = None,
        psw: str | None = None,
        *,
        apikey: str | None = None,
        base_url: str | None = None,
        cache: CacheSpec = None,
        rate_limit: tuple[int, float] = (3, 60),
        method: str = "POST",
        timeout: float = 30.0,
        recent_expiry: float = 900.0,
        wait: bool = True,
        on_wait: WaitHook | None = None,
        max_wait: float | None = None,
        rate_margin: float = DEFAULT_MARGIN,
    ) -> None:
        credentials = Credentials.resolve(login, psw, apikey)
        base = base_url or os.environ.get("SMSC_BASE_URL") or DEFAULT_BASE_URL
        if not isinstance(base, str) or not base.startswith(("https://", "http://")):
            raise QueryError(f"base_url must start with https:// or http://, not {base!r}")
        method = method.upper() if isinstance(method, str) else method
        if method not in ("GET", "POST"):
            raise QueryError(f"method must be 'POST' or 'GET', not {method!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise QueryError(f"timeout must be a positive number of seconds, not {timeout!r}")
        cache_dir, state_dir = _resolve_cache(cache)
        self.base_url = base.rstrip("/")
        self.rate_limit = _check_rate_limit(rate_limit)
        self.method = method
        self.timeout = float(timeout)
        self.wait = bool(wait)
        self.on_wait = on_wait
        self.max_wait = max_wait
        self._credentials = credentials
        self._transport = Transport(
            credentials,
            base_url=self.base_url,
            cache_dir=cache_dir,
            state_dir=state_dir,
            rate_limit=self.rate_limit,
            method=method,
            timeout=self.timeout,
            recent_expiry=float(recent_expiry),
            margin=float(rate_margin),
            redis_url=cache if isinstance(cache, str) and cache.startswith(REDIS_SCHEMES) else None,
        )
        self._closed = False

    # -- public API ------------------------------------------------------------------------------
    @property
    def login(self) -> str | None:
        """The login (None when an apikey is used)."""
        return self._credentials.login

    @property
    def cache_dir(self) -> Path | None:
        """Directory of the HTTP cache (None when disabled)."""
        return self._transport.cache_dir

    def fetch(
        self,
        start: Any,
        end: Any = None,
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int = 3,
        refresh: bool = False,
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
        return self.fetch_query(query, refresh=refresh, wait=wait, on_wait=on_wait)

    def fetch_query(
        self,
        query: StatsQuery,
        *,
        refresh: bool = False,
        wait: bool | None = None,
        on_wait: WaitHook | None = None,
    ) -> pd.DataFrame:
        """Like :meth:`fetch` for an already validated :class:`~smsstats_nb.query.StatsQuery`."""
        self._check_open()
        if not isinstance(refresh, bool):
            raise QueryError(f"refresh must be True or False, not {refresh!r}")
        if not refresh:
            composed = self._compose(query, wait=wait, on_wait=on_wait)
            if composed is not None:
                return composed
        return self._fetch_one(query, refresh=refresh, wait=wait, on_wait=on_wait)

    def _fetch_one(
        self, query: StatsQuery, *, refresh: bool, wait: bool | None, on_wait: WaitHook | None
    ) -> pd.DataFrame:
        frame, from_cache, sent, fetched_at = self._transport.fetch(
            query,
            refresh=refresh,
            wait=self.wait if wait is None else wait,
            on_wait=on_wait or self.on_wait,
            max_wait=self.max_wait,
        )
        frame.attrs.clear()
        frame.attrs.update(
            self._attrs(query, from_cache=from_cache, requests=sent, composed=False, fetched_at=fetched_at)
        )
        return cast(pd.DataFrame, frame)

    def _compose(self, query: StatsQuery, *, wait: bool | None, on_wait: WaitHook | None) -> pd.DataFrame | None:
        """Answer from cached sub-periods when they cover the range (fetching only the gaps).

        Returns None when the exact period is cached (the plain path serves it), when nothing
        inside is cached, or when the gaps would cost more requests than asking for the whole.
        """
        t = self._transport
        if not t.cache_enabled or query.days < 2:
            return None
        pieces = t.cached_periods(query)
        if not pieces or any(a == query.start and b == query.end for a, b, _ in pieces):
            return None
        # Greedy cover: from each day take the longest cached piece starting there.
        best: dict[dt.date, tuple[dt.date, int]] = {}
        for a, b, fmt in pieces:
            if a not in best or b > best[a][0] or (b == best[a][0] and fmt == query.fmt):
                best[a] = (b, fmt)
        chosen: list[tuple[dt.date, dt.date, int]] = []
        gaps: list[tuple[dt.date, dt.date]] = []
        day = query.start
        while day <= query.end:
            if day in best:
                b, fmt = best[day]
                chosen.append((day, b, fmt))
                day = b + dt.timedelta(days=1)
                continue
            gap_start = day
            while day <= query.end and day not in best:
                day += dt.timedelta(days=1)
            gaps.append((gap_start, day - dt.timedelta(days=1)))
        if not chosen or len(gaps) > 1:
            return None  # one request for the whole period is cheaper than several gap requests
        frames: list[pd.DataFrame] = []
        for a, b, fmt in chosen:
            piece = t.cached_frame(query.replace(start=a, end=b, fmt=fmt))
            if piece is None:  # expired or cleared meanwhile: ask for the whole period
                return None
            frames.append(piece)
        sent = 0
        for a, b in gaps:
            part = self._fetch_one(query.replace(start=a, end=b), refresh=False, wait=wait, on_wait=on_wait)
            sent += int(part.attrs.get("requests", 0))
            frames.append(part)
        result = _sum_frames(frames)
        result.attrs.clear()
        result.attrs.update(
            self._attrs(
                query,
                from_cache=sent == 0,
                requests=sent,
                composed=True,
                pieces=len(chosen) + len(gaps),
            )
        )
        logger.info(
            "composed %s..%s from %d cached piece(s) and %d request(s)", query.start, query.end, len(chosen), sent
        )
        return result

    # -- series ------------------------------------------------------------------------------------
    def estimate_series(
        self,
        start: Any,
        end: Any,
        freq: str = "D",
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int = 3,
        refresh: bool = False,
    ) -> SeriesEstimate:
        """How many requests a series needs and the ETA under the rate limit; sends nothing."""
        self._check_open()
        queries = self._series_queries(start, end, freq, mycur=mycur, balance2=balance2, fmt=fmt)
        return self._estimate(queries, refresh=refresh)

    def _estimate(self, queries: list[StatsQuery], *, refresh: bool) -> SeriesEstimate:
        cached = 0 if refresh else sum(1 for q in queries if self._transport.is_cached(q))
        need = len(queries) - cached
        return SeriesEstimate(len(queries), cached, need, self._transport.eta(need))

    def fetch_series(
        self,
        start: Any,
        end: Any,
        freq: str = "D",
        *,
        mycur: bool = False,
        balance2: bool = False,
        fmt: int = 3,
        refresh: bool = False,
        progress: bool | None = None,
        cancel: threading.Event | None = None,
        on_period: Any = None,
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
        queries = self._series_queries(start, end, freq, mycur=mycur, balance2=balance2, fmt=fmt)
        estimate = self._estimate(queries, refresh=refresh)
        if estimate.requests > 0 and estimate.eta_seconds >= PROGRESS_AFTER_SECONDS:
            logger.info("series %s..%s by %s: %s", queries[0].start, queries[-1].end, freq, estimate)
        show = progress if progress is not None else estimate.eta_seconds >= PROGRESS_AFTER_SECONDS
        if not isinstance(show, bool):
            raise QueryError(f"progress must be True, False or None, not {progress!r}")
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(queries), desc=f"get_stat {freq}", unit="period", leave=True)
        frames: list[tuple[StatsQuery, pd.DataFrame]] = []
        counts = {"cached": 0, "fetched": 0, "requests": 0}
        hook = on_wait or self.on_wait

        def waiting(seconds: float) -> None:
            if bar is not None:
                bar.set_postfix_str(
                    f"cached {counts['cached']}, fetched {counts['fetched']}, rate limit: {seconds:.0f} s"
                )
            if hook is not None:
                hook(seconds)

        complete = True
        try:
            for i, q in enumerate(queries):
                if cancel is not None and cancel.is_set():
                    complete = False
                    break
                df = self.fetch_query(q, refresh=refresh, wait=wait, on_wait=waiting)
                key = "cached" if df.attrs.get("from_cache") else "fetched"
                counts[key] += 1
                counts["requests"] += int(df.attrs.get("requests", 0))
                frames.append((q, df))
                if bar is not None:
                    bar.set_postfix_str(f"cached {counts['cached']}, fetched {counts['fetched']}")
                    bar.update(1)
                if on_period is not None:
                    on_period(i + 1, len(queries), key == "cached")
        except BaseException as exc:
            partial = self._series_frame(frames, queries, freq, counts, complete=False)
            exc.partial = partial  # type: ignore[attr-defined]
            logger.warning(
                "series stopped after %d of %d periods (%s); they are cached, a re-run resumes",
                len(frames),
                len(queries),
                type(exc).__name__,
            )
            raise
        finally:
            if bar is not None:
                bar.close()
        return self._series_frame(frames, queries, freq, counts, complete=complete)

    def _series_queries(
        self, start: Any, end: Any, freq: str, *, mycur: bool, balance2: bool, fmt: int
    ) -> list[StatsQuery]:
        if end is None:
            raise QueryError("a series needs both start and end")
        whole = make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
        return [whole.replace(start=a, end=b) for a, b in split_periods(whole.start, whole.end, check_freq(freq))]

    def _series_frame(
        self,
        frames: list[tuple[StatsQuery, pd.DataFrame]],
        queries: list[StatsQuery],
        freq: str,
        counts: dict[str, int],
        *,
        complete: bool,
    ) -> pd.DataFrame:
        nonempty = [(q, f) for q, f in frames if len(f)]
        if nonempty:
            # one concat, then the period columns for all rows at once (not a copy per period)
            df = pd.concat([f for _, f in nonempty], ignore_index=True)
            sizes = [len(f) for _, f in nonempty]
            starts = np.array([q.start for q, _ in nonempty], dtype="datetime64[D]")
            ends = np.array([q.end for q, _ in nonempty], dtype="datetime64[D]")
            df.insert(0, "period_end", np.repeat(ends, sizes).astype("datetime64[ns]"))
            df.insert(0, "period_start", np.repeat(starts, sizes).astype("datetime64[ns]"))
            df = df.sort_values(["period_start", "login"], kind="stable").reset_index(drop=True)
        else:
            df = empty_series_frame()
        whole = queries[0].replace(end=queries[-1].end)
        df.attrs.clear()
        df.attrs.update(
            self._attrs(
                whole,
                freq=check_freq(freq),
                periods=len(queries),
                periods_done=len(frames),
                periods_cached=counts["cached"],
                periods_fetched=counts["fetched"],
                requests=counts["requests"],
                from_cache=counts["fetched"] == 0 and len(frames) == len(queries),
                complete=complete and len(frames) == len(queries),
            )
        )
        return df

    def cache_info(self) -> dict[str, Any]:
        """Cache location, entry count, size, rate limit and any auth cool-down."""
        self._check_open()
        return self._transport.cache_info()

    def clear_cache(self, *, auth: bool = False) -> int:
        """Delete all cached answers (returns how many); ``auth=True`` also ends an auth cool-down."""
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
        cache: Any = str(self.cache_dir) if self.cache_dir is not None else False
        if self._transport.redis_url is not None:
            from .transport import redact_url

            cache = redact_url(self._transport.redis_url)
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


_REGISTRY: dict[tuple[Any, ...], StatsClient] = {}
_REGISTRY_LOCK = threading.Lock()


def _registry_key(creds: Credentials, **config: Any) -> tuple[Any, ...]:
    secret = "\x00".join(str(v) for v in creds.params().values())
    return (hashlib.sha256(secret.encode()).hexdigest(), tuple(sorted(config.items())))


def fetch_stats(
    start: Any,
    end: Any = None,
    *,
    login: str | None = None,
    psw: str | None = None,
    apikey: str | None = None,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    base_url: str | None = None,
    cache: CacheSpec = None,
    rate_limit: tuple[int, float] | None = None,
    method: str = "POST",
    timeout: float = 30.0,
    refresh: bool = False,
) -> pd.DataFrame:
    """``df = fetch_stats("01.01.2024", "31.01.2024")``: statistics for one period.

    The query is validated first (``QueryError`` before any request). A :class:`StatsClient` is
    then reused from a module registry keyed by the credentials and every other setting, or
    built and kept there; call :func:`close_all` to close them. Same arguments and errors as
    :meth:`StatsClient.fetch`.
    """
    query = make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
    client = _client_for(login, psw, apikey, base_url, cache, rate_limit, method, timeout)
    return client.fetch_query(query, refresh=refresh)


def _client_for(
    login: str | None,
    psw: str | None,
    apikey: str | None,
    base_url: str | None,
    cache: CacheSpec,
    rate_limit: tuple[int, float] | None,
    method: str,
    timeout: float,
) -> StatsClient:
    creds = Credentials.resolve(login, psw, apikey)
    limit = (3, 60) if rate_limit is None else rate_limit
    key = _registry_key(
        creds,
        base_url=base_url or os.environ.get("SMSC_BASE_URL") or DEFAULT_BASE_URL,
        cache=str(cache),
        cache_env=os.environ.get("SMSSTATS_CACHE_DIR"),
        rate_limit=tuple(limit) if isinstance(limit, (tuple, list)) else limit,
        method=method,
        timeout=timeout,
    )
    with _REGISTRY_LOCK:
        client = _REGISTRY.get(key)
        if client is None:
            client = StatsClient(
                creds.login,
                creds.params().get("psw"),
                apikey=creds.params().get("apikey"),
                base_url=base_url,
                cache=cache,
                rate_limit=limit,
                method=method,
                timeout=timeout,
            )
            _REGISTRY[key] = client
    return client


def fetch_stats_series(
    start: Any,
    end: Any,
    freq: str = "D",
    *,
    login: str | None = None,
    psw: str | None = None,
    apikey: str | None = None,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    base_url: str | None = None,
    cache: CacheSpec = None,
    rate_limit: tuple[int, float] | None = None,
    method: str = "POST",
    timeout: float = 30.0,
    refresh: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """A series: one row per period and login (see :meth:`StatsClient.fetch_series`).

    Uses the same client registry as :func:`fetch_stats`.
    """
    make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
    check_freq(freq)
    client = _client_for(login, psw, apikey, base_url, cache, rate_limit, method, timeout)
    return client.fetch_series(
        start, end, freq, mycur=mycur, balance2=balance2, fmt=fmt, refresh=refresh, progress=progress
    )


def close_all() -> None:
    """Close every client that :func:`fetch_stats` kept."""
    with _REGISTRY_LOCK:
        clients = list(_REGISTRY.values())
        _REGISTRY.clear()
    for client in clients:
        client.close()
