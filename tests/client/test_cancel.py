"""Cancel means now (issue: numbers a manager can forward, point 2): a Cancel while a request waits
for the rate limit ends the wait at once and sends nothing more; what arrived stays. Proven on a
clock that clicks Cancel the moment anything waits (no sleeps), and once on the real clock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from smsstats_nb import StatsClient
from smsstats_nb.core import CancelledError, Clock, FakeClock
from smsstats_nb.dashboard import StatsDashboard
from smsstats_nb.demo import DemoServer

pytestmark = pytest.mark.loopback

Make = Callable[..., StatsClient]


class ClicksCancelWhenItWaits(FakeClock):
    """A fake clock on which a person clicks Cancel as soon as a request starts waiting: the
    wait returns at once, reporting the event, and the clock does not move."""

    def __init__(self) -> None:
        super().__init__(time.time())
        self.waits: list[float] = []

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        self.waits.append(seconds)
        if event is not None:
            event.set()
            return True
        return super().wait(event, seconds)


def test_cancel_during_a_wait_stops_a_series_at_once_and_sends_nothing_more(
    make_client: Make, server: DemoServer
) -> None:
    clock = ClicksCancelWhenItWaits()
    client = make_client(clock=clock, rate_limit=(3, 60.0))
    cancel = threading.Event()
    before = clock.time()
    df = client.fetch_series("2024-01-01", "2024-01-06", "D", cancel=cancel, progress=False)
    assert server.stat_requests == 3  # the quota's three, then the wait was cancelled: no fourth
    assert df.attrs["complete"] is False and df["period_start"].nunique() == 3
    assert clock.waits and clock.time() - before < 1.0  # not a minute: the wait ended at once
    again = client.fetch_series("2024-01-01", "2024-01-03", "D", progress=False)  # what arrived is cached
    assert again.attrs["from_cache"] and server.stat_requests == 3


def test_cancel_during_the_wait_of_one_request_sends_it_never(make_client: Make, server: DemoServer) -> None:
    clock = ClicksCancelWhenItWaits()
    client = make_client(clock=clock, rate_limit=(1, 60.0))
    client.fetch("2024-01-01")
    with pytest.raises(CancelledError, match="nothing more was sent"):
        client.fetch("2024-01-02", cancel=threading.Event())
    assert server.stat_requests == 1


def test_a_cancel_set_before_the_request_sends_nothing(make_client: Make, server: DemoServer) -> None:
    client = make_client()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        client.fetch("2024-01-02", cancel=cancel)
    assert server.stat_requests == 0


def test_the_dashboards_cancel_during_next_request_in_58_s_settles_at_once(
    make_client: Make, server: DemoServer
) -> None:
    """The dashboard's fetch waits on the quota ("next request in 58 s", nothing in flight) and
    Cancel is clicked: the page settles without the minute's wait and sends no more requests."""
    clock = ClicksCancelWhenItWaits()
    dash = StatsDashboard(make_client(clock=clock, rate_limit=(3, 60.0)), today=dt.date(2024, 2, 10))
    dash.start_picker.value, dash.end_picker.value = dt.date(2024, 1, 1), dt.date(2024, 1, 9)
    dash.granularity_dropdown.value = "daily"
    dash.fetch_button.click()
    assert "10 requests" in dash.confirm_text.value  # it says the cost first (about 3 minutes)
    dash.confirm_button.click()
    assert dash.wait(10)
    assert server.stat_requests == 3  # the range's total and two days, newest first; then the wait
    assert dash.result is not None and dash.result.attrs["complete"] is False
    assert "Cancelled: 2 of 9 periods were fetched" in dash.status.value
    assert dash.fetch_button.disabled is False


@pytest.mark.realtime
def test_on_the_real_clock_cancel_ends_a_long_wait_within_a_second(
    server: DemoServer, cache_dir: Path, clock: Clock
) -> None:
    client = StatsClient(server.login, server.psw, base_url=server.url, cache=cache_dir, rate_limit=(1, 60.0))
    client.fetch("2024-01-01")
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def second() -> None:
        try:
            client.fetch("2024-01-02", cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)  # it now waits for a token (about 60 s)
    started = time.monotonic()
    cancel.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 1.5
    assert isinstance(outcome[0], CancelledError) and server.stat_requests == 1
    client.close()
