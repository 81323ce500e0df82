"""What a report says: a period's figures for one or several accounts (:class:`Section` each), as
text, HTML with the chart inline, JSON, a chart and a workbook, and as one :class:`RichMessage`
for every channel. :mod:`._build` gathers the figures."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..alerts import File, RichMessage, incident_text
from ..analysis import ACCOUNT, Comparison, compare_periods
from ..core import QueryError, i18n, printable
from ..core.i18n import N_, ngettext, pgettext_
from ..core.i18n import gettext_ as _
from ..output import TOP, render_png, write_workbook

__all__ = ["PERIODS", "TOP", "Report", "Section", "report_ident"]

#: The periods a schedule names, and what they are called in a report's title.
PERIODS = {
    "last-week": N_("last week"),
    "last-month": N_("last month"),
    "last-quarter": N_("last quarter"),
}


def report_ident(accounts: Iterable[str], start: dt.date, end: dt.date, lang: str) -> str:
    """A report's key in the alert log (with each channel's): the accounts (a named account's name,
    else ``login@host``), the days, the language; known before anything is fetched or any password
    asked, so a run can see the report was sent and spend nothing."""
    who = ",".join(sorted(accounts))
    return f"report|{who}|{start}|{end}|{lang}"


@dataclass(frozen=True)
class Section:
    """One account's part of a report (``account`` None: the client the report was asked with)."""

    account: str | None
    totals: pd.DataFrame
    previous: pd.DataFrame
    year_before: pd.DataFrame | None
    daily: pd.DataFrame
    incidents: pd.DataFrame
    breaches: pd.DataFrame
    forecast: pd.DataFrame | None
    service: str = ""
    login: str | None = None


def _by_currency(df: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["sms", "credit", "debit"]
    if df is None or df.empty:
        return pd.DataFrame(columns=columns, dtype="float64")
    return df.groupby(df["currency"].astype(str), observed=True)[columns].sum().astype("float64")


def _by_login(df: pd.DataFrame | None) -> pd.DataFrame:
    """``sms`` and ``credit`` per (login, currency), the two as the index (empty: the same shape)."""
    index = pd.MultiIndex.from_arrays([[], []], names=["login", "currency"])
    if df is None or df.empty:
        return pd.DataFrame({"sms": [], "credit": []}, index=index, dtype="float64")
    keys = [df["login"].astype(str).rename("login"), df["currency"].astype(str).rename("currency")]
    return df.groupby(keys, observed=True)[["sms", "credit"]].sum().astype("float64")


def _change(now: float, before: float | None) -> float | None:
    if before is None or before != before or before == 0:
        return None
    return (now - before) / before * 100.0


def _rows(df: pd.DataFrame) -> list[Any]:
    """A frame's rows as named tuples (typed loosely: a row's fields are the frame's columns)."""
    return list(df.itertuples(index=False))


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


@dataclass(frozen=True)
class Report:
    """A period's figures for one or several accounts, said as text, HTML, JSON, a chart and a workbook."""

    start: dt.date
    end: dt.date
    period: str | None
    comparison: Comparison
    year: tuple[dt.date, dt.date]
    sections: tuple[Section, ...]
    lang: str
    top: int = TOP
    metric: str = "credit"  # what the incidents were found on
    made: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))

    # -- the figures -------------------------------------------------------------------------
    def kpis(self) -> pd.DataFrame:
        """A copy of :meth:`_kpis` (worked out once: the text, the HTML, the JSON and the workbook
        all read it). One row per account and currency (and, with several accounts, one per currency summed,
        ``account`` empty): ``sms, credit, debit``, the compared period's ``sms_before,
        credit_before``, their changes in percent, and ``sms_year, credit_year`` when the year
        earlier is cached (else NaN)."""
        return self._kpis.copy()

    @functools.cached_property
    def _kpis(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        parts = [(s.account or "", s.totals, s.previous, s.year_before) for s in self.sections]
        if len(self.sections) > 1:
            years = [s.year_before for s in self.sections]
            parts.append(
                (
                    "",
                    pd.concat([s.totals for s in self.sections], ignore_index=True),
                    pd.concat([s.previous for s in self.sections], ignore_index=True),
                    None if any(y is None for y in years) else pd.concat(years, ignore_index=True),
                )
            )
        for n, (account, totals, previous, year) in enumerate(parts):
            now, before, earlier = _by_currency(totals), _by_currency(previous), _by_currency(year)
            for cur in sorted(set(now.index) | set(before.index)):
                sms = float(now["sms"].get(cur, 0.0))
                credit = float(now["credit"].get(cur, 0.0))
                sms_b = float(before["sms"].get(cur, 0.0))
                credit_b = float(before["credit"].get(cur, 0.0))
                rows.append({
                    "account": account if n < len(self.sections) else "",
                    "summed": n == len(self.sections) and len(self.sections) > 1,
                    "currency": cur,
                    "sms": int(sms),
                    "credit": credit,
                    "debit": float(now["debit"].get(cur, 0.0)),
                    "sms_before": int(sms_b),
                    "credit_before": credit_b,
                    "sms_change": _change(sms, sms_b),
                    "credit_change": _change(credit, credit_b),
                    "sms_year": float(earlier["sms"].get(cur, 0.0)) if year is not None else None,
                    "credit_year": float(earlier["credit"].get(cur, 0.0)) if year is not None else None,
                })  # fmt: skip
        out = pd.DataFrame(
            rows,
            columns=["account", "summed", "currency", "sms", "credit", "debit", "sms_before", "credit_before",
                     "sms_change", "credit_change", "sms_year", "credit_year"],
        )  # fmt: skip
        return out.astype({"sms_change": "float64", "credit_change": "float64", "sms_year": "float64",
                           "credit_year": "float64"})  # fmt: skip

    def top_logins(self, section: Section) -> pd.DataFrame:
        """The section's logins by spend, at most :attr:`top`: ``login, currency, sms, credit,
        credit_before, change`` (percent; NaN for a login new in the period)."""
        now, before = _by_login(section.totals), _by_login(section.previous)
        joined = now.join(before.add_suffix("_before"), how="left")
        joined = joined.sort_values(["credit", "sms"], ascending=False).head(self.top).reset_index()
        joined.columns = ["login", "currency", "sms", "credit", "sms_before", "credit_before"]
        joined["change"] = [
            _change(float(c), _num(b)) for c, b in zip(joined["credit"], joined["credit_before"], strict=True)
        ]
        joined["sms"] = joined["sms"].astype("int64")
        return joined[["login", "currency", "sms", "credit", "credit_before", "change"]].astype({"change": "float64"})

    @property
    def ident(self) -> str:
        """What the report is, the same on every machine: the accounts, the days, the language (the
        key the store marks it sent under, with the channel's)."""
        who = [s.account or f"{s.login or 'apikey'}@{s.service}" for s in self.sections]
        return report_ident(who, self.start, self.end, self.lang)

    @property
    def message_id(self) -> str:
        return hashlib.sha256(self.ident.encode()).hexdigest()[:32]

    # -- words ---------------------------------------------------------------------------------
    def title(self) -> str:
        with i18n.using(self.lang):
            span = i18n.format_span(self.start, self.end)
            if self.period:
                return _("SMS report for {period}, {span}").format(period=_(PERIODS[self.period]), span=span)
            return _("SMS report, {span}").format(span=span)

    @property
    def subject(self) -> str:
        with i18n.using(self.lang):
            head = self.title()
            whole = self.kpis()
            rows = whole[whole["summed"]] if len(self.sections) > 1 else whole
            spent = "; ".join(self._money_change(r.credit, r.credit_change, r.currency) for r in _rows(rows))
            return f"[smsstats] {head}: {spent}" if spent else f"[smsstats] {head}"

    def _money_change(self, value: float, change: float | None, currency: str) -> str:
        money = i18n.format_money(value, currency)
        return money if change is None or change != change else f"{money} ({i18n.format_pct(change)})"

    def _kpi_lines(self, rows: pd.DataFrame) -> list[str]:
        lines: list[str] = []
        several = rows["currency"].nunique() > 1  # the currency heads a line only when it tells them apart
        for r in _rows(rows):
            cur = str(r.currency)
            messages = i18n.format_number(int(r.sms))
            year = ""
            if r.credit_year == r.credit_year and r.credit_year is not None:
                year = _("; a year earlier {amount}").format(amount=i18n.format_money(float(r.credit_year), cur))
            else:
                year = _("; a year earlier: not cached")
            line = _(
                "{messages} messages ({sms_change}), spent {spent} ({credit_change}){year}; paid in {paid}"
            ).format(
                messages=messages,
                sms_change=self._pct(r.sms_change),
                spent=i18n.format_money(float(r.credit), cur),
                credit_change=self._pct(r.credit_change),
                year=year,
                paid=i18n.format_money(float(r.debit), cur),
            )
            lines.append(f"{i18n.currency_name(cur)}: {line}" if several else line[:1].upper() + line[1:])
        return lines or [_("No messages in the period.")]

    @staticmethod
    def _pct(value: Any) -> str:
        return _("no figure before") if value is None or value != value else i18n.format_pct(float(value))

    def _section_lines(self, section: Section) -> list[str]:
        lines: list[str] = []
        top = self.top_logins(section)
        if len(top):
            lines.append(_("Top logins by spend:"))
            for n, r in enumerate(_rows(top), start=1):
                lines.append(
                    f"  {n}. {printable(r.login)}: {i18n.format_money(float(r.credit), str(r.currency))} "
                    f"({self._pct(r.change)})"
                )
        found = section.incidents
        if len(found):
            lines.append(
                ngettext("{n} incident in the period:", "{n} incidents in the period:", len(found)).format(n=len(found))
            )
            for row in _rows(found)[:12]:
                lines.append("  - " + incident_text(row, "opened", self.metric, section.service))
            if len(found) > 12:
                lines.append("  " + _("… and {n} more (all of them are in the workbook)").format(n=len(found) - 12))
        else:
            lines.append(_("No incidents in the period."))
        if len(section.breaches):
            lines.append(
                ngettext("{n} budget breach:", "{n} budget breaches:", len(section.breaches)).format(
                    n=len(section.breaches)
                )
            )
            for b in _rows(section.breaches):
                who = _("the account") if b.login == ACCOUNT else printable(b.login)
                lines.append(
                    "  - "
                    + _("{who}: {value} against a limit of {limit} ({start})").format(
                        who=who,
                        value=i18n.format_money(float(b.value), str(b.currency)),
                        limit=i18n.format_money(float(b.limit), str(b.currency)),
                        start=i18n.format_day(pd.Timestamp(b.period_start).date()),
                    )
                )
        if section.forecast is not None:
            for f in _rows(section.forecast):
                lines.append(
                    _("Month-end forecast for {month}: {projected} (between {low} and {high}), {days} left.").format(
                        month=i18n.format_date(self.end, "LLLL yyyy"),
                        projected=i18n.format_money(float(f.projected), str(f.currency)),
                        low=i18n.format_money(float(f.low), str(f.currency)),
                        high=i18n.format_money(float(f.high), str(f.currency)),
                        days=ngettext("{n} day", "{n} days", int(f.days_left)).format(n=int(f.days_left)),
                    )
                )
        return lines

    def _compared_line(self) -> str:
        return _("Compared with {how}: {span}.").format(
            how=self.comparison.words(), span=i18n.format_span(self.comparison.start, self.comparison.end)
        )

    @property
    def text(self) -> str:
        """The report as plain text (the e-mail's text part, Telegram's caption, the webhook's text)."""
        with i18n.using(self.lang):
            kpis = self.kpis()
            lines = [self.title(), self._compared_line(), ""]
            if len(self.sections) > 1:
                lines.append(_("All accounts, per currency:"))
                lines += ["  " + x for x in self._kpi_lines(kpis[kpis["summed"]])]
                lines.append("")
            for section in self.sections:
                if len(self.sections) > 1:
                    lines.append(f"== {printable(section.account)} ==")
                mine = kpis[(kpis["account"] == (section.account or "")) & ~kpis["summed"]]
                lines += self._kpi_lines(mine)
                lines += self._section_lines(section)
                lines.append("")
            return "\n".join(lines).rstrip() + "\n"

    def html(self, chart_cid: str | None = None) -> str:
        """The report as an HTML document; the chart inline as ``cid:chart_cid`` when given."""
        with i18n.using(self.lang):
            esc = html.escape
            body = [f"<h2 style='font-family:sans-serif'>{esc(self.title())}</h2>",
                    f"<p style='color:#555'>{esc(self._compared_line())}</p>"]  # fmt: skip
            if chart_cid:
                alt = esc(_("Spent per day, the top logins"))
                body.append(f"<p><img src='cid:{esc(chart_cid)}' alt='{alt}' style='max-width:100%'></p>")
            kpis = self.kpis()
            if len(self.sections) > 1:
                body.append(f"<h3>{esc(_('All accounts, per currency:'))}</h3>")
                body.append(self._kpi_table(kpis[kpis["summed"]]))
            for section in self.sections:
                if len(self.sections) > 1:
                    body.append(f"<h3>{esc(printable(section.account))}</h3>")
                body.append(self._kpi_table(kpis[(kpis["account"] == (section.account or "")) & ~kpis["summed"]]))
                body.append("<pre style='font-family:sans-serif;white-space:pre-wrap'>")
                body.append(esc("\n".join(self._section_lines(section))))
                body.append("</pre>")
            foot = _("Made by smsstats_nb on {when} UTC; the figures are SMSC's, the workbook is attached.")
            when = self.made.strftime("%Y-%m-%d %H:%M")
            body.append(f"<p style='color:#888;font-size:small'>{esc(foot.format(when=when))}</p>")
            return (
                f"<!DOCTYPE html><html lang='{self.lang}'><head><meta charset='utf-8'>"
                f"<title>{esc(self.title())}</title></head><body style='font-family:sans-serif'>"
                + "\n".join(body)
                + "</body></html>"
            )

    def _kpi_table(self, rows: pd.DataFrame) -> str:
        esc = html.escape
        col = pgettext_
        head = [col("column", "currency"), col("column", "messages"), _("change"), col("column", "spent"),
                _("change"), _("a year earlier"), col("column", "paid in")]  # fmt: skip
        out = ["<table style='border-collapse:collapse' cellpadding='6' border='1'>",
               "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]  # fmt: skip
        for r in _rows(rows):
            cur = str(r.currency)
            year = (
                i18n.format_money(float(r.credit_year), cur)
                if r.credit_year is not None and r.credit_year == r.credit_year
                else _("not cached")
            )
            colour = "#b00020" if (r.credit_change or 0) > 0 else "#1b7f3b" if (r.credit_change or 0) < 0 else "#333"
            cells = [
                esc(i18n.currency_name(cur)),
                esc(i18n.format_number(int(r.sms))),
                esc(self._pct(r.sms_change)),
                esc(i18n.format_money(float(r.credit), cur)),
                f"<span style='color:{colour}'>{esc(self._pct(r.credit_change))}</span>",
                esc(year),
                esc(i18n.format_money(float(r.debit), cur)),
            ]
            out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out.append("</table>")
        return "\n".join(out)

    def payload(self) -> dict[str, Any]:
        """The figures as JSON (the webhook's body, beside ``id`` and ``text``)."""

        def clean(value: Any) -> Any:
            if isinstance(value, float) and value != value:
                return None
            if isinstance(value, (pd.Timestamp, dt.date)):
                return value.isoformat()[:10]
            return value.item() if hasattr(value, "item") else value

        def records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
            if df is None:
                return []
            return [{str(k): clean(v) for k, v in row.items()} for row in df.to_dict("records")]

        kpis = self.kpis()
        return {
            "event": "report",
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "lang": self.lang,
            "compared": {
                "start": self.comparison.start.isoformat(),
                "end": self.comparison.end.isoformat(),
                "basis": self.comparison.basis,
            },
            "year_earlier": {"start": self.year[0].isoformat(), "end": self.year[1].isoformat()},
            "totals": (
                records(kpis[kpis["summed"]].drop(columns=["account", "summed"])) if len(self.sections) > 1 else None
            ),
            "accounts": [
                {
                    "account": s.account,
                    "kpis": records(kpis[(kpis["account"] == (s.account or "")) & ~kpis["summed"]].drop(
                        columns=["account", "summed"])),
                    "top": records(self.top_logins(s)),
                    "incidents": records(s.incidents),
                    "breaches": records(s.breaches),
                    "forecast": records(s.forecast),
                }
                for s in self.sections
            ],
        }  # fmt: skip

    # -- files ---------------------------------------------------------------------------------
    def period_frame(self) -> pd.DataFrame:
        """The period's days, every account's (logins as ``account/login`` with several)."""
        frames = []
        for s in self.sections:
            days = s.daily[(s.daily["period_start"] >= pd.Timestamp(self.start))]
            if len(self.sections) > 1:
                days = days.assign(login=(f"{s.account}/" + days["login"].astype(str)).astype("string"))
            frames.append(days)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        out.attrs.update(start=self.start.isoformat(), end=self.end.isoformat(), freq="D")
        return out

    def chart(self) -> bytes:
        """The period's spend per day, the top five logins and the others (a PNG)."""
        with i18n.using(self.lang):
            title = _("Spent per day, {span}").format(span=i18n.format_span(self.start, self.end))
            return render_png(self.period_frame(), "credit", size=(9, 4), dpi=110, top=5, lang=self.lang, title=title)

    def workbook(self) -> bytes:
        """The workbook: the period's table per login with the compared period beside it, the KPIs,
        the incidents and the days (an ``.xlsx``)."""
        with i18n.using(self.lang):
            frames, before = [], []
            for s in self.sections:
                totals, previous = s.totals.copy(), s.previous.copy()
                if len(self.sections) > 1:  # a login is unique within its account: account/login
                    totals["login"] = (f"{s.account}/" + totals["login"].astype(str)).astype("string")
                    previous["login"] = (f"{s.account}/" + previous["login"].astype(str)).astype("string")
                frames.append(totals)
                before.append(previous)
            table = pd.concat(frames, ignore_index=True)
            table.attrs.update(self.sections[0].totals.attrs)
            table.attrs.update(start=self.start.isoformat(), end=self.end.isoformat())
            try:  # each login's change beside it, as the dashboard's workbook has it
                compared: pd.DataFrame | None = compare_periods(pd.concat(before, ignore_index=True), table)
            except QueryError:  # a login in two currencies: the KPI sheet has the change per currency
                compared = None
            sheets = {_("KPIs"): self._kpi_sheet(), _("incidents"): self._incident_sheet()}
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / "report.xlsx"
                write_workbook(table, target, previous=compared, title=self.title(), sheets=sheets)
                return target.read_bytes()

    def _kpi_sheet(self) -> pd.DataFrame:
        kpis = self.kpis()
        names = {
            "account": pgettext_("column", "account"), "currency": pgettext_("column", "currency"),
            "sms": pgettext_("column", "messages"), "credit": pgettext_("column", "spent"),
            "debit": pgettext_("column", "paid in"), "sms_before": _("messages before"),
            "credit_before": _("spent before"),
            "sms_change": _("messages, change %"), "credit_change": _("spent, change %"),
            "sms_year": _("messages a year earlier"), "credit_year": _("spent a year earlier"),
        }  # fmt: skip
        kpis = kpis.assign(
            account=[_("all accounts") if s else a for a, s in zip(kpis["account"], kpis["summed"], strict=True)]
        )
        shown = kpis.drop(columns=["summed"])
        if len(self.sections) == 1:
            shown = shown.drop(columns=["account"])
        return shown.rename(columns=names)

    def _incident_sheet(self) -> pd.DataFrame:
        frames = [s.incidents.assign(account=s.account or "") for s in self.sections]
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(self.sections) == 1 and "account" in out.columns:
            out = out.drop(columns=["account"])
        return out

    def files(self) -> tuple[File, File]:
        """The chart and the workbook, named for the period (ASCII names every reader keeps)."""
        stem = f"smsstats-{self.start:%Y%m%d}-{self.end:%Y%m%d}"
        return (
            File(f"{stem}.png", self.chart(), "image/png"),
            File(f"{stem}.xlsx", self.workbook(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )

    def message(self) -> RichMessage:
        """The report as one message for every channel."""
        chart, book = self.files()
        cid = f"chart.{self.message_id}@smsstats"
        return RichMessage(
            id=self.message_id,
            subject=self.subject,
            text=self.text,
            html=self.html(cid),
            payload=self.payload(),
            chart=chart,
            files=(book,),
            chart_cid=cid,
        )
