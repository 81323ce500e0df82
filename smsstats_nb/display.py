"""How answers and errors are shown to people (pure: no widgets, no I/O).

:func:`friendly_error` turns any error a fetch can raise into one line a person can act on;
:func:`html_table` renders a stats frame with money in two decimals and thousands separators,
the currency in the headers and the wire names explained.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from typing import Any

import pandas as pd

from .analysis import Summary, format_money
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
from .series import format_duration

__all__ = [
    "download_buttons",
    "friendly_error",
    "html_table",
    "kpi_tiles",
    "summary_block",
]


def friendly_error(exc: BaseException) -> str:
    """One line a person can act on, for any error a fetch can raise (each fact said once)."""
    if isinstance(exc, AuthError):
        if exc.description == "refused locally":  # SMSC was not asked: say so, in the page's words
            if "logins failed" in (exc.hint or ""):
                return (
                    "Not sent: several logins failed from this machine in the last 30 minutes, and SMSC "
                    "blocks the IP address at five; wait before trying other credentials."
                )
            return (
                "Not sent: SMSC rejected these credentials a moment ago, and five failures block this IP "
                "address, so they are not tried again for 30 minutes. Enter the right password above."
            )
        return "Login failed: SMSC rejected the login or password. Enter them again above."
    if isinstance(exc, IPBlockedError):
        if exc.retry_after:
            return f"SMSC has blocked this IP address; not asking again for {format_duration(exc.retry_after)}."
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


def _arrow(pct: float) -> str:
    """A change in percent as the table shows it; none before (no figure to compare) is "new"."""
    if pd.isna(pct):
        return "new"
    return f"{'▲' if pct > 0 else '▼' if pct < 0 else '■'} {pct:+.1f}%"


def html_table(
    df: pd.DataFrame, *, first: int = 0, rows: int | None = None, changes: pd.DataFrame | None = None
) -> str:
    """The answer as an HTML table: money with two decimals and thousands separators, the
    currency in the headers, the wire names explained; ``rows`` from ``first`` (a page).
    ``changes`` (:func:`~smsstats_nb.monitoring.compare_periods` of the previous period and this
    one) adds each login's change in messages and spend, for a totals frame."""
    shown = df.copy() if rows is None else df.iloc[first : first + rows].copy()
    df = shown
    per_login = changes is not None and "period_start" not in df.columns
    for col in ("period_start", "period_end"):
        if col in shown.columns:
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    currencies = sorted({str(c) for c in df["currency"].unique()})
    cur = f", {currencies[0]}" if len(currencies) == 1 else ""
    shown["sms"] = [f"{int(v):,}" for v in df["sms"]]
    for col in ("credit", "debit"):
        shown[col] = [format_money(float(v)) for v in df[col]]
    if per_login and changes is not None:
        logins = df["login"].astype(str)
        sms_pct = changes["sms_change_pct"].reindex(logins)
        spent_pct = changes["spent_change_pct"].reindex(logins)
        shown["messages vs previous"] = [_arrow(v) for v in sms_pct]
        shown["spent vs previous"] = [_arrow(v) for v in spent_pct]
    if len(currencies) == 1:
        shown = shown.drop(columns=["currency"])
    shown = shown.rename(
        columns={
            "period_start": "from",
            "period_end": "to",
            "sms": "messages (sms)",
            "credit": f"spent on messages{cur} (credit)",
            "debit": f"paid in{cur} (debit)",
        }
    )
    style = (
        "<style>.smsstats-table td{text-align:right;padding:2px 8px}"
        ".smsstats-table td:first-child{text-align:left}</style>"
    )
    return style + shown.to_html(index=False, classes="smsstats-table", escape=True)


def _tile(title: str, value: str, change: float | None, compared: bool) -> str:
    """One KPI tile: the figure, and its change coloured by direction (green up, red down)."""
    if not compared:
        delta = ""
    elif change is None:
        delta = '<div style="color:#555;font-size:85%">no figure before</div>'
    else:
        colour = "#1b5e20" if change > 0 else "#b00020" if change < 0 else "#555"
        arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
        delta = f'<div style="color:{colour};font-size:85%">{arrow} {change:+.1f}% vs previous</div>'
    return (
        '<div class="smsstats-kpi" style="display:inline-block;vertical-align:top;min-width:170px;margin:0 8px 8px 0;'
        'padding:6px 10px;border:1px solid #ddd;border-radius:4px">'
        f'<div style="color:#555;font-size:85%">{html.escape(title)}</div>'
        f'<div style="font-size:140%;font-weight:600">{html.escape(value)}</div>{delta}</div>'
    )


def kpi_tiles(summary: Summary) -> str:
    """The headline figures as tiles: messages, spent, cost per message, paid in (per currency)."""
    tiles = [_tile("messages", f"{summary.messages:,}", summary.messages_change, summary.compared)]
    for cur, spent in summary.spent.items():
        tiles.append(_tile(f"spent, {cur}", format_money(spent), summary.spent_change.get(cur), summary.compared))
        cost = summary.cost_per_message.get(cur)
        tiles.append(_tile(f"cost per message, {cur}", "–" if cost is None else format_money(cost), None, False))
        tiles.append(_tile(f"paid in, {cur}", format_money(summary.paid_in[cur]), None, False))
    return '<div class="smsstats-kpis">' + "".join(tiles) + "</div>"


#: The table's sort orders: key -> what the picker says.
SORTS = {
    "date": "date, then login",
    "sms": "messages, most first",
    "credit": "spent, most first",
    "debit": "paid in, most first",
    "login": "login, A to Z",
}


def table_rows(df: pd.DataFrame, search: str = "", sort: str = "date") -> pd.DataFrame:
    """The table's rows: the logins containing ``search`` (case-insensitive, plain text, not a
    pattern), in the ``sort`` order of :data:`SORTS` (ties keep date and login order)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    rows = df
    needle = search.strip().casefold()
    if needle:
        rows = rows[rows["login"].astype(str).str.casefold().str.contains(needle, regex=False)]
    if sort == "login":
        rows = rows.sort_values("login", kind="stable", key=lambda c: c.astype(str).str.casefold())
    elif sort != "date":
        rows = rows.sort_values(sort, ascending=False, kind="stable")
    return rows


def summary_block(
    summary: Summary,
    compared: tuple[dt.date, dt.date] | None,
    *,
    cached: bool = True,
    partial: str | None = None,
    year: str | None = None,
) -> str:
    """The KPI tiles and the summary lines as HTML, naming the period they are compared with, or
    saying why there is no comparison (that period is not cached: comparing would cost requests).
    ``partial``: a sentence above the tiles when they cover less than was asked for; ``year``: a
    line on the same period a year earlier."""
    banner = ""
    if partial:
        banner = (
            '<div class="smsstats-partial" style="color:#8a4b00;font-weight:bold">'
            f"Partial: {html.escape(partial)}</div>"
        )
    note = ""
    if compared is not None and cached:
        note = f"Change against {compared[0]} – {compared[1]} (cached)."
    elif compared is not None:
        note = (
            f"No change shown: the previous period ({compared[0]} – {compared[1]}) is not cached yet; fetch it first."
        )
    return (
        banner
        + kpi_tiles(summary)
        + '<div class="smsstats-summary" style="font-size:110%">'
        + summary._repr_html_()
        + f"<br><small>{html.escape(note)}</small>"
        + (f'<br><small class="smsstats-year">{html.escape(year)}</small>' if year else "")
        + "</div>"
    )


def monitoring_block(found: pd.DataFrame | None, forecast: pd.DataFrame | None, metric: str) -> str:
    """The incidents of the range (the ongoing ones first) and the month-end forecast, as HTML."""
    parts = []
    judged_from, through = (
        (found.attrs.get("judged_from"), found.attrs.get("through")) if found is not None else (None, None)
    )
    if found is not None and judged_from and through and judged_from > through:
        parts.append(
            "<small>Incidents: this range is too short to judge (each day needs three earlier same "
            "weekdays in the range for its baseline: pick at least four weeks).</small>"
        )
        found = None
    elif found is not None and judged_from:
        parts.append(
            f"<small>Incidents are judged from {html.escape(str(judged_from))} on: each day needs "
            "three earlier same weekdays in the range for its baseline.</small><br>"
        )
    if found is not None:
        if found.empty:
            parts.append("<small>Incidents: none in this range.</small>")
        else:
            shown = found.sort_values(["ongoing", "first_day"], ascending=[False, True]).head(20)
            rows = "".join(
                "<tr>"
                f"<td>{'● ongoing' if r.ongoing else 'over'}</td><td>{html.escape(str(r.kind))}</td>"
                f"<td>{html.escape(str(r.login))}</td><td>{r.first_day} – {r.last_day}</td><td>{r.days}</td>"
                f"<td>{_figure(r.value, metric, r.currency)}</td><td>{_figure(r.baseline, metric, r.currency)}</td>"
                "</tr>"
                for r in shown.itertuples()
            )
            ongoing = int(found["ongoing"].sum())
            parts.append(
                f'<b>Incidents: {len(found)} ({ongoing} ongoing)</b><table class="smsstats-table smsstats-incidents">'
                "<tr><th>state</th><th>kind</th><th>login</th><th>days</th><th>length</th><th>value</th>"
                "<th>expected</th></tr>" + rows + "</table>"
            )
    if forecast is not None and len(forecast):
        for r in forecast.itertuples():
            parts.append(
                f'<div class="smsstats-forecast">Month-end forecast for {html.escape(str(r.month))} (as of {r.as_of}, '
                f"{r.days_left} day(s) left), all logins: <b>{_figure(r.projected, metric, r.currency)}</b> "
                f"(80 % range {_figure(r.low, metric, r.currency)} – {_figure(r.high, metric, r.currency)}; "
                f"so far {_figure(r.month_to_date, metric, r.currency)}).</div>"
            )
    return '<div class="smsstats-monitoring">' + "".join(parts) + "</div>" if parts else ""


def _figure(value: Any, metric: str, currency: Any) -> str:
    if metric == "sms":
        return f"{round(value):,}"
    return html.escape(format_money(float(value), str(currency)))


def download_buttons(df: pd.DataFrame, stem: str, png: bytes | None) -> str:
    """Three visible download buttons (data: URLs, no server needed): the table as CSV and as
    Excel (numbers as numbers, the query on a second sheet), and the chart as PNG."""
    from .exports import export_bytes

    files = [
        (f"{stem}.csv", "text/csv;charset=utf-8", df.to_csv(index=False).encode("utf-8"), "CSV"),
        (
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            export_bytes(df, ".xlsx"),
            "Excel",
        ),
    ]
    if png is not None:
        files.append((f"{stem}.png", "image/png", png, "Chart (PNG)"))
    style = (
        "display:inline-block;margin:2px 6px 2px 0;padding:4px 10px;border:1px solid #1976d2;"
        "border-radius:3px;color:#1976d2;text-decoration:none;font-size:90%"
    )
    links = [
        f'<a download="{html.escape(name)}" href="data:{mime};base64,{base64.b64encode(data).decode("ascii")}" '
        f'class="smsstats-download" title="{html.escape(name)}" style="{style}">⬇ {label}</a>'
        for name, mime, data, label in files
    ]
    return (
        '<div class="smsstats-downloads">'
        + "".join(links)
        + f'<small style="color:#555">{html.escape(stem)} ({len(df)} rows)</small></div>'
    )
