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
    "XLSX_MAX_ROWS",
    "column_words",
    "csv_safe",
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
    """A column's header in the current language (the currency code kept: it is the data's)."""
    words = column_words(column)
    if column in ("credit", "debit") and len(currencies) == 1:
        return f"{words} ({currencies[0]})"
    return words


def _wire_names() -> dict[str, str]:
    """Every language's header words back to the wire's column names (for :func:`read_export`)."""
    names: dict[str, str] = {}
    for code in i18n.LANGUAGES:
        with i18n.using(code):
            for column in (*LABELS, *COLUMN_WORDS):
                names[column_words(column)] = column
    return names


def export(
    df: pd.DataFrame, path: str | Path, *, spreadsheet: bool = False, decimal: str = ".", lang: str | None = None
) -> Path:
    """Write ``df`` to ``path`` in the format its suffix names (see the module docstring).

    Args:
        df: a stats or series frame.
        path: ``*.csv``, ``*.json``, ``*.xlsx`` or ``*.parquet``.
        spreadsheet: for ``.csv``: a byte-order mark and, with ``decimal=","``, ``;`` between fields.
        decimal: for ``.csv`` with ``spreadsheet``: ``"."`` or ``","``.
        lang: the language of an ``.xlsx`` file's headers (default: the current language; the
            sheet names ``stats`` and ``query`` and the CSV, JSON and Parquet column names stay
            the wire's, for the programs that read them).

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
            _write_xlsx(df, target)
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


def _write_xlsx(df: pd.DataFrame, target: Path) -> None:
    """The sheet row by row (write-only: memory stays flat for a million rows). One cell per
    column is reused (its number format set once); dates go in as Excel's day numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    currencies = sorted({str(c) for c in df["currency"].dropna().unique()}) if "currency" in df.columns else []
    book = Workbook(write_only=True)
    sheet = book.create_sheet("stats")
    columns = list(df.columns)
    headers = [_header(c, currencies) for c in columns]
    for i, column in enumerate(columns, start=1):  # widths before the first row (write-only)
        width = max([len(headers[i - 1])] + [len(str(v)) for v in df[column].head(200)])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 40)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=None)
        if column in XLSX_FORMATS:
            cell.number_format = XLSX_FORMATS[column]
        cells.append(cell)
    for row in zip(*(_xlsx_values(df[c]) for c in columns), strict=True):
        for cell, value in zip(cells, row, strict=True):
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # a login that starts with "=" is a login, never a formula
        sheet.append(cells)
    facts = book.create_sheet("query")
    facts.column_dimensions["A"].width = 18
    facts.column_dimensions["B"].width = 44
    facts.append([_("fact"), _("value")])
    for key, value in query_facts(df).items():
        pair = []
        for item in (key, value):
            cell = WriteOnlyCell(facts, value=item)
            if isinstance(item, str):
                cell.data_type = "s"
            pair.append(cell)
        facts.append(pair)
    book.save(target)


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
        df = pd.read_excel(source, sheet_name="stats")
        words = _wire_names()
        names = []
        for header in df.columns:
            base = str(header).rsplit(" (", 1)[0] if str(header).endswith(")") else str(header)
            names.append(words.get(base, base.replace(" ", "_")))
        df.columns = names
        df.attrs.update(_xlsx_facts(source))
        return df
    raise said(QueryError, "read_export reads .parquet or .xlsx files, not {name}", name=repr(source.name))
