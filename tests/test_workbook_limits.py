"""The workbook's guards that no plan of the tests reaches: Excel's 8,192-character formula
limit, and locked formulas on the blank template users type into."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from aop_xl.errors import WorkbookError
from aop_xl.workbook.build import workbook_for
from aop_xl.workbook.layout import ASSUMPTIONS, BLANK_CAPACITY, MAX_FORMULA_CHARS, Layout
from aop_xl.workbook.styles import Styles, Writer


def writer() -> Writer:
    wb = Workbook()
    return Writer(wb.active, Styles(wb, "USD", 2))


def test_excel_formula_limit_is_8192_characters():
    assert MAX_FORMULA_CHARS == 8192


def test_a_formula_over_excels_limit_is_refused_naming_the_cell():
    w = writer()
    longest = "1" + "+1" * ((MAX_FORMULA_CHARS - 2) // 2)  # with its "=": 8,192 characters
    assert len(longest) + 1 == MAX_FORMULA_CHARS
    cell = w.formula(3, 4, longest)
    assert cell.value == "=" + longest and cell.data_type == "f"
    with pytest.raises(WorkbookError, match=r"R5C6: formula of 8,?193 characters is over Excel's 8,?192"):
        w.formula(5, 6, longest + "1")
    assert (5, 6) not in w.ws._cells, "a refused formula leaves no cell behind"


@pytest.fixture(scope="module")
def blank():
    # The workbook as built (saving and reading it back costs twice the build; the golden and
    # recalculation tests cover the file itself).
    return workbook_for(None)


def test_every_formula_of_the_blank_template_is_locked_and_every_sheet_protected(blank):
    formulas = 0
    for ws in blank.worksheets:
        assert ws.protection.sheet, ws.title
        for cell in ws._cells.values():
            if cell.data_type == "f":
                formulas += 1
                assert cell.protection.locked, f"{ws.title}!{cell.coordinate}: formula not locked"
    assert formulas > 1000  # the template is formulas, not values


def test_the_blank_templates_inputs_are_unlocked(blank):
    lay = Layout(BLANK_CAPACITY)
    ws = blank[ASSUMPTIONS]
    last_region, last_rep = BLANK_CAPACITY.regions - 1, BLANK_CAPACITY.reps - 1
    for ref in (lay.regions.cell("name", 0), lay.regions.cell("weight", last_region), lay.reps.cell("share", last_rep),
                lay.params.cell("value", 0), lay.tiers.cell("rate", 0)):  # fmt: skip
        assert ws[ref].protection.locked is False, ref
        assert ws[ref].data_type != "f", ref
