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

from ..core import QueryError, i18n, said
from ._workbook import (
    column_words,
    header_words,
    query_facts,
    read_stats_sheet,
    wire_names,
    workbook_facts,
    write_workbook,
)

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
                safe = safe.set_axis([header_words(str(c), currencies) for c in df.columns], axis=1)
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
            write_workbook(df, target, previous=previous, title=title)
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
        df = read_stats_sheet(source)
        words = wire_names()
        names = []
        for header in df.columns:
            base = str(header).rsplit(" (", 1)[0] if str(header).endswith(")") else str(header)
            names.append(words.get(base, base.replace(" ", "_")))
        df.columns = names
        df.attrs.update(workbook_facts(source))
        return df
    raise said(QueryError, "read_export reads .parquet or .xlsx files, not {name}", name=repr(source.name))
