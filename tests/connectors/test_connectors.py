"""The parts of a pull that need no second server: what a connector asks for, how codes are mapped, where
its token comes from, what is refused when it is added, and when a scheduled pull is due. The pull itself,
against a second govkpi, is tests/test_federation.py."""

import datetime

import pytest
from django.utils import timezone

from govkpi.connectors.models import ConnectorRun, RunState
from govkpi.connectors.pull import ConnectorError, due, export_params, mapped, token_of
from govkpi.connectors.registry import add_connector, remove_connector
from govkpi.datavalues.writer import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector(make_user):
    make_user("data_entry", "01", username="keo")
    return add_connector("ha-noi", "https://hanoi.example.vn/", run_as="keo", org_units=["01"],
                         data_sets=["CDS"], token_env="HANOI_TOKEN", unit_map=["HN=01"],
                         element_map=["dvc_total=DVC_TONG"])


def test_a_first_pull_asks_for_everything_and_a_later_one_for_what_changed_in_the_sources_time(connector):
    first = export_params(connector, None, "UTC")
    assert first == {"orgUnit": ["01"], "children": "true", "includeDeleted": "true", "lastUpdated": "1970-01-01",
                     "dataSet": ["CDS"]}
    since = datetime.datetime(2026, 9, 30, 17, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    # The source says it keeps Viet Nam's time: lastUpdated is written in its clock, milliseconds, no offset.
    assert export_params(connector, since, "Asia/Ho_Chi_Minh")["lastUpdated"] == "2026-10-01T00:00:00.123"


def test_source_codes_are_mapped_and_others_pass_unchanged(connector):
    items = [Item(0, "dvc_total", "202509", "HN", "5"), Item(1, "DVC_TOANTRINH", "202509", "79", "3")]
    assert [(i.data_element, i.unit) for i in mapped(items, connector.code_map)] == [
        ("DVC_TONG", "01"), ("DVC_TOANTRINH", "79")]


def test_the_token_comes_from_the_environment_or_a_file_and_never_from_the_database(connector, monkeypatch,
                                                                                   tmp_path):
    monkeypatch.delenv("HANOI_TOKEN", raising=False)
    with pytest.raises(ConnectorError) as missing:
        token_of(connector)
    assert missing.value.code == "no_token" and "HANOI_TOKEN" in missing.value.message_en
    monkeypatch.setenv("HANOI_TOKEN", " gk_abc \n")
    assert token_of(connector) == "gk_abc"
    connector.token_env, connector.token_file = "", str(tmp_path / "token")
    (tmp_path / "token").write_text("gk_from_file\n")
    assert token_of(connector) == "gk_from_file"
    connector.save()
    stored = str(list(type(connector).objects.filter(pk=connector.pk).values()))
    assert "gk_abc" not in stored and "gk_from_file" not in stored  # the database names where it lives only


@pytest.mark.parametrize("change, code", [({"url": "ftp://x"}, "bad_url"), ({"run_as": "nobody"}, "no_such_user"),
                                          ({"token_env": ""}, "no_token"), ({"org_units": []}, "nothing_to_pull"),
                                          ({"unit_map": ["HN"]}, "bad_code_map"), ({"name": "ha-noi"},
                                                                                    "connector_exists")])
def test_a_connector_that_could_not_run_is_refused_when_added(connector, change, code):
    arguments = {"name": "other", "url": "https://x.example.vn", "run_as": "keo", "org_units": ["01"],
                 "data_sets": ["CDS"], "token_env": "T", **change}
    with pytest.raises(ConnectorError) as refused:
        add_connector(arguments.pop("name"), arguments.pop("url"), **arguments)
    assert refused.value.code == code and refused.value.message_vi and refused.value.message_en


def test_a_pull_is_due_when_its_interval_has_passed_since_the_last_one_began(connector):
    now = timezone.now()
    assert due(now) == [connector]  # never run
    ConnectorRun.objects.create(connector=connector, started_at=now - datetime.timedelta(minutes=30),
                                state=RunState.DONE)
    assert due(now) == []
    assert due(now + datetime.timedelta(minutes=31)) == [connector]
    connector.enabled = False
    connector.save()
    assert due(now + datetime.timedelta(minutes=31)) == []


def test_adding_and_removing_are_audited(connector):
    from govkpi.audit.models import AuditEntry

    remove_connector("ha-noi", removed_by="operator")
    actions = list(AuditEntry.objects.filter(object_type="connector").values_list("action", flat=True))
    assert actions == ["connector.added", "connector.removed"]
    with pytest.raises(ConnectorError):
        remove_connector("ha-noi")
