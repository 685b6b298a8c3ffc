"""`govkpi demo` loads the reference data and accounts; a second run changes nothing; the national brief of the
reference dataset, in each format, read back.

A full demo takes a minute or more, so every test that reads the demo's database in this process lives here and
shares one: it runs once in a transaction that spans the module and is rolled back after it (each test, in its
own savepoint, rolls back too). Tests that need it in another process (a server, a browser) copy the session's
SQLite file instead (`demo_file` in tests/conftest.py)."""

import contextlib
import io

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from govkpi.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.brief.assemble import assemble
from govkpi.brief.produce import viewer_for
from govkpi.brief.renderers import render
from govkpi.cli import main
from govkpi.evaluation.models import Result
from govkpi.reads.official import Calendar
from tests.brief.readback import document_text, pdf_text, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # noqa: ANN001 - pytest-django's fixtures
    """What the first `govkpi demo` printed; its database stays for the module's tests, then is rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["demo"]) == 0
        yield out.getvalue()
        transaction.set_rollback(True)


def snapshot() -> dict[str, list[tuple]]:
    """Every column of every row of every table (many-to-many tables too), as the database holds it: equal
    snapshots mean an unchanged database. (Read as tuples: serialising the demo's rows to JSON took a minute.)"""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in {"sessions.Session"}
    }


def test_demo_twice_leaves_the_database_unchanged(demo, capsys):
    first = snapshot()
    assert main(["demo"]) == 0  # the second run, on the module's demoed database
    assert snapshot() == first
    out = capsys.readouterr().out
    assert "0 mới/created, 0 cập nhật/updated" in out.split("Tài khoản demo")[-2]


def test_demo_creates_one_account_per_role_and_prints_it(demo, django_user_model):
    out = demo
    roles = set(Membership.objects.filter(user__username__in=[a.username for a in DEMO_ACCOUNTS])
                .values_list("role", flat=True))
    assert roles == set(Role.values)
    admin = django_user_model.objects.get(username="admin")
    assert admin.check_password(DEMO_PASSWORD) and admin.is_superuser
    assert Membership.objects.get(user=admin).unit.code == "CP"
    for account in DEMO_ACCOUNTS:
        assert account.username in out
    assert DEMO_PASSWORD in out


def test_demo_accounts_sit_at_realistic_units(demo):
    kinds = set(Membership.objects.values_list("unit__kind", flat=True))
    assert {"government", "ministry", "province", "commune"} <= kinds


def test_demo_prints_an_enrolment_code_that_lets_the_new_admin_enrol_a_second_factor(demo, django_user_model):
    from govkpi.accounts.enrolment import redeem_enrolment_code

    codes = dict(line.split() for line in demo.split("govkpi account enrolment-code USER):")[1].strip().splitlines())
    admin = django_user_model.objects.get(username="admin")
    assert "admin" in codes and redeem_enrolment_code(admin, codes["admin"])
    assert not redeem_enrolment_code(admin, codes["admin"])  # once only


# The national brief of the reference dataset (moved from tests/brief/test_reference_dataset.py to share the demo).
HEADINGS = ["1. Chỉ tiêu chủ yếu so với mục tiêu", "2. Đơn vị chậm tiến độ", "3. Nhiệm vụ quá hạn và sắp đến hạn",
            "4. Thay đổi xếp hạng và nguyên nhân", "5. Chất lượng số liệu", "6. Đề xuất biểu dương, nhắc nhở"]


def test_the_reference_national_brief_in_every_format(demo):
    now = timezone.now().replace(microsecond=0)
    month = Calendar(today=timezone.localtime(now).date()).last_official_month()
    period = f"{month[:4]}-{month[4:]}"
    brief = assemble("national", period, now, viewer_for(None))
    assert brief.official and brief.demo and len(brief.headlines) > 10
    assert brief.commend and brief.call_out and brief.quality and brief.tasks
    judged = next(h for h in brief.headlines if h.value is not None)
    stored = Result.objects.get(indicator__code=judged.code, unit__code="CP", period=judged.period,
                                valid_to__isnull=True)
    assert judged.value == stored.value and judged.demo == stored.demo

    sheets = workbook(render(brief, "xlsx"))
    row = next(r for r in sheets["1_ChiTieu"][2:] if r[0] == judged.code)
    assert row[3] == pytest.approx(stored.value) and isinstance(row[3], float)
    assert any(r[-1] == "minh họa" for r in sheets["1_ChiTieu"][2:])  # demo figures are marked where shown
    lines = document_text(render(brief, "docx"))
    assert [line for line in lines if line[:2] in {f"{n}." for n in range(1, 7)}] == HEADINGS
    assert any("Có số liệu minh họa" in line for line in lines)
    pages = [" ".join(p.split()) for p in pdf_text(render(brief, "pdf"))]
    assert "BÁO CÁO GIAO BAN" in pages[0] and "Có số liệu minh họa" in pages[0] and len(pages) >= 3
    whole = " ".join(pages)
    assert all(heading in whole for heading in HEADINGS)
    assert brief.commend[0].name in whole and brief.call_out[0].name in whole
