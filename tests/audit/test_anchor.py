"""An anchor kept outside the database catches what the hash chain alone cannot: rows removed from the end."""

import pytest
from django.db import connection

from govkpi.audit.anchor import Anchor
from govkpi.audit.models import AuditEntry
from govkpi.audit.trail import head_anchor, record, verify_trail
from govkpi.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    for i in range(5):
        record("test.write", actor="tester", object_type="Thing", object_key=f"K{i}", after={"value": i})
    return list(AuditEntry.objects.order_by("seq"))


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def anchor_printed(capsys):
    assert main(["audit", "anchor"]) == 0
    return capsys.readouterr().out.strip()


def test_anchor_prints_the_heads_sequence_and_digest(trail, capsys):
    assert anchor_printed(capsys) == f"5:{trail[-1].hash}"
    assert head_anchor() == Anchor(5, trail[-1].hash)


def test_verify_with_the_anchor_passes_on_an_untouched_trail_and_after_more_rows(trail, capsys):
    anchor = anchor_printed(capsys)
    assert main(["audit", "verify", "--expect", anchor]) == 0
    record("test.write", actor="tester", object_key="K5")
    assert main(["audit", "verify", "--expect", anchor]) == 0


def test_newest_rows_deleted_fail_against_the_anchor(trail, capsys):
    anchor = anchor_printed(capsys)
    sql("DELETE FROM audit_auditentry WHERE seq >= 4")
    assert verify_trail().clean  # what the chain alone says: a shorter trail is still a whole chain
    assert main(["audit", "verify", "--expect", anchor]) == 1
    out = capsys.readouterr()
    assert "#4–#5: bị cắt cuối / truncated" in out.out and "tampered" in out.err


def test_an_emptied_trail_fails_against_the_anchor(trail, capsys):
    anchor = anchor_printed(capsys)
    sql("DELETE FROM audit_auditentry")
    assert main(["audit", "verify"]) == 0  # intact, 0 rows: the finding
    capsys.readouterr()
    assert main(["audit", "verify", "--expect", anchor]) == 1
    assert "nhật ký trống / trail emptied" in capsys.readouterr().out


def test_a_trail_cut_and_regrown_fails_against_the_anchor(trail, capsys):
    """Delete the newest rows and let the application append new ones: the chain is whole, the anchor's row is
    another one."""
    anchor = anchor_printed(capsys)
    sql("DELETE FROM audit_auditentry WHERE seq >= 3")
    for i in range(4):
        record("test.write", actor="tester", object_key=f"N{i}")
    assert verify_trail().clean
    assert main(["audit", "verify", "--expect", anchor]) == 1
    assert "#5: khác mốc / differs from the anchor" in capsys.readouterr().out


def test_a_malformed_anchor_is_refused_in_both_languages(trail, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["audit", "verify", "--expect", "5:nothex"])
    assert stopped.value.code != 0
    err = capsys.readouterr().err
    assert "Mốc không hợp lệ" in err and "Invalid anchor" in err


def test_anchor_of_an_empty_trail_says_so(capsys):
    assert main(["audit", "anchor"]) == 1
    assert "empty" in capsys.readouterr().err


def test_the_key_rotates_old_rows_verify_with_the_retired_key(trail, settings):
    old = settings.AUDIT_KEY
    settings.AUDIT_KEY, settings.AUDIT_RETIRED_KEYS = "a-new-key-" + "x" * 40, [old]
    record("test.write", actor="tester", object_key="after rotation")
    assert verify_trail().clean
    settings.AUDIT_RETIRED_KEYS = []  # the old key forgotten: its rows no longer verify
    assert [p.split(":")[0] for p in verify_trail().problems] == ["#1", "#2", "#3", "#4", "#5"]


def test_a_row_signed_with_a_retired_key_after_the_rotation_is_reported(trail, settings):
    old = settings.AUDIT_KEY
    settings.AUDIT_KEY, settings.AUDIT_RETIRED_KEYS = "a-new-key-" + "x" * 40, [old]
    record("test.write", actor="tester", object_key="after rotation")
    # Whoever kept the retired key appends a row signed with it.
    settings.AUDIT_KEY, settings.AUDIT_RETIRED_KEYS = old, []
    record("test.write", actor="intruder", object_key="forged")
    settings.AUDIT_KEY, settings.AUDIT_RETIRED_KEYS = "a-new-key-" + "x" * 40, [old]
    assert verify_trail().problems == ["#7: ký bằng khóa đã thay / signed with a retired key after the rotation"]
