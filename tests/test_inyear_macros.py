"""The ribbon's Refresh KPIs and Commission statements on a workbook with actuals loaded: the
same library functions as aop-xl actuals and aop-xl statements, through the Book interface."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

import aop_xl.xl.macros as m
from aop_xl import engines, load_plan, plan_from_dict
from aop_xl.checks.validate import validate_file
from aop_xl.cycle.inyear import in_year_layout, load_into, read_year, year_numbers
from aop_xl.cycle.sample_actuals import sample_actuals, write_sample
from aop_xl.workbook.book import OpenpyxlBook
from aop_xl.workbook.build import build_workbook
from aop_xl.workbook.layout import (ASSUMPTIONS, IN_YEAR, KPI, SUMMARY, Layout, capacity_for, summary_movers,
                                    summary_print_rows)

from checks_helpers import require_gnumeric
from libreoffice import Recalculated, require_soffice

PLAN = load_plan()


@pytest.fixture
def loaded(tmp_path):
    path = build_workbook(PLAN, tmp_path / "AOP_2027.xlsx")
    crm = tmp_path / "crm.csv"
    crm.write_bytes(write_sample(sample_actuals(PLAN, 3), crm))
    load_into(path, [crm])
    return path


def test_commission_statements_write_the_files_and_record_the_payments(loaded, tmp_path):
    book = OpenpyxlBook(loaded)
    result = m.commission_statements(book, folder=tmp_path / "out")
    assert result.ok, result.text()
    xlsx = sorted(p.name for p in (tmp_path / "out").glob("*.xlsx"))
    assert len(xlsx) == len(PLAN.reps) and xlsx[0] == "2027-Q1 An Nguyen.xlsx"
    assert "payments of closed periods recorded as made on the Actuals sheet: save the workbook" in result.text()
    # Recorded in the open book, not saved: the file on disk has none yet.
    assert read_year(OpenpyxlBook(loaded)).payments == {}
    book.save()
    year = read_year(OpenpyxlBook(loaded))
    expected = year_numbers(year.plan, year.deals, 3).statements
    assert year.payments == {r: {3: p} for r, p in zip(expected["rep"], expected["payment"])}


def test_without_actuals_the_button_keeps_the_statements_of_the_commission_sheet(tmp_path):
    fresh = OpenpyxlBook(build_workbook(PLAN, tmp_path / "plain.xlsx"))
    result = m.commission_statements(fresh)
    assert result.ok and "Statements for 12 reps written to the Statements sheet" in result.text()


def test_the_summary_lists_the_largest_movers_of_the_in_year_sheet(loaded, tmp_path):
    lay = Layout(capacity_for(PLAN))
    sm = summary_movers(lay)
    year = read_year(OpenpyxlBook(loaded))
    movers = year_numbers(year.plan, year.deals, 3).movers
    iy = in_year_layout(year.plan, len(year.lines), 0)
    formulas, values = load_workbook(loaded)[SUMMARY], load_workbook(loaded, data_only=True)[SUMMARY]
    assert len(movers) == sm.rows
    for k, row in movers.iterrows():
        for key in sm.columns:
            assert formulas[sm.cell(key, k)].value == "=" + iy.movers.ref(key, k)
        shown = [values[sm.cell(key, k)].value for key in ("rank", "member", "dimension", "variance")]
        assert shown == [k + 1, row["member"], row["dimension"], pytest.approx(row["variance"])]
    assert formulas.print_area == f"'{SUMMARY}'!$A$1:$L${sm.last_row + 1}" == \
        f"'{SUMMARY}'!$A$1:$L${summary_print_rows(lay, movers=True)}"
    report = validate_file(loaded)
    assert report.error is None and report.findings == []
    # The block is the contract's: a formula changed or overwritten is reported.
    wb = load_workbook(loaded)
    wb[SUMMARY][sm.cell("member", 1)] = "=" + iy.movers.ref("member", 2)
    wb[SUMMARY][sm.cell("variance", 3)] = 12345
    wb.save(tmp_path / "tampered.xlsx")
    found = {(f.rule.id, f.sheet, f.range) for f in validate_file(tmp_path / "tampered.xlsx").findings}
    assert found == {("C105", SUMMARY, sm.cell("member", 1)), ("C106", SUMMARY, sm.cell("variance", 3))}
    # Inputs the plan refuses leave the In-year table's place unknown: the inputs are reported,
    # not the block.
    wb = load_workbook(loaded)
    wb[ASSUMPTIONS][lay.regions.cell("weight", 0)] = "heavy"
    wb.save(tmp_path / "bad_input.xlsx")
    found = validate_file(tmp_path / "bad_input.xlsx").findings
    assert {f.rule.id for f in found} == {"C108"} and all(f.sheet != SUMMARY for f in found)


def test_without_actuals_the_summary_has_no_movers(tmp_path):
    lay = Layout(capacity_for(PLAN))
    sm = summary_movers(lay)
    ws = load_workbook(build_workbook(PLAN, tmp_path / "plain.xlsx"))[SUMMARY]
    assert ws.print_area == f"'{SUMMARY}'!$A$1:$L${summary_print_rows(lay)}" and summary_print_rows(lay) < sm.last_row
    assert [c.coordinate for row in ws.iter_rows(min_row=sm.title_row, max_row=sm.last_row + 1, max_col=12)
            for c in row if c.value is not None] == []


@pytest.mark.libreoffice
def test_refresh_kpis_uses_the_deals(loaded):
    require_soffice()
    book = OpenpyxlBook(loaded)
    result = m.refresh_kpis(book)
    year = read_year(book)
    kpis = year_numbers(year.plan, year.deals, 3).kpis
    assert result.messages[0].startswith("KPIs to 2027-03 from ")
    for metric, status in zip(kpis["metric"], kpis["status"]):
        assert f"{metric} {status or '(no status)'}" in result.messages[0]
    lay = Layout(capacity_for(PLAN))
    actual = [row[0] for row in book.read(KPI, lay.kpi.area("actual"))]
    for k, row in kpis.iterrows():
        if row["source"] == "deals":
            assert actual[k] == pytest.approx(row["actual"])
    assert "Largest movers: " in result.text()


@pytest.mark.libreoffice
def test_the_in_year_sheet_of_a_one_member_plan_computes_in_both_engines(tmp_path):
    # One region, one product, one rep: every block of the In-year sheet has a single row,
    # where Gnumeric refuses INDEX over one cell.
    require_soffice()
    require_gnumeric()
    plan = plan_from_dict({"plan": {"company": "Tiny", "year": 2027, "unit": 1, "total_target": 1200,
                                    "fiscal_year_start": 4},
                           "regions": [{"name": "Only", "market": "core", "weight": 1}],
                           "products": [{"name": "P", "bcg": "star", "weight": 1, "gross_margin": 0.5}],
                           "reps": [{"name": "Solo", "region": "Only"}],
                           "kpis": [{"metric": "revenue", "target": 1200}]})
    path = build_workbook(plan, tmp_path / "tiny.xlsx")
    crm = tmp_path / "crm.csv"
    crm.write_text("Close Date,Sales Rep,Account,Product,Amount\n2027-04-03,Solo,A,P,100\n2026-05-03,Solo,A,P,50\n",
                   encoding="utf-8")
    result = load_into(path, [crm], as_of="2027-05")
    assert result.written and not result.report.failed
    n = result.numbers
    cells = {"statement": ("payment", n.statements["payment"].iloc[-1]),
             "kpis": ("actual", 100.0), "movers": ("variance", n.movers["variance"].iloc[0])}
    iy = in_year_layout(plan, len(result.lines), 1)
    for out in (engines.libreoffice_recalc([path], tmp_path / "lo")[path],
                engines.gnumeric_recalc([path], tmp_path / "gn")[path]):
        rc = Recalculated(out)
        assert not [e for e in rc.errors() if "In-year" in e], out
        for block, (key, want) in cells.items():
            assert rc.value(IN_YEAR, getattr(iy, block).cell(key, 0)) == pytest.approx(want), (out, block)
        assert rc.value(IN_YEAR, iy.movers.cell("member", 0)) == n.movers["member"].iloc[0]
        # The Summary lists them too: three movers (the region, its team, the product), then
        # empty rows.
        assert not [e for e in rc.errors() if e.startswith(SUMMARY + "!")], out
        sm = summary_movers(Layout(capacity_for(plan)))
        shown = [[rc.value(SUMMARY, sm.cell(key, k)) for key in ("rank", "member", "dimension", "variance")]
                 for k in range(sm.rows)]
        want = [[k + 1, r["member"], r["dimension"], pytest.approx(r["variance"])] for k, r in n.movers.iterrows()]
        assert len(want) == 3 and shown == want + [[k + 1, None, None, None] for k in (3, 4)], out
