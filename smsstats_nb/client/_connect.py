"""What a notebook's first cell calls: a client on the real service, or on the embedded demo server.

``session = connect()`` uses SMSC when ``SMSC_LOGIN`` or ``SMSC_APIKEY`` is set; otherwise it
starts the demo server on 127.0.0.1 with a short rate-limit window and the demo's own cache
(``demo/`` in the user cache directory, or ``$SMSSTATS_DEMO_CACHE_DIR``; never a real account's),
so an answer fetched once is answered from the cache after a kernel restart too. The demo server
names itself ``"demo"`` to the cache (its port changes with every kernel; its data does not).

The session also picks the dates a notebook asks about: January 2024 on the demo server (so the
stored outputs stay comparable), the last full month on SMSC (recent figures, not a fixed year).
"""

from __future__ import annotations

import atexit
import datetime as dt
from dataclasses import dataclass

from ..core import (
    DEFAULT_MARGIN,
    Environment,
    Settings,
    default_demo_cache_dir,
    last_full_month,
    period_of,
    split_periods,
)
from ..demo import DemoServer
from ._client import StatsClient

__all__ = ["NotebookSession", "connect"]


@dataclass
class NotebookSession:
    """A client plus, in demo mode, the demo server it talks to.

    Attributes:
        client: the StatsClient to use.
        server: the running DemoServer, or None when talking to SMSC.
    """

    client: StatsClient
    server: DemoServer | None = None

    @property
    def mode(self) -> str:
        """``"demo"`` or ``"smsc"``."""
        return "demo" if self.server is not None else "smsc"

    def describe(self) -> str:
        """One stable sentence on what this session talks to (no port, path or secret)."""
        limit, per = self.client.settings.rate_limit
        from ..core.i18n import gettext_ as _

        if self.server is not None:
            return _(
                "Demo mode: no SMSC_LOGIN or SMSC_APIKEY is set, so this notebook talks to the embedded "
                "demo server on 127.0.0.1 (login {login}, {limit} requests per {per} s, "
                "the demo's own cache, kept across kernels)."
            ).format(login=repr(self.server.login), limit=limit, per=f"{per:g}")
        who = _("login {login}").format(login=repr(self.client.login)) if self.client.login else _("an API key")
        return _("SMSC mode: {url} as {who}, {limit} requests per {per} s, cache in {cache}.").format(
            url=self.client.settings.base_url, who=who, limit=limit, per=f"{per:g}", cache=self.client.cache_dir
        )

    def __repr__(self) -> str:
        return self.describe()

    def month(self) -> tuple[str, str]:
        """First and last day (ISO) of the month a notebook looks at: January 2024 on the demo
        server, the last full month (Moscow calendar) on SMSC."""
        if self.server is not None:
            return "2024-01-01", "2024-01-31"
        start, end = last_full_month()
        return start.isoformat(), end.isoformat()

    def first_days(self, days: int) -> tuple[str, str]:
        """The first ``days`` days of :meth:`month` (ISO)."""
        start = dt.date.fromisoformat(self.month()[0])
        return start.isoformat(), (start + dt.timedelta(days=days - 1)).isoformat()

    def quarter(self) -> tuple[str, str]:
        """First and last day (ISO) of the quarter the monitoring notebook looks at: the second
        quarter of 2024 on the demo server (where its anomalies are planted), the last full
        calendar quarter on SMSC."""
        return self.quarter_months()[0][0], self.quarter_months()[-1][1]

    def quarter_months(self) -> list[tuple[str, str]]:
        """The three months of :meth:`quarter`, each as (first day, last day) in ISO."""
        if self.server is not None:
            first, last = period_of(dt.date(2024, 4, 1), "QS")
        else:
            _, month_end = last_full_month()
            first, last = period_of(month_end, "QS")
            if last != month_end:  # the quarter of the last full month is not over: the one before
                first, last = period_of(first - dt.timedelta(days=1), "QS")
        return [(a.isoformat(), b.isoformat()) for a, b in split_periods(first, last, "MS")]

    @property
    def progress(self) -> bool | None:
        """What to pass as ``progress=``: no bar on the demo server (its waits are short and the
        stored outputs stay the same), a bar on SMSC whenever the wait is long."""
        return False if self.server is not None else None

    def close(self) -> None:
        """Close the client and stop the demo server (the cache stays)."""
        self.client.close()
        if self.server is not None:
            self.server.stop()


def connect(*, demo_window: float = 2.0) -> NotebookSession:
    """A session on SMSC if credentials are in the environment, else on a new demo server.

    Args:
        demo_window: the demo server's rate-limit window in seconds (3 requests per window), short
            so the notebooks run quickly; the real service allows 3 per 60 s.
    """
    if Environment.read().has_credentials:
        return NotebookSession(StatsClient())
    server = DemoServer(window=demo_window).start()
    settings = Settings(
        base_url=server.url,
        cache=default_demo_cache_dir(),
        rate_limit=(3, demo_window),
        # loopback has no network jitter, but a busy machine delays a thread by a few hundred ms
        # (a CI worker beside Chromium and Voilà saw the demo answer error 9 with a 0.2 s margin)
        rate_margin=max(min(DEFAULT_MARGIN, demo_window / 5), min(0.5, demo_window / 2)),
        service="demo",
    )
    client = StatsClient(server.login, server.psw, settings=settings)
    session = NotebookSession(client, server)
    atexit.register(session.close)
    return session
