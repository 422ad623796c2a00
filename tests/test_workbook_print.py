"""The Summary prints on one landscape page (LibreOffice's PDF export is the printer)."""

from __future__ import annotations

import re

import pytest
from libreoffice import convert, require_soffice
from openpyxl import load_workbook

from aop_xl import load_plan
from aop_xl.workbook import build_workbook
from aop_xl.workbook.layout import SUMMARY

pytestmark = pytest.mark.libreoffice


def summary_only(path):
    # The same workbook with every other sheet hidden, so the PDF holds the Summary alone.
    wb = load_workbook(path)
    wb.active = wb.sheetnames.index(SUMMARY)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == SUMMARY
        ws.sheet_state = "visible" if ws.title == SUMMARY else "hidden"
    wb.save(path)
    return path


def test_summary_is_one_landscape_page(tmp_path):
    require_soffice()
    paths = [summary_only(build_workbook(load_plan(), tmp_path / "sample.xlsx")),
             summary_only(build_workbook(None, tmp_path / "blank.xlsx", blank=True))]
    pdfs = convert(paths, tmp_path / "pdf", "pdf", ".pdf")
    for src, pdf in pdfs.items():
        data = pdf.read_bytes()
        pages = re.findall(rb"/Type\s*/Page[^s]", data)
        assert len(pages) == 1, f"{src.name}: Summary prints on {len(pages)} pages"
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
        assert box and float(box.group(1)) > float(box.group(2)), f"{src.name}: not landscape"
