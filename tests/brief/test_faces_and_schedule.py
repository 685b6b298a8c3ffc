"""The brief's faces (the page, `govkpi report`) and its schedule: monthly and quarterly national briefs, made
once each however often the worker asks, their readers told once."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine

from govkpi.accounts.roles import Role
from govkpi.brief.models import Report
from govkpi.brief.produce import produce_scheduled
from govkpi.cli import main
from govkpi.evaluation import engine
from govkpi.notify.models import Notification

from .conftest import AS_OF, TZ
from .readback import downloaded, pdf_text, workbook

pytestmark = pytest.mark.django_db
AUGUST_OFFICIAL = datetime.datetime(2025, 9, 20, 8, tzinfo=TZ)  # August is official from 16 September


def test_the_page_makes_a_brief_downloads_it_and_lists_it(dataset, national_reader, client):
    client.force_login(national_reader)
    with time_machine.travel(AS_OF + datetime.timedelta(hours=2), tick=False):
        page = client.get("/briefs/")
        # The form proposes the latest official month: July (August is reported until 15 September).
        assert page.status_code == 200 and "Báo cáo giao ban" in page.text and 'value="2025-07"' in page.text
        answer = client.post("/briefs/", {"scope": "national", "period": "2025-07", "format": "xlsx", "lang": "vi"})
    report = Report.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/briefs/{report.pk}/"
    download = client.get(answer["Location"])
    content = downloaded(download)
    assert download["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert hashlib.sha256(content).hexdigest() == report.sha256 and report.size == len(content)
    assert workbook(content)["1_ChiTieu"][2][0] == "DVC_TOANTRINH_TYLE"
    assert report.as_of == AS_OF + datetime.timedelta(hours=2) and report.produced_by == national_reader
    assert report.filename in client.get("/briefs/").text
    assert client.post("/briefs/", {"scope": "national", "period": "2025-13", "format": "pdf"}).status_code == 400
    client.logout()
    assert client.get("/briefs/").status_code == 302  # signed in only


def test_the_command_line_writes_the_brief_as_of_a_moment(dataset, tmp_path, capsys):
    out = tmp_path / "giao-ban.pdf"
    assert main(["report", "--scope", "national", "--period", "2025-07", "--format", "pdf", "--output", str(out),
                 "--as-of", "2025-09-05T10:00:00"]) == 0
    first_page = " ".join(pdf_text(out.read_bytes())[0].split())
    assert "Số liệu tính đến: 10:00:00 05/09/2025" in first_page and "44,33" in first_page
    again = tmp_path / "again.pdf"
    main(["report", "--period", "2025-07", "--format", "pdf", "--output", str(again), "--as-of", AS_OF.isoformat()])
    assert again.read_bytes() == out.read_bytes()  # the same moment, the same bytes
    assert main(["report", "--scope", "XX", "--period", "2025-07", "--format", "pdf", "--output", str(out)]) == 2
    assert "Không tìm thấy đơn vị có tên «XX»" in capsys.readouterr().err


def test_scheduled_briefs_are_made_once_and_their_readers_told_once(dataset, national_reader, make_user):
    admin = make_user(Role.UNIT_ADMIN, "CP")
    clerk = make_user(Role.DATA_ENTRY, "CP")
    hanoi = make_user(Role.VIEWER, "01")
    # August is official by the calendar, but the engine has not judged it so yet: only June's quarter is due.
    early = produce_scheduled(AUGUST_OFFICIAL)
    assert sorted((r.schedule, r.period) for r in early) == [("quarterly", "2025Q2")] * 3
    with time_machine.travel(AUGUST_OFFICIAL, tick=False):
        engine.process_pending()  # the clock: August's cells and scores judged again on approved values
    made = early + produce_scheduled(AUGUST_OFFICIAL)
    assert sorted((r.schedule, r.period, r.format) for r in made) == [
        ("monthly", "202508", f) for f in ("docx", "pdf", "xlsx")] + [
        ("quarterly", "2025Q2", f) for f in ("docx", "pdf", "xlsx")]
    assert {(r.scope, r.readers, r.as_of, r.produced_by) for r in made} == {("national", "all", AUGUST_OFFICIAL, None)}
    told = Notification.objects.filter(kind="brief_ready")
    assert sorted((n.recipient.username, n.key) for n in told) == sorted(
        (u.username, f"brief:{r.pk}") for u in (national_reader, admin) for r in made if r.format == "pdf")
    monthly = Report.objects.get(schedule="monthly", format="pdf")
    assert told.filter(key=f"brief:{monthly.pk}").first().title_vi == \
        "Báo cáo giao ban toàn quốc Tháng 8/2025 đã sẵn sàng"
    assert not told.filter(recipient__in=[clerk, hanoi]).exists()
    # The worker asks again (and again after a restart): nothing new is made or sent.
    assert produce_scheduled(AUGUST_OFFICIAL + datetime.timedelta(minutes=1)) == []
    assert Report.objects.count() == 6 and told.count() == 4
    first_page = " ".join(pdf_text(monthly.file.read())[0].split())
    monthly.file.close()
    assert "Số liệu chính thức" in first_page and "Tháng 8/2025" in first_page
