"""core.outliers: what an approver is asked to look at twice."""

from govkpi.core.outliers import big_change, is_outlier


def test_a_big_change_is_half_as_much_again_or_half_gone_and_any_value_after_zero():
    assert big_change(150, 100) and big_change(50, 100) and big_change(-50, 100) and big_change(1, 0)
    assert not big_change(149, 100) and not big_change(51, 100) and not big_change(0, 0)
    assert not big_change(None, 100) and not big_change(100, None)


def test_the_z_score_needs_four_earlier_values():
    assert not is_outlier(1000, [10, 11, 12])
    assert is_outlier(1000, [10, 11, 12, 11])
