"""The monthly routine through the real commands: sample-actuals, actuals, statements."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from aop_cli import aop_xl, one_error
from aop_xl.workbook.book import OpenpyxlBook
from aop_xl.cycle.inyear import read_year
from aop_xl.workbook.layout import ACTUALS, IN_YEAR

from libreoffice import require_soffice


@pytest.fixture(scope="module")
def routine(tmp_path_factory) -> Path:
    """A built sample workbook with the first three months loaded."""
    d = tmp_path_factory.mktemp("routine")
    assert aop_xl("build", "-o", "AOP_2027.xlsx", cwd=d).returncode == 0
    done = aop_xl("sample-actuals", "-o", "crm.csv", "--months", "3", cwd=d)
    assert done.returncode == 0 and done.stdout.startswith("wrote crm.csv: ")
    return d


def test_the_monthly_routine_in_three_commands(routine, tmp_path):
    d = routine
    done = aop_xl("actuals", "crm.csv", "--into", "AOP_2027.xlsx", "--as-of", "2027-03", cwd=d)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "as of 2027-03 (fiscal month 3)" in out and "unmappable (listed below with file and line): 0 rows" in out
    assert "Commission for Q1 2027 (due): " in out and out.rstrip().endswith("wrote AOP_2027.xlsx")
    year = read_year(OpenpyxlBook(d / "AOP_2027.xlsx"))
    loaded = len(year.lines)
    assert loaded > 1000 and year.as_of == 3
    # Again: nothing counted twice.
    again = aop_xl("actuals", "crm.csv", "--into", "AOP_2027.xlsx", cwd=d)
    assert again.returncode == 0 and "  loaded: 0 rows, 0.00 USD" in again.stdout
    assert f"already loaded (not counted again): {loaded:,} rows" in again.stdout
    assert len(read_year(OpenpyxlBook(d / "AOP_2027.xlsx")).lines) == loaded
    st = aop_xl("statements", "AOP_2027.xlsx", "-o", str(tmp_path / "out"), "--no-pdf", cwd=d)
    assert st.returncode == 0, st.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 12 and files[0] == "2027-Q1 An Nguyen.xlsx"
    ws = load_workbook(tmp_path / "out" / files[0]).active
    labels = {}
    for r in range(1, ws.max_row + 1):
        labels.setdefault(ws.cell(r, 1).value, ws.cell(r, 2).value)
    assert labels["Rep"] == "An Nguyen" and labels["Period"] == "Q1 2027"
    # Statements record Q1's payments as made, on the Actuals sheet.
    paid = read_year(OpenpyxlBook(d / "AOP_2027.xlsx")).payments
    assert set(paid) == {r.name for r in year.plan.reps} and all(set(v) == {3} for v in paid.values())
    assert labels["This payment"] == pytest.approx(paid["An Nguyen"][3])


def test_bad_rows_are_listed_and_the_good_ones_loaded(routine, tmp_path):
    d = tmp_path
    assert aop_xl("build", "-o", "AOP.xlsx", cwd=d).returncode == 0
    (d / "crm.csv").write_text("Close Date,Sales Rep,Account,Product,Amount\n"
                               "2027-01-05,An Nguyen,A,Widgets Pro,100\n"
                               "2027-01-05,An Nguyen,A,Widgets Pro,\"1.234,56\"\n"
                               "2027-01-05,Jon,A,Widgets Pro,5\n", encoding="utf-8")
    done = aop_xl("actuals", "crm.csv", "missing.csv", "--into", "AOP.xlsx", cwd=d)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "error: missing.csv: no such file",
        'error: crm.csv line 3: amount: "1.234,56" is not an amount as 1234.56 or 1,234.56 with at most 2 decimal '
        "places",
        'error: crm.csv line 4: rep: "Jon" is not a rep of the plan',
    ]
    assert "  loaded: 1 row, 100.00 USD" in done.stdout
    assert "unmappable (listed below with file and line): 2 rows, 5.00 USD (and 1 without a readable amount)" in \
        done.stdout
    assert len(read_year(OpenpyxlBook(d / "AOP.xlsx")).lines) == 1


def test_unusable_inputs_are_one_line_and_leave_the_workbook_alone(routine, tmp_path):
    d = routine
    before = (d / "AOP_2027.xlsx").read_bytes()
    one_error(aop_xl("actuals", "crm.csv", "--into", "AOP_2027.xlsx", "--as-of", "2026-12", cwd=d),
              "as-of: 2026-12 is outside the fiscal year 2027 (2027-01 to 2027-12)")
    one_error(aop_xl("actuals", "crm.csv", "--into", "AOP_2027.xlsx", "--as-of", "March", cwd=d),
              'as-of: must be a month as YYYY-MM, got "March"')
    one_error(aop_xl("actuals", "crm.csv", "--into", "nothing.xlsx", cwd=d), "nothing.xlsx: no such workbook")
    one_error(aop_xl("actuals", "crm.csv", "--into", "crm.csv", cwd=d), "the workbook must have a name ending in .xlsx")
    (d / "map.toml").write_text("[columns]\namout = 'X'\n", encoding="utf-8")
    one_error(aop_xl("actuals", "crm.csv", "--into", "AOP_2027.xlsx", "--mapping", "map.toml", cwd=d),
              "map.toml: columns.amout: unknown key")
    assert (d / "AOP_2027.xlsx").read_bytes() == before
    one_error(aop_xl("sample-actuals", "-o", "crm.txt", cwd=d), "crm.txt: the export must have a name ending in .csv")
    one_error(aop_xl("statements", "crm.csv", "-o", "out", cwd=d), "the workbook must have a name ending in .xlsx")
    assert aop_xl("build", "-o", "fresh.xlsx", cwd=tmp_path).returncode == 0
    one_error(aop_xl("statements", "fresh.xlsx", "-o", "out", cwd=tmp_path),
              "the workbook has no as-of period yet; load actuals first (aop-xl actuals)")


def test_a_plan_file_gives_the_reps_changes(tmp_path):
    plan = Path(__file__).parent.parent / "src" / "aop_xl" / "data" / "sample_plan.toml"
    text = plan.read_text(encoding="utf-8").replace(
        'name = "Li Wei"\nregion = "Central"\nshare = 1\n',
        'name = "Li Wei"\nregion = "Central"\nshare = 1\nstart = "2027-02"\ndraw = 1500\n'
        'moves = [{ month = "2027-03", region = "South" }]\n')
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    assert aop_xl("build", "plan.toml", "-o", "AOP.xlsx", cwd=tmp_path).returncode == 0
    assert aop_xl("sample-actuals", "plan.toml", "-o", "crm.xlsx", "--months", "3", cwd=tmp_path).returncode == 0
    done = aop_xl("actuals", "crm.xlsx", "--into", "AOP.xlsx", "--plan", "plan.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    year = read_year(OpenpyxlBook(tmp_path / "AOP.xlsx"))
    li = year.plan.reps[-1]
    assert (li.start, li.draw, [(m.month, m.region) for m in li.moves]) == ("2027-02", 1500, [("2027-03", "South")])
    assert set(year.lines.loc[(year.lines.rep == "Li Wei") & (year.lines.fy == 0), "period"]) <= {2, 3}
    names = load_workbook(tmp_path / "AOP.xlsx").sheetnames
    assert names[names.index("Summary") + 1:names.index("Summary") + 3] == [ACTUALS, IN_YEAR]


@pytest.mark.libreoffice
def test_statements_as_pdf(routine, tmp_path):
    require_soffice()
    done = aop_xl("statements", "AOP_2027.xlsx", "-o", str(tmp_path), cwd=routine)
    assert done.returncode == 0, done.stderr
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 12 and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
