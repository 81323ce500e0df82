"""Rows to the one fixed DataFrame schema, and the query facts stamped on it (pure, no I/O).

Columns ``login, sms, credit, debit, currency`` in that order: ``sms`` is ``int64``, ``credit`` and
``debit`` are ``float64``, ``login`` and ``currency`` use pandas' ``string`` dtype. A series adds
``period_start`` and ``period_end`` (``datetime64[ns]`` at midnight) as the first two columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._query import StatsQuery

COLUMNS: tuple[str, ...] = ("login", "sms", "credit", "debit", "currency")
SERIES_COLUMNS: tuple[str, ...] = ("period_start", "period_end", *COLUMNS)
STRING_DTYPE = pd.StringDtype()
DTYPES: dict[str, Any] = {
    "login": STRING_DTYPE,
    "sms": np.dtype("int64"),
    "credit": np.dtype("float64"),
    "debit": np.dtype("float64"),
    "currency": STRING_DTYPE,
}


def make_frame(
    login: Sequence[str] | np.ndarray,
    sms: np.ndarray,
    credit: np.ndarray,
    debit: np.ndarray,
    currency: Sequence[str] | np.ndarray,
) -> pd.DataFrame:
    """Build a stats frame from already-typed columns (``sms`` int64, money float64)."""
    return pd.DataFrame(
        {
            "login": pd.array(np.asarray(login, dtype=object), dtype=STRING_DTYPE),
            "sms": np.asarray(sms, dtype=np.int64),
            "credit": np.asarray(credit, dtype=np.float64),
            "debit": np.asarray(debit, dtype=np.float64),
            "currency": pd.array(np.asarray(currency, dtype=object), dtype=STRING_DTYPE),
        },
        columns=list(COLUMNS),
    )


def empty_frame() -> pd.DataFrame:
    """Zero rows with the stats columns and dtypes."""
    empty = np.array([], dtype=object)
    return make_frame(empty, np.array([], dtype=np.int64), np.array([]), np.array([]), empty)


def empty_series_frame() -> pd.DataFrame:
    """Zero rows with the series columns and dtypes."""
    df = empty_frame()
    df.insert(0, "period_end", pd.Series([], dtype="datetime64[ns]"))
    df.insert(0, "period_start", pd.Series([], dtype="datetime64[ns]"))
    return df


def file_tag(attrs: Mapping[Any, Any]) -> str:
    """The same facts for a file name: ``""``, ``"_mycur"``, ``"_mycur_balance2_partial"``."""
    tags = [t for t in ("mycur", "balance2") if attrs.get(t)]
    if attrs.get("complete") is False:
        tags.append("partial")
    return "".join(f"_{t}" for t in tags)


def by_login(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in the one row order every store returns: by login (stable), a fresh index."""
    if frame["login"].is_monotonic_increasing:
        return frame
    return frame.sort_values("login", kind="stable").reset_index(drop=True)


def stamp(
    frame: pd.DataFrame, query: StatsQuery, *, source: str, now: float | None = None, **extra: Any
) -> pd.DataFrame:
    """Replace ``frame.attrs`` with the query facts: ``start``, ``end``, ``mycur``, ``balance2``,
    ``fmt``, ``source`` (the base URL), the ``extra`` facts and ``fetched_at`` (ISO, seconds;
    default ``now``). Never a secret. Returns ``frame``."""
    fetched = extra.get("fetched_at")
    if not isinstance(fetched, dt.datetime):
        fetched = dt.datetime.fromtimestamp(now, dt.UTC) if now is not None else dt.datetime.now(dt.UTC)
    frame.attrs.clear()
    frame.attrs.update(
        {
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
            "mycur": query.mycur,
            "balance2": query.balance2,
            "fmt": query.fmt,
            "source": source,
            **extra,
            "fetched_at": fetched.isoformat(timespec="seconds"),
        }
    )
    return frame
