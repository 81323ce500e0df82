"""The progress words of a running fetch: periods done and to go, the time left, the wait for the
next request (from the client's real limit), and the cache line kept current as the cache fills."""

from __future__ import annotations

import html
from collections.abc import Callable

from ..client import StatsClient
from ..core import i18n
from ..core.i18n import format_duration
from ..core.i18n import gettext_ as _
from ._controls import Controls
from ._plan import FetchPlan

__all__ = ["Progress", "coverage_html"]


def coverage_html(text: str) -> str:
    """The cache line's markup."""
    return f'<span class="smsstats-coverage" style="color:#555">{html.escape(text)}</span>'


class Progress:
    """Writes a fetch's progress into the controls' bar and labels, from its :class:`FetchPlan`."""

    def __init__(self, controls: Controls, client: Callable[[], StatsClient | None]) -> None:
        self.controls = controls
        self._client = client
        self.plan: FetchPlan | None = None

    def limit_words(self) -> str:
        """The client's real limit in words, with its preposition ("under the limit of 3 requests
        per 60 s": Russian puts the noun in the case the preposition asks for)."""
        client = self._client()
        if client is None:
            return _("under the rate limit")
        count, per = client.settings.rate_limit
        return i18n.ngettext(
            "under the limit of {count} request per {per} s", "under the limit of {count} requests per {per} s", count
        ).format(count=count, per=f"{per:g}")

    def on_period(self, done: int, total: int, cached: bool) -> None:
        """A period answered (from the cache or the server)."""
        self.controls.progress.max = total
        self.controls.progress.value = done
        if not cached and self.plan is not None:
            self.plan.fetched += 1
        self.line(None)
        self.cache_line()

    def on_wait(self, seconds: float) -> None:
        """The fetch waits ``seconds`` for the rate limit."""
        self.line(seconds)

    def line(self, seconds: float | None) -> None:
        """Done, to go and the time left; the wait for the next request is added, never written over it."""
        done, total = self.controls.progress.value, self.controls.progress.max
        left = self.plan.left if self.plan is not None else 0
        parts = [
            i18n.ngettext(
                "{done} of {total} periods done, {left} to go", "{done} of {total} periods done, {left} to go", total
            ).format(done=done, total=total, left=total - done)
        ]
        client = self._client()
        if left and client is not None:
            parts.append(_("about {eta} left").format(eta=format_duration(client.eta(left))))
        if seconds is not None and seconds >= 1:
            parts.append(
                _("next request in {seconds} s ({limit})").format(seconds=f"{seconds:.0f}", limit=self.limit_words())
            )
        self.controls.progress_label.value = "; ".join(parts)

    def cache_line(self) -> None:
        """Keep the "how much is cached" line current while a series fills the cache, from the
        counts the fetch keeps (no cache lookups per period: a year of days stays linear)."""
        total, done = self.controls.progress.max, self.controls.progress.value
        plan = self.plan
        if plan is None or plan.choice.freq is None or not total:
            return
        missing = plan.left
        text = i18n.ngettext(
            "Cache: {total} periods: {cached} cached, {missing} still to fetch ({done} done).",
            "Cache: {total} periods: {cached} cached, {missing} still to fetch ({done} done).",
            total,
        ).format(total=total, cached=total - missing, missing=missing, done=done)
        self.controls.coverage_label.value = coverage_html(text)
