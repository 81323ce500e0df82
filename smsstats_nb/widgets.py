"""StatsDashboard: an ipywidgets 8 dashboard (ipywidgets and matplotlib are imported here only).

Pick a period, flags, format, granularity and metric, click Fetch: the fetch runs in a background
thread (the kernel stays responsive), a progress bar shows periods and the rate-limit countdown,
errors become one friendly status line, and the table, the plot and a CSV download appear. The
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
from typing import Any

import ipywidgets as w
import pandas as pd

from .client import StatsClient
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
from .query import moscow_today

__all__ = ["StatsDashboard", "friendly_error", "last_full_month"]

logger = logging.getLogger(__name__)

GRANULARITY = {"total": None, "daily": "D", "weekly": "W", "monthly": "MS"}


def last_full_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of the month before ``today`` (default: today in Moscow)."""
    today = today or moscow_today()
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def friendly_error(exc: BaseException) -> str:
    """One line a person can act on, for any error a fetch can raise."""
    if isinstance(exc, AuthError):
        return f"Login failed: check the login and password (SMSC_LOGIN / SMSC_PASSWORD). {exc.hint or ''}".strip()
    if isinstance(exc, IPBlockedError):
        return "SMSC has blocked this IP address for up to 30 minutes; wait before trying again."
    if isinstance(exc, RateLimitError):
        wait = f"wait {exc.retry_after:.0f} s" if exc.retry_after else "wait a minute"
        return f"Rate limit reached: {wait} and click Fetch again (SMSC allows 3 statistics requests a minute)."
    if isinstance(exc, QueryError):
        return f"Check the inputs: {exc}"
    if isinstance(exc, TransportError):
        return f"Network problem: {exc}"
    if isinstance(exc, ResponseFormatError):
        return f"The server sent an answer that could not be read: {exc}"
    if isinstance(exc, SmscError):
        return f"SMSC answered with error {exc.code}: {exc.description or exc}"
    if isinstance(exc, SmsStatsError):
        return str(exc)
    return f"Unexpected {type(exc).__name__}: {exc}"


class StatsDashboard:
    """A widget dashboard over a :class:`StatsClient`.

    Args:
        client: the client to use. When None, one is built from the environment; without
            credentials there, the dashboard asks for them with a ``Password`` widget whose value
            is cleared as soon as it is read (so it is never saved with the notebook).
        today: the day "last full month" is counted from (default: today in Moscow).
    """

    def __init__(self, client: StatsClient | None = None, *, today: dt.date | None = None) -> None:
        self.client = client
        self.result: pd.DataFrame | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        start, end = last_full_month(today)
        style = {"description_width": "90px"}
        self.start_picker = w.DatePicker(description="Start", value=start, style=style)
        self.end_picker = w.DatePicker(description="End", value=end, style=style)
        self.mycur_box = w.Checkbox(description="own currency (mycur)", value=False, indent=False)
        self.balance2_box = w.Checkbox(description="electronic balance (balance2)", value=False, indent=False)
        self.fmt_dropdown = w.Dropdown(
            description="Format",
            options=[("JSON (3)", 3), ("text (0)", 0), ("CSV (1)", 1), ("XML (2)", 2)],
            value=3,
            style=style,
        )
        self.granularity_dropdown = w.Dropdown(
            description="Granularity", options=list(GRANULARITY), value="total", style=style
        )
        self.metric_dropdown = w.Dropdown(
            description="Metric", options=["sms", "credit", "debit"], value="sms", style=style
        )
        self.fetch_button = w.Button(description="Fetch", button_style="primary", icon="download")
        self.cancel_button = w.Button(description="Cancel", disabled=True, icon="stop")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="260px"))
        self.progress_label = w.Label(value="")
        self.status = w.HTML(value="Pick a period and click <b>Fetch</b>.")
        self.table_output = w.Output(layout=w.Layout(max_height="420px", overflow="auto"))
        self.plot_output = w.Output()
        self.download = w.HTML(value="")
        self.login_text = w.Text(description="Login", style=style)
        self.password = w.Password(description="Password", style=style)
        self.connect_button = w.Button(description="Connect")
        self.credentials_box = w.VBox(
            [
                w.HTML("No SMSC credentials in the environment: enter them here (they are not saved)."),
                w.HBox([self.login_text, self.password, self.connect_button]),
            ]
        )
        self.fetch_button.on_click(self._on_fetch)
        self.cancel_button.on_click(self._on_cancel)
        self.connect_button.on_click(self._on_connect)
        self.metric_dropdown.observe(self._on_metric, names="value")
        if self.client is None:
            try:
                self.client = StatsClient()
            except QueryError:
                self.client = None
        self.credentials_box.layout.display = "none" if self.client is not None else None
        self.fetch_button.disabled = self.client is None
        controls = w.VBox(
            [
                w.HBox([self.start_picker, self.end_picker]),
                w.HBox([self.granularity_dropdown, self.metric_dropdown, self.fmt_dropdown]),
                w.HBox([self.mycur_box, self.balance2_box]),
                w.HBox([self.fetch_button, self.cancel_button, self.progress, self.progress_label]),
            ]
        )
        self.widget = w.VBox(
            [self.credentials_box, controls, self.status, self.download, w.HBox([self.table_output, self.plot_output])]
        )

    # -- display -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
        data["text/plain"] = "StatsDashboard: pick a period and click Fetch"
        return data

    def __repr__(self) -> str:
        return "StatsDashboard()"

    # -- callbacks ---------------------------------------------------------------------------------
    def _on_connect(self, _: Any = None) -> None:
        login, psw = self.login_text.value.strip() or None, self.password.value or None
        self.password.value = ""  # never keep the secret in the widget state
        try:
            self.client = StatsClient(login, psw)
        except SmsStatsError as exc:
            self._set_status(friendly_error(exc), error=True)
            return
        self.credentials_box.layout.display = "none"
        self.fetch_button.disabled = False
        self._set_status(f"Connected as {html.escape(login or '')}. Pick a period and click <b>Fetch</b>.", raw=True)

    def _on_cancel(self, _: Any = None) -> None:
        self._cancel.set()
        self._set_status("Cancelling after the current request…")

    def _on_metric(self, _: Any = None) -> None:
        if self.result is not None and self._thread is None:
            self._show_plot(self.result)

    def _on_fetch(self, _: Any = None) -> None:
        if self._thread is not None or self.client is None:
            return
        self._cancel.clear()
        self.error = None
        self.fetch_button.disabled = True
        self.cancel_button.disabled = False
        self.progress.value, self.progress.max = 0, 1
        self.progress_label.value = ""
        self._set_status("Fetching…")
        params = {
            "start": self.start_picker.value,
            "end": self.end_picker.value,
            "mycur": bool(self.mycur_box.value),
            "balance2": bool(self.balance2_box.value),
            "fmt": int(self.fmt_dropdown.value),
            "freq": GRANULARITY[self.granularity_dropdown.value],
        }
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
        try:
            if params["start"] is None or params["end"] is None:
                raise QueryError("pick both a start and an end date")
            freq = params.pop("freq")
            if freq is None:
                df = client.fetch(**params, on_wait=self._on_wait)
                self.progress.max, self.progress.value = 1, 1
            else:
                df = client.fetch_series(
                    params.pop("start"),
                    params.pop("end"),
                    freq,
                    **params,
                    progress=False,
                    cancel=self._cancel,
                    on_period=self._on_period,
                    on_wait=self._on_wait,
                )
            self.result = df
            self._show(df)
        except BaseException as exc:  # noqa: BLE001 - every error goes to the status line
            self.error = exc
            partial = getattr(exc, "partial", None)
            if isinstance(partial, pd.DataFrame) and len(partial):
                self.result = partial
                self._show(partial, note=" (partial: what was fetched before the error is kept and cached)")
            self._set_status(friendly_error(exc), error=True)
            logger.info("dashboard fetch failed: %s", type(exc).__name__)
        finally:
            self.fetch_button.disabled = False
            self.cancel_button.disabled = True
            self.progress_label.value = ""
            self._thread = None

    def _on_period(self, done: int, total: int, cached: bool) -> None:
        self.progress.max = total
        self.progress.value = done
        self.progress_label.value = f"{done}/{total} periods"

    def _on_wait(self, seconds: float) -> None:
        self.progress_label.value = f"rate limit: next request in {seconds:.0f} s"

    # -- output --------------------------------------------------------------------------------------------
    def _show(self, df: pd.DataFrame, note: str = "") -> None:
        self.table_output.clear_output()
        self.table_output.append_display_data(_html_table(df))
        self._show_plot(df)
        csv = df.to_csv(index=False).encode("utf-8")
        b64 = base64.b64encode(csv).decode("ascii")
        self.download.value = (
            f'<a download="smsstats.csv" href="data:text/csv;charset=utf-8;base64,{b64}" '
            f'class="smsstats-download">Download CSV ({len(df)} rows)</a>'
        )
        source = "the cache" if df.attrs.get("from_cache") else f"{df.attrs.get('requests', 0)} request(s)"
        complete = df.attrs.get("complete", True)
        extra = "" if complete else " (cancelled: the periods fetched so far are shown and cached)"
        self._set_status(
            f"{len(df)} rows for {df.attrs.get('start')} – {df.attrs.get('end')} from {source}{extra}{note}."
        )

    def _show_plot(self, df: pd.DataFrame) -> None:
        from IPython.display import Image

        from .plotting import render_png

        self.plot_output.clear_output()
        if not len(df):
            return
        png = render_png(df, self.metric_dropdown.value, size=(8, 4), dpi=90)  # thread-safe: no pyplot
        self.plot_output.append_display_data(Image(data=png, format="png"))

    def _set_status(self, text: str, *, error: bool = False, raw: bool = False) -> None:
        body = text if raw else html.escape(text)
        color = "#b00020" if error else "#1b5e20"
        self.status.value = f'<span class="smsstats-status" style="color:{color}">{body}</span>'


def _html_table(df: pd.DataFrame) -> Any:
    from IPython.display import HTML

    shown = df.copy()
    for col in ("period_start", "period_end"):
        if col in shown.columns:
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    return HTML(
        shown.to_html(index=False, classes="smsstats-table", float_format=lambda x: f"{x:.4f}".rstrip("0").rstrip("."))
    )
