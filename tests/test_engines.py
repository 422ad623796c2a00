"""aop_xl.engines: LibreOffice and Gnumeric run headless, in batches, within time-outs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from checks_helpers import require_gnumeric
from libreoffice import require_soffice
from openpyxl import Workbook

from aop_xl import engines
from aop_xl.checks.reader import read_workbook
from aop_xl.engines import EngineError


def formula_book(path: Path, formula: str = "=A1*3") -> Path:
    wb = Workbook()
    wb.active["A1"] = 7
    wb.active["B1"] = formula
    wb.save(path)
    return path


def test_run_stops_a_hung_program_and_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    with pytest.raises(EngineError, match="no result within 0.5 s"):
        engines.run(["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"], 0.5, "a test program")
    child = int(pid_file.read_text())
    for _ in range(50):  # the kill is asynchronous: give the kernel a moment to reap it
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the hung program's child is still running")


def test_missing_programs_are_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    with pytest.raises(EngineError, match="apt-get install libreoffice-calc-nogui"):
        engines.libreoffice_convert([formula_book(tmp_path / "a.xlsx")], tmp_path / "out")
    with pytest.raises(EngineError, match="apt-get install gnumeric"):
        engines.gnumeric_recalc([tmp_path / "a.xlsx"], tmp_path / "out")


@pytest.mark.libreoffice
def test_libreoffice_recalculates_a_batch_even_with_equal_names(tmp_path):
    require_soffice()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    a = formula_book(tmp_path / "one" / "book.xlsx", "=A1*3")
    b = formula_book(tmp_path / "two" / "book.xlsx", "=A1+1")
    out = engines.libreoffice_recalc([a, b], tmp_path / "out")
    assert read_workbook(out[a]).sheets[0].values[(1, 2)] == 21.0  # openpyxl wrote no cached value
    assert read_workbook(out[b]).sheets[0].values[(1, 2)] == 8.0


@pytest.mark.libreoffice
def test_pdf_export(tmp_path):
    require_soffice()
    src = formula_book(tmp_path / "print.xlsx")
    pdf = engines.pdf_export([src], tmp_path / "pdf")[src]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_gnumeric_recalculates(tmp_path):
    require_gnumeric()
    src = formula_book(tmp_path / "g.xlsx", "=A1*6")
    out = engines.gnumeric_recalc([src], tmp_path / "out")
    assert read_workbook(out[src]).sheets[0].values[(1, 2)] == 42.0


def test_gnumeric_failure_is_an_engine_error(tmp_path):
    require_gnumeric()
    missing = tmp_path / "missing.xlsx"
    with pytest.raises(EngineError, match="Gnumeric could not recalculate missing.xlsx"):
        engines.gnumeric_recalc([missing], tmp_path / "out")
