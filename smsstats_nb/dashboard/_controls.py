"""The dashboard's controls: what the user picks (range, flags, granularity, metric, accounts),
the buttons, and the credentials form; built in the page's language, read as one :class:`Choice`."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as w

from ..analysis import LABELS
from ..core import PRESETS, last_full_month, preset_range
from ..core.i18n import N_
from ..core.i18n import gettext_ as _
from ..output import TOP
from ._address import View
from ._plan import GRANULARITY, Choice, read_choice

__all__ = ["WORDS", "Controls", "wrap"]

#: What the pickers say, for the catalogue (the values stay the English keys).
WORDS = {
    "total": N_("total"),
    "daily": N_("daily"),
    "weekly": N_("weekly"),
    "monthly": N_("monthly"),
    "custom": N_("custom"),
    "last 7 days": N_("last 7 days"),
    "this month": N_("this month"),
    "last month": N_("last month"),
    "last quarter": N_("last quarter"),
    "year to date": N_("year to date"),
}


def _choices(keys: Any) -> list[tuple[str, str]]:
    """A picker's options: each key said in the current language, the key as its value."""
    return [(_(WORDS.get(k, k)), k) for k in keys]


def wrap() -> w.Layout:
    """A row that wraps on a narrow screen (a Layout of its own: hiding one row hides no other)."""
    return w.Layout(flex_flow="row wrap", align_items="center")


class Controls:
    """Every input of the page as an attribute (tests and notebooks drive them headlessly).

    Args:
        today: the day the presets count from (None: today in Moscow).
        login: the login to fill in the credentials form.
    """

    def __init__(self, today: dt.date | None = None, login: str | None = None) -> None:
        self.today = today
        start, end = last_full_month(today)
        style = {"description_width": "80px"}
        narrow = w.Layout(width="240px")
        self.start_picker = w.DatePicker(description=_("Start"), value=start, style=style, layout=narrow)
        self.end_picker = w.DatePicker(description=_("End"), value=end, style=style, layout=narrow)
        self.preset_dropdown = w.Dropdown(
            description=_("Range"), options=_choices(["custom", *PRESETS]), value="custom", style=style, layout=narrow
        )
        self.mycur_box = w.Checkbox(description=_("own currency (mycur)"), value=False, indent=False)
        self.balance2_box = w.Checkbox(description=_("electronic balance (balance2)"), value=False, indent=False)
        self.fmt_dropdown = w.Dropdown(
            description=_("Format"),
            options=[("JSON (3)", 3), (_("text (0)"), 0), ("CSV (1)", 1), ("XML (2)", 2)],
            value=3,
            style=style,
            layout=narrow,
        )
        self.top_input = w.BoundedIntText(
            value=TOP,
            min=1,
            max=200,
            description=_("Top logins"),
            style={"description_width": "initial"},
            layout=w.Layout(width="auto"),
        )
        self.totals_first = w.Checkbox(
            description=_("a series shows the range's total first (one request more)"),
            value=True,
            indent=False,
            layout=w.Layout(width="auto"),
        )
        # the wire format is a developer's choice (the frame is the same): out of the analyst's way
        self.advanced = w.Accordion(
            children=[w.HBox([self.fmt_dropdown, self.totals_first], layout=wrap())], selected_index=None
        )
        self.advanced.set_title(0, _("Advanced: wire format, totals first"))
        self.granularity_dropdown = w.Dropdown(
            description=_("Granularity"), options=_choices(GRANULARITY), value="total", style=style, layout=narrow
        )
        self.metric_dropdown = w.Dropdown(
            description=_("Metric"),
            options=[(f"{_(LABELS[m])} ({m})", m) for m in ("sms", "credit", "debit")],
            value="sms",
            style=style,
            layout=w.Layout(width="360px"),  # the longest Russian label whole
        )
        self.fetch_button = w.Button(description=_("Fetch"), button_style="primary", icon="download")
        self.cancel_button = w.Button(description=_("Cancel"), disabled=True, icon="stop")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="200px"))
        self.progress_label = w.Label(value="")
        self.confirm_text = w.HTML(value="")
        self.confirm_button = w.Button(
            description=_("Fetch anyway"), button_style="warning", layout=w.Layout(width="auto")
        )
        self.decline_button = w.Button(description=_("Not now"), layout=w.Layout(width="auto"))
        self.confirm_box = w.VBox(
            [self.confirm_text, w.HBox([self.confirm_button, self.decline_button])], layout=w.Layout(display="none")
        )
        self.coverage_label = w.HTML(value="")
        self.login_text = w.Text(description=_("Login"), value=login or "", style=style, layout=narrow)
        self.password = w.Password(description=_("Password"), style=style, layout=narrow)
        self.connect_button = w.Button(description=_("Connect"))
        self.credentials_note = w.HTML(
            value=html.escape(
                _("No SMSC password in the environment: enter the login and password here (they are not saved).")
            )
        )
        self.credentials_box = w.VBox(
            [self.credentials_note, w.HBox([self.login_text, self.password, self.connect_button], layout=wrap())]
        )
        self.account_dropdown = w.Dropdown(
            description=_("Account"), options=[], style=style, layout=w.Layout(width="300px", display="none")
        )
        self.compare_accounts = w.SelectMultiple(
            description=_("Compare"), options=[], rows=3, style=style, layout=w.Layout(width="300px", display="none")
        )
        self.preset_dropdown.observe(self._on_preset, names="value")

    def box(self) -> w.VBox:
        """The controls laid out: accounts, range, granularity and metric, flags, advanced, buttons."""
        return w.VBox(
            [
                w.HBox([self.account_dropdown, self.compare_accounts], layout=wrap()),
                w.HBox([self.preset_dropdown, self.start_picker, self.end_picker], layout=wrap()),
                w.HBox([self.granularity_dropdown, self.metric_dropdown, self.top_input], layout=wrap()),
                w.HBox([self.mycur_box, self.balance2_box], layout=wrap()),
                self.advanced,
                w.HBox([self.fetch_button, self.cancel_button, self.progress, self.progress_label], layout=wrap()),
                self.coverage_label,
            ]
        )

    def _on_preset(self, change: Any = None) -> None:
        """A preset fills both date pickers (on the server's calendar); sends nothing."""
        name = self.preset_dropdown.value
        if name in PRESETS:
            self.start_picker.value, self.end_picker.value = preset_range(name, self.today)

    def read(self) -> Choice:
        """What is picked, validated (:class:`~smsstats_nb.QueryError` for a bad range)."""
        picked = tuple(str(x) for x in self.compare_accounts.value)
        return read_choice(
            self.start_picker.value,
            self.end_picker.value,
            self.granularity_dropdown.value,
            mycur=bool(self.mycur_box.value),
            balance2=bool(self.balance2_box.value),
            fmt=int(self.fmt_dropdown.value),
            accounts=picked,
        )

    def apply(self, view: View) -> None:
        """Set the controls to a link's view (the range, the granularity, the metric, the flags)."""
        if view.range is not None:
            self.preset_dropdown.value = view.range  # fills the dates
        elif view.start is not None and view.end is not None:
            self.preset_dropdown.value = "custom"
            self.start_picker.value, self.end_picker.value = view.start, view.end
        self.granularity_dropdown.value = view.granularity
        self.metric_dropdown.value = view.metric
        self.mycur_box.value, self.balance2_box.value = view.mycur, view.balance2

    def to_view(self, logins: tuple[str, ...] = (), lang: str | None = None) -> View:
        """The view the controls show, as a link says it: a preset while its dates are the preset's,
        else the dates."""
        name = self.preset_dropdown.value
        start, end = self.start_picker.value, self.end_picker.value
        kept = name in PRESETS and (start, end) == preset_range(name, self.today)
        return View(
            range=name if kept else None,
            start=None if kept else start,
            end=None if kept else end,
            granularity=str(self.granularity_dropdown.value),
            metric=str(self.metric_dropdown.value),
            logins=logins,
            mycur=bool(self.mycur_box.value),
            balance2=bool(self.balance2_box.value),
            lang=lang,
        )

    def on_view_change(self, callback: Any) -> None:
        """Call ``callback`` when anything a link carries changes: what :meth:`on_change` watches,
        the preset and the metric."""
        self.on_change(callback)
        for control in (self.preset_dropdown, self.metric_dropdown):
            control.observe(callback, names="value")

    def on_change(self, callback: Any) -> None:
        """Call ``callback`` when the range, the granularity or a flag changes."""
        for control in (
            self.start_picker,
            self.end_picker,
            self.granularity_dropdown,
            self.mycur_box,
            self.balance2_box,
        ):
            control.observe(callback, names="value")

    def running(self, busy: bool, *, connected: bool = True) -> None:
        """The buttons while a fetch runs (Cancel on, Fetch off) and after it."""
        self.fetch_button.disabled = busy or not connected
        self.cancel_button.disabled = not busy
        if busy:
            self.progress.value, self.progress.max = 0, 1
        self.progress_label.value = ""
