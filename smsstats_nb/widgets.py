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

import base64
import datetime as dt
import html
import logging
import threading
import time
from typing import Any

import ipywidgets as w
import pandas as pd

from .analysis import LABELS, previous_calendar_period, summarize, year_earlier
from .client import StatsClient
from .display import SORTS, download_buttons, flags_table, friendly_error, html_table, summary_block, table_rows
from .errors import (
    AuthError,
    QueryError,
    SmsStatsError,
)
from .frames import describe, file_tag
from .notebook import connect
from .plotting import TOP
from .query import PRESETS, last_full_month, make_query, preset_range
from .series import format_duration, series_queries
from .settings import Environment

__all__ = ["StatsDashboard", "dashboard", "friendly_error", "last_full_month"]

logger = logging.getLogger(__name__)

GRANULARITY = {"total": None, "daily": "D", "weekly": "W", "monthly": "MS"}


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
    """

    def __init__(
        self,
        client: StatsClient | None = None,
        *,
        today: dt.date | None = None,
        login: str | None = None,
        confirm_above: float = CONFIRM_ABOVE,
    ) -> None:
        self.client = client
        self.session: Any = None
        self.result: pd.DataFrame | None = None
        self.summary: Any = None
        self.error: BaseException | None = None
        self.confirm_above = confirm_above
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._note = ""
        self._running: dict[str, Any] | None = None
        self._previous: tuple[tuple[dt.date, dt.date], pd.DataFrame | None] | None = None
        self._year_ago: tuple[tuple[dt.date, dt.date], pd.DataFrame | None] | None = None
        self._pending: dict[str, Any] | None = None
        self._plan: dict[str, Any] = {"total": 0, "requests": 0, "fetched": 0}
        self._range_total: pd.DataFrame | None = None  # the whole range's total, when a series asked it first
        self._last_draw = 0.0
        self._changes: pd.DataFrame | None = None  # each login's change against the previous period
        start, end = last_full_month(today)
        self.today = today  # the day the presets count from (None: today in Moscow)
        style = {"description_width": "80px"}
        narrow = w.Layout(width="240px")
        self.start_picker = w.DatePicker(description="Start", value=start, style=style, layout=narrow)
        self.end_picker = w.DatePicker(description="End", value=end, style=style, layout=narrow)
        self.flags_html = w.HTML(value="")
        self.page = 0
        self.prev_button = w.Button(description="◀ previous", layout=w.Layout(width="110px"))
        self.next_button = w.Button(description="next ▶", layout=w.Layout(width="110px"))
        self.page_label = w.HTML(value="")
        self.search_text = w.Text(
            description="Search",
            placeholder="login contains…",
            style={"description_width": "60px"},
            layout=w.Layout(width="240px"),
        )
        self.sort_dropdown = w.Dropdown(
            description="Sort",
            options=[(label, key) for key, label in SORTS.items()],
            value="date",
            style={"description_width": "40px"},
            layout=w.Layout(width="220px"),
        )
        self.table_tools = w.HBox(
            [self.search_text, self.sort_dropdown], layout=w.Layout(flex_flow="row wrap", align_items="center")
        )
        self.table_tools.layout.display = "none"
        # a Layout of its own: hiding it must not hide the other rows (they share _WRAP)
        self.pager = w.HBox(
            [self.prev_button, self.next_button, self.page_label],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.pager.layout.display = "none"
        self.preset_dropdown = w.Dropdown(
            description="Range", options=["custom", *PRESETS], value="custom", style=style, layout=narrow
        )
        self.mycur_box = w.Checkbox(description="own currency (mycur)", value=False, indent=False)
        self.balance2_box = w.Checkbox(description="electronic balance (balance2)", value=False, indent=False)
        self.fmt_dropdown = w.Dropdown(
            description="Format",
            options=[("JSON (3)", 3), ("text (0)", 0), ("CSV (1)", 1), ("XML (2)", 2)],
            value=3,
            style=style,
            layout=narrow,
        )
        self.top_input = w.BoundedIntText(
            value=TOP, min=1, max=200, description="Top logins", style=style, layout=w.Layout(width="200px")
        )
        self.totals_first = w.Checkbox(
            description="a series shows the range's total first (one request more)", value=True, indent=False
        )
        # the wire format is a developer's choice (the frame is the same): out of the analyst's way
        self.advanced = w.Accordion(
            children=[w.HBox([self.fmt_dropdown, self.totals_first], layout=_WRAP)], selected_index=None
        )
        self.advanced.set_title(0, "Advanced: wire format, totals first")
        self.granularity_dropdown = w.Dropdown(
            description="Granularity", options=list(GRANULARITY), value="total", style=style, layout=narrow
        )
        self.metric_dropdown = w.Dropdown(
            description="Metric",
            options=[(f"{LABELS[m]} ({m})", m) for m in ("sms", "credit", "debit")],
            value="sms",
            style=style,
            layout=w.Layout(width="300px"),
        )
        self.login_filter = w.SelectMultiple(
            description="Logins", options=[], rows=4, style=style, layout=w.Layout(width="300px", display="none")
        )
        self.fetch_button = w.Button(description="Fetch", button_style="primary", icon="download")
        self.cancel_button = w.Button(description="Cancel", disabled=True, icon="stop")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="200px"))
        self.progress_label = w.Label(value="")
        self.confirm_text = w.HTML(value="")
        self.confirm_button = w.Button(description="Fetch anyway", button_style="warning")
        self.decline_button = w.Button(description="Not now")
        self.confirm_box = w.VBox(
            [self.confirm_text, w.HBox([self.confirm_button, self.decline_button])], layout=w.Layout(display="none")
        )
        self.status = w.HTML(value="Pick a period and click <b>Fetch</b>.")
        self.coverage_label = w.HTML(value="")
        self.summary_html = w.HTML(value="")
        self.table_output = w.Output(layout=w.Layout(max_height="420px", overflow="auto", width="100%"))
        self.plot_output = w.Output(layout=w.Layout(width="100%"))
        self.download = w.HTML(value="")
        self.login_text = w.Text(description="Login", value=login or "", style=style, layout=narrow)
        self.password = w.Password(description="Password", style=style, layout=narrow)
        self.connect_button = w.Button(description="Connect")
        self.credentials_note = w.HTML(
            value="No SMSC password in the environment: enter the login and password here (they are not saved)."
        )
        self.credentials_box = w.VBox(
            [self.credentials_note, w.HBox([self.login_text, self.password, self.connect_button], layout=_WRAP)]
        )
        self.fetch_button.on_click(self._on_fetch)
        self.cancel_button.on_click(self._on_cancel)
        self.connect_button.on_click(self._on_connect)
        self.confirm_button.on_click(self._on_confirm)
        self.decline_button.on_click(self._on_decline)
        self.metric_dropdown.observe(self._on_redraw, names="value")
        self.top_input.observe(self._on_redraw, names="value")
        for control in (
            self.start_picker,
            self.end_picker,
            self.granularity_dropdown,
            self.mycur_box,
            self.balance2_box,
        ):
            control.observe(self._update_coverage, names="value")
        self.login_filter.observe(self._on_redraw, names="value")
        self.preset_dropdown.observe(self._on_preset, names="value")
        self.search_text.observe(self._on_table, names="value")
        self.sort_dropdown.observe(self._on_table, names="value")
        self.prev_button.on_click(lambda _: self._turn(-1))
        self.next_button.on_click(lambda _: self._turn(1))
        if self.client is None and login is None:
            try:
                self.client = StatsClient()
            except QueryError:
                self.client = None
        self._ask_credentials(self.client is None)
        if self.client is None:
            self._set_status("Enter the SMSC login and password above and click Connect.")
        controls = w.VBox(
            [
                w.HBox([self.preset_dropdown, self.start_picker, self.end_picker], layout=_WRAP),
                w.HBox([self.granularity_dropdown, self.metric_dropdown, self.top_input], layout=_WRAP),
                w.HBox([self.mycur_box, self.balance2_box], layout=_WRAP),
                self.advanced,
                w.HBox([self.fetch_button, self.cancel_button, self.progress, self.progress_label], layout=_WRAP),
                self.coverage_label,
            ]
        )
        self._update_coverage()
        self.widget = w.VBox(
            [
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
            ],
            layout=w.Layout(width="100%", max_width="1400px"),  # uses the width it has
        )

    # -- display -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        data["text/plain"] = "StatsDashboard: pick a period and click Fetch"
        return data

    def __repr__(self) -> str:
        return "StatsDashboard()"

    def _update_coverage(self, _: Any = None) -> None:
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
                text = "This period is cached." if cached else "This period is not cached yet: one request."
            else:
                text = f"Cache: {client.coverage(params['start'], params['end'], params['freq'], **flags)}."
        except SmsStatsError:
            text = ""
        self.coverage_label.value = f'<span class="smsstats-coverage" style="color:#555">{html.escape(text)}</span>'

    # -- credentials ---------------------------------------------------------------------------------
    def _ask_credentials(self, ask: bool, note: str | None = None) -> None:
        if note is not None:
            self.credentials_note.value = html.escape(note)
        self.credentials_box.layout.display = None if ask else "none"
        self.fetch_button.disabled = self.client is None

    def _on_connect(self, _: Any = None) -> None:
        login, psw = self.login_text.value.strip() or None, self.password.value or None
        self.password.value = ""  # never keep the secret in the widget state
        old = self.client
        try:
            # keep where and how the old client talked (its settings)
            client = StatsClient(login, psw) if old is None else StatsClient.with_settings(old.settings, login, psw)
        except SmsStatsError as exc:
            self._set_status(friendly_error(exc), error=True)
            return
        if old is not None and self._thread is None:
            old.close()
        self.client = client
        self._ask_credentials(False)
        self._update_coverage()
        # not "connected": the password is checked by the first Fetch (checking now would spend a login)
        self._set_status(
            f"Login {html.escape(login or '')} set: SMSC checks the password at the first <b>Fetch</b>.", raw=True
        )

    # -- callbacks ---------------------------------------------------------------------------------
    def _on_cancel(self, _: Any = None) -> None:
        self._cancel.set()
        self._set_status("Cancelling after the current request…")

    def _on_preset(self, _: Any = None) -> None:
        """A preset fills both date pickers (on the server's calendar); sends nothing."""
        name = self.preset_dropdown.value
        if name in PRESETS:
            self.start_picker.value, self.end_picker.value = preset_range(name, self.today)

    def _on_redraw(self, _: Any = None) -> None:
        """A metric or login-filter change redraws everything from the answer already fetched (no
        request): the filter applies to the KPIs, the table, the plot and the download alike."""
        if self.result is not None and self._thread is None:
            self._render()

    def _read_inputs(self) -> dict[str, Any]:
        start, end = self.start_picker.value, self.end_picker.value
        if start is None or end is None:
            raise QueryError("pick both a start and an end date")
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

    def _on_fetch(self, _: Any = None) -> None:
        if self._thread is not None or self.client is None:
            return
        self.confirm_box.layout.display = "none"
        try:
            params = self._read_inputs()
            requests, eta = self._estimate(params)
        except SmsStatsError as exc:
            self._clear_answer()
            self._set_status(friendly_error(exc), error=True)
            return
        self._plan = {"total": 1, "requests": requests, "fetched": 0, "total_first": self._total_first(params)}
        requests += int(self._plan["total_first"] == "fetch")
        self._plan["requests"] = requests
        if self._plan["total_first"] == "fetch" and self.client is not None:
            eta = self.client.eta(requests)
        if eta > self.confirm_above:
            self._pending = params
            self.confirm_text.value = (
                f"This needs <b>{requests} request(s)</b>: about <b>{html.escape(format_duration(eta))}</b> "
                f"under {html.escape(self._limit_words())}"
                + (" (one of them for the range's total, shown first)" if self._plan["total_first"] == "fetch" else "")
                + ". What is fetched is cached, and Cancel keeps it."
            )
            self.confirm_box.layout.display = None
            self._set_status("Waiting for your confirmation.")
            return
        self._start(params)

    def _on_confirm(self, _: Any = None) -> None:
        params, self._pending = self._pending, None
        self.confirm_box.layout.display = "none"
        if params is not None and self._thread is None:
            self._start(params)

    def _on_decline(self, _: Any = None) -> None:
        self._pending = None
        self.confirm_box.layout.display = "none"
        self._set_status("Not fetched. Pick a shorter period or a coarser granularity.")

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
        self._set_status("Fetching…")
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
    def _run(self, params: dict[str, Any]) -> None:
        client = self.client
        assert client is not None
        self._range_total = None
        try:
            freq = params.pop("freq")
            if freq is None:
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
                    self._show(total, note=" The series is loading, newest first; the chart fills as it arrives.")
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
            self._show(df)
        except BaseException as exc:  # noqa: BLE001 - every error goes to the status line
            self.error = exc
            partial = getattr(exc, "partial", None)
            if isinstance(partial, pd.DataFrame) and len(partial):
                self._show(partial, note=" Partial: what was fetched before the error is shown and cached.")
            else:
                self._clear_answer()
            self._set_status(friendly_error(exc), error=True)
            if isinstance(exc, AuthError):
                self._ask_credentials(True, "Enter the login and password again (they are not saved).")
                if client.login:
                    self.login_text.value = client.login
            logger.info("dashboard fetch failed: %s", type(exc).__name__)
        finally:
            self.fetch_button.disabled = self.client is None
            self.cancel_button.disabled = True
            self.progress_label.value = ""
            self._thread = None
            self._update_coverage()

    #: Seconds between two redraws of the chart while a series arrives (each draw costs ~0.1 s).
    REDRAW_EVERY = 1.0

    def _on_frame(self, partial: pd.DataFrame) -> None:
        """Redraw the chart with the periods answered so far (newest first), at most once a second."""
        now = time.monotonic()
        if now - self._last_draw < self.REDRAW_EVERY or not len(partial):
            return
        self._last_draw = now
        shown = self._filtered(partial)
        if shown is not None and len(shown):
            self._show_plot(shown)
            self._set_status(
                f"Loading: {partial.attrs.get('start')} – {partial.attrs.get('end')} of "
                f"{partial.attrs.get('requested_start')} – {partial.attrs.get('requested_end')} so far "
                "(newest first). The figures above are SMSC's totals for the whole range."
            )

    def _limit_words(self) -> str:
        """The client's real limit in words ("the limit of 3 requests per 60 s")."""
        if self.client is None:
            return "the rate limit"
        count, per = self.client.rate_limit
        return f"the limit of {count} requests per {per:g} s"

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
        parts = [f"{done} of {total} periods done, {total - done} to go"]
        if left and self.client is not None:
            parts.append(f"about {format_duration(self.client.eta(left))} left")
        if seconds is not None and seconds >= 1:
            parts.append(f"next request in {seconds:.0f} s ({self._limit_words()})")
        self.progress_label.value = "; ".join(parts)

    def _update_cache_line(self) -> None:
        """Keep the "how much is cached" line current while a fetch fills the cache, from the
        counts the fetch keeps (no cache lookups per period: a year of days stays linear)."""
        total, done = self.progress.max, self.progress.value
        if self._running is None or self._running.get("freq") is None or not total:
            return
        missing = max(0, self._plan["requests"] - self._plan["fetched"])
        text = f"Cache: {total} periods: {total - missing} cached, {missing} still to fetch ({done} done)."
        self.coverage_label.value = f'<span class="smsstats-coverage" style="color:#555">{html.escape(text)}</span>'

    # -- output --------------------------------------------------------------------------------------------
    def _clear_answer(self) -> None:
        """Remove the previous answer (its figures no longer match the inputs)."""
        self.result = None
        self.summary = None
        self.table_output.outputs = ()
        self.plot_output.outputs = ()
        self.flags_html.value = ""
        self.download.value = ""
        self.summary_html.value = ""
        self.login_filter.layout.display = "none"

    def _show(self, df: pd.DataFrame, note: str = "") -> None:
        """Replace the answer on the page: the login filter's choices, then everything else."""
        self.result = df
        self._note = note
        logins = sorted(str(x) for x in df["login"].unique())
        kept = tuple(x for x in self.login_filter.value if x in logins)  # the analyst's pick survives a redraw
        self.login_filter.unobserve(self._on_redraw, names="value")
        self.login_filter.options = logins if len(logins) > 1 else []
        self.login_filter.value = kept if len(logins) > 1 else ()
        self.login_filter.observe(self._on_redraw, names="value")
        self.login_filter.layout.display = None if len(logins) > 1 else "none"
        self._previous = self._cached_previous(df)
        self._year_ago = self._cached_year_ago(df)
        self._render()

    def _cached_previous(self, df: pd.DataFrame) -> tuple[tuple[dt.date, dt.date], pd.DataFrame | None] | None:
        """The previous calendar period (January for February, the quarter before a quarter, the
        same number of days before a custom range) and its answer when it is cached (no request)."""
        start, end = df.attrs.get("start"), df.attrs.get("end")
        if not start or not end or df.attrs.get("complete") is False:
            return None
        a, b = previous_calendar_period(start, end)
        return (a, b), self._cached_answer(df, a, b)

    def _cached_year_ago(self, df: pd.DataFrame) -> tuple[tuple[dt.date, dt.date], pd.DataFrame | None] | None:
        """The same period a year earlier, and its answer when it is cached (no request)."""
        start, end = df.attrs.get("start"), df.attrs.get("end")
        if not start or not end or df.attrs.get("complete") is False:
            return None
        a, b = year_earlier(start, end)
        return (a, b), self._cached_answer(df, a, b)

    def _cached_answer(self, df: pd.DataFrame, a: dt.date, b: dt.date) -> pd.DataFrame | None:
        """The answer for ``a``–``b`` with ``df``'s flags, only if the cache holds it whole."""
        client = self.client
        if client is None:
            return None
        flags = {"mycur": df.attrs.get("mycur", False), "balance2": df.attrs.get("balance2", False)}
        try:
            answer = client.cached(a, b, **flags)
            freq = df.attrs.get("freq")
            if answer is None and freq and client.estimate_series(a, b, freq, **flags).requests == 0:
                answer = client.fetch_series(a, b, freq, progress=False, **flags)  # all cached: no request
        except SmsStatsError:
            answer = None
        return answer

    def view(self) -> pd.DataFrame | None:
        """The answer as the page shows it: only the logins picked in the filter (all when none)."""
        return self._filtered(self.result)

    def _filtered(self, df: pd.DataFrame | None) -> pd.DataFrame | None:
        picked = [str(x) for x in self.login_filter.value]
        if df is None or not picked:
            return df
        part = df[df["login"].astype(str).isin(picked)]
        part.attrs = {**df.attrs, "logins": ", ".join(picked)}
        return part

    def _render(self) -> None:
        """Summary, table, plot, download and status, all from :meth:`view` (one filter for all)."""
        full = self.result
        df = self.view()
        if full is None or df is None:
            return
        start, end = df.attrs.get("start"), df.attrs.get("end")
        previous = self._previous
        before = None
        if previous is not None and previous[1] is not None:
            before = previous[1]
            if self.login_filter.value:
                before = before[before["login"].astype(str).isin([str(x) for x in self.login_filter.value])]
        self.summary = summarize(df, before)
        self._changes = None
        if before is not None and "period_start" not in df.columns:
            from .monitoring import compare_periods

            try:
                self._changes = compare_periods(before, df)  # each login's change, for the table
            except QueryError:
                self._changes = None
        compared = previous[0] if previous is not None else None
        partial = None
        if not df.attrs.get("complete", True):
            partial = (
                f"these figures cover {start} – {end} of {df.attrs.get('requested_start')} – "
                f"{df.attrs.get('requested_end')}."
            )
            total = self._filtered(self._range_total)
            if total is not None and len(total):
                partial += f" SMSC's total for the whole range: {int(total['sms'].sum()):,} messages."
        year = None
        if self._year_ago is not None:
            (a, b), earlier = self._year_ago
            earlier = self._filtered(earlier)
            if earlier is None:
                year = f"A year earlier ({a} – {b}) is not cached: no comparison with it."
            else:
                year = f"Against a year earlier ({a} – {b}, cached): " + summarize(df, earlier).changes()
        self.summary_html.value = summary_block(
            self.summary, compared, cached=before is not None, partial=partial, year=year
        )
        self.page = 0
        self._show_page(df)
        png = self._show_plot(df)
        series = "period_start" in df.columns
        granularity = self.granularity_dropdown.value if series else "total"
        only = "_" + "_".join(str(x) for x in self.login_filter.value) if self.login_filter.value else ""
        self.download.value = download_buttons(
            df, f"smsstats_{start}_{end}_{granularity}{file_tag(df.attrs)}{only}", png
        )
        source = "the cache" if df.attrs.get("from_cache") else f"{df.attrs.get('requests', 0)} request(s)"
        extra = ""
        if not df.attrs.get("complete", True):
            got = int(df.attrs.get("periods_done", 0))  # periods answered, with or without rows
            extra = (
                f" Cancelled: {got} of {self.progress.max} periods were fetched, so this covers {start} – {end} "
                f"of {df.attrs.get('requested_start')} – {df.attrs.get('requested_end')} "
                "(cached; Fetch again resumes)."
            )
        words = describe(df.attrs)
        flags = f" ({words})" if words else ""
        shown = ""
        if self.login_filter.value:
            shown = f" Showing {len(self.login_filter.value)} of {len(self.login_filter.options)} logins."
        self._set_status(f"{len(df)} rows for {start} – {end}{flags} from {source}.{extra}{shown}{self._note}")

    #: Rows on one page of the table (a daily series of a year is 365 × the logins).
    PAGE_ROWS = 25

    def _on_table(self, _: Any = None) -> None:
        """Search or sort changed: the table's first page again (no request, the same answer)."""
        view = self.view()
        if view is not None and self._thread is None:
            self.page = 0
            self._show_page(view)

    def _show_page(self, df: pd.DataFrame) -> None:
        """The current page of the table (searched and sorted), and the pager when there is more than one page."""
        self.table_tools.layout.display = None if len(df) > 1 else "none"
        everything = len(df)
        df = table_rows(df, self.search_text.value, self.sort_dropdown.value)
        pages = max(1, -(-len(df) // self.PAGE_ROWS))
        self.page = min(max(0, self.page), pages - 1)
        first = self.page * self.PAGE_ROWS
        table = html_table(df, first=first, rows=self.PAGE_ROWS, changes=self._changes)
        _replace(self.table_output, {"text/html": table, "text/plain": f"{len(df)} rows"})
        self.pager.layout.display = None if pages > 1 else "none"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        last = min(len(df), first + self.PAGE_ROWS)
        matched = (
            f" matching “{html.escape(self.search_text.value.strip())}” (of {everything:,})"
            if len(df) < everything
            else ""
        )
        if not len(df):
            self.page_label.value = f"no rows{matched}"
            self.pager.layout.display = None
        else:
            self.page_label.value = f"rows {first + 1}–{last} of {len(df):,}{matched} (page {self.page + 1} of {pages})"

    def _turn(self, step: int) -> None:
        """Another page of the table (the same answer, the same filter; no request)."""
        view = self.view()
        if view is not None:
            self.page += step
            self._show_page(view)

    def _show_plot(self, df: pd.DataFrame) -> bytes | None:
        """Draw the chart of ``df``; returns its PNG (None when there is nothing to draw)."""
        from .plotting import render_png

        if not len(df):
            self.plot_output.outputs = ()
            return None
        flags = self._flags(df)
        metric = self.metric_dropdown.value
        top = int(self.top_input.value)  # the N largest logins and one "others"
        # wide enough for a 1920 px screen; the page scales it down to the width it has
        png = render_png(df, metric, size=(13, 4.6), dpi=90, flags=flags, top=top)  # no pyplot: thread-safe
        _replace(self.plot_output, {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": "plot"})
        self.flags_html.value = flags_table(flags) if flags is not None else ""
        return png

    def _flags(self, df: pd.DataFrame) -> pd.DataFrame | None:
        """Monitoring on the page: the days of a daily series that depart from their login's
        weekday baseline (None for totals, other granularities or too short a history)."""
        from .monitoring import flag_anomalies

        if df.attrs.get("freq") != "D" or "period_start" not in df.columns:
            return None
        try:
            return flag_anomalies(df, self.metric_dropdown.value)
        except QueryError:
            return None

    def set_status(self, text: str, *, error: bool = False) -> None:
        """Show one status line (plain text) above the results."""
        self._set_status(text, error=error)

    def _set_status(self, text: str, *, error: bool = False, raw: bool = False) -> None:
        body = text if raw else html.escape(text)
        color = "#b00020" if error else "#1b5e20"
        self.status.value = f'<span class="smsstats-status" style="color:{color}">{body}</span>'


_WRAP = w.Layout(flex_flow="row wrap", align_items="center")


def _replace(out: w.Output, data: dict[str, str]) -> None:
    """Show ``data`` (a mime bundle) as the only output: one assignment, from any thread (no
    ``clear_output``, which uses the message context of whatever cell runs at that moment)."""
    out.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def dashboard(*, today: dt.date | None = None) -> StatsDashboard:
    """The dashboard for a notebook or Voilà, in every credential state.

    With ``SMSC_LOGIN`` (and ``SMSC_PASSWORD``) or ``SMSC_APIKEY`` set it talks to SMSC (or
    ``SMSC_BASE_URL``); with a login but no password it asks for the password in the page; with
    neither it starts the embedded demo server. It never raises for missing credentials.
    """
    env = Environment.read()
    if env.has_credentials:
        try:
            return StatsDashboard(StatsClient(), today=today)
        except QueryError:  # a login without a password: ask for it in the page
            return StatsDashboard(None, today=today, login=env.login)
    session = connect()
    dash = StatsDashboard(session.client, today=today)
    dash.session = session
    dash.set_status(
        "Demo mode: the embedded demo server on this machine (synthetic data, no account needed). "
        "Pick a period and click Fetch."
    )
    return dash
