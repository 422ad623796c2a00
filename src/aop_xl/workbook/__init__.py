"""The standard AOP workbook: built with openpyxl, every engine number a live formula.

Public entry points: :func:`build_workbook` (write the plan's workbook or the blank
template), :func:`workbook_for` (the openpyxl object), :func:`read_identity` (recognise a
built workbook) and :mod:`aop_xl.workbook.layout` (where everything is).
"""

from aop_xl.workbook.build import build_workbook, workbook_bytes, workbook_for
from aop_xl.workbook.layout import BLANK_CAPACITY, TEMPLATE_ID, TEMPLATE_VERSION, Capacity, Layout, capacity_for
from aop_xl.workbook.reader import WorkbookIdentity, read_identity
from aop_xl.workbook.sheets.meta import plan_fingerprint

__all__ = [
    "BLANK_CAPACITY",
    "TEMPLATE_ID",
    "TEMPLATE_VERSION",
    "Capacity",
    "Layout",
    "WorkbookIdentity",
    "build_workbook",
    "capacity_for",
    "plan_fingerprint",
    "read_identity",
    "workbook_bytes",
    "workbook_for",
]
