"""Judging figures (pure pandas, no I/O): the summary, comparisons, incidents, spend against budgets,
the month-end forecast.
"""

from __future__ import annotations

from ._calendar import COUNTRIES, ProductionCalendar
from ._incidents import (
    DAY_COLUMNS,
    INCIDENT_COLUMNS,
    METRICS,
    check_judging,
    check_metric,
    check_series,
    daily_wide,
    incident_days,
    incidents,
)
from ._monitoring import (
    compare_periods,
    flag_anomalies,
)
from ._spend import (
    ACCOUNT,
    BREACH_COLUMNS,
    BUDGET_FREQS,
    FORECAST_COLUMNS,
    budget_breaches,
    budget_period,
    forecast_history,
    forecast_month,
)
from ._summary import (
    LABELS,
    Comparison,
    Summary,
    comparison_period,
    flag_words,
    format_money,
    previous_calendar_period,
    previous_period,
    summarize,
    year_earlier,
)

__all__ = [
    "ACCOUNT",
    "BREACH_COLUMNS",
    "BUDGET_FREQS",
    "COUNTRIES",
    "DAY_COLUMNS",
    "FORECAST_COLUMNS",
    "INCIDENT_COLUMNS",
    "LABELS",
    "METRICS",
    "Comparison",
    "ProductionCalendar",
    "Summary",
    "budget_breaches",
    "budget_period",
    "check_judging",
    "check_metric",
    "check_series",
    "compare_periods",
    "comparison_period",
    "daily_wide",
    "flag_anomalies",
    "flag_words",
    "forecast_history",
    "forecast_month",
    "format_money",
    "incident_days",
    "incidents",
    "previous_calendar_period",
    "previous_period",
    "summarize",
    "year_earlier",
]
