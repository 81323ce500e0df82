"""How answers and errors are shown to people (pure: no widgets, no I/O).

:func:`html_table` renders a stats frame with money in two decimals and thousands separators,
the currency in the headers and the wire names explained.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from typing import Any

import pandas as pd

from ..analysis import ACCOUNT, Summary, format_money
from ..core import printable
from ..core.i18n import (
    N_,
    currency_name,
    current,
    format_day,
    format_number,
    format_pct,
    format_span,
    ngettext,
    pgettext_,
)
from ..core.i18n import gettext_ as _

__all__ = [
    "download_buttons",
    "html_table",
    "kpi_tiles",
    "summary_block",
    "text_table",
]


def _arrow(pct: float) -> str:
    """A change in percent as the table shows it; none before (no figure to compare) is "new"."""
    if pd.isna(pct):
        return _("new")
    return f"{'▲' if pct > 0 else '▼' if pct < 0 else '■'} {format_pct(pct)}"


def html_table(
    df: pd.DataFrame, *, first: int = 0, rows: int | None = None, changes: pd.DataFrame | None = None
) -> str:
    """The answer as an HTML table: money with two decimals and thousands separators, the
    currency in the headers, the wire names explained; ``rows`` from ``first`` (a page).
    ``changes`` (:func:`~smsstats_nb.analysis.compare_periods` of the previous period and this
    one) adds each login's change in messages and spend, for a totals frame."""
    shown = df.copy() if rows is None else df.iloc[first : first + rows].copy()
    df = shown
    per_login = changes is not None and "period_start" not in df.columns
    for col in ("period_start", "period_end"):
        if col in shown.columns:
            shown[col] = shown[col].dt.strftime("%Y-%m-%d" if current() == "en" else "%d.%m.%Y")
    currencies = sorted({str(c) for c in df["currency"].unique()})
    cur = f", {currency_name(currencies[0])}" if len(currencies) == 1 else ""
    shown["sms"] = [format_number(int(v)) for v in df["sms"]]
    for col in ("credit", "debit"):
        shown[col] = [format_money(float(v)) for v in df[col]]
    if per_login and changes is not None:
        logins = df["login"].astype(str)
        sms_pct = changes["sms_change_pct"].reindex(logins)
        spent_pct = changes["spent_change_pct"].reindex(logins)
        shown[_("messages vs previous")] = [_arrow(v) for v in sms_pct]
        shown[_("spent vs previous")] = [_arrow(v) for v in spent_pct]
    if len(currencies) == 1:
        shown = shown.drop(columns=["currency"])
    else:
        shown["currency"] = [currency_name(str(c)) for c in shown["currency"]]
    shown = shown.rename(
        columns={
            "period_start": _("from"),
            "period_end": _("to"),
            "login": _("login"),
            "account": _("account"),
            "currency": _("currency"),
            "sms": _("messages (sms)"),
            "credit": _("spent on messages{cur} (credit)").format(cur=cur),
            "debit": _("paid in{cur} (debit)").format(cur=cur),
        }
    )
    style = (
        "<style>.smsstats-table td{text-align:right;padding:2px 8px}"
        ".smsstats-table td:first-child{text-align:left}</style>"
    )
    return style + shown.to_html(index=False, classes="smsstats-table", escape=True)


#: A change's colour by what it means to the customer: spend up is bad news (red), spend down good
#: (green); a volume change is neither (blue, the arrow says the direction).
GOOD, BAD, NEUTRAL = "#1b5e20", "#b00020", "#1f4e79"


def _tile(title: str, value: str, change: float | None, compared: bool, *, up_is_bad: bool | None = None) -> str:
    """One KPI tile: the figure, and its change with an arrow, coloured by its meaning
    (``up_is_bad``: spend; None: a volume, neither good nor bad)."""
    if not compared:
        delta = ""
    elif change is None:
        words = html.escape(_("no figure before"))
        delta = f'<div style="color:#555;font-size:85%">{words}</div>'
    else:
        good_or_bad = BAD if (change > 0) == up_is_bad else GOOD
        colour = NEUTRAL if up_is_bad is None or change == 0 else good_or_bad
        arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
        words = html.escape(_("{change} vs previous").format(change=format_pct(change)))
        delta = f'<div style="color:{colour};font-size:85%">{arrow} {words}</div>'
    return (
        '<div class="smsstats-kpi" style="display:inline-block;vertical-align:top;min-width:170px;margin:0 8px 8px 0;'
        'padding:6px 10px;border:1px solid #ddd;border-radius:4px">'
        f'<div style="color:#555;font-size:85%">{html.escape(title)}</div>'
        f'<div style="font-size:140%;font-weight:600">{html.escape(value)}</div>{delta}</div>'
    )


def kpi_tiles(summary: Summary) -> str:
    """The headline figures as tiles: messages, spent, cost per message, paid in (per currency)."""
    tiles = [_tile(_("messages"), format_number(summary.messages), summary.messages_change, summary.compared)]
    for cur, spent in summary.spent.items():
        name = currency_name(cur)
        tiles.append(
            _tile(
                _("spent, {cur}").format(cur=name),
                format_money(spent),
                summary.spent_change.get(cur),
                summary.compared,
                up_is_bad=True,
            )
        )
        cost = summary.cost_per_message.get(cur)
        tiles.append(
            _tile(
                _("cost per message, {cur}").format(cur=name), "–" if cost is None else format_money(cost), None, False
            )
        )
        tiles.append(_tile(_("paid in, {cur}").format(cur=name), format_money(summary.paid_in[cur]), None, False))
    return '<div class="smsstats-kpis">' + "".join(tiles) + "</div>"


#: The table's sort orders: key -> what the picker says.
SORTS = {
    "date": N_("date, then login"),
    "sms": N_("messages, most first"),
    "credit": N_("spent, most first"),
    "debit": N_("paid in, most first"),
    "login": N_("login, A to Z"),
}


#: The kinds of incident, for a person (the frames keep the English words).
KINDS = {
    "spike": N_("spike"),
    "drop": N_("drop"),
    "silent": N_("silent"),
    "level": N_("lasting shift"),
    "price": N_("price rise"),
    "currency": N_("moved to another currency"),
    "new": N_("new series"),
}


def terminal_heads() -> dict[str, str]:
    """A terminal table's short headers in the current language (an 80-column terminal; the
    files keep the long words). A column's word has its own context: «потрачено», not a verb."""
    return {
        "period_start": pgettext_("column", "from"),
        "period_end": pgettext_("column", "to"),
        "day": pgettext_("column", "day"),
        "login": pgettext_("column", "login"),
        "sms": pgettext_("column", "messages"),
        "credit": pgettext_("column", "spent"),
        "debit": pgettext_("column", "paid in"),
        "currency": pgettext_("column", "currency"),
        "account": pgettext_("column", "account"),
    }


def text_table(df: pd.DataFrame) -> str:
    """A frame as a terminal prints it, in the person's language and within 80 columns: short
    headers in words (``spent``, ``paid in``), thousands separated, money with two decimals, the
    currency as the language writes it, and a daily series' one date per row (``day``)."""
    from ._exports import is_text

    english = current() == "en"
    shown = pd.DataFrame(index=df.index)
    heads = terminal_heads()
    one_day = (
        "period_start" in df.columns
        and "period_end" in df.columns
        and bool((pd.to_datetime(df["period_start"]) == pd.to_datetime(df["period_end"])).all())
    )
    if one_day:
        heads["period_start"] = heads["day"]
    for column in df.columns:
        if one_day and column == "period_end":
            continue
        values = df[column]
        if column == "currency":
            shown[column] = [currency_name(str(v)) for v in values]
        elif column in ("period_start", "period_end"):
            shown[column] = pd.to_datetime(values).dt.strftime("%Y-%m-%d" if english else "%d.%m.%Y")
        elif is_text(values):
            # a login is the reseller's customer's choice: an escape or a bidi override is shown, not run;
            # the whole account's row is said in words
            shown[column] = [_("all logins") if v == ACCOUNT else printable(v) for v in values]
        elif column == "sms":
            shown[column] = [format_number(int(v)) for v in values]
        elif column in ("credit", "debit"):
            shown[column] = [format_money(float(v)) for v in values]
        else:
            shown[column] = values.astype(str)
    shown.columns = [heads.get(c, str(c)) for c in shown.columns]
    return shown.to_string(index=False)


def rows_words(n: int) -> str:
    """``"25 rows"``, ``"25 строк"``."""
    return ngettext("{n} row", "{n} rows", n).format(n=format_number(n))


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
    basis: str | None = None,
) -> str:
    """The KPI tiles and the summary lines as HTML, naming the period they are compared with, or
    saying why there is no comparison (that period is not cached: comparing would cost requests).
    ``partial``: a sentence above the tiles when they cover less than was asked for; ``year``: a
    line on the same period a year earlier; ``basis``: how the compared period was chosen, in
    words ("the same days of the previous month")."""
    banner = ""
    if partial:
        banner = (
            '<div class="smsstats-partial" style="color:#8a4b00;font-weight:bold">'
            + html.escape(_("Partial: {what}").format(what=partial))
            + "</div>"
        )
    note = ""
    what = basis or _("the previous period")
    if compared is not None and cached:
        note = _("Compared with {what}: {start} – {end} (cached).").format(
            what=what, start=format_day(compared[0]), end=format_day(compared[1])
        )
    elif compared is not None:
        note = _("No change shown: {what} ({start} – {end}) is not cached yet; fetch it first.").format(
            what=what, start=format_day(compared[0]), end=format_day(compared[1])
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


def monitoring_block(
    found: pd.DataFrame | None, forecast: pd.DataFrame | None, metric: str, *, forecast_note: str | None = None
) -> str:
    """The incidents of the range (the ongoing ones first) and the month-end forecast, as HTML
    (``forecast_note``: why there is no forecast, said where it would be)."""
    parts = []
    judged_from, through = (
        (found.attrs.get("judged_from"), found.attrs.get("through")) if found is not None else (None, None)
    )
    if found is not None and judged_from and through and judged_from > through:
        parts.append(
            "<small>"
            + html.escape(
                _(
                    "Incidents: this range is too short to judge (each day needs three earlier same "
                    "weekdays in the range for its baseline: pick at least four weeks)."
                )
            )
            + "</small>"
        )
        found = None
    elif found is not None and judged_from:
        words = _(
            "Incidents are judged from {day} on: each day needs three earlier same weekdays "
            "in the range for its baseline."
        ).format(day=format_day(judged_from))
        parts.append(f"<small>{html.escape(words)}</small><br>")
    if found is not None:
        if found.empty:
            none = html.escape(_("Incidents: none in this range."))
            parts.append(f"<small>{none}</small>")
        else:
            states = {True: _("● ongoing"), False: _("over")}
            shown = found.sort_values(["ongoing", "first_day"], ascending=[False, True]).head(20)
            rows = "".join(
                "<tr>"
                f"<td>{html.escape(states[bool(r.ongoing)])}</td>"
                f"<td>{html.escape(_(KINDS.get(str(r.kind), str(r.kind))))}</td>"
                f"<td>{html.escape(str(r.login))}</td><td>{format_span(r.first_day, r.last_day)}</td><td>{r.days}</td>"
                f"<td>{html.escape(_incident_figure(r, metric, expected=False))}</td>"
                f"<td>{html.escape(_incident_figure(r, metric, expected=True))}</td>"
                "</tr>"
                for r in shown.itertuples()
            )
            ongoing = int(found["ongoing"].sum())
            heads = (_("state"), _("kind"), _("login"), _("days"), _("length"), _("value"), _("expected"))
            title = _("Incidents: {n} ({ongoing} ongoing)").format(n=len(found), ongoing=ongoing)
            parts.append(
                f'<b>{html.escape(title)}</b><table class="smsstats-table smsstats-incidents"><tr>'
                + "".join(f"<th>{html.escape(h)}</th>" for h in heads)
                + "</tr>"
                + rows
                + "</table>"
            )
    if forecast is not None and len(forecast):
        for r in forecast.itertuples():
            days_left = ngettext("{n} day left", "{n} days left", int(str(r.days_left))).format(n=r.days_left)
            words = html.escape(
                _("Month-end forecast for {month} (as of {day}, {left}), all logins:").format(
                    month=r.month, day=format_day(r.as_of), left=days_left
                )
            )
            band = html.escape(
                _("{share} range {low} – {high}; so far {so_far}").format(
                    share="80 %",
                    low=_figure(r.low, metric, r.currency),
                    high=_figure(r.high, metric, r.currency),
                    so_far=_figure(r.month_to_date, metric, r.currency),
                )
            )
            projected = html.escape(_figure(r.projected, metric, r.currency))
            parts.append(f'<div class="smsstats-forecast">{words} <b>{projected}</b> ({band}).</div>')
    elif forecast_note:
        parts.append(f'<div class="smsstats-forecast"><small>{html.escape(forecast_note)}</small></div>')
    return '<div class="smsstats-monitoring">' + "".join(parts) + "</div>" if parts else ""


def _incident_figure(row: Any, metric: str, *, expected: bool) -> str:
    """An incident's value (or its expected value): a price per message for a price rise, the new
    currency for a switch, else the metric's figure."""
    value = row.baseline if expected else row.value
    if row.kind == "price":
        return _("{money} a message").format(money=format_money(float(value), str(row.currency)))
    if row.kind == "currency" and not expected:
        return f"→ {row.new_currency}"
    return _figure(value, metric, row.currency)


def _figure(value: Any, metric: str, currency: Any) -> str:
    if metric == "sms":
        return format_number(round(value))
    return format_money(float(value), str(currency))


def download_buttons(
    df: pd.DataFrame, stem: str, png: bytes | None, *, lang: str | None = None, previous: pd.DataFrame | None = None
) -> str:
    """Three visible download buttons (data: URLs, no server needed): the table as CSV that opens
    right in the page's language's Excel (a byte-order mark, headers in words; in Russian ``;``
    and a decimal comma), as an Excel report (a title, totals, the comparison the page shows
    when given as ``previous``, a logins × periods sheet for a series, the query on its own
    sheet), and the chart as PNG."""
    from ._exports import export_bytes

    comma = (lang or current()) != "en"  # Russian Excel: the comma is the decimal sign, ";" the separator
    csv = export_bytes(df, ".csv", spreadsheet=True, decimal="," if comma else ".", words=True, lang=lang)
    files = [
        (f"{stem}.csv", "text/csv;charset=utf-8", csv, "CSV"),
        (
            f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            export_bytes(df, ".xlsx", lang=lang, previous=previous),
            "Excel",
        ),
    ]
    if png is not None:
        files.append((f"{stem}.png", "image/png", png, _("Chart (PNG)")))
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
        + f'<small style="color:#555">{html.escape(stem)} ({html.escape(rows_words(len(df)))})</small></div>'
    )
