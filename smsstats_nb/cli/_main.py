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
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ..core import QueryError, SmsStatsError, said
from ..core.i18n import argparse_words, current, format_day, format_number, ngettext, using
from ..core.i18n import gettext_ as _
from ..demo.console import add_arguments as add_demo_arguments
from ..output import text_table
from ._accounts import add_account_options, add_accounts_parser
from ._alerts import add_alert_options
from ._common import EXIT_CODES, Declined, WaitLine, client_for, confirm, err, error_words, out

__all__ = ["EXIT_CODES", "main"]


class _Parser(argparse.ArgumentParser):
    """Never echoes unknown arguments: one of them could be a password."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            self.error(
                ngettext(
                    "{n} unrecognized argument(s) (not shown, they may hold a secret); "
                    "the password is read from SMSC_PASSWORD or a prompt, never from an argument",
                    "{n} unrecognized argument(s) (not shown, they may hold a secret); "
                    "the password is read from SMSC_PASSWORD or a prompt, never from an argument",
                    len(extra),
                ).format(n=len(extra))
            )
        return ns

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, "smsstats: " + _("error: {message}").format(message=message) + "\n")


#: A series whose rate-limit wait is longer than this (seconds) asks before it starts.
CONFIRM_ABOVE = 600.0
#: The port ``smsstats demo`` prefers, so that its cache is reused from one run to the next.
DEMO_PORT = 18765


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
    f.add_argument("--start", required=True, help=_("first day, dd.mm.yyyy or yyyy-mm-dd"))
    f.add_argument("--end", help=_("last day (default: the start day only)"))
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
    y.add_argument("--until", help=_("last day (default: the last closed day, the day before yesterday)"))
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
    al.add_argument("action", choices=["check"], help=_("check (find and send)"))
    add_alert_options(al, since=True)
    add_account_options(al)
    al.add_argument("--as-of", help=_("the last day judged (default: yesterday, Moscow time)"))
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


def _check_output(path: str | None, suffixes: tuple[str, ...], option: str) -> None:
    """Refuse an output file before any request: wrong suffix or a folder that does not exist."""
    if path is None:
        return
    target = Path(path).expanduser()
    if target.suffix.lower() not in suffixes:
        raise said(
            QueryError,
            "{option} must end in {suffixes}, not {name}",
            option=option,
            suffixes=_(" or ").join(suffixes),
            name=repr(target.name),
        )
    folder = target.parent
    if not folder.is_dir():
        raise said(QueryError, "{option}: the folder {folder} does not exist", option=option, folder=repr(str(folder)))
    if target.is_dir():
        raise said(QueryError, "{option}: {path} is a folder", option=option, path=repr(str(target)))


def _write_table(df: Any, path: str, a: argparse.Namespace) -> None:
    from ..output import export

    export(df, path, spreadsheet=a.spreadsheet, decimal="," if a.decimal_comma else ".")


def _save_plot(df: Any, path: str, metric: str = "sms") -> None:
    from ..output import render_png

    Path(path).expanduser().write_bytes(render_png(df, metric, dpi=110))


def _cmd_fetch(a: argparse.Namespace) -> int:
    from ..client import series_queries
    from ..core import make_query
    from ..core.i18n import format_duration
    from ..output import SUFFIXES

    _check_output(a.output, SUFFIXES, "--output")
    _check_output(a.plot, (".png",), "--plot")
    if a.freq:
        series_queries(a.start, a.end, a.freq, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt)
    else:
        make_query(a.start, a.end, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt)
    if a.all_accounts or len(a.account) > 1:
        from ._accounts import cmd_fetch_accounts

        return cmd_fetch_accounts(a, lambda df: _show(df, a))
    cache: Any = False if a.no_cache else a.cache_dir
    with client_for(a, cache=cache, wait=not a.no_wait) as client:
        waiting = WaitLine(client.settings.rate_limit, client.eta)
        try:
            if a.freq:
                cost = client.estimate_series(
                    a.start, a.end, a.freq, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt, refresh=a.refresh
                )
                if cost.requests and sys.stderr.isatty():
                    err(_("series: {cost}").format(cost=cost))
                if cost.requests and cost.eta_seconds > CONFIRM_ABOVE:
                    confirm(_("this series needs about {eta}").format(eta=format_duration(cost.eta_seconds)), a.yes)
                try:
                    df = client.fetch_series(
                        a.start,
                        a.end,
                        freq=a.freq,
                        mycur=a.mycur,
                        balance2=a.balance2,
                        fmt=a.fmt,
                        refresh=a.refresh,
                        progress=False,  # the wait line says how far it is: one line, never two
                        on_period=waiting.progress,
                        on_wait=waiting,
                    )
                except KeyboardInterrupt as exc:
                    waiting.done()
                    _interrupted(getattr(exc, "partial", None), a)
                    raise
            else:
                df = client.fetch(
                    a.start, a.end, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt, refresh=a.refresh, on_wait=waiting
                )
        finally:
            waiting.done()
    _show(df, a)
    return 0


def _show(df: Any, a: argparse.Namespace) -> None:
    """Print the table (or write --output) and the plot."""
    if a.output:
        _write_table(df, a.output, a)
        err(ngettext("wrote {n} row to {path}", "wrote {n} rows to {path}", len(df)).format(n=len(df), path=a.output))
    else:
        out(_heading(df))
        out(text_table(df) if len(df) else _("(no traffic in this period)"))
    if a.plot:
        _save_plot(df, a.plot, a.metric)
        err(_("wrote plot of {metric} to {path}").format(metric=a.metric, path=a.plot))


def _heading(df: Any) -> str:
    """The line above a printed table: what it is, which period, where it came from."""
    from ..core import FREQS
    from ..core.i18n import currency_name

    start, end = df.attrs.get("start"), df.attrs.get("end")
    if current() != "en":  # the days and the currency as the language writes them
        start, end = format_day(start), format_day(end)
    span = start if start == end else f"{start} .. {end}"
    source = _("from the cache") if df.attrs.get("from_cache") else _("from the server")
    freq = df.attrs.get("freq")
    what = _("statistics by {period}").format(period=_(FREQS.get(freq, freq))) if freq else _("statistics")
    flags = [name for name in ("mycur", "balance2") if df.attrs.get(name)]
    names = sorted({str(c) for c in df["currency"].dropna().unique()}) if len(df) else []
    currencies = ", ".join(c if current() == "en" else currency_name(c) for c in names)
    extra = "".join(f", {x}" for x in (*flags, currencies) if x)
    rows = ngettext("{n} row", "{n} rows", len(df)).format(n=len(df))
    return f"{what} {span} ({rows}, {source}{extra}):"


def _interrupted(partial: Any, a: argparse.Namespace) -> None:
    """After Ctrl-C in a series: what arrived, where it was written (marked partial), how to resume."""
    if partial is None:
        return
    done, total = partial.attrs.get("periods_done", 0), partial.attrs.get("periods", 0)
    err(
        "smsstats: "
        + ngettext(
            "stopped after {done} of {total} periods; they are cached: the same command resumes",
            "stopped after {done} of {total} periods; they are cached: the same command resumes",
            total,
        ).format(done=done, total=total)
    )
    if a.output and done:
        target = Path(a.output).expanduser()
        path = target.with_name(f"{target.stem}.partial{target.suffix}")
        from ..client import series_queries

        last = series_queries(a.start, a.end, a.freq, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt)[done - 1].end
        partial.attrs["end"] = last.isoformat()  # the file says the range it really covers
        _write_table(partial, str(path), a)
        err(
            "smsstats: "
            + ngettext(
                "wrote the {done} periods that arrived ({start} .. {last}) to {path}",
                "wrote the {done} periods that arrived ({start} .. {last}) to {path}",
                done,
            ).format(done=done, start=partial.attrs.get("start"), last=last, path=path)
        )
    elif a.output:
        err("smsstats: " + _("nothing arrived, so {path} was not written").format(path=a.output))


def _cmd_demo(a: argparse.Namespace) -> int:
    from ..client import StatsClient

    folder = Path(a.out)
    folder.mkdir(parents=True, exist_ok=True)
    cache = Path(a.cache_dir) if a.cache_dir else folder / "cache"
    t0 = time.perf_counter()
    with _demo_server() as server, StatsClient(server.login, server.psw, base_url=server.url, cache=cache) as client:
        out(_("demo SMSC server on {url} (login {login!r}, local only)").format(url=server.url, login=server.login))
        if not server.url.endswith(f":{DEMO_PORT}"):
            out(
                _("(port {port} was busy: this run cannot reuse answers cached by an earlier one)").format(
                    port=DEMO_PORT
                )
            )
        df = client.fetch(a.start, a.end)
        source = _("from the cache") if df.attrs["from_cache"] else _("from the server")
        logins = ngettext("{n} login", "{n} logins", len(df)).format(n=len(df))
        first, last = df.attrs["start"], df.attrs["end"]
        if current() != "en":
            first, last = format_day(first), format_day(last)
        out(f"{_('statistics')} {first} .. {last} ({logins}, {source}):")
        out(text_table(df))
        csv_path = folder / "stats.csv"
        png_path = folder / "sms_per_login.png"
        df.to_csv(csv_path, index=False)
        _save_plot(df, str(png_path))
    out(
        _("wrote {csv} and {png} in {seconds} s").format(
            csv=csv_path, png=png_path, seconds=format_number(time.perf_counter() - t0, 2)
        )
    )
    return 0


def _demo_server() -> Any:
    """The demo server on :data:`DEMO_PORT` (the cache key names the server, so a fixed port lets
    a second ``smsstats demo`` answer from the cache), or on any free port when that one is busy."""
    from ..demo import DemoServer

    try:
        return DemoServer(port=DEMO_PORT).start()
    except OSError:
        return DemoServer().start()


def _cmd_serve(a: argparse.Namespace) -> int:
    from ..demo.console import serve_forever

    def echo(text: str) -> None:
        out(text)
        sys.stdout.flush()

    return serve_forever(port=a.port, window=a.window, limit=a.limit, faults=a.fault, echo=echo)


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


def _dispatch(args: argparse.Namespace) -> int:
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:  # the one error line says it all: no log line before it (Python's last-resort handler)
        logging.getLogger("smsstats_nb").addHandler(logging.NullHandler())
    from ._accounts import cmd_accounts
    from ._admin import cmd_cache, cmd_sync
    from ._alerts import cmd_alerts

    commands = {
        "sync": cmd_sync,
        "fetch": _cmd_fetch,
        "demo": _cmd_demo,
        "serve-demo": _cmd_serve,
        "cache": cmd_cache,
        "alerts": cmd_alerts,
        "accounts": cmd_accounts,
    }
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
