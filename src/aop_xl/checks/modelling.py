"""Modelling rules for any workbook (FAST standard, ICAEW code): M201-M210.

Every rule reports one finding per rectangular block of cells (``Targets!B7:F7 · 5 cells``),
not one per cell. Precision comes first: a pattern break is reported only where the cells
on both sides (at least two each) agree with each other and the odd block is small beside
them; totals are recognised and not mistaken for breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from aop_xl.checks.cells import addr, box, rectangles
from aop_xl.checks.formula import plan_of, references, shape, shift
from aop_xl.checks.index import FormulaIndex
from aop_xl.checks.reader import Sheet, Workbook, range_bounds
from aop_xl.checks.rules import RULES, Finding
from aop_xl.workbook.book import XlError
from aop_xl.workbook.layout import quote_sheetname

#: Functions that recalculate on every change or hide their precedents.
VOLATILE = frozenset({"OFFSET", "INDIRECT", "TODAY", "NOW", "RAND", "RANDBETWEEN", "RANDARRAY", "CELL", "INFO",
                      "_XLFN.RANDARRAY"})
#: Excel 2007-2016 functions (openpyxl's list, which files store without a prefix) that
#: LibreOffice 7 answers with #NAME? (measured: each called in a workbook recalculated headless).
_NOT_IN_LIBREOFFICE = frozenset({"BAHTTEXT", "CUBEKPIMEMBER", "CUBEMEMBER", "CUBEMEMBERPROPERTY",
                                 "CUBERANKEDMEMBER", "CUBESET", "CUBESETCOUNT", "CUBEVALUE", "ECMA.CEILING",
                                 "PHONETIC", "RTD"})
_PREFIXES = ("_XLFN.", "_XLWS.", "_XLUDF.")
_SCALES = frozenset({1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e12})
_CALENDAR = frozenset({360.0, 365.0, 366.0, 1440.0, 3600.0, 86400.0})
_TOTAL_SHAPE = re.compile(rb"^SUM\(\$?[A-Z]{1,3}\$?\x01+:\$?[A-Z]{1,3}\$?\x01+\)$")
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?%?$|^[+-]?\.\d+%?$")
_NUMBER, _TEXT, _BOOL, _ERROR, _COMPUTED = -1, -2, -3, -4, -5
MAX_MIDDLE = 10  # the most cells of an odd block between two agreeing runs
#: (function, argument position) of numbers that are codes, not data (SUBTOTAL(109, ...)).
_CODE_ARGUMENTS = frozenset({("SUBTOTAL", 0), ("AGGREGATE", 0), ("AGGREGATE", 1), ("_XLFN.AGGREGATE", 0),
                             ("_XLFN.AGGREGATE", 1)})


def excel_functions() -> frozenset[str]:
    """The functions M206 accepts: Excel 2016's unprefixed set that LibreOffice also evaluates."""
    from openpyxl.utils.formulas import FORMULAE

    return frozenset(FORMULAE) - _NOT_IN_LIBREOFFICE


def business_number(text: str) -> bool:
    """True for a literal that looks like plan data rather than arithmetic.

    Examples:
        >>> [business_number(x) for x in ("12", "0.5", "1E-09", "1000", "1.2", "2027", "1E+300")]
        [False, False, False, False, True, True, False]
    """
    try:
        value = abs(float(text))
    except ValueError:
        return False
    if value.is_integer() and value <= 100:
        return False
    if value == 0.5 or value in _SCALES or value in _CALENDAR:
        return False
    return not (value <= 1e-6 or value >= 1e100)


def _kind(value) -> int:
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, XlError):
        return _ERROR
    if isinstance(value, (int, float)):
        return _NUMBER
    return _TEXT


def _short(text: str, limit: int = 90) -> str:
    text = "=" + text
    return text if len(text) <= limit else text[:limit - 3] + "..."


class ModellingChecks:
    """Runs the M rules over one workbook.

    Args:
        wb: the workbook.
        index: its formula index.
        file: the file name findings carry.
    """

    def __init__(self, wb: Workbook, index: FormulaIndex, file: str,
                 template_formulas: dict[str, set[tuple[int, int]]] | None = None,
                 template_values: dict[str, set[tuple[int, int]]] | None = None):
        self.wb, self.ix, self.file = wb, index, file
        # An AOP workbook's formulas that are its template's own: their constants are the
        # library's arithmetic (reviewed in its source), not assumptions typed by a user.
        self.template_formulas = template_formulas or {}
        # Its input and label cells: an input's type is the plan's business (C108).
        self.template_values = template_values or {}

    def finding(self, rule_id: str, message: str, sheet: str | None = None, r: tuple | None = None) -> Finding:
        if r is None:
            return Finding(RULES[rule_id], self.file, message, sheet=sheet)
        r1, c1, r2, c2, n = r
        return Finding(RULES[rule_id], self.file, message, sheet=sheet, range=box(r1, c1, r2, c2), cells=n)

    def run(self) -> Iterator[Finding]:
        yield from self.patterns()
        yield from self.group_rules()
        yield from self.circular()
        yield from self.numbers_as_text()
        yield from self.totals()
        yield from self.external_names()

    # ---------------------------------------------------------------- M201, M202

    def patterns(self) -> Iterator[Finding]:
        for sheet, sf in zip(self.wb.sheets, self.ix.sheets):
            if not len(sf):
                continue
            constants = {k: v for k, v in sheet.values.items() if k not in sheet.formulas}
            rows = np.concatenate([sf.rows, np.fromiter((k[0] for k in constants), np.int64, len(constants)),
                                   np.fromiter((k[0] for k in sheet.computed), np.int64, len(sheet.computed))])
            cols = np.concatenate([sf.cols, np.fromiter((k[1] for k in constants), np.int64, len(constants)),
                                   np.fromiter((k[1] for k in sheet.computed), np.int64, len(sheet.computed))])
            kinds = np.concatenate([sf.form, np.fromiter((_kind(v) for v in constants.values()), np.int64,
                                                         len(constants)),
                                    np.full(len(sheet.computed), _COMPUTED, np.int64)])
            pos = np.concatenate([np.arange(len(sf)), np.full(len(constants) + len(sheet.computed), -1)])
            # A computed array member listed as a constant too: keep the computed entry.
            hits: dict[str, dict[tuple[int, int], tuple]] = {"M201": {}, "M202": {}}
            for axis, (major, minor) in (("column", (cols, rows)), ("row", (rows, cols))):
                self._sandwiches(sheet, sf, axis, major, minor, kinds, pos, hits)
            for rule_id, cells in hits.items():
                for r in rectangles(cells):
                    yield self._pattern_finding(rule_id, sheet, r, cells[(r[0], r[1])])

    def _sandwiches(self, sheet, sf, axis, major, minor, kinds, pos, hits) -> None:
        order = np.lexsort((minor, major))
        maj, mnr, kind, p = major[order], minor[order], kinds[order], pos[order]
        n = len(order)
        if n < 5:
            return
        brk = np.ones(n, bool)
        brk[1:] = (maj[1:] != maj[:-1]) | (mnr[1:] != mnr[:-1] + 1) | (kind[1:] != kind[:-1])
        starts = np.nonzero(brk)[0]
        ends = np.append(starts[1:], n)
        if len(starts) < 3:
            return
        seg_kind, seg_len = kind[starts], ends - starts
        contiguous = np.zeros(len(starts), bool)
        contiguous[1:] = (maj[starts[1:]] == maj[ends[:-1] - 1]) & (mnr[starts[1:]] == mnr[ends[:-1] - 1] + 1)
        j = np.arange(1, len(starts) - 1)
        odd = (contiguous[j] & contiguous[j + 1] & (seg_kind[j - 1] == seg_kind[j + 1]) & (seg_kind[j - 1] >= 0)
               & ((seg_kind[j] >= 0) | (seg_kind[j] == _NUMBER)) & (seg_len[j - 1] >= 2) & (seg_len[j + 1] >= 2)
               & (seg_len[j] <= MAX_MIDDLE) & (2 * seg_len[j] <= seg_len[j - 1] + seg_len[j + 1]))
        for k in j[odd].tolist():
            before = int(ends[k - 1] - 1)  # the cell just before the odd block
            flank_text = sf.texts[int(p[before])]
            number = seg_kind[k] == _NUMBER
            if not number and _functions(sf.texts[int(p[starts[k]])]) != _functions(flank_text):
                continue  # a different kind of formula (a heading, a subtotal line), not a slip
            for i in range(int(starts[k]), int(ends[k])):
                cell = (int(mnr[i]), int(maj[i])) if axis == "column" else (int(maj[i]), int(mnr[i]))
                dr, dc = (int(mnr[i] - mnr[before]), 0) if axis == "column" else (0, int(mnr[i] - mnr[before]))
                if self._heading(sheet, cell, axis):
                    continue
                if not number and self._is_subtotal(sf.texts[int(p[i])], cell, axis):
                    continue
                expected = shift(flank_text, dr, dc)
                hits["M201" if number else "M202"].setdefault(cell, (axis, expected, int(p[i])))

    @staticmethod
    def _heading(sheet: Sheet, cell: tuple[int, int], axis: str) -> bool:
        # A cell on a heading line: across the scan a neighbour is text, and none is a number
        # or a formula.
        r, c = cell
        across = ((r, c - 1), (r, c + 1)) if axis == "column" else ((r - 1, c), (r + 1, c))
        text = False
        for key in across:
            if key in sheet.formulas or key in sheet.computed:
                return False
            value = sheet.values.get(key)
            if isinstance(value, float):
                return False
            text = text or isinstance(value, str)
        return text

    @staticmethod
    def _is_subtotal(text: str, cell: tuple[int, int], axis: str) -> bool:
        # SUM/SUBTOTAL/AGGREGATE of the cells just before it: a subtotal line, not a break.
        head = text.lstrip("+ ").upper()
        if not head.startswith(("SUM(", "SUBTOTAL(", "AGGREGATE(")):
            return False
        r, c = cell
        for ref in references(text):
            if ref.sheet is None and ref.kind == "range":
                if axis == "column" and ref.c1 <= c <= ref.c2 and ref.r2 == r - 1:
                    return True
                if axis == "row" and ref.r1 <= r <= ref.r2 and ref.c2 == c - 1:
                    return True
        return False

    def _pattern_finding(self, rule_id: str, sheet: Sheet, r: tuple, first: tuple) -> Finding:
        axis, expected, position = first
        r1, c1 = r[0], r[1]
        where = "above and below" if axis == "column" else "to the left and right"
        if rule_id == "M201":
            value = sheet.values.get((r1, c1))
            text = f"{value:g}" if isinstance(value, float) else str(value)
            message = (f"the number {text} is typed where the {axis} holds formulas; the cells {where} have "
                       f"{_short(expected)}")
        else:
            found = self.ix.sheets[sheet.index].texts[position]
            message = (f"{_short(found)} breaks the pattern of its {axis}: the cells {where} have "
                       f"{_short(expected)} here")
        return self.finding(rule_id, message, sheet.name, r)

    # ---------------------------------------------------------------- per-group rules

    def group_rules(self) -> Iterator[Finding]:
        allowed = excel_functions()
        # (rule, sheet, detail) -> cells, and one example formula for the message
        cells: dict[tuple[str, int, str], set[tuple[int, int]]] = {}
        example: dict[tuple[str, int, str], str] = {}
        for group in self.ix.groups:
            plan = group.plan
            checks = []
            for text, function, position in group.number_arguments():
                if business_number(text) and (function, position) not in _CODE_ARGUMENTS:
                    checks.append(("M203", text))
            for name in group.functions:
                if name in VOLATILE or name.startswith("_XLFN.") and name[6:] in VOLATILE:
                    checks.append(("M204", name.removeprefix("_XLFN.")))
                elif name.startswith(_PREFIXES) or name not in allowed:
                    checks.append(("M206", name))
            if plan.external:
                checks.append(("M205", ""))
            if plan.whole_in_aggregate:
                checks.append(("M208", ""))
            length = len(group.raw.decode("utf-8", "replace")) + 1
            if length > 8192:
                checks.append(("X307", str(length)))
            if plan.depth > 64:
                checks.append(("X308", str(plan.depth)))
            if not checks:
                continue
            sf = self.ix.sheets[group.sheet]
            members = list(zip(sf.rows[group.cells].tolist(), sf.cols[group.cells].tolist()))
            ours = self.template_formulas.get(self.wb.sheets[group.sheet].name, ())
            for rule_id, detail in dict.fromkeys(checks):
                key = (rule_id, group.sheet, detail)
                chosen = [m for m in members if m not in ours] if rule_id == "M203" and ours else members
                if chosen:
                    cells.setdefault(key, set()).update(chosen)
                example.setdefault(key, group.raw.decode("utf-8", "replace"))
        for key in sorted(cells, key=lambda k: (k[1], k[0], k[2])):
            rule_id, sheet_index, detail = key
            sheet = self.wb.sheets[sheet_index]
            for r in rectangles(cells[key]):
                formula = _short(sheet.formulas.get((r[0], r[1]), example[key]))
                if rule_id == "M203":
                    message = f"the constant {detail} in {formula}: make it a labelled input cell"
                elif rule_id == "M204":
                    message = f"{formula} calls {detail}, which recalculates on every change"
                elif rule_id == "M205":
                    message = f"{formula} refers to another workbook"
                elif rule_id == "M206":
                    why = ("needs Excel 2010 or later (stored with a _xlfn. prefix)" if detail.startswith("_XLFN.")
                           else "is a user-defined function (it needs its add-in)" if detail.startswith("_XLUDF.")
                           or detail not in _known_anywhere() else "is not evaluated by LibreOffice")
                    message = f"{formula}: {detail.split('.', 1)[-1] if detail.startswith(_PREFIXES) else detail} {why}"
                elif rule_id == "M208":
                    message = f"{formula} sums a whole column or row"
                elif rule_id == "X307":
                    message = f"the formula has {int(detail):,} characters, over Excel's 8,192"
                else:
                    message = f"the formula nests functions {detail} deep, over Excel's 64"
                yield self.finding(rule_id, message, sheet.name, r)

    # ---------------------------------------------------------------- M207

    def circular(self) -> Iterator[Finding]:
        selves: dict[int, list[tuple[int, int]]] = {}
        for cycle in self.ix.cycles():
            places = sorted(self.ix.locate(node) for node in cycle)
            if len(places) == 1:
                s, r, c = places[0]
                selves.setdefault(s, []).append((r, c))
                continue
            first_sheet = places[0][0]
            r = rectangles([(r_, c_) for s, r_, c_ in places if s == first_sheet])[0]
            names = [f"{quote_sheetname(self.wb.sheets[s].name)}!{addr(r_, c_)}" for s, r_, c_ in places[:6]]
            more = f" and {len(places) - 6} more" if len(places) > 6 else ""
            yield Finding(RULES["M207"], self.file, f"{len(places)} cells refer to each other in a loop: "
                          f"{', '.join(names)}{more}", sheet=self.wb.sheets[first_sheet].name, range=box(*r[:4]),
                          cells=len(places))
        for s, cells in selves.items():
            sheet = self.wb.sheets[s]
            for r in rectangles(cells):
                yield self.finding("M207", f"={_short(sheet.formulas[(r[0], r[1])])[1:]} refers to its own cell",
                                   sheet.name, r)

    # ---------------------------------------------------------------- M209

    def numbers_as_text(self) -> Iterator[Finding]:
        for sheet in self.wb.sheets:
            suspects = []
            values, formulas = sheet.values, sheet.formulas
            known = self.template_values.get(sheet.name, ())
            ignored = [range_bounds(ref) for sq in sheet.ignored_text for ref in sq.split() if _safe_bounds(ref)]
            for (r, c), v in values.items():
                if not isinstance(v, str) or isinstance(v, XlError) or (r, c) in formulas or (r, c) in known:
                    continue
                text = v.strip()
                if not _NUMBER_TEXT.match(text) or (len(text) > 1 and text[0] == "0" and text[1] != "."):
                    continue
                if self.wb.style(sheet.styles.get((r, c))).quote_prefix:
                    continue
                if any(a <= r <= c_ and b <= c <= d for a, b, c_, d in ignored):
                    continue
                neighbours = [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
                if any((k in formulas) or (isinstance(values.get(k), float) and not isinstance(values.get(k), bool))
                       for k in neighbours):
                    suspects.append((r, c))
            for r in rectangles(suspects):
                text = values[(r[0], r[1])]
                yield self.finding("M209", f'"{text}" is text, but its neighbours are numbers: enter it as a number',
                                   sheet.name, r)

    # ---------------------------------------------------------------- M210

    def totals(self) -> Iterator[Finding]:
        found: dict[int, dict[tuple[int, int], str]] = {}
        for group in self.ix.groups:
            if not _TOTAL_SHAPE.match(group.plan.shape):
                continue
            ref0 = group.plan.refs[0]
            sheet = self.wb.sheets[group.sheet]
            sf = self.ix.sheets[group.sheet]
            cols = sf.cols[group.cells]
            # A column total sums its own column; a row total a range to its left.
            possible = (cols == ref0.col1) & (ref0.col1 == ref0.col2) | (cols > max(ref0.col1, ref0.col2))
            for p in group.cells[possible].tolist():
                row, col = int(sf.rows[p]), int(sf.cols[p])
                text = sf.texts[p]
                ref = references(text)[0]
                if ref.c1 == ref.c2 == col and ref.r2 < row:
                    line = [(r, col) for r in range(ref.r1, ref.r2 + 1)]
                    gap = [(r, col) for r in range(ref.r2 + 1, row)]
                    step = (-1, 0)
                elif ref.r1 == ref.r2 == row and ref.c2 < col:
                    line = [(row, c) for c in range(ref.c1, ref.c2 + 1)]
                    gap = [(row, c) for c in range(ref.c2 + 1, col)]
                    step = (0, -1)
                else:
                    continue
                left_out = self._left_out(sheet, sf, line, gap, step)
                if left_out:
                    cells = ", ".join(addr(*k) for k in left_out[:4]) + (" ..." if len(left_out) > 4 else "")
                    found.setdefault(group.sheet, {})[(row, col)] = (
                        f"{_short(text)} leaves out {cells}, which match the rows it sums")
        for sheet_index, cells in found.items():
            for r in rectangles(cells):
                more = f" (and {r[4] - 1} more totals alike)" if r[4] > 1 else ""
                yield self.finding("M210", cells[(r[0], r[1])] + more, self.wb.sheets[sheet_index].name, r)

    def _contents(self, sheet: Sheet, sf, keys: list[tuple[int, int]]) -> list[int | None]:
        # Per cell: its formula's form id, _NUMBER for a typed number, None for anything else.
        if not keys:
            return []
        pos = sf.find_many(np.array([k[0] for k in keys]), np.array([k[1] for k in keys]))
        out: list[int | None] = []
        for key, p in zip(keys, pos.tolist()):
            if p >= 0:
                out.append(int(sf.form[p]))
            else:
                value = sheet.values.get(key)
                out.append(_NUMBER if value is not None and _kind(value) == _NUMBER else None)
        return out

    def _left_out(self, sheet, sf, line, gap, step) -> list[tuple[int, int]]:
        kinds = self._contents(sheet, sf, line)
        present = [k for k in kinds if k is not None]
        if len(present) < 2:
            return []
        common = max(set(present), key=present.count)
        if present.count(common) * 4 < len(line) * 3:  # the block has no dominant content
            return []
        out = [k for k, kind in zip(gap, self._contents(sheet, sf, gap)) if kind == common]
        r, c = line[0][0] + step[0], line[0][1] + step[1]
        while r >= 1 and c >= 1 and self._contents(sheet, sf, [(r, c)])[0] == common:
            out.insert(0, (r, c))
            r, c = r + step[0], c + step[1]
        return out

    # ---------------------------------------------------------------- M205 (names and links)

    def external_names(self) -> Iterator[Finding]:
        for name in self.wb.defined_names:
            if "[" in name.text and plan_of(shape(name.text.lstrip("=").encode("utf-8"))).external:
                yield Finding(RULES["M205"], self.file,
                              f"the defined name {name.name} refers to another workbook ({name.text[:80]})")
        for part, target in self.wb.external_links:
            yield Finding(RULES["M205"], self.file, f"the workbook keeps a link to {target or part}")


def _functions(text: str) -> tuple[str, ...]:
    raw = text.encode("utf-8")
    plan = plan_of(shape(raw))
    return tuple(sorted({raw[a:b].decode("utf-8", "replace").upper() for a, b in plan.functions}))


def _safe_bounds(ref: str) -> bool:
    try:
        range_bounds(ref)
    except ValueError:
        return False
    return True


def _known_anywhere() -> frozenset[str]:
    from openpyxl.utils.formulas import FORMULAE

    return frozenset(FORMULAE)
