"""Several accounts at once: one frame with an ``account`` column, the requests side by side.

Each account is its own client: its own cache identity, quota, cool-downs and known-bad password,
so its requests wait only on its own limit and N accounts of P uncached periods take about as long
as one account's P (``benchmarks/bench_accounts.py``). A failure of one account (a wrong password,
an IP block, a server down) is reported for that account: the others' rows still arrive, in the
:class:`AccountsError`'s ``partial`` frame.

SMSC blocks an **IP** after five failed logins, whatever the account, so the failed-login budget
stays the machine's (or the team's): a wrong password is one failure, then that account's
password is known bad and never sent again, and an account whose password was accepted is never
held back by the budget. One account's wrong password never costs another a request.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from ..core import SmsStatsError, SyncLeaseError, empty_frame, empty_series_frame, renamed
from ._accounts import Account, load_accounts, resolve_names
from ._client import StatsClient
from ._sync import SYNC_OPTIONS, SyncOptions

logger = logging.getLogger(__name__)

__all__ = ["AccountsError", "fetch_accounts", "side_by_side", "sync_accounts"]

#: The most accounts asked at once (each waits on its own quota; threads are cheap waiting).
MAX_PARALLEL = 32
#: Seconds between a watch's tries at an account another worker syncs (its lease lasts 5 minutes
#: after that worker stops).
LEASE_RETRY = 300.0


class AccountsError(SmsStatsError):
    """Some accounts failed; the others' rows are in ``partial``.

    Attributes:
        errors: account name -> the error it raised.
        partial: the frame of the accounts that answered (with the ``account`` column).
    """

    def __init__(self, errors: dict[str, BaseException], partial: pd.DataFrame, total: int) -> None:
        self.errors = errors
        self.partial = partial
        lines = "; ".join(f"{name}: {type(e).__name__}: {e}" for name, e in errors.items())
        super().__init__(f"{total - len(errors)} of {total} accounts answered; {lines}")


def _combine(frames: dict[str, pd.DataFrame], names: list[str], series: bool) -> pd.DataFrame:
    """One frame in the accounts' order, ``account`` first; attrs shared where equal, and per
    account under ``attrs["accounts"]``."""
    parts = []
    for name in names:
        if name in frames:
            df = frames[name].copy()
            df.insert(0, "account", name)
            parts.append(df)
    if parts:
        out = pd.concat(parts, ignore_index=True)
    else:
        out = (empty_series_frame() if series else empty_frame()).copy()
        out.insert(0, "account", pd.Series(dtype="object"))
    out["account"] = out["account"].astype("string")
    per: dict[str, dict[str, Any]] = {
        name: {str(k): v for k, v in frames[name].attrs.items()} for name in names if name in frames
    }
    shared: dict[str, Any] = {}
    if per:
        first = next(iter(per.values()))
        shared = {k: v for k, v in first.items() if all(a.get(k) == v for a in per.values())}
    attrs: dict[Any, Any] = {**shared, "accounts": per}
    out.attrs = attrs
    return out


def _clients(accounts: list[Account], make: Callable[[Account], StatsClient] | None, **settings: Any) -> Any:
    def build(account: Account) -> StatsClient:
        if make is not None:
            return make(account)
        return StatsClient.from_account(account, **settings)

    return build


def fetch_accounts(
    accounts: list[str] | str,
    start: Any,
    end: Any = None,
    *,
    freq: str | None = None,
    accounts_file: str | os.PathLike[str] | None = None,
    client: Callable[[Account], StatsClient] | None = None,
    mycur: bool = False,
    balance2: bool = False,
    fmt: int = 3,
    refresh: bool = False,
    progress: bool | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """The totals (or, with ``freq``, the series) of several accounts in one frame.

    Args:
        accounts: names from the accounts file, or ``"all"``.
        start, end, freq: as :meth:`StatsClient.fetch` / :meth:`StatsClient.fetch_series`.
        accounts_file: another accounts file.
        client: how to build each account's client (default: its credentials and ``settings``).
        progress: each account's progress bar (None, the default: none, since the accounts are
            asked side by side and their bars would interleave; True: one bar each).
        settings: keyword settings of :class:`StatsClient` for every account.

    Returns:
        The frame with ``account`` first and otherwise the usual schema; ``attrs`` holds the facts
        every account shares, and each account's own under ``attrs["accounts"]``.

    Raises:
        QueryError: an unknown account name or a bad query (before any request).
        AccountsError: some accounts failed (``.errors`` per account, ``.partial`` the rest).
    """
    chosen = resolve_names(accounts, accounts_file)
    build = _clients(chosen, client, **settings)
    flags = {"mycur": mycur, "balance2": balance2, "fmt": fmt, "refresh": refresh}

    def one(account: Account) -> pd.DataFrame:
        with build(account) as c:
            df: pd.DataFrame = (
                c.fetch(start, end, **flags)
                if freq is None
                else c.fetch_series(start, end, freq, progress=bool(progress), **flags)
            )
        return df

    frames, errors = side_by_side(chosen, one)
    names = [a.name for a in chosen]
    combined = _combine(frames, names, series=freq is not None)
    if errors:
        raise AccountsError(errors, combined, len(chosen))
    return combined


def side_by_side(
    chosen: list[Account], work: Callable[[Account], Any], *, cancel: threading.Event | None = None
) -> tuple[dict[str, Any], dict[str, BaseException]]:
    """Run ``work`` for every account at once; results and errors by account name. An interrupt
    (Ctrl-C) in the caller sets ``cancel`` before waiting for the threads, so work that watches
    it (a sync --watch) ends."""
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}
    lock = threading.Lock()

    def run(account: Account) -> None:
        try:
            value = work(account)
        except SmsStatsError as exc:
            with lock:
                errors[account.name] = exc
            return
        with lock:
            results[account.name] = value

    workers = max(1, min(MAX_PARALLEL, len(chosen)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smsstats-account") as pool:
        try:
            # each account's thread in the caller's context: its language (alert texts, reports)
            for future in [pool.submit(contextvars.copy_context().run, run, a) for a in chosen]:
                future.result()
        except BaseException:
            if cancel is not None:
                cancel.set()
            raise
    return results, {a.name: errors[a.name] for a in chosen if a.name in errors}


@renamed(until="end")
def sync_accounts(
    accounts: list[str] | str,
    since: Any,
    end: Any = None,
    freq: str = "D",
    *,
    accounts_file: str | os.PathLike[str] | None = None,
    client: Callable[[Account], StatsClient] | None = None,
    on_report: Callable[[str, Any], None] | None = None,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, BaseException]]:
    """Sync every account side by side in this process (each at its own quota, under its own
    lease: with a team's Redis, another worker already syncing an account makes this one skip it
    with a :class:`~smsstats_nb.core.SyncLeaseError` for that account).

    ``options`` go to :meth:`StatsClient.sync` (:class:`SyncOptions`: ``share``, ``watch``,
    ``on_period`` …), except the
    client settings (``cache``, ``rate_limit`` …), which build each client. Returns the reports
    and the errors by account name.
    """
    sync_options: SyncOptions = {k: v for k, v in options.items() if k in SYNC_OPTIONS}  # type: ignore[assignment]
    settings = {k: v for k, v in options.items() if k not in SYNC_OPTIONS}
    chosen = resolve_names(accounts, accounts_file)
    build = _clients(chosen, client, **settings)

    cancel = sync_options.get("cancel")
    if sync_options.get("watch") and cancel is None:
        cancel = sync_options["cancel"] = threading.Event()

    def one(account: Account) -> Any:
        mine = _ChildEvent(cancel)  # this account's own stop: Ctrl-C, or the account left the file
        told = sync_options.get("on_pass")

        def on_pass(report: Any) -> None:
            if told is not None:
                told(report)
            if not sync_options.get("watch"):
                return
            try:
                still = account.name in load_accounts(accounts_file)
            except SmsStatsError:  # a file being edited: judge again after the next pass
                return
            if not still:
                logger.warning("sync: account %s is no longer in the accounts file; its watch stops", account.name)
                mine.set()

        options: SyncOptions = {**sync_options, "cancel": mine, "on_pass": on_pass}
        while True:
            try:
                with build(account) as c:
                    report = c.sync(since, end, freq, **options)
                break
            except SyncLeaseError:
                # another worker syncs this account; a watch tries again later (that worker may stop)
                if not sync_options.get("watch") or cancel is None or cancel.wait(LEASE_RETRY):
                    raise
        if on_report is not None:
            on_report(account.name, report)
        return report

    return side_by_side(chosen, one, cancel=cancel)


class _ChildEvent(threading.Event):
    """An event that is also set when its parent is (one account's stop inside everyone's)."""

    def __init__(self, parent: threading.Event | None) -> None:
        super().__init__()
        self.parent = parent

    def is_set(self) -> bool:
        return super().is_set() or (self.parent is not None and self.parent.is_set())

    def wait(self, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 0.2 if end is None else min(0.2, end - time.monotonic())
            if left <= 0:
                return False
            super().wait(left)
        return True
