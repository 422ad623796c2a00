"""The checks' reader and formula index: shared formulas, tokens, R1C1 forms, references."""

from __future__ import annotations

import pytest
from checks_helpers import CORPUS, sheet_xml, write_package
from openpyxl import load_workbook
from openpyxl.formula.translate import Translator

from aop_xl.checks.formula import normalised, plan_of, r1c1, references, shape, shift
from aop_xl.checks.index import FormulaIndex
from aop_xl.checks.reader import read_workbook


def test_shared_formulas_expand_as_openpyxl_translates_them(tmp_path):
    cells = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B4" si="0">A1*$C$1+SUM($A$1:A1)</f></c>'
        '<c r="D1"><f t="shared" ref="D1:F1" si="1">Sheet2!A$1+\'My 2 Sheet\'!B1&amp;"A1"</f></c></row>'
        '<row r="2"><c r="B2"><f t="shared" si="0"/></c><c r="E1"/></row>'
        '<row r="3"><c r="B3"><f t="shared" si="0"/></c></row>'
        '<row r="4"><c r="B4"><f t="shared" si="0"/></c></row>'
    )
    cells = cells.replace('<c r="E1"/>', "")
    cells = cells.replace('</row><row r="2">', '<c r="E1"><f t="shared" si="1"/></c><c r="F1"><f t="shared" si="1"/>'
                                               '</c></row><row r="2">', 1)
    path = write_package(tmp_path / "shared.xlsx", {"Sheet1": sheet_xml(cells), "Sheet2": sheet_xml("")})
    ours = read_workbook(path).sheet("Sheet1").formulas
    master_b, master_d = "=" + ours[(1, 2)], "=" + ours[(1, 4)]
    for (r, c), text in ours.items():
        master, origin = (master_b, "B1") if c == 2 else (master_d, "D1")
        dest = f"{chr(64 + c)}{r}"
        assert "=" + text == Translator(master, origin).translate_formula(dest), dest
    assert ours[(4, 2)] == "A4*$C$1+SUM($A$1:A4)"
    assert ours[(1, 6)] == "Sheet2!C$1+'My 2 Sheet'!D1&\"A1\""


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus")
@pytest.mark.parametrize("name", ["calamine__shared_formula_simple.xlsx", "calamine__issue_567_absolute_shared.xlsx",
                                  "closedxml__3d-reference.xlsx", "excelize__Book1.xlsx", "closedxml__tdf111974.xlsm"])
def test_shared_formulas_of_real_files_read_as_openpyxl_reads_them(name):
    path = CORPUS / name
    theirs = load_workbook(path)
    ours = read_workbook(path)
    for ws in theirs.worksheets:
        mine = ours.sheet(ws.title).formulas
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    assert "=" + mine[(cell.row, cell.column)] == cell.value, cell.coordinate


def test_shapes_keep_every_token_but_digits():
    text = 'IF(Sheet2!$B$7>0,LOG10(B7)*1.5E-3,"Q1 "&TEXT(B7,"0.00"))+T1[[#This Row],[Col 2]]+SUM(3:$5)+[1]X!A1'
    plan = plan_of(shape(text.encode()))
    kinds = {ref.kind for ref in plan.refs}
    assert kinds == {"cell", "rows"}
    assert [text.encode()[a:b].decode() for a, b in plan.functions] == ["IF", "LOG10", "TEXT", "SUM"]
    assert [text.encode()[a:b].decode() for a, b in plan.numbers] == ["0", "1.5E-3"]
    assert plan.external and plan.tables and plan.depth == 2
    # row runs of references are the only relative digits: strings and names keep theirs
    assert sorted(k for k in plan.run_kind if k) == [1, 1, 1, 1, 2, 2]  # B7, B7, 3, A1; $B$7, $5


def test_r1c1_and_shift_agree():
    for text, row, col in [("B7*$C$2+SUM(A1:A6)", 7, 4), ("'A b'!C3-Data!$D4", 3, 3), ("SUM(A:C)+B$2", 9, 2)]:
        moved = shift(text, 5, 2)
        assert r1c1(moved, row + 5, col + 2) == r1c1(text, row, col)


def test_references_of_one_formula():
    refs = references("SUM(Data!B2:B9)+$C$3+SUM(A:A)")
    assert [(r.sheet, r.kind, r.r1, r.c1, r.r2, r.c2) for r in refs] == [
        ("Data", "range", 2, 2, 9, 2), (None, "cell", 3, 3, 3, 3), (None, "cols", 1, 1, 1_048_576, 1)]


def test_normalised_forgets_what_re_saving_changes():
    assert normalised("sum( 'Data'!B2:B9 )*1E-09") == normalised("SUM(Data!B2:B9)*0.000000001")
    assert normalised('"a"&B1') != normalised('"A"&B1')


def test_copies_share_a_form_and_workbooks_share_form_keys(tmp_path):
    def book(path, formulas):
        cells = "".join(f'<row r="{r}"><c r="C{r}"><f>{f}</f></c></row>' for r, f in formulas)
        return read_workbook(write_package(path, {"S": sheet_xml(cells)}))

    a = book(tmp_path / "a.xlsx", [(1, "A1*B1"), (2, "A2*B2"), (3, "A3*B2"), (4, "A4*$B$1")])
    ix = FormulaIndex(a)
    forms = dict(zip(ix.sheets[0].rows.tolist(), ix.sheets[0].form.tolist()))
    assert forms[1] == forms[2] and len({forms[2], forms[3], forms[4]}) == 3
    b = book(tmp_path / "b.xlsx", [(10, "A10*B10")])
    iy = FormulaIndex(b)
    assert iy.form_keys[int(iy.sheets[0].form[0])] == ix.form_keys[forms[1]]


def test_copies_on_both_sides_of_row_10_share_a_form(tmp_path):
    cells = "".join(f'<row r="{r}"><c r="C{r}"><f>A{r}*B{r}</f></c></row>' for r in range(5, 16))
    wb = read_workbook(write_package(tmp_path / "rows.xlsx", {"S": sheet_xml(cells)}))
    assert len(set(FormulaIndex(wb).sheets[0].form.tolist())) == 1
