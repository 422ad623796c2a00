"""The ribbon macros (aop_xl.xl.macros) on real files, through the headless OpenpyxlBook.

Each test builds a workbook into tmp_path, opens it, runs a macro, and inspects the result
through the interface, openpyxl or the library. Where values matter, the book is calculated
by LibreOffice headless (one soffice run per calculation; a macro that finds nothing changed
since the last calculation does not run it again). The xlwings implementation has no Excel
here: its tests check that it touches only names that exist on xlwings' classes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xlwings
import xlwings.main
from openpyxl import Workbook, load_workbook

import aop_xl.xl.macros as m
from aop_xl import load_plan
from aop_xl.engine.commission import commission_statement
from aop_xl.engine.kpi import kpi_status
from aop_xl.engine.reconcile import reconcile
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.plan import plan_from_dict
from aop_xl.units import from_units
from aop_xl.workbook import book as book_module
from aop_xl.workbook.book import INPUT_FILL_RGB, INPUT_FONT_RGB, Book, OpenpyxlBook, XlError
from aop_xl.workbook.build import build_workbook, workbook_bytes, workbook_for
from aop_xl.workbook.layout import (ASSUMPTIONS, BLANK_CAPACITY, BOTTOM_UP, KPI, MONTHS, PARAM_KEYS, RECONCILE,
                                    RECONCILE_COLUMNS, STATEMENTS, SUMMARY, TARGETS, Layout, StatementBlock,
                                    bottom_up_table, capacity_for, reconcile_table, statement_block,
                                    statement_summary)
from aop_xl.workbook.plan_reader import read_plan
from aop_xl.workbook.reader import read_identity
from aop_xl.workbook.reports import band_floors, topdown_series
from aop_xl.xl.xlwings_book import XLWINGS_API, XlwingsBook

from libreoffice import require_soffice
from test_plan_reader import fill_inputs
from tests_helpers import sample_dict

SAMPLE = load_plan()
LAY = Layout(capacity_for(SAMPLE))


class LiveBook(OpenpyxlBook):
    """An OpenpyxlBook standing in for live Excel: it records alerts and opened files."""

    interactive = True

    def __init__(self, path):
        super().__init__(path)
        self.alerts: list[tuple[str, str]] = []
        self.opened: list[Path] = []

    def alert(self, message, title):
        self.alerts.append((title, message))

    def open_workbook(self, path):
        self.opened.append(Path(path))


@pytest.fixture
def sample_path(tmp_path) -> Path:
    return build_workbook(SAMPLE, tmp_path / "AOP_2027.xlsx")


@pytest.fixture
def book(sample_path) -> OpenpyxlBook:
    return OpenpyxlBook(sample_path)


@pytest.fixture
def soffice():
    return require_soffice()


def weight_cell(i: int) -> str:
    return LAY.regions.cell("weight", i)


# ---------------------------------------------------------------------------------- build


def test_build_writes_the_plans_workbook_next_to_the_book_never_over_a_file(sample_path):
    before = sample_path.read_bytes()
    live = LiveBook(sample_path)
    result = m.build_workbook(live)
    target = sample_path.with_name("AOP_2027 (2).xlsx")
    assert result.ok and result.paths == [target]
    assert target.read_bytes() == workbook_bytes(workbook_for(SAMPLE))  # the deterministic build
    assert sample_path.read_bytes() == before
    assert live.opened == [target]
    assert live.alerts == [("AOP - Build workbook", result.text())] and str(target) in result.text()
    assert m.build_workbook(live).paths == [sample_path.with_name("AOP_2027 (3).xlsx")]


def test_build_uses_the_inputs_as_edited(book, sample_path):
    book.write(ASSUMPTIONS, weight_cell(0), [[55]])
    path = m.build_workbook(book).paths[0]
    d = sample_dict()
    d["regions"][0]["weight"] = 55
    assert read_plan(OpenpyxlBook(path)) == plan_from_dict(d)
    assert read_plan(OpenpyxlBook(sample_path)) == SAMPLE  # the open workbook is not saved


def test_build_on_a_workbook_that_is_not_ours_writes_the_blank_template(tmp_path):
    Workbook().save(tmp_path / "Book1.xlsx")
    result = m.build_workbook(OpenpyxlBook(tmp_path / "Book1.xlsx"))
    assert result.paths == [tmp_path / "AOP_template.xlsx"]
    identity = read_identity(tmp_path / "AOP_template.xlsx")
    assert identity.blank and identity.capacity == BLANK_CAPACITY
    assert "Book1.xlsx is not a standard AOP workbook" in result.text()


def test_a_bad_input_raises_headless_and_is_one_message_live(book, sample_path, tmp_path):
    message = f"Assumptions!{weight_cell(2)}: region weight must be >= 0, got -5"
    book.write(ASSUMPTIONS, weight_cell(2), [[-5]])
    with pytest.raises(PlanError, match=f"^{re.escape(message)}$"):
        m.build_workbook(book)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AOP_2027.xlsx"]  # nothing written

    live = LiveBook(sample_path)
    live.write(ASSUMPTIONS, weight_cell(2), [[-5]])
    result = m.build_workbook(live)
    assert not result.ok and result.findings == [message]
    ((title, text),) = live.alerts
    assert title == "AOP - Build workbook" and text == f"Build workbook stopped:\n\n{message}"
    assert "Traceback" not in text and live.opened == []


def test_without_a_book_a_macro_acts_on_the_calling_workbook(monkeypatch, sample_path):
    live = LiveBook(sample_path)
    monkeypatch.setattr(m, "_caller", lambda: live)
    result = m.commission_statements()
    assert result.ok and STATEMENTS in live.sheet_names()
    assert live.alerts == [("AOP - Commission statements", result.text())]


# ---------------------------------------------------------------------------------- recalculate, validate


@pytest.mark.libreoffice
def test_splits_are_exact_before_and_after_an_edit(book, soffice):
    result = m.recalculate_splits(book)
    assert result.ok, result.text()
    assert result.messages == ["All 1,071 target and quota cells match the engine exactly; every check cell is 0."]
    assert m.validate_workbook(book).ok

    book.write(ASSUMPTIONS, weight_cell(0), [[55]])
    result = m.recalculate_splits(book)
    assert result.ok, result.text()
    d = sample_dict()
    d["regions"][0]["weight"] = 55
    east = from_units(target_units(plan_from_dict(d)).regions[0], 0.01)
    assert east != from_units(target_units(SAMPLE).regions[0], 0.01)
    assert book.read(TARGETS, LAY.region_targets.cell("year", 0)) == [[east]]
    # The workbook is consistent, but no longer the one that was built.
    findings = m.validate_workbook(book).findings
    assert len(findings) == 1 and "inputs changed since the build" in findings[0], findings


@pytest.mark.libreoffice
def test_a_number_typed_over_a_formula_is_named(book, soffice):
    cell = LAY.cube.cell(MONTHS[0], 2)
    engine = from_units(target_units(SAMPLE).cells[0, 2, 0], 0.01)
    book.write(TARGETS, cell, [[123.45]])
    findings = m.recalculate_splits(book).findings
    assert f"Targets!{cell}: workbook 123.45, engine {engine:,.2f}" in findings
    assert any("check shows" in f for f in findings)
    findings = m.validate_workbook(book).findings
    assert f"Targets!{cell}: the template has a formula here; the cell holds the typed value 123.45" in findings
    assert not any("shows #" in f for f in findings)


@pytest.mark.libreoffice
def test_validate_finds_error_values_and_plan_problems(book, soffice):
    unit_cell = LAY.scalars.cell("unit", 0)
    book.write(TARGETS, unit_cell, [["x"]])
    book.write(ASSUMPTIONS, weight_cell(1), [[-1]])
    findings = m.validate_workbook(book).findings
    assert findings[0] == f"Assumptions!{weight_cell(1)}: region weight must be >= 0, got -1"
    errors = [f for f in findings if ": shows #" in f]
    assert f"Targets!{LAY.company.cell('year', 0)}: shows #VALUE!" in errors and len(errors) > 100
    assert f"Targets!{unit_cell}: the template has a formula here; the cell holds the typed value 'x'" in findings
    assert not any("inputs changed" in f for f in findings)  # no plan to compare


def test_validate_reports_what_the_workbook_formulas_cannot_refuse(book):
    # The workbook rounds a total that is not a whole number of units and does not stop a
    # negative total; Validate holds the inputs to the plan file's rules and says so.
    total_cell = LAY.param("total_target").split("!")[-1].replace("$", "")
    book.write(ASSUMPTIONS, total_cell, [[24_000_000.005]])
    findings = m.validate_workbook(book).findings
    assert findings == [f"Assumptions!{total_cell}: total target: 24000000.005 is not a multiple of the unit 0.01"]
    book.write(ASSUMPTIONS, total_cell, [[-1_000_000]])
    [finding] = m.validate_workbook(book).findings
    assert finding.startswith(f"Assumptions!{total_cell}: total target must be >= 0, got -1000000")


def test_validate_a_workbook_that_is_not_ours(tmp_path):
    Workbook().save(tmp_path / "Book1.xlsx")
    result = m.validate_workbook(OpenpyxlBook(tmp_path / "Book1.xlsx"))
    assert result.findings == ["Book1.xlsx: not a standard AOP workbook (no AOP_Meta sheet)"]


@pytest.mark.libreoffice
def test_cleared_rows_and_cells_read_as_the_formulas_read_them(book, soffice):
    # West's region row, its reps and its budget link cleared: the plan has 3 regions at rows 0, 2, 3.
    book.write(ASSUMPTIONS, LAY.regions.cell("name", 1), [[None] * 6])
    book.write(ASSUMPTIONS, LAY.reps.cell("name", 4), [[None] * 3] * 3)
    book.write(ASSUMPTIONS, LAY.budget.cell("region", 6), [[None]])
    # A blank unit and a blank share read as the formulas read them: 1 and 0 (docs/workbook.md).
    book.write(ASSUMPTIONS, LAY.params.cell("value", PARAM_KEYS.index("unit")), [[None]])
    book.write(ASSUMPTIONS, LAY.reps.cell("share", 1), [[None]])
    result = m.recalculate_splits(book)
    assert result.ok, result.text()
    findings = m.validate_workbook(book).findings
    assert len(findings) == 1 and "inputs changed since the build" in findings[0], findings


@pytest.mark.libreoffice
def test_blank_template_filled_with_gaps_splits_exactly(tmp_path, soffice):
    book = OpenpyxlBook(build_workbook(None, tmp_path / "blank.xlsx", blank=True))
    rows = {"regions": [0, 2, 3, 7], "products": [0, 1, 4, 5, 6, 9], "reps": [1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15]}
    fill_inputs(book, SAMPLE, Layout(BLANK_CAPACITY), rows)
    result = m.recalculate_splits(book)
    assert result.ok, result.text()
    assert m.validate_workbook(book).ok


# ---------------------------------------------------------------------------------- commission


def test_commission_statements_match_the_engine(book, tmp_path):
    st = LAY.statement
    sales = {"An Nguyen": 3_500_000.0, "Bao Tran": 2_400_000.0, "Ethan Brooks": -10.0, "Li Wei": 1_234_567.89}
    for i, rep in enumerate(SAMPLE.reps):
        if rep.name in sales:
            book.write(st.sheet, st.cell("sales", i), [[sales[rep.name]]])
    m.commission_statements(book)
    book.write(st.sheet, st.cell("sales", 0), [[sales["An Nguyen"]]])
    result = m.commission_statements(book)  # again: the sheet is rewritten, not duplicated
    assert result.ok and "sales entered for 4 of 12 reps" in result.text()
    book.save(tmp_path / "with statements.xlsx")
    ws = load_workbook(tmp_path / "with statements.xlsx")[STATEMENTS]
    assert load_workbook(tmp_path / "with statements.xlsx").sheetnames.count(STATEMENTS) == 1
    expected = commission_statement(SAMPLE, sales)
    assert "version 1 (draft)" in ws["A2"].value and "not inputs" in ws["A2"].value
    table = statement_summary(len(SAMPLE.reps))
    keys = {"rep": "rep", "region": "region", "sales": "sales", "base": "base_quota", "challenge": "challenge_quota",
            "attainment": "attainment", "band": "band", "commission": "commission",
            "effective_rate": "effective_rate"}
    for i, row in expected.iterrows():
        for key, col in keys.items():
            assert ws.cell(table.row(i), table.col(key)).value == pytest.approx(row[col]), (i, key)
        b = statement_block(i, len(SAMPLE.reps), len(SAMPLE.commission.tiers))
        assert ws.cell(b.first_row, 1).value == f"{row['rep']} ({row['region']})"
        for key, col in (("commission", "commission"), ("marginal", "commission_marginal"),
                         ("retroactive", "commission_retroactive"), ("band", "band")):
            assert ws.cell(b.value_row, StatementBlock.col(key)).value == row[col]
        floors = band_floors(SAMPLE, row["base_quota"], row["challenge_quota"])
        for k, tier in enumerate(SAMPLE.commission.tiers):
            got = [ws.cell(b.band_row(k), c).value for c in range(1, 5)]
            assert got == [f"Band {k + 1}", floors[k], tier.rate, row[f"band_{k + 1}"]]
        assert ws.cell(b.total_row, StatementBlock.col("amount")).value == row["commission_marginal"]
    assert ws.cell(table.last_row + 1, table.col("commission")).value == pytest.approx(expected["commission"].sum())
    assert expected.loc[0, "commission"] == 38_320.0  # domain example: bands 28,800 + 8,640 + 880


def test_commission_statements_name_a_bad_sales_cell(book):
    st = LAY.statement
    book.write(st.sheet, st.cell("sales", 2), [["lots"]])
    with pytest.raises(PlanError, match=rf"^Commission!{st.cell('sales', 2)}: sales of Chloe Martin: must be a number"):
        m.commission_statements(book)


# ---------------------------------------------------------------------------------- KPIs


@pytest.mark.libreoffice
def test_refresh_kpis_writes_actuals_and_the_statuses_follow_the_engine(book, sample_path, soffice):
    (sample_path.parent / "actuals.csv").write_text(
        "Metric, Actual\nRevenue,21000000\nnew_business_revenue,\"1,500,000\"\nlead_conversion_rate,0.19\n"
        "customer_churn_rate,0.11\nNPS,41\naverage_order_value,\n", encoding="utf-8")
    result = m.refresh_kpis(book)
    assert result.messages[1:] == ["Not KPIs of the plan (ignored): NPS.",
                                   ("No actual in the file (cells left as they were): average_order_value, "
                                    "sales_cycle_length.")]
    actuals = {"revenue": 21e6, "new_business_revenue": 1.5e6, "lead_conversion_rate": 0.19,
               "customer_churn_rate": 0.11}
    d = sample_dict()
    for k in d["kpis"]:
        if k["metric"] in actuals:
            k["actual"] = actuals[k["metric"]]
    engine = kpi_status(plan_from_dict(d))
    assert engine["status"].tolist() == ["amber", "red", "green", None, "amber", None]
    status = [row[0] for row in book.read(KPI, LAY.kpi.area("status"))]
    assert status == engine["status"].tolist()
    assert result.messages[0] == ("Actuals from actuals.csv written for 4 of 6 KPIs: revenue amber, "
                                  "new_business_revenue red, lead_conversion_rate green, customer_churn_rate amber.")
    book.save()
    assert read_plan(OpenpyxlBook(sample_path)) == plan_from_dict(d)


def test_actuals_files_csv_and_xlsx(tmp_path):
    pd.DataFrame({"metric": ["revenue", "churn"], "actual": [1.5, None]}).to_excel(tmp_path / "a.xlsx", index=False)
    assert m.read_actuals(tmp_path / "a.xlsx") == {"revenue": 1.5, "churn": None}
    (tmp_path / "b.csv").write_text("metric,value\nrevenue,1\n", encoding="utf-8")
    with pytest.raises(WorkbookError, match=r"b.csv: columns are \['metric', 'value'\]; expected a CSV or .xlsx"):
        m.read_actuals(tmp_path / "b.csv")
    (tmp_path / "c.csv").write_text("metric,actual\nrevenue,lots\nRevenue,2\n,3\n", encoding="utf-8")
    with pytest.raises(PlanError) as info:
        m.read_actuals(tmp_path / "c.csv")
    assert info.value.problems == ["c.csv row 2: actual of revenue must be a number, got 'lots'",
                                   "c.csv row 4: metric missing"]
    (tmp_path / "e.csv").write_text('metric,actual\nrevenue,"0,19"\nchurn,"-1,234.5"\n', encoding="utf-8")
    with pytest.raises(PlanError, match=r"^e.csv row 2: actual of revenue must be a number, got '0,19'$"):
        m.read_actuals(tmp_path / "e.csv")  # a decimal comma is refused, not read as 19
    (tmp_path / "d.csv").write_text("metric,actual\nrevenue,1\nRevenue,2\n", encoding="utf-8")
    with pytest.raises(PlanError, match="d.csv row 3: Revenue appears more than once"):
        m.read_actuals(tmp_path / "d.csv")
    with pytest.raises(WorkbookError, match="no actuals file"):
        m.read_actuals(tmp_path / "missing.csv")


# ---------------------------------------------------------------------------------- reconcile


def test_reconcile_creates_bottom_up_then_reports_every_gap(book, tmp_path):
    result = m.reconcile_plan(book)
    assert "Created the Bottom-up sheet" in result.text() and RECONCILE not in book.sheet_names()
    n = len(SAMPLE.regions) * len(SAMPLE.products)
    table = bottom_up_table(n)
    first, last = table.cell("region", 0), table.cell(MONTHS[-1], n - 1)
    td = topdown_series(SAMPLE)
    block = book.read(BOTTOM_UP, f"{first}:{last}")
    assert [v for row in block for v in row[2:]] == td.tolist()
    assert block[1][:2] == ["East", "Widgets Classic"]
    assert book.sheet_names().index(BOTTOM_UP) == book.sheet_names().index(SUMMARY) + 1

    # Regions propose: East +50,000 on Widgets Pro in the first month, West 80% of everything.
    book.write(BOTTOM_UP, table.cell(MONTHS[0], 0), [[block[0][2] + 50_000]])
    for k in range(6, 12):
        book.write(BOTTOM_UP, table.cell(MONTHS[0], k), [[round(v * 0.8, 2) for v in block[k][2:]]])
    result = m.reconcile_plan(book, method="scale", tolerance=0.02)
    bu = pd.Series([v for row in book.read(BOTTOM_UP, f"{first}:{last}") for v in row[2:]], index=td.index)
    rec = reconcile(td, bu, tolerance=0.02, method="scale", unit=0.01)
    assert f"{len(rec.flagged)} of {len(rec.gaps)} rows outside 2.0%" in result.text()
    gaps = reconcile_table(len(rec.gaps))
    rows = book.read(RECONCILE, f"A{gaps.first_row}:J{gaps.last_row}")
    for got, (_, want) in zip(rows, rec.gaps.iterrows()):
        expect = [None if pd.isna(want[c]) else want[c] for c in RECONCILE_COLUMNS[:-1]]
        assert got[:-1] == expect
        proposal = rec.proposal[(want["region"], want["product"], want["month"])] if want["level"] == "detail" else None
        assert got[-1] == proposal
    assert rows[0][:2] == ["total", None] and rows[-1][0] == "detail"
    assert {r[8] for r in rows} == {"ok", "above", "below"}
    assert sum(r[-1] for r in rows if r[0] == "detail") == pytest.approx(td.sum())  # "scale" keeps the TD total

    book.save(tmp_path / "reconciled.xlsx")
    wb = load_workbook(tmp_path / "reconciled.xlsx")
    cell = wb[BOTTOM_UP][table.cell(MONTHS[3], 5)]
    assert cell.font.color.rgb == "FF" + "".join(f"{c:02X}" for c in INPUT_FONT_RGB)
    assert cell.fill.start_color.rgb == "FF" + "".join(f"{c:02X}" for c in INPUT_FILL_RGB) and cell.protection.locked is False
    assert "not inputs" in wb[RECONCILE]["A2"].value and "(inputs)" in wb[BOTTOM_UP]["A2"].value


def test_reconcile_names_bad_bottom_up_cells(book):
    m.reconcile_plan(book)
    table = bottom_up_table(24)
    book.write(BOTTOM_UP, table.cell(MONTHS[1], 3), [["n/a"]])
    book.write(BOTTOM_UP, table.cell("region", 5), [["Eest"]])
    with pytest.raises(PlanError) as info:
        m.reconcile_plan(book)
    assert info.value.problems == [f"'Bottom-up'!{table.cell(MONTHS[1], 3)}: must be a number, got 'n/a'",
                                   f"'Bottom-up'!{table.cell('region', 5)}: 'Eest' is not a region of the plan"]


# ---------------------------------------------------------------------------------- PDF


@pytest.mark.libreoffice
def test_export_summary_pdf_is_one_page_with_the_headline(book, sample_path, soffice):
    from pypdf import PdfReader

    m.reconcile_plan(book)  # an extra sheet that must not be printed
    result = m.export_summary_pdf(book)
    pdf = sample_path.with_name("AOP_2027 - Summary.pdf")
    assert result.paths == [pdf] and pdf.is_file()
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Annual operating plan 2027 - Northwind Trading" in text and "24,000,000.00" in text
    assert len(book.workbook["Targets"].print_area) > 0  # the print areas are left as they were
    states = {ws.title: ws.sheet_state for ws in book.workbook.worksheets}
    assert states[SUMMARY] == "visible" and states["AOP_Meta"] == "hidden"  # the book is left as it was


def test_export_needs_a_summary_sheet(tmp_path):
    Workbook().save(tmp_path / "Book1.xlsx")
    with pytest.raises(WorkbookError, match="Book1.xlsx: no Summary sheet to export"):
        m.export_summary_pdf(OpenpyxlBook(tmp_path / "Book1.xlsx"))


# ---------------------------------------------------------------------------------- the interface


def test_openpyxl_book_reads_and_writes_values(book, sample_path):
    assert isinstance(book, Book) and not book.interactive
    # Not calculated yet: the value the builder saved with the formula (the engine's).
    assert book.read(TARGETS, LAY.company.cell("year", 0)) == [[24_000_000.0]]
    assert book.read_formulas(TARGETS, LAY.company.cell("year", 0))[0][0].startswith("=")
    assert book.read_formulas(ASSUMPTIONS, "B6") == [[None]]
    book.add_sheet("Notes", after=SUMMARY)
    book.write("Notes", "B2", [["=1+1", "#N/A", 3], [None, True, 2.5]])
    assert book.read("Notes", "B2:D3") == [["=1+1", "#N/A", 3], [None, True, 2.5]]
    assert book.used_range("Notes") == "A1:D3"
    book.add_sheet("Notes")
    assert book.read("Notes", "B2") == [[None]] and book.sheet_names().count("Notes") == 1
    book.write("Notes", "A1", [["=HYPERLINK(\"x\")"]])
    book.save()
    again = OpenpyxlBook(sample_path)
    assert again.read("Notes", "A1") == [['=HYPERLINK("x")']] and again.read_formulas("Notes", "A1") == [[None]]
    with pytest.raises(WorkbookError, match="no sheet 'Nope'"):
        book.read("Nope", "A1")
    with pytest.raises(WorkbookError, match="style: must be one of"):
        book.style("Notes", "A1", "sparkly")


def test_calculate_without_libreoffice_says_how_to_get_it(book, monkeypatch):
    monkeypatch.setattr(book_module.shutil, "which", lambda name: None)
    with pytest.raises(WorkbookError, match=r"LibreOffice is needed .*\(apt-get install libreoffice-calc-nogui\)"):
        book.calculate()


def test_macro_modules_import_without_xlwings():
    code = ("import sys, aop_xl.xl.macros, aop_xl.workbook.book, aop_xl.workbook.plan_reader, "
            "aop_xl.workbook.reports; print('xlwings' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------- XlwingsBook, without Excel


def test_xlwings_api_in_use_exists_on_xlwings():
    for cls, names in XLWINGS_API.items():
        missing = [n for n in names if not hasattr(getattr(xlwings.main, cls), n)]
        assert not missing, f"xlwings.main.{cls} has no {missing}"


class Strict:
    """Stands in for an xlwings object: touching a name not in XLWINGS_API fails the test."""

    def __init__(self, kind: str, **attrs):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "attrs", attrs)
        object.__setattr__(self, "assigned", {})

    def _check(self, name):
        assert name in XLWINGS_API[self.kind], f"{self.kind}.{name} is used but not listed in XLWINGS_API"

    def __getattr__(self, name):
        self._check(name)
        return self.attrs[name]

    def __setattr__(self, name, value):
        self._check(name)
        self.assigned[name] = value


class FakeSheets(Strict):
    def __init__(self, sheets):
        super().__init__("Sheets", add=self._add)
        object.__setattr__(self, "items", sheets)

    def _add(self, name, after=None):
        self.items.append(fake_sheet(name))
        self.items[-1].attrs["after"] = after

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, key):
        return self.items[key] if isinstance(key, int) else next(s for s in self.items if s.attrs["name"] == key)


def fake_range(values=None, plain=None, formula=None):
    rng = Strict("Range", formula=formula, font=Strict("Font"), last_cell=Strict(
        "Range", get_address=lambda row_absolute=True, column_absolute=True: "D9"))

    def options(**kw):
        assert set(kw) <= {"ndim", "err_to_str"}  # documented converter options
        return Strict("Range", value=values if kw.get("err_to_str") else plain)

    rng.attrs["options"] = options
    return rng


def fake_sheet(name, ranges=None):
    ranges = ranges or {}
    sheet = Strict("Sheet", name=name, used_range=fake_range(), clear=lambda: sheet.attrs.setdefault("cleared", 1),
                   autofit=lambda: None)
    sheet.attrs["range"] = lambda address: ranges.setdefault(address, fake_range())
    return sheet


def test_xlwings_book_through_fakes_of_the_documented_api(tmp_path, monkeypatch):
    ranges = {"A1:C1": fake_range([["#DIV/0!", "#N/A", 1.0]], [[None, "#N/A", 1.0]]),
              "A2:B2": fake_range(formula=(("=SUM(X1)", "12"),)), "A3": fake_range(formula="=1")}
    sheets = FakeSheets([fake_sheet("Data", ranges), fake_sheet("Summary")])
    calls = []
    books = Strict("Books", open=lambda path: calls.append(("open", path)))
    app = Strict("App", calculate=lambda: calls.append(("calculate",)), books=books,
                 alert=lambda prompt, title=None: calls.append(("alert", prompt, title)))
    fake = Strict("Book", sheets=sheets, fullname=str(tmp_path / "AOP.xlsx"), app=app,
                  save=lambda path=None: calls.append(("save", path)),
                  to_pdf=lambda path, include=None: calls.append(("pdf", path, include)))
    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(lambda: fake))
    book = XlwingsBook.caller()
    assert isinstance(book, Book) and book.interactive and book.path == tmp_path / "AOP.xlsx"
    assert book.sheet_names() == ["Data", "Summary"] and book.used_range("Data") == "A1:D9"
    assert book.read("Data", "A1:C1") == [[XlError("#DIV/0!"), "#N/A", 1.0]]
    assert isinstance(book.read("Data", "A1:C1")[0][0], XlError) and not isinstance(book.read("Data", "A1:C1")[0][1],
                                                                                     XlError)
    assert book.read_formulas("Data", "A2:B2") == [["=SUM(X1)", None]] and book.read_formulas("Data", "A3") == [["=1"]]
    book.write("Data", "B5", [["=1+1", 2.0, None]])
    assert ranges["B5"].assigned["value"] == [["'=1+1", 2.0, None]]
    book.add_sheet("Statements", after="Summary")
    assert sheets["Statements"].attrs["after"] is sheets["Summary"]
    book.add_sheet("Data")
    assert sheets["Data"].attrs["cleared"] == 1
    book.style("Data", "C3", "input")
    assert ranges["C3"].assigned["color"] == INPUT_FILL_RGB and ranges["C3"].attrs["font"].assigned["color"] == \
        INPUT_FONT_RGB
    book.style("Data", "C4", "amount")
    assert ranges["C4"].assigned["number_format"] == "#,##0.00"
    book.calculate()
    book.save()
    book.export_pdf("Summary", tmp_path / "s.pdf")
    book.alert("done", "AOP")
    book.open_workbook(tmp_path / "AOP_2028.xlsx")
    assert calls == [("calculate",), ("save", None), ("pdf", str(tmp_path / "s.pdf"), ["Summary"]),
                     ("alert", "done", "AOP"), ("open", str(tmp_path / "AOP_2028.xlsx"))]
    fake.attrs["fullname"] = "Book1"
    assert XlwingsBook(fake).path is None
