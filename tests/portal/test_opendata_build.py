"""Open-data files built ahead of the first download (after a scores pass, or `govkpi opendata build`), and what
a download answers while the file of what is now published is still being written: never the previous file
as if it were current."""

from __future__ import annotations

import pytest
import time_machine

from govkpi.cli import main
from govkpi.evaluation import engine
from govkpi.portal import opendata, opendata_files

from .test_opendata_files import DAY, JUL, july_official, national_july, results  # noqa: F401 - the fixture
from .test_portal import download

pytestmark = pytest.mark.django_db
EVERY_FILE = len(opendata.DATASETS) * len(opendata.FORMATS)


def on_disk() -> dict[str, int]:
    # The files themselves, not the builders' lock files (".builder-running.lock").
    return {p.name: p.stat().st_mtime_ns for p in opendata_files.directory().glob("[a-z]*-*.*")}


def test_building_ahead_writes_every_file_of_what_is_published_once(july_official, client):
    with time_machine.travel(DAY, tick=True):
        version = opendata_files.current_version()
        written = opendata_files.build_published_files()
        assert sorted(p.name for p in written) == sorted(f"{n}-{version}.{f}" for n in opendata.DATASETS
                                                         for f in opendata.FORMATS)
        kept = on_disk()
        assert opendata_files.build_published_files() == [] and opendata_files.missing_files() == []
        response = client.get("/public/data/results.csv")
        assert response["X-Govkpi-Data"] == "current" and response["ETag"] == f'"{version}"'
        response.getvalue()  # read to the end: the file is closed
        assert national_july(results(client)) == pytest.approx(75.0)
        assert on_disk() == kept  # the download read the file built ahead, it wrote none


def test_the_command_builds_the_missing_files(july_official, capsys):
    with time_machine.travel(DAY, tick=True):
        assert main(["opendata", "build"]) == 0
        assert f"{EVERY_FILE} tệp mới/files written" in capsys.readouterr().out
        assert len(on_disk()) == EVERY_FILE
        assert main(["opendata", "build"]) == 0
        assert "0 tệp mới/files written" in capsys.readouterr().out


def test_while_the_file_is_written_its_url_says_so_and_the_previous_one_is_only_served_as_superseded(
        july_official, client):
    approve = july_official
    with time_machine.travel(DAY, tick=True):
        old = opendata_files.current_version()
        old_body = download(client, "/public/data/results.csv")
        approve(JUL, "79")  # TP. Hồ Chí Minh's July now counts: what is published changes
        engine.process_pending()
        assert opendata_files.current_version() != old
        with opendata_files._file_lock("results", "csv", blocking=True):  # a builder is writing the new file
            response = client.get("/public/data/results.csv")
            text = response.content.decode()
            assert response.status_code == 503 and response["Retry-After"] == "30"
            assert response["X-Govkpi-Data"] == "updating" and response["Cache-Control"] == "no-store"
            assert "Đang cập nhật" in text and "Being updated" in text
            assert f"/public/data/results.csv?version={old}" in text
            assert response["Link"] == f'</public/data/results.csv?version={old}>; rel="prev"'
            previous = client.get("/public/data/results.csv", {"version": old})
            assert previous["X-Govkpi-Data"] == "superseded" and previous["ETag"] == f'"{old}"'
            assert previous.getvalue() == old_body  # asked for by its version, and marked as not current
        current = client.get("/public/data/results.csv")
        assert current.status_code == 200 and current["X-Govkpi-Data"] == "current"
        current.getvalue()
        assert national_july(results(client)) == pytest.approx((1500 + 3000) / (2000 + 8000) * 100)
        # The new file is in place, so the old one is gone.
        assert client.get("/public/data/results.csv", {"version": old}).status_code == 404


def test_no_builder_is_started_when_nothing_is_missing_or_one_is_waiting(july_official, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.OPENDATA_BUILD_AHEAD = True  # on, as outside the tests: still no process, for the reasons below
    with time_machine.travel(DAY, tick=True):
        with django_capture_on_commit_callbacks() as callbacks:
            opendata_files.build_ahead()
        assert callbacks == [opendata_files.start_builder]  # after the scores pass's commit, not inside it
        with opendata_files._builder_slot("waiting", blocking=True):  # a builder waits to run
            assert opendata_files.missing_files() and opendata_files.start_builder() is None
            assert opendata_files.build_until_current() is None  # a second one leaves it to that one
        opendata_files.build_published_files()
        assert opendata_files.start_builder() is None  # nothing missing
