"""The data-entry form's rows: each expected element with its stored value, and for a disaggregated element one
cell per category option combo, in the catalog's order, with the element's total (datavalues.totals: the sum).

Only the default attribute option combo is entered on the form; values under an attribute option combo come
through files and the API (they count in the total shown)."""

from __future__ import annotations

from dataclasses import dataclass, field

from govkpi.datavalues.models import DataValue
from govkpi.indicators.models import CategoryOptionCombo, DataElement
from govkpi.orgunits.models import OrgUnit


@dataclass(frozen=True)
class Cell:
    """One category option combo of an element on the form, with its stored value (default attribute combo)."""

    code: str
    name_vi: str
    name_en: str
    value: DataValue | None


@dataclass
class Grid:
    """A disaggregated element on the form: its combo's cells and its total over every stored combination."""

    combo_vi: str
    combo_en: str
    cells: list[Cell] = field(default_factory=list)
    total_number: float | None = None
    decimals: int = 0

    @property
    def total(self) -> str | None:
        """The element's total as the form shows it, or None when nothing is stored."""
        if self.total_number is None:
            return None
        if float(self.total_number).is_integer():
            return str(int(self.total_number))
        return f"{self.total_number:.{max(self.decimals, 1)}f}"


def grids(unit: OrgUnit, period: str, elements: list[DataElement]) -> dict[int, Grid]:
    """The grids of the disaggregated elements among `elements`, by element id (none for the others)."""
    wanted = [e for e in elements if e.category_combo_id is not None]
    if not wanted:
        return {}
    cocs: dict[int, list[CategoryOptionCombo]] = {}
    for coc in CategoryOptionCombo.objects.filter(combo_id__in={e.category_combo_id for e in wanted}).order_by(
            "combo_id", "position"):
        cocs.setdefault(coc.combo_id, []).append(coc)
    stored: dict[tuple[int, str], DataValue] = {}
    totals: dict[int, float] = {}
    for value in DataValue.objects.filter(unit=unit, period=period, data_element__in=wanted):
        if value.number is not None:
            totals[value.data_element_id] = totals.get(value.data_element_id, 0.0) + value.number
        if not value.attribute_option_combo:
            stored[(value.data_element_id, value.category_option_combo)] = value
    out = {}
    for element in wanted:
        combo = element.category_combo
        out[element.id] = Grid(combo.name_vi, combo.name_en or combo.name_vi, [
            Cell(c.code, c.name_vi, c.name_en or c.name_vi, stored.get((element.id, c.code)))
            for c in cocs.get(element.category_combo_id, [])], totals.get(element.id), element.decimals)
    return out
