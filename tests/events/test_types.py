"""The typed change events: one schema per kind, refused when it does not fit, the same after the database."""

import importlib

import pytest
from django.apps import apps
from pydantic import ValidationError

from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import MAX_LISTED, emit
from govkpi.events.types import (KINDS, ApprovalChanged, ResultsChanged, ScoresChanged, TargetsChanged, TaskChanged,
                                 UnreadableEvent, ValuesWritten, parse)

pytestmark = pytest.mark.django_db

ONE_OF_EACH = [
    ValuesWritten(elements=("DVC_TONG", "DVC_TOANTRINH"), batch=7, imported=10, updated=2, deleted=1, ignored=3,
                  channel="api"),
    ApprovalChanged(state="approved", action="approve"),
    TaskChanged(task="NQ57/1", change="progress"),
    TargetsChanged(indicators=("DVC_TOANTRINH_TYLE",), elements=("DVC_TONG",)),
    ResultsChanged(changed=2, cells=(("DVC_TOANTRINH_TYLE", "01", "202509"), ("DVC_TOANTRINH_TYLE", "CP", "202509"))),
    ScoresChanged(changed=34, wide=True),
]


def test_every_kind_has_an_example_here():
    assert {type(change).KIND for change in ONE_OF_EACH} == set(KINDS)


@pytest.mark.parametrize("change", ONE_OF_EACH, ids=lambda c: c.KIND)
def test_each_kind_round_trips_through_the_database(change):
    written = emit(change, units=["79", "01"], periods=["202509"])
    row = ChangeEvent.objects.get(id=written.id)
    assert (row.kind, row.units, row.periods) == (change.KIND, ["01", "79"], ["202509"])
    assert parse(row) == change and type(parse(row)) is type(change)


def test_a_change_with_an_unknown_field_is_refused_when_built():
    with pytest.raises(ValidationError, match="imported_rows"):
        ValuesWritten(elements=(), batch=None, imported=0, updated=0, deleted=0, ignored=0, channel="api",
                      imported_rows=3)


def test_a_stored_payload_with_an_unknown_key_is_refused_naming_the_row_and_the_key():
    row = ChangeEvent.objects.create(at=emit(ScoresChanged(changed=1)).at, kind="scores",
                                     payload={"changed": 1, "wide": False, "written": 5})
    with pytest.raises(UnreadableEvent) as refused:
        parse(row)
    assert refused.value.code == "event_unreadable" and refused.value.event_id == row.id
    assert "written" in refused.value.message_vi and "written" in refused.value.message_en


def test_a_payload_missing_a_count_or_of_an_unknown_kind_is_refused():
    at = emit(ScoresChanged(changed=1)).at
    with pytest.raises(UnreadableEvent, match="changed"):
        parse(ChangeEvent.objects.create(at=at, kind="results", payload={}))
    with pytest.raises(UnreadableEvent, match="unknown kind"):
        parse(ChangeEvent.objects.create(at=at, kind="gossip", payload={}))


def test_a_task_change_outside_the_declared_ones_is_refused():
    with pytest.raises(ValidationError):
        TaskChanged(task="T1", change="renamed")


def test_a_change_past_max_listed_units_is_stored_wide_with_no_units():
    units = [f"U{i:04d}" for i in range(MAX_LISTED + 1)]
    row = emit(ResultsChanged(changed=1), units=units, periods=["202509"])
    assert (row.units, row.periods, parse(row).wide) == ([], ["202509"], True)


def test_rows_written_before_the_schemas_are_rewritten_into_them_by_the_migration():
    migration = importlib.import_module("govkpi.events.migrations.0002_typed_payloads")
    at = emit(ScoresChanged(changed=1)).at
    old = {
        "datavalues": {"batch": None, "elements": ["DVC_TONG"], "created": 3, "updated": 1, "unchanged": 2,
                       "deleted": 0, "rejected": 1},
        "task": {"task": "T1", "change": "created", "stage": "not_started"},
        "targets": {"indicators": ["DVC_TOANTRINH_TYLE"]},
        "results": {"changed": 2, "cells": [["DVC_TOANTRINH_TYLE", "01", "202509"]]},
    }
    rows = {kind: ChangeEvent.objects.create(at=at, kind=kind, payload=payload) for kind, payload in old.items()}
    migration.forwards(apps, None)
    written = parse(ChangeEvent.objects.get(id=rows["datavalues"].id))
    assert (written.imported, written.updated, written.deleted, written.ignored, written.written) == (3, 1, 0, 3, 4)
    assert parse(ChangeEvent.objects.get(id=rows["task"].id)) == TaskChanged(task="T1", change="created")
    assert parse(ChangeEvent.objects.get(id=rows["targets"].id)).indicators == ("DVC_TOANTRINH_TYLE",)
    assert parse(ChangeEvent.objects.get(id=rows["results"].id)).cells == (("DVC_TOANTRINH_TYLE", "01", "202509"),)
