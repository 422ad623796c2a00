"""Excel's limits and file structure (X301-X311), and cached error values (V401).

X307 (formula length) and X308 (nesting) are per formula shape and run with the modelling
rules' per-group pass; the rest look at sheet names, defined names, validations, tables,
merged ranges, dimensions and the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from aop_xl.checks.cells import box, rectangles
from aop_xl.checks.formula import MAX_COL, MAX_ROW, col_number, plan_of, shape
from aop_xl.checks.index import FormulaIndex
from aop_xl.checks.reader import Workbook, range_bounds
from aop_xl.checks.rules import RULES, Finding
from aop_xl.errors import WorkbookError
from aop_xl.workbook.book import XlError
from aop_xl.workbook.layout import MAX_LIST_CHARS, check_sheet_name

_A1_NAME = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_R1C1_NAME = re.compile(r"^[Rr](\d*)([Cc](\d*))?$|^[Cc]\d*$")
HUGE_EXTENT = 10_000_000  # declared cells above which a nearly empty sheet is flagged


def defined_name_problem(name: str) -> str | None:
    """Why Excel refuses a defined name, or None. Unicode letters are accepted, as in Excel.

    Examples:
        >>> [defined_name_problem(x) for x in ("Sales_2027", "étude", "_xlnm.Print_Area")]
        [None, None, None]
        >>> defined_name_problem("A1")
        'looks like a cell reference'
    """
    if not name:
        return "is empty"
    if len(name) > 255:
        return "is longer than 255 characters"
    first = name[0]
    if not (first.isalpha() or first in "_\\"):
        return "must start with a letter, an underscore or a backslash"
    if any(not (ch.isalnum() or ch in "_.\\?") for ch in name):
        return "holds a character Excel does not allow (spaces, punctuation)"
    a1 = _A1_NAME.match(name)
    if a1 and col_number(a1.group(1)) <= MAX_COL and 0 < int(a1.group(2)) <= MAX_ROW:
        return "looks like a cell reference"
    if _R1C1_NAME.match(name):
        return "looks like an R1C1 reference"
    return None


class LimitChecks:
    """Runs X301-X306, X309-X311 and V401 over one workbook."""

    def __init__(self, wb: Workbook, index: FormulaIndex, file: str):
        self.wb, self.ix, self.file = wb, index, file

    def finding(self, rule_id: str, message: str, sheet: str | None = None, r: tuple | None = None) -> Finding:
        if r is None:
            return Finding(RULES[rule_id], self.file, message, sheet=sheet)
        r1, c1, r2, c2, n = r
        return Finding(RULES[rule_id], self.file, message, sheet=sheet, range=box(r1, c1, r2, c2), cells=n)

    def run(self) -> Iterator[Finding]:
        yield from self.sheet_names()
        yield from self.names()
        yield from self.validations()
        yield from self.tables()
        yield from self.beyond_grid()
        yield from self.merged_and_extent()
        if self.wb.strict:
            yield self.finding("X311", "the file is Strict Open XML (ISO 29500 namespaces)")
        yield from self.cached_errors()

    def sheet_names(self) -> Iterator[Finding]:
        seen: dict[str, str] = {}
        for sheet in self.wb.sheets:
            try:
                check_sheet_name(sheet.name)
                if sheet.name.casefold() == "history":
                    raise WorkbookError("'History' is reserved by Excel")
            except WorkbookError as exc:
                yield self.finding("X301", f"sheet name {sheet.name!r}: {str(exc).split(': ', 1)[-1]}", sheet.name)
            folded = sheet.name.casefold()
            if folded in seen:
                yield self.finding("X302", f"sheets {seen[folded]!r} and {sheet.name!r} differ only in case",
                                   sheet.name)
            else:
                seen[folded] = sheet.name

    def names(self) -> Iterator[Finding]:
        seen: set[tuple[str, int | None]] = set()
        for dn in self.wb.defined_names:
            problem = defined_name_problem(dn.name)
            if problem is not None and not dn.name.lower().startswith(("_xlnm.", "_xlfn.", "_xlpm.")):
                yield self.finding("X303", f"defined name {dn.name!r} {problem}")
            key = (dn.name.casefold(), dn.scope)
            if key in seen:
                yield self.finding("X303", f"defined name {dn.name!r} is defined twice in the same scope")
            seen.add(key)
            if dn.text and "[" not in dn.text:
                raw = dn.text.lstrip("=").encode("utf-8")
                for ref in plan_of(shape(raw)).refs:
                    if ref.row1 is not None:
                        s, e = plan_of(shape(raw)).runs[ref.row1]
                        if not 0 < int(raw[s:e]) <= MAX_ROW:
                            yield self.finding("X306", f"defined name {dn.name} refers beyond the last row "
                                               f"({dn.text[:60]})")
                            break

    def validations(self) -> Iterator[Finding]:
        for sheet in self.wb.sheets:
            for dv in sheet.validations:
                f1 = dv.formula1 or ""
                if dv.kind == "list" and f1.startswith('"') and len(f1) - 2 > MAX_LIST_CHARS:
                    where = dv.sqref.split()[0] if dv.sqref else None
                    r = _bounds(where) if where else None
                    yield self.finding("X304", f"list validation of {len(f1) - 2} characters over {dv.sqref}, "
                                       f"over Excel's {MAX_LIST_CHARS}", sheet.name, r)

    def tables(self) -> Iterator[Finding]:
        names = {dn.name.casefold() for dn in self.wb.defined_names}
        seen: dict[str, str] = {}
        for table in self.wb.tables:
            for label in {table.display_name or table.name}:
                folded = label.casefold()
                if folded in seen:
                    yield self.finding("X305", f"two tables are named {label!r} ({seen[folded]} and {table.sheet})",
                                       table.sheet, _bounds(table.ref))
                elif folded in names:
                    yield self.finding("X305", f"table {label!r} has the name of a defined name", table.sheet,
                                       _bounds(table.ref))
                seen.setdefault(folded, table.sheet)

    def beyond_grid(self) -> Iterator[Finding]:
        by_sheet: dict[int, list[tuple[int, int]]] = {}
        for sheet_index, position in self.ix.beyond_grid():
            sf = self.ix.sheets[sheet_index]
            by_sheet.setdefault(sheet_index, []).append((int(sf.rows[position]), int(sf.cols[position])))
        for sheet_index, cells in by_sheet.items():
            sheet = self.wb.sheets[sheet_index]
            for r in rectangles(cells):
                text = sheet.formulas[(r[0], r[1])]
                yield self.finding("X306", f"={text[:80]} refers beyond row {MAX_ROW:,} or column XFD", sheet.name, r)

    def merged_and_extent(self) -> Iterator[Finding]:
        for sheet in self.wb.sheets:
            for ref in sheet.merged:
                try:
                    r1, c1, r2, c2 = range_bounds(ref)
                except ValueError:
                    continue
                if r2 > MAX_ROW or c2 > MAX_COL:
                    yield self.finding("X306", f"merged range {ref} goes beyond Excel's grid", sheet.name)
                elif (r1 == 1 and r2 == MAX_ROW) or (c1 == 1 and c2 == MAX_COL):
                    what = "a whole column" if r2 == MAX_ROW else "a whole row"
                    yield self.finding("X309", f"the merged range {ref} spans {what} "
                                       f"({(r2 - r1 + 1) * (c2 - c1 + 1):,} cells)", sheet.name,
                                       (r1, c1, r2, c2, (r2 - r1 + 1) * (c2 - c1 + 1)))
            if sheet.dimension:
                try:
                    r1, c1, r2, c2 = range_bounds(sheet.dimension)
                except ValueError:
                    continue
                declared = (r2 - r1 + 1) * (c2 - c1 + 1)
                held = len(sheet.values) + len(sheet.formulas)
                if declared >= HUGE_EXTENT and declared >= 1000 * (held + 1):
                    yield self.finding("X310", f"the sheet declares its used range as {sheet.dimension} "
                                       f"({declared:,} cells) but holds {held:,}", sheet.name)

    def cached_errors(self) -> Iterator[Finding]:
        for sheet in self.wb.sheets:
            by_error: dict[str, list[tuple[int, int]]] = {}
            for key, value in sheet.values.items():
                if isinstance(value, XlError) and key not in sheet.rich:
                    by_error.setdefault(str(value), []).append(key)
            for error, cells in sorted(by_error.items()):
                for r in rectangles(cells):
                    first = (r[0], r[1])
                    what = f"={sheet.formulas[first][:70]}" if first in sheet.formulas else "a typed value"
                    yield self.finding("V401", f"shows {error} as saved ({what})", sheet.name, r)


def _bounds(ref: str | None) -> tuple | None:
    if not ref:
        return None
    try:
        r1, c1, r2, c2 = range_bounds(ref)
    except ValueError:
        return None
    return r1, c1, r2, c2, (r2 - r1 + 1) * (c2 - c1 + 1)
