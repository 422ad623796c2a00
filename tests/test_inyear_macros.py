"""The ribbon's Refresh KPIs and Commission statements on a workbook with actuals loaded: the
same library functions as aop-xl actuals and aop-xl statements, through the Book interface."""

from __future__ import annotations

import pytest

import aop_xl.xl.macros as m
from aop_xl import load_plan
from aop_xl.cycle.inyear import load_into, read_year, year_numbers
from aop_xl.cycle.sample_actuals import sample_actuals, write_sample
from aop_xl.workbook.book import OpenpyxlBook
from aop_xl.workbook.build import build_workbook
from aop_xl.workbook.layout import KPI, Layout, capacity_for

from libreoffice import require_soffice

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
