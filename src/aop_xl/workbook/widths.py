"""Column widths that fit the widest value a column shows, so no cell prints as ``###``.

Excel measures a column in characters of its default font (Calibri 11: a digit is 7 pixels,
plus 5 pixels of padding). The workbook's cells are Calibri 10, so a width in characters of
the text to show, plus room for the thousands separators, the parentheses of negatives and
the padding, always fits. The widest amount a sheet can show is known from the plan (its
total target, its budget, sales and KPI targets); the blank template assumes amounts up to a
thousand million with cents. Text columns fit the longest name of the plan. Titles, section
titles and headers are not measured: titles run over empty cells to their right and headers
wrap.
"""

from __future__ import annotations

import math
import re

from openpyxl.utils import column_index_from_string, get_column_letter

from aop_xl.workbook.layout import COVER

#: Styles whose text may run over into the empty cells to its right, or wraps.
_UNMEASURED = {"title", "subtitle", "section", "header", "helper_header", "input_long", "calc_long", "helper", "meta",
               "note"}
_AMOUNT = {"calc_amount", "total_amount", "input_amount", "headline_amount", "check"}
_FIXED = {"calc_percent": 9, "input_percent": 9, "calc_rate": 9, "calc_integer": 7, "input_integer": 7,
          "calc_days": 10, "input_number": 12, "calc_number": 14, "input_choice": 12}
#: The largest amount assumed where the plan does not say (the blank template).
BLANK_LARGEST = 999_999_999.99
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
#: Points per line of wrapped 11-point text.
LINE_HEIGHT = 15.0


def amount_width(largest: float, decimals: int, display: str) -> float:
    """Characters needed by the widest amount: digits, separators, decimals, parentheses."""
    if display == "thousands":
        largest, decimals = largest / 1e3, 0
    elif display == "millions":
        largest, decimals = largest / 1e6, 1
    text = f"({abs(largest):,.{decimals}f})"
    return len(text) + 1.5


def largest_amount(plan) -> float:
    """The largest amount a workbook of ``plan`` shows (an upper bound)."""
    if plan is None:
        return BLANK_LARGEST
    values = [abs(plan.total_target())]
    values += [abs(b.cost) for b in plan.budget]
    values.append(sum(abs(b.cost) for b in plan.budget))
    values += [abs(k.target) for k in plan.kpis]
    values += [abs(k.actual) for k in plan.kpis if k.actual is not None]
    values += [abs(r.prior_year_revenue or 0) for r in plan.regions]
    values.append(abs(plan.plan.prior_year_revenue or 0))
    return max(values) * 1.25  # commission at challenge, growth on prior year: room above the total


def text_width(text: str) -> float:
    """Characters of a text in Calibri 10 (wide letters count a little more)."""
    wide = sum(1 for ch in text if ch.isupper() or ord(ch) > 0x2E80)
    return len(text) + 0.3 * wide + 1


def fit(ctx, sheet: str, last_col: int, extra: dict[int, float] | None = None) -> None:
    """Set the widths of columns 1..``last_col`` of a sheet from what its cells show.

    Args:
        ctx: the build context (styles used per cell, the plan).
        sheet: the sheet's name.
        last_col: the last column measured (the print area's).
        extra: minimum widths by column (a header that must stay readable).
    """
    ws = ctx.sheets[sheet]
    styles = ctx.styles
    amount = amount_width(largest_amount(ctx.plan), styles.decimals, styles.display)
    longest_name = max((len(n) for n in _names(ctx.plan)), default=18)
    need: dict[int, float] = {c: MIN_WIDTH for c in range(1, last_col + 1)}
    for style, cells in styles.used.get(sheet, {}).items():
        if style in _UNMEASURED:
            continue
        for row, col in cells:
            if col > last_col:
                continue
            cell = ws._cells.get((row, col))
            value = cell._value if cell is not None else None
            if style in _AMOUNT:
                width = amount
            elif isinstance(value, str) and not value.startswith("="):
                width = text_width(value)
            elif style in _FIXED:
                width = _FIXED[style]
            elif style in ("calc_text", "input_text", "label", "label_bold", "total_label"):
                width = longest_name + 2 if isinstance(value, str) and value.startswith("=") else text_width(str(value or ""))
            else:
                width = 10
            need[col] = max(need[col], width)
    for col, width in (extra or {}).items():
        need[col] = max(need.get(col, MIN_WIDTH), width)
    for col, width in need.items():
        ws.column_dimensions[get_column_letter(col)].width = round(min(max(width, MIN_WIDTH), MAX_WIDTH), 1)
    _wrapped_rows(ws)


def _wrapped_rows(ws) -> None:
    """A row holding wrapped text merged along it (a SMART goal) is as tall as its text in the
    merged columns' width, and at least two lines (text typed later still shows)."""
    for merged in ws.merged_cells.ranges:
        if merged.min_row != merged.max_row:
            continue
        cell = ws.cell(merged.min_row, merged.min_col)
        if not (cell.alignment and cell.alignment.wrap_text):
            continue
        width = sum(ws.column_dimensions[get_column_letter(c)].width or MIN_WIDTH
                    for c in range(merged.min_col, merged.max_col + 1))
        text = cell.value if isinstance(cell.value, str) else ""
        lines = max(2, math.ceil(text_width(text) / max(width - 2, 1)))
        ws.row_dimensions[merged.min_row].height = LINE_HEIGHT * lines


#: Sheets whose widths are set by hand (the Cover: a label column and a wide text column).
FIXED_SHEETS = {COVER}


def _names(plan) -> list[str]:
    if plan is None:
        return ["x" * 24]
    names = [*plan.region_names, *plan.product_names, *plan.rep_names]
    return names + [b.item for b in plan.budget] + [k.metric for k in plan.kpis]


def fit_printed(ctx) -> None:
    """Fit the printed columns of every visible sheet (those of its print area)."""
    for name, ws in ctx.sheets.items():
        area = ws.print_area
        if ws.sheet_state != "visible" or not area or name in FIXED_SHEETS:
            continue
        m = re.search(r":\$?([A-Z]+)\$?\d+$", area if isinstance(area, str) else area[0])
        if m:
            fit(ctx, name, column_index_from_string(m.group(1)))
