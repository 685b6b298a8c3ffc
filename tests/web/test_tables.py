"""The communes table written in Python: the cells a reader sees, in each language, and a commune with no score."""

import pytest
from django.utils import translation

from govkpi.evaluation.models import Score
from govkpi.orgunits.models import OrgUnit
from govkpi.web.templatetags.govkpi_tables import commune_row

pytestmark = pytest.mark.django_db


def test_a_scored_commune_row_links_its_rank_and_writes_numbers_in_the_language():
    ba_dinh = OrgUnit.objects.get(code="00004")
    score = Score(unit=ba_dinh, period="202507", rank=3, previous_rank=5, value=81.2345,
                  components={"indicators": {"score": 90.5}, "tasks": {"score": None}, "quality": {"score": 70}})
    with translation.override("vi"):
        html = commune_row({"unit": ba_dinh, "score": score})
    assert '<td class="num" data-value="3"><a href="/units/00004/score/?period=202507">3</a></td>' in html
    assert '<td class="num" data-value="81.2345"><a href="/units/00004/score/?period=202507">81,23</a></td>' in html
    assert "Lên 2 bậc so với kỳ trước" in html and "▲2" in html
    assert '<td class="num" data-value="90.5">90,50</td>' in html and '<td class="num" data-value="">—</td>' in html
    assert f'<a href="/units/00004/">{ba_dinh.name}</a> <span class="code">00004</span>' in html
    with translation.override("en"):
        assert ">81.23</a>" in commune_row({"unit": ba_dinh, "score": score})


def test_a_commune_without_a_score_shows_dashes_and_escapes_its_name():
    commune = OrgUnit(code="99999", name='Xã "Thử" <b>')
    html = commune_row({"unit": commune, "score": None})
    assert html.count('<td class="num" data-value="">—</td>') == 5  # rank, score and the three components
    assert '<td class="num" data-value=""></td>' in html  # no rank change
    assert "&lt;b&gt;" in html and "<b>" not in html and "&quot;Thử&quot;" in html
