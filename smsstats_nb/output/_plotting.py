"""matplotlib plots of stats frames. matplotlib is imported here only, when a function is called.

Every function takes ``ax=`` (a new pyplot figure when omitted, so Jupyter displays it), returns
the Axes and never calls ``plt.show()``. Code that runs outside the main thread (the dashboard)
passes its own ``ax`` from a ``matplotlib.figure.Figure``, since pyplot is not thread-safe.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis import flag_words
from ..core import QueryError, i18n, period_of, said
from ..core.i18n import N_, ngettext
from ..core.i18n import gettext_ as _
from ._axes import date_axis, day_words, thousands
from ._colours import OTHERS, TOP, login_colour, text, top_logins

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["METRICS", "check_figure", "partial_periods", "plot_series", "plot_totals", "render_png"]

#: What each metric means (the wire names ``credit`` and ``debit`` are easy to read backwards).
METRICS = {"sms": N_("messages"), "credit": N_("spent on messages"), "debit": N_("paid in")}
#: A series' title per granularity (``{label}``: the metric, ``{period}``: the range and flags).
TITLES = {
    None: N_("{label} per period{period}"),
    "D": N_("{label} per day{period}"),
    "W": N_("{label} per week{period}"),
    "MS": N_("{label} per month{period}"),
    "M": N_("{label} per month{period}"),
    "QS": N_("{label} per quarter{period}"),
    "YS": N_("{label} per year{period}"),
}


def _check(df: Any, metric: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise said(QueryError, "expected a DataFrame, not {kind}", kind=type(df).__name__)
    if metric not in METRICS:
        raise said(
            QueryError, "metric must be one of {value}, not {metric}", value=sorted(METRICS), metric=repr(metric)
        )
    missing = {"login", metric} - set(df.columns)
    if missing:
        raise said(QueryError, "the frame has no columns {value}", value=sorted(missing))


def _label(df: pd.DataFrame, metric: str) -> str:
    """The metric in words for a title and an axis (``spent on messages, RUB``): a chart goes on
    a manager's slide, where the wire's ``(credit)`` means nothing."""
    if metric == "sms":
        return _("messages")
    currencies = sorted({str(c) for c in df["currency"].dropna().unique()}) if "currency" in df else []
    names = ", ".join(i18n.currency_name(c) for c in currencies) or _("no currency")
    return _("{what}, {currencies}").format(what=_(METRICS[metric]), currencies=names)


def partial_periods(df: pd.DataFrame) -> pd.DatetimeIndex:
    """Starts of the periods of a series frame clipped by the range (a partial first or last week,
    month, quarter or year), which are not comparable with whole periods."""
    freq = df.attrs.get("freq")
    if "period_end" not in df.columns or not freq or str(freq).upper() == "D":
        return pd.DatetimeIndex([])
    spans = df[["period_start", "period_end"]].drop_duplicates()
    partial = []
    for start, end in zip(spans["period_start"], spans["period_end"], strict=True):
        if period_of(start.date(), str(freq)) != (start.date(), end.date()):
            partial.append(start)
    return pd.DatetimeIndex(sorted(partial))


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """The caller's Axes, or a new pyplot figure (so Jupyter shows it; nothing calls show())."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _period(df: pd.DataFrame) -> str:
    """The period in a title, with the flags and "partial" when they apply."""
    start, end = df.attrs.get("start"), df.attrs.get("end")
    words = flag_words(df.attrs)
    tail = f" ({words})" if words else ""
    if start and end:
        return (f" {i18n.format_span(start, end)}" if start != end else f" {i18n.format_day(start)}") + tail
    return tail


def plot_totals(
    df: pd.DataFrame,
    metric: str = "sms",
    *,
    ax: Axes | None = None,
    top: int | None = TOP,
    lang: str | None = None,
    title: str | None = None,
) -> Axes:
    """Bars per login of ``metric`` (``sms``, ``credit`` or ``debit``) for a totals frame, each
    login in its own colour, the ``top`` largest and one bar for the others; titles, axes and
    numbers in ``lang`` (``"en"``, ``"ru"``; default: the current language).

    A series frame is summed over its periods first. When the other logins together outweigh the
    largest bar (a reseller's 2,000 logins), they are said in a line under the title, with their
    share, instead of a bar that would flatten the ``top`` ones. ``title``: your own title.
    """
    with i18n.speaking(lang):
        return _draw_totals(df, metric, ax, top, title)


def _draw_totals(df: pd.DataFrame, metric: str, ax: Axes | None, top: int | None, title: str | None = None) -> Axes:
    _check(df, metric)
    df = top_logins(df, metric, top)
    totals = df.groupby("login", sort=True, observed=True)[metric].sum()
    others_note = None
    if OTHERS in totals.index:  # others last, or as words when their bar would dwarf the rest
        rest = float(totals[OTHERS])
        shown = totals.drop(OTHERS)
        if len(shown) and rest > float(shown.max()):
            share = rest / float(totals.sum()) if float(totals.sum()) else 0.0
            count = int(df.attrs.get("others", 0))
            others_note = ngettext(
                "and {n} other login: {value} ({share} of the total)",
                "and {n} other logins: {value} ({share} of the total)",
                count,
            ).format(
                n=i18n.format_number(count),
                value=i18n.format_number(rest, 0 if metric == "sms" else 2),
                share=f"{i18n.format_number(share * 100, 1)} %",
            )
            totals = shown
        else:
            totals = pd.concat([shown, totals[[OTHERS]]])
    ax = _axes(ax, (7, 3.5))
    label = _label(df, metric)
    bars = ax.bar([text(x) for x in totals.index], totals.to_numpy(), color=[login_colour(x) for x in totals.index])
    ax.set_ylim(bottom=0)
    thousands(ax)
    if len(totals) <= 12:  # values on the bars while there is room
        decimals = 0 if metric == "sms" else 2
        ax.bar_label(
            bars, labels=[i18n.format_number(v, decimals) for v in totals.to_numpy()], fontsize="x-small", padding=2
        )
        ax.margins(y=0.12)
    ax.set_ylabel(label)
    ax.set_xlabel(_("login"))
    names = [str(x) for x in totals.index]
    if names and len(names) * max(len(n) for n in names) > 60:  # long names side by side collide: upright
        ax.tick_params(axis="x", labelrotation=90)
    ax.set_title(title if title is not None else _("{label} per login{period}").format(label=label, period=_period(df)))
    if others_note:
        ax.text(0.99, 0.97, others_note, transform=ax.transAxes, ha="right", va="top", fontsize="small", color="0.3")
        ax.margins(y=0.2)
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_series(
    df: pd.DataFrame,
    metric: str = "sms",
    logins: list[str] | None = None,
    kind: str = "line",
    *,
    flags: pd.DataFrame | None = None,
    ax: Axes | None = None,
    top: int | None = TOP,
    lang: str | None = None,
    title: str | None = None,
) -> Axes:
    """``metric`` over time, one line per login (``kind="line"``) or stacked areas (``"stacked"``),
    each login in its own colour on every plot; without ``logins``, the ``top`` largest and one
    ``others`` (``top=None``: all).

    Periods where a login has no row count as zero. ``flags`` (from
    :func:`~smsstats_nb.analysis.flag_anomalies`) rings each flagged day of a plotted login.
    Titles, axes (month names too) and numbers are in ``lang`` (default: the current language).
    """
    with i18n.speaking(lang):
        return _draw_series(df, metric, logins, kind, flags, ax, top, title)


def _draw_series(
    df: pd.DataFrame,
    metric: str,
    logins: list[str] | None,
    kind: str,
    flags: pd.DataFrame | None,
    ax: Axes | None,
    top: int | None,
    title: str | None = None,
) -> Axes:
    _check(df, metric)
    if "period_start" not in df.columns:
        raise said(QueryError, "plot_series needs a series frame (with period_start); use plot_totals for totals")
    if kind not in ("line", "stacked"):
        raise said(QueryError, "kind must be 'line' or 'stacked', not {kind}", kind=repr(kind))
    data = df if logins is None else df[df["login"].isin(logins)]
    data = top_logins(data, metric, top if logins is None else None)
    wide = data.pivot_table(index="period_start", columns="login", values=metric, aggfunc="sum", fill_value=0)
    if OTHERS in wide.columns:
        wide = wide[[c for c in wide.columns if c != OTHERS] + [OTHERS]]
    periods = pd.DatetimeIndex(sorted(pd.unique(df["period_start"])))
    wide = wide.reindex(periods, fill_value=0)
    if logins is not None:
        wide = wide.reindex(columns=[x for x in logins], fill_value=0)
    ax = _axes(ax, (9, 4))
    label = _label(df, metric)
    x = pd.DatetimeIndex(wide.index).to_pydatetime()
    if kind == "stacked" and len(wide.columns):
        ax.stackplot(
            x,
            [wide[c].to_numpy() for c in wide.columns],
            labels=[text(c) for c in wide.columns],
            colors=[login_colour(c) for c in wide.columns],
            alpha=0.85,
        )
    else:
        for column in wide.columns:
            ax.plot(
                x,
                wide[column].to_numpy(),
                marker="o" if len(x) < 40 else None,
                label=text(column),
                color=login_colour(column),
            )
    ax.set_ylim(bottom=0)
    thousands(ax)

    if flags is not None and len(flags) and kind == "line":
        marked = flags[flags["login"].astype(str).isin([str(c) for c in wide.columns])]
        marked = marked[marked["period_start"].isin(wide.index)]
        if len(marked):
            _draw_flags(ax, wide, marked)
    partial = partial_periods(df)
    if len(partial):
        ends = df.drop_duplicates("period_start").set_index("period_start")["period_end"]
        for i, start in enumerate(partial):
            end = pd.Timestamp(ends[start]) + pd.Timedelta(days=1)
            ax.axvspan(
                start.to_pydatetime(),  # type: ignore[arg-type]  # matplotlib's dates converter takes datetimes
                end.to_pydatetime(),  # type: ignore[arg-type]
                color="0.85",
                alpha=0.5,
                zorder=0,
                label=_("partial period") if i == 0 else None,
            )
            ax.annotate(
                _("partial: {first}–{last}").format(first=day_words(start), last=day_words(end - pd.Timedelta(days=1))),
                (start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -12),
                textcoords="offset points",
                fontsize="x-small",
                color="0.35",
            )
    freq = df.attrs.get("freq")
    date_axis(ax, pd.DatetimeIndex(wide.index), freq=str(freq).upper() if freq else None)
    ax.set_ylabel(label)
    template = TITLES.get(str(freq).upper() if freq else None, TITLES[None])
    ax.set_title(title if title is not None else _(template).format(label=label, period=_period(df)))
    if len(wide.columns) or len(partial):
        # outside the axes, so it never covers data
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0.0)
    ax.grid(alpha=0.3)
    return ax


#: How each kind of flag is drawn: never in a login's colour, and named in the legend.
_FLAG_STYLE = {
    "spike": {"marker": "^", "color": "#b00020", "label": N_("spike (flagged day)")},
    "drop": {"marker": "v", "color": "#e65100", "label": N_("drop (flagged day)")},
    "price": {"marker": "D", "color": "#00695c", "label": N_("price rise (flagged day)")},
    "flagged": {"marker": "o", "color": "#6a1b9a", "label": N_("flagged day")},  # flags without a kind
}


def _draw_flags(ax: Axes, wide: pd.DataFrame, marked: pd.DataFrame) -> None:
    """Spikes and drops as open markers of their kind's colour on the line; a silent stretch as
    one shaded span from its first to its last day (not a pile of rings on zero)."""
    grid = wide.to_numpy(dtype=float)
    col_of = {str(c): i for i, c in enumerate(wide.columns)}
    if "kind" not in marked.columns:
        marked = marked.assign(kind="flagged")
    for kind, style in _FLAG_STYLE.items():
        part = marked[marked["kind"] == kind]
        if not len(part):
            continue
        rows = wide.index.get_indexer(pd.Index(part["period_start"]))
        ys = [float(grid[int(r), col_of[str(lg)]]) for r, lg in zip(rows, part["login"], strict=True)]
        ax.scatter(
            list(pd.DatetimeIndex(part["period_start"]).to_pydatetime()),
            ys,
            s=120,
            marker=style["marker"],
            facecolors="none",
            edgecolors=style["color"],
            linewidths=2,
            zorder=5,
            label=_(style["label"]),
        )
    _draw_spans(ax, marked, "silent", "#b00020", 0.12, _("silent (no messages)"), N_("{login} silent"))
    _draw_spans(ax, marked, "level", "#e65100", 0.08, _("lasting shift"), N_("{login} shifted"))


def _draw_spans(ax: Axes, marked: pd.DataFrame, kind: str, color: str, alpha: float, label: str, note: str) -> None:
    """Each stretch of ``kind`` days as one shaded span, named once in the legend."""
    silent = marked[marked["kind"] == kind].sort_values(["login", "period_start"])
    first_span = True
    for login, days in silent.groupby(silent["login"].astype(str), sort=True):
        starts = pd.DatetimeIndex(days["period_start"])
        breaks = [0, *[i for i in range(1, len(starts)) if (starts[i] - starts[i - 1]).days > 1], len(starts)]
        for a, b in itertools.pairwise(breaks):
            ax.axvspan(
                starts[a].to_pydatetime(),  # type: ignore[arg-type]
                (starts[b - 1] + pd.Timedelta(days=1)).to_pydatetime(),  # type: ignore[arg-type]
                color=color,
                alpha=alpha,
                zorder=0,
                label=label if first_span else None,
            )
            ax.annotate(  # at the top of the span, on a light ground: never on the lines at the bottom
                _(note).format(login=text(login)),
                (starts[a], 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -4),
                textcoords="offset points",
                va="top",
                fontsize="x-small",
                color=color,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            )
            first_span = False


def check_figure(size: Any, dpi: Any) -> tuple[float, float]:
    """``size`` (inches, 1 to 40 each way) and ``dpi`` (30 to 600) checked, before anything is
    fetched or drawn; returns the size as floats.

    Raises:
        QueryError: naming the bad one.
    """
    if not (isinstance(dpi, int) and not isinstance(dpi, bool) and 30 <= dpi <= 600):
        raise said(QueryError, "dpi must be a whole number from 30 to 600, not {dpi}", dpi=repr(dpi))
    try:
        width, height = (float(v) for v in size)
    except (TypeError, ValueError):
        raise said(QueryError, "size must be (width, height) in inches, not {size}", size=repr(size)) from None
    if not (1 <= width <= 40 and 1 <= height <= 40):
        raise said(QueryError, "size must be (width, height) in inches, not {size}", size=repr(size))
    return width, height


def render_png(
    df: pd.DataFrame,
    metric: str = "sms",
    *,
    size: tuple[float, float] = (9, 4),
    dpi: int = 100,
    logins: list[str] | None = None,
    top: int | None = TOP,
    flags: pd.DataFrame | None = None,
    lang: str | None = None,
    title: str | None = None,
) -> bytes:
    """The fitting plot as PNG bytes: a series over time when there are several periods (only
    ``logins`` when given), else totals per login. ``size`` (inches), ``dpi`` and ``title`` are
    yours to set (a slide wants 12×5 at 150). Uses a plain ``Figure`` (not pyplot), so it is
    safe outside the main thread."""
    check_figure(size, dpi)
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    with i18n.speaking(lang):
        if "period_start" in df.columns and df["period_start"].nunique() > 1:
            plot_series(df, metric, logins, ax=ax, top=top, flags=flags, title=title)
        else:
            plot_totals(df, metric, ax=ax, top=top, title=title)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
