"""The kinds of notification govkpi sends: each person chooses, per kind, at once, a daily digest, or off."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TASK_DUE = "task_due", _("Nhiệm vụ sắp đến hạn")
    TASK_OVERDUE = "task_overdue", _("Nhiệm vụ quá hạn")
    TASK_ESCALATED = "task_escalated", _("Nhiệm vụ quá hạn kéo dài (báo cáo cấp giao)")
    WINDOW_CLOSING = "window_closing", _("Kỳ báo cáo sắp đóng, đơn vị chưa báo cáo")
    VALUES_RETURNED = "values_returned", _("Số liệu bị trả lại")
    SUBMISSION_WAITING = "submission_waiting", _("Số liệu chờ phê duyệt")
    OFF_TRACK = "off_track", _("Chỉ tiêu chuyển sang chậm tiến độ")
    IMPORT_FAILED = "import_failed", _("Nhập dữ liệu không thành công")
    CONNECTOR_FAILED = "connector_failed", _("Kết nối dữ liệu không thành công")
    COMMENT = "comment", _("Ý kiến mới")
    BRIEF_READY = "brief_ready", _("Báo cáo giao ban đã sẵn sàng")
    PROBLEM_RAISED = "problem_raised", _("Vướng mắc, kiến nghị mới gửi đơn vị")
    PROBLEM_ANSWERED = "problem_answered", _("Vướng mắc, kiến nghị đã được trả lời")
    PROBLEM_OVERDUE = "problem_overdue", _("Vướng mắc, kiến nghị quá hạn trả lời")


class Frequency(models.TextChoices):
    INSTANT = "instant", _("Gửi ngay")
    DAILY = "daily", _("Tổng hợp hằng ngày")
    OFF = "off", _("Tắt")
