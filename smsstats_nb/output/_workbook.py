"""The report workbook :func:`~smsstats_nb.output.export` writes for ``.xlsx``, and its reading
back (:func:`~smsstats_nb.output.read_export`): a title row, headers in words, a totals row per
currency, the page's comparison columns, logins × periods sheets for a series, the query facts on
their own sheet; and the words every file's headers use. Written row by row (openpyxl's
write-only mode: memory stays flat)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis import LABELS
from ..core import i18n
from ..core.i18n import N_
from ..core.i18n import gettext_ as _

__all__ = [
    "COLUMN_WORDS",
    "TOTAL",
    "XLSX_FORMATS",
    "column_words",
    "default_title",
    "header_words",
    "query_facts",
    "read_stats_sheet",
    "wire_names",
    "workbook_facts",
    "write_workbook",
]


def query_facts(df: pd.DataFrame) -> dict[str, Any]:
    """The query facts of a frame (``df.attrs``) as JSON-friendly values, plus the currencies."""
    facts: dict[str, Any] = {}
    for key, value in df.attrs.items():
        facts[str(key)] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
    if "currency" in df.columns:
        facts["currencies"] = ", ".join(sorted({str(c) for c in df["currency"].dropna().unique()}))
    if df.attrs.get("balance2"):
        facts["balance"] = _("electronic balance only (balance2)")
    facts["partial"] = not bool(df.attrs.get("complete", True))
    return facts


#: The other columns' header words (``sms``, ``credit``, ``debit`` are :data:`~.analysis.LABELS`).
COLUMN_WORDS = {
    "login": N_("login"),
    "currency": N_("currency"),
    "account": N_("account"),
    "period_start": N_("period start"),
    "period_end": N_("period end"),
}


def column_words(column: str) -> str:
    """A column's name in words, in the current language (``credit`` → ``spent on messages``)."""
    return _(LABELS.get(column) or COLUMN_WORDS.get(column) or column.replace("_", " "))


def header_words(column: str, currencies: list[str]) -> str:
    """A column's header in the current language, money with its currency as the page says it
    (``spent on messages (RUB)``, ``потрачено на сообщения (₽)``)."""
    words = column_words(column)
    if column in ("credit", "debit") and len(currencies) == 1:
        return f"{words} ({i18n.currency_name(currencies[0])})"
    return words


def wire_names() -> dict[str, str]:
    """Every language's header words back to the wire's column names (for :func:`read_export`)."""
    names: dict[str, str] = {}
    for code in i18n.LANGUAGES:
        with i18n.using(code):
            for column in (*LABELS, *COLUMN_WORDS):
                names[column_words(column)] = column
    return names


#: The first cell of a workbook's totals row (every language's word is read back).
TOTAL = N_("Total")
#: The comparison columns a workbook adds when the page compared the answer with an earlier period.
_BEFORE = {
    "sms_a": N_("messages, previous period"),
    "sms_change_pct": N_("messages, change %"),
    "spent_a": N_("spent, previous period"),
    "spent_change_pct": N_("spent, change %"),
}


#: Number formats per column of an ``.xlsx`` sheet.
XLSX_FORMATS = {
    "credit": "#,##0.00",
    "debit": "#,##0.00",
    "sms": "#,##0",
    "period_start": "yyyy-mm-dd",
    "period_end": "yyyy-mm-dd",
}


def default_title(df: pd.DataFrame) -> str:
    """A workbook's title row: what, the period and the flags, in the current language
    (``SMS statistics, 01.01.2024 – 31.01.2024, by day, mycur``)."""
    from ..analysis import flag_words
    from ..core import FREQS

    parts = [_("SMS statistics")]
    start, end = df.attrs.get("start"), df.attrs.get("end")
    if start and end:
        parts.append(i18n.format_span(start, end))
    freq = df.attrs.get("freq")
    if freq:
        by = {
            "D": N_("daily"),
            "W": N_("weekly"),
            "MS": N_("monthly"),
            "M": N_("monthly"),
            "QS": N_("quarterly"),
            "YS": N_("yearly"),
        }
        parts.append(_(by[freq]) if freq in by else str(FREQS.get(freq, freq)))
    flags = flag_words(df.attrs)
    if flags:
        parts.append(flags)
    return ", ".join(parts)


def write_workbook(
    df: pd.DataFrame,
    target: Path,
    *,
    previous: pd.DataFrame | None = None,
    title: str | None = None,
    sheets: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """A report a manager can forward: a title row (the period and the flags), the table with
    headers in words, a totals row per currency, the comparison with an earlier period when
    given, a logins × periods sheet per figure for a series, and the query facts on their own
    sheet. Written row by row (write-only: memory stays flat for a million rows); dates go in as
    Excel's day numbers, every text as a text cell (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    currencies = sorted({str(c) for c in df["currency"].dropna().unique()}) if "currency" in df.columns else []
    series = "period_start" in df.columns
    compare = previous is not None and not series and "login" in df.columns
    book = Workbook(write_only=True)
    sheet = book.create_sheet("stats")
    columns = list(df.columns)
    headers = [header_words(c, currencies) for c in columns]
    extra = [k for k in _BEFORE if compare and previous is not None and k in previous.columns]
    headers += [_(_BEFORE[k]) for k in extra]
    for i, header in enumerate(headers, start=1):  # widths before the first row (write-only)
        sample: list[Any] = df[columns[i - 1]].head(200).tolist() if i <= len(columns) else []
        width = max([len(header)] + [len(str(v)) for v in sample])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 40)
    sheet.freeze_panes = "A4"
    bold = Font(bold=True)

    def text_cell(target_sheet: Any, value: Any, *, font: Any = None) -> Any:
        cell = WriteOnlyCell(target_sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # a login that starts with "=" is a login, never a formula
        if font is not None:
            cell.font = font
        return cell

    sheet.append([text_cell(sheet, title or default_title(df), font=Font(bold=True, size=13))])
    sheet.append([])
    sheet.append([text_cell(sheet, h, font=bold) for h in headers])
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=None)
        if column in XLSX_FORMATS:
            cell.number_format = XLSX_FORMATS[column]
        cells.append(cell)
    before_cells = []
    for key in extra:
        cell = WriteOnlyCell(sheet, value=None)
        cell.number_format = "#,##0" if key == "sms_a" else "#,##0.00" if key == "spent_a" else "+0.0;-0.0;0.0"
        before_cells.append(cell)
    before = previous.reindex(df["login"].astype(str)) if compare and previous is not None else None
    extra_values = [before[k].tolist() for k in extra] if before is not None else []
    for n, row in enumerate(zip(*(_xlsx_values(df[c]) for c in columns), strict=True)):
        for cell, value in zip(cells, row, strict=True):
            cell.value = value
            cell.data_type = "s" if isinstance(value, str) else "n"
        for cell, values in zip(before_cells, extra_values, strict=True):
            value = values[n]
            cell.value = None if value is None or value != value else float(value)
        sheet.append([*cells, *before_cells])
    for cur in [*currencies] or [""]:  # a totals row per currency (never a sum of roubles and tenge)
        part = df if not cur else df[df["currency"].astype(str) == cur]
        totals_row: list[Any] = []
        for i, column in enumerate(columns):
            figure: Any = None
            if i == 0:
                figure = _(TOTAL) if len(currencies) < 2 else f"{_(TOTAL)}, {i18n.currency_name(cur)}"
            elif column == "currency":
                figure = cur or None
            elif column in ("sms", "credit", "debit"):
                figure = float(part[column].sum()) if column != "sms" else int(part[column].sum())
            cell = text_cell(sheet, figure, font=bold)
            if column in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[column]
            totals_row.append(cell)
        sheet.append(totals_row)
    if series and "login" in df.columns and len(df):
        for metric, name in (("sms", N_("messages by period")), ("credit", N_("spent by period"))):
            _pivot_sheet(book, df, metric, _(name)[:31], text_cell, bold)
    for name, table in (sheets or {}).items():
        _plain_sheet(book, table, name[:31], text_cell, bold)
    facts = book.create_sheet("query")
    facts.column_dimensions["A"].width = 18
    facts.column_dimensions["B"].width = 44
    facts.append([_("fact"), _("value")])
    for key, value in query_facts(df).items():
        facts.append([text_cell(facts, key), text_cell(facts, value)])
    book.save(target)


def _pivot_sheet(book: Any, df: pd.DataFrame, metric: str, name: str, text_cell: Any, bold: Any) -> None:
    """Logins × periods of one figure (a row per login and currency, a column per period), the
    way a manager reads a series: the periods as dates, a total per row."""
    from openpyxl.cell import WriteOnlyCell

    wide = df.pivot_table(
        index=["login", "currency"], columns="period_start", values=metric, aggfunc="sum", fill_value=0, observed=True
    )
    sheet = book.create_sheet(name)
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "C2"
    periods = list(wide.columns)
    head = [text_cell(sheet, column_words("login"), font=bold), text_cell(sheet, column_words("currency"), font=bold)]
    for period in periods:
        cell = WriteOnlyCell(sheet, value=float((pd.Timestamp(period) - _EXCEL_EPOCH) / pd.Timedelta(days=1)))
        cell.number_format = "DD.MM.YYYY" if i18n.current() != "en" else "YYYY-MM-DD"
        cell.font = bold
        head.append(cell)
    head.append(text_cell(sheet, _(TOTAL), font=bold))
    sheet.append(head)
    number = "#,##0" if metric == "sms" else "#,##0.00"
    for key, values in wide.iterrows():
        login, currency = key if isinstance(key, tuple) else (key, "")
        row = [text_cell(sheet, str(login)), text_cell(sheet, str(currency))]
        for value in [*values.tolist(), float(values.sum())]:
            cell = WriteOnlyCell(sheet, value=float(value))
            cell.number_format = number
            row.append(cell)
        sheet.append(row)


def _plain_sheet(book: Any, table: pd.DataFrame, name: str, text_cell: Any, bold: Any) -> None:
    """A table as it is: a bold header row, then the rows (a date as its ISO day, a missing value
    empty, every text a text cell)."""
    sheet = book.create_sheet(name)
    from openpyxl.utils import get_column_letter

    for i, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(12, len(str(column)) + 2), 40)
    sheet.append([text_cell(sheet, str(c), font=bold) for c in table.columns])
    for row in table.itertuples(index=False):
        values: list[Any] = []
        for value in row:
            if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
                values.append(None)
            elif isinstance(value, (pd.Timestamp, dt.date)):
                values.append(text_cell(sheet, value.isoformat()[:10]))
            elif isinstance(value, (bool, np.bool_)):
                values.append(bool(value))
            elif isinstance(value, (int, float, np.integer, np.floating)):
                values.append(float(value) if isinstance(value, (float, np.floating)) else int(value))
            else:
                values.append(text_cell(sheet, str(value)))
        sheet.append(values)


#: Excel's day zero (its day numbers count from here).
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _xlsx_values(values: pd.Series) -> list[Any]:
    """A column as plain Python values for a sheet: dates as day numbers, a missing value as None."""
    if values.dtype.kind == "M":
        days = (values - _EXCEL_EPOCH) / pd.Timedelta(days=1)
        return [None if d != d else d for d in days.to_numpy(dtype=float).tolist()]  # NaT -> None
    if values.dtype.kind in "iu":
        return list(values.to_numpy().tolist())
    present = values.notna().to_numpy()
    return [v if ok else None for v, ok in zip(values.astype(object).tolist(), present, strict=True)]


def workbook_facts(source: Path) -> dict[str, Any]:
    """The ``query`` sheet's facts, each as it was written (pandas would read a True among
    numbers as 1)."""
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True)
    try:
        if "query" not in book.sheetnames:
            return {}
        return {str(k): v for k, v, *_ in book["query"].iter_rows(min_row=2, values_only=True) if k is not None}
    finally:
        book.close()


def read_stats_sheet(source: Path) -> pd.DataFrame:
    """The ``stats`` sheet's table: from its header row (under the title) to the row before the
    totals, with the comparison columns left out."""
    raw = pd.read_excel(source, sheet_name="stats", header=None)
    logins = set()
    totals = set()
    before = set()
    for code in i18n.LANGUAGES:
        with i18n.using(code):
            logins |= {column_words("login"), column_words("period_start"), column_words("account")}
            totals.add(_(TOTAL))
            before |= {_(w) for w in _BEFORE.values()}
    header_row = next((i for i in range(min(len(raw), 10)) if str(raw.iat[i, 0]) in logins), 0)
    headers = [str(h) for h in raw.iloc[header_row]]
    body = raw.iloc[header_row + 1 :]
    first = body.iloc[:, 0].astype(str)
    body = body[~first.str.split(",").str[0].isin(totals)]
    body = body.set_axis(headers, axis=1).reset_index(drop=True)
    body = body[[h for h in headers if h not in before and h != "nan"]]
    return body.infer_objects()
