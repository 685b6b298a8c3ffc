"""The national brief of the reference dataset (`govkpi demo`, run once for the module and rolled back after it),
in each format, read back: its figures are the read door's, its demonstration figures are marked as such."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.db import transaction
from django.utils import timezone

from govkpi.brief.assemble import assemble
from govkpi.brief.produce import viewer_for
from govkpi.brief.renderers import render
from govkpi.cli import main
from govkpi.evaluation.models import Result
from govkpi.reads.official import Calendar

from .readback import document_text, pdf_text, workbook

pytestmark = pytest.mark.django_db
HEADINGS = ["1. Chỉ tiêu chủ yếu so với mục tiêu", "2. Đơn vị chậm tiến độ", "3. Nhiệm vụ quá hạn và sắp đến hạn",
            "4. Thay đổi xếp hạng và nguyên nhân", "5. Chất lượng số liệu", "6. Đề xuất biểu dương, nhắc nhở"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["demo"]) == 0
        yield
        transaction.set_rollback(True)


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
