"""Plots rendered with Agg: the artists, labels and currency are checked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import io
import itertools
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.core._frames import make_frame
from smsstats_nb.output._plotting import plot_series, plot_totals, render_png


def totals() -> pd.DataFrame:
    df = make_frame(["a", "b", "c"], np.array([5, 7, 1]), np.array([1.5, 2.5, 0.5]), np.zeros(3), ["RUR"] * 3)
    df.attrs.update(start="2024-01-01", end="2024-01-31")
    return df


def series() -> pd.DataFrame:
    rows = []
    for i, day in enumerate(pd.date_range("2024-01-01", periods=5)):
        rows.append((day, day, "a", i + 1, 1.0 * i))
        if i != 2:  # login b has no row on day 3: it must count as zero
            rows.append((day, day, "b", 10, 2.0))
    df = pd.DataFrame(rows, columns=["period_start", "period_end", "login", "sms", "credit"])
    df["debit"] = 0.0
    df["currency"] = "KZT"
    df.attrs.update(freq="D")
    return df


@pytest.mark.parametrize("metric", ["sms", "credit", "debit"])
def test_plot_totals_draws_one_bar_per_login(metric: str) -> None:
    ax = plot_totals(totals(), metric)
    assert len(ax.patches) == 3
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    words = {"sms": "messages", "credit": "spent on messages", "debit": "paid in"}[metric]
    assert ax.get_ylabel().startswith(words) and ax.get_title().startswith(words)
    assert f"({metric})" not in ax.get_ylabel() + ax.get_title()  # a slide says words, not wire names
    if metric != "sms":
        assert "RUB" in ax.get_ylabel()  # the wire says RUR; a person reads the ISO code
    assert "2024-01-01" in ax.get_title()


def test_plot_totals_uses_the_given_axes() -> None:
    fig, ax = plt.subplots()
    assert plot_totals(totals(), ax=ax) is ax
    plt.close(fig)


def test_plot_series_lines_fill_missing_periods_with_zero() -> None:
    ax = plot_series(series(), "credit")
    lines = ax.get_lines()
    assert len(lines) == 2
    b = next(line for line in lines if line.get_label() == "b")
    assert list(b.get_ydata()) == [2.0, 2.0, 0.0, 2.0, 2.0]
    assert "KZT" in ax.get_ylabel() and "spent on messages" in ax.get_title() and "day" in ax.get_title()


def test_plot_series_stacked_and_login_filter() -> None:
    ax = plot_series(series(), "sms", kind="stacked")
    assert len(ax.collections) == 2
    ax = plot_series(series(), "sms", logins=["a"])
    assert [line.get_label() for line in ax.get_lines()] == ["a"]


def test_bad_plot_arguments() -> None:
    with pytest.raises(QueryError):
        plot_totals(totals(), "money")
    with pytest.raises(QueryError):
        plot_series(totals())
    with pytest.raises(QueryError):
        plot_series(series(), kind="pie")


def test_new_figures_are_pyplot_figures_so_jupyter_shows_them() -> None:
    before = len(plt.get_fignums())
    ax = plot_totals(totals())
    assert len(plt.get_fignums()) == before + 1
    plt.close(ax.figure)  # type: ignore[arg-type]


def test_render_png_picks_series_or_totals() -> None:
    from smsstats_nb.output._plotting import render_png

    for df in (series(), totals()):
        assert render_png(df)[:8] == b"\x89PNG\r\n\x1a\n"


def january_daily() -> pd.DataFrame:
    days = pd.date_range("2024-01-01", "2024-01-31")
    df = pd.DataFrame(
        {"period_start": days, "period_end": days, "login": "a", "sms": np.arange(31), "credit": 1.0, "debit": 0.0}
    )
    df["currency"] = "RUR"
    df.attrs.update(freq="D", start="2024-01-01", end="2024-01-31")
    return df


def test_the_date_axis_has_no_misleading_offset_and_the_legend_sits_outside() -> None:
    ax = plot_series(january_daily(), "sms")
    ax.figure.canvas.draw()
    assert ax.xaxis.get_offset_text().get_text() == ""  # it said "2024-Feb" for January data
    legend = ax.get_legend()
    box = legend.get_window_extent().transformed(ax.transAxes.inverted())
    assert box.x0 >= 1.0  # right of the axes: it covers no data
    assert "2024-01-01 – 2024-01-31" in ax.get_title()
    plt.close("all")


def test_a_clipped_last_week_is_marked_not_drawn_as_a_cliff() -> None:
    starts = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"])
    ends = pd.to_datetime(["2024-01-07", "2024-01-14", "2024-01-21", "2024-01-28", "2024-01-31"])
    df = pd.DataFrame({"period_start": starts, "period_end": ends, "login": "a", "sms": [70, 70, 70, 70, 30]})
    df["credit"], df["debit"], df["currency"] = 1.0, 0.0, "RUR"
    df.attrs.update(freq="W")
    from smsstats_nb.output._plotting import partial_periods

    assert list(partial_periods(df)) == [pd.Timestamp("2024-01-29")]
    ax = plot_series(df, "sms")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "partial period" in labels
    assert any("partial: 29 Jan–31 Jan" in t.get_text() for t in ax.texts)
    whole = df.copy()
    whole.loc[4, "period_end"] = pd.Timestamp("2024-02-04")
    assert len(partial_periods(whole)) == 0
    plt.close("all")


def test_labels_explain_the_wire_names() -> None:
    ax = plot_totals(totals(), "credit")
    assert ax.get_ylabel() == "spent on messages, RUB"
    ax = plot_totals(totals(), "debit")
    assert ax.get_ylabel() == "paid in, RUB"
    plt.close("all")


def test_flagged_days_are_ringed() -> None:
    df = january_daily()
    flags = pd.DataFrame(
        {"period_start": [pd.Timestamp("2024-01-10"), pd.Timestamp("2024-01-20")], "login": ["a", "not-plotted"]}
    )
    ax = plot_series(df, "sms", flags=flags)
    rings = [c for c in ax.collections if c.get_label() == "flagged day"]
    assert len(rings) == 1 and rings[0].get_offsets().shape == (1, 2)
    assert rings[0].get_offsets()[0][1] == 9  # at the plotted value of that day (sms = day index)
    assert "flagged day" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


@pytest.mark.parametrize("login", ["usd$5$off", "$x^$", "a$b"])
def test_logins_are_text_never_mathtext(login: str) -> None:
    df = make_frame([login, "b"], np.array([5, 7]), np.array([1.5, 2.5]), np.zeros(2), ["RUR"] * 2)
    ax = plot_totals(df)
    ax.figure.canvas.draw()  # "$x^$" raised ValueError in mathtext before
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert login.replace("$", r"\$") in labels
    plt.close(ax.figure)
    rows = [(day, day, login, 3, 1.0, 0.0, "RUR") for day in pd.date_range("2024-01-01", periods=3)]
    s = pd.DataFrame(rows, columns=["period_start", "period_end", "login", "sms", "credit", "debit", "currency"])
    ax = plot_series(s)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [login.replace("$", r"\$")]
    plt.close(ax.figure)


def _bar_colours(ax: plt.Axes) -> dict[str, str]:
    import matplotlib.colors as mcolors

    labels = [t.get_text() for t in ax.get_xticklabels()]
    return {label: mcolors.to_hex(bar.get_facecolor()) for label, bar in zip(labels, ax.patches, strict=True)}


def test_each_login_keeps_its_colour_on_every_plot() -> None:
    from smsstats_nb.output._colours import login_colour

    ax1 = plot_totals(totals())
    three = _bar_colours(ax1)
    two = make_frame(["c", "a"], np.array([4, 9]), np.array([1.0, 2.0]), np.zeros(2), ["RUR"] * 2)
    ax2 = plot_totals(two)
    assert _bar_colours(ax2) == {"a": three["a"], "c": three["c"]}  # not "first bar blue"
    ax3 = plot_series(series())
    lines = {line.get_label(): line.get_color() for line in ax3.get_lines()}
    assert lines["a"] == login_colour("a") == three["a"]
    for ax in (ax1, ax2, ax3):
        plt.close(ax.figure)
    assert login_colour("others") == "#9e9e9e"


def test_the_first_logins_of_a_session_all_get_different_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    from smsstats_nb.output import _colours as plotting

    monkeypatch.setattr(plotting, "_SESSION_COLOURS", {})  # a new session
    names = ["demo", "demo_shop", "demo_support", "демо_маркет", *(f"x{i}" for i in range(7))]
    colours = [plotting.login_colour(x) for x in names]
    assert len(set(colours)) == 11 and plotting.login_colour("demo") == colours[0]  # and it keeps it


def test_a_resellers_two_thousand_logins_become_the_top_ten_and_others() -> None:
    n = 2000
    df = make_frame(
        [f"sub{i:04d}" for i in range(n)], np.arange(1, n + 1), np.arange(1, n + 1) * 1.0, np.zeros(n), ["RUR"] * n
    )
    ax = plot_totals(df, "sms")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"sub{i:04d}" for i in range(n - 10, n)]  # the ten largest, readable
    heights = [bar.get_height() for bar in ax.patches]
    rest = sum(range(1, n - 9))  # the 1,990 others outweigh the top ten: said in words, not a bar
    note = [t.get_text() for t in ax.texts if "other logins" in t.get_text()]
    share = rest / df["sms"].sum() * 100
    assert note == [f"and 1,990 other logins: {rest:,} ({share:.1f} % of the total)"]
    assert sum(heights) + rest == df["sms"].sum()  # nothing lost: the others are summed, not dropped
    plt.close(ax.figure)
    small = make_frame(["a", "b", "c"], np.array([50, 40, 5]), np.zeros(3), np.zeros(3), ["RUR"] * 3)
    few = plot_totals(small, "sms", top=1)  # others (45) under the top bar (50): a bar of its own
    assert [t.get_text() for t in few.get_xticklabels()] == ["a", "others"]
    plt.close(few.figure)
    everyone = plot_totals(df.head(12), "sms", top=None)
    assert len(everyone.patches) == 12
    plt.close(everyone.figure)
    with pytest.raises(QueryError, match="top"):
        plot_totals(df, "sms", top=0)


def test_bars_start_at_zero_with_thousands_separators() -> None:
    df = make_frame(["a", "b"], np.array([120_000, 125_000]), np.array([1.5, 2.5]), np.zeros(2), ["RUR"] * 2)
    ax = plot_totals(df, "sms")
    ax.figure.canvas.draw()
    assert ax.get_ylim()[0] == 0  # a bar chart that starts at 119,000 lies about the difference
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert any("," in t for t in ticks) and all(t.replace(",", "").replace(".", "").isdigit() for t in ticks)
    plt.close(ax.figure)


def test_flags_are_drawn_by_kind_and_a_silence_is_one_shaded_span() -> None:
    df = january_daily()
    days = [pd.Timestamp(f"2024-01-{d:02d}") for d in (5, 8, 12, 13, 14, 15)]
    flags = pd.DataFrame(
        {
            "period_start": days,
            "login": ["a", "a", "a", "a", "a", "a"],
            "kind": ["spike", "drop", "silent", "silent", "silent", "silent"],
        }
    )
    ax = plot_series(df, "sms", flags=flags)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"spike (flagged day)", "drop (flagged day)", "silent (no messages)"} <= set(labels)
    markers = {c.get_label(): c for c in ax.collections if "flagged day" in str(c.get_label())}
    assert markers["spike (flagged day)"].get_offsets().shape == (1, 2)
    import matplotlib.colors as mcolors

    line_colours = {mcolors.to_hex(line.get_color()) for line in ax.get_lines()}
    ring_colours = {mcolors.to_hex(c.get_edgecolor()[0]) for c in markers.values()}
    assert not ring_colours & line_colours  # never in a login's colour
    spans = [p for p in ax.patches if p.get_label() == "silent (no messages)"]
    assert len(spans) == 1  # four silent days, one span (not four rings on zero)
    plt.close("all")


def test_a_date_axis_shows_the_year_and_month_starts() -> None:
    rows = [(d, d, "a", 1, 1.0, 0.0, "RUR") for d in pd.date_range("2024-01-01", "2024-06-30")]
    df = pd.DataFrame(rows, columns=["period_start", "period_end", "login", "sms", "credit", "debit", "currency"])
    ax = plot_series(df)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks[0] == "Jan 2024" and all(t.endswith("2024") for t in ticks)  # month starts, with the year
    short = plot_series(df[df["period_start"] < "2024-01-20"])
    assert "2024" in short.get_xlabel()
    plt.close("all")


@pytest.mark.parametrize("days", [2, 3, 5, 9, 31, 60])
def test_a_short_date_axis_never_repeats_a_day(days: int) -> None:
    dates = pd.date_range("2024-06-01", periods=days)
    rows = [(d, d, "a", 1, 1.0, 0.0, "RUR") for d in dates]
    df = pd.DataFrame(rows, columns=["period_start", "period_end", "login", "sms", "credit", "debit", "currency"])
    ax = plot_series(df)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) == len(set(ticks)), ticks  # "28 Jun, 28 Jun" was a tick at noon
    assert 2 <= len(ticks) <= 9
    locs = ax.xaxis.get_majorticklocs()
    assert all(float(x).is_integer() for x in locs)  # at midnight: whole days
    plt.close("all")


def test_long_login_names_on_a_bar_chart_stand_upright_not_overlapping() -> None:
    names = [f"account{i}/a_rather_long_login_{i}" for i in range(8)]
    df = pd.DataFrame({"login": names, "sms": range(8), "credit": 1.0, "debit": 0.0, "currency": "RUR"})
    ax = plot_totals(df, "sms")
    ax.figure.canvas.draw()
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    assert all(t.get_rotation() == 90 for t in labels)
    boxes = [t.get_window_extent() for t in labels]
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes))  # no two labels collide
    short = plot_totals(df.assign(login=[f"l{i}" for i in range(8)]), "sms")
    assert all(t.get_rotation() == 0 for t in short.get_xticklabels())
    plt.close("all")


def _monthly(months: int) -> pd.DataFrame:
    starts = pd.date_range("2024-01-01", periods=months, freq="MS")
    ends = starts + pd.offsets.MonthEnd(0)
    df = make_frame(["a"] * months, np.arange(1, months + 1), np.ones(months), np.zeros(months), ["RUR"] * months)
    df.insert(0, "period_end", ends)
    df.insert(0, "period_start", starts)
    df.attrs.update(freq="MS", start="2024-01-01", end=str(ends[-1].date()))
    return df


@pytest.mark.parametrize("months", [3, 30])
def test_a_monthly_series_of_any_length_is_labelled_by_month(months: int) -> None:
    fig = plt.figure()
    ax = plot_series(_monthly(months), "sms", ax=fig.add_subplot())
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    if months == 3:
        assert labels == ["Jan 2024", "Feb 2024", "Mar 2024"]  # never "05 Jan, 13 Jan, …"
    else:
        assert 2 <= len(labels) <= 12 and all(re.fullmatch(r"[A-Z][a-z]{2} 20\d\d", x) for x in labels), labels
    plt.close(fig)


def test_title_size_and_dpi_are_yours_to_set() -> None:
    from PIL import Image

    png = render_png(_monthly(3), "sms", size=(12, 5), dpi=150, title="SMS, first quarter")
    assert Image.open(io.BytesIO(png)).size == (1800, 750)
    ax = plot_series(_monthly(3), "sms", title="SMS, first quarter")
    assert ax.get_title() == "SMS, first quarter"
    plt.close("all")
    for bad in ({"dpi": 5}, {"dpi": 1.5}, {"size": (0, 4)}, {"size": "big"}):
        with pytest.raises(QueryError, match=r"dpi|size"):
            render_png(_monthly(3), "sms", **bad)  # type: ignore[arg-type]
