"""Which periods a sync asks for, on a frozen calendar (no clock, no network)."""

from __future__ import annotations

import datetime as dt

import pytest

from smsstats_nb import QueryError
from smsstats_nb.client._coverage import Coverage, closed_until, sync_queries
from smsstats_nb.client._sync import open_queries

TODAY = dt.date(2026, 11, 25)  # a Wednesday


def spans(queries: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(q.start.isoformat(), q.end.isoformat()) for q in queries]


def test_closed_means_ended_before_yesterday() -> None:
    assert closed_until(TODAY) == dt.date(2026, 11, 23)
    days = spans(sync_queries("2026-11-20", None, "D", today=TODAY))
    assert days == [
        ("2026-11-23", "2026-11-23"),
        ("2026-11-22", "2026-11-22"),
        ("2026-11-21", "2026-11-21"),
        ("2026-11-20", "2026-11-20"),
    ]  # newest first, nothing open


def test_this_week_and_month_are_not_closed_yet() -> None:
    weeks = spans(sync_queries("2026-11-01", None, "W", today=TODAY))
    assert weeks[0] == ("2026-11-16", "2026-11-22")  # Mon 23 – today is open
    assert weeks[-1] == ("2026-11-01", "2026-11-01")  # the first one, clipped by --since, is kept
    months = spans(sync_queries("2026-09-15", None, "MS", today=TODAY))
    assert months == [("2026-10-01", "2026-10-31"), ("2026-09-15", "2026-09-30")]


def test_until_must_be_closed() -> None:
    with pytest.raises(QueryError, match="not closed yet"):
        sync_queries("2026-11-01", "2026-11-24", "D", today=TODAY)
    assert len(sync_queries("2026-11-01", "2026-11-10", "D", today=TODAY)) == 10
    with pytest.raises(QueryError):
        sync_queries("1999-01-01", None, "D", today=TODAY)


def test_open_periods() -> None:
    assert spans(open_queries("D", today=TODAY)) == [
        ("2026-11-25", "2026-11-25"),
        ("2026-11-24", "2026-11-24"),
    ]
    assert spans(open_queries("W", today=TODAY)) == [("2026-11-23", "2026-11-25")]
    assert spans(open_queries("MS", today=TODAY)) == [("2026-11-01", "2026-11-25")]
    assert spans(open_queries("MS", today=dt.date(2026, 12, 1))) == [
        ("2026-12-01", "2026-12-01"),
        ("2026-11-01", "2026-11-30"),  # closed only from 2 December
    ]


def test_coverage_text() -> None:
    assert str(Coverage(3, 3)) == "3 periods: all cached"
    text = str(Coverage(5, 2, [(dt.date(2024, 1, 5), dt.date(2024, 1, 5))] * 3, 130.0))
    assert text == "5 periods: 2 cached, 3 missing (newest 2024-01-05), about 2 min 10 s to fill"


def test_a_lease_is_taken_over_only_from_a_provably_dead_holder(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import socket
    import subprocess
    import sys

    from smsstats_nb.client._lease import holder_is_dead, lease_owner, pid_namespace

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    host, ns = socket.gethostname(), pid_namespace()
    me = lease_owner()
    assert me.split("|")[:3] == [host, ns, str(os.getpid())]
    assert not holder_is_dead(me)  # alive
    if ns != "-":
        assert holder_is_dead(f"{host}|{ns}|{dead_pid}|abcd1234")  # this host, this namespace, gone
    assert not holder_is_dead(f"{host}|pid:[1]|{dead_pid}|abcd1234")  # another container on this host name
    assert not holder_is_dead(f"other-host|{ns}|{dead_pid}|abcd1234")  # another machine
    assert not holder_is_dead(f"{host}:{dead_pid}:abcd1234")  # an older holder name: not proof
    assert not holder_is_dead(f"{host}|-|{dead_pid}|abcd1234")  # no namespace to compare
