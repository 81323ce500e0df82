"""What every ``smsstats`` command shares: printing, the password prompt, the wait line, the
question before a long run, and the client built from the command line and the environment.

The password comes from ``$SMSC_PASSWORD`` or a prompt on the terminal, never from an argument.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from .errors import QueryError
from .settings import Environment, Settings

if TYPE_CHECKING:
    from .client import StatsClient

__all__ = ["WaitLine", "client_for", "confirm", "err", "out", "password"]


def out(text: str = "") -> None:
    """A line on stdout (the one place the package prints results)."""
    print(text)


def err(text: str) -> None:
    """A line on stderr."""
    print(text, file=sys.stderr)


def password(login: str | None, env: Environment | None = None) -> str | None:
    """``$SMSC_PASSWORD``, else a prompt on the terminal (never an argument)."""
    env = env or Environment.read()
    if env.psw:
        return env.psw
    if not sys.stdin.isatty():
        raise QueryError("no password: set SMSC_PASSWORD (or SMSC_APIKEY); there is no terminal to prompt on")
    return getpass.getpass(f"SMSC password for {login or env.login or '?'}: ") or None


class WaitLine:
    """On a terminal, one stderr line that says what the rate limit makes us wait for."""

    def __init__(self, limit: tuple[int, float]) -> None:
        self.enabled = sys.stderr.isatty()
        self.text = f"rate limit: {limit[0]} requests per {limit[1]:g} s"
        self.shown = -1

    def __call__(self, seconds: float) -> None:
        if not self.enabled:
            return
        left = max(1, round(seconds))
        if left != self.shown:
            self.shown = left
            sys.stderr.write(f"\r{self.text}; next in {left} s   ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.shown >= 0:
            sys.stderr.write("\r" + " " * (len(self.text) + 20) + "\r")
            sys.stderr.flush()
        self.shown = -1


def confirm(question: str, assume_yes: bool) -> None:
    """Ask on a terminal; without one (and without --yes) refuse, so nothing long starts unasked."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise QueryError(f"{question}; pass --yes to run it without a terminal to ask on")
    answer = input(f"{question}. Continue? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise KeyboardInterrupt


def client_for(a: argparse.Namespace, **options: Any) -> StatsClient:
    """A StatsClient from --login/--base-url and the environment (``options``: more settings),
    with the settings checked before the password is asked for."""
    from .client import StatsClient  # here: `smsstats --help` stays fast

    env = Environment.read()
    settings = Settings.from_env(env, base_url=a.base_url, **options)
    login = a.login or env.login
    apikey = env.apikey if not login else None
    if not login and not apikey:
        raise QueryError("no SMSC login: use --login LOGIN or set SMSC_LOGIN (or SMSC_APIKEY)")
    psw = None if apikey else password(login, env)
    return StatsClient.with_settings(settings, login, psw, apikey=apikey)
