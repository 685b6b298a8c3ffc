"""Each evaluation formula against cases computed by hand (docs/methodology.md shows the same numbers)."""

import datetime

import pytest

from govkpi.core.evaluation import (EscapCategory, Status, achievement, anticipated_progress, current_status_index,
                                    escap_category, expected_on_trajectory, forecast, status)

D = datetime.date


def test_the_seed_figure_against_the_target_in_force_and_its_predecessor():
    # July 2025: 39.51% of services end to end. Target in force: 80% (set 6/2/2025), before it 100% (10/7/2024).
    assert achievement(39.51, 80) == (pytest.approx(49.3875), pytest.approx(49.3875))
    assert achievement(39.51, 100) == (pytest.approx(39.51), pytest.approx(39.51))
    assert status(39.51, 80, None, "higher_is_better") is Status.OFF_TRACK  # 49.4% < 80% (amber)
    assert achievement(15.21, 80)[0] == pytest.approx(19.0125)  # the provinces


@pytest.mark.parametrize(("value", "target", "direction", "capped", "raw"), [
    (120, 100, "higher_is_better", 100, 120),  # capped at 100
    (-5, 100, "higher_is_better", 0, -5),
    (4, 5, "lower_is_better", 100, 125),  # 4 days against a 5-day target
    (10, 5, "lower_is_better", 50, 50),
    (0, 5, "lower_is_better", 100, 100),
])
def test_achievement_is_direction_aware_and_capped(value, target, direction, capped, raw):
    assert achievement(value, target, direction) == (pytest.approx(capped), pytest.approx(raw))


def test_within_band():
    assert achievement(5, 0, "within_band", band=(4, 6))[0] == 100
    assert achievement(7, 0, "within_band", band=(4, 6))[0] == pytest.approx(100 - 1 / 6 * 100)
    assert achievement(None, 80) == (None, None)


def test_trajectory_is_a_straight_line_from_baseline_to_target():
    # 20% at the end of 2023, 80% due at the end of 2025: halfway (31/12/2024) 50% is expected.
    assert expected_on_trajectory(20, D(2023, 12, 31), 80, D(2025, 12, 31), D(2024, 12, 31)) == pytest.approx(
        20 + 60 * 366 / 731)
    assert expected_on_trajectory(20, D(2023, 12, 31), 80, D(2025, 12, 31), D(2023, 1, 1)) == 20
    assert expected_on_trajectory(20, D(2023, 12, 31), 80, D(2025, 12, 31), D(2026, 6, 30)) == 80
    assert expected_on_trajectory(None, None, 80, D(2025, 12, 31), D(2024, 1, 1)) is None


@pytest.mark.parametrize(("value", "expected", "result"), [
    (80, 50, Status.ACHIEVED), (50, 50, Status.ON_TRACK), (40, 50, Status.AT_RISK), (39.9, 50, Status.OFF_TRACK),
    (None, 50, Status.NO_DATA)])
def test_status_thresholds_on_the_trajectory(value, expected, result):
    assert status(value, 80, expected, "higher_is_better", green_from=100, amber_from=80) is result


def test_forecast_recovers_an_exact_line_and_widens_with_noise():
    start = D(2025, 1, 1)
    line = [(start + datetime.timedelta(days=30 * k), 5 + 0.2 * 30 * k) for k in range(6)]  # 0.2 a day
    exact = forecast(line, D(2025, 12, 1))
    assert exact.value == pytest.approx(5 + 0.2 * 334) and exact.high - exact.low == pytest.approx(0, abs=1e-6)
    noisy = [(day, value + (1 if i % 2 else -1)) for i, (day, value) in enumerate(line)]
    spread = forecast(noisy, D(2025, 12, 1))
    assert spread.low < spread.value < spread.high and spread.high - spread.low > 2
    assert forecast(line[:2], D(2025, 12, 1)) is None


def test_escap_current_status_index():
    assert current_status_index(50, 20, 80) == (pytest.approx(50), pytest.approx(50))
    assert current_status_index(90, 20, 80)[0] == 100 and current_status_index(10, 20, 80)[0] == 0
    assert current_status_index(5, 10, 2) == (pytest.approx(62.5), pytest.approx(62.5))  # lower is better
    assert current_status_index(5, 5, 5) is None


def test_escap_anticipated_progress_ratio():
    # From 20 to 80 over two years needs (80/20)^(1/2) − 1 = 100% a year; 20 → 40 in the first year is 100%:
    # ratio 1 (two equal 365-day years, so the day count cancels out).
    ratio, category = anticipated_progress(40, D(2026, 1, 1), 20, D(2025, 1, 1), 80, D(2027, 1, 1))
    assert ratio == pytest.approx(1.0, abs=1e-9) and category is EscapCategory.ON_TRACK
    slow, slow_category = anticipated_progress(25, D(2026, 1, 1), 20, D(2025, 1, 1), 80, D(2027, 1, 1))
    assert slow == pytest.approx(0.25, abs=1e-3) and slow_category is EscapCategory.SIGNIFICANTLY_ACCELERATE
    back, back_category = anticipated_progress(15, D(2026, 1, 1), 20, D(2025, 1, 1), 80, D(2027, 1, 1))
    assert back == pytest.approx(-0.25, abs=1e-3) and back_category is EscapCategory.REGRESSING
    assert anticipated_progress(0, D(2026, 1, 1), 20, D(2025, 1, 1), 80, D(2027, 1, 1)) is None


@pytest.mark.parametrize(("ratio", "category"), [
    (1.0, EscapCategory.ON_TRACK), (0.9999, EscapCategory.ACCELERATE), (0.5, EscapCategory.ACCELERATE),
    (0.4999, EscapCategory.SIGNIFICANTLY_ACCELERATE), (0.0, EscapCategory.SIGNIFICANTLY_ACCELERATE),
    (-0.0001, EscapCategory.REGRESSING)])
def test_escap_categories_at_their_boundaries(ratio, category):
    assert escap_category(ratio) is category
