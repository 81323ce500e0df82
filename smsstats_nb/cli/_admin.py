"""The ``smsstats`` admin commands: ``sync [status]`` and ``cache info|clear`` (see :mod:`.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.i18n import N_, ngettext
from ..core.i18n import gettext_ as _
from ._alerts import alert_hook, wants_alerts
from ._common import WaitLine, client_for, err, error_words, flags_of, out

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["cmd_cache", "cmd_sync"]


def cmd_sync(a: argparse.Namespace) -> int:
    from ..client import check_share, closed_until, sync_queries
    from ..core import DEFAULT_RATE_LIMIT, QueryFlags
    from ..core.i18n import format_duration

    flags = flags_of(a)
    # dates, flags and the share, before any password prompt (the same rules for sync and status)
    sync_queries(a.since, a.end, a.freq, QueryFlags.of(**flags))
    check_share(a.share, DEFAULT_RATE_LIMIT[0])
    if a.action == "run" and (a.all_accounts or len(a.account) > 1):
        from ._accounts import cmd_sync_accounts

        return cmd_sync_accounts(a)
    alerts = alert_hook(a) if a.action == "run" and wants_alerts(a) else None
    with client_for(a, cache=a.cache_dir) as client:
        if a.action == "status":
            until = a.end if a.end is not None else closed_until()
            out(_("closed periods by {freq} from {since} to {until}:").format(freq=a.freq, since=a.since, until=until))
            out(str(client.sync_status(a.since, a.end, a.freq, share=a.share, **flags)))
            return 0
        waiting = WaitLine(client.settings.rate_limit, client.eta)
        if sys.stderr.isatty():
            status = client.sync_status(a.since, a.end, a.freq, share=a.share, **flags)
            err(_("sync: {status}").format(status=status))
        try:
            report = client.sync(
                a.since,
                a.end,
                a.freq,
                share=a.share,
                watch=a.watch,
                on_period=waiting.progress,  # periods done / to go and the time left, on one line
                on_wait=waiting,
                on_pass=lambda r: _after_pass(r, a.watch, client, alerts),
                on_fault=lambda e, s: err(
                    _("sync: {error}; trying again in {wait}").format(error=error_words(e), wait=format_duration(s))
                ),
                **flags,
            )
        finally:
            waiting.done()
        out(str(report))
        if alerts is not None and not a.watch:
            alerts(client)
    return 0


def _after_pass(report: Any, watch: bool, client: Any, alerts: Any) -> None:
    """After each pass of a watch: the pass in one line, then the alerts (when asked for)."""
    if watch:
        err(str(report))
        if alerts is not None:
            alerts(client)


def cmd_cache(a: argparse.Namespace) -> int:
    from ..core import default_cache_dir
    from ..store import is_redis_url, open_store

    spec: Any = a.cache_dir
    if spec and not is_redis_url(spec):
        spec = Path(spec).expanduser()
    where = spec if spec else default_cache_dir()
    if not is_redis_url(where) and not Path(where).exists():
        out(_("no cache in {where}").format(where=where))
        return 0
    store = open_store(spec)
    try:
        if a.action == "info":
            _print_info(store)
        else:
            removed = store.clear(cooldowns=a.cooldowns)
            out(
                ngettext(
                    "removed {n} cached answers from {where}", "removed {n} cached answers from {where}", removed
                ).format(n=removed, where=store.description)
            )
            if a.cooldowns:
                out(_("ended every cool-down and local refusal (failed logins, IP block, server pauses)"))
    finally:
        store.close()
    return 0


def _size(n: int) -> str:
    """``176.9 KiB`` (English), ``176,9 КиБ`` (Russian)."""
    from ..core import i18n

    size = float(n)
    for unit in (N_("bytes"), N_("KiB"), N_("MiB"), N_("GiB")):
        if size < 1024 or unit == "GiB":
            figure = f"{int(size)}" if unit == "bytes" else i18n.format_number(size, 1)
            return f"{figure} {_(unit)}"
        size /= 1024
    return str(size)  # pragma: no cover


def _print_info(store: Store) -> None:
    """``cache info`` in words and units (the same lines for every backend)."""
    import datetime as dt

    from ..core import DEFAULT_MARGIN, DEFAULT_RATE_LIMIT
    from ..core.i18n import format_duration
    from ..wire import AUTH_COOLDOWN, LOGIN_BUDGET, Reason

    info = store.info()
    limit, per = DEFAULT_RATE_LIMIT
    window = per + DEFAULT_MARGIN
    activity = store.activity(window, AUTH_COOLDOWN)
    rows: list[tuple[str, str]] = []
    if info.http_cache:
        rows.append((_("cache:"), str(info.location)))
    else:
        rows.append((_("state:"), str(info.state)))
    medium = _(info.medium)  # "on disk", "in Redis"
    where = medium if info.size_bytes is None else f"{_size(info.size_bytes)} {medium}"
    rows.append((_("answers cached:"), f"{info.entries} ({where})"))
    if info.legacy:
        rows.append(
            (
                _("old answers:"),
                _(
                    "{n} cached by an older version with pickle (not read: fetched again when asked for; "
                    "`smsstats cache clear` removes them)"
                ).format(n=info.legacy),
            )
        )
    rows.append(
        (
            _("rate limit:"),
            ngettext(
                "{n} request in the last {per} s (SMSC allows {limit})",
                "{n} requests in the last {per} s (SMSC allows {limit})",
                activity.recent_requests,
            ).format(n=activity.recent_requests, per=f"{per:g}", limit=limit),
        )
    )
    minutes = round(AUTH_COOLDOWN / 60)
    rows.append(
        (
            _("failed logins:"),
            _("{n} in the last {minutes} min (SMSC blocks the IP at 5; we stop at {budget})").format(
                n=activity.failed_logins, minutes=minutes, budget=LOGIN_BUDGET
            ),
        )
    )
    shown = [(words, left) for reason, left in activity.cooldowns if (words := Reason.describe(reason)) is not None]
    if not shown:
        rows.append((_("cool-downs:"), _("none")))
    now = dt.datetime.now().astimezone()
    for words, left in shown:
        until = (now + dt.timedelta(seconds=left)).strftime("%H:%M:%S %Z")
        rows.append(
            (
                _("cool-down:"),
                _("{what}: {left} left (until {until})").format(what=_(words), left=format_duration(left), until=until),
            )
        )
    if shown:
        rows.append(("", _("end them deliberately with: smsstats cache clear --cooldowns")))
    width = max(len(label) for label, _value in rows) + 1
    for label, value in rows:
        out(f"{label:<{width}}{value}".rstrip() if value else label)
