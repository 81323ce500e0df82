"""What alerts watch and where they go: budgets (usage triggers), named channels, and the rules
file that holds both (TOML), checked before anything is sent. :mod:`smsstats_nb.alerts._check` uses them.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any

from ..analysis import COUNTRIES, budget_period
from ..core import REMOVED_IN, Environment, QueryError, said
from ._channels import TELEGRAM_API, Channel, EmailChannel, TelegramChannel, WebhookChannel

__all__ = ["Budget", "Mute", "Rules", "channels_from", "load_rules"]


@dataclass(frozen=True)
class Budget:
    """A Twilio-style usage trigger: ``metric`` over ``limit`` per day (``freq="D"``) or calendar
    month (``freq="MS"``), for one login (or the whole account), sent to the named channels (None:
    the default ones). ``per="day"``/``"month"``, the 0.1 spelling, still works in 0.2."""

    limit: float
    freq: str = "D"
    metric: str = "credit"
    login: str | None = None
    channels: tuple[str, ...] | None = None
    per: InitVar[str | None] = None

    def __post_init__(self, per: str | None) -> None:
        if per is not None:
            warnings.warn(
                f"Budget(per=...) is now Budget(freq='D' or 'MS'); the old name goes in {REMOVED_IN}",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "freq", per)
        if isinstance(self.limit, bool) or not isinstance(self.limit, (int, float)) or self.limit < 0:
            raise said(QueryError, "a budget's limit must be a number >= 0, not {limit}", limit=repr(self.limit))
        object.__setattr__(self, "freq", {"day": "D", "month": "MS", "M": "MS"}.get(self.freq, self.freq))
        budget_period(self.freq)  # "D" or "MS", else a QueryError
        if self.metric not in ("credit", "sms"):
            raise said(
                QueryError, "a budget's metric must be 'credit' or 'sms', not {metric}", metric=repr(self.metric)
            )


@dataclass(frozen=True)
class Rules:
    """What to watch and where to send it.

    Attributes:
        metric: the figure incidents are judged on (``credit`` or ``sms``).
        threshold: the incidents' robust score threshold.
        budgets: the usage triggers.
        channels: named channel sets (from a rules file).
        incident_channels: the names incidents go to (None: the default channels).
        country: the production calendar the days are judged by (``"RU"`` by default; ``"KZ"``,
            ``"UA"``, ``"BY"``, ``"UZ"``, or None for the plain week).
        mutes: the known pauses (:class:`Mute`).
    """

    metric: str = "credit"
    threshold: float = 5.0
    budgets: tuple[Budget, ...] = ()
    channels: Mapping[str, tuple[Channel, ...]] = field(default_factory=dict)
    incident_channels: tuple[str, ...] | None = None
    country: str | None = "RU"
    mutes: tuple[Mute, ...] = ()


@dataclass(frozen=True)
class Mute:
    """A known pause: ``login``'s alerts (None: every login's) are held back through ``until``.
    An incident that lies within the pause is never sent; one that outlasts it is sent when it does
    (a login still silent the day after its planned pause is news)."""

    until: dt.date
    login: str | None = None

    def covers(self, login: str, first: dt.date, last: dt.date) -> bool:
        """Whether an alert of ``login`` about the days ``first`` to ``last`` is held back."""
        return (self.login is None or self.login == login) and last <= self.until


def channels_from(
    *,
    webhooks: Sequence[str] = (),
    emails: Sequence[str] = (),
    smtp: str | None = None,
    telegram_chats: Sequence[str] = (),
    env: Environment | None = None,
    sleep: Callable[[float], None] | None = None,
) -> list[Channel]:
    """The channels of these addresses (the command line's options, a rules file's channel), secrets
    from the environment:
    ``SMSSTATS_WEBHOOK_SECRET`` (signs webhooks), ``SMSSTATS_SMTP_USER``/``_PASSWORD``/``_FROM``,
    ``SMSSTATS_TELEGRAM_TOKEN`` and ``SMSSTATS_TELEGRAM_API``."""
    env = env or Environment.read()
    pause: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    out: list[Channel] = [WebhookChannel(url, secret=env.webhook_secret, **pause) for url in webhooks]
    if emails:
        if not smtp:
            raise said(
                QueryError, "e-mail alerts need an SMTP server: smtp://host:port (or smtps:// or smtp+starttls://)"
            )
        # each recipient is its own delivery: one refused address never keeps the others waiting,
        # and never hides that it got nothing
        out.extend(
            EmailChannel(
                [address],
                smtp,
                user=env.smtp_user,
                password=env.smtp_password,
                sender=env.smtp_from or "smsstats@localhost",
            )
            for address in emails
        )
    elif smtp:
        raise said(QueryError, "an SMTP server is given without e-mail addresses: say who gets the message")
    for chat in telegram_chats:
        if not env.telegram_token:
            raise said(QueryError, "Telegram alerts need the bot's token in SMSSTATS_TELEGRAM_TOKEN")
        api = env.telegram_api or TELEGRAM_API
        out.append(TelegramChannel(chat, env.telegram_token, api_base=api, **pause))
    return out


def load_rules(path: str | os.PathLike[str], *, env: Environment | None = None) -> Rules:
    """Read a rules file (TOML)::

        metric = "credit"           # incidents on spend (or "sms")
        incident_channels = ["ops"] # where incidents go (default: the command line's channels)

        country = "RU"              # the production calendar ("KZ", "UA", "BY", "UZ", "none")

        [[mute]]
        login = "shop"              # omit for every login
        until = 2025-01-12          # its alerts are held back through this day

        [[budget]]
        login = "shop"              # omit for the whole account
        per = "day"                 # or "month"
        limit = 5000
        metric = "credit"           # or "sms"
        channels = ["finance"]

        [channels.ops]
        webhook_env = "OPS_WEBHOOK_URL"   # the URL (often a token) from the environment
        telegram_chat = "-100123456"
        [channels.finance]
        email = ["finance@example.com"]
        smtp = "smtp+starttls://mail.example.com:587"

    ``webhook = "https://…"`` works too, but keeps the URL in the file. Raises QueryError naming
    the file and the problem.
    """
    target = Path(path).expanduser()
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise said(QueryError, "no rules file {value}", value=repr(str(target))) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise said(QueryError, "the rules file {name} cannot be read: {exc}", name=repr(target.name), exc=exc) from None
    known = {"metric", "threshold", "budget", "channels", "incident_channels", "country", "mute"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise said(
            QueryError,
            "{name}: unknown settings {choices} (known: {choices2})",
            name=target.name,
            choices=", ".join(unknown),
            choices2=", ".join(sorted(known)),
        )
    env = env or Environment.read()
    named: dict[str, tuple[Channel, ...]] = {}
    for name, spec in dict(data.get("channels", {})).items():
        if not isinstance(spec, dict):
            raise said(QueryError, "{name}: [channels.{name2}] must be a table", name=target.name, name2=name)
        hooks = [spec["webhook"]] if "webhook" in spec else []
        if "webhook_env" in spec:
            url = Environment.variable(str(spec["webhook_env"]))
            if not url:
                raise said(
                    QueryError,
                    "{name}: [channels.{name2}] names {value}, which is not set",
                    name=target.name,
                    name2=name,
                    value=spec["webhook_env"],
                )
            hooks.append(url)
        emails = spec.get("email", [])
        emails = [emails] if isinstance(emails, str) else list(emails)
        chats = spec.get("telegram_chat", [])
        chats = [chats] if isinstance(chats, (str, int)) else list(chats)
        try:
            named[str(name)] = tuple(
                channels_from(
                    webhooks=hooks,
                    emails=emails,
                    smtp=spec.get("smtp"),
                    telegram_chats=[str(c) for c in chats],
                    env=env,
                )
            )
        except QueryError as exc:
            raise said(QueryError, "{name}: [channels.{name2}]: {exc}", name=target.name, name2=name, exc=exc) from None

    def names(value: object, where: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        listed = [value] if isinstance(value, str) else value
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise said(QueryError, "{name}: {where} must be a list of channel names", name=target.name, where=where)
        missing = [v for v in listed if v not in named]
        if missing:
            raise said(
                QueryError,
                "{name}: {where} names unknown channel(s) {choices}",
                name=target.name,
                where=where,
                choices=", ".join(missing),
            )
        return tuple(listed)

    budgets = []
    for i, spec in enumerate(data.get("budget", []), 1):
        if not isinstance(spec, dict) or "limit" not in spec:
            raise said(QueryError, "{name}: budget {i} needs a limit", name=target.name, i=i)
        try:
            budgets.append(
                Budget(
                    limit=spec["limit"],
                    freq=str(spec.get("freq", spec.get("per", "D"))),
                    metric=spec.get("metric", "credit"),
                    login=spec.get("login"),
                    channels=names(spec.get("channels"), f"budget {i}'s channels"),
                )
            )
        except QueryError as exc:
            raise said(QueryError, "{name}: budget {i}: {exc}", name=target.name, i=i, exc=exc) from None
    metric = data.get("metric", "credit")
    if metric not in ("credit", "sms"):
        raise said(
            QueryError, "{name}: metric must be 'credit' or 'sms', not {metric}", name=target.name, metric=repr(metric)
        )
    threshold = data.get("threshold", 5.0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 0:
        raise said(QueryError, "{name}: threshold must be a positive number", name=target.name)
    country = data.get("country", "RU")
    if country not in COUNTRIES and country != "none":
        raise said(
            QueryError,
            '{name}: country must be one of {choices} or "none", not {country}',
            name=target.name,
            choices=", ".join(COUNTRIES),
            country=repr(country),
        )
    mutes = []
    for i, spec in enumerate(data.get("mute", []), 1):
        until = spec.get("until") if isinstance(spec, dict) else None
        if not isinstance(until, dt.date) or isinstance(until, dt.datetime):
            raise said(QueryError, "{name}: mute {i} needs until = YYYY-MM-DD (a date)", name=target.name, i=i)
        login = spec.get("login")
        if login is not None and not isinstance(login, str):
            raise said(QueryError, "{name}: mute {i}: login must be a text", name=target.name, i=i)
        mutes.append(Mute(until, login))
    return Rules(
        metric=metric,
        threshold=float(threshold),
        budgets=tuple(budgets),
        channels=named,
        incident_channels=names(data.get("incident_channels"), "incident_channels"),
        country=None if country == "none" else str(country),
        mutes=tuple(mutes),
    )
