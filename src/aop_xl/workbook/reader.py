"""Read a built workbook's identity back: template id, version, capacities and fingerprint.

Everything is found through :mod:`aop_xl.workbook.layout`; a workbook without the meta sheet
or with another template id is not ours and is refused with a WorkbookError.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from aop_xl.errors import WorkbookError
from aop_xl.workbook.layout import META, META_KEYS, ROUND_KEYS, TEMPLATE_ID, Capacity, Layout, round_identity_table

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


# ------------------------------------------------------------------ the planning round's identity


@dataclass(frozen=True)
class RoundIdentity:
    """What a regional workbook of a planning round (:mod:`aop_xl.cycle`) says it is.

    ``cells`` maps each key of :data:`~aop_xl.workbook.layout.ROUND_KEYS` to the address of its
    value cell on the meta sheet, so a reader can name the cell of any difference.
    """

    round_id: str
    company: str
    year: str
    kind: str
    unit: str
    region: str
    issue: int | None
    topdown_hash: str
    mac: str
    cells: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The identity's values by key (the issue as a whole number, or None)."""
        return {k: getattr(self, k) for k in ROUND_KEYS}


def round_identity_from_rows(rows: list[list[Any]], layout: Layout) -> RoundIdentity | None:
    """The round identity held in the meta sheet's rows, or None when there is none.

    Args:
        rows: the meta sheet's values from A1 (lists of cell values; text, numbers, None or "").
        layout: the workbook's layout (where the identity block is).

    Returns:
        The :class:`RoundIdentity`; None when the block is absent (a workbook that is not a
        regional workbook of a round). Values are read as text, except the issue number.
    """
    table = round_identity_table(layout)
    found: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for i in range(table.rows):
        r = table.row(i) - 1
        row = rows[r] if r < len(rows) else []
        key = row[0] if row else None
        if key in ROUND_KEYS and key not in found:
            value = row[1] if len(row) > 1 else None
            found[key] = value
            cells[key] = table.cell("value", i)
    if "round_id" not in found:
        return None
    text = {k: "" if found.get(k) in (None, "") else _text(found[k]) for k in ROUND_KEYS}
    return RoundIdentity(issue=_whole(found.get("issue")), cells=cells,
                         **{k: v for k, v in text.items() if k != "issue"})


def _text(value: Any) -> str:
    # A spreadsheet program may store a number-like text as a number (2027): read it back as text.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
