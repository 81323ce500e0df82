"""The messages of alerts: one :class:`Alert` per incident opened or resolved and per budget breach,
its subject, its JSON payload and its text as an analyst writes it, in the person's language."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis import ACCOUNT, format_money
from ..core import i18n
from ..core.i18n import N_, ngettext, pgettext_
from ..core.i18n import gettext_ as _

if TYPE_CHECKING:
    from ._rules import Budget

__all__ = [
    "BUDGET_TEXT", "KIND_WORDS", "RESOLVED", "Alert", "budget_text", "event_word", "facts_text",
    "incident_text", "status_word",
]  # fmt: skip


#: The words of a subject and a delivery line, for the catalogue (the payloads keep the English keys).
KIND_WORDS = {
    "budget": N_("budget"),
    "spike": N_("spike"),
    "drop": N_("drop"),
    "silent": N_("silent"),
    "level": N_("level"),
    "price": N_("price"),
    "currency": N_("currency"),
    "new": N_("new"),
}


@dataclass(frozen=True, kw_only=True)
class Alert:
    """One message: an incident opened or resolved, or a budget breached."""

    ident: str
    event: str
    kind: str
    login: str
    currency: str
    metric: str
    first_day: dt.date
    last_day: dt.date
    ongoing: bool
    value: float
    baseline: float | None
    limit: float | None
    service: str
    text: str
    per: str | None = None
    account: str | None = None

    @property
    def subject(self) -> str:
        """A short e-mail subject."""
        what = _(KIND_WORDS.get(self.kind, self.kind))
        state = _("resolved") if self.event == "resolved" else (_("ongoing") if self.ongoing else _("over"))
        if self.kind == "budget":
            state = _("day limit") if self.per == "day" else _("month limit")
        return f"[smsstats] {what}: {self.login} ({state})"

    @property
    def message_id(self) -> str:
        """The message's stable id: the same in every copy, from any check on any machine (delivery
        is at least once; a receiver drops a copy whose id it has seen)."""
        return hashlib.sha256(f"{self.ident}|{self.event}".encode()).hexdigest()[:32]

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON fields (``text`` is added by the channel)."""
        out: dict[str, Any] = {
            "id": self.message_id,
            "event": self.event,
            "kind": self.kind,
            "login": self.login,
            "currency": self.currency,
            "metric": self.metric,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "ongoing": self.ongoing,
            "value": round(self.value, 4),
            "service": self.service,
        }
        if self.account is not None:
            out["account"] = self.account
        if self.kind == "budget":
            out["limit"] = self.limit
            out["per"] = self.per
        else:
            out["baseline"] = None if self.baseline is None else round(self.baseline, 4)
        return out


def _amount(value: float, metric: str, currency: str) -> str:
    if metric == "sms":
        n = round(value)
        return ngettext("{n} message", "{n} messages", n).format(n=i18n.format_number(n))
    return format_money(value, currency)


def _days(n: int) -> str:
    return ngettext("{n} day", "{n} days", int(n)).format(n=n)


#: What a resolved incident says, per kind.
RESOLVED = {
    "silent": N_("Resolved: {who} is sending again after being silent from {first} to {last} ({days})."),
    "drop": N_("Resolved: {who} is back to normal after a drop from {first} to {last} ({days})."),
    "spike": N_("Resolved: {who} is back to normal after a spike from {first} to {last} ({days})."),
    "level": N_(
        "Resolved: the shift of {who} from {first} to {last} ({days}) is over: back to its old level, "
        "or the new level is its usual now."
    ),
    "price": N_(
        "Resolved: the price rise of {who} from {first} to {last} ({days}) is over: back to the old price, "
        "or the new price is its usual now."
    ),
}


def incident_text(row: Any, event: str, metric: str, service: str) -> str:
    """The alert's sentence, in the current language."""
    who = _("{login} ({service})").format(login=row.login, service=service)
    first, last = i18n.format_day(row.first_day), i18n.format_day(row.last_day)
    if event == "resolved":
        return _(RESOLVED.get(row.kind, RESOLVED["spike"])).format(
            who=who, first=first, last=last, days=_days(row.days)
        )
    state = _("still going on") if row.ongoing else _("over now")
    verb = _("sent") if metric == "sms" else _("spent")
    if row.kind == "spike":
        when = (
            _("on {day}").format(day=first)
            if row.first_day == row.last_day
            else _("on its peak day between {first} and {last}").format(first=first, last=last)
        )
        values = {
            "who": who,
            "verb": verb,
            "amount": _amount(row.value, metric, row.currency),
            "when": when,
            "usual": _amount(row.baseline, metric, row.currency),
            "state": state,
        }
        if row.baseline > 0:
            ratio = f"{row.value / row.baseline:.1f}"
            if i18n.current() != "en":
                ratio = ratio.replace(".", ",")
            return _("Spike: {who} {verb} {amount} {when}, {ratio}× its usual {usual} ({state}).").format(
                ratio=ratio, **values
            )
        return _("Spike: {who} {verb} {amount} {when} against a usual {usual} ({state}).").format(**values)
    if row.kind == "price":
        return _(
            "Price rise: {who} paid {new} a message from {first}, against {old} before ({ratio}, {state})."
        ).format(
            who=who,
            new=format_money(row.value, row.currency),
            old=format_money(row.baseline, row.currency),
            first=first,
            ratio=_percent(row.value / row.baseline - 1) if row.baseline > 0 else "",
            state=state,
        )
    if row.kind == "currency":
        return _("Currency: {who} is billed in {new} instead of {old} from {first}.").format(
            who=who, new=row.new_currency, old=row.currency, first=first
        )
    if row.kind == "new":
        return _("New: {who} began sending on {first}.").format(who=who, first=first)
    if row.kind == "level":
        return _(
            "Lasting shift: {who} {verb} {amount} from {first} to {last} against a usual {usual} ({percent}, {state})."
        ).format(
            who=who,
            verb=verb,
            amount=_amount(row.value, metric, row.currency),
            first=first,
            last=last,
            usual=_amount(row.baseline, metric, row.currency),
            percent=_percent(row.value / row.baseline - 1) if row.baseline > 0 else "",
            state=state,
        )
    if row.kind == "silent":
        usual = _amount(row.baseline / max(1, row.days), metric, row.currency)
        sentence = (
            N_("Silent: {who} has sent no messages from {first} ({days}, {state}); it usually sends {usual} a day.")
            if metric == "sms"
            else N_(
                "Silent: {who} has sent no messages from {first} ({days}, {state}); it usually spends {usual} a day."
            )
        )
        return _(sentence).format(who=who, first=first, days=_days(row.days), state=state, usual=usual)
    return _("Drop: {who} {verb} {amount} from {first} to {last} against a usual {usual} ({state}).").format(
        who=who,
        verb=verb,
        amount=_amount(row.value, metric, row.currency),
        first=first,
        last=last,
        usual=_amount(row.baseline, metric, row.currency),
        state=state,
    )


def _percent(share: float) -> str:
    """``+20 %``, ``−70 %`` (a narrow no-break space before the sign in Russian, as analysts write)."""
    sign = "+" if share >= 0 else "−"
    return f"{sign}{abs(share) * 100:.0f}\u00a0%"


def status_word(status: str) -> str:
    """A delivery's state as a column word (its own context: a delivery is «отправлено», not the
    verb «отправил» of an alert's sentence)."""
    words = {
        "sent": pgettext_("delivery", "sent"),
        "failed": pgettext_("delivery", "failed"),
        "would send": pgettext_("delivery", "would send"),
    }
    return words.get(status, status)


def event_word(event: str) -> str:
    """An alert's event as a column word (its own context: the start and the end of an incident,
    «начало», «конец», not a verb)."""
    words = {
        "opened": pgettext_("event", "opened"),
        "resolved": pgettext_("event", "resolved"),
        "breached": pgettext_("event", "breached"),
    }
    return words.get(event, event)


def facts_text(payload: dict[str, Any]) -> str:
    """A digest's alerts one per line for an e-mail, in the current language: the kind, the login,
    the days, the figure and the usual one."""
    lines = []
    for a in payload.get("alerts", [payload]):
        days = i18n.format_day(a.get("first_day"))
        if a.get("last_day") and a.get("last_day") != a.get("first_day"):
            days += " – " + i18n.format_day(a.get("last_day"))
        event = event_word(str(a.get("event", "opened")))
        kind = _(KIND_WORDS.get(str(a.get("kind")), str(a.get("kind"))))
        state = _("ongoing") if a.get("ongoing") else _("over")
        places = 0 if a.get("metric") == "sms" else 2
        figures = _("value {value}").format(value=i18n.format_number(a.get("value", 0), places))
        if a.get("baseline") is not None:
            figures += ", " + _("usual {value}").format(value=i18n.format_number(a["baseline"], places))
        if a.get("limit") is not None:
            figures += ", " + _("limit {value}").format(value=i18n.format_number(a["limit"], places))
        who = f"{a['account']}/{a.get('login')}" if a.get("account") else str(a.get("login"))
        currency = i18n.currency_name(str(a["currency"])) if a.get("currency") else ""
        lines.append(f"{event} · {kind} · {who} · {days} · {state} · {figures} {currency}".rstrip())
    return "\n".join(lines)


def _month(day: dt.date) -> str:
    """``March 2024``, ``март 2024``."""
    if i18n.current() == "en":
        return f"{day:%B %Y}"
    from babel.dates import format_date

    return str(format_date(day, "LLLL yyyy", locale=i18n.BABEL[i18n.current()]))


#: A budget alert's sentence, per period and per completeness of that period.
BUDGET_TEXT = {
    ("day", True): N_("Budget: {who} ({service}) {verb} {amount} on {period}, over the daily limit of {limit}."),
    ("day", False): N_(
        "Budget: {who} ({service}) {verb} {amount} on {period} so far, over the daily limit of {limit}."
    ),
    ("month", True): N_("Budget: {who} ({service}) {verb} {amount} in {period}, over the monthly limit of {limit}."),
    ("month", False): N_(
        "Budget: {who} ({service}) {verb} {amount} in {period} so far, over the monthly limit of {limit}."
    ),
}


def budget_text(row: Any, budget: Budget, service: str) -> str:
    """The budget alert's sentence, in the current language."""
    who = _("the account") if row.login == ACCOUNT else row.login
    day = pd.Timestamp(row.period_start).date()
    daily = budget.freq == "D"
    period = i18n.format_day(day) if daily else _month(day)
    template = BUDGET_TEXT[("day" if daily else "month", bool(row.complete))]
    return _(template).format(
        who=who,
        service=service,
        verb=_("sent") if budget.metric == "sms" else _("spent"),
        amount=_amount(row.value, budget.metric, row.currency),
        period=period,
        limit=_amount(budget.limit, budget.metric, row.currency),
    )
