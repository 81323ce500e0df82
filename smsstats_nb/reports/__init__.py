"""Scheduled reports that reach managers: a period's KPIs against the period before (and a year
earlier when cached), the top logins, the incidents and budget breaches, the month-end forecast
and a chart, sent by e-mail (HTML with the chart inline, the workbook attached), Telegram (the
chart as a photo, the workbook as a document) or a webhook (the figures as JSON), once per period
per channel (``_send``: the alerts' claim-and-mark). ``_build`` gathers the figures, ``_report``
says them.

It sits above ``alerts`` (the channels) and ``output`` (the chart, the workbook), below the CLI.
"""

from __future__ import annotations

from ..alerts import HISTORY_DAYS
from ._build import build_report, report_cost, report_period
from ._report import PERIODS, TOP, Report, Section, report_ident
from ._send import CLAIM_SECONDS, ReportDelivery, pending, report_key, send_report, write_dry_run

__all__ = [
    "CLAIM_SECONDS",
    "HISTORY_DAYS",
    "PERIODS",
    "TOP",
    "Report",
    "ReportDelivery",
    "Section",
    "build_report",
    "pending",
    "report_cost",
    "report_ident",
    "report_key",
    "report_period",
    "send_report",
    "write_dry_run",
]
