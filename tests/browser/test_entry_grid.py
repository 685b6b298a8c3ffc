"""A disaggregated element in the entry form, in a real browser: one input per category option combo, each saved
by htmx through the one writer, the total redrawn; on a phone the form stacks instead of squeezing names."""

import subprocess

import pytest

from tests.browser.conftest import GOVKPI, sign_in

pytestmark = pytest.mark.slow

ELEMENT = "CBCC_DAOTAO_KYNANG_SO_THU"  # a test element: no indicator reads it, so no other page changes
FRAGMENT = f"""
categories:
  - code: GIOI_TINH
    name_vi: Giới tính
    name_en: Sex
    options:
      - {{code: NU, name_vi: Nữ, name_en: Female}}
      - {{code: NAM, name_vi: Nam, name_en: Male}}
category_combos:
  - code: GT
    name_vi: Theo giới tính
    name_en: By sex
    categories: [GIOI_TINH]
    option_combos:
      - {{options: [NU], code: F}}
      - {{options: [NAM], code: M}}
data_elements:
  - code: {ELEMENT}
    name_vi: Số cán bộ, công chức được đào tạo kỹ năng số (phần tử thử)
    name_en: Officials trained in digital skills (test element)
    unit: người
    value_type: count
    decimals: 0
    frequency: monthly
    unit_kinds: [ministry]
    themes: [CDS]
    published: false
    aggregation_units: sum
    aggregation_periods: sum
    category_combo: GT
"""


@pytest.fixture(scope="module")
def disaggregated_element(demo_database):
    catalog = demo_database["folder"] / "disaggregation.yaml"
    catalog.write_text(FRAGMENT, encoding="utf-8")
    subprocess.run([*GOVKPI, "catalog", "import", str(catalog)], env=demo_database["env"],
                   cwd=demo_database["folder"], check=True, capture_output=True, timeout=120)
    return ELEMENT


def test_each_combo_is_saved_on_its_own_and_the_total_follows(page, server, open_month, disaggregated_element):
    sign_in(page, server, "bkhcn.nhaplieu")
    page.goto(f"{server}/data/BKHCN/{open_month}/")
    female, male = page.locator(f"#v-{ELEMENT}-F"), page.locator(f"#v-{ELEMENT}-M")
    total, status = page.locator(f"#t-{ELEMENT}"), page.locator(f"#s-{ELEMENT}")
    assert page.locator(f"#f-{ELEMENT} thead").inner_text().split() == ["Nữ", "Female", "Nam", "Male", "Tổng", "Total"]
    female.fill("12")
    female.press("Tab")
    page.locator(f"#s-{ELEMENT}.saved").wait_for(timeout=5000)
    assert total.inner_text() == "12"
    male = page.locator(f"#v-{ELEMENT}-M")  # the grid was redrawn by the answer
    male.fill("9")
    male.press("Tab")
    page.locator(f"#t-{ELEMENT}:text-is('21')").wait_for(timeout=5000)
    page.locator(f"#v-{ELEMENT}-M").fill("chín")
    page.locator(f"#v-{ELEMENT}-M").press("Tab")
    page.locator(f"#s-{ELEMENT}.refused").wait_for(timeout=5000)
    assert "không phải là số" in status.inner_text()
    assert total.inner_text() == "21"  # the refused text changed nothing
    page.reload()
    assert (female.input_value(), page.locator(f"#v-{ELEMENT}-M").input_value(), total.inner_text()) == ("12", "9", "21")
    page.locator(f"#v-{ELEMENT}-F").fill("")  # emptying a cell deletes that combination only
    page.locator(f"#v-{ELEMENT}-F").press("Tab")
    page.locator(f"#t-{ELEMENT}:text-is('9')").wait_for(timeout=5000)
    assert page.problems == [], page.problems


def test_on_a_phone_the_form_stacks_and_names_keep_their_width(page, server, open_month, disaggregated_element):
    sign_in(page, server, "bkhcn.nhaplieu")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/data/BKHCN/{open_month}/")
    for row in (f"#f-{ELEMENT}", "#f-DVC_TONG"):
        name = page.locator(row).locator("xpath=preceding-sibling::th").bounding_box()
        fields = page.locator(row).bounding_box()
        assert name["width"] > 300, f"{row}: the element's name squeezed to {name['width']:.0f} px"
        assert fields["y"] >= name["y"] + name["height"] - 1  # the fields below the name, not beside it
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
