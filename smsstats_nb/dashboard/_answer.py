"""The answer half of the dashboard: what the page shows once an answer is in.

:class:`AnswerView` holds the status line, the KPI tiles, the chart, the flags, the download
buttons, the login filter and the paged table (:class:`TableView`), and renders them all from one
answer and one filter, with the comparisons taken from the cache only (the previous calendar
period, the same period a year earlier; no request). The dashboard holds one as its ``answer``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from ..analysis import ACCOUNT, Comparison, comparison_period, flag_words, summarize, year_earlier
from ..client import StatsClient
from ..core import QueryError, SmsStatsError, file_tag, i18n
from ..core.i18n import gettext_ as _
from ..core.i18n import ngettext
from ..output import download_buttons, monitoring_block, rows_words, summary_block
from ._controls import Controls
from ._table import TableView, replace_output
from ._words import speaks

#: The "so far" a preset means (a year to date on 15 February is compared with the same dates a year
#: before, not with the quarter before).
PRESET_UNITS = {"this month": "MS", "year to date": "YS"}

__all__ = ["AnswerView", "by_label", "labels"]


def labels(df: pd.DataFrame) -> pd.Series:
    """Who each row is: the login, or ``account/login`` when the answer holds several accounts."""
    if "account" in df.columns:
        return df["account"].astype(str) + "/" + df["login"].astype(str)
    return df["login"].astype(str)


def by_label(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` for the chart and the incidents: several accounts' logins as ``account/login``."""
    if "account" not in df.columns:
        return df
    out = df.assign(login=labels(df)).drop(columns=["account"])
    out.attrs = dict(df.attrs)
    return out


class AnswerView:
    """The answer on the page: status, KPI tiles, chart, flags, downloads, login filter and table.

    Args:
        lang: the page's language.
        controls: the dashboard's controls (the metric, the top N and the granularity it draws by,
            the progress bar it reads when a fetch was cancelled).
        client: the page's client now (it asks the cache for the comparisons), or None.
        busy: True while a fetch runs (a redraw then waits for its answer).
    """

    def __init__(
        self,
        lang: str,
        controls: Controls,
        client: Callable[[], StatsClient | None],
        busy: Callable[[], bool],
    ) -> None:
        self.lang = lang
        self.controls = controls
        self._client = client
        self._busy = busy
        self.result: pd.DataFrame | None = None
        self.summary: Any = None
        self.note = ""
        self._previous: tuple[Comparison, pd.DataFrame | None] | None = None
        self._year_ago: tuple[tuple[dt.date, dt.date], pd.DataFrame | None] | None = None
        self.range_total: pd.DataFrame | None = None  # the whole range's total, when a series asked it first
        self.wanted: tuple[str, ...] = ()  # logins a link picked, applied when an answer has them
        style = {"description_width": "80px"}
        self.flags_html = w.HTML(value="")
        self.table = TableView(lang, self.view, busy)
        self.login_filter = w.SelectMultiple(
            description=_("Logins"), options=[], rows=4, style=style, layout=w.Layout(width="300px", display="none")
        )
        self.status = w.HTML(value=_("Pick a period and click <b>Fetch</b>."))
        self.summary_html = w.HTML(value="")
        self.plot_output = w.Output(layout=w.Layout(width="100%"))
        self.download = w.HTML(value="")
        self.login_filter.observe(self.redraw, names="value")
        self.all_logins_button = w.Button(
            description=_("all logins"), tooltip=_("show every login again"), layout=w.Layout(width="auto")
        )
        self.all_logins_button.on_click(lambda _b: setattr(self.login_filter, "value", ()))
        # beside the period's controls (a filter of the answer, not of the table alone)
        self.filter_box = w.HBox(
            [self.login_filter, self.all_logins_button], layout=w.Layout(align_items="flex-start", display="none")
        )

    @speaks
    def redraw(self, change: Any = None) -> None:
        """A metric or login-filter change redraws everything from the answer already fetched (no
        request): the filter applies to the KPIs, the table, the plot and the download alike."""
        if self.result is not None and not self._busy():
            self._render()

    # -- output --------------------------------------------------------------------------------------------
    def clear_answer(self) -> None:
        """Remove the previous answer (its figures no longer match the inputs)."""
        self.result = None
        self.summary = None
        self.table.clear()
        self.plot_output.outputs = ()
        self.flags_html.value = ""
        self.download.value = ""
        self.summary_html.value = ""
        self.login_filter.layout.display = "none"
        self.filter_box.layout.display = "none"

    @speaks
    def show(self, df: pd.DataFrame, note: str = "") -> None:
        """Replace the answer on the page: the login filter's choices, then everything else."""
        self.result = df
        self.note = note
        logins = sorted(str(x) for x in labels(df).unique())
        # the analyst's pick survives a redraw; a link's pick applies to the first answer that has its logins
        kept = tuple(x for x in (self.login_filter.value or self.wanted) if x in logins)
        self.wanted = ()
        self.login_filter.unobserve(self.redraw, names="value")
        self.login_filter.options = logins if len(logins) > 1 else []
        self.login_filter.value = kept if len(logins) > 1 else ()
        self.login_filter.observe(self.redraw, names="value")
        self.login_filter.layout.display = None if len(logins) > 1 else "none"
        self.filter_box.layout.display = None if len(logins) > 1 else "none"
        self._previous = self._cached_previous(df)
        self._year_ago = self._cached_year_ago(df)
        self._render()

    def _cached_previous(self, df: pd.DataFrame) -> tuple[Comparison, pd.DataFrame | None] | None:
        """The period compared with (January for February, the same days of November for 1-2
        December, the previous half-year for a half-year; see :func:`comparison_period`) and its
        answer when it is cached (no request)."""
        start, end = df.attrs.get("start"), df.attrs.get("end")
        if not start or not end or df.attrs.get("complete") is False:
            return None
        found = comparison_period(start, end, PRESET_UNITS.get(self.controls.preset_dropdown.value))
        return found, self._cached_answer(df, found.start, found.end)

    def _cached_year_ago(self, df: pd.DataFrame) -> tuple[tuple[dt.date, dt.date], pd.DataFrame | None] | None:
        """The same period a year earlier, and its answer when it is cached (no request)."""
        start, end = df.attrs.get("start"), df.attrs.get("end")
        if not start or not end or df.attrs.get("complete") is False:
            return None
        a, b = year_earlier(start, end)
        return (a, b), self._cached_answer(df, a, b)

    def _cached_answer(self, df: pd.DataFrame, a: dt.date, b: dt.date) -> pd.DataFrame | None:
        """The answer for ``a``–``b`` with ``df``'s flags, only if the cache holds it whole."""
        client = self._client()
        if client is None:
            return None
        flags = {"mycur": df.attrs.get("mycur", False), "balance2": df.attrs.get("balance2", False)}
        try:
            answer = client.cached(a, b, **flags)
            freq = df.attrs.get("freq")
            if answer is None and freq:
                answer = client.cached_series(a, b, freq, **flags)  # all cached, or None: no request
        except SmsStatsError:
            answer = None
        return answer

    def view(self) -> pd.DataFrame | None:
        """The answer as the page shows it: only the logins picked in the filter (all when none)."""
        return self.filtered(self.result)

    def filtered(self, df: pd.DataFrame | None) -> pd.DataFrame | None:
        """``df`` with only the logins picked in the filter (all when none are picked)."""
        picked = [str(x) for x in self.login_filter.value]
        if df is None or not picked:
            return df
        part = df[labels(df).isin(picked)]
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
        self.table.changes = None
        if before is not None and "period_start" not in df.columns:
            from ..analysis import compare_periods

            try:
                self.table.changes = compare_periods(before, df)  # each login's change, for the table
            except QueryError:
                self.table.changes = None
        compared = (previous[0].start, previous[0].end) if previous is not None else None
        basis = previous[0].words() if previous is not None else None
        partial = None
        if not df.attrs.get("complete", True):
            partial = _("these figures cover {got} of {asked}.").format(
                got=i18n.format_span(start, end),
                asked=i18n.format_span(df.attrs.get("requested_start"), df.attrs.get("requested_end")),
            )
            total = self.filtered(self.range_total)
            if total is not None and len(total):
                messages = int(total["sms"].sum())
                partial += " " + ngettext(
                    "SMSC's total for the whole range: {n} messages.",
                    "SMSC's total for the whole range: {n} messages.",
                    messages,
                ).format(n=i18n.format_number(messages))
        year = None
        if self._year_ago is not None:
            (a, b), earlier = self._year_ago
            earlier = self.filtered(earlier)
            if earlier is None:
                year = _("A year earlier ({span}) is not cached: no comparison with it.").format(
                    span=i18n.format_span(a, b)
                )
            else:
                year = (
                    _("Against a year earlier ({span}, cached): ").format(span=i18n.format_span(a, b))
                    + summarize(df, earlier).changes()
                )
        if "account" in df.columns:  # several accounts: the KPIs of each
            self.summary_html.value = "".join(
                f'<h4 class="smsstats-account">{html.escape(str(name))}</h4>' + summary_block(summarize(part), None)
                for name, part in df.groupby("account", sort=False, observed=True)
            ) or summary_block(self.summary, None)
        else:
            self.summary_html.value = summary_block(
                self.summary, compared, cached=before is not None, partial=partial, year=year, basis=basis
            )
        self.table.page = 0
        self.table.show(df)
        png = self.show_plot(df)
        series = "period_start" in df.columns
        granularity = self.controls.granularity_dropdown.value if series else "total"
        only = "_" + "_".join(str(x) for x in self.login_filter.value) if self.login_filter.value else ""
        self.download.value = download_buttons(
            df,
            f"smsstats_{start}_{end}_{granularity}{file_tag(df.attrs)}{only}",
            png,
            lang=self.lang,
            previous=self.table.changes,
        )
        requests = int(df.attrs.get("requests", 0))
        source = (
            _("from the cache")
            if df.attrs.get("from_cache")
            else _("from {requests}").format(
                requests=ngettext("{n} request", "{n} requests", requests).format(n=requests)
            )
        )
        extra = ""
        if not df.attrs.get("complete", True):
            got = int(df.attrs.get("periods_done", 0))  # periods answered, with or without rows
            extra = " " + ngettext(
                "Cancelled: {got} of {total} periods were fetched, so this covers {span} of {asked} "
                "(cached; Fetch again resumes).",
                "Cancelled: {got} of {total} periods were fetched, so this covers {span} of {asked} "
                "(cached; Fetch again resumes).",
                int(self.controls.progress.max),
            ).format(
                got=got,
                total=self.controls.progress.max,
                span=i18n.format_span(start, end),
                asked=i18n.format_span(df.attrs.get("requested_start"), df.attrs.get("requested_end")),
            )
        words = flag_words(df.attrs)
        flags = f" ({words})" if words else ""
        shown = ""
        if "account" in df.columns:
            shown = " " + _("{n} accounts side by side (KPIs for each).").format(n=df["account"].nunique())
        if self.login_filter.value:
            shown = " " + ngettext(
                "Showing {n} of {total} logins.", "Showing {n} of {total} logins.", len(self.login_filter.options)
            ).format(n=len(self.login_filter.value), total=len(self.login_filter.options))
        self.set_status(
            _("{rows} for {span}{flags} {source}.").format(
                rows=rows_words(len(df)), span=i18n.format_span(start, end), flags=flags, source=source
            )
            + f"{extra}{shown}{self.note}"
        )

    def show_plot(self, df: pd.DataFrame) -> bytes | None:
        """Draw the chart of ``df``; returns its PNG (None when there is nothing to draw)."""
        from ..output import render_png

        if not len(df):
            self.plot_output.outputs = ()
            return None
        df = by_label(df)  # several accounts: one line or bar per account/login
        found = self._incidents(df)
        flags = None
        if found is not None:
            from ..analysis import incident_days

            flags = incident_days(found, df, self.controls.metric_dropdown.value)  # the incidents, whole, on the chart
        metric = self.controls.metric_dropdown.value
        top = int(self.controls.top_input.value)  # the N largest logins and one "others"
        # wide enough for a 1920 px screen; the page scales it down to the width it has
        png = render_png(df, metric, size=(13, 4.6), dpi=90, flags=flags, top=top, lang=self.lang)  # no pyplot
        replace_output(self.plot_output, {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": _("plot")})
        self.flags_html.value = self._monitoring(df, found)
        return png

    def _incidents(self, df: pd.DataFrame) -> pd.DataFrame | None:
        """The incidents of a daily series on the chosen metric (None for totals, other
        granularities or debit, whose payments are not a rhythm)."""
        from ..analysis import incidents

        metric = self.controls.metric_dropdown.value
        if df.attrs.get("freq") != "D" or "period_start" not in df.columns or metric == "debit" or df.empty:
            return None
        try:
            return incidents(df, metric, end=df.attrs.get("end"))
        except QueryError:
            return None

    def _monitoring(self, df: pd.DataFrame, found: pd.DataFrame | None) -> str:
        """The range's incidents, and the forecast of its last month when that month is not over."""
        from ..analysis import forecast_month

        if found is None:
            return ""
        metric = self.controls.metric_dropdown.value
        forecast, why = None, None
        end = pd.Timestamp(str(df.attrs.get("end"))).date()
        if end < (pd.Timestamp(end) + pd.offsets.MonthEnd(0)).date():  # the month goes on: where will it end?
            history, why = self._forecast_history(df, end)
            if history is not None:
                try:
                    forecast = forecast_month(history, metric, end=end, total=True)
                    forecast = forecast[forecast["login"] == ACCOUNT]
                except QueryError as exc:
                    forecast, why = None, i18n.localized(exc)
        return monitoring_block(found, forecast, metric, forecast_note=why)

    def _forecast_history(self, df: pd.DataFrame, end: dt.date) -> tuple[pd.DataFrame | None, str | None]:
        """The daily history a month-end forecast rests on (four weeks and the month so far): the
        range itself, or the range with the days before it **from the cache** (no request). When
        the cache lacks them: None, and why, with what fetching them would cost."""
        from ..analysis import forecast_history

        first, _last = forecast_history(end)
        start = pd.Timestamp(str(df.attrs.get("start"))).date()
        if start <= first:
            return df, None
        before = start - dt.timedelta(days=1)
        client = self._client()
        flags = {"mycur": df.attrs.get("mycur", False), "balance2": df.attrs.get("balance2", False)}
        cost = None
        if client is not None and "account" not in df.columns:  # one account: its cache can fill in
            try:
                cost = client.estimate_series(first, before, "D", **flags)  # said below when not cached
                if cost.requests == 0:
                    earlier = client.fetch_series(first, before, "D", progress=False, **flags)  # all cached
                    history = pd.concat([earlier, self.result], ignore_index=True)
                    history.attrs = {**df.attrs, "start": first}
                    return self.filtered(history), None
            except SmsStatsError:
                cost = None
        days = (end - start).days + 1
        why = ngettext(
            "Month-end forecast: not shown. It rests on four weeks of daily history, and this range has {n} day.",
            "Month-end forecast: not shown. It rests on four weeks of daily history, and this range has {n} days.",
            days,
        ).format(n=days)
        if cost is not None:
            why += " " + _("Pick {span} to see it (not cached: {requests}, about {eta}).").format(
                span=i18n.format_span(first, end),
                requests=ngettext("{n} request", "{n} requests", cost.requests).format(n=cost.requests),
                eta=i18n.format_duration(cost.eta_seconds),
            )
        return None, why

    def set_status(self, text: str, *, error: bool = False, raw: bool = False) -> None:
        """Show one status line above the results (plain text; ``raw``: already HTML)."""
        body = text if raw else html.escape(text)
        color = "#b00020" if error else "#1b5e20"
        self.status.value = f'<span class="smsstats-status" style="color:{color}">{body}</span>'
