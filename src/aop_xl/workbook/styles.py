"""Cell styles of the standard workbook and the fast cell writer the sheet builders share.

Finance-modelling colours: inputs in blue on light yellow and unlocked; calculations black
and locked; checks in small grey type (red when not zero, by conditional formatting);
helper columns grey. Amounts are shown as a finance reader expects: no currency code in the
cells (each sheet's subtitle names the currency and the scale), negatives in parentheses,
zero as a dash, in whole currency with the rounding unit's decimals, or in thousands or
millions (the plan's ``display``).

User text (names, goals, items) is always written as a literal string: data type ``s`` and
the quote prefix, so ``=HYPERLINK(...)``, ``+1`` or ``#N/A`` stay text.
"""

from __future__ import annotations

import math

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

from aop_xl.errors import WorkbookError
from aop_xl.workbook.layout import MAX_FORMULA_CHARS

INPUT_FONT = Font(name="Calibri", size=10, color="FF0000CC")
CALC_FONT = Font(name="Calibri", size=10, color="FF000000")
HELPER_FONT = Font(name="Calibri", size=9, color="FF808080")
INPUT_FILL = PatternFill(fill_type="solid", start_color="FFFFF9DB", end_color="FFFFF9DB")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFE7ECF3", end_color="FFE7ECF3")
TOTAL_FILL = PatternFill(fill_type="solid", start_color="FFF2F2F2", end_color="FFF2F2F2")
RED_FILL = PatternFill(fill_type="solid", start_color="FFF4B6B0", end_color="FFF4B6B0")
AMBER_FILL = PatternFill(fill_type="solid", start_color="FFFFE08A", end_color="FFFFE08A")
GREEN_FILL = PatternFill(fill_type="solid", start_color="FFB9E3B0", end_color="FFB9E3B0")
_THIN = Side(style="thin", color="FF9AA5B1")

PERCENT = '0.0%_);(0.0%);"–"_)'
RATE = "0.00%"
DAYS = '#,##0" days"'
#: The display scales of amounts: name -> (format body, words for a subtitle).
SCALES = {"units": ("", ""), "thousands": (",", " thousands"), "millions": (",,", " millions")}
NUMBER = "#,##0.########"
INTEGER = "0"


def unit_decimals(unit: float | None) -> int:
    """Decimals shown for amounts of a rounding unit (0.01 -> 2, 1 or 1000 -> 0)."""
    if not unit or not math.isfinite(unit):
        return 2
    for d in range(0, 7):
        q = unit * 10**d
        if abs(q - round(q)) <= 1e-9 * max(1.0, q):
            return d
    return 6


def amount_format(decimals: int, display: str = "units") -> str:
    """Number format of amounts: thousands separators, negatives in parentheses, zero as a dash.

    Args:
        decimals: decimals shown in whole-currency display (the rounding unit's).
        display: ``units``, ``thousands`` (``#,##0,``) or ``millions`` (``#,##0.0,,``).

    Examples:
        >>> amount_format(2)
        '#,##0.00_);(#,##0.00);"–"_)'
        >>> amount_format(2, "thousands")
        '#,##0,_);(#,##0,);"–"_)'
    """
    if display == "thousands":
        body = "#,##0,"
    elif display == "millions":
        body = "#,##0.0,,"
    else:
        body = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f'{body}_);({body});"–"_)'


def scale_words(display: str) -> str:
    """How a sheet's subtitle names the scale: "", " thousands", " millions"."""
    return SCALES.get(display, SCALES["units"])[1]


class Styles:
    """The named cell styles of one workbook (registered once, copied onto cells).

    Args:
        wb: the openpyxl workbook.
        currency: the plan's currency, or None (blank template): named in subtitles, never in
            a number format.
        decimals: decimals of amounts in whole-currency display.
        display: the plan's display scale (``units``, ``thousands``, ``millions``).
    """

    def __init__(self, wb, currency: str | None, decimals: int, display: str = "units"):
        self._proto_sheet = wb.worksheets[0]
        self.currency, self.decimals, self.display = currency, decimals, display
        amount = amount_format(decimals, display)
        unlocked, locked = Protection(locked=False), Protection(locked=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        specs = {
            "title": dict(font=Font(name="Calibri", size=16, bold=True, color="FF1F3864")),
            "subtitle": dict(font=Font(name="Calibri", size=10, italic=True, color="FF595959")),
            "section": dict(font=Font(name="Calibri", size=11, bold=True, color="FF1F3864")),
            "header": dict(font=Font(name="Calibri", size=10, bold=True), fill=HEADER_FILL,
                           border=Border(bottom=_THIN), alignment=Alignment(wrap_text=True, vertical="bottom")),
            "helper_header": dict(font=Font(name="Calibri", size=9, bold=True, color="FF808080"),
                                  alignment=Alignment(wrap_text=True, vertical="bottom")),
            "label": dict(font=CALC_FONT),
            "label_bold": dict(font=Font(name="Calibri", size=10, bold=True)),
            "input_text": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked, quote=True),
            "input_long": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked, quote=True, alignment=wrap),
            "input_choice": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked),
            "input_number": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked, number_format=NUMBER),
            "input_integer": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked, number_format=INTEGER),
            "input_amount": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked, number_format=amount),
            "input_percent": dict(font=INPUT_FONT, fill=INPUT_FILL, protection=unlocked, number_format=RATE),
            "calc_text": dict(font=CALC_FONT, protection=locked),
            "calc_long": dict(font=CALC_FONT, protection=locked, alignment=wrap),
            "cover_label": dict(font=Font(name="Calibri", size=11, bold=True), alignment=Alignment(vertical="top")),
            "cover_value": dict(font=Font(name="Calibri", size=11), protection=locked,
                                alignment=Alignment(wrap_text=True, vertical="top", horizontal="left")),
            "note": dict(font=Font(name="Calibri", size=10, italic=True, color="FF595959")),
            "calc_amount": dict(font=CALC_FONT, protection=locked, number_format=amount),
            "calc_number": dict(font=CALC_FONT, protection=locked, number_format=NUMBER),
            "calc_integer": dict(font=CALC_FONT, protection=locked, number_format=INTEGER),
            "calc_percent": dict(font=CALC_FONT, protection=locked, number_format=PERCENT),
            "calc_rate": dict(font=CALC_FONT, protection=locked, number_format=RATE),
            "calc_days": dict(font=CALC_FONT, protection=locked, number_format=DAYS),
            "total_amount": dict(font=Font(name="Calibri", size=10, bold=True), fill=TOTAL_FILL,
                                 protection=locked, number_format=amount, border=Border(top=_THIN)),
            "total_label": dict(font=Font(name="Calibri", size=10, bold=True), fill=TOTAL_FILL,
                                border=Border(top=_THIN)),
            "headline_amount": dict(font=Font(name="Calibri", size=12, bold=True), number_format=amount),
            "check": dict(font=HELPER_FONT, protection=locked, number_format=amount_format(decimals)),
            "check_count": dict(font=HELPER_FONT, protection=locked, number_format="0"),
            "helper": dict(font=HELPER_FONT, protection=locked, number_format="General"),
            "meta": dict(font=CALC_FONT, protection=locked),
        }
        self._arrays = {name: self._register(**spec) for name, spec in specs.items()}
        #: sheet title -> style name -> the (row, col) cells written with it
        self.used: dict[str, dict[str, set[tuple[int, int]]]] = {}

    def _register(self, font=None, fill=None, border=None, alignment=None, protection=None, number_format=None,
                  quote=False):
        proto = Cell(self._proto_sheet)
        if font is not None:
            proto.font = font
        if fill is not None:
            proto.fill = fill
        if border is not None:
            proto.border = border
        if alignment is not None:
            proto.alignment = alignment
        proto.protection = protection or Protection(locked=True)
        if number_format is not None:
            proto.number_format = number_format
        if quote:
            proto.quotePrefix = True
        return proto._style

    def __getitem__(self, name: str):
        return self._arrays[name]


class Writer:
    """Writes cells of one worksheet with the shared styles (fast path: no per-cell lookups).

    Args:
        ws: the worksheet.
        styles: the workbook's :class:`Styles`.
    """

    def __init__(self, ws, styles: Styles):
        self.ws = ws
        self.styles = styles
        self._cells = ws._cells  # openpyxl's own cell store; Cell objects are placed directly for speed
        self.used = styles.used.setdefault(ws.title, {})

    def _put(self, row: int, col: int, style: str) -> Cell:
        cell = Cell(self.ws, row=row, column=col, style_array=self.styles[style])
        self._cells[(row, col)] = cell
        self.used.setdefault(style, set()).add((row, col))
        return cell

    def formula(self, row: int, col: int, text: str, style: str = "calc_amount") -> Cell:
        """A formula cell; ``text`` without the leading ``=`` (built here, never from user text)."""
        if len(text) + 1 > MAX_FORMULA_CHARS:
            raise WorkbookError(f"{self.ws.title}!R{row}C{col}: formula of {len(text) + 1} characters "
                                f"is over Excel's {MAX_FORMULA_CHARS}")
        cell = self._put(row, col, style)
        cell._value = "=" + text
        cell.data_type = "f"
        return cell

    def value(self, row: int, col: int, value, style: str = "input_number") -> Cell:
        """A number, boolean or empty input (None writes a styled empty cell)."""
        if isinstance(value, str):
            return self.text(row, col, value, style)
        cell = self._put(row, col, style)
        if value is not None:
            cell.value = value
        return cell

    def text(self, row: int, col: int, text: str | None, style: str = "input_text") -> Cell:
        """A literal string cell: never a formula, number or error, whatever it looks like."""
        cell = self._put(row, col, style)
        if text is not None:
            cell._value = str(text)
            cell.data_type = "s"
        return cell

    def label(self, row: int, col: int, text: str, style: str = "label") -> Cell:
        """A constant label of the template (not user data)."""
        return self.text(row, col, text, style)
