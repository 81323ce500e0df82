"""matplotlib plots of stats frames. matplotlib is imported here only, when a function is called.

Every function takes ``ax=`` (a new pyplot figure when omitted, so Jupyter displays it), returns
the Axes and never calls ``plt.show()``. Code that runs outside the main thread (the dashboard)
passes its own ``ax`` from a ``matplotlib.figure.Figure``, since pyplot is not thread-safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import QueryError
from .query import FREQS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["METRICS", "plot_series", "plot_totals", "render_png"]

METRICS = {"sms": "messages", "credit": "credit", "debit": "debit"}


def _check(df: Any, metric: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise QueryError(f"expected a DataFrame, not {type(df).__name__}")
    if metric not in METRICS:
        raise QueryError(f"metric must be one of {sorted(METRICS)}, not {metric!r}")
    missing = {"login", metric} - set(df.columns)
    if missing:
        raise QueryError(f"the frame has no column(s) {sorted(missing)}")


def _label(df: pd.DataFrame, metric: str) -> str:
    if metric == "sms":
        return "messages (sms)"
    currencies = sorted({str(c) for c in df["currency"].dropna().unique()}) if "currency" in df else []
    return f"{metric} ({', '.join(currencies) or 'no currency'})"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """The caller's Axes, or a new pyplot figure (so Jupyter shows it; nothing calls show())."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _period(df: pd.DataFrame) -> str:
    start, end = df.attrs.get("start"), df.attrs.get("end")
    if start and end:
        return f" {start} – {end}" if start != end else f" {start}"
    return ""


def plot_totals(df: pd.DataFrame, metric: str = "sms", *, ax: Axes | None = None) -> Axes:
    """Bars per login of ``metric`` (``sms``, ``credit`` or ``debit``) for a totals frame.

    A series frame is summed over its periods first.
    """
    _check(df, metric)
    totals = df.groupby("login", sort=True, observed=True)[metric].sum()
    ax = _axes(ax, (7, 3.5))
    label = _label(df, metric)
    ax.bar([str(x) for x in totals.index], totals.to_numpy(), color="#3b75af")
    ax.set_ylabel(label)
    ax.set_xlabel("login")
    ax.set_title(f"{label} per login{_period(df)}")
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_series(
    df: pd.DataFrame,
    metric: str = "sms",
    logins: list[str] | None = None,
    kind: str = "line",
    *,
    ax: Axes | None = None,
) -> Axes:
    """``metric`` over time, one line per login (``kind="line"``) or stacked areas (``"stacked"``).

    Periods where a login has no row count as zero.
    """
    _check(df, metric)
    if "period_start" not in df.columns:
        raise QueryError("plot_series needs a series frame (with period_start); use plot_totals for totals")
    if kind not in ("line", "stacked"):
        raise QueryError(f"kind must be 'line' or 'stacked', not {kind!r}")
    data = df if logins is None else df[df["login"].isin(logins)]
    wide = data.pivot_table(index="period_start", columns="login", values=metric, aggfunc="sum", fill_value=0)
    periods = pd.DatetimeIndex(sorted(pd.unique(df["period_start"])))
    wide = wide.reindex(periods, fill_value=0)
    if logins is not None:
        wide = wide.reindex(columns=[x for x in logins], fill_value=0)
    ax = _axes(ax, (9, 4))
    label = _label(df, metric)
    x = pd.DatetimeIndex(wide.index).to_pydatetime()
    if kind == "stacked" and len(wide.columns):
        ax.stackplot(x, [wide[c].to_numpy() for c in wide.columns], labels=[str(c) for c in wide.columns], alpha=0.85)
    else:
        for column in wide.columns:
            ax.plot(x, wide[column].to_numpy(), marker="o" if len(x) < 40 else None, label=str(column))
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel(label)
    ax.set_xlabel("period start")
    freq = df.attrs.get("freq")
    ax.set_title(f"{label} per {'period' if not freq else FREQS.get(freq, freq)}{_period(df)}")
    if len(wide.columns):
        ax.legend(loc="upper left", fontsize="small", ncols=min(4, len(wide.columns)))
    ax.grid(alpha=0.3)
    return ax


def render_png(df: pd.DataFrame, metric: str = "sms", *, size: tuple[float, float] = (9, 4), dpi: int = 100) -> bytes:
    """The fitting plot as PNG bytes: a series over time when there are several periods, else
    totals per login. Uses a plain ``Figure`` (not pyplot), so it is safe outside the main thread."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    if "period_start" in df.columns and df["period_start"].nunique() > 1:
        plot_series(df, metric, ax=ax)
    else:
        plot_totals(df, metric, ax=ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
