"""A brief is produced again identically from its as-of moment; a viewer gets no brief of a unit they may not read;
a provisional figure is never shown as official."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from govkpi.brief.assemble import BriefRefused, assemble
from govkpi.brief.models import Report
from govkpi.brief.produce import produce, viewer_for
from govkpi.brief.renderers import render
from govkpi.evaluation import engine

from .conftest import AS_OF, write
from .readback import document_text, downloaded, pdf_text, workbook

pytestmark = pytest.mark.django_db
LATER = AS_OF + datetime.timedelta(days=3)


def download(client, report: Report) -> tuple[int, bytes]:
    answer = client.get(f"/briefs/{report.pk}/")
    return answer.status_code, downloaded(answer)


def contents(brief) -> tuple:
    return (workbook(render(brief, "xlsx")), document_text(render(brief, "docx")), render(brief, "pdf"))


def test_the_same_as_of_gives_the_same_brief_after_the_data_moved_on(dataset, national_reader):
    viewer = viewer_for(national_reader)
    first = contents(assemble("national", "2025-08", AS_OF, viewer))
    with time_machine.travel(LATER, tick=False):
        # TP. Hồ Chí Minh corrects its August figures: the national figure, the scores and the ranks move.
        write("202508", {"79": (7000, 8000), "31": (1100, 1200)})
        engine.process_pending()
        moved = assemble("national", "2025-08", LATER, viewer)
        again = assemble("national", "2025-08", AS_OF, viewer)
    assert contents(again) == first
    assert contents(moved)[0] != first[0]  # the test can fail: a later moment does read the new figures
    assert moved.headlines[0].provisional.value != again.headlines[0].provisional.value


def test_provisional_figures_are_marked_and_never_in_the_official_column(dataset, national_reader):
    brief = assemble("national", "2025-08", AS_OF, viewer_for(national_reader))
    headline = brief.headlines[0]
    # August is still being reported on 5 September: the official figure is July's (approved values only).
    assert (headline.period, round(headline.value, 2)) == ("202507", 44.33)
    august = (1900 + 1000 + 950 + 800) / (2000 + 8000 + 1000 + 1000) * 100  # every value received
    assert headline.provisional.period == "202508" and headline.provisional.value == pytest.approx(august)
    assert not brief.official and "chưa có số liệu chính thức" in brief.notes[0][0]
    row = workbook(render(brief, "xlsx"))["1_ChiTieu"][2]
    assert (row[2], round(row[3], 2)) == ("Tháng 7/2025", 44.33)
    assert row[10] == "38,75 (tạm tính, Tháng 8/2025, Chậm tiến độ)"
    first_page = " ".join(pdf_text(render(brief, "pdf"))[0].split())
    assert "Kỳ Tháng 8/2025 chưa có số liệu chính thức" in first_page and "38,75 (tạm tính" in first_page


def test_a_province_reader_sees_no_other_units_provisional_scores(dataset, hanoi_reader):
    brief = assemble("01", "2025-08", AS_OF, viewer_for(hanoi_reader))
    assert brief.headlines[0].provisional.value == pytest.approx(95.0)  # Hà Nội's own August, provisional
    # August's scores are provisional: a reader of Hà Nội sees Hà Nội's line only, none of another province's.
    assert {c.code for c in brief.rank_changes} <= {"01"} and {q.code for q in brief.quality} <= {"01"}
    assert {v.code for v in brief.commend + brief.call_out} <= {"01"}


def test_a_viewer_gets_no_brief_of_a_unit_they_may_not_read(dataset, hanoi_reader, client):
    for scope in ("79", "national", "BCA"):
        with pytest.raises(BriefRefused) as refused:
            assemble(scope, "2025-07", AS_OF, viewer_for(hanoi_reader))
        assert refused.value.code == "forbidden"
    client.force_login(hanoi_reader)
    with time_machine.travel(LATER, tick=False):
        answer = client.post("/briefs/", {"scope": "79", "period": "2025-07", "format": "pdf", "lang": "vi"})
    assert answer.status_code == 403 and "Bạn không có quyền xem số liệu của Thành phố Hồ Chí Minh" in answer.text
    assert not Report.objects.exists()


def test_a_stored_brief_goes_only_to_readers_with_the_same_view(dataset, national_reader, hanoi_reader, make_user,
                                                                client):
    with time_machine.travel(LATER, tick=False):
        national = produce("national", "2025-07", "xlsx", "vi", AS_OF, national_reader)
        hanoi = produce("01", "2025-07", "docx", "vi", AS_OF, hanoi_reader)
    assert (national.readers, national.as_of, national.produced_by) == ("all", AS_OF, national_reader)
    client.force_login(hanoi_reader)
    assert download(client, national)[0] == 404
    status, body = download(client, hanoi)
    assert status == 200 and "Thành phố Hà Nội" in " ".join(document_text(body))
    # Another reader of Hà Nội alone has the same view; a reader of TP. Hồ Chí Minh does not read Hà Nội.
    client.force_login(make_user("viewer", "01"))
    assert download(client, hanoi)[0] == 200
    client.force_login(make_user("viewer", "79"))
    assert download(client, hanoi)[0] == 404
    client.force_login(national_reader)
    page = client.get("/briefs/")
    assert page.status_code == 200 and national.filename in page.text and hanoi.filename in page.text
