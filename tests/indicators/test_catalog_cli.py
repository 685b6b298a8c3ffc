import pytest

from govkpi.cli import main
from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.models import Indicator

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", ["yaml", "xlsx"])
def test_export_import_round_trip_through_the_command(tmp_path, small_catalog, capsys, suffix):
    apply_catalog(small_catalog)
    path = tmp_path / f"catalog.{suffix}"
    assert main(["catalog", "export", str(path)]) == 0
    assert path.stat().st_size > 0
    assert main(["catalog", "import", str(path)]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_a_bad_file_is_refused_whole_with_its_problems(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "data_elements:\n  - {code: A, name_vi: A, value_type: count}\n"
        "indicators:\n  - {code: B, name_vi: B, value_type: percentage, formula: '#{A} / #{C}'}\n",
        encoding="utf-8")
    assert main(["catalog", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "indicators[0].formula" in err and "unknown_reference" in err
    assert not Indicator.objects.filter(code="B").exists()


def test_dry_run_writes_nothing(tmp_path, small_catalog, capsys):
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(small_catalog, allow_unicode=True), encoding="utf-8")
    assert main(["catalog", "import", str(path), "--dry-run"]) == 0
    assert not Indicator.objects.exists()


def test_a_zip_bomb_catalog_workbook_is_refused_quickly_and_nothing_is_written(tmp_path, capsys):
    import time

    from tests.core.workbook_bombs import cell_bomb

    path = tmp_path / "catalog.xlsx"
    path.write_bytes(cell_bomb(["code", "name_vi", "value_type"]))
    started = time.monotonic()
    assert main(["catalog", "import", str(path)]) == 1
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert "tỷ lệ nén" in err and "zip bomb" in err
    assert not Indicator.objects.exists()


def test_formula_like_names_are_text_in_the_catalog_export_and_come_back_unchanged(tmp_path, small_catalog):
    import io

    from openpyxl import load_workbook

    from govkpi.indicators.catalog_files import export_catalog, from_xlsx, to_xlsx
    from govkpi.indicators.models import DataElement

    hyperlink = '=HYPERLINK("http://x","y")'
    apply_catalog(small_catalog)
    DataElement.objects.filter(pk=DataElement.objects.first().pk).update(name_vi=hyperlink, unit_of_measure="+1 x")
    blob = to_xlsx(export_catalog())
    sheet = load_workbook(io.BytesIO(blob))["data_elements"]
    header = [cell.value for cell in sheet[1]]
    cells = [row for row in sheet.iter_rows(min_row=2) if row[header.index("name_vi")].value.endswith(hyperlink)]
    name, measure = cells[0][header.index("name_vi")], cells[0][header.index("unit")]
    assert name.data_type == "s" and name.value == "'" + hyperlink
    assert measure.data_type == "s" and measure.value == "'+1 x"
    elements = {e["name_vi"]: e for e in from_xlsx(blob)["data_elements"]}
    assert elements[hyperlink]["unit"] == "+1 x"  # the apostrophe is the export's, not the catalog's
