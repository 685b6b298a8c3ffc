"""Demo accounts: one per role at realistic units. Not created in production mode, and marked as demo
so that production refuses them at sign-in and for their tokens when a demo database goes live."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.security import mark_demo
from govkpi.orgunits.models import OrgUnit

# Shown on screen by `govkpi demo`; never valid in production (demo accounts are refused there).
DEMO_PASSWORD = "govkpi-demo-2025"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit_code: str
    full_name: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", Role.SYSTEM_ADMIN, "CP", "Quản trị hệ thống"),
    DemoAccount("lanhdao", Role.VIEWER, "CP", "Lãnh đạo Chính phủ (xem)"),
    DemoAccount("kiemtoan", Role.AUDITOR, "CP", "Kiểm toán viên"),
    DemoAccount("danhmuc", Role.CATALOG_MANAGER, "CP", "Quản lý danh mục chỉ tiêu"),
    DemoAccount("bca.nhiemvu", Role.TASK_MANAGER, "BCA", "Quản lý nhiệm vụ, Bộ Công an"),
    DemoAccount("bkhcn.nhaplieu", Role.DATA_ENTRY, "BKHCN", "Nhập liệu, Bộ Khoa học và Công nghệ"),
    DemoAccount("hanoi.quantri", Role.UNIT_ADMIN, "01", "Quản trị, TP Hà Nội"),
    DemoAccount("hanoi.pheduyet", Role.APPROVER, "01", "Phê duyệt, TP Hà Nội"),
    DemoAccount("badinh.nhaplieu", Role.DATA_ENTRY, "00004", "Nhập liệu, Phường Ba Đình"),
    DemoAccount("ngocha.nhaplieu", Role.DATA_ENTRY, "00008", "Nhập liệu, Phường Ngọc Hà"),
)


@transaction.atomic
def ensure_demo_accounts() -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts that are missing; leave existing ones untouched. Return (account, created)."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Tài khoản demo bị từ chối ở chế độ production. / Demo accounts are refused in production.")
    User = get_user_model()
    result = []
    for account in DEMO_ACCOUNTS:
        unit = OrgUnit.objects.get(code=account.unit_code)
        user = User.objects.filter(username=account.username).first()
        created = user is None
        if created:
            user = User(username=account.username, first_name=account.full_name)
            user.is_staff = user.is_superuser = account.role == Role.SYSTEM_ADMIN
            user.set_password(DEMO_PASSWORD)
            user.save()
            mark_demo(user)  # only the accounts made here: an existing one of that name keeps its own password
        Membership.objects.get_or_create(user=user, unit=unit, role=account.role)
        result.append((account, created))
    return result
