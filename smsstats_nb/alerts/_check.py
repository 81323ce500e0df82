"""Alerts that reach people: each new incident and each budget breach, sent once to each channel.

:func:`check` reads the daily series of an account (from the cache; the open days refresh as their
answers expire), finds the incidents (:func:`~smsstats_nb.analysis.incidents`) and the budget
breaches, and sends **one message per new incident and one when an ongoing one ends**, to every
channel, never the same twice: the store's alert log (the SQLite state, or the team's Redis)
claims each message before it is sent and marks it after, so a restart, a second machine or a
cron job every 15 minutes repeats nothing, and a message that failed is sent by the next check.

An incident first seen when it is already over gets one message (``event`` ``opened``,
``ongoing`` false), not two. A budget breach gets one message per period (a day, or the month
whose running total crossed the limit). :func:`load_rules` reads per-login budgets and named
channels from a TOML file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..analysis import ProductionCalendar, budget_breaches, budget_period, incidents
from ..client import PeriodHook, StatsClient
from ..core import DateLike, QueryError, coerce_date, i18n, moscow_today, printable, renamed, said, service_host
from ..core.i18n import gettext_ as _
from ..core.i18n import ngettext
from ..wire import WaitHook
from ._channels import Channel, ChannelError
from ._digest import Digest
from ._messages import Alert, budget_text, event_word, incident_text, status_word
from ._rules import Budget, Mute, Rules

__all__ = ["CLAIM_SECONDS", "HISTORY_DAYS", "CheckReport", "Delivery", "check", "claim_owner"]

logger = logging.getLogger(__name__)

#: Seconds a sender's claim on a message lasts (a sender that dies mid-send frees it after this).
CLAIM_SECONDS = 300.0
#: Days of history read before ``since`` for the baselines (four weeks of each weekday).
HISTORY_DAYS = 28


@dataclass(frozen=True)
class Delivery:
    """What happened to one alert on one channel."""

    alert: Alert
    channel: str
    status: str  # "sent", "failed", "would send"
    error: str | None = None

    def __str__(self) -> str:
        tail = f": {self.error}" if self.error else ""
        status, event, kind = (status_word(self.status), event_word(self.alert.event), _(self.alert.kind))
        return f"{status:<10} {event:<8} {kind:<7} {printable(self.alert.login)} → {self.channel}{tail}"


@dataclass
class CheckReport:
    """What a check found and did."""

    incidents: pd.DataFrame
    breaches: pd.DataFrame
    deliveries: list[Delivery] = field(default_factory=list)
    already: int = 0
    through: dt.date | None = None
    messages: int = 0  # digests sent (or that would be): one per channel at most
    muted: int = 0  # alerts held back by a mute

    @property
    def sent(self) -> list[Delivery]:
        """Messages delivered by this check."""
        return [d for d in self.deliveries if d.status == "sent"]

    @property
    def failed(self) -> list[Delivery]:
        """Messages that failed (sent again at the next check)."""
        return [d for d in self.deliveries if d.status == "failed"]

    def __str__(self) -> str:
        would = sum(1 for d in self.deliveries if d.status == "would send")
        found = _("{incidents}, {breaches} through {day}").format(
            incidents=ngettext("{n} incident", "{n} incidents", len(self.incidents)).format(n=len(self.incidents)),
            breaches=ngettext("{n} budget breach", "{n} budget breaches", len(self.breaches)).format(
                n=len(self.breaches)
            ),
            day=i18n.format_day(self.through),
        )
        parts = [found]
        messages = ngettext("in {n} message", "in {n} messages", self.messages).format(n=self.messages)
        if would:
            alerts = ngettext("{n} alert would be sent", "{n} alerts would be sent", would).format(n=would)
        else:
            alerts = ngettext("{n} alert sent", "{n} alerts sent", len(self.sent)).format(n=len(self.sent))
        parts.append(f"{alerts} {messages}" if self.messages else alerts)
        if self.failed:
            parts.append(
                ngettext(
                    "{n} failed (sent again at the next check)", "{n} failed (sent again at the next check)",
                    len(self.failed),
                ).format(n=len(self.failed))
            )  # fmt: skip
        parts.append(_("{n} already sent before").format(n=self.already))
        if self.muted:
            parts.append(ngettext("{n} muted", "{n} muted", self.muted).format(n=self.muted))
        return "; ".join(parts) + "."


def claim_owner() -> str:
    """Who claims a message in the alert log: this machine, this process and this run (a claim
    outlives nobody: it expires after its seconds)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@renamed(as_of="end")
def check(
    client: StatsClient,
    since: DateLike,
    *,
    rules: Rules | None = None,
    channels: Iterable[Channel] = (),
    metric: str | None = None,
    budgets: Iterable[Budget] = (),
    end: DateLike | None = None,
    dry_run: bool = False,
    progress: bool | None = None,
    on_period: PeriodHook | None = None,
    on_wait: WaitHook | None = None,
    account: str | None = None,
    country: str | None = None,
) -> CheckReport:
    """Find the incidents and budget breaches from ``since`` on and send each new one once.

    Args:
        client: the account (its cache answers; the days not cached yet are fetched).
        since: the first day alerted on (the four weeks before it are read for the baselines).
        rules: budgets and named channels (:func:`load_rules`); the other arguments add to them.
        channels: the default channels (where incidents and budgets without their own go).
        metric: incidents on ``credit`` or ``sms`` (default: the rules', else ``credit``).
        budgets: more usage triggers.
        end: the last day judged (default: yesterday in Moscow, the last whole day; ``as_of=``,
            the 0.1 name, still works in 0.2).
        dry_run: send nothing, mark nothing: the report says what would be sent.
        progress: the series' progress bar (None, the default: when the fetch will wait and a
            notebook or a terminal shows it; never in a cron job's mail).
        on_period, on_wait: told of each period done and of each rate-limit wait (a terminal's
            progress line: periods done and to go, time left).
        account: the account's name (from the accounts file), in each payload and before each text.
        country: the production calendar of this account (``"KZ"``…, ``"none"`` for the plain
            week; default: the rules', Russia's unless they say otherwise).

    Raises:
        QueryError: bad dates or rules, or no channel and not ``dry_run``.
        The client's errors (auth, rate limit, network, storage) as the fetch raises them.
    """
    rules = rules or Rules()
    metric = metric or rules.metric
    if metric not in ("credit", "sms"):
        raise said(QueryError, "metric must be 'credit' or 'sms', not {metric}", metric=repr(metric))
    defaults = tuple(channels)
    all_budgets = (*rules.budgets, *budgets)
    if not dry_run and not defaults and not rules.channels:
        raise said(QueryError, "no channel to send to: give channels, or rules with channels (or dry_run=True)")
    first = coerce_date(since, "since")
    through = coerce_date(end, "end") if end is not None else moscow_today() - dt.timedelta(days=1)
    if through < first:
        raise said(QueryError, "since ({first}) is after the last day judged ({through})", first=first, through=through)
    series = client.fetch_series(
        first - dt.timedelta(days=HISTORY_DAYS), through, "D", progress=progress, on_period=on_period, on_wait=on_wait
    )
    service = service_host(client.settings.base_url)
    identity = client.transport.identity
    chosen = rules.country if country is None else (None if country == "none" else country)
    calendar = ProductionCalendar(chosen)
    found = incidents(series, metric, threshold=rules.threshold, end=through, calendar=calendar)
    found = found[found["last_day"] >= first].reset_index(drop=True)
    recent = series[series["period_start"] >= pd.Timestamp(first)]
    breach_rows: list[pd.DataFrame] = []
    # (alert, channels, keys marked done with it)
    plan: list[tuple[Alert, tuple[Channel, ...], str]] = []
    incident_targets = _targets(rules, rules.incident_channels, defaults)
    incident_rows: list[Any] = list(found.itertuples(index=False))
    for row in incident_rows:
        ident = f"{identity}|{metric}|{row.kind}|{row.login}|{row.currency}|{row.first_day}"
        for event in ("opened", "resolved"):
            text = incident_text(row, event, metric, service)
            alert = Alert(
                ident=ident,
                event=event,
                kind=str(row.kind),
                login=str(row.login),
                currency=str(row.currency),
                metric=metric,
                first_day=row.first_day,
                last_day=row.last_day,
                ongoing=bool(row.ongoing),
                value=float(row.value),
                baseline=float(row.baseline),
                limit=None,
                service=service,
                text=text,
            )
            plan.append((alert, incident_targets, ident))
    for budget in all_budgets:
        breaches = budget_breaches(recent, budget.limit, freq=budget.freq, metric=budget.metric, login=budget.login)
        per = budget_period(budget.freq)  # "day" or "month": the word the log's keys and the payload keep
        breach_rows.append(breaches)
        targets = _targets(rules, budget.channels, defaults)
        breach_list: list[Any] = list(breaches.itertuples(index=False))
        for row in breach_list:
            ident = (
                f"{identity}|budget|{budget.metric}|{per}|{budget.limit:g}|{row.login}|{row.currency}|"
                f"{row.period_start}"
            )
            alert = Alert(
                ident=ident,
                event="opened",
                kind="budget",
                login=str(row.login),
                currency=str(row.currency),
                metric=budget.metric,
                first_day=row.period_start,
                last_day=row.period_end,
                ongoing=not bool(row.complete),
                value=float(row.value),
                baseline=None,
                limit=budget.limit,
                service=service,
                text=budget_text(row, budget, service),
                per=per,
            )
            plan.append((alert, targets, ident))
    if account is not None:  # several accounts alert into the same channels: say whose
        plan = [
            (dataclasses.replace(alert, account=account, text=f"[{account}] {alert.text}"), targets, ident)
            for alert, targets, ident in plan
        ]
    report = CheckReport(
        found,
        pd.concat(breach_rows, ignore_index=True) if breach_rows else budget_breaches(recent.head(0), 0),
        through=through,
    )
    with client.transport.store.errors():
        stored = client.transport.store.alerts.mutes(identity)
    mutes = [*rules.mutes, *(Mute(dt.date.fromisoformat(u), None if k == "*" else k) for k, u in stored.items())]
    covered = [any(m.covers(a.login, a.first_day, a.last_day) for m in mutes) for a, _, _ in plan]
    kept = [p for p, held in zip(plan, covered, strict=True) if not held]
    # incidents held back (an incident's opened and resolved events count once)
    report.muted = len({ident for (_, _, ident), held in zip(plan, covered, strict=True) if held})
    _deliver(client, kept, report, dry_run=dry_run, working=calendar.is_working)
    return report


def _targets(rules: Rules, names: tuple[str, ...] | None, defaults: tuple[Channel, ...]) -> tuple[Channel, ...]:
    if names is None:
        return defaults
    return tuple(c for n in names for c in rules.channels[n])


def _deliver(
    client: StatsClient,
    plan: list[tuple[Alert, tuple[Channel, ...], str]],
    report: CheckReport,
    *,
    dry_run: bool,
    working: Callable[[dt.date], bool] | None = None,
) -> None:
    """Per channel, one digest of what the log has not seen: every alert's key claimed first, the
    digest sent once, every key marked after; a failure releases them all (the next check sends
    them again, never lost, never twice)."""
    store = client.transport.store
    owner = claim_owner()

    def key(ident: str, event: str, channel: Channel) -> str:
        return f"{ident}|{event}|{channel.key}"

    keys = [key(a.ident, ev, c) for a, chans, _ in plan for c in chans for ev in ("opened", "resolved")]
    with store.errors():
        sent = store.alerts.sent(keys)
    known = {(ident, c.key) for _, chans, ident in plan for c in chans if key(ident, "opened", c) in sent}
    touched: set[tuple[str, str]] = set()
    per_channel: dict[str, tuple[Channel, list[Alert]]] = {}
    for alert, targets, ident in plan:
        for channel in targets:
            opened, resolved = key(ident, "opened", channel), key(ident, "resolved", channel)
            if alert.event == "opened":
                # a new incident (or breach); an incident already over gets this one message only
                wanted = opened not in sent and resolved not in sent
            else:
                wanted = opened in sent and resolved not in sent and not alert.ongoing
            if wanted:
                per_channel.setdefault(channel.key, (channel, []))[1].append(alert)
    for channel, alerts in per_channel.values():
        for alert in alerts:
            touched.add((alert.ident, channel.key))
        if dry_run:
            report.deliveries.extend(Delivery(a, channel.name, "would send") for a in alerts)
            report.messages += 1
            continue
        mine: list[tuple[Alert, str]] = []
        with store.errors():
            for alert in alerts:
                k = key(alert.ident, alert.event, channel)
                if store.alerts.claim(k, owner, CLAIM_SECONDS):
                    mine.append((alert, k))
                else:  # another check is sending it right now, or just did
                    touched.discard((alert.ident, channel.key))
                    known.add((alert.ident, channel.key))
        if not mine:
            continue
        digest = Digest(tuple(a for a, _ in mine), working)
        try:
            channel.send(digest.payload(), digest.text, digest.subject)
        except Exception as exc:  # noqa: BLE001 - any failure of one channel: the others still go
            with store.errors():
                for _, k in mine:
                    store.alerts.release(k, owner)  # the next check sends it (never a claim left behind)
            why = i18n.localized(exc) if isinstance(exc, ChannelError) else _not_delivered(channel, exc)
            report.deliveries.extend(
                Delivery(a, channel.name, "failed", why.removeprefix(f"{channel.name}: ")) for a, _ in mine
            )
            logger.warning("alert not delivered: %s", why)
            continue
        except BaseException:  # Ctrl-C mid-send: free the claims, then stop
            with store.errors():
                for _, k in mine:
                    store.alerts.release(k, owner)
            raise
        with store.errors():
            for alert, k in mine:
                store.alerts.done(k, owner)
                if alert.event == "opened" and not alert.ongoing:  # over before anyone heard of it
                    store.alerts.done(key(alert.ident, "resolved", channel), owner)
        report.deliveries.extend(Delivery(a, channel.name, "sent") for a, _ in mine)
        report.messages += 1
    report.already = len(known - touched)


def _not_delivered(channel: Channel, exc: Exception) -> str:
    """A failure no channel foresaw, in words (its type, never its text: it may quote a secret)."""
    return _("{name}: not delivered ({why}); it is sent again at the next check").format(
        name=channel.name, why=type(exc).__name__
    )
