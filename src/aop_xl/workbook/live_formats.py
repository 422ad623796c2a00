"""Number formats that follow the settings: the display scale and the rounding unit's decimals.

A number format is fixed in the file, but the planner may change the display scale or the
rounding unit on Assumptions. Conditional formats carry a number format of their own, so
every amount cell gets rules that pick the format matching the current settings: thousands
or millions when the display says so, else the unit's decimals (0 for a unit of 1 or more, 1
for 0.1, 2 for 0.01 ...). The base format written with the cell is the plan's, so a reader
that ignores conditional formats still shows the build's choice.
"""

from __future__ import annotations

from openpyxl.formatting.rule import Rule
from openpyxl.utils import get_column_letter
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat

from aop_xl.workbook.styles import amount_format

#: Styles of amount cells that follow the display scale and the unit.
AMOUNT_STYLES = ("calc_amount", "total_amount", "input_amount", "headline_amount")
_FIRST_ID = 300


def rectangles(cells: set[tuple[int, int]]) -> list[str]:
    """A set of (row, col) cells as a short list of A1 rectangles (column runs of each row,
    merged down while the next row has the same run).

    Examples:
        >>> rectangles({(1, 1), (1, 2), (2, 1), (2, 2), (5, 3)})
        ['A1:B2', 'C5']
    """
    by_row: dict[int, list[int]] = {}
    for r, c in cells:
        by_row.setdefault(r, []).append(c)
    open_: dict[tuple[int, int], list[int]] = {}  # span -> [top row, last row]
    done: list[tuple[int, int, int, int]] = []
    for row in sorted(by_row):
        cols = sorted(by_row[row])
        spans, start = [], cols[0]
        for a, b in zip(cols, cols[1:] + [None]):
            if b is None or b != a + 1:
                spans.append((start, a))
                start = b
        for span in spans:
            if span in open_ and open_[span][1] == row - 1:
                open_[span][1] = row
            else:
                if span in open_:
                    done.append((open_[span][0], open_[span][1], *span))
                open_[span] = [row, row]
    done += [(top, bottom, *span) for span, (top, bottom) in open_.items()]
    out = []
    for top, bottom, c0, c1 in sorted(done):
        a, b = f"{get_column_letter(c0)}{top}", f"{get_column_letter(c1)}{bottom}"
        out.append(a if a == b else f"{a}:{b}")
    return out


def add_rules(ctx) -> None:
    """Add the format-following rules to every amount cell of the workbook."""
    for name, ws in ctx.sheets.items():
        used = ctx.styles.used.get(name, {})
        cells = set().union(*(used.get(s, set()) for s in AMOUNT_STYLES))
        if cells:
            add_amount_rules(ws, ctx.layout, cells)


def add_amount_rules(ws, lay, cells: set[tuple[int, int]]) -> None:
    """Add the format-following rules to the amount ``cells`` (row, col) of one sheet.

    Args:
        ws: the worksheet.
        lay: the workbook's :class:`~aop_xl.workbook.layout.Layout` (the settings' cells).
        cells: the amount cells.
    """
    display, unit = lay.param("display"), lay.scalar("unit")
    custom = f'AND({display}<>"thousands",{display}<>"millions")'
    choices = [(f'{display}="thousands"', amount_format(0, "thousands")),
               (f'{display}="millions"', amount_format(0, "millions")),
               (f"AND({custom},{unit}>=1)", amount_format(0)),
               (f"AND({custom},{unit}<1,{unit}>=0.1)", amount_format(1)),
               (f"AND({custom},{unit}<0.1,{unit}>=0.01)", amount_format(2)),
               (f"AND({custom},{unit}<0.01,{unit}>=0.001)", amount_format(3)),
               (f"AND({custom},{unit}<0.001)", amount_format(6))]
    sqref = " ".join(rectangles(cells))
    for k, (condition, fmt) in enumerate(choices):
        dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=_FIRST_ID + k, formatCode=fmt))
        ws.conditional_formatting.add(sqref, Rule(type="expression", dxf=dxf, formula=[condition]))
