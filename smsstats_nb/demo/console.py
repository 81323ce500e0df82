"""Running the demo server in the foreground, for ``python -m smsstats_nb.demo`` and ``smsstats serve-demo``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from ..core.i18n import gettext_ as _
from .server import FAULTS, DemoServer

__all__ = ["add_arguments", "main", "serve_forever"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo server's options (shared by both entry points)."""
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--window", type=float, default=60.0, help=_("rate-limit window in seconds (default 60)"))
    parser.add_argument("--limit", type=int, default=3, help=_("requests per window (default 3)"))
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        help=_("queue a fault ({faults}, errorN)").format(faults=", ".join(FAULTS)),
    )


def serve_forever(
    *, port: int, window: float, limit: int, faults: Sequence[str], echo: Callable[[str], None] = print
) -> int:
    """Serve on 127.0.0.1 until Ctrl-C; ``echo`` prints the address and how to point a client at it."""
    with DemoServer(port=port, window=window, limit=limit) as server:
        if faults:
            server.inject(*faults)
        echo(
            f"demo SMSC server on {server.url}/sys/get.php  login={server.login}  "
            f"limit={limit} per {window:g} s  (Ctrl-C to stop)"
        )
        # the demo's password is no secret: it is printed so the line can be pasted as it is
        echo(f"  export SMSC_BASE_URL={server.url} SMSC_LOGIN={server.login} SMSC_PASSWORD={server.psw}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            echo("stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m smsstats_nb.demo [--port N] [--window S] [--limit N] [--fault F]``."""
    parser = argparse.ArgumentParser(prog="python -m smsstats_nb.demo", description="Run the demo SMSC server.")
    add_arguments(parser)
    a = parser.parse_args(argv)
    return serve_forever(
        port=a.port, window=a.window, limit=a.limit, faults=a.fault, echo=lambda t: print(t, flush=True)
    )
