"""StatsDashboard: an ipywidgets 8 dashboard (ipywidgets and matplotlib are imported here only).

Pick a period, flags, format, granularity and metric, click Fetch: a fetch that would wait more
than a minute under the rate limit asks first; the fetch runs in a background thread (the kernel
stays responsive) with periods done / to go and the ETA from the quota schedule; errors become one
friendly status line; the summary figures, the table, the plot and a CSV download of the answer
*replace* the previous answer (one question, one answer on the page). Without credentials it asks
for them, and after a failed login it asks again (the local refusal rules still apply). The
dashboard never fetches on load. Every control is an attribute, so tests drive it headlessly::

    dash = StatsDashboard(client)
    dash.start_picker.value = datetime.date(2024, 1, 1)
    dash.fetch_button.click()
    dash.wait()
    dash.result, dash.status.value
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

from ..analysis import LABELS
from ..client import StatsClient, connect, series_queries
from ..core import (
    PRESETS,
    AuthError,
    Environment,
    QueryError,
    SmsStatsError,
    i18n,
    last_full_month,
    make_query,
    preset_range,
    said,
)
from ..core.i18n import N_, format_duration, requests_words
from ..core.i18n import gettext_ as _
from ..output import TOP, friendly_error
from ._answer import AnswerView, speaks

__all__ = ["StatsDashboard", "dashboard", "friendly_error", "last_full_month", "page_lang"]

logger = logging.getLogger(__name__)

GRANULARITY = {"total": None, "daily": "D", "weekly": "W", "monthly": "MS"}
#: What the pickers say, for the catalogue (the values stay the English keys).
WORDS = {
    "total": N_("total"),
    "daily": N_("daily"),
    "weekly": N_("weekly"),
    "monthly": N_("monthly"),
    "custom": N_("custom"),
    "last 7 days": N_("last 7 days"),
    "this month": N_("this month"),
    "last month": N_("last month"),
    "last quarter": N_("last quarter"),
    "year to date": N_("year to date"),
}


def _choices(keys: Any) -> list[tuple[str, str]]:
    """A picker's options: each key said in the current language, the key as its value."""
    return [(_(WORDS.get(k, k)), k) for k in keys]


#: A fetch whose rate-limit wait is longer than this (seconds) asks to be confirmed first.
CONFIRM_ABOVE = 60.0


class StatsDashboard(AnswerView):
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
    """

    def __init__(
        self,
        client: StatsClient | None = None,
        *,
        today: dt.date | None = None,
        login: str | None = None,
        confirm_above: float = CONFIRM_ABOVE,
        lang: str | None = None,
        heading: bool = False,
    ) -> None:
        self.lang = i18n.language(lang)
        with i18n.using(self.lang):
            self._build(client, today, login, confirm_above, heading)

    @staticmethod
    def _heading_html() -> str:
        """The app's title and how to use it, in the page's language (an app opens with the
        analyst's words, not the developer's)."""
        title = html.escape(_("SMS statistics"))
        intro = _(
            "Pick a range (or a preset), the currency and balance flags and the granularity, then click "
            "<b>Fetch</b>. The headline figures come first, then the chart, then the table; the buttons "
            "download the table (CSV, Excel) and the chart (PNG)."
        )
        return f'<h1 class="smsstats-title">{title}</h1><p class="smsstats-intro">{intro}</p>'

    @staticmethod
    def _about_html() -> str:
        """What the page talks to and how to serve it (folded at the foot of the app)."""
        return _(
            "It talks to the <b>embedded demo server</b> (127.0.0.1, synthetic data, a short rate-limit window) "
            "unless <code>SMSC_LOGIN</code> or <code>SMSC_APIKEY</code> is set, in which case it talks to SMSC; "
            "with a login but no password it asks for the password in the page (never saved). A fetch that "
            "would wait more than a minute asks first; a series shows the range's total first (one request "
            "more, in <i>Advanced</i>), then fills newest first. Serve it as an app with "
            "<code>voila notebooks/04_dashboard.ipynb</code>; <code>SMSSTATS_LANG=ru</code> shows it in Russian."
        )

    def _build(
        self, client: StatsClient | None, today: dt.date | None, login: str | None, confirm_above: float, heading: bool
    ) -> None:
        self.client = client
        self.session: Any = None
        self.error: BaseException | None = None
        self.confirm_above = confirm_above
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._running: dict[str, Any] | None = None
        self._pending: dict[str, Any] | None = None
        self._plan: dict[str, Any] = {"total": 0, "requests": 0, "fetched": 0}
        self._last_draw = 0.0
        self.init_answer()
        start, end = last_full_month(today)
        self.today = today  # the day the presets count from (None: today in Moscow)
        style = {"description_width": "80px"}
        narrow = w.Layout(width="240px")
        self.start_picker = w.DatePicker(description=_("Start"), value=start, style=style, layout=narrow)
        self.end_picker = w.DatePicker(description=_("End"), value=end, style=style, layout=narrow)
        self.preset_dropdown = w.Dropdown(
            description=_("Range"), options=_choices(["custom", *PRESETS]), value="custom", style=style, layout=narrow
        )
        self.mycur_box = w.Checkbox(description=_("own currency (mycur)"), value=False, indent=False)
        self.balance2_box = w.Checkbox(description=_("electronic balance (balance2)"), value=False, indent=False)
        self.fmt_dropdown = w.Dropdown(
            description=_("Format"),
            options=[("JSON (3)", 3), (_("text (0)"), 0), ("CSV (1)", 1), ("XML (2)", 2)],
            value=3,
            style=style,
            layout=narrow,
        )
        self.top_input = w.BoundedIntText(
            value=TOP,
            min=1,
            max=200,
            description=_("Top logins"),
            style={"description_width": "initial"},
            layout=w.Layout(width="auto"),
        )
        self.totals_first = w.Checkbox(
            description=_("a series shows the range's total first (one request more)"),
            value=True,
            indent=False,
            layout=w.Layout(width="auto"),
        )
        # the wire format is a developer's choice (the frame is the same): out of the analyst's way
        self.advanced = w.Accordion(
            children=[w.HBox([self.fmt_dropdown, self.totals_first], layout=_WRAP)], selected_index=None
        )
        self.advanced.set_title(0, _("Advanced: wire format, totals first"))
        self.granularity_dropdown = w.Dropdown(
            description=_("Granularity"), options=_choices(GRANULARITY), value="total", style=style, layout=narrow
        )
        self.metric_dropdown = w.Dropdown(
            description=_("Metric"),
            options=[(f"{_(LABELS[m])} ({m})", m) for m in ("sms", "credit", "debit")],
            value="sms",
            style=style,
            layout=w.Layout(width="360px"),  # the longest Russian label whole
        )
        self.fetch_button = w.Button(description=_("Fetch"), button_style="primary", icon="download")
        self.cancel_button = w.Button(description=_("Cancel"), disabled=True, icon="stop")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="200px"))
        self.progress_label = w.Label(value="")
        self.confirm_text = w.HTML(value="")
        self.confirm_button = w.Button(
            description=_("Fetch anyway"), button_style="warning", layout=w.Layout(width="auto")
        )
        self.decline_button = w.Button(description=_("Not now"), layout=w.Layout(width="auto"))
        self.confirm_box = w.VBox(
            [self.confirm_text, w.HBox([self.confirm_button, self.decline_button])], layout=w.Layout(display="none")
        )
        self.coverage_label = w.HTML(value="")
        self.login_text = w.Text(description=_("Login"), value=login or "", style=style, layout=narrow)
        self.password = w.Password(description=_("Password"), style=style, layout=narrow)
        self.connect_button = w.Button(description=_("Connect"))
        self.credentials_note = w.HTML(
            value=html.escape(
                _("No SMSC password in the environment: enter the login and password here (they are not saved).")
            )
        )
        self.credentials_box = w.VBox(
            [self.credentials_note, w.HBox([self.login_text, self.password, self.connect_button], layout=_WRAP)]
        )
        self.fetch_button.on_click(self._on_fetch)
        self.cancel_button.on_click(self._on_cancel)
        self.connect_button.on_click(self._on_connect)
        self.confirm_button.on_click(self._on_confirm)
        self.decline_button.on_click(self._on_decline)
        self.metric_dropdown.observe(self.redraw, names="value")
        self.top_input.observe(self.redraw, names="value")
        for control in (
            self.start_picker,
            self.end_picker,
            self.granularity_dropdown,
            self.mycur_box,
            self.balance2_box,
        ):
            control.observe(self._update_coverage, names="value")
        self.preset_dropdown.observe(self._on_preset, names="value")
        if self.client is None and login is None:
            try:
                self.client = StatsClient()
            except QueryError:
                self.client = None
        self._ask_credentials(self.client is None)
        self._started_with = self.client
        if self.client is None:
            self.set_status(_("Enter the SMSC login and password above and click Connect."))
        self.account_dropdown = w.Dropdown(
            description=_("Account"), options=[], style=style, layout=w.Layout(width="300px", display="none")
        )
        self.compare_accounts = w.SelectMultiple(
            description=_("Compare"), options=[], rows=3, style=style, layout=w.Layout(width="300px", display="none")
        )
        self._named_accounts()
        self.account_dropdown.observe(self._on_account, names="value")
        controls = w.VBox(
            [
                w.HBox([self.account_dropdown, self.compare_accounts], layout=_WRAP),
                w.HBox([self.preset_dropdown, self.start_picker, self.end_picker], layout=_WRAP),
                w.HBox([self.granularity_dropdown, self.metric_dropdown, self.top_input], layout=_WRAP),
                w.HBox([self.mycur_box, self.balance2_box], layout=_WRAP),
                self.advanced,
                w.HBox([self.fetch_button, self.cancel_button, self.progress, self.progress_label], layout=_WRAP),
                self.coverage_label,
            ]
        )
        self._update_coverage()
        self.heading = w.HTML(value=self._heading_html() if heading else "")
        self.about = w.Accordion(children=[w.HTML(value=self._about_html())], selected_index=None)
        self.about.set_title(0, _("About this page"))
        self.about.layout.display = None if heading else "none"
        self.widget = w.VBox(
            [
                self.heading,
                self.credentials_box,
                controls,
                self.confirm_box,
                self.status,
                self.summary_html,
                self.plot_output,  # the chart before the table: the answer at a glance
                self.flags_html,
                self.download,
                self.login_filter,
                self.table_tools,
                self.table_output,
                self.pager,
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
        if client is None or self._thread is not None:
            self.coverage_label.value = ""
            return
        try:
            params = self._read_inputs()
            flags = {k: params[k] for k in ("mycur", "balance2", "fmt")}
            if params["freq"] is None:
                cached = client.cached(params["start"], params["end"], **flags) is not None
                text = _("This period is cached.") if cached else _("This period is not cached yet: one request.")
            else:
                coverage = client.coverage(params["start"], params["end"], params["freq"], **flags)
                text = _("Cache: {coverage}.").format(coverage=coverage)
        except SmsStatsError:
            text = ""
        self.coverage_label.value = f'<span class="smsstats-coverage" style="color:#555">{html.escape(text)}</span>'

    # -- credentials ---------------------------------------------------------------------------------
    def _ask_credentials(self, ask: bool, note: str | None = None) -> None:
        if note is not None:
            self.credentials_note.value = html.escape(note)
        self.credentials_box.layout.display = None if ask else "none"
        self.fetch_button.disabled = self.client is None

    @speaks
    def _on_connect(self, button: Any = None) -> None:
        login, psw = self.login_text.value.strip() or None, self.password.value or None
        self.password.value = ""  # never keep the secret in the widget state
        old = self.client
        try:
            # keep where and how the old client talked (its settings)
            client = StatsClient(login, psw) if old is None else StatsClient.with_settings(old.settings, login, psw)
        except SmsStatsError as exc:
            self.set_status(friendly_error(exc), error=True)
            return
        if old is not None and self._thread is None:
            old.close()
        self.client = client
        self._ask_credentials(False)
        self._update_coverage()
        # not "connected": the password is checked by the first Fetch (checking now would spend a login)
        self.set_status(
            _("Login {login} set: SMSC checks the password at the first <b>Fetch</b>.").format(
                login=html.escape(login or "")
            ),
            raw=True,
        )

    #: The picker's first choice: the client the dashboard was started with (the environment or the demo).
    STARTED_WITH = "as started"

    def _named_accounts(self) -> None:
        """The accounts file's names in the picker (shown only when there are some)."""
        from ..client import load_accounts

        try:
            names = sorted(load_accounts())
        except QueryError as exc:
            self.set_status(friendly_error(exc), error=True)
            names = []
        if names:
            self.account_dropdown.options = [(_(self.STARTED_WITH), self.STARTED_WITH), *[(n, n) for n in names]]
            self.account_dropdown.value = self.STARTED_WITH
            self.account_dropdown.layout.display = None
        if len(names) > 1:  # several side by side: pick two or more here
            self.compare_accounts.options = names
            self.compare_accounts.layout.display = None

    @speaks
    def _on_account(self, change: Any = None) -> None:
        """Another named account: a client for it (its login, server and secret), the answer cleared."""
        name = self.account_dropdown.value
        if self._thread is not None or name is None:
            return
        if name == self.STARTED_WITH:
            client = self._started_with
        else:
            try:
                client = StatsClient.from_account(name)
            except SmsStatsError as exc:
                self.set_status(friendly_error(exc), error=True)
                return
        if self.client is not None and self.client is not self._started_with:
            self.client.close()
        self.client = client
        self.clear_answer()
        self._ask_credentials(client is None)
        self.fetch_button.disabled = client is None
        self._update_coverage()
        if client is not None:
            self.set_status(_("Account {name}: pick a period and click Fetch.").format(name=name))

    # -- callbacks ---------------------------------------------------------------------------------
    @speaks
    def _on_cancel(self, button: Any = None) -> None:
        self._cancel.set()
        self.set_status(_("Cancelling after the current request…"))

    def _on_preset(self, change: Any = None) -> None:
        """A preset fills both date pickers (on the server's calendar); sends nothing."""
        name = self.preset_dropdown.value
        if name in PRESETS:
            self.start_picker.value, self.end_picker.value = preset_range(name, self.today)

    def _read_inputs(self) -> dict[str, Any]:
        start, end = self.start_picker.value, self.end_picker.value
        if start is None or end is None:
            raise said(QueryError, "pick both a start and an end date")
        params = {
            "start": start,
            "end": end,
            "mycur": bool(self.mycur_box.value),
            "balance2": bool(self.balance2_box.value),
            "fmt": int(self.fmt_dropdown.value),
            "freq": GRANULARITY[self.granularity_dropdown.value],
        }
        flags = {k: params[k] for k in ("mycur", "balance2", "fmt")}
        if params["freq"] is None:
            make_query(start, end, **flags)  # validates (QueryError) before anything else
        else:
            series_queries(start, end, params["freq"], **flags)
        return params

    def _several(self) -> list[str]:
        """The accounts picked to compare (two or more), else none."""
        picked = [str(x) for x in self.compare_accounts.value]
        return picked if len(picked) > 1 else []

    @speaks
    def _on_fetch(self, button: Any = None) -> None:
        if self._thread is not None or self.client is None:
            return
        self.confirm_box.layout.display = "none"
        if self._several():  # several accounts: asked side by side, each at its own quota
            try:
                params = self._read_inputs()
            except SmsStatsError as exc:
                self.clear_answer()
                self.set_status(friendly_error(exc), error=True)
                return
            self._plan = {"total": 1, "requests": 0, "fetched": 0, "total_first": None}
            self._start(params)
            return
        try:
            params = self._read_inputs()
            requests, eta = self._estimate(params)
        except SmsStatsError as exc:
            self.clear_answer()
            self.set_status(friendly_error(exc), error=True)
            return
        self._plan = {"total": 1, "requests": requests, "fetched": 0, "total_first": self._total_first(params)}
        requests += int(self._plan["total_first"] == "fetch")
        self._plan["requests"] = requests
        if self._plan["total_first"] == "fetch" and self.client is not None:
            eta = self.client.eta(requests)
        if eta > self.confirm_above:
            self._pending = params
            first = (
                _(" (one of them for the range's total, shown first)") if self._plan["total_first"] == "fetch" else ""
            )
            self.confirm_text.value = _(
                "This needs <b>{requests}</b>: about <b>{eta}</b> under {limit}{first}. "
                "What is fetched is cached, and Cancel keeps it."
            ).format(
                requests=html.escape(requests_words(requests)),
                eta=html.escape(format_duration(eta)),
                limit=html.escape(self._limit_words()),
                first=first,  # our own words, no markup
            )
            self.confirm_box.layout.display = None
            self.set_status(_("Waiting for your confirmation."))
            return
        self._start(params)

    @speaks
    def _on_confirm(self, button: Any = None) -> None:
        params, self._pending = self._pending, None
        self.confirm_box.layout.display = "none"
        if params is not None and self._thread is None:
            self._start(params)

    @speaks
    def _on_decline(self, button: Any = None) -> None:
        self._pending = None
        self.confirm_box.layout.display = "none"
        self.set_status(_("Not fetched. Pick a shorter period or a coarser granularity."))

    def _total_first(self, params: dict[str, Any]) -> str | None:
        """For a series that will wait on the rate limit (more periods to fetch than one window
        allows): ``"cached"`` or ``"fetch"`` when the range's total comes first (``"fetch"`` costs
        one request, and shows the figures a window or more before the series ends), else None."""
        client = self.client
        if client is None or params["freq"] is None or not self.totals_first.value:
            return None
        flags = {k: params[k] for k in ("mycur", "balance2", "fmt")}
        burst = client.rate_limit[0]  # what arrives at once anyway: no total first for those
        if client.estimate_series(params["start"], params["end"], params["freq"], **flags).requests <= burst:
            return None
        return "cached" if client.cached(params["start"], params["end"], **flags) is not None else "fetch"

    def _estimate(self, params: dict[str, Any]) -> tuple[int, float]:
        """Requests needed and seconds of rate-limit wait for this fetch (sends nothing)."""
        client = self.client
        assert client is not None
        flags = {k: params[k] for k in ("mycur", "balance2", "fmt")}
        if params["freq"] is None:
            cached = client.cached(params["start"], params["end"], **flags)
            need = 0 if cached is not None else 1
            return need, client.eta(need)
        cost = client.estimate_series(params["start"], params["end"], params["freq"], **flags)
        return cost.requests, cost.eta_seconds

    def _start(self, params: dict[str, Any]) -> None:
        self._cancel.clear()
        self.error = None
        self.fetch_button.disabled = True
        self.cancel_button.disabled = False
        self.progress.value, self.progress.max = 0, 1
        self.progress_label.value = ""
        self.set_status(_("Fetching…"))
        self._running = dict(params)  # the fetch under way (its cache line is kept current)
        self._last_draw = 0.0
        self._thread = threading.Thread(target=self._run, args=(params,), name="smsstats-dashboard", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = 120.0) -> bool:
        """Block until the running fetch ends (for tests and scripts); True if it ended."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- the background fetch ----------------------------------------------------------------------------
    @speaks
    def _run(self, params: dict[str, Any]) -> None:
        client = self.client
        assert client is not None
        self._range_total = None
        try:
            freq = params.pop("freq")
            several = self._several()
            if several:
                df = self._fetch_several(several, freq, params)
            elif freq is None:
                df = client.fetch(**params, on_wait=self._on_wait)
                self.progress.max, self.progress.value = 1, 1
            else:
                start, end = params.pop("start"), params.pop("end")
                order = "oldest"
                if self._plan.get("total_first"):
                    # the server's own figure for the whole range first: one request, read at once
                    total = client.fetch(start, end, **params, on_wait=self._on_wait)
                    self._plan["fetched"] += 0 if total.attrs.get("from_cache") else 1
                    self._range_total = total
                    self.show(
                        total, note=" " + _("The series is loading, newest first; the chart fills as it arrives.")
                    )
                    order = "newest"
                df = client.fetch_series(
                    start,
                    end,
                    freq,
                    **params,
                    progress=False,
                    cancel=self._cancel,
                    on_period=self._on_period,
                    on_wait=self._on_wait,
                    order=order,
                    on_frame=self._on_frame if order == "newest" else None,
                )
            self.show(df, note=self._note if self._several() else "")
        except BaseException as exc:  # noqa: BLE001 - every error goes to the status line
            self.error = exc
            partial = getattr(exc, "partial", None)
            if isinstance(partial, pd.DataFrame) and len(partial):
                self.show(partial, note=" " + _("Partial: what was fetched before the error is shown and cached."))
            else:
                self.clear_answer()
            self.set_status(friendly_error(exc), error=True)
            if isinstance(exc, AuthError):
                self._ask_credentials(True, _("Enter the login and password again (they are not saved)."))
                if client.login:
                    self.login_text.value = client.login
            logger.info("dashboard fetch failed: %s", type(exc).__name__)
        finally:
            self.fetch_button.disabled = self.client is None
            self.cancel_button.disabled = True
            self.progress_label.value = ""
            self._thread = None
            self._update_coverage()

    def _fetch_several(self, names: list[str], freq: str | None, params: dict[str, Any]) -> pd.DataFrame:
        """Several accounts side by side (their own logins, servers and quotas), one frame; a
        failed account is said in the status and the others' rows are shown."""
        from ..client import AccountsError, fetch_accounts

        assert self.client is not None
        start, end = params.pop("start"), params.pop("end")
        try:
            df = fetch_accounts(names, start, end, freq=freq, cache=self.client.settings.cache, **params)
        except AccountsError as exc:
            failed = "; ".join(f"{name}: {friendly_error(e)}" for name, e in exc.errors.items())
            self._note = " " + _("Not shown: {failed}").format(failed=failed)
            df = exc.partial
        else:
            self._note = ""
        self.progress.max, self.progress.value = 1, 1
        return df

    #: Seconds between two redraws of the chart while a series arrives (each draw costs ~0.1 s).
    REDRAW_EVERY = 1.0

    def _on_frame(self, partial: pd.DataFrame) -> None:
        """Redraw the chart with the periods answered so far (newest first), at most once a second."""
        now = time.monotonic()
        if now - self._last_draw < self.REDRAW_EVERY or not len(partial):
            return
        self._last_draw = now
        shown = self.filtered(partial)
        if shown is not None and len(shown):
            self.show_plot(shown)
            self.set_status(
                _(
                    "Loading: {got} of {asked} so far (newest first). "
                    "The figures above are SMSC's totals for the whole range."
                ).format(
                    got=i18n.format_span(partial.attrs.get("start"), partial.attrs.get("end")),
                    asked=i18n.format_span(partial.attrs.get("requested_start"), partial.attrs.get("requested_end")),
                )
            )

    def _limit_words(self) -> str:
        """The client's real limit in words ("the limit of 3 requests per 60 s")."""
        if self.client is None:
            return _("the rate limit")
        count, per = self.client.rate_limit
        return i18n.ngettext(
            "the limit of {count} requests per {per} s", "the limit of {count} requests per {per} s", count
        ).format(count=count, per=f"{per:g}")

    def _on_period(self, done: int, total: int, cached: bool) -> None:
        self.progress.max = total
        self.progress.value = done
        if not cached:
            self._plan["fetched"] += 1
        self._progress_line(None)
        self._update_cache_line()

    def _on_wait(self, seconds: float) -> None:
        self._progress_line(seconds)

    def _progress_line(self, seconds: float | None) -> None:
        """Done, to go and the time left (from the client's real limit); the wait for the next
        request is added to it, never written over it."""
        done, total = self.progress.value, self.progress.max
        left = max(0, self._plan["requests"] - self._plan["fetched"])
        parts = [
            i18n.ngettext(
                "{done} of {total} periods done, {left} to go", "{done} of {total} periods done, {left} to go", total
            ).format(done=done, total=total, left=total - done)
        ]
        if left and self.client is not None:
            parts.append(_("about {eta} left").format(eta=format_duration(self.client.eta(left))))
        if seconds is not None and seconds >= 1:
            parts.append(
                _("next request in {seconds} s ({limit})").format(seconds=f"{seconds:.0f}", limit=self._limit_words())
            )
        self.progress_label.value = "; ".join(parts)

    def _update_cache_line(self) -> None:
        """Keep the "how much is cached" line current while a fetch fills the cache, from the
        counts the fetch keeps (no cache lookups per period: a year of days stays linear)."""
        total, done = self.progress.max, self.progress.value
        if self._running is None or self._running.get("freq") is None or not total:
            return
        missing = max(0, self._plan["requests"] - self._plan["fetched"])
        text = i18n.ngettext(
            "Cache: {total} periods: {cached} cached, {missing} still to fetch ({done} done).",
            "Cache: {total} periods: {cached} cached, {missing} still to fetch ({done} done).",
            total,
        ).format(total=total, cached=total - missing, missing=missing, done=done)
        self.coverage_label.value = f'<span class="smsstats-coverage" style="color:#555">{html.escape(text)}</span>'


_WRAP = w.Layout(flex_flow="row wrap", align_items="center")


def page_lang(query: str | None = None) -> str | None:
    """The language a Voilà page's address asks for (``…/04_dashboard.ipynb?lang=ru``; Voilà hands
    the kernel the request's query as ``QUERY_STRING``), or None when it asks for none."""
    from urllib.parse import parse_qs

    asked = parse_qs(query if query is not None else Environment.read().query_string or "").get("lang")
    return i18n.resolve(asked[0]) if asked else None


def dashboard(*, today: dt.date | None = None, lang: str | None = None, heading: bool = True) -> StatsDashboard:
    """The dashboard for a notebook or Voilà, in every credential state.

    With ``SMSC_LOGIN`` (and ``SMSC_PASSWORD``) or ``SMSC_APIKEY`` set it talks to SMSC (or
    ``SMSC_BASE_URL``); with a login but no password it asks for the password in the page; with
    neither it starts the embedded demo server. It never raises for missing credentials. ``lang``:
    the page's language (default: the page address's ``?lang=ru`` under Voilà, else
    ``$SMSSTATS_LANG``, else the locale, else English); ``heading``:
    the app's title and how to use it above the controls (in that language).
    """
    env = Environment.read()
    lang = lang if lang is not None else page_lang()
    if env.has_credentials:
        try:
            return StatsDashboard(StatsClient(), today=today, lang=lang, heading=heading)
        except QueryError:  # a login without a password: ask for it in the page
            return StatsDashboard(None, today=today, login=env.login, lang=lang, heading=heading)
    session = connect()
    dash = StatsDashboard(session.client, today=today, lang=lang, heading=heading)
    dash.session = session
    with i18n.using(dash.lang):
        dash.set_status(
            _(
                "Demo mode: the embedded demo server on this machine (synthetic data, no account needed). "
                "Pick a period and click Fetch."
            )
        )
    return dash
