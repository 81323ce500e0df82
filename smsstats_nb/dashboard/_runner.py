"""The runner: one background fetch at a time, its Cancel, and a wait for tests and scripts.

The page stays responsive while a fetch waits on the rate limit: the work runs in a daemon thread;
Cancel sets an event the fetch checks; :meth:`Runner.wait` blocks until the work and its ``done``
hook have run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd

from ..client import StatsClient
from ..core.i18n import gettext_ as _
from ..output import friendly_error
from ._plan import Choice

__all__ = ["Runner", "fetch_several"]


class Runner:
    """Runs one piece of work at a time in a background thread."""

    def __init__(self, name: str = "smsstats-dashboard") -> None:
        self.name = name
        self.cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: threading.Thread | None = None  # the last thread started, ``done`` included

    @property
    def busy(self) -> bool:
        """True while a piece of work runs (its ``done`` hook sees False)."""
        return self._thread is not None

    def start(self, work: Callable[[threading.Event], None], done: Callable[[], None]) -> None:
        """Run ``work(cancel)`` in the background, then ``done()`` (whatever ``work`` raised)."""
        if self._thread is not None:
            raise RuntimeError("a fetch is already running")
        self.cancel.clear()

        def run() -> None:
            try:
                work(self.cancel)
            finally:
                self._thread = None
                done()

        self._thread = self._last = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = 120.0) -> bool:
        """Block until the running work **and its done hook** end (True), or ``timeout`` seconds pass
        (False). The last thread is joined, not ``_thread``: that is cleared before ``done`` runs
        (so ``done`` sees the runner idle), and a caller that returned then would race ``done``."""
        thread = self._last
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True


def fetch_several(client: StatsClient, choice: Choice) -> tuple[pd.DataFrame, str]:
    """Several accounts side by side (their own logins, servers and quotas) as one frame, and a
    note naming the accounts that failed (the others' rows are kept)."""
    from ..client import AccountsError, fetch_accounts

    try:
        df = fetch_accounts(
            list(choice.accounts),
            choice.start,
            choice.end,
            freq=choice.freq,
            cache=client.settings.cache,
            **choice.flags.kwargs(),
        )
    except AccountsError as exc:
        failed = "; ".join(f"{name}: {friendly_error(e)}" for name, e in exc.errors.items())
        return exc.partial, " " + _("Not shown: {failed}").format(failed=failed)
    return df, ""
