"""Unit scores: the composite of indicators, tasks and quality, ranked in peer groups, versioned, explainable."""

import datetime

import pytest
from django.utils import timezone

from govkpi.datavalues.models import DataValue
from govkpi.evaluation import engine, scores
from govkpi.evaluation.models import Methodology, Score
from govkpi.evaluation.quality import database_quality
from govkpi.events.models import ChangeEvent
from govkpi.indicators.databases import load_databases
from govkpi.indicators.models import TrackedDatabase

from .test_engine import JULY, write

pytestmark = pytest.mark.django_db
HANOI = (1500 / 2000 * 100) / 80 * 100  # achievement 93.75
HCMC = (2451 / 8000 * 100) / 80 * 100  # achievement 38.296875
QUALITY = (100 + 0 + 100 + 100) / 4  # all received, none on time (written today for July 2025), clean, from an API


def score(unit, period=JULY):
    return Score.objects.get(unit__code=unit, period=period, valid_to__isnull=True)


@pytest.fixture
def two_provinces(catalog):  # noqa: F811
    write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
          ("DVC_TONG", "79", 8000))
    engine.process_pending()


def test_the_composite_weighs_indicators_and_quality_and_ranks_the_provinces(two_provinces):
    hanoi, hcmc = score("01"), score("79")
    # No tasks: their weight 0.3 is spread over indicators (0.5) and quality (0.2).
    assert hanoi.value == pytest.approx((HANOI * 0.5 + QUALITY * 0.2) / 0.7, abs=1e-5)
    assert hcmc.value == pytest.approx((HCMC * 0.5 + QUALITY * 0.2) / 0.7, abs=1e-5)
    assert (hanoi.rank, hcmc.rank, hanoi.group_size, hanoi.group) == (1, 2, 34, "provinces")
    # The 32 other provinces owed the same two values and sent none: đủ and sống 0, so a score of 0, third.
    silent = score("48")
    assert (silent.value, silent.rank, silent.components["quality"]["expected"]) == (0, 3, 2)
    quality = hanoi.components["quality"]
    assert (quality["du"], quality["song"], quality["sach"], quality["dung"]) == (100, 0, 100, 100)
    assert hanoi.components["tasks"]["score"] is None and hanoi.components["tasks"]["effective_weight"] == 0
    # The result keeps counting for the following months, with its rank carried as the previous rank.
    august = score("01", "202508")
    assert august.value == pytest.approx(HANOI, abs=1e-5) and august.previous_rank == 1 and august.rank_change == 0
    assert ChangeEvent.objects.filter(kind="scores").exists()


def test_a_change_reranks_and_the_old_ranking_stays_readable_as_of_before(two_provinces):
    before = timezone.now()
    write(("DVC_TOANTRINH", "79", 7900))  # 98.75%: achievement capped at 100
    engine.process_pending()
    assert (score("79").rank, score("01").rank) == (1, 2)
    then = {s.unit.code: s.rank for s in scores.scores_as_of(before).filter(group="provinces", period=JULY)}
    assert (then["01"], then["79"]) == (1, 2)
    assert score("79", "202508").rank_change == 0 and score("79", "202508").previous_rank == 1
    assert engine.verify() == []


def test_an_unexplained_outlier_makes_the_data_less_clean(two_provinces):
    DataValue.objects.filter(unit__code="01", data_element__code="DVC_TONG").update(follow_up=True)
    scores.update_scores({("provinces", JULY)})
    assert score("01").components["quality"]["sach"] == 50.0
    assert score("79").components["quality"]["sach"] == 100.0


def test_a_new_methodology_version_applies_from_its_date_and_never_changes_the_old(two_provinces):
    first = Methodology.objects.get(version=1)
    with pytest.raises(ValueError):
        first.definition = {"components": {"indicators": 1}}
        first.save()
    second = scores.publish_methodology({"components": {"indicators": 0.2, "quality": 0.8}},
                                        datetime.date(2025, 8, 1), notes="test")
    assert second.version == 2
    assert score("01").methodology.version == 1  # July 2025 keeps the version it was computed with
    assert score("01", "202508").methodology.version == 2
    with pytest.raises(ValueError):
        scores.publish_methodology({"components": {"indicators": -1}}, datetime.date(2025, 9, 1))
    with pytest.raises(ValueError):
        scores.publish_methodology({"components": {"indicators": 1}}, datetime.date(2025, 7, 1))  # before v2
    assert engine.verify() == []


def test_explain_and_rankings_api(client, two_provinces, make_user):
    client.force_login(make_user("viewer", "CP"))  # a reader: the months are still provisional (all_provisional)
    ranking = client.get("/api/v1/rankings", {"group": "provinces", "period": JULY}).json()
    assert [(i["rank"], i["unit"]) for i in ranking["items"]][:3] == [(1, "01"), (2, "79"), (3, "04")]  # "04" is the first code after 01 (02 and 03 merged away)
    assert ranking["methodology_version"] == 1 and ranking["demo"] is False
    assert client.get("/api/v1/rankings", {"group": "communes"}).status_code == 400
    body = client.get("/api/v1/scores/79/explain", {"period": JULY}).json()
    item = body["score"]["components"]["indicators"]["items"][0]
    assert (item["indicator"], item["target"], item["inputs"]["DVC_TONG"]) == ("DVC_TOANTRINH_TYLE", 80.0, 8000.0)
    assert item["achievement"] == pytest.approx(HCMC)
    assert [p["unit"] for p in body["peers"]][:2] == ["01", "79"] and len(body["peers"]) == 34
    assert body["methodology"]["definition"]["components"]["indicators"] == 0.5
    quality = client.get("/api/v1/quality", {"unit": "79", "period": JULY}).json()["items"]
    assert [(q["du"], q["song"], q["sach"], q["dung"], q["score"]) for q in quality] == [(100, 0, 100, 100, QUALITY)]
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/rankings", {"group": "provinces", "as_of": yesterday}).json()["items"] == []
    assert client.get("/api/v1/scores/79/explain", {"period": "202001"}).status_code == 404


def test_database_quality_and_the_registry():
    today = datetime.date(2026, 11, 23)
    measures = database_quality(1000, 900, 810, 450, datetime.date(2026, 9, 24), 30, today)
    # đủ 900/1000; sạch 810/900; đúng 450/900; sống: 60 days since the update, one interval late → 50.
    assert measures == {"du": 90.0, "song": 50.0, "sach": 90.0, "dung": 50.0, "score": 70.0}
    created, updated = load_databases()
    assert (created, updated) == (32, 0) and load_databases() == (0, 32)
    population = TrackedDatabase.objects.get(code="CSDL_DANCU")
    assert population.owner.code == "BCA" and population.kind == "national" and population.demo
    assert TrackedDatabase.objects.filter(owner__isnull=True).count() == 0


def test_the_command_line_lists_and_publishes_methodology_versions(two_provinces, tmp_path, capsys):
    from govkpi.cli import main

    assert main(["methodology", "list"]) == 0 and "v1" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"components": {"luck": 1}}')
    assert main(["methodology", "publish", str(bad), "--from", "2025-08-01"]) == 1
    assert Methodology.objects.count() == 1  # nothing written
    repeated = tmp_path / "repeated.json"  # the second "indicators" would silently have won
    repeated.write_text('{"components": {"indicators": 0.6, "tasks": 0.2, "quality": 0.2, "indicators": 0.1}}')
    assert main(["methodology", "publish", str(repeated), "--from", "2025-08-01"]) == 1
    assert "indicators" in capsys.readouterr().err and Methodology.objects.count() == 1
    good = tmp_path / "v2.json"
    good.write_text('{"components": {"indicators": 0.6, "tasks": 0.2, "quality": 0.2}}')
    assert main(["methodology", "publish", str(good), "--from", "2025-08-01", "--notes", "Kết luận mới"]) == 0
    assert "v2" in capsys.readouterr().out
    assert score("01", "202508").methodology.version == 2 and score("01").methodology.version == 1
