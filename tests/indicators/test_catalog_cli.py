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
