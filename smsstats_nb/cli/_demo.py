"""``smsstats demo`` (a first fetch against the embedded demo server, a CSV and a chart) and
``smsstats serve-demo`` (the demo server on its own, for notebooks and other tools)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..core.i18n import current, format_day, format_number, ngettext
from ..core.i18n import gettext_ as _
from ..output import text_table
from ._common import out
from ._fetch import save_plot

__all__ = ["DEMO_PORT", "cmd_demo", "cmd_serve"]


#: The port ``smsstats demo`` prefers, so that its cache is reused from one run to the next.
DEMO_PORT = 18765


def cmd_demo(a: argparse.Namespace) -> int:
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
        save_plot(df, str(png_path))
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


def cmd_serve(a: argparse.Namespace) -> int:
    from ..demo.console import serve_forever

    def echo(text: str) -> None:
        out(text)
        sys.stdout.flush()

    return serve_forever(port=a.port, window=a.window, limit=a.limit, faults=a.fault, echo=echo)
