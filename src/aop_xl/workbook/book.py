"""The small workbook interface the ribbon macros are written against, and its headless
implementation over openpyxl.

A macro needs only a few things from a workbook: its sheet names, blocks of values read and
written by address, report sheets added or cleared, a few cell styles, calculation, saving
and a PDF of one sheet. :class:`Book` names exactly those; :class:`OpenpyxlBook` implements
them on an .xlsx file (LibreOffice headless does the calculating and the PDF, since openpyxl
has no calculation engine) and :class:`aop_xl.xl.xlwings_book.XlwingsBook` on a workbook
open in Excel. Nothing here imports xlwings.

Conventions of every implementation:

- Addresses are A1 ranges on one sheet (``"C6:N29"``, or ``"C6"``); blocks are lists of rows.
- Reading gives each cell's value: the literal for a constant, the calculated result for a
  formula, ``None`` for an empty cell (and for a formula that returns ``""``), and an
  :class:`XlError` (a ``str``) for an error value such as ``#DIV/0!``.
- Writing puts values, never formulas: a ``str`` is always stored as literal text, so a
  name such as ``=HYPERLINK(...)`` or ``#N/A`` stays text.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from aop_xl import engines
from aop_xl.errors import WorkbookError
from aop_xl.workbook.build import write_atomic

#: The cell styles a macro may ask for (``Book.style``); several may apply to one cell.
STYLES = ("title", "note", "header", "bold", "input", "amount", "percent", "integer")
AMOUNT_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "0"
#: RGB colours shared by the implementations (inputs: blue on light yellow, as the template).
INPUT_FONT_RGB = (0, 0, 204)
INPUT_FILL_RGB = (255, 249, 219)
HEADER_FILL_RGB = (231, 236, 243)
TITLE_FONT_RGB = (31, 56, 100)
NOTE_FONT_RGB = (89, 89, 89)


class XlError(str):
    """An error value read from a cell (``#DIV/0!``, ``#N/A``...), as opposed to text."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"XlError({str(self)!r})"


@runtime_checkable
class Book(Protocol):
    """What the macros need from a workbook. See the module docstring for the conventions."""

    #: True when a person is looking (live Excel): results and errors are shown as alerts
    #: instead of being returned or raised.
    interactive: bool

    @property
    def path(self) -> Path | None:
        """The workbook's file, or None when it was never saved."""

    def sheet_names(self) -> list[str]:
        """Names of every sheet, hidden ones included, in workbook order."""

    def used_range(self, sheet: str) -> str:
        """``A1:<last cell>`` of the sheet's used area."""

    def read(self, sheet: str, address: str) -> list[list[Any]]:
        """The values of a block (always 2-D)."""

    def read_formulas(self, sheet: str, address: str) -> list[list[str | None]]:
        """Each cell's formula text (starting with ``=``), or None for constants and blanks."""

    def write(self, sheet: str, address: str, values: list[list[Any]]) -> None:
        """Write a block of values with its top-left cell at ``address``."""

    def add_sheet(self, name: str, after: str | None = None) -> None:
        """Add an empty sheet (after ``after``, else at the end), or clear it if it exists."""

    def style(self, sheet: str, address: str, kind: str) -> None:
        """Apply one of :data:`STYLES` to a block."""

    def autofit(self, sheet: str) -> None:
        """Fit the column widths to their contents."""

    def calculate(self) -> None:
        """Recalculate every formula."""

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Save (to ``path``: save as), returning the file written."""

    def export_pdf(self, sheet: str, path: str | os.PathLike) -> Path:
        """Print one sheet to a PDF file, returning its path."""

    def alert(self, message: str, title: str) -> None:
        """Show a message to the user (no-op when nobody is looking)."""

    def open_workbook(self, path: str | os.PathLike) -> None:
        """Open another workbook for the user (no-op headless)."""


def _plain(value: Any) -> Any:
    # numpy scalars and NaN become what a cell can hold.
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class OpenpyxlBook:
    """A workbook file, headless: openpyxl for the cells, LibreOffice for calculating and PDFs.

    Formula cells read as the results of the last :meth:`calculate` (until then, the values
    cached in the file: the engine's for a workbook aop_xl built, None where a file has none). Writes change the
    workbook in memory; :meth:`save` writes the file (atomically).

    Args:
        path: an .xlsx (or .xlsm) file.

    Raises:
        WorkbookError: the file is missing or not a workbook.

    Examples:
        >>> book = OpenpyxlBook("AOP_2027.xlsx")  # doctest: +SKIP
        >>> book.read("Assumptions", "A6:B7")  # doctest: +SKIP
        [['Company', 'Northwind Trading'], ['Plan year', 2027]]
    """

    interactive = False

    def __init__(self, path: str | os.PathLike):
        self._path = Path(path)
        self._wb = _load(self._path)
        self._values: dict[str, dict[tuple[int, int], Any]] | None = None  # sheet -> (row, col) -> value
        self._calculated = False
        self._changed = False  # since the file was loaded or saved

    # ------------------------------------------------------------------ reading

    @property
    def path(self) -> Path:
        return self._path

    @property
    def workbook(self) -> Workbook:
        """The openpyxl workbook (formulas), for tests and tools."""
        return self._wb

    def sheet_names(self) -> list[str]:
        return list(self._wb.sheetnames)

    def used_range(self, sheet: str) -> str:
        ws = self._sheet(sheet)
        return f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"

    def read(self, sheet: str, address: str) -> list[list[Any]]:
        ws = self._sheet(sheet)
        cached = self._values_of(sheet)
        c0, r0, c1, r1 = _bounds(address)
        # The cell store is read directly: iter_rows() would create every empty cell it visits.
        cells = ws._cells
        out = []
        for r in range(r0, r1 + 1):
            row = []
            for c in range(c0, c1 + 1):
                cell = cells.get((r, c))
                if cell is None:
                    row.append(None)
                elif cell.data_type == "f":
                    row.append(cached.get((r, c)))
                else:
                    row.append(_value(cell))
            out.append(row)
        return out

    def read_formulas(self, sheet: str, address: str) -> list[list[str | None]]:
        cells = self._sheet(sheet)._cells
        c0, r0, c1, r1 = _bounds(address)
        out = []
        for r in range(r0, r1 + 1):
            row = []
            for c in range(c0, c1 + 1):
                cell = cells.get((r, c))
                if cell is None or cell.data_type != "f":
                    row.append(None)
                else:
                    v = cell.value
                    row.append(v.text if isinstance(v, ArrayFormula) else str(v))
            out.append(row)
        return out

    # ------------------------------------------------------------------ writing

    def write(self, sheet: str, address: str, values: list[list[Any]]) -> None:
        ws = self._sheet(sheet)
        c0, r0, _, _ = _bounds(address)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                cell = ws.cell(row=r0 + i, column=c0 + j)
                value = _plain(value)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # literal text, even "=..." or "#N/A"
        self._calculated, self._changed = False, True

    def add_sheet(self, name: str, after: str | None = None) -> None:
        if name in self._wb.sheetnames:
            index = self._wb.sheetnames.index(name)
            self._wb.remove(self._wb[name])
        else:
            index = self._wb.sheetnames.index(after) + 1 if after in self._wb.sheetnames else len(self._wb.sheetnames)
        self._wb.create_sheet(name, index)
        self._calculated, self._changed = False, True

    def style(self, sheet: str, address: str, kind: str) -> None:
        ws = self._sheet(sheet)
        c0, r0, c1, r1 = _bounds(address)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                _apply_style(ws.cell(row=r, column=c), kind)

    def autofit(self, sheet: str) -> None:
        ws = self._sheet(sheet)
        widths: dict[int, int] = {}
        for (_, c), cell in ws._cells.items():
            if cell.value is not None:
                text = f"{cell.value:,.2f}" if isinstance(cell.value, float) else str(cell.value)
                widths[c] = max(widths.get(c, 0), len(text))
        for c, n in widths.items():
            ws.column_dimensions[get_column_letter(c)].width = min(max(n + 2, 8), 60)

    # ------------------------------------------------------------------ calculating, saving, PDF

    def calculate(self) -> None:
        """Recalculate every formula in LibreOffice headless (skipped when nothing changed
        since the last calculation)."""
        if self._calculated:
            return
        with tempfile.TemporaryDirectory(prefix="aop_xl-calc-") as tmp:
            src = Path(tmp) / "in" / ("book" + self._path.suffix.lower())
            src.parent.mkdir()
            if self._changed or not self._path.exists():
                self._wb.save(src)
            else:
                shutil.copyfile(self._path, src)  # unchanged since loaded or saved: skip serialising
            out = libreoffice_convert(src, Path(tmp) / "out", "xlsx", "Calc MS Excel 2007 XML")
            self._values = _read_values(out)
        self._calculated = True

    def save(self, path: str | os.PathLike | None = None) -> Path:
        target = Path(path) if path is not None else self._path
        raw = io.BytesIO()
        self._wb.save(raw)
        write_atomic(target, raw.getvalue())
        self._path, self._changed = target, False
        return target

    def export_pdf(self, sheet: str, path: str | os.PathLike) -> Path:
        """Print one sheet to PDF with LibreOffice (the other sheets are hidden and lose their
        print areas in the copy it prints, since LibreOffice prints a hidden sheet's print
        area; formulas are recalculated on the way)."""
        self._sheet(sheet)
        path = Path(path)
        states = {ws.title: ws.sheet_state for ws in self._wb.worksheets}
        areas = {ws.title: ws._print_area for ws in self._wb.worksheets}
        active = self._wb.active
        with tempfile.TemporaryDirectory(prefix="aop_xl-pdf-") as tmp:
            src = Path(tmp) / "in" / (path.stem + ".xlsx")
            src.parent.mkdir()
            try:
                self._wb.active = self._wb.sheetnames.index(sheet)
                for ws in self._wb.worksheets:
                    ws.sheet_state = "visible" if ws.title == sheet else "hidden"
                    if ws.title != sheet:
                        ws.print_area = None
                self._wb.save(src)
            finally:
                for ws in self._wb.worksheets:
                    ws.sheet_state = states[ws.title]
                    ws._print_area = areas[ws.title]
                self._wb.active = active
            out = libreoffice_convert(src, Path(tmp) / "out", "pdf", "calc_pdf_Export")
            write_atomic(path, out.read_bytes())
        return path

    def alert(self, message: str, title: str) -> None:
        """Headless: nobody to show it to (the macro returns its result instead)."""

    def open_workbook(self, path: str | os.PathLike) -> None:
        """Headless: nothing to open."""

    # ------------------------------------------------------------------ helpers

    def _sheet(self, name: str):
        try:
            return self._wb[name]
        except KeyError:
            raise WorkbookError(f"{self._path.name}: no sheet {name!r}") from None

    def _values_of(self, name: str) -> dict[tuple[int, int], Any]:
        if self._values is None:
            # The values cached in the file (Excel and LibreOffice write them; openpyxl does not).
            self._values = _read_values(self._path) if self._path.exists() else {}
        return self._values.get(name, {})


def _load(path: Path) -> Workbook:
    try:
        return load_workbook(path, keep_vba=path.suffix.lower() in (".xlsm", ".xltm"))
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except Exception as exc:  # openpyxl raises several unrelated types for a non-workbook
        raise WorkbookError(f"{path}: not an .xlsx workbook ({type(exc).__name__})") from None


def _read_values(path: Path) -> dict[str, dict[tuple[int, int], Any]]:
    # Every non-empty value of every sheet (read-only mode: no styles, much faster).
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            ws.reset_dimensions()  # read every row, whatever the file's dimension tag says
            cells = {}
            for row in ws.iter_rows():
                for cell in row:
                    value = _value(cell)
                    if value is not None:
                        cells[(cell.row, cell.column)] = value
            out[ws.title] = cells
        return out
    finally:
        wb.close()


def _bounds(address: str) -> tuple[int, int, int, int]:
    c0, r0, c1, r1 = range_boundaries(address.replace("$", ""))
    if None in (c0, r0, c1, r1):
        raise WorkbookError(f"address {address!r}: give a block such as A1:C3")
    return c0, r0, c1, r1


def _value(cell) -> Any:
    if cell is None:
        return None
    v = cell.value
    if cell.data_type == "e" and isinstance(v, str):
        return XlError(v)
    if v == "":
        return None
    return v


def _rgb(rgb: tuple[int, int, int]) -> str:
    return "FF" + "".join(f"{c:02X}" for c in rgb)


def _apply_style(cell, kind: str) -> None:
    if kind == "title":
        cell.font = Font(name="Calibri", size=14, bold=True, color=_rgb(TITLE_FONT_RGB))
    elif kind == "note":
        cell.font = Font(name="Calibri", size=10, italic=True, color=_rgb(NOTE_FONT_RGB))
    elif kind == "header":
        cell.font = Font(name="Calibri", size=10, bold=True)
        cell.fill = PatternFill(fill_type="solid", start_color=_rgb(HEADER_FILL_RGB), end_color=_rgb(HEADER_FILL_RGB))
    elif kind == "bold":
        cell.font = Font(name="Calibri", size=10, bold=True)
    elif kind == "input":
        cell.font = Font(name="Calibri", size=10, color=_rgb(INPUT_FONT_RGB))
        cell.fill = PatternFill(fill_type="solid", start_color=_rgb(INPUT_FILL_RGB), end_color=_rgb(INPUT_FILL_RGB))
        cell.protection = Protection(locked=False)
    elif kind == "amount":
        cell.number_format = AMOUNT_FORMAT
    elif kind == "percent":
        cell.number_format = PERCENT_FORMAT
    elif kind == "integer":
        cell.number_format = INTEGER_FORMAT
    else:
        raise WorkbookError(f"style: must be one of {STYLES}, got {kind!r}")


# ---------------------------------------------------------------------- LibreOffice headless

SOFFICE_HINT = engines.LIBREOFFICE_HINT


def libreoffice_convert(src: Path, outdir: Path, ext: str, filter_name: str, timeout: float = 300) -> Path:
    """Convert one file with LibreOffice headless (recalculating on load); return the output.

    Args:
        src: the file to convert.
        outdir: where the output goes (created).
        ext: the output extension ("xlsx", "pdf").
        filter_name: LibreOffice's export filter ("Calc MS Excel 2007 XML", "calc_pdf_Export").
        timeout: seconds.

    Raises:
        WorkbookError: LibreOffice is missing, failed, or did not finish in time.
    """
    try:
        return engines.libreoffice_convert([src], outdir, f"{ext}:{filter_name}", f".{ext}", timeout)[src]
    except engines.EngineError as exc:
        raise WorkbookError(str(exc)) from None
