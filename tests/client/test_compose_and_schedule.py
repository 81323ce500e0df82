"""The pure rules under composition and the quota: the cover algorithm and the schedule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from smsstats_nb.client._compose import plan_cover, sum_frames
from smsstats_nb.core._frames import make_frame
from smsstats_nb.store._quota import schedule_eta

D = dt.date


def test_cover_uses_whole_pieces_and_reports_no_gap() -> None:
    plan = plan_cover(
        D(2024, 1, 1), D(2024, 1, 3), [(D(2024, 1, 1), D(2024, 1, 1), 3), (D(2024, 1, 2), D(2024, 1, 3), 3)], fmt=3
    )
    assert plan.pieces == ((D(2024, 1, 1), D(2024, 1, 1), 3), (D(2024, 1, 2), D(2024, 1, 3), 3))
    assert plan.gaps == ()


def test_cover_takes_the_longest_piece_from_each_day() -> None:
    cached = [(D(2024, 1, 1), D(2024, 1, 1), 3), (D(2024, 1, 1), D(2024, 1, 7), 0), (D(2024, 1, 8), D(2024, 1, 8), 3)]
    plan = plan_cover(D(2024, 1, 1), D(2024, 1, 8), cached, fmt=3)
    assert plan.pieces == ((D(2024, 1, 1), D(2024, 1, 7), 0), (D(2024, 1, 8), D(2024, 1, 8), 3))


def test_cover_prefers_the_asked_format_on_a_tie() -> None:
    cached = [(D(2024, 1, 1), D(2024, 1, 2), 0), (D(2024, 1, 1), D(2024, 1, 2), 2), (D(2024, 1, 1), D(2024, 1, 2), 1)]
    assert plan_cover(D(2024, 1, 1), D(2024, 1, 2), cached, fmt=2).pieces == ((D(2024, 1, 1), D(2024, 1, 2), 2),)


def test_cover_lists_gaps_in_order() -> None:
    cached = [(D(2024, 1, 2), D(2024, 1, 2), 3), (D(2024, 1, 5), D(2024, 1, 6), 3)]
    plan = plan_cover(D(2024, 1, 1), D(2024, 1, 9), cached, fmt=3)
    assert plan.gaps == ((D(2024, 1, 1), D(2024, 1, 1)), (D(2024, 1, 3), D(2024, 1, 4)), (D(2024, 1, 7), D(2024, 1, 9)))
    covered = sum((b - a).days + 1 for a, b, _ in plan.pieces) + sum((b - a).days + 1 for a, b in plan.gaps)
    assert covered == 9


def test_cover_ignores_pieces_outside_the_range() -> None:
    cached = [(D(2023, 12, 31), D(2024, 1, 1), 3), (D(2024, 1, 2), D(2024, 1, 5), 3)]
    plan = plan_cover(D(2024, 1, 1), D(2024, 1, 3), cached, fmt=3)
    assert plan.pieces == () and plan.gaps == ((D(2024, 1, 1), D(2024, 1, 3)),)


def test_sum_frames_adds_per_login_and_currency() -> None:
    a = make_frame(["x", "y"], [1, 2], [1.5, 2.0], [0.0, 1.0], ["RUR", "RUR"])
    b = make_frame(["x"], [3], [0.25], [5.0], ["RUR"])
    total = sum_frames([a, b])
    assert total.set_index("login").loc["x", "sms"] == 4
    assert total.set_index("login").loc["x", "credit"] == pytest.approx(1.75)
    assert len(sum_frames([])) == 0 and list(sum_frames([]).columns) == list(a.columns)
    assert isinstance(total, pd.DataFrame)


# -- the schedule ---------------------------------------------------------------------------------------
def test_no_requests_cost_nothing() -> None:
    assert schedule_eta([1.0, 2.0, 3.0], 3, 60.0, 0, now=4.0, start=4.0) == 0.0


def test_an_empty_window_sends_the_first_three_at_once() -> None:
    assert schedule_eta([], 3, 60.0, 3, now=100.0, start=100.0) == 0.0


def test_the_fourth_request_waits_for_the_oldest_to_leave_the_window() -> None:
    assert schedule_eta([], 3, 60.0, 4, now=100.0, start=100.0) == pytest.approx(60.0)
    assert schedule_eta([], 3, 60.0, 7, now=100.0, start=100.0) == pytest.approx(120.0)


def test_recent_requests_push_the_schedule() -> None:
    # sent at 90, 95 and 99; at 100 the next may go at 150 (90 + 60), the one after at 155
    assert schedule_eta([90.0, 95.0, 99.0], 3, 60.0, 1, now=100.0, start=100.0) == pytest.approx(50.0)
    assert schedule_eta([90.0, 95.0, 99.0], 3, 60.0, 2, now=100.0, start=100.0) == pytest.approx(55.0)


def test_a_cool_down_delays_the_start() -> None:
    assert schedule_eta([], 3, 60.0, 1, now=100.0, start=130.0) == pytest.approx(30.0)


@pytest.mark.parametrize("count", [1, 5, 30, 365])
def test_eta_matches_the_floor_of_the_limit(count: int) -> None:
    # with an empty window, n requests need ceil(n / limit) - 1 whole windows
    eta = schedule_eta([], 3, 10.0, count, now=0.0, start=0.0)
    assert eta == pytest.approx(((count + 2) // 3 - 1) * 10.0)
