"""Shared formulas: one formula text for a run of cells that hold the same formula.

A worksheet written by openpyxl carries the full formula text in every cell. The standard
workbook's helper grids repeat long formulas down thousands of rows, which made the Targets
sheet of the blank template over 60 MB of XML. Excel itself stores a filled-down formula
once, as a *shared formula*: the first cell of a run holds the text and the range it covers,
the others only point to it, and every reader (Excel, LibreOffice, Gnumeric, openpyxl)
shifts its relative references to each cell. This module rewrites a worksheet's XML so
that every run of two or more vertically adjacent cells whose formulas are the same in
relative (R1C1) terms becomes one shared formula. The formulas mean exactly what they meant.
"""

from __future__ import annotations

import re

_CELL = re.compile(r'<c r="([A-Z]{1,3})([0-9]+)"([^>]*)><f>([^<]*)</f>(<v ?/>|<v>[^<]*</v>)?</c>')
# A1 references outside string literals and quoted sheet names; not a function name (LOG10().
_REF = re.compile(r"(?<![A-Za-z0-9_.$])(\$?)([A-Z]{1,3})(\$?)([0-9]+)(?![0-9A-Za-z_(!])")
_OPAQUE = re.compile(r'("(?:[^"]|"")*"|\'(?:[^\']|\'\')*\')')


def relative_form(formula: str, row: int) -> str:
    """The formula with every relative row written as an offset from ``row``.

    Cells compared by this form sit in one column, so columns stay as written.

    Examples:
        >>> relative_form('SUM($A$1:B2)+C3*"B2"', 3)
        'SUM($A$1:B[-1])+C[0]*"B2"'
    """
    if '"' in formula or "'" in formula:
        pieces = _OPAQUE.split(formula)
        return "".join(p if k % 2 else relative_form(p, row) for k, p in enumerate(pieces))
    parts = _REF.split(formula)
    # split gives text, then the 4 groups of each reference, then text ...
    out = parts[0::5]
    refs = [
        f"{parts[i]}{parts[i + 1]}{parts[i + 2]}{parts[i + 3] if parts[i + 2] else f'[{int(parts[i + 3]) - row}]'}"
        for i in range(1, len(parts), 5)
    ]
    return "".join(x for pair in zip(out, refs + [""]) for x in pair)


def share_formulas(xml: str) -> str:
    """Rewrite a worksheet part so that runs of equal formulas down a column are shared.

    Args:
        xml: the worksheet XML as openpyxl writes it (``<c r=..><f>..</f><v/></c>``).

    Returns:
        The same worksheet with ``<f t="shared" ...>`` where cells share a formula.
    """
    cells = list(_CELL.finditer(xml))
    if not cells:
        return xml
    by_col: dict[str, list[tuple[int, int, str]]] = {}
    for k, m in enumerate(cells):
        col, row = m.group(1), int(m.group(2))
        form = relative_form(m.group(4), row)
        by_col.setdefault(col, []).append((row, k, form))
    replace: dict[int, str] = {}
    si = 0
    for col, items in by_col.items():
        items.sort()
        start = 0
        while start < len(items):
            end = start
            while (end + 1 < len(items) and items[end + 1][0] == items[end][0] + 1
                   and items[end + 1][2] == items[start][2]):
                end += 1
            if end > start:
                first = cells[items[start][1]]
                ref = f"{col}{items[start][0]}:{col}{items[end][0]}"
                replace[items[start][1]] = (f'<c r="{col}{first.group(2)}"{first.group(3)}><f t="shared" ref="{ref}" '
                                            f'si="{si}">{first.group(4)}</f>{first.group(5) or ""}</c>')
                for _, k, _ in items[start + 1:end + 1]:
                    m = cells[k]
                    replace[k] = f'<c r="{m.group(1)}{m.group(2)}"{m.group(3)}><f t="shared" si="{si}"/>{m.group(5) or ""}</c>'
                si += 1
            start = end + 1
    if not replace:
        return xml
    out, pos = [], 0
    for k, m in enumerate(cells):
        if k in replace:
            out.append(xml[pos:m.start()])
            out.append(replace[k])
            pos = m.end()
    out.append(xml[pos:])
    return "".join(out)
