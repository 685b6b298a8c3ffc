"""The words shown for stored codes (statuses, task states, score components), in Vietnamese first."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

STATUS_LABELS = {
    "achieved": gettext_lazy("Đã đạt"), "on_track": gettext_lazy("Đúng tiến độ"),
    "at_risk": gettext_lazy("Có nguy cơ chậm"), "off_track": gettext_lazy("Chậm tiến độ"),
    "no_data": gettext_lazy("Chưa có số liệu"), "no_target": gettext_lazy("Chưa có mục tiêu"),
}
TASK_STATE_LABELS = {
    "not_started": gettext_lazy("Chưa triển khai"), "in_progress": gettext_lazy("Đang thực hiện"),
    "overdue": gettext_lazy("Quá hạn"), "done_on_time": gettext_lazy("Hoàn thành đúng hạn"),
    "done_late": gettext_lazy("Hoàn thành quá hạn"), "paused": gettext_lazy("Tạm dừng"),
    "cancelled": gettext_lazy("Hủy bỏ"), "not_yet_assigned": gettext_lazy("Chưa giao"),
}
COMPONENT_LABELS = {"indicators": gettext_lazy("Chỉ tiêu"), "tasks": gettext_lazy("Nhiệm vụ"),
                    "quality": gettext_lazy("Chất lượng số liệu")}
