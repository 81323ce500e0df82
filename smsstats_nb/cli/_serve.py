"""The dashboard always on, for colleagues: Voilà serving the app and nothing else, behind a token
or a password (Jupyter server's own identity provider).

What the page can reach: the app (one notebook, its cells run by Voilà, never shown), its
widgets' messages to its own kernel (Voilà lets a page's kernel take only ``comm_*``,
``kernel_info_request`` and ``shutdown_request``: no ``execute_request``, so no code from the page),
Voilà's static files. What it cannot: a notebook tree, a terminal, the contents API, a file of the
server (no file is allow-listed), another kernel. Every page needs the token (``?token=`` once,
then a cookie) or the password. The SMSC password stays in the server's environment or keyring:
the page never asks for it and is never sent it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import Environment, QueryError, said

__all__ = ["APP", "ServeOptions", "new_token", "serve", "served_credentials_problem"]

#: The app Voilà serves: one cell, ``dashboard()`` (a file of the dashboard package, found by its
#: path: the terminal and the page are sibling layers, neither imports the other).
APP = Path(__file__).resolve().parents[1] / "dashboard" / "app" / "dashboard.ipynb"


@dataclass(frozen=True)
class ServeOptions:
    """Where and how the page is served."""

    host: str = "127.0.0.1"
    port: int = 8866
    base_url: str = "/"
    token: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)
    account: str | None = None
    idle_minutes: int = 30

    def check(self) -> None:
        """Refuse what would serve the page open, or nowhere."""
        if not 1 <= self.port <= 65535:
            raise said(QueryError, "--port must be 1-65535, not {port}", port=self.port)
        if not self.base_url.startswith("/") or not self.base_url.endswith("/"):
            raise said(QueryError, "--base-url must start and end with '/', not {value}", value=repr(self.base_url))
        if self.token is not None and len(self.token) < 16:
            raise said(
                QueryError, "SMSSTATS_DASHBOARD_TOKEN must be at least 16 characters (a guessable token is no lock)"
            )

    def config(self) -> Any:
        """The traitlets config of the Voilà server (the token here, never in a process's argv)."""
        from traitlets.config import Config

        cfg = Config()
        cfg.Voila.ip = self.host
        cfg.Voila.port = self.port
        cfg.Voila.base_url = self.base_url
        cfg.Voila.open_browser = False
        cfg.Voila.token = self.token or ""
        if self.password_hash:
            cfg.PasswordIdentityProvider.hashed_password = self.password_hash
        cfg.VoilaConfiguration.file_allowlist = []  # no file of the server is served
        cfg.VoilaConfiguration.show_tracebacks = False  # an error is a line, never the code
        cfg.MappingKernelManager.cull_interval = 60
        cfg.MappingKernelManager.cull_idle_timeout = self.idle_minutes * 60
        cfg.MappingKernelManager.cull_connected = False  # an open tab keeps its page
        return cfg


def new_token() -> str:
    """A token for one run of the server (printed once, as Jupyter does)."""
    return secrets.token_urlsafe(24)


def serve(options: ServeOptions) -> None:  # pragma: no cover - runs until stopped; tested as a process
    """Serve the app with Voilà until stopped. The kernels inherit this process's environment
    (the SMSC credentials) with the dashboard's token removed; ``SMSSTATS_SERVED`` tells the page
    it is served (it never asks for an SMSC password)."""
    from voila.app import Voila

    options.check()
    if not options.token and not options.password_hash:
        raise said(QueryError, "the served dashboard needs a token or a password")
    handed = {"SMSSTATS_SERVED": "1", **({"SMSSTATS_DASHBOARD_ACCOUNT": options.account} if options.account else {})}
    Environment.hand_down(handed, drop=("SMSSTATS_DASHBOARD_TOKEN", "SMSSTATS_DASHBOARD_PASSWORD_HASH"))
    app = Voila(config=options.config())
    app.initialize([str(APP)])
    app.start()


def served_credentials_problem(env: Environment, account: str | None) -> str | None:
    """Why a served page could not reach SMSC without asking for a password (None: it can; with
    no login at all it shows the demo)."""
    if account:
        from ..client import resolve_names

        (acc,) = resolve_names([account])
        _login, psw, apikey = acc.credentials()
        return None if psw or apikey else "no secret"
    if env.login and not (env.psw or env.apikey):
        return "SMSC_LOGIN is set but SMSC_PASSWORD (or SMSC_APIKEY) is not"
    return None
