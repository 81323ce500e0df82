"""Exports: a stats frame to a file that says what it holds, in the format the suffix names.

:func:`export` writes ``.csv``, ``.json``, ``.xlsx`` and ``.parquet`` (one call, like
``df.to_excel``), and :func:`read_export` reads a ``.parquet`` or ``.xlsx`` export back with its
query facts in ``df.attrs``. Every file carries the query (period, flags, currency, whether the
answer is partial):

- ``.xlsx``: numbers as numbers, money with two decimals, headers in words with the currency
  (``spent on messages (RUR)``), logins in any script intact, and a second sheet ``query`` with
  the facts;
- ``.parquet``: the exact dtypes, and the facts as JSON in the file's metadata (key ``smsstats``);
- ``.csv``: UTF-8 (what pandas reads back as is); ``spreadsheet=True`` writes what Excel opens
  right by a double click: a byte-order mark, and ``;`` with a decimal comma where the locale
  writes numbers so (``decimal=","``);
- ``.json``: one object per row, dates in ISO form.

Sub-client logins are chosen by a reseller's customers, so a login never becomes something a
spreadsheet runs: in ``.xlsx`` every text is a text cell (never a formula), and in ``.csv`` a text
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (the
OWASP rule for CSV injection). An ``.xlsx`` is written row by row (openpyxl's write-only mode:
memory stays flat), and a frame over Excel's 1,048,576 rows is refused with a word on what to
write instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import LABELS
from ..core import QueryError, i18n, said
from ..core.i18n import N_
from ..core.i18n import gettext_ as _

__all__ = [
    "FORMULA_STARTS",
    "SUFFIXES",
    "TOTAL",
    "XLSX_MAX_ROWS",
    "column_words",
    "csv_safe",
    "default_title",
    "export",
    "query_facts",
    "read_export",
]

#: The formats :func:`export` writes.
SUFFIXES = (".csv", ".json", ".xlsx", ".parquet")
#: The most rows an Excel sheet holds (the header is one of them).
XLSX_MAX_ROWS = 1_048_576
#: What a spreadsheet reads as the start of a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_META_KEY = b"smsstats"


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


def _header(column: str, currencies: list[str]) -> str:
    """A column's header in the current language, money with its currency as the page says it
    (``spent on messages (RUB)``, ``потрачено на сообщения (₽)``)."""
    words = column_words(column)
    if column in ("credit", "debit") and len(currencies) == 1:
        return f"{words} ({i18n.currency_name(currencies[0])})"
    return words


#: The first cell of a workbook's totals row (every language's word is read back).
TOTAL = N_("Total")
#: The comparison columns a workbook adds when the page compared the answer with an earlier period.
_BEFORE = {
    "sms_a": N_("messages, previous period"),
    "sms_change_pct": N_("messages, change %"),
    "spent_a": N_("spent, previous period"),
    "spent_change_pct": N_("spent, change %"),
}


def _wire_names() -> dict[str, str]:
    """Every language's header words back to the wire's column names (for :func:`read_export`)."""
    names: dict[str, str] = {}
    for code in i18n.LANGUAGES:
        with i18n.using(code):
            for column in (*LABELS, *COLUMN_WORDS):
                names[column_words(column)] = column
    return names


def export(
    df: pd.DataFrame,
    path: str | Path,
    *,
    spreadsheet: bool = False,
    decimal: str = ".",
    lang: str | None = None,
    words: bool = False,
    previous: pd.DataFrame | None = None,
    title: str | None = None,
) -> Path:
    """Write ``df`` to ``path`` in the format its suffix names (see the module docstring).

    Args:
        df: a stats or series frame.
        path: ``*.csv``, ``*.json``, ``*.xlsx`` or ``*.parquet``.
        spreadsheet: for ``.csv``: a byte-order mark and, with ``decimal=","``, ``;`` between fields.
        decimal: for ``.csv`` with ``spreadsheet``: ``"."`` or ``","``.
        lang: the language of an ``.xlsx`` file's words (default: the current language; the
            sheet names ``stats`` and ``query`` and the JSON and Parquet column names stay the
            wire's, for the programs that read them).
        words: for ``.csv``: the headers in words in ``lang`` (a file for people), not the wire's
            names (a file for programs).
        previous: for ``.xlsx``: each login's comparison with an earlier period (the frame of
            :func:`~smsstats_nb.analysis.compare_periods`), added as columns beside a total.
        title: for ``.xlsx``: the title row (default: what, the period and the flags).

    Returns:
        The path written.

    Raises:
        QueryError: an unknown suffix, a folder that does not exist, or a bad ``decimal``.
    """
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise said(
            QueryError,
            "the file must end in {choices}, not {name}",
            choices=", ".join(SUFFIXES),
            name=repr(target.name),
        )
    if not target.parent.is_dir():
        raise said(QueryError, "the folder {value} does not exist", value=repr(str(target.parent)))
    if decimal not in (".", ","):
        raise said(QueryError, "decimal must be '.' or ',', not {decimal}", decimal=repr(decimal))
    if suffix == ".xlsx" and len(df) + 1 > XLSX_MAX_ROWS:
        raise said(
            QueryError,
            "{rows} rows do not fit in an Excel sheet (1,048,576 rows at most, the header one of them): "
            "write .csv or .parquet, or ask for a coarser granularity or fewer logins",
            rows=f"{len(df):,}",
        )
    if suffix == ".csv":
        safe = csv_safe(df)
        if words:
            currencies = sorted({str(c) for c in df["currency"].dropna().unique()}) if "currency" in df.columns else []
            with i18n.speaking(lang):  # a renamed copy: the caller's frame keeps its wire names
                safe = safe.set_axis([_header(str(c), currencies) for c in df.columns], axis=1)
        if spreadsheet:
            sep = ";" if decimal == "," else ","
            safe.to_csv(
                target,
                index=False,
                encoding="utf-8-sig",
                sep=sep,
                decimal=decimal,
                date_format="%Y-%m-%d",
                lineterminator="\r\n",  # RFC 4180; and a CR inside a login is quoted, never a row break
            )
        else:
            safe.to_csv(target, index=False, date_format="%Y-%m-%d", lineterminator="\r\n")
    elif suffix == ".json":
        df.to_json(target, orient="records", force_ascii=False, date_format="iso", indent=1)
    elif suffix == ".parquet":
        _write_parquet(df, target)
    else:
        with i18n.speaking(lang):
            _write_xlsx(df, target, previous=previous, title=title)
    return target


def export_bytes(df: pd.DataFrame, suffix: str, **options: Any) -> bytes:
    """What :func:`export` would write for ``suffix`` (``".xlsx"`` …), as bytes (for a download)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="smsstats-export-") as folder:
        return export(df, Path(folder) / f"export{suffix}", **options).read_bytes()


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise said(QueryError, ".parquet needs pyarrow: pip install 'smsstats_nb[parquet]'") from None
    return pyarrow


def _write_parquet(df: pd.DataFrame, target: Path) -> None:
    pa = _pyarrow()
    pq = pa.parquet

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps(query_facts(df), ensure_ascii=False).encode()
    pq.write_table(table.replace_schema_metadata(meta), target)


def is_text(values: pd.Series) -> bool:
    """Whether a column holds text (logins, currencies, account names), whatever its dtype."""
    return values.dtype.kind in "OSU" or str(values.dtype) == "string"


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text that a spreadsheet would run as a formula escaped with a leading
    ``'`` (OWASP); numbers and dates untouched. The frame is copied only when something changes."""
    out = df
    for column in df.columns:
        values = df[column]
        if not is_text(values):
            continue
        text = values.astype("string")
        risky = text.str.startswith(FORMULA_STARTS, na=False)
        if bool(risky.any()):
            if out is df:
                out = df.copy()
                out.attrs = dict(df.attrs)
            out[column] = text.where(~risky, "'" + text)
    return out


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


def _write_xlsx(
    df: pd.DataFrame, target: Path, *, previous: pd.DataFrame | None = None, title: str | None = None
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
    headers = [_header(c, currencies) for c in columns]
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


def _xlsx_facts(source: Path) -> dict[str, Any]:
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


def _read_stats_sheet(source: Path) -> pd.DataFrame:
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


def read_export(path: str | Path) -> pd.DataFrame:
    """Read a ``.parquet`` or ``.xlsx`` export back, with its query facts in ``df.attrs``.

    A ``.parquet`` file comes back with the exact dtypes; an ``.xlsx`` file with the wire column
    names (``login, sms, credit, debit, currency`` …) restored from the words in its header.
    """
    source = Path(path).expanduser()
    suffix = source.suffix.lower()
    if suffix == ".parquet":
        pq = _pyarrow().parquet
        table = pq.read_table(source)
        df: pd.DataFrame = table.to_pandas()
        raw = (table.schema.metadata or {}).get(_META_KEY)
        df.attrs.update(json.loads(raw) if raw else {})
        return df
    if suffix == ".xlsx":
        df = _read_stats_sheet(source)
        words = _wire_names()
        names = []
        for header in df.columns:
            base = str(header).rsplit(" (", 1)[0] if str(header).endswith(")") else str(header)
            names.append(words.get(base, base.replace(" ", "_")))
        df.columns = names
        df.attrs.update(_xlsx_facts(source))
        return df
    raise said(QueryError, "read_export reads .parquet or .xlsx files, not {name}", name=repr(source.name))
