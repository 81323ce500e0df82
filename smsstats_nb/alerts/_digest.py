"""One message per channel per check: the digest (Prometheus Alertmanager's model: group, then one
notification per group).

A check gathers every alert a channel has not had yet, and sends them as **one** message: its text
groups the alerts by event, kind and day ("Drop on 30.12.2024, 85 logins, a non-working day:
…"), the worst group first, at most :data:`MAX_LINES` lines and the count of the rest; its payload
keeps every alert, whole, in a list (``alerts``). A login whose incident ended and which opens a
new one in the same check is one line: the new incident, saying the old one is over. The digest's
id is a hash of its alerts' ids: the same digest, sent again after a failure, has the same id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import i18n, printable
from ..core.i18n import N_, ngettext
from ..core.i18n import gettext_ as _
from ._messages import KIND_WORDS, Alert

__all__ = ["MAX_LINES", "MAX_NAMES", "Digest"]

#: The most lines a digest's text holds (the rest is counted, and whole in the payload).
MAX_LINES = 12
#: The most logins a grouped line names.
MAX_NAMES = 5

#: How bad each kind is, worst first (a tie is broken by how many logins and how much money).
_SEVERITY = {"spike": 0, "price": 1, "silent": 2, "budget": 3, "drop": 4, "level": 5, "currency": 6, "new": 7}

#: A grouped line's head, per kind (the day and the logins follow).
TITLES = {
    "spike": N_("Spike"),
    "price": N_("Price rise"),
    "silent": N_("Silent"),
    "drop": N_("Drop"),
    "level": N_("Lasting shift"),
    "currency": N_("Moved to another currency"),
    "new": N_("New series"),
    "budget": N_("Budget"),
}


@dataclass(frozen=True)
class Digest:
    """The alerts one channel gets from one check, as one message."""

    alerts: tuple[Alert, ...]
    working: Callable[[dt.date], bool] | None = None  # the production calendar's word on a day

    @property
    def message_id(self) -> str:
        """A hash of the alerts' ids: the same for the same alerts, on any machine."""
        ids = sorted(a.message_id for a in self.alerts)
        if len(ids) == 1:
            return ids[0]
        return hashlib.sha256("|".join(ids).encode()).hexdigest()[:32]

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON fields: ``id``, ``count`` and every alert in ``alerts``."""
        return {"id": self.message_id, "count": len(self.alerts), "alerts": [a.payload() for a in self.alerts]}

    @property
    def subject(self) -> str:
        if len(self.alerts) == 1:
            return self.alerts[0].subject
        kinds: dict[str, int] = {}
        for a in self.alerts:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        parts = ", ".join(f"{_(KIND_WORDS.get(k, k))} {n}" for k, n in sorted(kinds.items(), key=_worst_kind))
        return ngettext("[smsstats] {n} alert: {kinds}", "[smsstats] {n} alerts: {kinds}", len(self.alerts)).format(
            n=len(self.alerts), kinds=parts
        )

    @property
    def text(self) -> str:
        """The message a person reads: grouped, worst first, capped."""
        opened = {(a.account, a.login, a.currency) for a in self.alerts if a.event == "opened" and a.kind != "budget"}
        folded = {
            (a.account, a.login, a.currency): a
            for a in self.alerts
            if a.event == "resolved" and (a.account, a.login, a.currency) in opened
        }
        shown = [a for a in self.alerts if not (a.event == "resolved" and (a.account, a.login, a.currency) in folded)]
        groups: dict[tuple[str, str, dt.date], list[Alert]] = {}
        for a in shown:
            groups.setdefault((a.event, a.kind, a.first_day), []).append(a)
        ordered = sorted(groups.values(), key=_badness)
        lines = [self._line(g, folded) for g in ordered[:MAX_LINES]]
        rest = sum(len(g) for g in ordered[MAX_LINES:])
        if rest:
            lines.append(
                ngettext(
                    "… and {n} more alert (all of them are in the webhook's payload).",
                    "… and {n} more alerts (all of them are in the webhook's payload).",
                    rest,
                ).format(n=rest)
            )
        return "\n".join(lines)

    def _line(self, group: Sequence[Alert], folded: dict[tuple[str | None, str, str], Alert]) -> str:
        if len(group) == 1:
            alert = group[0]
            before = folded.get((alert.account, alert.login, alert.currency))
            if before is None or alert.event != "opened":
                return alert.text
            over = _("(its {kind} from {first} is over)").format(
                kind=_(KIND_WORDS.get(before.kind, before.kind)), first=i18n.format_day(before.first_day)
            )
            return f"{alert.text} {over}"
        first = group[0]
        names = sorted({_who(a) for a in group})
        shown = ", ".join(names[:MAX_NAMES])
        if len(names) > MAX_NAMES:
            shown += " " + _("and {n} more").format(n=len(names) - MAX_NAMES)
        count = ngettext("{n} login", "{n} logins", len(names)).format(n=len(names))
        if self.working is not None and first.kind != "budget" and not self.working(first.first_day):
            count += ", " + _("a non-working day")
        head = _(TITLES.get(first.kind, first.kind))
        if first.event == "resolved":
            return _("Over: {what} from {day}, {count}: {names}.").format(
                what=head.lower() if i18n.current() == "en" else head,
                day=i18n.format_day(first.first_day),
                count=count,
                names=shown,
            )
        return _("{what} on {day}, {count}: {names}.").format(
            what=head, day=i18n.format_day(first.first_day), count=count, names=shown
        )


def _who(alert: Alert) -> str:
    from ..analysis import ACCOUNT

    name = _("all logins") if alert.login == ACCOUNT else printable(alert.login)  # the account's own line
    return f"{alert.account}/{name}" if alert.account else name


def _worst_kind(item: tuple[str, int]) -> tuple[int, int]:
    return (_SEVERITY.get(item[0], 9), -item[1])


def _badness(group: list[Alert]) -> tuple[int, int, int, float]:
    """Opened before resolved; then the worse kind, the more logins, the more money off."""
    first = group[0]
    off = sum(abs(a.value - (a.baseline or 0.0)) for a in group)
    return (first.event == "resolved", _SEVERITY.get(first.kind, 9), -len(group), -off)
