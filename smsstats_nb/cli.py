"""The ``smsstats`` command: fetch, demo, serve-demo, cache info|clear.

The password comes from ``$SMSC_PASSWORD`` or a prompt, never from an argument. Errors print one
line, no traceback, and exit with a code per family (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .demo.console import add_arguments as add_demo_arguments
from .errors import (
    AuthError,
    IPBlockedError,
    QueryError,
    RateLimitError,
    ResponseFormatError,
    SmscError,
    SmsStatsError,
    TransportError,
)

__all__ = ["EXIT_CODES", "main"]

#: Exit code per error family (checked in this order).
EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (QueryError, 2),
    (AuthError, 3),
    (IPBlockedError, 3),
    (RateLimitError, 4),
    (SmscError, 5),
    (ResponseFormatError, 6),
    (TransportError, 7),
    (SmsStatsError, 1),
]


class _Parser(argparse.ArgumentParser):
    """Never echoes unknown arguments: one of them could be a password."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            self.error(
                f"{len(extra)} unrecognized argument(s) (not shown, they may hold a secret); "
                "the password is read from SMSC_PASSWORD or a prompt, never from an argument"
            )
        return ns

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"smsstats: error: {message}\n")


def _parser() -> _Parser:
    p = _Parser(prog="smsstats", description="SMSC usage statistics as tables, CSV and plots.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and rate-limit waits to stderr")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    f = sub.add_parser("fetch", help="fetch statistics for a period (password from SMSC_PASSWORD or a prompt)")
    f.add_argument("--start", required=True, help="first day, dd.mm.yyyy or yyyy-mm-dd")
    f.add_argument("--end", help="last day (default: the start day only)")
    f.add_argument("--fmt", type=int, default=3, choices=[0, 1, 2, 3], help="wire format (default 3, JSON)")
    f.add_argument("--mycur", action="store_true", help="amounts in the account's own currency")
    f.add_argument("--balance2", action="store_true", help="messages paid from the electronic balance")
    f.add_argument("--freq", help="split into periods: D, W, MS (or M), QS, YS; prints a series")
    f.add_argument("--output", "-o", help="write the table to FILE.csv or FILE.json")
    f.add_argument("--plot", help="write a PNG plot to FILE.png")
    f.add_argument("--login", help="SMSC login (default: $SMSC_LOGIN)")
    f.add_argument("--base-url", help="default: $SMSC_BASE_URL or https://smscentre.com")
    f.add_argument("--cache-dir", help="default: $SMSSTATS_CACHE_DIR or the user cache directory")
    f.add_argument("--no-cache", action="store_true", help="do not use the HTTP cache")
    f.add_argument("--refresh", action="store_true", help="ask the server again even if cached")
    f.add_argument("--no-wait", action="store_true", help="fail instead of waiting for the rate limit")

    d = sub.add_parser("demo", help="the main job against the embedded demo server: table, CSV and PNG")
    d.add_argument("--out", default="smsstats-demo-output", help="folder for the CSV and PNG")
    d.add_argument("--start", default="01.01.2024")
    d.add_argument("--end", default="31.01.2024")
    d.add_argument("--cache-dir", help="default: a 'cache' folder inside --out")

    s = sub.add_parser("serve-demo", help="run the demo SMSC server on 127.0.0.1 until Ctrl-C")
    add_demo_arguments(s)

    c = sub.add_parser("cache", help="show or clear the HTTP cache")
    c.add_argument("action", choices=["info", "clear"])
    c.add_argument(
        "--cooldowns",
        action="store_true",
        help="with clear: also end every cool-down and local refusal (failed logins, IP block)",
    )
    c.add_argument("--cache-dir", help="default: $SMSSTATS_CACHE_DIR or the user cache directory")
    return p


def _out(text: str = "") -> None:
    print(text)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _password(login: str | None) -> str | None:
    psw = os.environ.get("SMSC_PASSWORD")
    if psw:
        return psw
    if not sys.stdin.isatty():
        raise QueryError("no password: set SMSC_PASSWORD (or SMSC_APIKEY); there is no terminal to prompt on")
    return getpass.getpass(f"SMSC password for {login or os.environ.get('SMSC_LOGIN') or '?'}: ") or None


def _write_table(df: Any, path: str) -> None:
    target = Path(path)
    if target.suffix.lower() == ".csv":
        df.to_csv(target, index=False)
    elif target.suffix.lower() == ".json":
        df.to_json(target, orient="records", force_ascii=False, date_format="iso", indent=1)
    else:
        raise QueryError(f"--output must end in .csv or .json, not {target.name!r}")


def _save_plot(df: Any, path: str, metric: str = "sms") -> None:
    if not path.lower().endswith(".png"):
        raise QueryError(f"--plot must end in .png, not {path!r}")
    from .plotting import render_png

    Path(path).write_bytes(render_png(df, metric, dpi=110))


def _cmd_fetch(a: argparse.Namespace) -> int:
    from .client import StatsClient

    login = a.login or os.environ.get("SMSC_LOGIN")
    apikey = os.environ.get("SMSC_APIKEY") if not login else None
    psw = None if apikey else _password(login)
    cache: Any = False if a.no_cache else a.cache_dir
    with StatsClient(login, psw, apikey=apikey, base_url=a.base_url, cache=cache, wait=not a.no_wait) as client:
        if a.freq:
            df = client.fetch_series(
                a.start, a.end, freq=a.freq, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt, refresh=a.refresh
            )
        else:
            df = client.fetch(a.start, a.end, mycur=a.mycur, balance2=a.balance2, fmt=a.fmt, refresh=a.refresh)
    if a.output:
        _write_table(df, a.output)
        _err(f"wrote {len(df)} rows to {a.output}")
    else:
        _out(df.to_string(index=False) if len(df) else "(no traffic in this period)")
    if a.plot:
        _save_plot(df, a.plot)
        _err(f"wrote plot to {a.plot}")
    return 0


def _cmd_demo(a: argparse.Namespace) -> int:
    from .client import StatsClient
    from .demo import DemoServer

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(a.cache_dir) if a.cache_dir else out / "cache"
    t0 = time.perf_counter()
    with DemoServer() as server, StatsClient(server.login, server.psw, base_url=server.url, cache=cache) as client:
        _out(f"demo SMSC server on {server.url} (login {server.login!r}, local only)")
        df = client.fetch(a.start, a.end)
        source = "cache" if df.attrs["from_cache"] else "server"
        _out(f"statistics {df.attrs['start']} .. {df.attrs['end']} ({len(df)} logins, from the {source}):")
        _out(df.to_string(index=False))
        csv_path = out / "stats.csv"
        png_path = out / "sms_per_login.png"
        df.to_csv(csv_path, index=False)
        _save_plot(df, str(png_path))
    _out(f"wrote {csv_path} and {png_path} in {time.perf_counter() - t0:.2f} s")
    return 0


def _cmd_serve(a: argparse.Namespace) -> int:
    from .demo.console import serve_forever

    def echo(text: str) -> None:
        _out(text)
        sys.stdout.flush()

    return serve_forever(port=a.port, window=a.window, limit=a.limit, faults=a.fault, echo=echo)


def _cmd_cache(a: argparse.Namespace) -> int:
    from .store import default_cache_dir, is_redis_url, open_store

    spec: Any = a.cache_dir
    if spec and not is_redis_url(spec):
        spec = Path(spec).expanduser()
    where = spec if spec else default_cache_dir()
    if not is_redis_url(where) and not Path(where).exists():
        _out(f"no cache in {where}")
        return 0
    store = open_store(spec)
    try:
        if a.action == "info":
            for key, value in store.info().items():
                _out(f"{key:>11}: {value}")
        else:
            _out(f"removed {store.clear(cooldowns=a.cooldowns)} cached answers from {store.description}")
            if a.cooldowns:
                _out("ended every cool-down and local refusal (failed logins, IP block, server pauses)")
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    commands = {"fetch": _cmd_fetch, "demo": _cmd_demo, "serve-demo": _cmd_serve, "cache": _cmd_cache}
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        _err("smsstats: interrupted (what was fetched is cached)")
        return 130
    except SmsStatsError as exc:
        _err(f"smsstats: {type(exc).__name__}: {exc}")
        return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))
    except OSError as exc:
        _err(f"smsstats: {type(exc).__name__}: {exc.strerror or exc}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
