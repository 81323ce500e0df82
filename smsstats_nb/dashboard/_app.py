"""StatsDashboard: an ipywidgets 8 dashboard (ipywidgets and matplotlib are imported here only).

Pick a period, flags and granularity, click Fetch: a fetch that would wait more than a minute under
the rate limit asks first; it runs in a background thread (the kernel stays responsive) with
periods done / to go and the ETA; errors become one friendly status line; the answer *replaces* the
previous one. Without credentials it asks for them (never saved). It never fetches on load.

Four parts, each its own class: :class:`Controls` (what the user picks), a pure :class:`FetchPlan`
(what a Fetch asks and costs), the :class:`Runner` (thread and Cancel) and the :class:`AnswerView`
(what the page shows). The dashboard hands out the controls' and the answer's widgets by name, so
tests and notebooks drive it headlessly::

    dash = StatsDashboard(client)
    dash.start_picker.value = datetime.date(2024, 1, 1)   # dash.controls.start_picker
    dash.fetch_button.click()
    dash.wait()
    dash.result, dash.status.value                        # dash.answer.result, dash.answer.status
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import threading
import time
from typing import Any

import ipywidgets as w
import pandas as pd

from ..client import StatsClient
from ..core import AuthError, CancelledError, QueryError, SmsStatsError, i18n, last_full_month
from ..core.i18n import format_duration, requests_words
from ..core.i18n import gettext_ as _
from ..output import friendly_error
from ._address import AddressBar, View
from ._answer import AnswerView
from ._controls import Controls
from ._plan import Choice, FetchPlan, coverage_words, plan_fetch
from ._progress import Progress, coverage_html
from ._runner import Runner, fetch_several
from ._words import about_html, heading_html, speaks

__all__ = ["CONFIRM_ABOVE", "StatsDashboard", "friendly_error", "last_full_month"]

logger = logging.getLogger(__name__)

#: A fetch whose rate-limit wait is longer than this (seconds) asks to be confirmed first.
CONFIRM_ABOVE = 60.0


class StatsDashboard:
    """A widget dashboard over a :class:`StatsClient`.

    Args:
        client: the client to use. When None, one is built from the environment; without
            credentials there, the dashboard asks for them with a ``Password`` widget whose value
            is cleared as soon as it is read (so it is never saved with the notebook).
        today: the day "last full month" is counted from (default: today in Moscow).
        login: the login to fill in the form when credentials are asked for.
        confirm_above: a fetch whose rate-limit wait exceeds this many seconds asks first.
        lang: the language of the page, its plots and its files (``"en"``, ``"ru"``; default:
            ``$SMSSTATS_LANG``, else the locale, else English).
        heading: show the app's title and how to use it above the controls (:func:`dashboard`
            does; a dashboard inside an analysis notebook usually has its own).
        view: a link's view (:class:`View`, from the page's address) to open: shown at once when
            the cache holds it, else the page says what it costs and asks before fetching.
        address: keep the page's address in step with the view (under Voilà: the address bar is
            always a link to what is on screen).
        served: the page is served to colleagues (``smsstats dashboard --serve``): it shows the
            account it was started with only, never the accounts file's others (their secrets
            are the server's, not the page's to hand out), and never asks for a password.
    """

    #: The account picker's first choice: the client the dashboard was started with.
    STARTED_WITH = "as started"
    #: Seconds between two redraws of the chart while a series arrives (each draw costs ~0.1 s).
    REDRAW_EVERY = 1.0

    def __init__(
        self,
        client: StatsClient | None = None,
        *,
        today: dt.date | None = None,
        login: str | None = None,
        confirm_above: float = CONFIRM_ABOVE,
        lang: str | None = None,
        heading: bool = False,
        view: View | None = None,
        address: bool = False,
        served: bool = False,
    ) -> None:
        self.lang = i18n.language(lang)
        self.client = client
        self.session: Any = None
        self.error: BaseException | None = None
        self.confirm_above = confirm_above
        self.today = today  # the day the presets count from (None: today in Moscow)
        self.runner = Runner()
        self.served = served
        self.plan: FetchPlan | None = None  # the fetch running or last run
        self._pending: Choice | None = None  # a fetch waiting for its confirmation
        self._last_draw = 0.0
        with i18n.using(self.lang):
            self.controls = Controls(today, login)
            self.answer = AnswerView(self.lang, self.controls, lambda: self.client, lambda: self.runner.busy)
            self.progress_words = Progress(self.controls, lambda: self.client)
            self._wire(client, login, heading)
            self.address = AddressBar() if address else None
            if self.address is not None:
                self.widget.children = (*self.widget.children, self.address)
                self.controls.on_view_change(self._write_address)
                self.answer.login_filter.observe(self._write_address, names="value")
            if view is not None:
                self.open_view(view)
            self._write_address()

    def __getattr__(self, name: str) -> Any:
        """The controls' and the answer's widgets and figures by name (``dash.fetch_button``,
        ``dash.result``): the page is one object to a notebook, four inside."""
        if name.startswith("__") or name in ("controls", "answer"):
            raise AttributeError(name)
        for part in (self.controls, self.answer, self.answer.table):
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _wire(self, client: StatsClient | None, login: str | None, heading: bool) -> None:
        c = self.controls
        c.fetch_button.on_click(self._on_fetch)
        c.cancel_button.on_click(self._on_cancel)
        c.connect_button.on_click(self._on_connect)
        c.confirm_button.on_click(self._on_confirm)
        c.decline_button.on_click(self._on_decline)
        c.metric_dropdown.observe(self.answer.redraw, names="value")
        c.top_input.observe(self.answer.redraw, names="value")
        c.on_change(self._update_coverage)
        if client is None and login is None:
            try:
                self.client = StatsClient()
            except QueryError:
                self.client = None
        self._ask_credentials(self.client is None)
        self._started_with = self.client
        if self.client is None:
            self.answer.set_status(_("Enter the SMSC login and password above and click Connect."))
        self._named_accounts()
        c.account_dropdown.observe(self._on_account, names="value")
        self._update_coverage()
        self.heading = w.HTML(value=heading_html() if heading else "")
        self.about = w.Accordion(children=[w.HTML(value=about_html())], selected_index=None)
        self.about.set_title(0, _("About this page"))
        self.about.layout.display = None if heading else "none"
        a = self.answer
        self.widget = w.VBox(
            [
                self.heading,
                c.credentials_box,
                c.box(),
                c.confirm_box,
                a.filter_box,  # the login filter, with the other filters
                a.status,
                a.summary_html,
                a.plot_output,  # the chart before the table: the answer at a glance
                a.flags_html,
                a.download,
                a.table.table_tools,
                a.table.table_output,
                a.table.pager,
                self.about,
            ],
            layout=w.Layout(width="100%", max_width="1400px"),  # uses the width it has
        )

    # -- display -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        with i18n.using(self.lang):
            data["text/plain"] = _("StatsDashboard: pick a period and click Fetch")
        return data

    def __repr__(self) -> str:
        return "StatsDashboard()"

    @speaks
    def _update_coverage(self, change: Any = None) -> None:
        """Say how much of the chosen range is cached and what the rest costs (sends nothing)."""
        client = self.client
        text = ""
        if client is not None and not self.runner.busy:
            try:
                text = coverage_words(client, self.controls.read())
            except SmsStatsError:
                text = ""
        self.controls.coverage_label.value = coverage_html(text) if text else ""

    # -- credentials and accounts -------------------------------------------------------------------
    def _ask_credentials(self, ask: bool, note: str | None = None) -> None:
        if note is not None:
            self.controls.credentials_note.value = html.escape(note)
        self.controls.credentials_box.layout.display = None if ask else "none"
        self.controls.fetch_button.disabled = self.client is None

    @speaks
    def _on_connect(self, button: Any = None) -> None:
        c = self.controls
        login, psw = c.login_text.value.strip() or None, c.password.value or None
        c.password.value = ""  # never keep the secret in the widget state
        old = self.client
        try:
            # keep where and how the old client talked (its settings)
            client = StatsClient(login, psw) if old is None else StatsClient(login, psw, settings=old.settings)
        except SmsStatsError as exc:
            self.answer.set_status(friendly_error(exc), error=True)
            return
        if old is not None and not self.runner.busy:
            old.close()
        self.client = client
        self._ask_credentials(False)
        self._update_coverage()
        # not "connected": the password is checked by the first Fetch (checking now would spend a login)
        self.answer.set_status(
            _("Login {login} set: SMSC checks the password at the first <b>Fetch</b>.").format(
                login=html.escape(login or "")
            ),
            raw=True,
        )

    def _named_accounts(self) -> None:
        """The accounts file's names in the picker (shown only when there are some)."""
        from ..client import load_accounts

        c = self.controls
        if self.served:  # colleagues see the account the service was started with, and no other
            return
        try:
            names = sorted(load_accounts())
        except QueryError as exc:
            self.answer.set_status(friendly_error(exc), error=True)
            names = []
        if names:
            c.account_dropdown.options = [(_(self.STARTED_WITH), self.STARTED_WITH), *[(n, n) for n in names]]
            c.account_dropdown.value = self.STARTED_WITH
            c.account_dropdown.layout.display = None
        if len(names) > 1:  # several side by side: pick two or more here
            c.compare_accounts.options = names
            c.compare_accounts.layout.display = None

    @speaks
    def _on_account(self, change: Any = None) -> None:
        """Another named account: a client for it (its login, server and secret), the answer cleared."""
        name = self.controls.account_dropdown.value
        if self.runner.busy or name is None:
            return
        if name == self.STARTED_WITH:
            client = self._started_with
        else:
            try:
                client = StatsClient.from_account(name)
            except SmsStatsError as exc:
                self.answer.set_status(friendly_error(exc), error=True)
                return
        if self.client is not None and self.client is not self._started_with:
            self.client.close()
        self.client = client
        self.answer.clear_answer()
        self._ask_credentials(client is None)
        self._update_coverage()
        if client is not None:
            self.answer.set_status(_("Account {name}: pick a period and click Fetch.").format(name=name))

    # -- the view in the address ---------------------------------------------------------------------
    def current_view(self) -> View:
        """What the page shows, as a link says it."""
        logins = tuple(str(x) for x in self.answer.login_filter.value) or self.answer.wanted
        return self.controls.to_view(logins, self.lang)

    def _write_address(self, change: Any = None) -> None:
        if self.address is not None:
            self.address.query = self.current_view().query()

    @speaks
    def open_view(self, view: View) -> None:
        """Show a link's view: the controls set, the answer from the cache at once when it holds it
        (no request); otherwise what it costs, and Fetch waits for a click."""
        self.answer.wanted = view.logins
        self.controls.apply(view)
        self._write_address()
        problems = ""
        if view.problems:
            problems = " " + _("The link asked for {what}, which this page does not know; left out.").format(
                what=", ".join(view.problems)
            )
        client = self.client
        if not view.given or client is None or self.runner.busy:
            if problems:
                self.answer.set_status(problems.strip())
            return
        try:
            choice = self.controls.read()
            plan = plan_fetch(client, choice, totals_first=bool(self.controls.totals_first.value))
            flags = choice.flags.kwargs()
            cached = (
                None
                if choice.accounts
                else client.cached(choice.start, choice.end, **flags)
                if choice.freq is None
                else client.cached_series(choice.start, choice.end, choice.freq, **flags)
            )
        except SmsStatsError as exc:
            self.answer.set_status(friendly_error(exc) + problems, error=True)
            return
        if cached is not None:
            self.answer.show(cached, note=" " + _("This link's view, from the cache: no request was sent.") + problems)
            return
        if self._from_cached_days(client, plan):
            return
        self._pending = choice
        self.controls.confirm_text.value = html.escape(
            _("This link's view is not cached: it needs {requests} ({eta}). Fetch it?").format(
                requests=requests_words(plan.requests), eta=format_duration(plan.eta)
            )
        )
        self.controls.confirm_box.layout.display = None
        self.answer.set_status(_("Waiting for your confirmation.") + problems)

    # -- Fetch, confirm, Cancel ---------------------------------------------------------------------
    @speaks
    def _on_cancel(self, button: Any = None) -> None:
        self.runner.cancel.set()
        self.answer.set_status(_("Cancelling after the current request…"))

    @speaks
    def _on_fetch(self, button: Any = None) -> None:
        client = self.client
        if self.runner.busy or client is None:
            return
        self.controls.confirm_box.layout.display = "none"
        try:
            choice = self.controls.read()
            plan = plan_fetch(client, choice, totals_first=bool(self.controls.totals_first.value))
        except SmsStatsError as exc:
            self.answer.clear_answer()
            self.answer.set_status(friendly_error(exc), error=True)
            return
        if plan.requests and self._from_cached_days(client, plan):
            return
        if plan.eta > self.confirm_above:
            self._pending = choice
            first = _(" (one of them for the range's total, shown first)") if plan.total_first == "fetch" else ""
            self.controls.confirm_text.value = _(
                "This needs <b>{requests}</b>: about <b>{eta}</b> {limit}{first}. "
                "What is fetched is cached, and Cancel keeps it."
            ).format(
                requests=html.escape(requests_words(plan.requests)),
                eta=html.escape(format_duration(plan.eta)),
                limit=html.escape(self.progress_words.limit_words()),
                first=first,  # our own words, no markup
            )
            self.controls.confirm_box.layout.display = None
            self.answer.set_status(_("Waiting for your confirmation."))
            return
        self._start(plan)

    def _from_cached_days(self, client: StatsClient, plan: FetchPlan) -> bool:
        """A weekly, monthly … series whose every day is cached: shown at once, summed from the
        days (no request), flagged, with the kopeck caveat; SMSC's own figures per period stay
        one click away ("Fetch anyway"). False when the days are not all cached."""
        from ..client import series_from_days

        choice = plan.choice
        if choice.accounts or choice.freq in (None, "D"):
            return False
        flags = choice.flags.kwargs()
        try:
            days = client.cached_series(choice.start, choice.end, "D", **flags)  # the cache only
            if days is None:
                return False
            composed = series_from_days(days, choice.freq)
        except SmsStatsError:
            return False
        note = " " + _(
            "Summed from the {days} cached days, with no request: money can differ by a few kopecks from "
            "SMSC's own figure for each period (SMSC rounds each period it is asked for once)."
        ).format(days=days["period_start"].nunique() if len(days) else 0)
        self.answer.range_total = None
        self.answer.show(composed, note=note)
        self._pending = choice
        self.controls.confirm_text.value = html.escape(
            _("SMSC's own figures for these periods need {requests}, about {eta}.").format(
                requests=requests_words(plan.requests), eta=format_duration(plan.eta)
            )
        )
        self.controls.confirm_box.layout.display = None
        return True

    @speaks
    def _on_confirm(self, button: Any = None) -> None:
        choice, self._pending = self._pending, None
        self.controls.confirm_box.layout.display = "none"
        if choice is not None and not self.runner.busy and self.client is not None:
            self._start(plan_fetch(self.client, choice, totals_first=bool(self.controls.totals_first.value)))

    @speaks
    def _on_decline(self, button: Any = None) -> None:
        self._pending = None
        self.controls.confirm_box.layout.display = "none"
        self.answer.set_status(_("Not fetched. Pick a shorter period or a coarser granularity."))

    def _start(self, plan: FetchPlan) -> None:
        self.error = None
        self.plan = plan
        self.progress_words.plan = plan
        self.controls.running(True)
        self.answer.set_status(_("Fetching…"))
        self._last_draw = 0.0
        self.runner.start(lambda cancel: self._run(plan, cancel), self._done)

    def wait(self, timeout: float | None = 120.0) -> bool:
        """Block until the running fetch ends (for tests and scripts); True if it ended."""
        return self.runner.wait(timeout)

    # -- the background fetch ----------------------------------------------------------------------------
    @speaks
    def _run(self, plan: FetchPlan, cancel: threading.Event) -> None:
        client = self.client
        assert client is not None
        choice, answer = plan.choice, self.answer
        flags = choice.flags.kwargs()
        answer.range_total = None
        try:
            if choice.accounts:
                df, answer.note = fetch_several(client, choice)
                self.controls.progress.max, self.controls.progress.value = 1, 1
            elif choice.freq is None:
                df = client.fetch(choice.start, choice.end, **flags, on_wait=self.progress_words.on_wait, cancel=cancel)
                self.controls.progress.max, self.controls.progress.value = 1, 1
            else:
                order = "oldest"
                if plan.total_first:
                    # the server's own figure for the whole range first: one request, read at once
                    total = client.fetch(
                        choice.start, choice.end, **flags, on_wait=self.progress_words.on_wait, cancel=cancel
                    )
                    plan.fetched += 0 if total.attrs.get("from_cache") else 1
                    answer.range_total = total
                    answer.show(
                        total, note=" " + _("The series is loading, newest first; the chart fills as it arrives.")
                    )
                    order = "newest"
                df = client.fetch_series(
                    choice.start,
                    choice.end,
                    choice.freq,
                    **flags,
                    progress=False,
                    cancel=cancel,
                    on_period=self.progress_words.on_period,
                    on_wait=self.progress_words.on_wait,
                    order=order,
                    on_frame=self._on_frame if order == "newest" else None,
                )
            answer.show(df, note=answer.note if choice.accounts else "")
        except CancelledError:  # Cancel during a wait: nothing more was sent, what arrived stays
            if answer.range_total is None:
                answer.clear_answer()
            answer.set_status(_("Cancelled while waiting for the rate limit: nothing more was sent."))
        except BaseException as exc:  # noqa: BLE001 - every error goes to the status line
            self._failed(client, exc)

    def _failed(self, client: StatsClient, exc: BaseException) -> None:
        """An error: what arrived before it stays on the page, the error is one status line."""
        self.error = exc
        partial = getattr(exc, "partial", None)
        if isinstance(partial, pd.DataFrame) and len(partial):
            self.answer.show(partial, note=" " + _("Partial: what was fetched before the error is shown and cached."))
        else:
            self.answer.clear_answer()
        self.answer.set_status(friendly_error(exc), error=True)
        if isinstance(exc, AuthError):
            self._ask_credentials(True, _("Enter the login and password again (they are not saved)."))
            if client.login:
                self.controls.login_text.value = client.login
        logger.info("dashboard fetch failed: %s", type(exc).__name__)

    @speaks
    def _done(self) -> None:
        self.controls.running(False, connected=self.client is not None)
        self._update_coverage()

    def _on_frame(self, partial: pd.DataFrame) -> None:
        """Redraw the chart with the periods answered so far (newest first), at most once a second."""
        now = time.monotonic()
        if now - self._last_draw < self.REDRAW_EVERY or not len(partial):
            return
        self._last_draw = now
        shown = self.answer.filtered(partial)
        if shown is not None and len(shown):
            self.answer.show_plot(shown)
            self.answer.set_status(
                _(
                    "Loading: {got} of {asked} so far (newest first). "
                    "The figures above are SMSC's totals for the whole range."
                ).format(
                    got=i18n.format_span(partial.attrs.get("start"), partial.attrs.get("end")),
                    asked=i18n.format_span(partial.attrs.get("requested_start"), partial.attrs.get("requested_end")),
                )
            )
