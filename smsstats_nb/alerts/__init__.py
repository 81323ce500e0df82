"""Alerts that reach people: the rules file (``_rules``), the channels (``_channels``: webhook, e-mail,
Telegram), the messages (``_messages``), the digest that carries them, one per channel per check
(``_digest``), and the check that sends each once (``_check``)."""

from __future__ import annotations

from ._channels import (
    SIGNATURE_HEADER,
    Channel,
    ChannelError,
    EmailChannel,
    File,
    RichMessage,
    TelegramChannel,
    WebhookChannel,
    rich_email,
)
from ._check import HISTORY_DAYS, CheckReport, Delivery, check, claim_owner
from ._digest import Digest
from ._messages import Alert, incident_text
from ._rules import (
    Budget,
    Mute,
    Rules,
    channels_from,
    load_rules,
)

__all__ = [
    "HISTORY_DAYS",
    "SIGNATURE_HEADER",
    "Alert",
    "Budget",
    "Channel",
    "ChannelError",
    "CheckReport",
    "Delivery",
    "Digest",
    "EmailChannel",
    "File",
    "Mute",
    "RichMessage",
    "Rules",
    "TelegramChannel",
    "WebhookChannel",
    "channels_from",
    "check",
    "claim_owner",
    "incident_text",
    "load_rules",
    "rich_email",
]
