"""``smsstats alerts check``, and the same alerts after each pass of ``smsstats sync --watch``.

The channels' secrets come from the environment (``SMSSTATS_WEBHOOK_SECRET``,
``SMSSTATS_SMTP_USER``/``_PASSWORD``/``_FROM``, ``SMSSTATS_TELEGRAM_TOKEN``); a webhook URL may
come from a rules file's ``webhook_env`` instead of the command line. Nothing printed names a
webhook URL, a token or a password.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.i18n import gettext_ as _
from ..core.i18n import ngettext
from ._common import WaitLine, account_failed, client_for, confirm, err, error_words, out

if TYPE_CHECKING:
    from ..alerts import CheckReport
    from ..client import StatsClient

__all__ = [
    "ALERT_FAILED",
    "add_alert_options",
    "alert_hook",
    "channel_plan",
    "cmd_alerts",
    "configured_channels",
    "wants_alerts",
]

#: The exit code of a check whose messages did not all go out (they are sent at the next check).
ALERT_FAILED = 9
#: A check that must first fetch longer than this (seconds of rate-limit wait) asks first.
CONFIRM_ABOVE = 600.0


def add_alert_options(p: argparse.ArgumentParser, *, since: bool) -> None:
    """The options of ``alerts check`` (``sync`` has its own --since)."""
    if since:
        p.add_argument("--since", help=_("first day alerted on (the 4 weeks before it set the baselines)"))
    p.add_argument("--metric", choices=["credit", "sms"], help=_("incidents on spend (credit, default) or messages"))
    p.add_argument("--budget-day", type=float, metavar="N", help=_("alert when the account's day goes over N"))
    p.add_argument("--budget-month", type=float, metavar="N", help=_("alert when the account's month goes over N"))
    p.add_argument("--rules", metavar="FILE", help=_("a TOML file of per-login budgets and named channels"))
    p.add_argument("--webhook", action="append", default=[], metavar="URL", help=_("POST each alert as JSON here"))
    p.add_argument(
        "--webhook-env",
        action="append",
        default=[],
        metavar="VAR",
        help=_("POST each alert to the URL in this environment variable (a URL is often a token: keep it out of argv)"),
    )
    p.add_argument("--email", action="append", default=[], metavar="ADDR", help=_("e-mail each alert (with --smtp)"))
    p.add_argument("--smtp", metavar="URL", help=_("smtp://host:port, smtp+starttls://host:587 or smtps://host:465"))
    p.add_argument("--telegram-chat", action="append", default=[], metavar="ID", help=_("send to this Telegram chat"))
    p.add_argument("--dry-run", action="store_true", help=_("print what would be sent; send and mark nothing"))


def wants_alerts(a: argparse.Namespace) -> bool:
    """Whether any alert option was given (``sync`` alerts only then)."""
    return bool(
        a.webhook
        or a.webhook_env
        or a.email
        or a.telegram_chat
        or a.rules
        or a.budget_day is not None
        or a.budget_month is not None
    )


def channel_plan(a: argparse.Namespace) -> dict[str, Any]:
    """Rules, channels and budgets from the options, checked before any password or request."""
    from ..alerts import Budget, channels_from, load_rules
    from ..core import Environment, QueryError, said

    budgets = []
    if a.budget_day is not None:
        budgets.append(Budget(limit=a.budget_day, freq="D", metric=a.metric or "credit"))
    if a.budget_month is not None:
        budgets.append(Budget(limit=a.budget_month, freq="MS", metric=a.metric or "credit"))
    rules = load_rules(a.rules) if a.rules else None
    if a.email and not a.smtp:
        raise said(QueryError, "--email needs --smtp smtp://host:port (or smtps:// or smtp+starttls://)")
    if a.smtp and not a.email:
        raise said(QueryError, "--smtp is given without --email: say who gets the message")
    hooks = list(a.webhook)
    for name in a.webhook_env:
        url = Environment.variable(name)
        if not url:
            raise said(QueryError, "--webhook-env {name}: the variable is not set", name=name)
        hooks.append(url)
    try:
        channels = channels_from(webhooks=hooks, emails=a.email, smtp=a.smtp, telegram_chats=a.telegram_chat)
    except QueryError as exc:  # the library names the setting; the terminal names the options
        raise said(QueryError, "--webhook, --email, --smtp, --telegram-chat: {exc}", exc=exc) from None
    return {"rules": rules, "channels": channels, "budgets": budgets, "metric": a.metric, "dry_run": a.dry_run}


def configured_channels(plan: dict[str, Any]) -> list[Any]:
    """The options' channels and the rules file's named ones, each once (by its key)."""
    channels = list(plan["channels"])
    if plan["rules"] is not None:
        channels += [c for named in plan["rules"].channels.values() for c in named]
    seen: dict[str, Any] = {}
    for channel in channels:
        seen.setdefault(channel.key, channel)
    return list(seen.values())


def _test(a: argparse.Namespace) -> int:
    """``alerts test``: one test message to each configured channel (the options' and the rules
    file's), no password and no request to SMSC; 0 when every channel took it."""
    import uuid

    from ..alerts import ChannelError
    from ..core import QueryError, said

    seen = {c.key: c for c in configured_channels(channel_plan(a))}
    if not seen:
        raise said(
            QueryError, "alerts test: no channel; give --webhook, --email with --smtp, --telegram-chat or --rules"
        )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    text = _("A test message from smsstats_nb: this channel receives the alerts ({now}).").format(now=now)
    payload = {"id": f"test-{uuid.uuid4().hex[:16]}", "event": "test", "count": 0, "alerts": []}
    failed = 0
    for channel in seen.values():
        if a.dry_run:
            out(_("would send a test message → {channel}").format(channel=channel.name))
            continue
        try:
            channel.send(payload, text, _("smsstats_nb: a test message"))
        except ChannelError as exc:
            failed += 1
            err(_("test message failed: {error}").format(error=exc))
        else:
            out(_("test message sent → {channel}").format(channel=channel.name))
    return ALERT_FAILED if failed else 0


def _print(report: CheckReport, prefix: str = "") -> None:
    for delivery in report.deliveries:
        line = f"{prefix}{delivery}"
        if delivery.status == "would send":
            line += f": {delivery.alert.text}"
        (err if delivery.status == "failed" else out)(line)
    out(f"{prefix}{report}")


def cmd_alerts(a: argparse.Namespace) -> int:
    """``alerts check``: 0 when every message went out, :data:`ALERT_FAILED` when some did not."""
    from ..alerts import HISTORY_DAYS, check
    from ..core import coerce_date, moscow_today
    from ..core.i18n import format_duration

    if a.action == "mute":
        return _mute(a)
    if a.action == "test":
        return _test(a)
    if not a.since:
        from ..core import QueryError, said

        raise said(QueryError, "alerts check needs --since (the first day alerted on)")
    plan = channel_plan(a)
    if not plan["dry_run"] and not plan["channels"] and not (plan["rules"] and plan["rules"].channels):
        from ..core import QueryError, said

        raise said(
            QueryError, "no channel to send to: give --webhook, --email with --smtp or --telegram-chat (or --dry-run)"
        )
    first = coerce_date(a.since, "since")
    through = coerce_date(a.end, "--end") if a.end else moscow_today() - dt.timedelta(days=1)
    if through < first:
        from ..core import QueryError, said

        raise said(
            QueryError, "--since ({first}) is after the last day judged ({through})", first=first, through=through
        )
    if a.all_accounts or len(a.account) > 1:
        return _alerts_accounts(a, first, through, plan)
    with client_for(a, cache=a.cache_dir) as client:
        cost = client.estimate_series(first - dt.timedelta(days=HISTORY_DAYS), max(first, through), "D")
        if cost.requests and cost.eta_seconds > CONFIRM_ABOVE:
            days = ngettext("{n} day", "{n} days", cost.requests).format(n=cost.requests)
            confirm(
                _("the check first fetches {days}: about {eta}").format(
                    days=days, eta=format_duration(cost.eta_seconds)
                ),
                a.yes,
            )
        country = None
        if a.account:  # one named account: its calendar
            from ..client import resolve_names

            country = resolve_names(list(a.account))[0].country
        waiting = WaitLine(client.settings.rate_limit, client.eta)  # periods done / to go, time left
        try:
            report = check(
                client,
                first,
                end=through,
                country=country,
                progress=False,
                on_period=waiting.progress,
                on_wait=waiting,
                **plan,
            )
        finally:
            waiting.done()
        _print(report)
    return ALERT_FAILED if report.failed else 0


def _mute(a: argparse.Namespace) -> int:
    """``alerts mute LOGIN|--all --until DATE``: hold back a login's alerts through a known pause
    (``--until`` a day already past lifts the mute); kept in the store (the team's, on Redis)."""
    from ..core import QueryError, coerce_date, moscow_today, printable, said

    if bool(a.login_to_mute) == bool(a.all):
        raise said(QueryError, "alerts mute needs a login or --all (one of them)")
    if not a.until:
        raise said(QueryError, "alerts mute needs --until DATE (the last day of the pause)")
    until = coerce_date(a.until, "--until")
    who = "*" if a.all else a.login_to_mute
    with client_for(a, cache=a.cache_dir) as client:
        store = client.transport.store
        with store.errors():
            store.alerts.mute(client.transport.identity, who, until.isoformat() if until >= moscow_today() else None)
    name = _("every login") if a.all else printable(a.login_to_mute)
    if until < moscow_today():
        out(_("{who}: the mute is lifted").format(who=name))
    else:
        out(_("{who}: alerts held back through {day}").format(who=name, day=until))
    return 0


def _alerts_accounts(a: argparse.Namespace, first: dt.date, through: dt.date, plan: dict[str, Any]) -> int:
    """``alerts check --all-accounts``: each account checked side by side, its name in each message."""
    from ..alerts import HISTORY_DAYS, check
    from ..client import StatsClient, resolve_names, side_by_side
    from ..core.i18n import format_duration

    chosen = resolve_names("all" if a.all_accounts else list(a.account))
    clients = {acc.name: StatsClient.from_account(acc, cache=a.cache_dir) for acc in chosen}
    try:
        longest = max(
            c.estimate_series(first - dt.timedelta(days=HISTORY_DAYS), max(first, through), "D").eta_seconds
            for c in clients.values()
        )
        if longest > CONFIRM_ABOVE:
            confirm(_("the check first fetches days for about {eta}").format(eta=format_duration(longest)), a.yes)
        reports, errors = side_by_side(
            chosen,
            lambda acc: check(clients[acc.name], first, end=through, account=acc.name, country=acc.country, **plan),
        )
    finally:
        for c in clients.values():
            c.close()
    failed = False
    for acc in chosen:
        if acc.name in reports:
            _print(reports[acc.name], prefix=f"{acc.name}: ")
            failed = failed or bool(reports[acc.name].failed)
        else:
            account_failed(acc.name, errors[acc.name])
    if errors:
        from ._common import exit_code

        return exit_code(next(iter(errors.values())))
    return ALERT_FAILED if failed else 0


def alert_hook(a: argparse.Namespace) -> Callable[[StatsClient], None]:
    """What ``sync`` runs after each pass: a check that reports and never ends the watch (the
    options are checked now, before any password prompt or request)."""
    from ..alerts import check
    from ..core import SmsStatsError

    plan = channel_plan(a)

    def run(client: StatsClient) -> None:
        try:
            # judged through the last day synced (--end), else yesterday
            _print(check(client, a.since, end=a.end, **plan), prefix="alerts: ")
        except SmsStatsError as exc:
            err(_("alerts: {error}; the next pass checks again").format(error=error_words(exc)))

    return run
