"""The module-level calls ``fetch_stats`` / ``fetch_stats_series`` and their explicit client registry.

One :class:`~smsstats_nb.client.StatsClient` is kept per distinct configuration (credentials, base
URL, cache, limits, method, timeout), so repeated calls in a notebook do not re-derive the
credential hash or reopen the cache. The registry is keyed by an in-memory hash of the
credentials, never written anywhere; :func:`close_all` closes and forgets every kept client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core import CacheSpec, Credentials, DateLike, Environment, QueryError, Settings, check_freq, make_query, said
from ._client import StatsClient

__all__ = ["client_for", "close_all", "fetch_stats", "fetch_stats_series"]

_REGISTRY: dict[tuple[Any, ...], StatsClient] = {}
_REGISTRY_LOCK = threading.Lock()


def client_for(
    login: str | None,
    psw: str | None,
    apikey: str | None,
    *,
    base_url: str | None,
    cache: CacheSpec,
    rate_limit: tuple[int, float] | None,
    method: str,
    timeout: float,
) -> StatsClient:
    """The kept client for these credentials and settings (built and kept on first use)."""
    env = Environment.read()
    creds = Credentials.resolve(login, psw, apikey, env=env)
    settings = Settings.from_env(
        env, base_url=base_url, cache=cache, rate_limit=rate_limit, method=method, timeout=timeout
    )
    key = (creds.fingerprint(), settings.key(env))
    with _REGISTRY_LOCK:
        client = _REGISTRY.get(key)
        if client is None:
            params = creds.params()
            client = StatsClient(creds.login, params.get("psw"), apikey=params.get("apikey"), settings=settings)
            _REGISTRY[key] = client
    return client


def fetch_stats(
    start: DateLike,
    end: DateLike | None = None,
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
    compose: bool = False,
    account: str | None = None,
    accounts: list[str] | str | None = None,
) -> pd.DataFrame:
    """``df = fetch_stats("01.01.2024", "31.01.2024")``: statistics for one period.

    The query is validated first (``QueryError`` before any request). A :class:`StatsClient` is
    then reused from this module's registry keyed by the credentials and every other setting, or
    built and kept there; call :func:`close_all` to close them. Same arguments and errors as
    :meth:`StatsClient.fetch`.

    ``account="shop"`` takes the login, server and secret of a named account (see
    :mod:`smsstats_nb.client._accounts`); ``accounts=["shop", "news"]`` (or ``"all"``) asks several side by
    side and returns one frame with an ``account`` column first (:func:`smsstats_nb.client.fetch_accounts`).
    """
    query = make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
    where = _Where(login, psw, apikey, account, accounts, base_url, cache, rate_limit, method, timeout)
    return where.ask(
        lambda client: client.fetch_query(query, refresh=refresh, compose=compose),
        start=start,
        end=end,
        mycur=mycur,
        balance2=balance2,
        fmt=fmt,
        refresh=refresh,
    )


def fetch_stats_series(
    start: DateLike,
    end: DateLike,
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
    account: str | None = None,
    accounts: list[str] | str | None = None,
) -> pd.DataFrame:
    """A series: one row per period and login (see :meth:`StatsClient.fetch_series`).

    Uses the same client registry as :func:`fetch_stats`; ``account`` and ``accounts`` as there.
    """
    make_query(start, end, mycur=mycur, balance2=balance2, fmt=fmt)
    check_freq(freq)
    where = _Where(login, psw, apikey, account, accounts, base_url, cache, rate_limit, method, timeout)
    flags: dict[str, Any] = {"mycur": mycur, "balance2": balance2, "fmt": fmt, "refresh": refresh, "progress": progress}
    return where.ask(
        lambda client: client.fetch_series(start, end, freq, **flags), start=start, end=end, freq=freq, **flags
    )


@dataclass(frozen=True)
class _Where:
    """Whom a module-level call asks: its own credentials, a named account, or several accounts."""

    login: str | None
    psw: str | None
    apikey: str | None
    account: str | None
    accounts: list[str] | str | None
    base_url: str | None
    cache: CacheSpec
    rate_limit: tuple[int, float] | None
    method: str
    timeout: float

    def ask(self, one: Callable[[StatsClient], pd.DataFrame], **question: Any) -> pd.DataFrame:
        """``one(client)`` with the registry's client, or several accounts side by side."""
        login, psw, apikey, base_url = self.login, self.psw, self.apikey, self.base_url
        if self.accounts is not None:
            from ._multi import fetch_accounts

            _no_login(login, psw, apikey, self.account)
            settings = _settings(base_url, self.cache, self.rate_limit, self.method, self.timeout)
            return fetch_accounts(self.accounts, **question, **settings)
        if self.account is not None:
            login, psw, apikey, base_url = _account(self.account, login, psw, apikey, base_url)
        client = client_for(
            login,
            psw,
            apikey,
            base_url=base_url,
            cache=self.cache,
            rate_limit=self.rate_limit,
            method=self.method,
            timeout=self.timeout,
        )
        return one(client)


def _no_login(login: str | None, psw: str | None, apikey: str | None, account: str | None) -> None:
    if login or psw or apikey or account:
        raise said(
            QueryError,
            "accounts= takes the credentials from the accounts file: give no login, psw, apikey or account",
        )


def _account(
    name: str, login: str | None, psw: str | None, apikey: str | None, base_url: str | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """The credentials (and server) of a named account."""
    from ._accounts import resolve_names

    if login or psw or apikey:
        raise said(QueryError, "account= takes the credentials from the accounts file: give no login, psw or apikey")
    (found,) = resolve_names([name])
    login, psw, apikey = found.credentials()
    return login, psw, apikey, base_url or found.base_url


def _settings(
    base_url: str | None, cache: CacheSpec, rate_limit: tuple[int, float] | None, method: str, timeout: float
) -> dict[str, Any]:
    out: dict[str, Any] = {"cache": cache, "method": method, "timeout": timeout}
    if base_url is not None:
        out["base_url"] = base_url
    if rate_limit is not None:
        out["rate_limit"] = rate_limit
    return out


def close_all() -> None:
    """Close every client that :func:`fetch_stats` kept."""
    with _REGISTRY_LOCK:
        clients = list(_REGISTRY.values())
        _REGISTRY.clear()
    for client in clients:
        client.close()
