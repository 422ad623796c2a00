"""Build the standard AOP workbook from a plan (or the blank template), deterministically.

The same plan gives the same bytes: document properties carry a fixed timestamp, every zip
entry a fixed date, and parts, styles, names and validations are written in a fixed order.
The file appears at its target path only when it is complete (:func:`aop_xl.files.write_atomic`),
and no temporary file is written anywhere else: the worksheets are serialised in memory.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from aop_xl import files
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.limits import workbook_limit_problems, workbook_row_problems
from aop_xl.plan import Plan
from aop_xl.workbook.layout import (
    ASSUMPTIONS,
    BLANK_CAPACITY,
    HIDDEN_SHEETS,
    SHEETS,
    TEMPLATE_ID,
    Capacity,
    Layout,
    capacity_for,
    fits,
)
from aop_xl.workbook.shared_formulas import share_formulas
from aop_xl.workbook.sheets import Context, assumptions, budget, commission, cover, kpi, meta, quotas, summary, targets
from aop_xl.workbook.styles import Styles, unit_decimals
from aop_xl.workbook import helper_notes, live_formats
from aop_xl.workbook.engine_values import cached_values, store
from aop_xl.workbook.widths import fit_printed

#: The timestamp written into every build (document properties and zip entries).
FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_BUILDERS = (assumptions, targets, quotas, commission, budget, kpi, summary, cover, meta)


def workbook_for(plan: Plan | None, *, password: str | None = None,
                 sales: Mapping[str, float] | None = None, spare: int = 0,
                 capacity: Capacity | None = None) -> Workbook:
    """The standard workbook as an openpyxl object (not saved).

    Args:
        plan: a validated plan, or None for the blank template.
        password: sheet-protection password; None protects without one.
        sales: annual sales by rep name, written into the commission statement's input
            cells (plans carry no actuals; reps not named stay empty).
        spare: empty rows after the members of each member block (:func:`capacity_for`).
        capacity: the rows of each block, when given (a plan read back from a workbook is
            rebuilt at that workbook's capacity); it must hold every member of the plan.

    Returns:
        The openpyxl :class:`~openpyxl.Workbook`.
    """
    unknown = sorted(set(sales or {}) - set(plan.rep_names if plan is not None else []))
    if unknown:
        raise PlanError(f'sales: "{unknown[0]}" is not a rep of the plan')
    if capacity is None:
        capacity = BLANK_CAPACITY if plan is None else capacity_for(plan, spare)
    elif plan is not None and not fits(plan, capacity):
        raise WorkbookError(f"capacity {capacity}: too small for the plan's members")
    if plan is not None:
        # The plan's members, then the workbook's rows (members and spare rows), against
        # Excel's and the template's limits: a plan within them is never refused for spare rows
        # without saying so.
        members = {"regions": len(plan.regions), "products": len(plan.products), "reps": len(plan.reps),
                   "budget": len(plan.budget), "kpis": len(plan.kpis), "tiers": len(plan.commission.tiers)}
        over = workbook_limit_problems(members) or workbook_row_problems(members, {
            "regions": capacity.regions, "products": capacity.products, "reps": capacity.reps,
            "budget": capacity.budget, "kpis": capacity.kpis})
        if over:
            raise PlanError(over)
    layout = Layout(capacity)
    wb = Workbook()
    first = wb.active
    first.title = SHEETS[0]
    sheets = {SHEETS[0]: first}
    for name in SHEETS[1:]:
        sheets[name] = wb.create_sheet(name)
    currency = plan.plan.currency if plan is not None else None
    decimals = unit_decimals(plan.plan.unit if plan is not None else None)
    display = plan.plan.display if plan is not None else "units"
    ctx = Context(wb=wb, layout=layout, styles=Styles(wb, currency, decimals, display), plan=plan, sheets=sheets,
                  sales=dict(sales or {}))
    for builder in _BUILDERS:
        builder.build(ctx)
    fit_printed(ctx)
    helper_notes.add_notes(ctx)
    live_formats.add_rules(ctx)
    for name, ref in layout.defined_names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    for name, ws in sheets.items():
        ws.sheet_state = "hidden" if name in HIDDEN_SHEETS else "visible"
        ws.protection.sheet = True
        # Protected cells, but column widths and row heights stay adjustable.
        ws.protection.formatColumns = ws.protection.formatRows = False
        if password:
            ws.protection.password = password
    active = ASSUMPTIONS if plan is None else SHEETS[0]
    wb.active = SHEETS.index(active)
    sheets[active].sheet_view.tabSelected = True
    props = wb.properties
    props.creator = props.lastModifiedBy = "aop_xl"
    props.title = TEMPLATE_ID
    props.created = props.modified = FIXED_TIME
    # The engine's numbers go into the file as the formulas' cached values (workbook_bytes).
    wb._aop_cached = cached_values(plan, layout, sales, ctx.subtitles) if plan is not None else {}
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise a workbook deterministically: fixed modified time and zip entry dates.

    Args:
        wb: the workbook (its ``properties.modified`` is left as set by the caller).

    Returns:
        The .xlsx file's bytes.
    """
    cached = getattr(wb, "_aop_cached", {})
    # openpyxl writes the k-th worksheet (from 1) as xl/worksheets/sheet<k>.xml.
    parts = {f"xl/worksheets/sheet{k}.xml": cached.get(ws.title, {}) for k, ws in enumerate(wb.worksheets, 1)}
    raw = io.BytesIO()
    # openpyxl's save_workbook stamps the modified time with now(); its ExcelWriter does not.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        _MemoryWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = store(share_formulas(data.decode("utf-8")), parts.get(info.filename, {})).encode("utf-8")
            dst.writestr(fixed, data)
    return out.getvalue()


class _MemoryWriter(ExcelWriter):
    # openpyxl's ExcelWriter streams each worksheet through a named temporary file in the
    # system's temporary folder, removed only when Python exits normally: a build killed while
    # saving would leave megabytes behind. Here each worksheet is serialised in memory, as
    # the rest of the archive already is.
    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` all at once (see :func:`aop_xl.files.write_atomic`).

    Args:
        path: the target file.
        data: its content.

    Returns:
        The target path.

    Raises:
        WorkbookError: the target cannot be written (missing folder, read-only, disk full ...).
    """
    return files.write_atomic(path, data, error=WorkbookError)


def build_workbook(plan: Plan | None, path: str | os.PathLike, *, blank: bool = False,
                   password: str | None = None, spare: int = 0) -> Path:
    """Build the standard AOP workbook: every engine number as a live formula over the inputs.

    Args:
        plan: a validated plan (ignored when ``blank``; may be None then).
        path: the .xlsx file to write; it appears only when complete.
        blank: write the empty standard template (fixed capacities, inputs empty, formulas
            in place) instead of the plan's workbook.
        password: protect the sheets with this password (default: protected, no password).
        spare: empty rows after the members of each member block, already covered by every
            formula, for members added in Excel (``aop-xl build`` gives 5).

    Returns:
        The path written.

    Raises:
        PlanError: the plan is beyond the limits of a workbook (:mod:`aop_xl.limits`).
        WorkbookError: the plan does not fit Excel's limits, or the target cannot be written:
            not an .xlsx name, a folder that is missing or read-only, a read-only file, a
            failed write (nothing is written then).

    Examples:
        >>> from aop_xl import load_plan
        >>> build_workbook(load_plan(), "AOP_2027.xlsx")  # doctest: +SKIP
        PosixPath('AOP_2027.xlsx')
    """
    if not blank and plan is None:
        raise WorkbookError("build_workbook: give a plan, or blank=True for the empty template")
    files.check_output(path, suffix=".xlsx", what="workbook", error=WorkbookError)
    wb = workbook_for(None if blank else plan, password=password, spare=0 if blank else spare)
    return files.write_atomic(path, workbook_bytes(wb), suffix=".xlsx", what="workbook", error=WorkbookError)
