"""The fetch plan without a page: what a Fetch click will ask and what it costs (nothing is sent)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from smsstats_nb import QueryError, StatsClient
from smsstats_nb.core import QueryFlags
from smsstats_nb.dashboard import Runner, plan_fetch, read_choice
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]


def test_the_plan_counts_requests_and_the_total_first_and_sends_nothing(make_client: Make, server: DemoServer) -> None:
    client = make_client()  # 3 requests per window
    days = read_choice(dt.date(2024, 1, 1), dt.date(2024, 1, 10), "daily")
    plan = plan_fetch(client, days)
    # ten days wait on the limit, so the range's total comes first: one request more
    assert (plan.requests, plan.total_first, plan.left) == (11, "fetch", 11)
    assert plan.eta == client.eta(11) > 0
    assert plan_fetch(client, days, totals_first=False).total_first is None
    assert plan_fetch(client, days, totals_first=False).requests == 10
    assert server.stat_requests == 0  # planning asks nothing
    client.fetch("2024-01-01", "2024-01-10")  # the total is cached now: it comes first for free
    again = plan_fetch(client, days)
    assert (again.requests, again.total_first) == (10, "cached")
    whole = plan_fetch(client, read_choice(dt.date(2024, 1, 1), dt.date(2024, 1, 10), "total"))
    assert (whole.requests, whole.total_first, whole.eta) == (0, None, 0.0)
    short = plan_fetch(client, read_choice(dt.date(2024, 1, 1), dt.date(2024, 1, 2), "daily"))
    assert (short.requests, short.total_first) == (2, None)  # arrives at once: no total first


def test_a_choice_is_validated_before_anything_is_asked() -> None:
    with pytest.raises(QueryError, match="pick both a start and an end date"):
        read_choice(None, dt.date(2024, 1, 1), "total")
    with pytest.raises(QueryError, match="is after end"):
        read_choice(dt.date(2024, 2, 1), dt.date(2024, 1, 1), "daily")
    with pytest.raises(QueryError, match="fmt must be"):
        read_choice(dt.date(2024, 1, 1), dt.date(2024, 1, 2), "total", fmt=7)
    choice = read_choice(dt.date(2024, 1, 1), dt.date(2024, 1, 2), "weekly", mycur=True, accounts=("shop",))
    assert choice.flags == QueryFlags(mycur=True) and choice.freq == "W"
    assert choice.accounts == ()  # one account is not a comparison


def test_the_runner_runs_one_at_a_time_and_its_done_hook_sees_it_free() -> None:
    runner = Runner()
    release = threading.Event()
    seen: list[object] = []
    runner.start(lambda cancel: (release.wait(5), seen.append(cancel.is_set())), lambda: seen.append(runner.busy))
    assert runner.busy
    with pytest.raises(RuntimeError, match="already running"):
        runner.start(lambda cancel: None, lambda: None)
    runner.cancel.set()
    release.set()
    assert runner.wait(5) and seen == [True, False] and not runner.busy
