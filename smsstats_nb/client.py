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
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import QueryError
from .query import StatsQuery, make_query
from .transport import Credentials, Transport, WaitHook, default_cache_dir

__all__ = ["DEFAULT_BASE_URL", "StatsClient", "close_all", "fetch_stats"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://smscentre.com"
CacheSpec = str | os.PathLike[str] | bool | None


def _resolve_cache(cache: CacheSpec) -> tuple[Path | None, Path]:
    """(HTTP cache dir or None when disabled, state dir for quota and cool-downs)."""
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
            cache (the quota still persists in the default directory).
        rate_limit: ``(max_requests, per_seconds)`` for one login, default ``(3, 60)``.
        method: ``"POST"`` (default: the password never goes into a URL) or ``"GET"``.
        timeout: seconds for each HTTP attempt.
        recent_expiry: seconds before an answer for a period that includes yesterday or today
            expires (older periods never expire).
        wait: wait for the rate limit (True) or raise RateLimitError at once (False).
        on_wait: called with the seconds left while waiting for the rate limit.
        max_wait: longest wait for the rate limit before RateLimitError (None: no bound).
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
        frame, from_cache, sent = self._transport.fetch(
            query,
            refresh=refresh,
            wait=self.wait if wait is None else wait,
            on_wait=on_wait or self.on_wait,
            max_wait=self.max_wait,
        )
        frame.attrs = self._attrs(query, from_cache=from_cache, requests=sent)
        return frame

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
        cache = str(self.cache_dir) if self.cache_dir is not None else False
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
            "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            **extra,
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
    return client.fetch_query(query, refresh=refresh)


def close_all() -> None:
    """Close every client that :func:`fetch_stats` kept."""
    with _REGISTRY_LOCK:
        clients = list(_REGISTRY.values())
        _REGISTRY.clear()
    for client in clients:
        client.close()
