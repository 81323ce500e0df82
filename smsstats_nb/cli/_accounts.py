"""``smsstats accounts add|list|remove``, and ``fetch`` / ``sync`` over several named accounts.

The secret is asked for on the terminal (never an argument) and stored in the OS keyring; where
there is no keyring, one line says so and how to name an environment variable instead.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path
from typing import Any

from ..core.i18n import gettext_ as _
from ._common import account_failed, err, error_words, exit_code, flags_of, out

__all__ = ["add_account_options", "add_accounts_parser", "cmd_accounts", "cmd_fetch_accounts", "cmd_sync_accounts"]


def add_account_options(p: argparse.ArgumentParser) -> None:
    """``--account NAME`` (repeatable) and ``--all-accounts``."""
    p.add_argument("--account", action="append", default=[], metavar="NAME", help=_("a named account (repeatable)"))
    p.add_argument("--all-accounts", action="store_true", help=_("every account of the accounts file, side by side"))


def add_accounts_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``accounts`` subcommand."""
    ac = sub.add_parser(
        "accounts", parents=[common], help=_("named accounts: add, list, remove (secrets in the keyring)")
    )
    ac.add_argument("action", choices=["add", "list", "remove"])
    ac.add_argument("name", nargs="?", metavar="NAME", help=_("the account's name (add, remove)"))
    ac.add_argument("--login", help=_("its SMSC login (add)"))
    ac.add_argument("--base-url", help=_("its server, e.g. https://smsc.kz (add)"))
    ac.add_argument("--apikey", action="store_true", help=_("the secret is an API key, not a password (add)"))
    ac.add_argument(
        "--env", metavar="VARIABLE", help=_("keep the secret in this environment variable, not the keyring")
    )
    ac.add_argument(
        "--country",
        choices=["RU", "KZ", "UA", "BY", "UZ", "none"],
        help=_("the production calendar its alerts judge days by (default: Russia's) (add)"),
    )
    ac.add_argument("--accounts-file", help=_("default: $SMSSTATS_ACCOUNTS or the user config directory"))
    ac.add_argument(
        "--no-check",
        action="store_true",
        help=_("store the secret without checking it with one request to SMSC (offline) (add)"),
    )


def cmd_accounts(a: argparse.Namespace) -> int:
    from ..client import accounts_path, add_account, keyring_problem, load_accounts, remove_account
    from ..core import QueryError, said

    where = a.accounts_file or str(accounts_path())
    if a.action == "list":
        accounts = load_accounts(a.accounts_file)
        if not accounts:
            out(_("no accounts in {where}").format(where=where))
            return 0
        out(_("accounts in {where}:").format(where=where))
        for acc in accounts.values():
            found = _("found") if acc.read_secret() else _("NOT FOUND")
            who = _("login {login}").format(login=acc.login) if acc.login else _("API key")
            out(
                "  "
                + _("{name}: {who} at {server}; {secret}: {found}").format(
                    name=acc.name,
                    who=who,
                    server=acc.base_url or _("the default server"),
                    secret=acc.where(),
                    found=found,
                )
            )
        problem = keyring_problem()
        if problem and any(acc.secret == "keyring" for acc in accounts.values()):
            err(f"smsstats: {problem}")
        return 0
    if not a.name:
        raise said(QueryError, "accounts {action} needs the account's name", action=a.action)
    if a.action == "remove":
        removed = remove_account(a.name, path=a.accounts_file)
        if not removed:
            out(_("no account {name} in {where}").format(name=repr(a.name), where=where))
        elif removed.secret_left is None:
            out(_("removed {name} (and its secret)").format(name=a.name))
        else:
            out(_("removed {name} from {where}").format(name=a.name, where=where))
            err(
                "smsstats: "
                + _("its secret is still in the OS keyring ({why}): delete {key} there").format(
                    why=removed.secret_left, key=f"smsstats_nb / account:{a.name}"
                )
            )
            return 1
        return 0
    if not a.apikey and not a.login:
        raise said(QueryError, "an account needs --login (or --apikey)")
    if a.env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", a.env):
        raise said(QueryError, "--env must be a variable name, not {env}", env=repr(a.env))
    secret = None
    if a.env is None:
        problem = keyring_problem()
        if problem is not None:
            raise QueryError(problem)
        if not sys.stdin.isatty():
            raise said(QueryError, "the secret is asked for on a terminal (never an argument): run this in one")
        prompt = (
            _("SMSC API key (stored in the OS keyring, not shown): ")
            if a.apikey
            else _("SMSC password for {login} (stored in the OS keyring, not shown): ").format(login=a.login)
        )
        secret = getpass.getpass(prompt)
        if getpass.getpass(_("The same again, to be sure: ")) != secret:
            raise said(QueryError, "the two entries differ; nothing was stored")
        if not secret:
            raise said(QueryError, "an empty secret; nothing was stored")
        if not a.no_check:
            _check_secret(a, secret)
    account = add_account(
        a.name,
        login=a.login,
        secret=secret,
        base_url=a.base_url,
        apikey=a.apikey,
        env=a.env,
        path=a.accounts_file,
        country=a.country,
    )
    out(
        _("added {name}: {secret} (the file {where} holds no secret)").format(
            name=account.name, secret=account.where(), where=where
        )
    )
    return 0


def _check_secret(a: argparse.Namespace, secret: str) -> None:
    """One request with the new secret before it is stored: a wrong one is refused here (never
    stored, so it is never tried again by a cron job); ``--no-check`` skips it (offline)."""
    import datetime as dt

    from ..client import StatsClient
    from ..core import AuthError, Environment, QueryError, Settings, SmsStatsError, moscow_today, said

    settings = Settings.from_env(Environment.read(), base_url=a.base_url)
    login, psw, apikey = (None, None, secret) if a.apikey else (a.login, secret, None)
    day = moscow_today() - dt.timedelta(days=1)
    try:
        with StatsClient(login, psw, apikey=apikey, settings=settings) as client:
            client.fetch(day, refresh=True)
    except AuthError:
        raise said(QueryError, "SMSC refused this password (error 2); nothing was stored") from None
    except SmsStatsError as exc:
        raise said(
            QueryError,
            "the password could not be checked ({error}); nothing was stored (--no-check stores it unchecked)",
            error=error_words(exc),
        ) from None
    out(_("checked with one request: SMSC accepts it"))


def _names(a: argparse.Namespace) -> list[str] | str:
    return "all" if a.all_accounts else list(a.account)


def cmd_fetch_accounts(a: argparse.Namespace, write: Any) -> int:
    """``fetch`` over several accounts: one table with ``account`` first; a failed account is
    reported and the others' rows still printed or written (exit code of the first failure)."""
    from ..client import AccountsError, fetch_accounts, resolve_names

    cache: Any = False if a.no_cache else a.cache_dir
    settings: dict[str, Any] = {"cache": cache, "wait": not a.no_wait}
    if a.base_url:
        settings["base_url"] = a.base_url
    code = 0
    try:
        df = fetch_accounts(
            _names(a),
            a.start,
            a.end,
            freq=a.freq,
            refresh=a.refresh,
            **flags_of(a),
            **settings,
        )
    except AccountsError as exc:
        for name, e in exc.errors.items():
            account_failed(name, e)
        first = next(iter(exc.errors.values()))
        asked = resolve_names(_names(a), getattr(a, "accounts_file", None))
        if len(exc.errors) >= len(asked):  # nothing arrived: say what failed, write nothing
            if getattr(a, "output", None):
                err("smsstats: " + _("every account failed, so {path} was not written").format(path=a.output))
            return exit_code(first)
        df = exc.partial
        df.attrs["complete"] = False  # the file and the table say partial, and which accounts are missing
        df.attrs["missing_accounts"] = ", ".join(sorted(exc.errors))
        if getattr(a, "output", None):
            target = Path(a.output).expanduser()
            a.output = str(target.with_name(f"{target.stem}.partial{target.suffix}"))
        code = exit_code(first)
    write(df)
    return code


def cmd_sync_accounts(a: argparse.Namespace) -> int:
    """``sync --all-accounts`` (or several ``--account``): every account side by side in this
    process; an account another worker syncs (its lease) is skipped and said so."""
    from ..client import sync_accounts
    from ..core import SyncLeaseError

    settings: dict[str, Any] = {"cache": a.cache_dir}
    if a.base_url:
        settings["base_url"] = a.base_url

    def report_line(name: str, report: Any) -> None:
        out(f"{name}: {report}")

    _reports, errors = sync_accounts(
        _names(a),
        a.since,
        a.end,
        a.freq,
        share=a.share,
        watch=a.watch,
        on_report=report_line,
        **flags_of(a),
        **settings,
    )
    for name, e in errors.items():
        if isinstance(e, SyncLeaseError):
            err(_("sync: account {name}: synced by another worker ({error}); skipped").format(name=name, error=e))
        else:
            account_failed(name, e, prefix=_("sync: "))
    hard = [e for e in errors.values() if not isinstance(e, SyncLeaseError)]
    return exit_code(hard[0]) if hard else 0
