"""``smsstats report``: a period's summary to the alerts' channels, once per period per channel.

A cron line every hour (``smsstats report --period last-week --email … --yes``) sends last week's
report once, on the first run after Monday 00:00 in Moscow; the later runs find it marked sent and
spend nothing (no password asked, no request). ``--dry-run`` writes the e-mail as ``.eml``, the
chart, the workbook, the text and the JSON to ``--out`` and sends and marks nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.i18n import gettext_ as _
from ._alerts import ALERT_FAILED, add_alert_options, channel_plan, configured_channels
from ._common import WaitLine, client_for, confirm, err, out

if TYPE_CHECKING:
    from ..client import StatsClient

__all__ = ["add_report_parser", "cmd_report"]


def add_report_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """``report`` and its options (the channels are the alerts')."""
    from ..reports import PERIODS, TOP
    from ._accounts import add_account_options

    r = sub.add_parser(
        "report",
        parents=parents,
        help=_("send a period's summary (KPIs, top logins, incidents, chart, workbook) once per period"),
    )
    r.add_argument(
        "--period", choices=list(PERIODS), help=_("last-week, last-month or last-quarter (or --start/--end)")
    )
    r.add_argument("--start", help=_("first day, dd.mm.yyyy or yyyy-mm-dd (instead of --period)"))
    r.add_argument("--end", help=_("last day (with --start)"))
    r.add_argument("--top", type=int, default=TOP, metavar="N", help=_("how many logins are listed by spend"))
    r.add_argument(
        "--out", metavar="DIR", default="smsstats-report", help=_("with --dry-run: the folder the files go to")
    )
    r.add_argument("--yes", "-y", action="store_true", help=_("fetch what is not cached without asking (cron)"))
    add_alert_options(r, since=False)
    add_account_options(r)


def _days(a: argparse.Namespace) -> tuple[Any, Any, str | None]:
    from ..core import QueryError, coerce_date, said
    from ..reports import report_period

    if a.period and (a.start or a.end):
        raise said(QueryError, "give --period or --start/--end, not both")
    if a.period:
        start, end = report_period(a.period)
        return start, end, a.period
    if not a.start:
        raise said(QueryError, "report needs --period last-week|last-month|last-quarter, or --start and --end")
    start = coerce_date(a.start, "--start")
    end = coerce_date(a.end, "--end") if a.end else start
    if end < start:
        raise said(QueryError, "the period ends ({end}) before it starts ({start})", end=end, start=start)
    return start, end, None


def cmd_report(a: argparse.Namespace) -> int:
    """0 when every channel has the report (now or before), :data:`ALERT_FAILED` when one did not
    take it (the next run sends it)."""
    from ..client import StatsClient, resolve_names
    from ..core import Environment, QueryError, Settings, i18n, said, service_host
    from ..core.i18n import format_duration, requests_words
    from ..reports import build_report, pending, report_cost, report_ident, send_report, write_dry_run
    from ..store import open_store

    start, end, period = _days(a)
    if a.top < 1:
        raise said(QueryError, "--top must be 1 or more, not {top}", top=a.top)
    plan = channel_plan(a)  # the channels, checked before any password or request
    channels = configured_channels(plan)
    rules = plan["rules"]
    if not a.dry_run and not channels:
        raise said(
            QueryError, "no channel to send to: give --webhook, --email with --smtp or --telegram-chat (or --dry-run)"
        )
    budgets = [*plan["budgets"], *(rules.budgets if rules is not None else ())]
    lang = i18n.current()
    env = Environment.read()
    several = bool(a.all_accounts or len(a.account) > 1)
    chosen = resolve_names("all" if a.all_accounts else list(a.account)) if (several or a.account) else []
    if chosen:
        names = [acc.name for acc in chosen]
    else:  # the account of --login / $SMSC_LOGIN: its login at its server, known before any password
        base = Settings.from_env(env, base_url=a.base_url).base_url
        names = [f"{a.login or env.login or 'apikey'}@{service_host(base)}"]
    ident = report_ident(names, start, end, lang)
    span = i18n.format_span(start, end)
    if not a.dry_run:
        store = open_store(a.cache_dir, env=env)
        try:
            todo = pending(store, ident, channels)
        finally:
            store.close()
        if not todo:  # the hourly cron's usual run: no password asked, nothing fetched or sent
            out(_("the report for {span} was already sent to every channel; nothing to do").format(span=span))
            return 0
        channels = todo
    clients: dict[str | None, StatsClient] = {}
    countries: dict[str | None, str | None] = {}
    try:
        if chosen and several:
            for acc in chosen:
                clients[acc.name] = StatsClient.from_account(acc, cache=a.cache_dir)
                countries[acc.name] = acc.country
        else:
            name = chosen[0].name if chosen else None
            clients[name] = client_for(a, cache=a.cache_dir)
            if chosen:
                countries[name] = chosen[0].country
        first = next(iter(clients.values()))
        store = first.transport.store
        requests, eta = report_cost(clients, start, end)
        if requests:
            question = _("the report first fetches what is not cached: {requests}, {wait}").format(
                requests=requests_words(requests),
                wait=format_duration(eta) if eta < 1 else _("about {eta}").format(eta=format_duration(eta)),
            )
            if a.yes:  # said, since nobody was asked
                err("smsstats: " + question)
            else:
                confirm(question, a.yes)
        waiting = WaitLine(first.settings.rate_limit, first.eta)
        try:
            report = build_report(
                clients,
                start,
                end,
                period=period,
                budgets=budgets,
                countries=countries,
                top=a.top,
                lang=lang,
                metric=plan["metric"] or "credit",
                on_period=waiting.progress,
                on_wait=waiting,
            )
        finally:
            waiting.done()
        message = report.message()
        if a.dry_run:
            sender = env.smtp_from or "smsstats@localhost"
            written = write_dry_run(message, Path(a.out), sender=sender, to=a.email)
            out(_("nothing sent: the report for {span} is in {folder}: {files}").format(
                span=span, folder=a.out, files=", ".join(p.name for p in written)
            ))  # fmt: skip
            for channel in channels:
                out(_("report would be sent → {channel}").format(channel=channel.name))
            return 0
        failed = False
        for delivery in send_report(store, ident, message, channels):
            (err if delivery.status == "failed" else out)(str(delivery))
            failed = failed or delivery.status == "failed"
        return ALERT_FAILED if failed else 0
    finally:
        for c in clients.values():
            c.close()
