"""Every rule of ``aop-xl validate`` fires on a workbook broken for it, and stays quiet on the
clean sample and the blank template.

Each firing test makes its broken workbook here (the standard workbook from the library, or a
small one from openpyxl or from parts) and checks that the rule's finding names the right
sheet and cells. Addresses of the standard workbook come from its layout, never spelled out.
"""

from __future__ import annotations

import pytest
from checks_helpers import SAMPLE, TEMPLATE, book, patch_part, sheet_xml, write_package
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table
from tests_helpers import sample_dict

from aop_xl import load_plan
from aop_xl.checks.rules import RULES
from aop_xl.checks.validate import validate_file
from aop_xl.plan import plan_from_dict
from aop_xl.workbook.build import build_workbook, workbook_bytes, workbook_for, write_atomic
from aop_xl.workbook.layout import ASSUMPTIONS, META, META_KEYS, SUMMARY, TARGETS, Layout, capacity_for

def findings(path, rule_id: str):
    report = validate_file(path)
    assert report.error is None, report.error
    return [f for f in report.findings if f.rule.id == rule_id]


def one(path, rule_id: str):
    found = findings(path, rule_id)
    assert found, f"{rule_id} did not fire on {path.name}"
    return found[0]


# ------------------------------------------------------------------------- the standard workbook


def aop_book(tmp_path, change, name="broken.xlsx"):
    """The sample plan's workbook, changed by ``change(wb, layout)`` before it is written."""
    plan = load_plan()
    wb = workbook_for(plan)
    change(wb, Layout(capacity_for(plan)))
    return write_atomic(tmp_path / name, workbook_bytes(wb))


def test_c101_missing_sheet(tmp_path):
    path = aop_book(tmp_path, lambda wb, lay: wb.remove(wb[SUMMARY]))
    f = one(path, "C101")
    assert SUMMARY in f.message


def test_c102_defined_name_moved(tmp_path):
    def change(wb, lay):
        wb.defined_names["TotalTarget"].attr_text = lay.company.ref("q1", 0)
    f = one(aop_book(tmp_path, change), "C102")
    assert "TotalTarget" in f.message and lay_ref("company", "year") in f.message


def lay_ref(block: str, key: str, i: int = 0) -> str:
    return getattr(Layout(capacity_for(load_plan())), block).ref(key, i)


def test_c103_unknown_template_version(tmp_path):
    def change(wb, lay):
        wb[META][lay.meta.cell("value", META_KEYS.index("template_version"))] = "0.1"
    f = one(aop_book(tmp_path, change), "C103")
    assert f.sheet == META and "0.1" in f.message


def test_c104_fingerprint_of_other_numbers(tmp_path):
    def change(wb, lay):
        wb[ASSUMPTIONS][lay.regions.cell("weight", 0)] = 41  # an input changed after the build
    path = aop_book(tmp_path, change)
    f = one(path, "C104")
    assert f.sheet == META
    assert not findings(path, "C107"), "an edited input is an input, not a value outside the inputs"


def test_c105_formula_changed(tmp_path):
    def change(wb, lay):
        wb[TARGETS][lay.cube.cell("m03", 1)] = "=1+1"
    f = one(aop_book(tmp_path, change), "C105")
    assert (f.sheet, f.range) == (TARGETS, Layout(capacity_for(load_plan())).cube.cell("m03", 1))
    assert "=1+1" in f.message and "where the template has" in f.message


def test_constants_of_the_template_are_its_own_but_a_typed_one_is_not(tmp_path):
    # M203 leaves the template's own formulas alone (their constants are the library's
    # arithmetic) and flags a constant a user typed into one.
    def change(wb, lay):
        wb[TARGETS][lay.cube.cell("m04", 2)] = f"={lay.cube.cell('m03', 2)}*1.07"
    path = aop_book(tmp_path, change)
    f = one(path, "M203")
    assert (f.sheet, f.range) == (TARGETS, Layout(capacity_for(load_plan())).cube.cell("m04", 2))
    assert findings(path, "C105")


def test_c106_formula_overwritten_by_a_number(tmp_path):
    def change(wb, lay):
        for key in ("m01", "m02", "m03"):
            wb[TARGETS][lay.cube.cell(key, 0)] = 1000
    f = one(aop_book(tmp_path, change), "C106")
    lay = Layout(capacity_for(load_plan()))
    assert f.range == f"{lay.cube.cell('m01', 0)}:{lay.cube.cell('m03', 0)}" and f.cells == 3
    assert "holds the value 1000" in f.message


def test_c107_value_typed_outside_the_inputs(tmp_path):
    def change(wb, lay):
        ws = wb[SUMMARY]
        ws.cell(row=ws.max_row + 3, column=ws.max_column + 2, value=12345)
    f = one(aop_book(tmp_path, change), "C107")
    assert f.sheet == SUMMARY and "12345" in f.message


def test_c108_input_the_plan_refuses(tmp_path):
    def change(wb, lay):
        wb[ASSUMPTIONS][lay.regions.cell("weight", 1)] = -5
    f = one(aop_book(tmp_path, change), "C108")
    assert (f.sheet, f.range) == (ASSUMPTIONS, Layout(capacity_for(load_plan())).regions.cell("weight", 1))
    assert ">= 0" in f.message


def test_contract_compares_a_filled_in_blank_template(tmp_path):
    # A blank template with inputs typed in stays quiet: inputs are inputs.
    wb = workbook_for(None)
    lay = Layout(capacity_for(load_plan()))
    wb[ASSUMPTIONS][lay.regions.cell("name", 0)] = "North"
    wb[ASSUMPTIONS][lay.regions.cell("weight", 0)] = 3
    path = write_atomic(tmp_path / "filled.xlsx", workbook_bytes(wb))
    assert validate_file(path).findings == []


def test_contract_compares_with_the_workbooks_own_plan(tmp_path):
    # A plan with other members and numbers: its own template, not the sample's, is the reference.
    d = sample_dict()
    d["regions"] = d["regions"][:2]
    d["reps"] = [r for r in d["reps"] if r["region"] in {x["name"] for x in d["regions"]}]
    d["budget"] = [b for b in d.get("budget", []) if b.get("region") in (None, *[x["name"] for x in d["regions"]])]
    path = build_workbook(plan_from_dict(d), tmp_path / "two_regions.xlsx")
    assert validate_file(path).findings == []


# ------------------------------------------------------------------------- modelling


def column(ws, formulas: list, col: str = "C"):
    for i in range(1, 9):
        ws[f"A{i}"] = i
        ws[f"B{i}"] = 10 * i
    for i, text in enumerate(formulas, start=1):
        ws[f"{col}{i}"] = text


def test_m201_number_typed_among_formulas(tmp_path):
    path = book(tmp_path / "m201.xlsx", lambda ws, wb: column(
        ws, [f"=A{i}*B{i}" for i in range(1, 5)] + [500] + [f"=A{i}*B{i}" for i in range(6, 9)]))
    f = one(path, "M201")
    assert (f.range, f.cells) == ("C5", 1) and "500" in f.message and "=A5*B5" in f.message


def test_m201_a_pasted_row_is_one_block(tmp_path):
    def fill(ws, wb):
        for r in range(1, 9):
            for c in "BCDEF":
                ws[f"{c}{r}"] = f"=$A{r}*2" if r != 5 else 7
            ws[f"A{r}"] = r
    f = one(book(tmp_path / "block.xlsx", fill), "M201")
    assert (f.range, f.cells) == ("B5:F5", 5)


def test_m201_across_rows_of_different_digit_counts(tmp_path):
    def fill(ws, wb):
        for r in range(6, 15):
            ws[f"A{r}"] = r
            ws[f"C{r}"] = f"=A{r}*2" if r != 10 else 20
    f = one(book(tmp_path / "digits.xlsx", fill), "M201")
    assert f.range == "C10"


def test_m202_formula_breaks_its_column(tmp_path):
    path = book(tmp_path / "m202.xlsx", lambda ws, wb: column(
        ws, [f"=A{i}*B{i}" for i in range(1, 5)] + ["=A5*B4"] + [f"=A{i}*B{i}" for i in range(6, 9)]))
    f = one(path, "M202")
    assert f.range == "C5" and "=A5*B4" in f.message and "=A5*B5" in f.message


def test_m202_leaves_subtotal_lines_and_headings_alone(tmp_path):
    def fill(ws, wb):
        column(ws, [f"=A{i}*B{i}" for i in range(1, 4)] + ["=SUM(C1:C3)"] + [f"=A{i}*B{i}" for i in range(5, 9)])
    assert findings(book(tmp_path / "subtotal.xlsx", fill), "M202") == []


def test_m203_business_number_in_a_formula(tmp_path):
    path = book(tmp_path / "m203.xlsx", lambda ws, wb: column(ws, [f"=B{i}*1.2" for i in range(1, 9)]))
    f = one(path, "M203")
    assert (f.range, f.cells) == ("C1:C8", 8) and "1.2" in f.message


def test_m203_codes_and_small_counts_are_not_business_numbers(tmp_path):
    path = book(tmp_path / "codes.xlsx", lambda ws, wb: column(
        ws, ["=SUBTOTAL(109,B1:B8)", "=ROUND(B2/3,2)", "=B3*12", "=B4/1000", "=B5+1E-09", "=MOD(B6,7)"]))
    assert findings(path, "M203") == []


def test_m204_volatile_function(tmp_path):
    path = book(tmp_path / "m204.xlsx", lambda ws, wb: ws.__setitem__("A1", "=TODAY()"))
    assert "TODAY" in one(path, "M204").message


def test_m205_reference_to_another_workbook(tmp_path):
    path = book(tmp_path / "m205.xlsx", lambda ws, wb: ws.__setitem__("A1", "=[1]Prices!B2*2"))
    assert one(path, "M205").range == "A1"


def test_m206_function_outside_excel_2016(tmp_path):
    path = book(tmp_path / "m206.xlsx", lambda ws, wb: ws.__setitem__("A1", '=_xlfn.XLOOKUP(1,B1:B3,C1:C3)'))
    assert "XLOOKUP" in one(path, "M206").message


def test_m207_circular_reference(tmp_path):
    def fill(ws, wb):
        ws["A1"] = "=B1+1"
        ws["B1"] = "=C1+1"
        ws["C1"] = "=SUM(A1:A2)"
    f = one(book(tmp_path / "m207.xlsx", fill), "M207")
    assert f.cells == 3 and "A1" in f.message and "C1" in f.message


def test_m207_formula_inside_its_own_range(tmp_path):
    f = one(book(tmp_path / "self.xlsx", lambda ws, wb: ws.__setitem__("B3", "=SUM(B1:B5)")), "M207")
    assert f.range == "B3"


def test_m207_quiet_on_a_chain(tmp_path):
    def fill(ws, wb):
        for r in range(1, 50):
            ws[f"A{r + 1}"] = f"=A{r}+1"
        ws["B1"] = "=SUM(A1:A50)"
    assert findings(book(tmp_path / "chain.xlsx", fill), "M207") == []


def test_m208_whole_column_sum(tmp_path):
    path = book(tmp_path / "m208.xlsx", lambda ws, wb: ws.__setitem__("D1", "=SUM(A:A)"))
    assert one(path, "M208").range == "D1"


def test_m209_number_stored_as_text(tmp_path):
    def fill(ws, wb):
        for r in range(1, 6):
            ws[f"A{r}"] = 100.0 * r
        ws["A3"] = "1,200.50"
    f = one(book(tmp_path / "m209.xlsx", fill), "M209")
    assert f.range == "A3" and "1,200.50" in f.message


def test_m210_total_leaves_out_a_row(tmp_path):
    def fill(ws, wb):
        ws["B1"] = "Amount"
        for r in range(2, 8):
            ws[f"B{r}"] = 10.0 * r
        ws["B8"] = "=SUM(B2:B6)"
    f = one(book(tmp_path / "m210.xlsx", fill), "M210")
    assert f.range == "B8" and "B7" in f.message


# ------------------------------------------------------------------------- Excel's limits


def test_x301_sheet_name_excel_refuses(tmp_path):
    path = book(tmp_path / "x301.xlsx", lambda ws, wb: setattr(ws, "title", "Plan"))
    patch_part(path, "xl/workbook.xml", 'name="Plan"', 'name="Plan[2027]"')
    assert "Plan[2027]" in one(path, "X301").message


def test_x302_sheet_names_equal_but_for_case(tmp_path):
    def fill(ws, wb):
        ws.title = "Data"
        wb.create_sheet("Other")
    path = book(tmp_path / "x302.xlsx", fill)
    patch_part(path, "xl/workbook.xml", 'name="Other"', 'name="DATA"')
    assert "DATA" in one(path, "X302").message


def test_x303_defined_name_syntax(tmp_path):
    def fill(ws, wb):
        from openpyxl.workbook.defined_name import DefinedName

        wb.defined_names["Rates"] = DefinedName("Rates", attr_text="Sheet!$A$1")
    path = book(tmp_path / "x303.xlsx", fill)
    patch_part(path, "xl/workbook.xml", 'name="Rates"', 'name="Tax Rate"')
    assert "Tax Rate" in one(path, "X303").message


def test_x304_list_validation_over_255_characters(tmp_path):
    def fill(ws, wb):
        items = ",".join(f"item{i:03d}" for i in range(40))  # 319 characters
        dv = DataValidation(type="list", formula1=f'"{items}"')
        dv.add("A1:A10")
        ws.add_data_validation(dv)
    assert one(book(tmp_path / "x304.xlsx", fill), "X304").range == "A1:A10"


def test_x305_duplicate_table_names(tmp_path):
    def fill(ws, wb):
        for c, r in (("A", 1), ("E", 1)):
            ws[f"{c}{r}"] = "Key"
            ws[f"{chr(ord(c) + 1)}{r}"] = "Value"
            ws[f"{c}2"] = 1
            ws[f"{chr(ord(c) + 1)}2"] = 2
        ws.add_table(Table(displayName="Prices", ref="A1:B2"))
        ws.add_table(Table(displayName="Costs", ref="E1:F2"))
    path = book(tmp_path / "x305.xlsx", fill)
    patch_part(path, "xl/tables/table2.xml", 'displayName="Costs"', 'displayName="PRICES"')
    assert "PRICES" in one(path, "X305").message


def test_x306_reference_beyond_the_grid(tmp_path):
    path = book(tmp_path / "x306.xlsx", lambda ws, wb: ws.__setitem__("A1", "=B1048577+1"))
    assert one(path, "X306").range == "A1"


def test_x307_formula_over_8192_characters(tmp_path):
    text = "=" + "+".join(["A1"] * 3000)
    assert "9,000" in one(book(tmp_path / "x307.xlsx", lambda ws, wb: ws.__setitem__("B1", text)), "X307").message


def test_x308_more_than_64_nesting_levels(tmp_path):
    text = "=" + "ABS(" * 65 + "1" + ")" * 65
    assert "65" in one(book(tmp_path / "x308.xlsx", lambda ws, wb: ws.__setitem__("B1", text)), "X308").message


def test_x309_merged_whole_column(tmp_path):
    path = write_package(tmp_path / "x309.xlsx", {"Images": sheet_xml(
        '<row r="1"><c r="B1" t="inlineStr"><is><t>logo</t></is></c></row>',
        '<mergeCells count="1"><mergeCell ref="B1:B1048576"/></mergeCells>')})
    f = one(path, "X309")
    assert (f.sheet, f.range, f.cells) == ("Images", "B1:B1048576", 1_048_576)


def test_x310_declared_dimension_far_beyond_the_cells(tmp_path):
    path = write_package(tmp_path / "x310.xlsx", {"Sheet1": sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:XFD1048576")})
    assert "A1:XFD1048576" in one(path, "X310").message


def test_x311_strict_open_xml(tmp_path):
    path = write_package(tmp_path / "x311.xlsx", {"Sheet1": sheet_xml(
        '<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*3</f><v>6</v></c></row>',
        ns="http://purl.oclc.org/ooxml/spreadsheetml/main")}, strict=True)
    report = validate_file(path)
    assert [f.rule.id for f in report.findings] == ["X311"]


def test_v401_cached_error_value(tmp_path):
    path = write_package(tmp_path / "v401.xlsx", {"Sheet1": sheet_xml(
        '<row r="1"><c r="A1"><v>0</v></c><c r="B1" t="e"><f>1/A1</f><v>#DIV/0!</v></c>'
        '<c r="C1" t="str"><f>"#DIV/0!"</f><v>#DIV/0!</v></c></row>')})
    f = one(path, "V401")
    assert (f.range, f.cells) == ("B1", 1) and "#DIV/0!" in f.message  # text that looks like an error is not one


# ------------------------------------------------------------------------- quiet on clean workbooks


@pytest.mark.parametrize("path", [SAMPLE, TEMPLATE], ids=["committed sample", "committed template"])
def test_quiet_on_the_committed_workbooks(path):
    report = validate_file(path)
    assert report.findings == [], (f"{path.name} should be clean (if C105 fires, rebuild the committed "
                                   "workbooks): " + "; ".join(f"{f.rule.id} {f.location}: {f.message}"
                                                              for f in report.findings[:5]))


@pytest.mark.parametrize("blank", [False, True], ids=["sample", "template"])
def test_quiet_on_workbooks_built_now(tmp_path, blank):
    path = build_workbook(None if blank else load_plan(), tmp_path / "built.xlsx", blank=blank)
    report = validate_file(path)
    assert report.aop and report.findings == [], [f"{f.rule.id} {f.location}: {f.message}" for f in report.findings]


def test_every_static_rule_has_a_firing_test():
    # A test named after each rule makes a workbook for it (V402-V404, which need a
    # recalculation, fire in test_checks_recalc.py).
    names = [name for name in globals() if name.startswith("test_")]
    missing = [r.id for r in RULES.values() if not r.recalc and not any(n.startswith(f"test_{r.id.lower()}_")
                                                                        for n in names)]
    assert missing == [], f"no firing test for {missing}"


@pytest.mark.parametrize("blank", [False, True], ids=["sample", "template"])
def test_recorded_template_is_the_plain_build(blank):
    # The contract compares with the template rebuilt by the sheet builders with a recording
    # writer; it must hold exactly the cells, inputs and names of the plain build.
    from aop_xl.checks.contract import _expected, template

    plan = None if blank else load_plan()
    recorded, plain = template(plan, "recorded"), _expected(workbook_for(plan), "plain")
    assert recorded.formulas == plain.formulas
    assert recorded.constants == plain.constants
    assert recorded.inputs == plain.inputs
    assert recorded.names == plain.names
