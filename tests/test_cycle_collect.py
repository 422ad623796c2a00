"""Collect: every returned file ends in exactly one state with its reason, read the same whoever
saved it, never counted twice."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from checks_helpers import require_gnumeric
from libreoffice import require_soffice
from openpyxl.utils import get_column_letter
from test_cycle_support import edit_cells, read_part, replace_part, sheet_part, small_plan, write_plan

from aop_xl import engines
from aop_xl.cycle.collect import OUTCOMES, collect
from aop_xl.cycle.distribute import distribute
from aop_xl.cycle.round import init_round, open_round
from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.plan import plan_from_dict
from aop_xl.workbook.layout import (BOTTOM_UP, META, PARAM_KEYS, ROUND_KEYS, TARGETS, Layout, bottom_up_table,
                                    capacity_for, round_identity_table)

PLAN = small_plan(3, 2)


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    base = tmp_path_factory.mktemp("issued")
    rnd = init_round(write_plan(PLAN, base / "plan.json"), base / "round")
    assert distribute(rnd, "region", workers=1).ok
    return base / "round"


@pytest.fixture
def rnd(issued, tmp_path):
    shutil.copytree(issued, tmp_path / "round")
    return open_round(tmp_path / "round")


def _issued(rnd, n: int) -> bytes:
    return (rnd.folder / "outbox" / f"AOP_2027_Region {n}.xlsx").read_bytes()


def _layout(rnd, n: int = 1) -> Layout:
    from aop_xl.cycle.regional import RoundSlices, unit_plan

    slices = RoundSlices(rnd.plan, "region")
    return Layout(capacity_for(unit_plan(slices.document(slices.units[n - 1]))))


def _proposals(data: bytes, values: dict[tuple[int, str], object]) -> bytes:
    """Edit Bottom-up cells: (product line 0-based, month key or "comment") -> value."""
    table = bottom_up_table(len(PLAN.products))
    return edit_cells(data, BOTTOM_UP, {(table.row(j), table.col(key)): v for (j, key), v in values.items()})


def _drop(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def _one(summary):
    assert len(summary.outcomes) == 1
    return summary.outcomes[0]


def test_an_edited_workbook_is_accepted_with_its_proposals_and_comments(rnd, tmp_path):
    data = _proposals(_issued(rnd, 1), {(0, "m01"): 123456.78, (0, "m12"): 0, (2, "comment"): "=too high, see Q3"})
    o = _one(collect(rnd, [_drop(tmp_path / "in", "east.xlsx", data)]))
    assert (o.state, o.unit, o.issue, o.reason) == ("accepted", "region:Region 1", 1, "")
    state = open_round(rnd.folder).units()["region:Region 1"]
    sub = state.accepted
    assert sub["values"][0][0] == 123456.78 and sub["values"][0][11] == 0
    assert sub["comments"][2] == "=too high, see Q3" and sub["months"] == fiscal_month_names(1)
    actions = [e["action"] for e in open_round(rnd.folder).ledger.entries()[-4:]]
    assert actions == ["returned", "validated", "accepted", "master written"]


def test_every_state_once_and_a_report_of_every_file(rnd, issued, tmp_path):
    inbox = tmp_path / "in"
    _drop(inbox, "a.xlsx", _issued(rnd, 1))
    _drop(inbox, "b.xlsx", _proposals(_issued(rnd, 1), {(0, "m01"): 1.0}))  # duplicate of Region 1
    _drop(inbox, "c.csv", b"region,product\nEast,x\n")
    other = init_round(write_plan(PLAN, tmp_path / "p.json"), tmp_path / "other")
    distribute(other, "region", workers=1)
    _drop(inbox, "d.xlsx", (other.folder / "outbox" / "AOP_2027_Region 2.xlsx").read_bytes())
    table = round_identity_table(_layout(rnd, 3))
    _drop(inbox, "e.xlsx", edit_cells(_issued(rnd, 3), META, {(table.row(ROUND_KEYS.index("unit")), 2): "Region 2"}))
    summary = collect(rnd, [inbox])
    states = {Path(o.file).name: o.state for o in summary.outcomes}
    assert states == {"a.xlsx": "accepted", "b.xlsx": "duplicate", "c.csv": "malformed", "d.xlsx": "foreign",
                      "e.xlsx": "tampered"}
    assert not summary.ok and set(summary.counts()) == set(OUTCOMES)
    csv_path, json_path = summary.reports
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert sorted(Path(f["file"]).name for f in report["files"]) == sorted(states)
    assert all(f["reason"] for f in report["files"] if f["state"] != "accepted")
    assert len(csv_path.read_text(encoding="utf-8-sig").splitlines()) == 6


def test_collect_is_resumable_and_counts_nothing_twice(rnd, tmp_path):
    first = _drop(tmp_path / "in1", "r1.xlsx", _issued(rnd, 1))
    collect(rnd, [first.parent])
    _drop(tmp_path / "in2", "r1-again.xlsx", _issued(rnd, 1))  # the same file, another name
    _drop(tmp_path / "in2", "r2.xlsx", _issued(rnd, 2))
    summary = collect(rnd, [first.parent, tmp_path / "in2"])
    seen = {Path(o.file).name: (o.state, o.seen_before) for o in summary.outcomes}
    assert seen == {"r1.xlsx": ("accepted", True), "r1-again.xlsx": ("accepted", True), "r2.xlsx": ("accepted", False)}
    accepted = [e for e in open_round(rnd.folder).ledger.entries() if e["action"] == "accepted"]
    assert [e["unit"] for e in accepted] == ["region:Region 1", "region:Region 2"]
    assert summary.ok


def test_a_duplicate_wins_only_with_replace_and_the_ledger_keeps_both(rnd, tmp_path):
    collect(rnd, [_drop(tmp_path / "a", "first.xlsx", _issued(rnd, 2))])
    newer = _drop(tmp_path / "b", "second.xlsx", _proposals(_issued(rnd, 2), {(1, "m03"): 5.0}))
    o = _one(collect(rnd, [newer]))
    assert o.state == "duplicate" and "first.xlsx" in o.reason and "--replace" in o.reason
    newest = _drop(tmp_path / "c", "third.xlsx", _proposals(_issued(rnd, 2), {(1, "m03"): 7.0}))
    o = _one(collect(rnd, [newest], replace=True))
    assert o.state == "accepted" and "replaces first.xlsx" in o.reason
    entries = open_round(rnd.folder).ledger.entries()
    assert [e["data"]["file"] for e in entries if e["action"] == "returned"] == ["first.xlsx", "second.xlsx",
                                                                               "third.xlsx"]
    state = open_round(rnd.folder).units()["region:Region 2"]
    assert state.accepted["values"][1][2] == 7.0


def test_an_earlier_issue_is_stale(rnd, tmp_path):
    old = _issued(rnd, 1)
    revised = PLAN.model_dump(mode="json")
    revised["budget"].append({"item": "Fair", "category": "promotions", "kind": "one_time", "amount": 900,
                              "months": None, "start_month": 2, "region": "Region 1"})
    distribute(rnd, "region", workers=1, plan_path=write_plan(plan_from_dict(revised), tmp_path / "rev.json"))
    o = _one(collect(rnd, [_drop(tmp_path / "in", "old.xlsx", old)]))
    assert (o.state, o.issue) == ("stale", 1)
    assert o.reason == "issue 1 of region:Region 1; issue 2 was sent since (AOP_2027_Region 1.xlsx)"
    assert _one(collect(rnd, [_drop(tmp_path / "in2", "new.xlsx", _issued(rnd, 1))])).state == "accepted"


def test_another_rounds_file_is_foreign_and_names_both_rounds(rnd, tmp_path):
    other = init_round(write_plan(PLAN, tmp_path / "p.json"), tmp_path / "other")
    distribute(other, "region", workers=1)
    o = _one(collect(rnd, [other.folder / "outbox" / "AOP_2027_Region 1.xlsx"]))
    assert o.state == "foreign" and other.id in o.reason and rnd.id in o.reason
    o = _one(collect(rnd, [other.master_path]))
    assert o.state == "foreign" and "no round identity" in o.reason


def test_an_edited_identity_is_tampered_naming_the_cell_and_both_values(rnd, tmp_path):
    layout = _layout(rnd, 2)
    table = round_identity_table(layout)
    row = table.row(ROUND_KEYS.index("unit"))
    data = edit_cells(_issued(rnd, 2), META, {(row, 2): "Region 3"})
    o = _one(collect(rnd, [_drop(tmp_path / "in", "x.xlsx", data)]))
    assert o.state == "tampered" and o.unit == "region:Region 2"
    assert o.reason == f"identity edited: AOP_Meta!B{row}: issued \"Region 2\", found \"Region 3\""
    issue_row = table.row(ROUND_KEYS.index("issue"))
    o = _one(collect(rnd, [_drop(tmp_path / "in2", "y.xlsx", edit_cells(_issued(rnd, 2), META, {(issue_row, 2): 7}))]))
    assert o.state == "tampered" and f"AOP_Meta!B{issue_row}: issued 1, found 7" in o.reason


def test_an_edited_top_down_input_or_result_is_tampered_naming_sheet_cell_old_and_new(rnd, tmp_path):
    layout = _layout(rnd, 3)
    total = (layout.params.row(PARAM_KEYS.index("total_target")), layout.params.col("value"))
    data = edit_cells(_issued(rnd, 3), "Assumptions", {total: 1.0})
    o = _one(collect(rnd, [_drop(tmp_path / "in", "x.xlsx", data)]))
    cell = f"{get_column_letter(total[1])}{total[0]}"
    assert o.state == "tampered" and o.reason.startswith(f"top-down numbers edited: Assumptions!{cell}: issued ")
    assert o.reason.endswith("found 1.00")
    cube = (layout.cube.row(0), layout.cube.col("m01"))
    data = edit_cells(_issued(rnd, 3), TARGETS, {cube: 1.5})  # a formula typed over with a value
    o = _one(collect(rnd, [_drop(tmp_path / "in2", "y.xlsx", data)]))
    assert o.state == "tampered"
    assert f"Targets!{get_column_letter(cube[1])}{cube[0]}: issued " in o.reason and "found 1.50" in o.reason


@pytest.mark.parametrize("typed", ["1,234", "12%", "abc"])
def test_a_proposal_typed_as_text_is_malformed_naming_the_cell(rnd, tmp_path, typed):
    table = bottom_up_table(len(PLAN.products))
    data = _proposals(_issued(rnd, 1), {(4, "m07"): typed})
    o = _one(collect(rnd, [_drop(tmp_path / "in", "x.xlsx", data)]))
    cell = f"'Bottom-up'!{table.letter('m07')}{table.row(4)}"
    assert o.state == "malformed" and o.reason.startswith(f"{cell}: \"{typed}\" is text, expected a number")


def test_a_negative_proposal_is_malformed(rnd, tmp_path):
    o = _one(collect(rnd, [_drop(tmp_path / "in", "x.xlsx", _proposals(_issued(rnd, 1), {(0, "m01"): -5.0}))]))
    assert o.state == "malformed" and "a proposal is a number >= 0" in o.reason


def test_a_moved_header_block_is_malformed_naming_the_cell(rnd, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(_issued(rnd, 1)))
    wb[BOTTOM_UP].insert_rows(3)  # a row inserted above the block
    out = io.BytesIO()
    wb.save(out)
    o = _one(collect(rnd, [_drop(tmp_path / "in", "x.xlsx", out.getvalue())]))
    assert o.state == "malformed"
    assert o.reason == ("'Bottom-up'!A5: expected the header \"Region\", found \"Bottom-up proposals (inputs): region "
                        "x product x month\" (the block must stay where it was issued)")


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("what,data,expected", [
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "an Excel 97-2003 (.xls)"),
    ("csv", "region;product;Jan\nEast;Widgets;1.234,56\n".encode(), "a CSV or other text file"),
    ("empty", b"", "an empty file"),
    ("zip", None, "a zip package without xl/workbook.xml"),
    ("bomb", None, "a zip bomb"),
    ("sheet-bomb", None, "inflates more than 200 times its compressed size (a zip bomb?)"),
    ("damaged", b"PK\x03\x04" + b"\x00" * 100, "a damaged zip package"),
])
def test_files_that_are_not_workbooks_are_malformed_saying_what_they_are(rnd, tmp_path, what, data, expected):
    if what == "zip":
        data = _zip({"readme.txt": b"hello"})
    elif what == "bomb":
        data = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\x00" * 300_000_000})
    elif what == "sheet-bomb":  # a sheet the reader parses, inflating far beyond its size
        data = _zip({"xl/workbook.xml": b'<workbook><sheets><sheet name="AOP_Meta" sheetId="1" r:id="rId1"/>'
                                        b"</sheets></workbook>",
                     "xl/_rels/workbook.xml.rels": b'<Relationships><Relationship Id="rId1" '
                                                   b'Target="worksheets/sheet1.xml"/></Relationships>',
                     "xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * 90_000_000 + b"</worksheet>"})
    o = _one(collect(rnd, [_drop(tmp_path / "in", f"x.{what}.xlsx", data)]))
    assert o.state == "malformed" and expected in o.reason, o.reason


def test_a_macro_workbook_and_a_sheet_reaching_too_far_are_malformed(rnd, tmp_path):
    data = _issued(rnd, 1)
    macro = _zip({**{n: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()},
                  "xl/vbaProject.bin": b"\x00" * 100})
    o = _one(collect(rnd, [_drop(tmp_path / "in", "m.xlsx", macro)]))
    assert o.state == "malformed" and "macro-enabled" in o.reason
    part = sheet_part(data, BOTTOM_UP)
    xml = read_part(data, part).replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
                                                      "</sheetData>")
    o = _one(collect(rnd, [_drop(tmp_path / "in2", "far.xlsx", replace_part(data, part, xml.encode()))]))
    assert o.state == "malformed" and "reaches cell XFD1048576" in o.reason


def test_a_folder_or_file_that_does_not_exist_is_one_error(rnd, tmp_path):
    from aop_xl.cycle.round import RoundError

    with pytest.raises(RoundError, match="no such file or folder"):
        collect(rnd, [tmp_path / "missing"])


def _returned_through(engine: str, data: bytes, tmp_path: Path) -> bytes:
    src = tmp_path / "src" / "Region 1.xlsx"
    src.parent.mkdir()
    src.write_bytes(data)
    if engine == "libreoffice":
        require_soffice()
        out = engines.libreoffice_recalc([src], tmp_path / "out")[src]
    else:
        require_gnumeric()
        out = engines.gnumeric_recalc([src], tmp_path / "out")[src]
    return out.read_bytes()


@pytest.mark.libreoffice
@pytest.mark.parametrize("engine", ["libreoffice", "gnumeric"])
def test_a_workbook_saved_by_libreoffice_or_gnumeric_reads_the_same(rnd, tmp_path, engine):
    edits = {(0, "m01"): 1000.0, (3, "m06"): 2500.5, (5, "comment"): "new distributor in Q2"}
    data = _returned_through(engine, _proposals(_issued(rnd, 1), edits), tmp_path)
    o = _one(collect(rnd, [_drop(tmp_path / "in", "returned.xlsx", data)]))
    assert o.state == "accepted", o.reason
    direct = open_round(rnd.folder)
    sub = direct.units()["region:Region 1"].accepted
    assert sub["values"][0][0] == 1000.0 and sub["values"][3][5] == 2500.5
    assert sub["comments"][5] == "new distributor in Q2"
    # The same edits saved without a round trip give the same proposals.
    other = tmp_path / "plain"
    o = _one(collect(rnd, [_drop(other, "plain.xlsx", _proposals(_issued(rnd, 1), edits))], replace=True))
    assert o.state == "accepted"
    again = open_round(rnd.folder)
    assert again.units()["region:Region 1"].accepted["values"] == sub["values"]


@pytest.mark.libreoffice
def test_a_top_down_change_made_in_libreoffice_is_tampered(rnd, tmp_path):
    layout = _layout(rnd, 1)
    total = (layout.params.row(PARAM_KEYS.index("total_target")), layout.params.col("value"))
    data = _returned_through("libreoffice", edit_cells(_issued(rnd, 1), "Assumptions", {total: 1000.0}), tmp_path)
    o = _one(collect(rnd, [_drop(tmp_path / "in", "x.xlsx", data)]))
    assert o.state == "tampered" and "Assumptions!" in o.reason and "Targets!" in o.reason
