"""``smsstats dashboard --serve``: the dashboard always on for colleagues, behind a token or a password.

The token comes from ``SMSSTATS_DASHBOARD_TOKEN`` (a systemd ``EnvironmentFile``), or is made for
this run and printed once, as Jupyter does; ``--password`` asks for a password on the terminal
instead (``SMSSTATS_DASHBOARD_PASSWORD_HASH``, a Jupyter server hash, for a service). Never an
argument: a process's arguments are visible to every user of the machine.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..core.i18n import gettext_ as _
from ._common import err

__all__ = ["add_dashboard_parser", "cmd_dashboard"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def add_dashboard_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    d = sub.add_parser(
        "dashboard",
        parents=[common],
        help=_("serve the dashboard to browsers (--serve), behind a token or a password"),
    )
    d.add_argument("--serve", action="store_true", help=_("serve the dashboard page (and nothing else) until Ctrl-C"))
    d.add_argument("--host", default="127.0.0.1", help=_("the address to listen on (default: 127.0.0.1, this machine)"))
    d.add_argument("--port", type=int, default=8866, help=_("the port (default: 8866)"))
    d.add_argument("--base-url", default="/", help=_("the path behind a reverse proxy, e.g. /smsstats/ (default: /)"))
    d.add_argument("--account", help=_("a named account the page shows (its secret stays in this machine's keyring)"))
    d.add_argument(
        "--cache-dir", help=_("default: $SMSSTATS_CACHE_DIR or the user cache directory; redis://… for a team")
    )
    d.add_argument(
        "--password", action="store_true", help=_("ask for a password on this terminal instead of using a token")
    )
    d.add_argument(
        "--idle-minutes", type=int, default=30, help=_("a page's kernel idle this long is stopped (default: 30)")
    )


def cmd_dashboard(a: argparse.Namespace) -> int:
    import getpass

    from ..core import Environment, QueryError, said

    if not a.serve:
        raise said(
            QueryError,
            "smsstats dashboard needs --serve (in a notebook: "
            "from smsstats_nb.dashboard import dashboard; dashboard())",
        )
    try:
        import voila  # noqa: F401
    except ImportError:
        raise said(QueryError, "serving the dashboard needs Voilà: pip install 'smsstats_nb[serve]'") from None
    from ._serve import ServeOptions, new_token, serve, served_credentials_problem

    env = Environment.read()
    if a.cache_dir:
        Environment.hand_down({"SMSSTATS_CACHE_DIR": a.cache_dir})  # the page's kernels read it
    problem = served_credentials_problem(env, a.account)
    if problem:
        raise said(
            QueryError,
            "the served page never asks for the SMSC password ({problem}): set it in this server's environment "
            "or use --account NAME (its secret in the keyring)",
            problem=problem,
        )
    token = env.dashboard_token
    password_hash = env.dashboard_password_hash
    if a.password:
        from jupyter_server.auth.security import passwd

        first = getpass.getpass(_("A password for the dashboard: "))
        if len(first) < 8 or getpass.getpass(_("The same password again: ")) != first:
            raise said(QueryError, "the passwords differ, or are shorter than 8 characters")
        password_hash, token = passwd(first), None
    made = not token and not password_hash
    if made:
        token = new_token()
    options = ServeOptions(
        host=a.host,
        port=a.port,
        base_url=a.base_url,
        token=token,
        password_hash=password_hash,
        account=a.account,
        idle_minutes=a.idle_minutes,
    )
    options.check()
    shown_host = f"[{a.host}]" if ":" in a.host else a.host
    url = f"http://{shown_host}:{a.port}{a.base_url}"
    if made:
        err(_("the dashboard: open {url}?token={token} (a token made for this run)").format(url=url, token=token))
    elif password_hash:
        err(_("the dashboard: open {url} and give the password").format(url=url))
    else:
        err(_("the dashboard: open {url}?token=… with the token in SMSSTATS_DASHBOARD_TOKEN").format(url=url))
    if a.host not in LOOPBACK:
        err(
            _(
                "warning: listening on {host}, beyond this machine: put it behind a reverse proxy with TLS "
                "(docs/OPERATIONS.md), or the token crosses the network in clear"
            ).format(host=a.host)
        )
    serve(options)
    return 0
