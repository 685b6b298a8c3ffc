"""Scoring formulas against hand-computed cases (docs/methodology.md gives the same examples)."""

import pytest

from govkpi.core.scoring import (Component, Quality, TaskOutcome, composite, freshness, rank, rank_change,
                                 task_credit, task_score, weighted_mean)


def test_quality_measures_are_shares_of_what_was_owed_and_received():
    # 8 values owed, 6 received, 3 on time, 5 clean (one broke a rule), 4 approved or from a source system.
    q = Quality(expected=8, received=6, on_time=3, clean=5, verified=4)
    assert q.du == 75.0 and q.song == 37.5
    assert q.sach == pytest.approx(83.333333, abs=1e-6) and q.dung == pytest.approx(66.666667, abs=1e-6)
    assert q.score == pytest.approx((75 + 37.5 + 500 / 6 + 400 / 6) / 4)


def test_quality_with_nothing_received_is_zero_complete_and_undefined_clean():
    q = Quality(expected=4, received=0, on_time=0, clean=0, verified=0)
    assert (q.du, q.song, q.sach, q.dung) == (0.0, 0.0, None, None)
    assert q.score == 0.0  # the mean of the defined measures: đủ and sống
    assert Quality(0, 0, 0, 0, 0).score is None  # nothing owed, nothing to judge


def test_freshness_falls_linearly_to_zero_at_three_intervals():
    assert freshness(0, 30) == 100.0 and freshness(30, 30) == 100.0
    assert freshness(60, 30) == 50.0  # one interval late: half
    assert freshness(90, 30) == 0.0 and freshness(400, 30) == 0.0
    assert freshness(None, 30) is None


@pytest.mark.parametrize(("state", "days", "credit"), [
    ("done_on_time", 0, 1.0),
    ("done_late", 18, 0.9),  # 1 − 18/180
    ("done_late", 500, 0.5),  # done, however late, keeps half
    ("overdue", 9, 0.45),  # ½ × (1 − 9/90)
    ("overdue", 90, 0.0),
    ("overdue", 488, 0.0),
    ("in_progress", 0, None), ("not_started", 0, None), ("paused", 0, None), ("cancelled", 0, None),
])
def test_task_credit(state, days, credit):
    result = task_credit(TaskOutcome("T", state, days))
    assert result == (pytest.approx(credit) if credit is not None else None)


def test_task_score_is_the_mean_credit_of_the_tasks_that_count():
    outcomes = [TaskOutcome("A", "done_on_time"), TaskOutcome("B", "overdue", 45), TaskOutcome("C", "not_started")]
    assert task_score(outcomes) == (pytest.approx(62.5), 2)  # (1 + 0.25) / 2
    assert task_score([TaskOutcome("C", "in_progress")]) == (None, 0)


def test_weights_of_missing_components_are_spread_over_the_others():
    parts = [Component("indicators", 80.0, 0.5), Component("tasks", None, 0.3), Component("quality", 60.0, 0.2)]
    assert composite(parts) == pytest.approx(80 * 0.5 / 0.7 + 60 * 0.2 / 0.7)
    assert [p.effective_weight for p in parts] == pytest.approx([0.5 / 0.7, 0.0, 0.2 / 0.7])
    assert parts[0].contribution == pytest.approx(80 * 0.5 / 0.7) and parts[1].contribution is None
    assert composite([Component("tasks", None, 1.0)]) is None
    score, effective = weighted_mean({"A": 90.0, "B": 30.0}, {"A": 2.0}, default_weight=1.0)
    assert score == pytest.approx(70.0) and effective == pytest.approx({"A": 2 / 3, "B": 1 / 3})


def test_competition_ranking_shares_ranks_and_leaves_gaps():
    ranks = rank({"01": 70.0, "79": 82.5, "31": 70.0, "48": 65.0, "92": None})
    assert ranks == {"79": 1, "01": 2, "31": 2, "48": 4, "92": None}
    assert rank_change(2, 5) == 3 and rank_change(4, 1) == -3 and rank_change(2, None) is None
