"""Read a built workbook's identity back: template id, version, capacities and fingerprint.

Everything is found through :mod:`aop_xl.workbook.layout`; a workbook without the meta sheet
or with another template id is not ours and is refused with a WorkbookError.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from openpyxl import load_workbook

from aop_xl.errors import WorkbookError
from aop_xl.workbook.layout import META, META_KEYS, TEMPLATE_ID, Capacity, Layout

_CAPACITY_KEYS = ("regions", "products", "reps", "tiers", "budget", "kpis")


@dataclass(frozen=True)
class WorkbookIdentity:
    """What the hidden meta sheet says about a workbook."""

    template_id: str
    template_version: str
    blank: bool
    capacity: Capacity
    fingerprint: str

    @property
    def layout(self) -> Layout:
        """The layout of the workbook's blocks."""
        return Layout(self.capacity)


def read_identity(source) -> WorkbookIdentity:
    """The identity of a standard AOP workbook.

    Args:
        source: a path to an .xlsx file, or an openpyxl Workbook.

    Returns:
        The :class:`WorkbookIdentity`.

    Raises:
        WorkbookError: not a readable .xlsx, no meta sheet, another template, bad capacities.
    """
    name = str(source) if isinstance(source, (str, os.PathLike)) else "workbook"
    if isinstance(source, (str, os.PathLike)):
        try:
            wb = load_workbook(source, read_only=True)
        except FileNotFoundError:
            raise WorkbookError(f"{name}: no such file") from None
        except Exception as exc:  # openpyxl raises several unrelated types for a non-xlsx file
            raise WorkbookError(f"{name}: not an .xlsx workbook ({type(exc).__name__})") from None
    else:
        wb = source
    if META not in wb.sheetnames:
        raise WorkbookError(f"{name}: not a standard AOP workbook (no {META} sheet)")
    ws = wb[META]
    values = {}
    for row in ws.iter_rows(min_row=2, max_row=1 + len(META_KEYS), max_col=2, values_only=True):
        if row and row[0] in META_KEYS:
            values[row[0]] = row[1]
    if values.get("template_id") != TEMPLATE_ID:
        found = values.get("template_id")
        raise WorkbookError(f"{name}: template_id on the {META} sheet is {found!r}, expected {TEMPLATE_ID!r}")
    try:
        capacity = Capacity(**{k: int(values[k]) for k in _CAPACITY_KEYS})
    except (KeyError, TypeError, ValueError):
        raise WorkbookError(f"{name}: {META} sheet has no valid capacities") from None
    if isinstance(source, (str, os.PathLike)):
        wb.close()
    return WorkbookIdentity(
        template_id=values["template_id"],
        template_version=str(values.get("template_version")),
        blank=bool(values.get("blank")),
        capacity=capacity,
        fingerprint=values.get("fingerprint") or "",
    )
