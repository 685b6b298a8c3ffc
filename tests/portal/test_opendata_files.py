"""Open-data files: produced from what is published, kept on disk, written again only when that changes (a
period turning official, an approval in an official month, publication), never because of a write in a month
still being reported; written row by row, so memory does not grow with the data."""

from __future__ import annotations

import csv
import datetime
import io
import tracemalloc
import types

import pytest
import time_machine

from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation import engine
from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.models import Indicator
from govkpi.portal import opendata, opendata_files

from .test_portal import download

pytestmark = pytest.mark.django_db
# 5 September 2025: July is official (due 15 August), August is still being reported (due 15 September).
DAY = datetime.datetime(2025, 9, 5, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
JUL, AUG = "202507", "202508"
BOUND = 2_000_000  # bytes a writer may allocate at its peak, whatever the number of rows


def write(period: str, *values: tuple[str, str, float]) -> None:
    items = [Item(i, element, period, unit, value) for i, (element, unit, value) in enumerate(values)]
    assert not write_values(items, actor=None, channel="api", check_windows=False).conflicts


@pytest.fixture
def july_official(small_catalog, approve):
    """Hà Nội and TP. Hồ Chí Minh report July, only Hà Nội is approved; Hà Nội reports August."""
    with time_machine.travel(DAY, tick=True):
        for element in small_catalog["data_elements"]:
            element.update(frequency="monthly")
        assert apply_catalog(small_catalog).ok
        engine.process_pending()
        write(JUL, ("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 3000),
              ("DVC_TONG", "79", 8000))
        approve(JUL, "01")
        engine.process_pending()
        yield approve


def files() -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in opendata_files.directory().glob("*.csv")}


def results(client) -> list[dict[str, str]]:
    text = download(client, "/public/data/results.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def national_july(rows: list[dict[str, str]]) -> float:
    return float(next(r["value"] for r in rows if r["unit"] == "CP" and r["period"] == JUL))


def test_a_write_in_a_provisional_month_leaves_the_file_as_it_is(july_official, client):
    with time_machine.travel(DAY, tick=True):
        before = results(client)
        kept = files()
        assert national_july(before) == pytest.approx(75.0)  # Hà Nội's approved 1500 / 2000 alone
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        engine.process_pending()  # August's results change, provisional: nothing published changes
        assert results(client) == before
        assert files() == kept and len(kept) == 1  # the same file, not written again


def test_an_approval_in_an_official_month_writes_a_new_file(july_official, client):
    approve = july_official
    with time_machine.travel(DAY, tick=True):
        before = results(client)
        kept = files()
        approve(JUL, "79")  # TP. Hồ Chí Minh's July now counts in the official figures
        engine.process_pending()
        after = results(client)
        assert national_july(after) == pytest.approx((1500 + 3000) / (2000 + 8000) * 100)
        assert national_july(after) != national_july(before)
        assert set(files()).isdisjoint(kept) and len(files()) == 1  # a new file; the old one is gone


def test_unpublishing_an_indicator_writes_a_new_file_without_it(july_official, client):
    with time_machine.travel(DAY, tick=True):
        assert {r["indicator"] for r in results(client)} == {"DVC_TOANTRINH_TYLE"}
        Indicator.objects.filter(code="DVC_TOANTRINH_TYLE").update(published=False)
        assert results(client) == []


def test_the_response_streams_the_file_with_its_fingerprint(july_official, client):
    with time_machine.travel(DAY, tick=True):
        response = client.get("/public/data/results.json")
        body = response.getvalue()  # read to the end: the file is closed
        path = next(opendata_files.directory().glob("results-*.json"))
        assert response.streaming and body == path.read_bytes()
        assert response["ETag"] == f'"{path.stem.removeprefix("results-")}"'


def test_datasets_produce_their_rows_lazily(july_official):
    with time_machine.travel(DAY, tick=True):
        for make in opendata.DATASETS.values():
            assert isinstance(make().rows, types.GeneratorType)  # nothing read until a writer asks


@pytest.mark.parametrize(("fmt", "count"), [("csv", 50_000), ("json", 50_000), ("xlsx", 10_000)])
def test_writing_a_large_dataset_keeps_memory_bounded(fmt, count, tmp_path):
    """Tens of thousands of rows go through the writer while Python's own allocations stay at a fraction of
    what holding them would take (a list of 50,000 such rows is over 20 MB, the CSV alone 4 MB): rows are
    written as they come, never gathered. (XLSX is slow to write: fewer rows, the same bound.)"""
    columns = ["indicator", "unit", "unit_name", "period", "value", "demo"]

    def rows():
        for n in range(count):
            yield {"indicator": "DVC_TOANTRINH_TYLE", "unit": f"{n:05d}", "unit_name": f"Xã số {n} tỉnh Lào Cai",
                   "period": "202507", "value": n / 7, "demo": False}

    path = tmp_path / f"big.{fmt}"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            opendata.WRITERS[fmt](opendata.Dataset("results", columns, rows()), out)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size > 200_000  # the rows are there
    assert peak < BOUND, (fmt, peak)
