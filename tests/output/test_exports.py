"""Exports that Excel and pandas open: XLSX and Parquet round trips, a CSV for spreadsheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.core._frames import make_frame
from smsstats_nb.output._exports import export, read_export


def series() -> pd.DataFrame:
    df = make_frame(
        ["demo_shop", "демо_маркет", "demo_shop"],
        np.array([1200, 35, 7]),
        np.array([2401.5, 70.25, 14.0]),
        np.array([0.0, 1000.0, 0.0]),
        ["RUR", "RUR", "RUR"],
    )
    df.insert(0, "period_end", pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"]))
    df.insert(0, "period_start", pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"]))
    df.attrs.update(start="2024-01-01", end="2024-01-02", mycur=False, balance2=True, fmt=3, complete=False)
    return df


def test_xlsx_keeps_numbers_money_headers_cyrillic_and_the_query(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    df = series()
    path = export(df, tmp_path / "stats.xlsx")
    book = load_workbook(path)
    sheet = book["stats"]
    assert sheet["A1"].value == "SMS statistics, 2024-01-01 – 2024-01-02, balance2 (electronic balance only), partial"
    headers = [c.value for c in sheet[3]]
    assert headers == [
        "period start",
        "period end",
        "login",
        "messages",
        "spent on messages (RUB)",  # the currency as the page says it
        "paid in (RUB)",
        "currency",
    ]
    assert sheet["C5"].value == "демо_маркет"  # Cyrillic intact
    assert sheet["D4"].value == 1200 and isinstance(sheet["D4"].value, int)  # numbers as numbers
    assert sheet["E4"].value == 2401.5 and sheet["E4"].number_format == "#,##0.00"  # money, two decimals
    assert isinstance(sheet["A4"].value, dt.datetime) and sheet["A4"].number_format == "yyyy-mm-dd"
    totals = [c.value for c in sheet[4 + len(df)]]  # a totals row under the table
    assert totals[0] == "Total" and totals[3] == df["sms"].sum() and totals[4] == pytest.approx(df["credit"].sum())
    assert {"messages by period", "spent by period"} <= set(book.sheetnames)  # a series: logins x periods
    wide = book["messages by period"]
    assert [c.value for c in wide[1]][:2] == ["login", "currency"] and wide["A2"].value in set(df["login"])
    facts = {row[0].value: row[1].value for row in book["query"].iter_rows(min_row=2)}
    assert facts["start"] == "2024-01-01" and facts["partial"] is True
    assert facts["balance"] == "electronic balance only (balance2)" and facts["currencies"] == "RUR"
    back = read_export(path)
    assert list(back.columns) == list(df.columns)
    assert back["login"].tolist() == df["login"].tolist() and back["credit"].tolist() == df["credit"].tolist()
    assert back.attrs["end"] == "2024-01-02"


def test_parquet_round_trips_exact_dtypes_and_the_query(tmp_path: Path) -> None:
    df = series()
    back = read_export(export(df, tmp_path / "stats.parquet"))
    pd.testing.assert_frame_equal(back, df)  # values and dtypes (string, int64, float64, datetime64)
    assert back.attrs["balance2"] is True and back.attrs["partial"] is True and back.attrs["fmt"] == 3


def test_csv_for_spreadsheets_has_a_bom_and_a_decimal_comma_where_asked(tmp_path: Path) -> None:
    df = series()
    plain = export(df, tmp_path / "plain.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf") and b"2401.5" in plain
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "plain.csv")[["sms"]], df[["sms"]].astype("int64"))
    excel = export(df, tmp_path / "excel.csv", spreadsheet=True, decimal=",").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbf")
    text = excel.decode("utf-8-sig")
    assert text.splitlines()[0].split(";")[:3] == ["period_start", "period_end", "login"]
    assert "2401,5" in text and "демо_маркет" in text


@pytest.mark.parametrize(("name", "words"), [("x.txt", "must end in"), ("nowhere/x.csv", "does not exist")])
def test_a_bad_target_is_refused_before_anything_is_written(tmp_path: Path, name: str, words: str) -> None:
    with pytest.raises(QueryError, match=words):
        export(series(), tmp_path / name)
    with pytest.raises(QueryError, match="decimal"):
        export(series(), tmp_path / "x.csv", spreadsheet=True, decimal=";")
