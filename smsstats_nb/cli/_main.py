"""The ``smsstats`` command: fetch, demo, serve-demo, cache info|clear.

The password comes from ``$SMSC_PASSWORD`` or a prompt, never from an argument. Everything that
can be checked (dates, file suffixes, folders, credentials) is checked before a request is
spent. On a terminal it says on stderr what it waits for, and a series longer than ten minutes
asks first (``--yes`` skips the question). Errors print one line, no traceback, and exit with a
code per family (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from ..core import QueryError, SmsStatsError, said
from ..core.i18n import argparse_words, ngettext, using
from ..core.i18n import gettext_ as _
from ..demo.console import add_arguments as add_demo_arguments
from ._accounts import add_account_options, add_accounts_parser
from ._alerts import add_alert_options
from ._common import EXIT_CODES, Declined, err, error_words
from ._dashboard import add_dashboard_parser
from ._report import add_report_parser

__all__ = ["EXIT_CODES", "main"]


class _Parser(argparse.ArgumentParser):
    """Never echoes unknown arguments: one of them could be a password."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            self.error(
                ngettext(
                    "{n} unrecognized argument (not shown, it may hold a secret); "
                    "the password is read from SMSC_PASSWORD or a prompt, never from an argument",
                    "{n} unrecognized arguments (not shown, they may hold a secret); "
                    "the password is read from SMSC_PASSWORD or a prompt, never from an argument",
                    len(extra),
                ).format(n=len(extra))
            )
        return ns

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, "smsstats: " + _("error: {message}").format(message=message) + "\n")


def _parser() -> _Parser:
    from .. import __version__

    p = _Parser(prog="smsstats", description=_("SMSC usage statistics as tables, CSV and plots."))
    p.add_argument(
        "--version",
        action="version",
        version=f"smsstats {__version__}",
        help=_("show program's version number and exit"),  # argparse's default is fixed at its import
    )
    p.add_argument("-v", "--verbose", action="store_true", help=_("log progress and rate-limit waits to stderr"))
    p.add_argument(
        "--lang",
        choices=["en", "ru"],
        help=_("en or ru (default: $SMSSTATS_LANG, else the locale: LC_ALL, LC_MESSAGES, LANG)"),
    )
    # -v is accepted after the subcommand too; SUPPRESS keeps a subcommand from resetting it
    common = _Parser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    # the options several commands share, each declared once (argparse parent parsers)
    store_options = _Parser(add_help=False)
    store_options.add_argument(
        "--cache-dir", help=_("default: $SMSSTATS_CACHE_DIR or the user cache directory; redis://… for a team")
    )
    server_options = _Parser(add_help=False, parents=[store_options])
    server_options.add_argument("--login", help=_("SMSC login (default: $SMSC_LOGIN)"))
    server_options.add_argument("--base-url", help=_("default: $SMSC_BASE_URL or https://smscentre.com"))
    query_options = _Parser(add_help=False)
    query_options.add_argument(
        "--fmt", type=int, default=3, choices=[0, 1, 2, 3], help=_("wire format (default 3, JSON)")
    )
    query_options.add_argument("--mycur", action="store_true", help=_("amounts in the account's own currency"))
    query_options.add_argument("--balance2", action="store_true", help=_("messages paid from the electronic balance"))
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    f = sub.add_parser(
        "fetch",
        parents=[common, query_options, server_options],
        help=_("fetch statistics for a period (password from SMSC_PASSWORD or a prompt)"),
    )
    f.add_argument("--start", help=_("first day, dd.mm.yyyy or yyyy-mm-dd (or a preset below)"))
    f.add_argument("--end", help=_("last day (default: the start day only)"))
    presets = f.add_mutually_exclusive_group()
    for flag, name in (
        ("--this-month", "this month"),
        ("--last-month", "last month"),
        ("--last-quarter", "last quarter"),
        ("--ytd", "year to date"),
    ):
        presets.add_argument(
            flag, dest="preset", action="store_const", const=name, help=_("the period: {name}").format(name=_(name))
        )
    presets.add_argument(
        "--last", dest="last", metavar="N", help=_("the last N days or weeks up to today: 7d, 30d, 4w")
    )
    f.add_argument("--freq", help=_("split into periods: D, W, MS (or M), QS, YS; prints a series"))
    f.add_argument(
        "--output", "-o", help=_("write the table to FILE.csv, .json, .xlsx or .parquet (with the query inside)")
    )
    f.add_argument(
        "--spreadsheet",
        action="store_true",
        help=_("with --output FILE.csv: a CSV that Excel opens right by a double click (byte-order mark)"),
    )
    f.add_argument(
        "--decimal-comma",
        action="store_true",
        help=_("with --spreadsheet: ';' between fields and a decimal comma (as Russian Excel expects)"),
    )
    f.add_argument("--plot", help=_("write a PNG plot to FILE.png"))
    f.add_argument("--plot-title", metavar="TEXT", help=_("the plot's title (default: what, the period and the flags)"))
    f.add_argument("--plot-size", metavar="12x5", default="9x4", help=_("the plot's size in inches (default: 9x4)"))
    f.add_argument("--plot-dpi", metavar="N", type=int, default=110, help=_("the plot's dots per inch (default: 110)"))
    f.add_argument(
        "--metric", default="sms", choices=["sms", "credit", "debit"], help=_("what --plot draws (default: sms)")
    )
    f.add_argument("--yes", "-y", action="store_true", help=_("do not ask before a series longer than 10 minutes"))
    f.add_argument("--no-cache", action="store_true", help=_("do not use the HTTP cache"))
    f.add_argument("--refresh", action="store_true", help=_("ask the server again even if cached"))
    f.add_argument("--no-wait", action="store_true", help=_("fail instead of waiting for the rate limit"))
    add_account_options(f)

    y = sub.add_parser(
        "sync",
        parents=[common, query_options, server_options],
        help=_("fill the cache with every closed period back to --since, at the quota's pace (resumable)"),
    )
    y.add_argument("action", nargs="?", choices=["run", "status"], default="run", help=_("run (default) or status"))
    y.add_argument("--since", required=True, help=_("first day to keep, dd.mm.yyyy or yyyy-mm-dd"))
    y.add_argument("--end", help=_("last day (default: the last closed day, the day before yesterday)"))
    _old_flag(y, "--until", "--end")
    y.add_argument("--freq", default="D", help=_("D (default), W or MS: one request per period"))
    once = y.add_mutually_exclusive_group()
    once.add_argument("--once", action="store_true", help=_("one pass, then exit (the default)"))
    once.add_argument("--watch", action="store_true", help=_("then keep yesterday and today fresh until Ctrl-C"))
    y.add_argument("--share", type=int, default=2, help=_("requests per window the sync may take (default 2 of 3)"))
    add_alert_options(y, since=False)  # alerts after each pass, when any of these is given
    add_account_options(y)

    al = sub.add_parser(
        "alerts",
        parents=[common, server_options],
        help=_("send each new incident and budget breach once (webhook, e-mail, Telegram); cron-safe"),
    )
    al.add_argument(
        "action",
        choices=["check", "mute", "test"],
        help=_("check (find and send), mute (hold a login's alerts back), or test (one test message per channel)"),
    )
    al.add_argument("login_to_mute", nargs="?", metavar="LOGIN", help=_("mute: the login whose alerts wait"))
    al.add_argument("--all", action="store_true", help=_("mute: every login"))
    al.add_argument("--until", help=_("mute: the last day of the pause (a day past lifts the mute)"))
    add_alert_options(al, since=True)
    add_account_options(al)
    al.add_argument("--end", help=_("the last day judged (default: yesterday, Moscow time)"))
    _old_flag(al, "--as-of", "--end")
    al.add_argument("--yes", "-y", action="store_true", help=_("do not ask before a fetch longer than 10 minutes"))

    d = sub.add_parser(
        "demo", parents=[common], help=_("the main job against the embedded demo server: table, CSV and PNG")
    )
    d.add_argument("--out", default="smsstats-demo-output", help=_("folder for the CSV and PNG"))
    d.add_argument("--start", default="01.01.2024")
    d.add_argument("--end", default="31.01.2024")
    d.add_argument("--cache-dir", help=_("default: a 'cache' folder inside --out"))

    s = sub.add_parser("serve-demo", parents=[common], help=_("run the demo SMSC server on 127.0.0.1 until Ctrl-C"))
    add_demo_arguments(s)

    add_report_parser(sub, [common, server_options])
    add_dashboard_parser(sub, common)

    add_accounts_parser(sub, common)

    c = sub.add_parser(
        "cache", parents=[common, store_options], help=_("show or clear the HTTP cache (and the cool-downs)")
    )
    c.add_argument("action", choices=["info", "clear"])
    c.add_argument(
        "--cooldowns",
        action="store_true",
        help=_("with clear: also end every cool-down and local refusal (failed logins, IP block)"),
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. ``--help``, argparse's errors and every message are in
    the language of ``--lang``, else ``$SMSSTATS_LANG``, else the locale."""
    argv = list(sys.argv[1:] if argv is None else argv)
    with using(_asked_lang(argv)), argparse_words():
        args = _parser().parse_args(argv)
        return _dispatch(args)


def _asked_lang(argv: list[str]) -> str | None:
    """``--lang X`` or ``--lang=X`` in the arguments, before they are parsed (so ``--help`` and
    argparse's own errors are in it too); None: the environment's."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


#: Options renamed in 0.2 (one word per idea: the last day is --end); the old spelling still works
#: in 0.2 and says what to write instead.
OLD_FLAGS: dict[str, str] = {}


def _old_flag(parser: argparse.ArgumentParser, old: str, new: str) -> None:
    """Accept ``old`` as a hidden spelling of ``new`` (the value lands in ``new``'s place)."""
    OLD_FLAGS[old] = new
    parser.add_argument(old, dest="old_" + old.lstrip("-").replace("-", "_"), help=argparse.SUPPRESS)


def _renamed_flags(args: argparse.Namespace) -> None:
    """Move each old option's value to its new name, and say so on stderr (once per option)."""
    for old, new in OLD_FLAGS.items():
        value = getattr(args, "old_" + old.lstrip("-").replace("-", "_"), None)
        if value is None:
            continue
        dest = new.lstrip("-").replace("-", "_")
        if getattr(args, dest, None) is not None:
            raise said(QueryError, "give {new}, not both {new} and {old}", new=new, old=old)
        setattr(args, dest, value)
        err("smsstats: " + _("{old} is now {new} (the old spelling goes in 0.3)").format(old=old, new=new))


def _dispatch(args: argparse.Namespace) -> int:
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:  # the one error line says it all: no log line before it (Python's last-resort handler)
        logging.getLogger("smsstats_nb").addHandler(logging.NullHandler())
    from ._accounts import cmd_accounts
    from ._admin import cmd_cache, cmd_sync
    from ._alerts import cmd_alerts
    from ._dashboard import cmd_dashboard
    from ._demo import cmd_demo, cmd_serve
    from ._fetch import cmd_fetch
    from ._report import cmd_report

    commands = {
        "sync": cmd_sync,
        "fetch": cmd_fetch,
        "demo": cmd_demo,
        "serve-demo": cmd_serve,
        "cache": cmd_cache,
        "alerts": cmd_alerts,
        "accounts": cmd_accounts,
        "report": cmd_report,
        "dashboard": cmd_dashboard,
    }
    try:
        _renamed_flags(args)
    except SmsStatsError as exc:
        err(f"smsstats: {error_words(exc)}")
        return 2
    return _run(commands[args.command], args)


def _run(command: Any, args: argparse.Namespace) -> int:
    """Run one command; every error is one line and an exit code."""
    try:
        return int(command(args))
    except Declined:
        err("smsstats: " + _("not started; nothing was sent"))
        return 0
    except KeyboardInterrupt:
        err("smsstats: " + _("interrupted (what was fetched is cached)"))
        return 130
    except SmsStatsError as exc:
        err(f"smsstats: {error_words(exc)}")
        return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))
    except OSError as exc:
        err(f"smsstats: {type(exc).__name__}: {exc.strerror or exc}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
