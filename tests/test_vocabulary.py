"""One word per idea (the last day is ``end``, the granularity ``freq``, one ``on_period``), and the
0.1 names still working for one release, each saying what to write instead."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb import QueryError, StatsClient
from smsstats_nb.alerts import Budget, load_rules
from smsstats_nb.analysis import budget_breaches, forecast_month, incidents
from smsstats_nb.cli import main
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]


def _days(n: int = 60) -> pd.DataFrame:
    days = pd.date_range("2024-05-01", periods=n, freq="D")
    return pd.DataFrame(
        {
            "period_start": days,
            "period_end": days,
            "login": pd.array(["a"] * n, dtype="string"),
            "sms": 100,
            "credit": 150.0 + (days.day == 20) * 900.0,
            "debit": 0.0,
            "currency": pd.array(["RUR"] * n, dtype="string"),
        }
    )


def test_the_old_keywords_give_the_same_answer_and_say_the_new_name() -> None:
    days = _days()
    for new, old, name in (
        (
            lambda: incidents(days, "credit", end="2024-06-10"),
            lambda: incidents(days, "credit", through="2024-06-10"),
            "end",
        ),
        (
            lambda: forecast_month(days, "credit", end="2024-06-20"),
            lambda: forecast_month(days, "credit", as_of="2024-06-20"),
            "end",
        ),
        (lambda: budget_breaches(days, 500, freq="D"), lambda: budget_breaches(days, 500, per="day"), "freq"),
        (lambda: budget_breaches(days, 5000, freq="MS"), lambda: budget_breaches(days, 5000, per="month"), "freq"),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the new name warns about nothing
            expected = new()
        with pytest.warns(DeprecationWarning, match=rf"is now .*\({name}=\.\.\.\); the old name goes in 0\.3"):
            got = old()
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs == expected.attrs
    assert len(budget_breaches(days, 500, freq="D")) == 2  # the 20th of May and of June
    with pytest.raises(QueryError, match="not both"):
        incidents(days, "credit", end="2024-06-10", through="2024-06-10")
    with pytest.raises(QueryError, match="'D' \\(a day\\) or 'MS' \\(a month\\)"):
        budget_breaches(days, 500, freq="W")


def test_a_budget_is_by_freq_and_the_old_per_still_reads(tmp_path: Path) -> None:
    assert Budget(limit=10).freq == "D" and Budget(limit=10, freq="MS").freq == "MS"
    with pytest.warns(DeprecationWarning, match="Budget\\(freq="):
        assert Budget(limit=10, per="month").freq == "MS"
    with pytest.raises(QueryError, match="a budget's freq"):
        Budget(limit=10, freq="year")
    rules = tmp_path / "rules.toml"
    rules.write_text('[[budget]]\nlimit = 5\nfreq = "MS"\n\n[[budget]]\nlimit = 6\nper = "day"\n', encoding="utf-8")
    assert [(b.limit, b.freq) for b in load_rules(rules).budgets] == [(5, "MS"), (6, "D")]


def test_a_sync_is_asked_up_to_end_and_its_hook_is_the_series_hook(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    seen: list[tuple[int, int, bool]] = []
    report = client.sync("2024-01-01", end="2024-01-03", share=3, on_period=lambda d, t, c: seen.append((d, t, c)))
    assert (report.fetched, seen) == (3, [(1, 3, False), (2, 3, False), (3, 3, False)])
    with pytest.warns(DeprecationWarning, match=r"sync_status\(until=\.\.\.\) is now .*sync_status\(end=\.\.\.\)"):
        status = client.sync_status("2024-01-01", until="2024-01-03")
    assert (status.periods, status.cached) == (3, 3)
    old: list[tuple[object, bool]] = []
    with pytest.warns(DeprecationWarning, match=r"on_period\(done, total, from_cache\)"):
        client.sync("2024-01-01", "2024-01-03", share=3, on_period=lambda query, cached: old.append((query, cached)))
    assert [(q.start, c) for q, c in old] == [
        (dt.date(2024, 1, 3), True),
        (dt.date(2024, 1, 2), True),
        (dt.date(2024, 1, 1), True),
    ]  # type: ignore[attr-defined]


def test_the_cli_takes_end_and_the_old_spellings_say_so(
    server: DemoServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = ["--login", server.login, "--base-url", server.url]
    monkeypatch.setenv("SMSC_PASSWORD", server.psw)

    assert main(["sync", "status", "--since", "2024-01-01", "--end", "2024-01-03", *env]) == 0
    new = capsys.readouterr()
    assert main(["sync", "status", "--since", "2024-01-01", "--until", "2024-01-03", *env]) == 0
    old = capsys.readouterr()
    assert old.out == new.out and "--until is now --end" in old.err and "--until" not in new.err
    assert main(["sync", "status", "--since", "2024-01-01", "--until", "2024-01-03", "--end", "2024-01-03", *env]) == 2
    assert "not both" in capsys.readouterr().err
    assert "--until" not in main_help("sync", capsys)  # hidden from --help


def main_help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out
