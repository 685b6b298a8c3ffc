"""The writer in chunks: a batch checked and staged a few items at a time decides as one batch."""

import pytest

from govkpi.audit.models import AuditEntry
from govkpi.core.periods import parse_period
from govkpi.datavalues import dhis2, writer
from govkpi.datavalues.models import DataValue, ImportBatch
from govkpi.datavalues.writer import Item, write_values
from govkpi.events.models import ChangeEvent
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Two items checked and staged at a time (the batch is then decided as a whole, in the database)."""
    monkeypatch.setattr(writer, "STAGE_CHUNK", 2)


def item(index, element, unit, period, value, **extra):
    return Item(index=index, data_element=element, unit=unit, period=period, value=value, **extra)


def units_in_plan_order():
    """Hà Nội (01) and Hồ Chí Minh City (79), in the order the writer plans them (by id)."""
    return [u.code for u in OrgUnit.objects.filter(code__in=["01", "79"]).order_by("id")]


def test_a_duplicate_split_across_chunks_is_refused_naming_both_indexes(elements, month, tiny_chunks):
    result = write_values([item(0, "DVC_TONG", "01", month, 5), item(1, "DVC_TONG", "79", month, 6),
                           item(2, "DVC_TOANTRINH", "79", month, 1), item(3, "DVC_TONG", "01", month, 7)],
                          actor=None, channel="api", atomic=False)
    assert (result.created, result.total) == (2, 4)
    assert [(c.index, c.code, c.indexes) for c in result.conflicts] == [
        (0, "duplicate_in_batch", [0, 3]), (3, "duplicate_in_batch", [0, 3])]
    assert not DataValue.objects.filter(unit__code="01").exists()


def test_a_rule_broken_in_a_later_chunk_rolls_back_the_earlier_ones(elements, month, tiny_chunks):
    first, second = units_in_plan_order()
    counts = (DataValue.objects.count(), ImportBatch.objects.count(), AuditEntry.objects.count(),
              ChangeEvent.objects.count())
    items = [item(0, "DVC_TONG", first, month, 50), item(1, "DVC_TOANTRINH", first, month, 40),
             item(2, "DVC_TOANTRINH", second, month, 90), item(3, "DVC_TONG", second, month, 80)]
    result = write_values(items, actor=None, channel="api")
    assert result.status == "ERROR" and not result.written and result.batch_id is None
    assert [(c.index, c.code, c.indexes) for c in result.conflicts] == [
        (2, "rule:DVC_TOANTRINH_LE_TONG", [2, 3]), (3, "rule:DVC_TOANTRINH_LE_TONG", [2, 3])]
    assert (result.created, result.rejected) == (0, 4)
    assert (DataValue.objects.count(), ImportBatch.objects.count(), AuditEntry.objects.count(),
            ChangeEvent.objects.count()) == counts
    kept = write_values(items, actor=None, channel="api", atomic=False)
    assert (kept.created, kept.rejected, kept.written) == (2, 2, True)
    assert set(DataValue.objects.values_list("unit__code", flat=True)) == {first}
    assert ImportBatch.objects.get(id=kept.batch_id).counts["created"] == 2


def test_a_cell_is_never_split_so_its_rules_see_all_of_the_batch(elements, month, tiny_chunks):
    write_values([item(0, "DVC_TONG", "01", month, 100)], actor=None, channel="api")
    # Staged in different chunks, planned together: the new whole (130) is seen with the new part (120).
    result = write_values([item(0, "DVC_TOANTRINH", "01", month, 120), item(1, "DVC_TONG", "79", month, 1),
                           item(2, "DVC_TONG", "01", month, 130)], actor=None, channel="api")
    assert result.conflicts == [] and (result.created, result.updated) == (2, 1)


def test_several_written_chunks_make_one_batch_one_audit_entry_and_one_event(elements, month, tiny_chunks):
    audits, events = AuditEntry.objects.count(), ChangeEvent.objects.count()
    earlier = parse_period(month).previous().id
    result = write_values([item(0, "DVC_TONG", "01", month, 5), item(1, "DVC_TONG", "79", month, 6),
                           item(2, "DVC_TONG", "01", earlier, 7)], actor=None, channel="api", check_windows=False)
    assert result.written and result.created == 3
    assert set(DataValue.objects.values_list("batch_id", flat=True)) == {result.batch_id}
    assert (AuditEntry.objects.count(), ChangeEvent.objects.count()) == (audits + 1, events + 1)
    assert ImportBatch.objects.get().counts == result.counts()
    event = ChangeEvent.objects.latest("id")
    assert (sorted(event.units), sorted(event.periods)) == (["01", "79"], sorted([earlier, month]))


def test_a_comment_with_tabs_and_newlines_survives_staging(elements, month):
    comment = "dòng 1\ndòng\t2 \\ 3"
    write_values([item(0, "DVC_TONG", "01", month, 5, comment=comment)], actor=None, channel="api")
    assert DataValue.objects.get().comment == comment


def test_csv_rows_blank_or_without_every_column_read_as_before_and_a_short_row_refused():
    lines = ["period,dataelement,orgunit,value,followup\n", "202501,A,01,5, \n", "\n", " , ,\n",
             "202502,B,79,6,\n"]
    items = list(dhis2.items_from_csv(lines))
    assert [(i.index, i.row, i.data_element, i.period, i.unit, i.value, i.follow_up, i.deleted, i.comment)
            for i in items] == [(0, 2, "A", "202501", "01", "5", None, False, None),
                                (1, 5, "B", "202502", "79", "6", None, False, None)]
    # A row shorter than its header was cut (a body stopped mid-row): the whole body is refused, naming it.
    with pytest.raises(dhis2.PayloadError) as refused:
        list(dhis2.items_from_csv([*lines, "202503,C,79\n"]))
    assert refused.value.code == "short_row" and "Row 6" in refused.value.message_en
    assert "«value»" in refused.value.message_en
    # Cells after `value` may be left out (DHIS2's own files stop after value or comment) ...
    short = list(dhis2.items_from_csv(["dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,"
                                       "storedby,lastupdated,comment,followup,deleted\n", "A,202501,01,,,5\n",
                                       "B,202501,01,,,6,,,ghi chú\n"]))
    assert [(i.data_element, i.value, i.comment) for i in short] == [("A", "5", None), ("B", "6", "ghi chú")]
    # ... but not from the last row of a body that stops without a line break: it was cut ("15" of "1566").
    with pytest.raises(dhis2.PayloadError) as cut:
        list(dhis2.items_from_csv(["dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,"
                                   "storedby,lastupdated,comment\n", "A,202501,01,,,1566,,,ok\n", "B,202501,01,,,15"]))
    assert cut.value.code == "short_row" and "Row 3" in cut.value.message_en
    full = list(dhis2.items_from_csv(["A,202501,01,default,default,7,,,'=x, true ,1\n"]))
    assert [(i.data_element, i.value, i.comment, i.follow_up, i.deleted) for i in full] == [
        ("A", "7", "=x", True, True)]
