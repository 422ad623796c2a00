"""``aop-xl validate --recalc``: V402-V404 fire after a real recalculation, and a clean sample
recalculated in LibreOffice stays quiet.

All workbooks of this module go through one validate run (one LibreOffice process).
"""

from __future__ import annotations

import pytest
from checks_helpers import book, require_gnumeric
from libreoffice import require_soffice

from aop_xl import load_plan
from aop_xl.checks.validate import validate
from aop_xl.workbook.build import build_workbook, workbook_bytes, workbook_for, write_atomic
from aop_xl.workbook.layout import TARGETS, Layout, capacity_for

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    require_soffice()
    tmp = tmp_path_factory.mktemp("recalc")
    plan = load_plan()
    lay = Layout(capacity_for(plan))
    wb = workbook_for(plan)
    wb[TARGETS][lay.cube.cell("m02", 0)] = 1234.5  # a month typed over: its check cell shows it
    files = {
        "clean": build_workbook(plan, tmp / "clean.xlsx"),
        "broken": write_atomic(tmp / "broken.xlsx", workbook_bytes(wb)),
        "error": book(tmp / "error.xlsx", lambda ws, w: (ws.__setitem__("A1", 0), ws.__setitem__("B1", "=1/A1"))),
        # LibreOffice rounds INT's argument to 15 significant digits first; Gnumeric does not.
        "engines": book(tmp / "engines.xlsx", lambda ws, w: ws.__setitem__("A1", "=INT(406473238.99999994)")),
    }
    lo_only = validate([files["clean"], files["broken"], files["error"]], recalc=True, engines=("LibreOffice",))
    both = validate([files["engines"]], recalc=True) if require_gnumeric() else None
    return {name: r for name, r in zip(("clean", "broken", "error"), lo_only.files)}, both, lo_only


def ids(report, rule_id):
    return [f for f in report.findings if f.rule.id == rule_id]


def test_clean_sample_stays_quiet_in_libreoffice(reports):
    files, _, run = reports
    assert run.engines == ["LibreOffice"] and run.notes == []
    assert files["clean"].findings == [], [f"{f.rule.id} {f.location}: {f.message}" for f in files["clean"].findings]


def test_v402_check_cell_not_zero(reports):
    files, _, _ = reports
    found = ids(files["broken"], "V402")
    assert found and found[0].sheet == TARGETS
    assert "expected 0" in found[0].message and "LibreOffice" in found[0].message
    assert ids(files["broken"], "C106")  # the static rule saw the typed month too


def test_v403_error_after_recalculation(reports):
    files, _, _ = reports
    (f,) = ids(files["error"], "V403")
    assert (f.range, f.cells) == ("B1", 1) and "#DIV/0!" in f.message and "=1/A1" in f.message
    assert not ids(files["error"], "V401")  # openpyxl saved no value: the error appears on recalculation


def test_v404_engines_disagree(reports):
    _, both, _ = reports
    assert both.engines == ["LibreOffice", "Gnumeric"]
    (f,) = [f for f in both.findings if f.rule.id == "V404"]
    assert f.range == "A1" and "406473239" in f.message and "406473238" in f.message


def test_a_workbook_resaved_by_libreoffice_or_gnumeric_keeps_its_contract(tmp_path):
    # A returned workbook is saved by some spreadsheet program: its formulas come back
    # respelled (numbers, sheet quotes, LibreOffice's TRUE(), Gnumeric's -(-(x)), shared
    # formulas) and must still match the template.
    from aop_xl import engines

    require_soffice()
    src = build_workbook(load_plan(), tmp_path / "AOP_2027.xlsx")
    copies = {"LibreOffice": engines.libreoffice_recalc([src], tmp_path / "lo")[src]}
    if require_gnumeric():
        copies["Gnumeric"] = engines.gnumeric_recalc([src], tmp_path / "gn")[src]
    for engine, copy in copies.items():
        report = validate([copy])
        static = [f for f in report.findings if not f.rule.id.startswith("V")]
        assert static == [], (engine, [f"{f.rule.id} {f.location}: {f.message}" for f in static[:5]])


def test_the_committed_workbooks_validate_clean_in_both_engines():
    # What CI promises of the files in workbooks/: `aop-xl validate workbooks/*.xlsx --recalc`
    # finds nothing, LibreOffice and Gnumeric both recalculating (a formula only one engine
    # reads, such as INDEX of a row with one index, fails here).
    from pathlib import Path

    from aop_cli import aop_xl

    require_soffice()
    require_gnumeric()
    root = Path(__file__).resolve().parent.parent
    result = aop_xl("validate", "workbooks/AOP_2027.xlsx", "workbooks/AOP_template.xlsx", "--recalc", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "2 files checked: 0 errors, 0 warnings, 0 notes; recalculated in LibreOffice and Gnumeric")
