"""The ribbon's round buttons call the same library functions as the commands, on the open master."""

from __future__ import annotations

import json
import shutil

import pytest
from test_cycle_support import edit_cells, small_plan, write_plan

import aop_xl.xl.macros as m
from aop_xl.cycle.round import init_round, open_round
from aop_xl.errors import WorkbookError
from aop_xl.workbook.book import OpenpyxlBook
from aop_xl.workbook.layout import BOTTOM_UP, RECONCILE, bottom_up_table, reconcile_table

PLAN = small_plan(2, 1)
P = len(PLAN.products)


@pytest.fixture
def master(tmp_path):
    rnd = init_round(write_plan(PLAN, tmp_path / "plan.json"), tmp_path / "round")
    return rnd, OpenpyxlBook(rnd.master_path)


def test_generate_collect_and_reconcile_from_the_ribbon(master):
    rnd, book = master
    result = m.generate_regional_workbooks(book)
    assert result.ok and len(result.paths) == 2 and all(p.is_file() for p in result.paths)
    assert result.messages[0].startswith("2 of 2 workbooks written")

    inbox = rnd.folder / m.INBOX
    inbox.mkdir()
    table = bottom_up_table(P)
    east = rnd.folder / "outbox" / "AOP_2027_Region 1.xlsx"
    (inbox / "r1.xlsx").write_bytes(edit_cells(east.read_bytes(), BOTTOM_UP, {(table.row(0), table.col("m01")): 4321.0,
                                                                             (table.row(0), table.col("comment")): "ok"}))
    (inbox / "notes.txt").write_text("not a workbook")
    result = m.collect_submissions(book)
    assert not result.ok and result.findings == ["notes.txt: malformed: a text file, not an .xlsx workbook (a renamed "
                                                 "file?)"]
    assert "1 accepted" in result.messages[0] and "1 malformed" in result.messages[0]
    master_table = bottom_up_table(2 * P)
    row = book.read(BOTTOM_UP, f"A{master_table.row(0)}:{master_table.letter('source')}{master_table.row(0)}")[0]
    assert row[:3] == ["Region 1", PLAN.products[0].name, 4321.0] and row[master_table.col("comment") - 1] == "ok"

    result = m.reconcile_plan(book, method="accept", tolerance=0.02)
    assert result.ok and result.messages[-1] == f"See the {RECONCILE} sheet."
    doc = json.loads((rnd.folder / "reconcile" / "reconcile.json").read_text(encoding="utf-8"))
    assert doc["method"] == "accept" and doc["tolerance"] == 0.02
    gaps = reconcile_table(len(doc["gaps"]))
    sheet = book.read(RECONCILE, f"A{gaps.first_row}:{gaps.letter('proposal')}{gaps.last_row}")
    assert [r[gaps.col("proposal") - 1] for r in sheet if r[0] == "detail"] == [p["proposal"] for p in doc["proposal"]]
    # The round (not the open file) records the collection and the reconciliation.
    actions = [e["action"] for e in open_round(rnd.folder).ledger.entries()]
    assert actions.count("accepted") == 1 and actions[-1] == "reconciled"


def test_the_round_buttons_refuse_a_workbook_that_is_not_a_rounds_master(master, tmp_path):
    rnd, _ = master
    copy = tmp_path / "elsewhere" / "AOP_2027.xlsx"
    copy.parent.mkdir()
    shutil.copy(rnd.master_path, copy)
    with pytest.raises(WorkbookError, match="not the master workbook of a planning round"):
        m.generate_regional_workbooks(OpenpyxlBook(copy))
    with pytest.raises(WorkbookError, match="not the master workbook of a planning round"):
        m.collect_submissions(OpenpyxlBook(copy))


def test_collect_without_an_inbox_says_where_to_put_the_files(master):
    rnd, book = master
    with pytest.raises(WorkbookError, match="put the returned workbooks in"):
        m.collect_submissions(book)


def test_reconcile_outside_a_round_works_as_before(master, tmp_path):
    rnd, _ = master
    copy = tmp_path / "solo.xlsx"
    shutil.copy(rnd.master_path, copy)
    book = OpenpyxlBook(copy)
    if BOTTOM_UP in book.sheet_names():  # the master carries the round's sheet: start from a plain one
        book.workbook.remove(book.workbook[BOTTOM_UP])
    result = m.reconcile_plan(book)
    assert "Created the Bottom-up sheet" in result.messages[0]
    assert BOTTOM_UP in book.sheet_names() and RECONCILE not in book.sheet_names()
