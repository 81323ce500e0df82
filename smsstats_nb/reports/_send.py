"""A report sent once per period to each channel, never lost: the alerts' claim-and-mark.

Each (report, channel) has a key in the store's alert log (the SQLite state, or the team's Redis):
:func:`pending` says which channels still lack the report **before anything is fetched** (an hourly
cron line spends nothing once the week's report went out), :func:`send_report` claims each key
before the send and marks it after; a failure releases it, so the next run sends it again. Two
machines on one Redis: one claims, the other sees the claim and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..alerts import Channel, ChannelError, RichMessage, claim_owner, rich_email
from ..core import i18n
from ..core.i18n import gettext_ as _
from ..store import Store

__all__ = ["CLAIM_SECONDS", "ReportDelivery", "pending", "report_key", "send_report", "write_dry_run"]

logger = logging.getLogger(__name__)

#: Seconds a sender's claim on a report lasts (a sender that dies mid-send frees it after this).
CLAIM_SECONDS = 600.0


@dataclass(frozen=True)
class ReportDelivery:
    """What happened to a report on one channel: ``sent``, ``already`` (sent before, or being sent
    by another machine right now), ``failed`` (sent by the next run) or ``would send``."""

    channel: str
    status: str
    error: str | None = None

    def __str__(self) -> str:
        words = {
            "sent": _("report sent → {channel}"),
            "already": _("report already sent → {channel}"),
            "failed": _("report not delivered → {channel}: {error}"),
            "would send": _("report would be sent → {channel}"),
        }
        return words[self.status].format(channel=self.channel, error=self.error or "")


def report_key(ident: str, channel: Channel) -> str:
    """The alert log's key of a report on a channel."""
    return f"{ident}|{channel.key}"


def _unique(channels: Iterable[Channel]) -> list[Channel]:
    seen: dict[str, Channel] = {}
    for channel in channels:
        seen.setdefault(channel.key, channel)
    return list(seen.values())


def pending(store: Store, ident: str, channels: Sequence[Channel]) -> list[Channel]:
    """The channels that have not had the report ``ident`` yet (sends and fetches nothing)."""
    unique = _unique(channels)
    with store.errors():
        done = store.alerts.sent([report_key(ident, c) for c in unique])
    return [c for c in unique if report_key(ident, c) not in done]


def send_report(store: Store, ident: str, message: RichMessage, channels: Sequence[Channel]) -> list[ReportDelivery]:
    """Send ``message`` to each channel that has not had the report ``ident``: claimed before,
    marked after, released on a failure (the next run sends it). One channel's failure never
    keeps the others from theirs."""
    owner = claim_owner()
    out: list[ReportDelivery] = []
    for channel in _unique(channels):
        key = report_key(ident, channel)
        with store.errors():
            if store.alerts.sent([key]) or not store.alerts.claim(key, owner, CLAIM_SECONDS):
                out.append(ReportDelivery(channel.name, "already"))
                continue
        try:
            channel.send_rich(message)
        except Exception as exc:  # noqa: BLE001 - any failure of one channel: the others still go
            with store.errors():
                store.alerts.release(key, owner)
            why = i18n.localized(exc) if isinstance(exc, ChannelError) else type(exc).__name__
            out.append(ReportDelivery(channel.name, "failed", why.removeprefix(f"{channel.name}: ")))
            logger.warning("report not delivered: %s", why)
            continue
        except BaseException:  # Ctrl-C mid-send: free the claim, then stop
            with store.errors():
                store.alerts.release(key, owner)
            raise
        with store.errors():
            store.alerts.done(key, owner)
        out.append(ReportDelivery(channel.name, "sent"))
    return out


def write_dry_run(message: RichMessage, folder: Path, *, sender: str, to: Sequence[str]) -> list[Path]:
    """The report as files and nothing sent: the e-mail as ``report.eml`` (exactly what SMTP would
    carry), the chart, the workbook, the text and the webhook's JSON."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    eml = folder / "report.eml"
    eml.write_bytes(bytes(rich_email(message, sender, list(to) or ["report@localhost"])))
    written.append(eml)
    for file in (*([message.chart] if message.chart else []), *message.files):
        path = folder / file.name
        path.write_bytes(file.data)
        written.append(path)
    text = folder / "report.txt"
    text.write_text(message.text, encoding="utf-8")
    payload = folder / "report.json"
    payload.write_text(
        json.dumps(
            {"id": message.id, **message.payload, "text": message.text}, ensure_ascii=False, indent=2, default=str
        ),
        encoding="utf-8",
    )
    written += [text, payload]
    return written
