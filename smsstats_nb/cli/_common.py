"""What every ``smsstats`` command shares: printing, the password prompt, the wait line, the
question before a long run, and the client built from the command line and the environment.

The password comes from ``$SMSC_PASSWORD`` or a prompt on the terminal, never from an argument.
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import sys
from typing import TYPE_CHECKING, Any

from ..core import (
    AuthError,
    Environment,
    FlagWords,
    IPBlockedError,
    QueryError,
    RateLimitError,
    ResponseFormatError,
    Settings,
    SmscError,
    SmsStatsError,
    SyncLeaseError,
    TransportError,
    said,
    writable,
)
from ..core.i18n import gettext_ as _
from ..core.i18n import ngettext

if TYPE_CHECKING:
    from ..client import StatsClient

__all__ = [
    "EXIT_CODES",
    "Declined",
    "WaitLine",
    "account_failed",
    "client_for",
    "confirm",
    "err",
    "error_words",
    "exit_code",
    "flags_of",
    "out",
    "password",
]

#: Exit code per error family (checked in this order).
EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (QueryError, 2),
    (AuthError, 3),
    (IPBlockedError, 3),
    (RateLimitError, 4),
    (SmscError, 5),
    (ResponseFormatError, 6),
    (TransportError, 7),
    (SyncLeaseError, 8),
    # 9: `alerts check` sent not every message (they are sent at the next check)
    (SmsStatsError, 1),
]


def exit_code(exc: BaseException) -> int:
    """The exit code of an error (its family's, see :data:`EXIT_CODES`)."""
    return next((code for cls, code in EXIT_CODES if isinstance(exc, cls)), 1)


class Declined(Exception):  # noqa: N818 - a person's answer, not an error
    """The person answered no to "Continue?": nothing was sent, and that is a clean exit."""


def out(text: str = "") -> None:
    """A line on stdout (the one place the package prints results), in what the terminal's
    encoding can write (a KOI8-R terminal gets ``RUB`` for ``₽``, never a UnicodeEncodeError)."""
    print(writable(text, getattr(sys.stdout, "encoding", None)))


def err(text: str) -> None:
    """A line on stderr, likewise."""
    print(writable(text, getattr(sys.stderr, "encoding", None)), file=sys.stderr)


def error_words(exc: BaseException) -> str:
    """An error as a terminal line says it: its sentence in the person's language, words first
    (``start 10.02.2024 is after end 01.02.2024``), never a class name; an error from outside the
    package (a bug, a library) keeps its class name, which is then the useful part."""
    from ..core import SmsStatsError
    from ..output import error_sentence

    if isinstance(exc, SmsStatsError):
        return error_sentence(exc)
    return f"{type(exc).__name__}: {error_sentence(exc)}"


def account_failed(name: str, exc: BaseException, prefix: str = "smsstats: ") -> None:
    """One stderr line for an account that failed while the others went on."""
    err(prefix + _("account {name}: {error}").format(name=name, error=error_words(exc)))


def password(login: str | None, env: Environment | None = None) -> str | None:
    """``$SMSC_PASSWORD``, else a prompt on the terminal (never an argument)."""
    env = env or Environment.read()
    if env.psw:
        return env.psw
    if not sys.stdin.isatty():
        raise said(QueryError, "no password: set SMSC_PASSWORD (or SMSC_APIKEY); there is no terminal to prompt on")
    return getpass.getpass(_("SMSC password for {login}: ").format(login=login or env.login or "?")) or None


class WaitLine:
    """On a terminal, one stderr line that says how far a fetch is and what the rate limit makes it
    wait for (``3/4 periods done, 1 to go; next in 52 s; about 52 s left; limit 3 per 60 s``),
    fitted to the terminal's width so it never wraps into a garbled second line."""

    def __init__(self, limit: tuple[int, float], eta: Any = None) -> None:
        self.enabled = sys.stderr.isatty()
        self.limit = _("limit {count} per {per} s").format(count=limit[0], per=f"{limit[1]:g}")
        self.eta = eta  # eta(requests) -> seconds, for the time left
        self.done_count = 0
        self.total = 0
        self.fetched_left = 0
        self.shown = ""

    def progress(self, done: int, total: int, from_cache: bool) -> None:
        """``on_period``: one more period done."""
        self.done_count, self.total = done, total
        self._draw(None)

    def __call__(self, seconds: float) -> None:
        """``on_wait``: seconds until the next request may go."""
        self._draw(seconds)

    def _draw(self, seconds: float | None) -> None:
        if not self.enabled:
            return
        from ..core.i18n import format_duration

        parts = []
        if self.total:
            parts.append(
                ngettext(
                    "{done}/{total} periods done, {left} to go", "{done}/{total} periods done, {left} to go", self.total
                ).format(done=self.done_count, total=self.total, left=self.total - self.done_count)
            )
        if seconds is not None:
            parts.append(_("next in {seconds} s").format(seconds=max(1, round(seconds))))
            if self.eta is not None and self.total:
                left = self.eta(self.total - self.done_count)
                if left >= 1:
                    parts.append(_("about {eta} left").format(eta=format_duration(left)))
            parts.append(self.limit)
        width = shutil.get_terminal_size((80, 24)).columns - 1
        while len(parts) > 1 and len("; ".join(parts)) > width:
            parts.pop()  # the least useful part goes first; the line never wraps
        text = "; ".join(parts)[:width]
        if text != self.shown:
            sys.stderr.write("\r" + text.ljust(len(self.shown)))
            sys.stderr.flush()
            self.shown = text

    def done(self) -> None:
        """Clear the line."""
        if self.enabled and self.shown:
            sys.stderr.write("\r" + " " * len(self.shown) + "\r")
            sys.stderr.flush()
        self.shown = ""


def confirm(question: str, assume_yes: bool) -> None:
    """Ask on a terminal; without one (and without --yes) refuse, so nothing long starts unasked."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise said(QueryError, "{question}; pass --yes to run it without a terminal to ask on", question=question)
    answer = input(_("{question}. Continue? [y/N] ").format(question=question)).strip().lower()
    if answer not in ("y", "yes", _("y"), _("yes")):
        raise Declined(question)


def client_for(a: argparse.Namespace, **options: Any) -> StatsClient:
    """A StatsClient from --login/--base-url and the environment (``options``: more settings),
    with the settings checked before the password is asked for."""
    from ..client import StatsClient  # here: `smsstats --help` stays fast

    env = Environment.read()
    named = list(getattr(a, "account", None) or [])
    if named:  # one named account: its login, server and secret (several go through multi)
        if getattr(a, "login", None):
            raise said(QueryError, "--account takes the login from the accounts file: give no --login")
        return StatsClient.from_account(named[0], **({"base_url": a.base_url} if a.base_url else {}), **options)
    settings = Settings.from_env(env, base_url=a.base_url, **options)
    login = a.login or env.login
    apikey = env.apikey if not login else None
    if not login and not apikey:
        raise said(QueryError, "no SMSC login: use --login LOGIN or set SMSC_LOGIN (or SMSC_APIKEY)")
    psw = None if apikey else password(login, env)
    return StatsClient(login, psw, apikey=apikey, settings=settings)


def flags_of(a: argparse.Namespace) -> FlagWords:
    """The question's flags as the command line gave them (``--mycur``, ``--balance2``, ``--fmt``),
    as the keywords of the public functions."""
    return {"mycur": bool(a.mycur), "balance2": bool(a.balance2), "fmt": int(a.fmt)}
