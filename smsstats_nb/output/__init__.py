"""What people see and keep: exports to files, the text and HTML shown, matplotlib plots. It draws
frames and never asks the client.
"""

from __future__ import annotations

from ._colours import TOP, login_colour, top_logins
from ._display import (
    SORTS,
    download_buttons,
    html_table,
    kpi_tiles,
    monitoring_block,
    rows_words,
    summary_block,
    table_rows,
    text_table,
)
from ._error_words import error_sentence, friendly_error
from ._exports import (
    SUFFIXES,
    column_words,
    export,
    query_facts,
    read_export,
)
from ._plotting import METRICS, check_figure, partial_periods, plot_series, plot_totals, render_png
from ._workbook import write_workbook

__all__ = [
    "METRICS",
    "SORTS",
    "SUFFIXES",
    "TOP",
    "check_figure",
    "column_words",
    "download_buttons",
    "error_sentence",
    "export",
    "friendly_error",
    "html_table",
    "kpi_tiles",
    "login_colour",
    "monitoring_block",
    "partial_periods",
    "plot_series",
    "plot_totals",
    "query_facts",
    "read_export",
    "render_png",
    "rows_words",
    "summary_block",
    "table_rows",
    "text_table",
    "top_logins",
    "write_workbook",
]
