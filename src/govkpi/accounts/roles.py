"""Roles and the actions each allows: the one table every permission check reads."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("Xem")
    ENTER = "enter", _("Nhập số liệu")
    APPROVE = "approve", _("Phê duyệt số liệu")
    MANAGE_TASKS = "manage_tasks", _("Quản lý nhiệm vụ")
    MANAGE_CATALOG = "manage_catalog", _("Quản lý danh mục chỉ tiêu")
    MANAGE_USERS = "manage_users", _("Quản lý người dùng")
    READ_AUDIT = "read_audit", _("Xem nhật ký kiểm toán")


class Role(models.TextChoices):
    VIEWER = "viewer", _("Người xem")
    DATA_ENTRY = "data_entry", _("Cán bộ nhập liệu")
    APPROVER = "approver", _("Người phê duyệt")
    TASK_MANAGER = "task_manager", _("Quản lý nhiệm vụ")
    CATALOG_MANAGER = "catalog_manager", _("Quản lý danh mục")
    UNIT_ADMIN = "unit_admin", _("Quản trị đơn vị")
    SYSTEM_ADMIN = "system_admin", _("Quản trị hệ thống")
    AUDITOR = "auditor", _("Kiểm toán viên")


A = Action
# What each role may do within the subtree of the unit its membership names.
# The catalog is national: a catalog manager's or system admin's membership sits at the root.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({A.READ}),
    Role.DATA_ENTRY: frozenset({A.READ, A.ENTER}),
    Role.APPROVER: frozenset({A.READ, A.APPROVE}),
    Role.TASK_MANAGER: frozenset({A.READ, A.MANAGE_TASKS}),
    Role.CATALOG_MANAGER: frozenset({A.READ, A.MANAGE_CATALOG}),
    Role.UNIT_ADMIN: frozenset({A.READ, A.ENTER, A.APPROVE, A.MANAGE_TASKS, A.MANAGE_USERS}),
    Role.SYSTEM_ADMIN: frozenset(Action.values),
    Role.AUDITOR: frozenset({A.READ, A.READ_AUDIT}),
}

# Roles that must sign in with a second factor (enforced by the access-and-security work).
ROLES_REQUIRING_SECOND_FACTOR = frozenset({Role.UNIT_ADMIN, Role.SYSTEM_ADMIN})
