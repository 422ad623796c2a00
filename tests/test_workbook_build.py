"""The standard workbook as a file: structure, names, protection, styles, limits, determinism.

These tests need no spreadsheet engine; test_workbook_recalc.py proves the numbers.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from test_workbook_recalc import HOSTILE, hostile_plan

from aop_xl import load_plan
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.workbook import build, build_workbook, plan_fingerprint, read_identity, workbook_bytes, workbook_for
from aop_xl.workbook.layout import (
    PARAM_KEYS,
    ASSUMPTIONS,
    BLANK_CAPACITY,
    COMMISSION,
    HIDDEN_SHEETS,
    KPI,
    META,
    SHEETS,
    SUMMARY,
    TARGETS,
    TEMPLATE_ID,
    Layout,
    capacity_for,
    check_defined_name,
    check_list,
    check_sheet_name,
)

REQUIRED_NAMES = ("TotalTarget", "RegionNames", "RegionTargets", "ProductNames", "ProductTargets", "QuarterTargets",
                  "MonthTargets", "RepNames", "RepBaseQuota", "RepChallengeQuota", "RepSales", "RepCommission",
                  "SalesCost", "GrossProfit", "ROI")
# Functions Excel 2016 and LibreOffice 7.4 both evaluate, as used by the template.
# Functions Excel 2016, LibreOffice and Gnumeric evaluate alike; N() is not among them (Gnumeric
# refuses N of a blank cell) and neither is ROW() (a function over a range in SUMPRODUCT).
ALLOWED_FUNCTIONS = {"ABS", "AND", "CHOOSE", "COUNT", "COUNTIF", "HYPERLINK", "IF", "INDEX", "INT", "ISNA",
                     "ISNUMBER", "ISTEXT", "LEFT", "LOG10", "LOWER", "MATCH", "MAX", "MID", "MIN", "MOD", "NOT", "OR",
                     "ROUND", "SIGN", "SUBSTITUTE", "SUM", "SUMIF", "SUMPRODUCT", "TRIM", "UPPER"}
FORBIDDEN = re.compile(r"_xlfn|XLOOKUP|\bLET\(|LAMBDA|FILTER\(|SEQUENCE\(|OFFSET\(|INDIRECT\(|TODAY\(|NOW\(|RAND|\[")


@pytest.fixture(scope="module")
def sample_bytes():
    return workbook_bytes(workbook_for(load_plan()))


@pytest.fixture(scope="module")
def sample(sample_bytes):
    return load_workbook(io.BytesIO(sample_bytes))


@pytest.fixture(scope="module")
def blank():
    return load_workbook(io.BytesIO(workbook_bytes(workbook_for(None))))


def formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    yield ws.title, cell


def test_sheets_in_order_meta_hidden_all_protected(sample, blank):
    for wb in (sample, blank):
        assert wb.sheetnames == list(SHEETS)
        for ws in wb.worksheets:
            assert ws.protection.sheet, ws.title
            assert ws.protection.password is None
            assert (ws.sheet_state == "hidden") == (ws.title in HIDDEN_SHEETS)


def test_password_protects_every_sheet():
    wb = load_workbook(io.BytesIO(workbook_bytes(workbook_for(load_plan(), password="s3cret"))))
    assert all(ws.protection.sheet and ws.protection.password for ws in wb.worksheets)


def test_defined_names_are_the_layouts(sample, blank):
    for wb, layout in ((sample, Layout(capacity_for(load_plan()))), (blank, Layout(BLANK_CAPACITY))):
        names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
        assert set(REQUIRED_NAMES) <= set(names)
        assert names == layout.defined_names
        for ws in wb.worksheets:
            assert not ws.defined_names, f"{ws.title}: sheet-scoped names"
    assert sample.defined_names["RepSales"].attr_text == "Commission!$C$13:$C$24"
    assert sample.defined_names["RegionNames"].attr_text == "Assumptions!$A$41:$A$44"


def test_formulas_use_only_portable_non_volatile_functions(sample, blank):
    problems = []
    for wb in (sample, blank):
        for sheet, cell in formulas(wb):
            text = cell.value
            used = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", text))
            if FORBIDDEN.search(text) or not used <= ALLOWED_FUNCTIONS or len(text) > 8192:
                problems.append(f"{sheet}!{cell.coordinate}: {text[:120]}")
    assert not problems, "\n".join(problems[:20])


def test_inputs_unlocked_and_styled_formulas_locked(sample):
    lay = Layout(capacity_for(load_plan()))
    ws = sample[ASSUMPTIONS]
    for ref in (lay.regions.cell("name", 0), lay.regions.cell("weight", 3), lay.params.cell("value", 0),
                lay.tiers.cell("rate", 2), lay.mix.cell("p5", 3)):
        cell = ws[ref]
        assert cell.protection.locked is False, ref
        assert cell.fill.fgColor.rgb == "FFFFF9DB" and cell.font.color.rgb == "FF0000CC", ref
    assert sample[COMMISSION][lay.statement.cell("sales", 0)].protection.locked is False
    assert sample[KPI][lay.kpi.cell("actual", 0)].protection.locked is False
    for sheet, cell in formulas(sample):
        assert cell.protection.locked, f"{sheet}!{cell.coordinate}"


def test_user_text_is_literal_text():
    plan = hostile_plan()
    data = workbook_bytes(workbook_for(plan))
    wb = load_workbook(io.BytesIO(data))
    lay = Layout(capacity_for(plan))
    ws = wb[ASSUMPTIONS]
    texts = [ws[lay.regions.cell("name", i)] for i in range(len(plan.regions))]
    texts += [ws[lay.reps.cell("name", i)] for i in range(len(plan.reps))]
    texts += [ws[lay.params.cell("value", 0)]]
    assert {c.value for c in texts} >= set(HOSTILE[:6])
    for cell in texts:
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(f"xl/worksheets/sheet{SHEETS.index(ASSUMPTIONS) + 1}.xml").decode()
    assert "HYPERLINK" not in re.sub(r"<is><t>[^<]*</t></is>", "", xml)
    assert "<f>" not in xml.split(f'r="{lay.regions.cell("name", 0)}"')[1].split("</c>")[0]


def test_validations_and_dropdowns(sample):
    lay = Layout(capacity_for(load_plan()))
    dvs = sample[ASSUMPTIONS].data_validations.dataValidation
    lists = {str(dv.sqref): dv.formula1 for dv in dvs if dv.type == "list"}
    assert lists[lay.regions.area("market")] == '"core,growth,new"'
    assert lists[lay.products.area("bcg")] == '"star,cash_cow,question_mark,dog"'
    assert lists[lay.reps.area("region")] == lay.regions.range("name", qualified=False)
    assert lists[lay.params.cell("value", PARAM_KEYS.index("commission_mode"))] == '"marginal,retroactive"'
    assert lists[lay.params.cell("value", PARAM_KEYS.index("display"))] == '"units,thousands,millions"'
    for formula in lists.values():
        assert len(formula) <= 257


def test_presentation(sample):
    assert sample[ASSUMPTIONS].freeze_panes == "A6"
    assert sample[TARGETS].freeze_panes == "C6"
    s = sample[SUMMARY]
    assert s.page_setup.orientation == "landscape"
    assert s.page_setup.fitToWidth == 1 and s.page_setup.fitToHeight == 1
    assert s.sheet_properties.pageSetUpPr.fitToPage
    assert len(s._charts) == 4
    lay = Layout(capacity_for(load_plan()))
    # No currency code inside a number format (the subtitle names it); negatives in parentheses.
    fmt = sample[TARGETS][lay.company.cell("year", 0)].number_format
    assert "USD" not in fmt and "(#,##0.00)" in fmt
    assert sample[ASSUMPTIONS].column_dimensions["A"].width >= 20


def test_meta_identity_and_fingerprint(tmp_path):
    plan = load_plan()
    path = build_workbook(plan, tmp_path / "a.xlsx")
    ident = read_identity(path)
    assert ident.template_id == TEMPLATE_ID and not ident.blank
    assert ident.capacity == capacity_for(plan)
    assert ident.fingerprint == plan_fingerprint(plan) and len(ident.fingerprint) == 64
    blank = read_identity(build_workbook(None, tmp_path / "b.xlsx", blank=True))
    assert blank.blank and blank.capacity == BLANK_CAPACITY and blank.fingerprint == ""
    load_workbook(path)  # opens
    other = tmp_path / "other.xlsx"
    from openpyxl import Workbook

    Workbook().save(other)
    with pytest.raises(WorkbookError, match="not a standard AOP workbook"):
        read_identity(other)
    (tmp_path / "junk.xlsx").write_text("not a zip")
    with pytest.raises(WorkbookError, match="not an .xlsx"):
        read_identity(tmp_path / "junk.xlsx")


def test_same_plan_same_bytes(sample_bytes):
    # (The blank template is rebuilt byte for byte against the committed one in
    # test_workbook_golden.py.)
    assert workbook_bytes(workbook_for(load_plan())) == sample_bytes
    with zipfile.ZipFile(io.BytesIO(sample_bytes)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_no_partial_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "AOP.xlsx"
    target.write_bytes(b"previous")

    def boom(wb):
        raise WorkbookError("simulated failure")

    monkeypatch.setattr(build, "workbook_bytes", boom)
    with pytest.raises(WorkbookError):
        build_workbook(load_plan(), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["AOP.xlsx"]
    with pytest.raises(WorkbookError, match="does not exist"):
        build.write_atomic(tmp_path / "missing" / "x.xlsx", b"x")


def test_build_arguments():
    with pytest.raises(WorkbookError, match="blank=True"):
        build_workbook(None, "x.xlsx")
    with pytest.raises(PlanError, match="not a rep"):
        workbook_for(load_plan(), sales={"Nobody": 1})


def test_excel_limits_are_enforced():
    with pytest.raises(WorkbookError):
        check_sheet_name("a" * 32)
    with pytest.raises(WorkbookError):
        check_sheet_name("Q1/Q2")
    for bad in ("A1", "XFD1048576", "R1C1", "R", "1abc", "a b", "x" * 256):
        with pytest.raises(WorkbookError):
            check_defined_name(bad)
    assert check_defined_name("ROI") == "ROI"
    with pytest.raises(WorkbookError):
        check_list(tuple(f"choice{i}" for i in range(40)))
    assert META in SHEETS


def test_every_helper_header_says_in_plain_words_what_it_computes(sample, blank):
    from aop_xl.workbook.helper_notes import AUTHOR

    for wb in (sample, blank):
        headers = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
                   if c.font is not None and c.font.size == 9 and c.font.bold and c.value not in (None, "")]
        assert len(headers) > 50
        missing = [f"{c.parent.title}!{c.coordinate} {c.value}" for c in headers
                   if c.comment is None or c.comment.author != AUTHOR or len(c.comment.text) < 20]
        assert not missing, missing[:10]
