"""Every silent mistake a planner can make in the workbook makes a check fail, in LibreOffice
and in Gnumeric, and the Summary says so.

Each case is the sample workbook with one mistake typed in (as a planner would, or as a paste
past the dropdowns would): all cases go through one soffice run and through Gnumeric. The
unchanged sample passes every check; each mistake fails its block's check and the Summary's
headline reads "n checks fail" with a link to the first failing block.
"""

from __future__ import annotations

import pytest
from libreoffice import Recalculated, recalc, require_soffice
from openpyxl import load_workbook

from aop_xl import engines, load_plan
from aop_xl.workbook import build_workbook
from aop_xl.workbook.layout import (
    ASSUMPTIONS,
    CHECK_BLOCKS,
    COMMISSION,
    KPI,
    MONTHS,
    SUMMARY,
    SUMMARY_KEYS,
    TARGETS,
    Layout,
    capacity_for,
)

pytestmark = pytest.mark.libreoffice

PLAN = load_plan()
LAY = Layout(capacity_for(PLAN))


def _set(sheet: str, ref: str, value):
    def change(wb):
        cell = wb[sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # typed text, not a formula
    return change


# name -> (the mistake, the check block that must fail)
MISTAKES = {
    "region name blanked, its weight kept": (_set(ASSUMPTIONS, LAY.regions.cell("name", 1), None), "Inputs"),
    "rep's region mistyped": (_set(ASSUMPTIONS, LAY.reps.cell("region", 0), "Eats"), "Inputs"),
    "weight pasted as text": (_set(ASSUMPTIONS, LAY.regions.cell("weight", 0), "40"), "Inputs"),
    "product weight pasted as text": (_set(ASSUMPTIONS, LAY.products.cell("weight", 2), "15"), "Inputs"),
    "region named twice": (_set(ASSUMPTIONS, LAY.regions.cell("name", 2), PLAN.regions[0].name), "Inputs"),
    "total target typed as text": (_set(ASSUMPTIONS, LAY.param("total_target").split("!")[1].replace("$", ""),
                                        "24000000"), "Inputs"),
    "sales pasted as text": (_set(COMMISSION, LAY.statement.cell("sales", 3), "1200000"), "Commission"),
    "KPI actual pasted as text": (_set(KPI, LAY.kpi.cell("actual", 0), "12000000"), "KPI actuals"),
    "a region's month typed over": (_set(TARGETS, LAY.region_targets.cell(MONTHS[0], 0), 1_000_000), "Targets: regions"),
    "a rep's quota typed over": (_set("Quotas", LAY.base_quotas.cell("year", 0), 5), "Quotas: base"),
}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    require_soffice()
    folder = tmp_path_factory.mktemp("mistakes")
    clean = build_workbook(PLAN, folder / "clean.xlsx")
    paths = {"clean": clean}
    for k, (change, _) in enumerate(MISTAKES.values()):
        wb = load_workbook(clean)
        change(wb)
        paths[k] = folder / f"mistake_{k:02d}.xlsx"
        wb.save(paths[k])
    lo = recalc(list(paths.values()), tmp_path_factory.mktemp("lo"))
    gn = engines.gnumeric_recalc(list(paths.values()), tmp_path_factory.mktemp("gn"))
    return {key: {"libreoffice": Recalculated(lo[p]), "gnumeric": Recalculated(gn[p])} for key, p in paths.items()}


def failing_blocks(book: Recalculated) -> dict[str, float]:
    sc = LAY.summary_checks
    return {book.value(SUMMARY, sc.cell("block", i)): book.value(SUMMARY, sc.cell("failing", i))
            for i in range(sc.rows)}


def headline(book: Recalculated) -> str:
    return book.value(SUMMARY, LAY.summary.cell("value", SUMMARY_KEYS.index("checks")))


@pytest.mark.parametrize("engine", ["libreoffice", "gnumeric"])
def test_the_clean_sample_passes_every_check(books, engine):
    book = books["clean"][engine]
    assert set(failing_blocks(book)) == set(CHECK_BLOCKS)
    assert all(n == 0 for n in failing_blocks(book).values()), failing_blocks(book)
    assert headline(book) == "All checks pass"


@pytest.mark.parametrize("engine", ["libreoffice", "gnumeric"])
@pytest.mark.parametrize("k, name", list(enumerate(MISTAKES)))
def test_each_silent_mistake_fails_its_check_and_the_summary_says_so(books, engine, k, name):
    book = books[k][engine]
    block = MISTAKES[name][1]
    failing = failing_blocks(book)
    assert failing[block] and failing[block] > 0, f"{name}: {failing}"
    n = sum(v for v in failing.values() if v)
    assert headline(book) == f"{n:g} check fails" if n == 1 else f"{n:g} checks fail", headline(book)
    link_row = LAY.summary.last_row + 1
    assert book.value(SUMMARY, f"{LAY.summary.letter('value')}{link_row}") == "Go to the first"


@pytest.mark.parametrize("engine", ["libreoffice", "gnumeric"])
def test_a_rep_without_a_quota_reaches_no_band(tmp_path, engine):
    # A rep whose share is 0 has no quota: the statement shows band 0, nothing earned.
    require_soffice()
    path = build_workbook(PLAN, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    wb[ASSUMPTIONS][LAY.reps.cell("share", 0)] = 0
    wb[COMMISSION][LAY.statement.cell("sales", 0)] = 500_000
    wb.save(path)
    out = (recalc([path], tmp_path / "lo")[path] if engine == "libreoffice"
           else engines.gnumeric_recalc([path], tmp_path / "gn")[path])
    book = Recalculated(out)
    st = LAY.statement
    assert book.value(COMMISSION, st.cell("base", 0)) == 0
    assert book.value(COMMISSION, st.cell("band", 0)) == 0
    assert book.value(COMMISSION, st.cell("commission", 0)) == 0
