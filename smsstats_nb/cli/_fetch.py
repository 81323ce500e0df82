"""``smsstats fetch``: one range or a series, shown as a table, written to a file and a chart.

Everything that can be checked (dates, file suffixes, folders) is checked before a request is
spent; a series longer than ten minutes asks first; Ctrl-C keeps what arrived, names it partial
and says how to resume."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..core import QueryError, QueryFlags, SmsStatsError, said
from ..core.i18n import N_, current, format_day, ngettext
from ..core.i18n import gettext_ as _
from ..output import text_table
from ._common import WaitLine, client_for, confirm, err, flags_of, out

__all__ = ["CONFIRM_ABOVE", "check_output", "cmd_fetch", "save_plot"]


#: A series whose rate-limit wait is longer than this (seconds) asks before it starts.
CONFIRM_ABOVE = 600.0


def check_output(path: str | None, suffixes: tuple[str, ...], option: str) -> None:
    """Refuse an output file before any request: wrong suffix or a folder that does not exist."""
    if path is None:
        return
    target = Path(path).expanduser()
    if target.suffix.lower() not in suffixes:
        raise said(
            QueryError,
            "{option} must end in {suffixes}, not {name}",
            option=option,
            suffixes=_(" or ").join(suffixes),
            name=repr(target.name),
        )
    folder = target.parent
    if not folder.is_dir():
        raise said(QueryError, "{option}: the folder {folder} does not exist", option=option, folder=repr(str(folder)))
    if target.is_dir():
        raise said(QueryError, "{option}: {path} is a folder", option=option, path=repr(str(target)))


def _write_table(df: Any, path: str, a: argparse.Namespace) -> None:
    from ..output import export

    export(df, path, spreadsheet=a.spreadsheet, decimal="," if a.decimal_comma else ".")


def save_plot(
    df: Any, path: str, metric: str = "sms", *, title: str | None = None, size: str = "9x4", dpi: int = 110
) -> None:
    """The chart as a PNG (``size``: ``"12x5"`` inches; ``dpi``; ``title``: your own)."""
    from ..output import render_png

    png = render_png(df, metric, size=plot_size(size), dpi=dpi, title=title)
    Path(path).expanduser().write_bytes(png)


def plot_size(size: str) -> tuple[float, float]:
    """``"12x5"`` → ``(12.0, 5.0)`` inches (its range is :func:`~smsstats_nb.output.check_figure`'s)."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[xX×]\s*(\d+(?:\.\d+)?)\s*", str(size))
    if not m:
        raise said(QueryError, "--plot-size is WIDTHxHEIGHT in inches, e.g. 12x5; not {value}", value=repr(size))
    return float(m.group(1)), float(m.group(2))


def apply_preset(a: argparse.Namespace, today: Any = None) -> None:
    """Fill ``--start``/``--end`` from a preset (``--last-month``, ``--last 7d`` …) on the
    server's calendar (Moscow); a preset and dates together, or neither, is refused."""
    import datetime as dt
    import re

    from ..core import moscow_today, preset_range

    preset, last = getattr(a, "preset", None), getattr(a, "last", None)
    if (preset or last) and (a.start or a.end):
        raise said(QueryError, "give either a preset or --start/--end, not both")
    today = today or moscow_today()
    if preset:
        a.start, a.end = (d.isoformat() for d in preset_range(preset, today))
    elif last:
        m = re.fullmatch(r"\s*(\d{1,4})\s*([dw])\s*", str(last))
        if not m or int(m.group(1)) < 1:
            raise said(QueryError, "--last takes a number of days or weeks: 7d, 30d, 4w; not {value}", value=repr(last))
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        a.start, a.end = (today - dt.timedelta(days=days - 1)).isoformat(), today.isoformat()
    elif not a.start:
        raise said(
            QueryError,
            "give --start (and --end), or a preset: --this-month, --last-month, --last-quarter, --ytd, --last 7d",
        )


def cmd_fetch(a: argparse.Namespace) -> int:
    from ..client import series_queries
    from ..core import make_query
    from ..core.i18n import format_duration
    from ..output import SUFFIXES

    apply_preset(a)
    check_output(a.output, SUFFIXES, "--output")
    check_output(a.plot, (".png",), "--plot")
    if a.plot:  # the plot's settings, before any request (the library's one check)
        from ..output import check_figure

        try:
            check_figure(plot_size(a.plot_size), a.plot_dpi)
        except QueryError as exc:
            raise said(QueryError, "--plot-size, --plot-dpi: {exc}", exc=exc) from None
    if a.freq:
        series_queries(a.start, a.end, a.freq, QueryFlags.of(**flags_of(a)))
    else:
        make_query(a.start, a.end, **flags_of(a))
    if a.all_accounts or len(a.account) > 1:
        from ._accounts import cmd_fetch_accounts

        return cmd_fetch_accounts(a, lambda df: _show(df, a))
    cache: Any = False if a.no_cache else a.cache_dir
    with client_for(a, cache=cache, wait=not a.no_wait) as client:
        waiting = WaitLine(client.settings.rate_limit, client.eta)
        try:
            if a.freq:
                cost = client.estimate_series(a.start, a.end, a.freq, refresh=a.refresh, **flags_of(a))
                if cost.requests and sys.stderr.isatty():
                    err(_("series: {cost}").format(cost=cost))
                if cost.requests and cost.eta_seconds > CONFIRM_ABOVE:
                    confirm(_("this series needs about {eta}").format(eta=format_duration(cost.eta_seconds)), a.yes)
                try:
                    df = client.fetch_series(
                        a.start,
                        a.end,
                        freq=a.freq,
                        refresh=a.refresh,
                        **flags_of(a),
                        progress=False,  # the wait line says how far it is: one line, never two
                        on_period=waiting.progress,
                        on_wait=waiting,
                    )
                except (KeyboardInterrupt, SmsStatsError) as exc:
                    # Ctrl-C, or a failure part-way (the network, the server): what arrived is
                    # cached and written as partial, and the line says how to resume
                    waiting.done()
                    partial = getattr(exc, "partial", None)
                    if isinstance(exc, KeyboardInterrupt) or (
                        partial is not None and partial.attrs.get("periods_done")
                    ):
                        _interrupted(partial, a)
                    raise
            else:
                df = client.fetch(a.start, a.end, refresh=a.refresh, on_wait=waiting, **flags_of(a))
        finally:
            waiting.done()
    _show(df, a)
    return 0


def _show(df: Any, a: argparse.Namespace) -> None:
    """Print the table (or write --output) and the plot."""
    if a.output:
        _write_table(df, a.output, a)
        err(ngettext("wrote {n} row to {path}", "wrote {n} rows to {path}", len(df)).format(n=len(df), path=a.output))
    else:
        out(_heading(df))
        out(text_table(df) if len(df) else _("(no traffic in this period)"))
    if a.plot:
        save_plot(df, a.plot, a.metric, title=a.plot_title, size=a.plot_size, dpi=a.plot_dpi)
        err(_("wrote plot of {metric} to {path}").format(metric=a.metric, path=a.plot))


def _heading(df: Any) -> str:
    """The line above a printed table: what it is, which period, where it came from."""
    from ..core import FREQS
    from ..core.i18n import currency_name

    start, end = df.attrs.get("start"), df.attrs.get("end")
    if current() != "en":  # the days and the currency as the language writes them
        start, end = format_day(start), format_day(end)
    span = start if start == end else f"{start} – {end}"
    source = _("from the cache") if df.attrs.get("from_cache") else _("from the server")
    freq = df.attrs.get("freq")
    by = {
        "D": N_("statistics by day"),
        "W": N_("statistics by week"),
        "MS": N_("statistics by month"),
        "M": N_("statistics by month"),
        "QS": N_("statistics by quarter"),
        "YS": N_("statistics by year"),
    }
    what = _(by[freq]) if freq in by else _("statistics by {period}").format(period=FREQS.get(freq, freq))
    if not freq:
        what = _("statistics")
    flags = [name for name in ("mycur", "balance2") if df.attrs.get(name)]
    names = sorted({str(c) for c in df["currency"].dropna().unique()}) if len(df) else []
    currencies = ", ".join(currency_name(c) for c in names)  # as the table says it
    extra = "".join(f", {x}" for x in (*flags, currencies) if x)
    rows = ngettext("{n} row", "{n} rows", len(df)).format(n=len(df))
    return f"{what} {span} ({rows}, {source}{extra}):"


def _interrupted(partial: Any, a: argparse.Namespace) -> None:
    """After Ctrl-C or a failure in a series: what arrived, where it was written (marked partial), how to resume."""
    if partial is None:
        return
    done, total = partial.attrs.get("periods_done", 0), partial.attrs.get("periods", 0)
    if done:
        said_ = ngettext(
            "stopped after {done} of {total} periods; they are cached: the same command resumes",
            "stopped after {done} of {total} periods; they are cached: the same command resumes",
            total,
        ).format(done=done, total=total)
    else:
        said_ = ngettext(
            "stopped before the first of {total} period arrived; the same command starts it again",
            "stopped before the first of {total} periods arrived; the same command starts them again",
            total,
        ).format(total=total)
    err("smsstats: " + said_)
    if a.output and done:
        target = Path(a.output).expanduser()
        path = target.with_name(f"{target.stem}.partial{target.suffix}")
        from ..client import series_queries

        last = series_queries(a.start, a.end, a.freq, QueryFlags.of(**flags_of(a)))[done - 1].end
        partial.attrs["end"] = last.isoformat()  # the file says the range it really covers
        _write_table(partial, str(path), a)
        err(
            "smsstats: "
            + ngettext(
                "wrote the {done} periods that arrived ({start} .. {last}) to {path}",
                "wrote the {done} periods that arrived ({start} .. {last}) to {path}",
                done,
            ).format(done=done, start=partial.attrs.get("start"), last=last, path=path)
        )
    elif a.output:
        err("smsstats: " + _("nothing arrived, so {path} was not written").format(path=a.output))
