import datetime

from govkpi.core.six_clear import LABELS_VI, POINTS, check_six_clear

CLEAR = dict(responsible="Bộ trưởng Bộ Công an", title="Xây dựng kiến trúc dữ liệu tổng thể quốc gia",
             deadline=datetime.date(2025, 8, 31), recurring=False, lead_unit="BCA", fans_out=False,
             product="Kiến trúc dữ liệu tổng thể quốc gia", accepting_authority="Thủ tướng Chính phủ")


def test_a_fully_assigned_task_is_clear_on_all_six_points():
    clarity = check_six_clear(**CLEAR)
    assert clarity.missing == [] and clarity.score == 6


def test_each_point_fails_on_its_own():
    cases = {
        "person": dict(responsible="  "),
        "task": dict(title="Dữ liệu"),
        "time": dict(deadline=None),
        "responsibility": dict(lead_unit=None),
        "product": dict(product=""),
        "authority": dict(accepting_authority=""),
    }
    for point, change in cases.items():
        clarity = check_six_clear(**{**CLEAR, **change})
        assert clarity.missing == [point], point
        assert clarity.score == 5


def test_a_recurring_task_has_a_time_and_a_fan_out_task_a_responsibility():
    clarity = check_six_clear(**{**CLEAR, "deadline": None, "recurring": True, "lead_unit": None, "fans_out": True})
    assert clarity.missing == []


def test_labels_follow_the_principle_in_vietnamese():
    assert [LABELS_VI[p] for p in POINTS] == ["rõ người", "rõ việc", "rõ thời gian", "rõ trách nhiệm", "rõ sản phẩm",
                                              "rõ thẩm quyền"]
