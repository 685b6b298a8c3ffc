"""The audit trail is append-only and tamper-evident: `govkpi audit verify` finds what changed behind its back."""

import pytest
from django.db import connection

from govkpi.audit.models import AuditEntry
from govkpi.audit.trail import record, verify_trail
from govkpi.cli import main
from govkpi.indicators.catalog import apply_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    for i in range(5):
        record("test.write", actor="tester", object_type="Thing", object_key=f"K{i}", unit="01",
               before={"value": i}, after={"value": i + 1, "tên": "Hà Nội"})
    return list(AuditEntry.objects.order_by("seq"))


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_untouched_trail_verifies_clean(trail, capsys):
    assert verify_trail().clean
    assert main(["audit", "verify"]) == 0
    assert "5" in capsys.readouterr().out


def test_rows_are_chained_in_sequence(trail):
    assert [e.seq for e in trail] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(trail, trail[1:]))


def test_the_application_refuses_to_change_or_delete_entries(trail):
    entry = trail[0]
    entry.action = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        trail[1].delete()


def test_a_row_edited_in_the_database_is_reported(trail, capsys):
    sql("UPDATE audit_auditentry SET after = %s WHERE seq = 3", ['{"value": 999}'])
    report = verify_trail()
    assert [p.split(":")[0] for p in report.problems] == ["#3"]
    assert main(["audit", "verify"]) == 1
    assert "#3" in capsys.readouterr().out


def test_a_row_deleted_in_the_database_is_reported(trail):
    sql("DELETE FROM audit_auditentry WHERE seq = 2")
    problems = verify_trail().problems
    assert any("#2" in p and "removed" in p for p in problems)
    assert any(p.startswith("#3") and "chain broken" in p for p in problems)


def test_a_row_inserted_in_the_database_is_reported(trail):
    last = trail[-1]
    sql("INSERT INTO audit_auditentry (seq, at, actor, action, object_type, object_key, unit, ip, before, after,"
        " prev_hash, hash) VALUES (%s, %s, 'intruder', 'test.write', 'Thing', 'K9', '01', '', NULL, %s, %s, %s)",
        (6, last.at, '{"value": 1}', last.hash, "f" * 64))
    problems = verify_trail().problems
    assert problems == ["#6: bị sửa hoặc chèn / changed or forged (its hash does not match its content)"]


def test_a_row_inserted_between_others_is_reported(trail):
    sql("UPDATE audit_auditentry SET seq = seq + 100 WHERE seq >= 3")
    sql("UPDATE audit_auditentry SET seq = seq - 99 WHERE seq >= 103")
    second = trail[1]
    sql("INSERT INTO audit_auditentry (seq, at, actor, action, object_type, object_key, unit, ip, before, after,"
        " prev_hash, hash) VALUES (3, %s, 'intruder', 'test.write', 'Thing', 'K7', '', '', NULL, NULL, %s, %s)",
        (second.at, second.hash, "e" * 64))
    problems = verify_trail().problems
    assert any(p.startswith("#3") for p in problems)
    assert any(p.startswith("#4") for p in problems)  # renumbered: its hash no longer matches


def test_catalog_writes_are_recorded_with_who_and_before_after(small_catalog, django_user_model):
    user = django_user_model.objects.create_user("danhmuc.test")
    apply_catalog(small_catalog, actor=user)
    created = AuditEntry.objects.get(action="catalog.indicators.create", object_key="DVC_TOANTRINH_TYLE")
    assert created.actor == "danhmuc.test" and created.after["formula"] == "#{DVC_TOANTRINH} / #{DVC_TONG} * 100"
    small_catalog["indicators"][0]["name_vi"] = "Tỷ lệ DVC toàn trình (sửa)"
    apply_catalog(small_catalog, actor=user)
    updated = AuditEntry.objects.get(action="catalog.indicators.update")
    assert updated.before["name_vi"] == "Tỷ lệ DVC trực tuyến toàn trình"
    assert updated.after["name_vi"] == "Tỷ lệ DVC toàn trình (sửa)"
    assert verify_trail().clean
