"""The one writer: counts, history, events, scope, windows, locks, rules, duplicates, atomicity."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry
from govkpi.core.periods import PeriodType, period_of
from govkpi.datavalues import approval
from govkpi.datavalues.models import DataValue, DataValueHistory, ReportingWindow, ValidationRule
from govkpi.datavalues.writer import Item, Strategy, write_values
from govkpi.events.models import ChangeEvent
from govkpi.events.types import parse

pytestmark = pytest.mark.django_db


def item(index, element, unit, period, value, **extra):
    return Item(index=index, data_element=element, unit=unit, period=period, value=value, **extra)


def stored(element, unit, period):
    return DataValue.objects.get(data_element__code=element, unit__code=unit, period=period)


def test_created_then_unchanged_then_updated_with_history(elements, month, make_user):
    clerk = make_user(Role.DATA_ENTRY, "01")
    first = write_values([item(0, "DVC_TOANTRINH", "01", month, "120"), item(1, "DVC_TONG", "01", month, 400)],
                         actor=clerk, channel="api")
    assert (first.created, first.updated, first.unchanged, first.status) == (2, 0, 0, "SUCCESS")
    before = stored("DVC_TOANTRINH", "01", month)

    again = write_values([item(0, "DVC_TOANTRINH", "01", month, "120.0")], actor=clerk, channel="api")
    assert (again.created, again.updated, again.unchanged, again.written) == (0, 0, 1, False)
    assert stored("DVC_TOANTRINH", "01", month).updated_at == before.updated_at  # untouched, no new timestamp

    changed = write_values([item(0, "DVC_TOANTRINH", "01", month, 150, comment="Bổ sung 30 thủ tục")],
                           actor=clerk, channel="web")
    assert (changed.updated, changed.status) == (1, "SUCCESS")
    value = stored("DVC_TOANTRINH", "01", month)
    assert (value.value, value.number, value.comment, value.channel) == ("150", 150.0, "Bổ sung 30 thủ tục", "web")
    history = DataValueHistory.objects.get(data_element__code="DVC_TOANTRINH", unit__code="01", period=month)
    assert (history.kind, history.previous_value, history.new_value, history.changed_by) == (
        "updated", "120", "150", clerk.username)


def test_every_accepted_write_emits_one_event_and_one_audit_entry(elements, month, make_user):
    clerk = make_user(Role.DATA_ENTRY, "01")
    events, audits = ChangeEvent.objects.count(), AuditEntry.objects.count()
    result = write_values([item(0, "DVC_TONG", "01", month, 10), item(1, "DVC_TONG", "79", month, 5)],
                          actor=None, channel="api")
    assert result.written
    event = ChangeEvent.objects.latest("id")
    assert ChangeEvent.objects.count() == events + 1 and AuditEntry.objects.count() == audits + 1
    written = parse(event)
    assert (event.kind, event.units, event.periods, written.batch) == ("datavalues", ["01", "79"], [month],
                                                                       result.batch_id)
    assert (written.imported, written.updated, written.deleted, written.ignored, written.channel) == (2, 0, 0, 0, "api")
    write_values([item(0, "DVC_TONG", "01", month, 10)], actor=clerk, channel="api")  # unchanged: nothing emitted
    assert ChangeEvent.objects.count() == events + 1


@pytest.mark.parametrize(("element", "raw", "code"), [
    ("DVC_TONG", "abc", "not_a_number"),
    ("DVC_TONG", "-5", "negative"),
    ("DVC_TONG", "12,5", "not_an_integer"),
    ("DVC_TONG", "", "value_missing"),
    ("TYLE_XA", "139,5", "above_100"),
    ("NGAY_KET_NOI", "31/02/2025", "not_a_date"),
])
def test_values_of_the_wrong_type_are_refused_naming_the_field(elements, month, element, raw, code):
    unit = "00004" if element == "TYLE_XA" else "01"
    result = write_values([item(0, element, unit, month, raw)], actor=None, channel="api")
    assert result.status == "ERROR" and [(c.index, c.field, c.code) for c in result.conflicts] == [(0, "value", code)]
    assert result.conflicts[0].message_vi and result.conflicts[0].message_en
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(("element", "raw", "text"), [
    ("DVC_TONG", "1.084", "1084"),  # thousands, the Vietnamese way
    ("DVC_TONG", "1,084", "1084"),
    ("TYLE_XA", "39,51", "39.51"),  # decimal comma
    ("TYLE_XA", "39.51", "39.51"),
    ("TYLE_XA", 15.21, "15.21"),
    ("NGAY_KET_NOI", "31/07/2025", "2025-07-31"),  # a date typed as text, day first
])
def test_values_written_by_people_are_read_by_type(elements, month, element, raw, text):
    unit = "00004" if element == "TYLE_XA" else "01"
    result = write_values([item(0, element, unit, month, raw)], actor=None, channel="excel")
    assert result.created == 1, result.conflicts
    assert stored(element, unit, month).value == text


def test_metadata_errors_name_the_field(elements, month):
    result = write_values([
        item(0, "KHONG_CO", "01", month, 1),
        item(1, "DVC_TONG", "99", month, 1),
        item(2, "DVC_TONG", "01", "2025Q3", 1),
        item(3, "DVC_TONG", "01", "2025-13", 1),
        item(4, "DVC_TONG", "00004", month, 1),  # a ward does not report this element
        item(5, "TYLE_XA", "01", month, 1),
    ], actor=None, channel="api", atomic=False)
    assert [(c.index, c.field, c.code) for c in result.conflicts] == [
        (0, "dataElement", "unknown_data_element"), (1, "orgUnit", "unit_not_found"),
        (2, "period", "period_type_mismatch"), (3, "period", result.conflicts[3].code),
        (4, "orgUnit", "unit_kind_not_reporting"), (5, "orgUnit", "unit_kind_not_reporting")]
    assert result.status == "ERROR" and result.rejected == 6


def test_a_unit_written_by_its_old_name_lands_on_its_successor_with_a_warning(elements, month):
    result = write_values([item(0, "DVC_TONG", "Tỉnh Hà Giang", month, 77)], actor=None, channel="excel")
    assert result.created == 1 and result.status == "WARNING"
    assert result.warnings[0].code == "unit_succeeded"
    assert DataValue.objects.get().unit.name.endswith("Tuyên Quang")


def test_a_dissolved_unit_cannot_report_after_it_ended(elements, month):
    result = write_values([item(0, "DVC_TONG", "BTTTT", month, 3)], actor=None, channel="api")
    assert [c.code for c in result.conflicts] == ["unit_not_in_force"]


def test_scope_a_province_cannot_write_another_province(elements, month, make_user):
    hanoi_clerk = make_user(Role.DATA_ENTRY, "01")
    result = write_values([item(0, "DVC_TONG", "01", month, 5), item(1, "DVC_TONG", "79", month, 5)],
                          actor=hanoi_clerk, channel="api", atomic=False)
    assert result.created == 1 and [(c.index, c.code) for c in result.conflicts] == [(1, "forbidden")]
    viewer = make_user(Role.VIEWER, "CP")
    assert write_values([item(0, "DVC_TONG", "79", month, 5)], actor=viewer, channel="api").conflicts[0].code == \
        "forbidden"


def test_future_periods_are_refused_and_closed_ones_until_reopened(elements, today, make_user):
    future = period_of(PeriodType.MONTHLY, today).next().id
    assert write_values([item(0, "DVC_TONG", "01", future, 1)], actor=None, channel="api").conflicts[0].code == \
        "future_period"
    old = period_of(PeriodType.MONTHLY, today - datetime.timedelta(days=200)).id
    refused = write_values([item(0, "DVC_TONG", "01", old, 1)], actor=None, channel="api")
    assert refused.conflicts[0].code == "period_closed"
    ReportingWindow.objects.create(period=old, unit=DataValue._meta.get_field("unit").related_model.objects.get(
        code="01"), state="open", reason="Bổ sung số liệu", set_by="admin", set_at=datetime.datetime.now(
        datetime.UTC))
    assert write_values([item(0, "DVC_TONG", "01", old, 1)], actor=None, channel="api").created == 1
    assert write_values([item(0, "DVC_TONG", "79", old, 1)], actor=None, channel="api").conflicts[0].code == \
        "period_closed"  # the reopening covers Hà Nội's subtree only


def test_the_same_key_twice_is_refused_naming_both_indexes(elements, month):
    result = write_values([item(0, "DVC_TONG", "01", month, 5), item(1, "DVC_TONG", "79", month, 6),
                           item(2, "DVC_TONG", "01", month, 7)], actor=None, channel="api", atomic=False)
    assert result.created == 1
    assert [(c.index, c.code, c.indexes) for c in result.conflicts] == [
        (0, "duplicate_in_batch", [0, 2]), (2, "duplicate_in_batch", [0, 2])]


def test_an_atomic_batch_with_one_bad_item_writes_nothing(elements, month):
    counts = (DataValue.objects.count(), AuditEntry.objects.count(), ChangeEvent.objects.count())
    result = write_values([item(0, "DVC_TONG", "01", month, 5), item(1, "DVC_TONG", "79", month, "x")],
                          actor=None, channel="api")
    assert result.status == "ERROR" and result.rejected == 2 and not result.written
    assert (DataValue.objects.count(), AuditEntry.objects.count(), ChangeEvent.objects.count()) == counts
    kept = write_values([item(0, "DVC_TONG", "01", month, 5), item(1, "DVC_TONG", "79", month, "x")],
                        actor=None, channel="api", atomic=False)
    assert (kept.status, kept.created, kept.rejected) == ("WARNING", 1, 1)


def test_a_dry_run_counts_but_writes_nothing(elements, month):
    result = write_values([item(0, "DVC_TONG", "01", month, 5)], actor=None, channel="api", dry_run=True)
    assert result.created == 1 and not result.written and not DataValue.objects.exists()


def test_validation_rules_between_values_refuse_with_their_message(elements, month):
    write_values([item(0, "DVC_TONG", "01", month, 100)], actor=None, channel="api")
    result = write_values([item(0, "DVC_TOANTRINH", "01", month, 120)], actor=None, channel="api")
    assert [c.code for c in result.conflicts] == ["rule:DVC_TOANTRINH_LE_TONG"]
    assert "không được lớn hơn" in result.conflicts[0].message_vi and "120" in result.conflicts[0].message_vi
    # Both in one batch: the rule sees the batch's own values.
    both = write_values([item(0, "DVC_TOANTRINH", "01", month, 120), item(1, "DVC_TONG", "01", month, 130)],
                        actor=None, channel="api")
    assert both.conflicts == [] and both.created == 1 and both.updated == 1


def test_strategies_create_update_delete(elements, month):
    write_values([item(0, "DVC_TONG", "01", month, 5)], actor=None, channel="api")
    create = write_values([item(0, "DVC_TONG", "01", month, 6)], actor=None, channel="api", strategy=Strategy.CREATE)
    assert [c.code for c in create.conflicts] == ["already_exists"]
    update = write_values([item(0, "DVC_TONG", "79", month, 6)], actor=None, channel="api", strategy=Strategy.UPDATE)
    assert [c.code for c in update.conflicts] == ["does_not_exist"]
    delete = write_values([item(0, "DVC_TONG", "01", month, None)], actor=None, channel="api",
                          strategy=Strategy.DELETE)
    assert delete.deleted == 1 and not DataValue.objects.exists()
    assert DataValueHistory.objects.get().kind == "deleted"


def test_an_outlier_is_accepted_flagged_and_asks_for_a_comment(elements, today):
    ReportingWindow.objects.all().delete()
    months = [period_of(PeriodType.MONTHLY, today).previous()]
    for _ in range(5):
        months.insert(0, months[0].previous())
    for n, period in enumerate(months[:-1]):
        write_values([item(0, "DVC_TONG", "01", period.id, 100 + n)], actor=None, channel="api", check_windows=False)
    result = write_values([item(0, "DVC_TONG", "01", months[-1].id, 5000)], actor=None, channel="api",
                          check_windows=False)
    assert result.created == 1 and [w.code for w in result.warnings] == ["outlier_needs_comment"]
    assert stored("DVC_TONG", "01", months[-1].id).follow_up is True
    explained = write_values([item(0, "DVC_TONG", "01", months[-1].id, 5001, comment="Sáp nhập tỉnh")],
                             actor=None, channel="api", check_windows=False)
    assert explained.warnings == []


@pytest.mark.parametrize("items", [1, 60], ids=["light", "set-based"])
def test_an_unchanged_value_sent_again_keeps_its_follow_up_flag(elements, month, items):
    """A file sent again after a crash carries `followup=false` (as DHIS2's export writes it) for a value flagged
    for follow-up since (by an outlier check — skipped above 20,000 values, so not flagged again — or by hand):
    the value and comment are unchanged, so is the flag, and no history row is written (8,829 were)."""
    write_values([item(0, "DVC_TONG", "01", month, 5000, follow_up=True)], actor=None, channel="api")
    others = ["79", "48", "31", "92", "75", "66", "56", "38", "40", "44", "46", "52", "04", "08", "11", "12", "14",
              "15", "19", "20", "22", "24", "25", "33", "37", "42", "51", "68", "80", "82", "86", "91", "96"]
    again = [item(0, "DVC_TONG", "01", month, "5000", follow_up=False)]
    again += [item(i, element, code, month, 7, follow_up=False) for i, (element, code) in enumerate(
        [(e, c) for e in ("DVC_TONG", "DVC_TOANTRINH") for c in others][:items - 1], 1)]
    result = write_values(again, actor=None, channel="dhis2")
    assert result.conflicts == [] and result.unchanged == 1
    assert stored("DVC_TONG", "01", month).follow_up is True
    assert not DataValueHistory.objects.filter(unit__code="01").exists()
    changed = write_values([item(0, "DVC_TONG", "01", month, "5001", follow_up=False)], actor=None, channel="api")
    assert changed.updated == 1 and stored("DVC_TONG", "01", month).follow_up is False  # a new value takes it


@pytest.mark.parametrize("items", [2, 60], ids=["light", "set-based"])
def test_a_locked_cell_takes_its_own_values_again_unchanged_and_refuses_a_change(elements, month, make_user, unit,
                                                                                  items):
    """A sync sending an approved month again converges: values equal to the stored ones change nothing and are
    counted unchanged (they were refused `approved_locked`: a full pull reported 1,094 of 1,558 rejected)."""
    clerk, approver = make_user(Role.DATA_ENTRY, "01"), make_user(Role.APPROVER, "CP")
    write_values([item(0, "DVC_TONG", "01", month, 400, comment="đã rà soát"), item(1, "DVC_TOANTRINH", "01", month, 120)],
                 actor=clerk, channel="api")
    approval.submit(unit("01"), month, clerk)
    approval.approve(unit("01"), month, approver)
    others = [c for c in ("79", "48", "31", "92", "75", "66", "56", "38", "40", "44", "46", "52", "04", "08", "11",
                          "12", "14", "15", "19", "20", "22", "24", "25", "33", "37", "42", "51", "68", "80", "82")]
    padding = [item(i, e, c, month, 1) for i, (e, c) in
               enumerate([(e, c) for e in ("DVC_TONG", "DVC_TOANTRINH") for c in others][:max(items - 2, 0)], 2)]
    same = write_values([item(0, "DVC_TONG", "01", month, "400"), item(1, "DVC_TOANTRINH", "01", month, "120"),
                         *padding], actor=None, channel="dhis2")
    assert same.conflicts == [] and same.unchanged == 2
    changed = write_values([item(0, "DVC_TONG", "01", month, "401"), item(1, "DVC_TOANTRINH", "01", month, "120",
                                                                             comment="sửa ghi chú"), *padding],
                           actor=None, channel="dhis2", atomic=False)
    assert [(c.index, c.code) for c in changed.conflicts] == [(0, "approved_locked"), (1, "approved_locked")]
    gone = write_values([item(0, "DVC_TONG", "01", month, None, deleted=True)], actor=clerk, channel="api")
    assert [c.code for c in gone.conflicts] == ["approved_locked"]
    assert stored("DVC_TONG", "01", month).value == "400" and approval.verify(unit("01"), month).intact


def test_approval_locks_and_unlocking_needs_a_reason(elements, month, make_user, unit):
    clerk, hanoi_approver = make_user(Role.DATA_ENTRY, "01"), make_user(Role.APPROVER, "01")
    national = make_user(Role.APPROVER, "CP")
    write_values([item(0, "DVC_TONG", "01", month, 5)], actor=clerk, channel="web")
    approval.submit(unit("01"), month, clerk)
    with pytest.raises(PermissionDenied):
        approval.approve(unit("01"), month, hanoi_approver)  # a unit does not approve itself
    approval.approve(unit("01"), month, national)
    locked = write_values([item(0, "DVC_TONG", "01", month, 6)], actor=clerk, channel="web")
    assert [c.code for c in locked.conflicts] == ["approved_locked"]
    with pytest.raises(approval.ApprovalError):
        approval.unlock(unit("01"), month, national, reason=" ")
    approval.unlock(unit("01"), month, national, reason="Sai số liệu tháng")
    assert write_values([item(0, "DVC_TONG", "01", month, 6)], actor=clerk, channel="web").updated == 1
    assert AuditEntry.objects.filter(action="approval.unlock", after__reason="Sai số liệu tháng").exists()


def test_commune_data_is_approved_by_its_province(elements, month, make_user, unit):
    ward = unit("00004")
    clerk = make_user(Role.DATA_ENTRY, "00004")
    write_values([item(0, "TYLE_XA", "00004", month, "45,5")], actor=clerk, channel="web")
    approval.submit(ward, month, clerk)
    approval.approve(ward, month, make_user(Role.APPROVER, ward.parent.code))
    assert approval.state_of(ward, month) == "approved"


def test_a_crash_in_the_middle_of_writing_leaves_the_database_as_it_was(elements, month, monkeypatch):
    write_values([item(0, "DVC_TONG", "01", month, 5)], actor=None, channel="api")
    counts = (DataValue.objects.count(), DataValueHistory.objects.count(), AuditEntry.objects.count(),
              ChangeEvent.objects.count())

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    # The event is the last thing written: by then the values, history and audit rows are in.
    monkeypatch.setattr("govkpi.datavalues.writer.emit", crash)
    with pytest.raises(RuntimeError):
        write_values([item(0, "DVC_TONG", "01", month, 6), item(1, "DVC_TONG", "79", month, 7)], actor=None,
                     channel="api")
    assert (DataValue.objects.count(), DataValueHistory.objects.count(), AuditEntry.objects.count(),
            ChangeEvent.objects.count()) == counts
    assert stored("DVC_TONG", "01", month).value == "5"


def test_completeness_counts_expected_received_on_time_and_missing(elements, month, unit):
    from govkpi.datavalues.completeness import completeness

    write_values([item(0, "DVC_TONG", "01", month, 5)], actor=None, channel="api")
    figures = completeness(unit("01"), month)
    # Written today, more than 15 days after last month ended: late.
    late_by = (timezone.localdate() - figures.due).days
    assert (figures.expected, figures.received, figures.on_time, figures.late) == (
        3, 1, int(late_by <= 0), int(late_by > 0))
    assert figures.missing == ("DVC_TOANTRINH", "NGAY_KET_NOI") and round(figures.rate, 1) == 33.3
    value = DataValue.objects.get()
    value.created_at = datetime.datetime.combine(figures.due, datetime.time(12), tzinfo=datetime.UTC)
    value.save()
    assert completeness(unit("01"), month).on_time == 1
    assert completeness(unit("00004"), month).expected == 2  # a ward: its own element and the all-tier one


def test_an_element_or_unit_with_values_cannot_be_deleted_without_a_database_constraint(elements, month, unit):
    # The values table has no foreign-key constraint in the database (docs/performance.md): PROTECT must hold.
    from django.db.models import ProtectedError

    write_values([item(0, "DVC_TONG", "01", month, 5)], actor=None, channel="api")
    with pytest.raises(ProtectedError):
        elements["DVC_TONG"].delete()
    with pytest.raises(ProtectedError):
        unit("01").delete()
    assert stored("DVC_TONG", "01", month).value == "5"


def test_a_rule_that_is_not_a_plain_comparison_is_checked_over_the_stored_and_the_batch_values(elements, month):
    # `#{A} op #{B}` rules are checked by one query; any other formula is evaluated in Python over its cells.
    ValidationRule.objects.create(code="HALF_AT_MOST", left="#{DVC_TOANTRINH} * 2", operator="<=",
                                  right="#{DVC_TONG}", message_vi="Không quá nửa.", message_en="At most half.")
    write_values([item(0, "DVC_TONG", "01", month, 100)], actor=None, channel="api")
    result = write_values([item(0, "DVC_TOANTRINH", "01", month, 60), item(1, "DVC_TOANTRINH", "79", month, 60)],
                          actor=None, channel="api", atomic=False)
    # 01: 60 × 2 > 100 stored; 79 has no total, so neither rule has both sides there.
    assert [(c.index, c.code, c.indexes) for c in result.conflicts] == [(0, "rule:HALF_AT_MOST", [0])]
    assert result.conflicts[0].message_en == "At most half. (#{DVC_TOANTRINH} * 2 = 120, #{DVC_TONG} = 100)"
    assert (result.created, result.rejected) == (1, 1)
    both = write_values([item(0, "DVC_TOANTRINH", "01", month, 60), item(1, "DVC_TONG", "01", month, 90)],
                        actor=None, channel="api")
    assert [(c.index, c.code, c.indexes) for c in both.conflicts] == [
        (0, "rule:HALF_AT_MOST", [0, 1]), (1, "rule:HALF_AT_MOST", [0, 1])]
    assert both.written is False and stored("DVC_TONG", "01", month).value == "100"
