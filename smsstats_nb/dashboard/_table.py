"""The paged table of the answer: searched, sorted and turned page by page, with no request."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from ..core import i18n
from ..core.i18n import gettext_ as _
from ..output import SORTS, html_table, rows_words, table_rows
from ._words import speaks

__all__ = ["TableView", "replace_output"]


def replace_output(out: w.Output, data: dict[str, str]) -> None:
    """Show ``data`` (a mime bundle) as the only output: one assignment, from any thread (no
    ``clear_output``, which uses the message context of whatever cell runs at that moment)."""
    out.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


class TableView:
    """The table's widgets: search, sort, the page and the pager.

    Args:
        lang: the page's language.
        view: the rows the page shows now (the answer through the login filter), or None.
        busy: True while a fetch runs (the table then waits for its answer).
    """

    #: Rows on one page of the table (a daily series of a year is 365 × the logins).
    PAGE_ROWS = 25

    def __init__(self, lang: str, view: Callable[[], pd.DataFrame | None], busy: Callable[[], bool]) -> None:
        self.lang = lang
        self._view = view
        self._busy = busy
        self.changes: pd.DataFrame | None = None  # each login's change against the previous period
        self.page = 0
        self.prev_button = w.Button(description=_("◀ previous"), layout=w.Layout(width="auto"))
        self.next_button = w.Button(description=_("next ▶"), layout=w.Layout(width="auto"))
        self.page_label = w.HTML(value="")
        self.search_text = w.Text(
            description=_("Find a login in the table"),
            placeholder=_("part of a login…"),
            style={"description_width": "initial"},
            layout=w.Layout(width="360px"),
        )
        self.sort_dropdown = w.Dropdown(
            description=_("Sort"),
            options=[(_(label), key) for key, label in SORTS.items()],
            value="date",
            style={"description_width": "initial"},
            layout=w.Layout(width="280px"),
        )
        self.table_tools = w.HBox(
            [self.search_text, self.sort_dropdown], layout=w.Layout(flex_flow="row wrap", align_items="center")
        )
        self.table_tools.layout.display = "none"
        self.pager = w.HBox(
            [self.prev_button, self.next_button, self.page_label],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.pager.layout.display = "none"
        self.table_output = w.Output(layout=w.Layout(max_height="420px", overflow="auto", width="100%"))
        self.search_text.observe(self.on_search_or_sort, names="value")
        self.sort_dropdown.observe(self.on_search_or_sort, names="value")
        self.prev_button.on_click(lambda button: self.turn(-1))
        self.next_button.on_click(lambda button: self.turn(1))

    @speaks
    def on_search_or_sort(self, change: Any = None) -> None:
        """Search or sort changed: the table's first page again (no request, the same answer)."""
        view = self._view()
        if view is not None and not self._busy():
            self.page = 0
            self.show(view)

    @speaks
    def turn(self, step: int) -> None:
        """Another page of the table (the same answer, the same filter; no request)."""
        view = self._view()
        if view is not None:
            self.page += step
            self.show(view)

    def clear(self) -> None:
        """No table."""
        self.table_output.outputs = ()

    def show(self, df: pd.DataFrame) -> None:
        """The current page of the table (searched and sorted), and the pager when there is more than one page."""
        self.table_tools.layout.display = None if len(df) > 1 else "none"
        everything = len(df)
        df = table_rows(df, self.search_text.value, self.sort_dropdown.value)
        pages = max(1, -(-len(df) // self.PAGE_ROWS))
        self.page = min(max(0, self.page), pages - 1)
        first = self.page * self.PAGE_ROWS
        table = html_table(df, first=first, rows=self.PAGE_ROWS, changes=self.changes)
        replace_output(self.table_output, {"text/html": table, "text/plain": rows_words(len(df))})
        self.pager.layout.display = None if pages > 1 else "none"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        last = min(len(df), first + self.PAGE_ROWS)
        matched = ""
        if len(df) < everything:
            matched = " " + _("matching “{text}” (of {n})").format(
                text=self.search_text.value.strip(), n=i18n.format_number(everything)
            )
        if not len(df):
            self.page_label.value = html.escape(_("no rows") + matched)
            self.pager.layout.display = None
        else:
            self.page_label.value = html.escape(
                _("rows {first}–{last} of {n}{matched} (page {page} of {pages})").format(
                    first=first + 1,
                    last=last,
                    n=i18n.format_number(len(df)),
                    matched=matched,
                    page=self.page + 1,
                    pages=pages,
                )
            )
