"""The contract of the standard AOP workbook (C101-C108): the workbook against its own template.

A workbook is an AOP workbook when it has the hidden identity sheet of
:mod:`aop_xl.workbook.layout`. It is then compared, as a regulator compares a submission with
its template, with the workbook the library builds *today* from the workbook's own inputs and
capacities (:func:`aop_xl.workbook.build.workbook_for`): nothing here knows a sheet's formulas
or addresses, so the rules follow the template when it changes.

Which template: the blank template when the identity sheet says blank; otherwise the plan
read from the input cells (:mod:`aop_xl.workbook.plan_reader`), when it fills the workbook's
capacities; otherwise (the inputs do not make a valid plan, or rows were cleared) a
placeholder plan of exactly those capacities, whose formulas are the same because formulas
depend on the layout only.
"""

from __future__ import annotations

from collections.abc import Iterator
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from openpyxl.utils import range_boundaries

from aop_xl.checks.cells import addr, box, rectangles
from aop_xl.checks.formula import same_formula
from aop_xl.checks.reader import Workbook, split_ref
from aop_xl.checks.rules import RULES, Finding
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.workbook.layout import (
    BLANK_CAPACITY,
    IN_YEAR,
    META,
    SUMMARY,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    Capacity,
    capacity_for,
    fits,
)


class CheckedBook:
    """A read workbook behind the :class:`~aop_xl.workbook.book.Book` interface (reading only),
    so the library's plan reader reads it exactly as it reads any workbook."""

    interactive = False

    def __init__(self, wb: Workbook):
        self.wb = wb

    @property
    def path(self):
        return self.wb.path

    def sheet_names(self) -> list[str]:
        return self.wb.sheet_names

    def used_range(self, sheet: str) -> str:
        s = self._sheet(sheet)
        keys = list(s.values) + list(s.formulas)
        last_row = max((k[0] for k in keys), default=1)
        last_col = max((k[1] for k in keys), default=1)
        return f"A1:{addr(last_row, last_col)}"

    def read(self, sheet: str, address: str) -> list[list[Any]]:
        s = self._sheet(sheet)
        c0, r0, c1, r1 = range_boundaries(address.replace("$", ""))
        values = s.values
        return [[values.get((r, c)) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]

    def read_formulas(self, sheet: str, address: str) -> list[list[str | None]]:
        s = self._sheet(sheet)
        c0, r0, c1, r1 = range_boundaries(address.replace("$", ""))
        return [["=" + s.formulas[(r, c)] if (r, c) in s.formulas else None for c in range(c0, c1 + 1)]
                for r in range(r0, r1 + 1)]

    def _sheet(self, name: str):
        found = self.wb.sheet(name)
        if found is None:
            raise WorkbookError(f"{self.wb.name}: no sheet {name!r}")
        return found


def is_aop_workbook(wb: Workbook) -> bool:
    """True when the workbook carries the standard workbook's identity sheet."""
    return META in wb.sheet_names


@dataclass
class Expected:
    """The template's side of the comparison, per sheet."""

    formulas: dict[str, dict[tuple[int, int], str]]
    constants: dict[str, dict[tuple[int, int], Any]]
    inputs: dict[str, set[tuple[int, int]]]
    names: dict[str, str]
    how: str


def _expected(openpyxl_wb, how: str) -> Expected:
    from openpyxl.cell.cell import MergedCell

    formulas, constants, inputs = {}, {}, {}
    for ws in openpyxl_wb.worksheets:
        f, k, unlocked = {}, {}, set()
        for key, cell in ws._cells.items():  # the cell store, as the project's writer fills it
            if isinstance(cell, MergedCell):
                continue  # covered by a merged range's first cell: never an input or a value
            value = cell._value
            if cell.data_type == "f":
                f[key] = str(value)[1:] if str(value).startswith("=") else str(value)
            else:
                if value is not None and value != "":
                    k[key] = value
                if not cell.protection.locked:
                    unlocked.add(key)
        formulas[ws.title], constants[ws.title], inputs[ws.title] = f, k, unlocked
    names = {name: dn.attr_text for name, dn in openpyxl_wb.defined_names.items()}
    return Expected(formulas, constants, inputs, names, how)


_RECORDING = threading.Lock()


class _Recorder:
    # Stands in for the sheet builders' cell writer (aop_xl.workbook.styles.Writer) while the
    # template is rebuilt for a comparison: it notes each cell instead of creating an openpyxl
    # cell, which is most of a build's time. Same methods, same arguments.
    __slots__ = ("formulas", "values")

    def __init__(self, formulas: dict, values: dict):
        self.formulas, self.values = formulas, values

    def formula(self, row, col, text, style="calc_amount"):
        self.formulas[(row, col)] = text

    def value(self, row, col, value, style="input_number"):
        self.values[(row, col)] = (value, style)

    def text(self, row, col, text, style="input_text"):
        self.values[(row, col)] = (None if text is None else str(text), style)

    def label(self, row, col, text, style="label"):
        self.values[(row, col)] = (text, style)


def template(plan, how: str, capacity=None) -> Expected:
    """The template's cells for ``plan`` (None: the blank template), built by the library (at
    ``capacity`` when given: a workbook with spare rows, or members added in Excel).

    The sheet builders run as in :func:`~aop_xl.workbook.build.workbook_for`, with their cell
    writer recording cells instead of creating them; whatever they do beyond the writer (defined
    names, cells written another way) is taken from the workbook they return. Should the
    builders ever not fit the recorder, the plain build is used.
    """
    from aop_xl.workbook import sheets
    from aop_xl.workbook.build import workbook_for

    recorded: dict[str, tuple[dict, dict]] = {}
    registry = []  # the style registry the builders used

    def writer(ctx, name):
        registry[:] = [ctx.styles]
        return _Recorder(*recorded.setdefault(name, ({}, {})))

    with _RECORDING:
        original = sheets.Context.writer
        sheets.Context.writer = writer
        try:
            built = workbook_for(plan, capacity=capacity)
        except (AttributeError, TypeError):
            built = None
        finally:
            sheets.Context.writer = original
    if built is None or not registry:
        return _expected(workbook_for(plan, capacity=capacity), how)
    expected = _expected(built, how)
    locked = _locking(built, registry[0])
    for name, (formulas, values) in recorded.items():
        expected.formulas[name].update(formulas)
        k, unlocked = expected.constants[name], expected.inputs[name]
        for key, (value, style) in values.items():
            if value is not None and value != "":
                k[key] = value
            if not locked(style):
                unlocked.add(key)
    return expected


def _locking(wb, styles):
    # style name -> locked, asked of one real cell per style of the build's style registry.
    from openpyxl.cell.cell import Cell

    cache: dict[str, bool] = {}
    probe_sheet = wb.worksheets[0]

    def locked(style: str) -> bool:
        found = cache.get(style)
        if found is None:
            found = cache[style] = Cell(probe_sheet, row=1, column=1, style_array=styles[style]).protection.locked
        return found

    return locked


@lru_cache(maxsize=4)
def _blank_expected() -> Expected:
    return template(None, "the blank template")


@lru_cache(maxsize=16)
def _placeholder_expected(capacity: Capacity) -> Expected | None:
    from aop_xl.plan import plan_from_dict
    from aop_xl.workbook.build import workbook_for

    plan = plan_from_dict(placeholder_plan(capacity))
    if capacity_for(plan) != capacity:
        return None
    return template(plan, "the template at this workbook's capacities")


def placeholder_plan(capacity: Capacity) -> dict:
    """A plan document with exactly ``capacity`` members of every block (names R1, P1 ...)."""
    regions = [{"name": f"R{i + 1}", "market": "core", "weight": 1} for i in range(capacity.regions)]
    products = [{"name": f"P{j + 1}", "bcg": "star", "weight": 1, "gross_margin": 0.5}
                for j in range(capacity.products)]
    reps = [{"name": f"Rep{k + 1}", "region": "R1", "share": 1} for k in range(capacity.reps)]
    tiers = [{"floor": 0 if t == 0 else round(0.5 * t, 6), "rate": 0.01} for t in range(capacity.tiers)]
    budget = [{"item": f"B{i + 1}", "category": "other", "kind": "one_time", "amount": 1}
              for i in range(capacity.budget)]
    kpis = [{"metric": f"K{i + 1}", "target": 1} for i in range(capacity.kpis)]
    return {"plan": {"company": "Placeholder", "year": 2000, "total_target": 1000}, "regions": regions,
            "products": products, "reps": reps, "commission": {"tiers": tiers}, "budget": budget, "kpis": kpis}


class ContractChecks:
    """Runs C101-C108 on an AOP workbook.

    Args:
        wb: the workbook (with the identity sheet).
        file: the file name findings carry.
    """

    def __init__(self, wb: Workbook, file: str):
        self.wb, self.file = wb, file
        self.plan = None  # the plan read from the inputs, when it is valid
        self.identity = None
        #: sheet -> formula cells that are the template's own formula (after :meth:`run`)
        self.template_formulas: dict[str, set[tuple[int, int]]] = {}
        #: sheet -> the template's input and label cells (after :meth:`run`)
        self.template_values: dict[str, set[tuple[int, int]]] = {}

    def finding(self, rule_id: str, message: str, sheet: str | None = None, where: str | None = None,
                cells: int = 1) -> Finding:
        return Finding(RULES[rule_id], self.file, message, sheet=sheet, range=where, cells=cells)

    def run(self) -> Iterator[Finding]:
        from aop_xl.workbook.plan_reader import book_identity, read_sheet_plan

        book = CheckedBook(self.wb)
        try:
            identity = self.identity = book_identity(book)
        except WorkbookError as exc:
            yield self.finding("C103", _strip_name(str(exc), self.wb.name), META)
            return
        if identity.template_id != TEMPLATE_ID or identity.template_version != TEMPLATE_VERSION:
            yield self.finding("C103", f"made with template {identity.template_id} version "
                               f"{identity.template_version}; this aop_xl knows version {TEMPLATE_VERSION}", META)
            return
        expected = None
        if identity.blank:
            if identity.capacity == BLANK_CAPACITY:
                expected = _blank_expected()
            else:
                yield self.finding("C103", f"says it is the blank template but holds capacities "
                                   f"{_capacity_text(identity.capacity)}, not {_capacity_text(BLANK_CAPACITY)}", META)
        else:
            try:
                sheet_plan = read_sheet_plan(book)
            except PlanError as exc:
                for problem in exc.problems:
                    yield self._input_problem(problem)
            except WorkbookError as exc:
                yield self.finding("C103", _strip_name(str(exc), self.wb.name), META)
                return
            else:
                self.plan = sheet_plan.plan
                yield from self._fingerprint(identity)
                if fits(self.plan, identity.capacity):
                    expected = template(self.plan, "the template built from this workbook's inputs",
                                        identity.capacity)
        if expected is None and not (identity.blank and identity.capacity != BLANK_CAPACITY):
            expected = _placeholder_expected(identity.capacity)
        if expected is None:
            return
        if IN_YEAR in self.wb.sheet_names and not identity.blank:
            expected = self._with_movers(expected, identity.capacity)
        yield from self._sheets(expected)
        yield from self._names(expected)
        yield from self._cells(expected)

    def _with_movers(self, expected: Expected, capacity: Capacity) -> Expected:
        """The template with the Summary's largest movers block, as a load of actuals writes it
        (:func:`aop_xl.workbook.sheets.summary.movers`), over the In-year table of the plan's
        members. Without a valid plan the In-year table's place is unknown, and the block's cells
        are taken as the workbook has them: the inputs' own problems are reported instead."""
        from aop_xl.workbook.layout import Layout, in_year_movers, summary_movers
        from aop_xl.workbook.sheets.summary import movers

        formulas, values = dict(expected.formulas[SUMMARY]), {}
        constants = dict(expected.constants[SUMMARY])
        lay = Layout(capacity)
        if self.plan is not None:
            plan = self.plan
            movers(_Recorder(formulas, values), lay, in_year_movers(len(plan.reps), len(plan.regions),
                                                                    len(plan.products)))
            constants.update({key: value for key, (value, _) in values.items() if value not in (None, "")})
        else:
            sm = summary_movers(lay)
            sheet = self.wb.sheet(SUMMARY)
            area = [(r, c) for r in range(sm.title_row, sm.last_row + 1) for c in sm.columns.values()]
            if sheet is not None:
                formulas.update({key: sheet.formulas[key] for key in area if key in sheet.formulas})
                constants.update({key: sheet.values[key] for key in area
                                  if key in sheet.values and key not in sheet.formulas})
        return Expected({**expected.formulas, SUMMARY: formulas}, {**expected.constants, SUMMARY: constants},
                        expected.inputs, expected.names, expected.how)

    def _input_problem(self, problem: str) -> Finding:
        where, _, message = problem.partition(": ")
        sheet, _, ref = where.rpartition("!")
        if sheet and ref:
            try:
                for part in ref.split(":"):
                    split_ref(part)
            except ValueError:
                sheet = ""
        if sheet and ref:
            return self.finding("C108", message, sheet.strip("'").replace("''", "'"), ref.replace("$", ""))
        return self.finding("C108", problem)

    def _fingerprint(self, identity) -> Iterator[Finding]:
        from aop_xl.workbook.layout import Layout
        from aop_xl.workbook.sheets.meta import plan_fingerprint

        try:
            expected = plan_fingerprint(self.plan)
        except PlanError:
            return
        if expected != identity.fingerprint:
            ref = Layout(identity.capacity).meta_cell("fingerprint")
            sheet, _, cell = ref.rpartition("!")
            yield self.finding("C104", f"the fingerprint is {identity.fingerprint[:12] or 'empty'}..., the targets "
                               f"of the inputs give {expected[:12]}...", sheet.strip("'"), cell.replace("$", ""))

    def _sheets(self, expected: Expected) -> Iterator[Finding]:
        present = set(self.wb.sheet_names)
        for name in expected.formulas:
            if name not in present:
                yield self.finding("C101", f"the sheet {name!r} of the standard workbook is missing")

    def _names(self, expected: Expected) -> Iterator[Finding]:
        actual = {dn.name: dn.text for dn in self.wb.defined_names if dn.scope is None}
        for name, text in expected.names.items():
            found = actual.get(name)
            if found is None:
                yield self.finding("C102", f"the defined name {name} is missing (the template has {text})")
            elif "#REF!" in found:
                yield self.finding("C102", f"the defined name {name} is broken ({found}); the template has {text}")
            elif not same_formula(found, text):
                yield self.finding("C102", f"the defined name {name} refers to {found}; the template has {text}")

    def _cells(self, expected: Expected) -> Iterator[Finding]:
        for name, want in expected.formulas.items():
            sheet = self.wb.sheet(name)
            if sheet is None:
                continue
            inputs = expected.inputs[name]
            labels = expected.constants[name]
            changed: dict[tuple[int, int], str] = {}
            overwritten: dict[tuple[int, int], str] = {}
            outside: dict[tuple[int, int], str] = {}
            have = sheet.formulas
            self.template_values[name] = set(inputs) | set(labels)
            if have == want:
                self.template_formulas[name] = set(want)
            else:
                self.template_formulas[name] = {k for k, text in want.items()
                                                if have.get(k) is not None and same_formula(have[k], text)}
            for key, text in (want.items() if have != want else ()):
                found = have.get(key)
                if found is None:
                    value = sheet.values.get(key)
                    overwritten[key] = (f"holds the value {_show(value)} where the template has ={_cut(text)}"
                                        if value is not None else f"is empty where the template has ={_cut(text)}")
                elif found != text and not same_formula(found, text):
                    a, b = _difference(found, text)
                    changed[key] = f"has ={a} where the template has ={b}"
            for key, found in (have.items() if have != want else ()):
                if key in want or _same_constant(found, labels.get(key)):
                    continue
                if key in inputs:
                    outside[key] = f"is an input cell but holds the formula ={_cut(found)}"
                else:
                    label = labels.get(key)
                    changed[key] = (f"has ={_cut(found)} where the template has "
                                    f"{'the label ' + _show(label) if label is not None else 'nothing'}")
            # The identity sheet's values are C103/C104's business; extra sheets are the user's.
            for key, value in sheet.values.items() if name != META else ():
                if key in have or key in want or key in inputs or key in sheet.computed:
                    continue
                label = labels.get(key)
                if label is None or not _same_value(label, value):
                    outside[key] = (f"holds {_show(value)} outside the input cells (the template has "
                                    f"{_show(label) if label is not None else 'nothing'} there)")
            for rule_id, cells in (("C105", changed), ("C106", overwritten), ("C107", outside)):
                for r in rectangles(cells):
                    first = cells[(r[0], r[1])]
                    more = f" ({r[4]} cells; the first shown)" if r[4] > 1 else ""
                    yield self.finding(rule_id, f"{addr(r[0], r[1])} {first}{more}", name, box(*r[:4]), r[4])


def _same_constant(formula: str, label) -> bool:
    # LibreOffice has no boolean cells: it saves TRUE and FALSE as the formulas TRUE(), FALSE().
    text = formula.replace(" ", "").upper()
    return isinstance(label, bool) and text in ("TRUE()", "FALSE()") and (text == "TRUE()") == label


def _same_value(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return str(a) == str(b)


def _show(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f'"{value[:40]}"'
    return str(value)


def _difference(found: str, expected: str, context: int = 30) -> tuple[str, str]:
    """Both formulas cut around their first difference (``...(1+1E-14)+0.5...``)."""
    if len(found) <= 2 * context + 10 and len(expected) <= 2 * context + 10:
        return found, expected
    i = next((k for k, (x, y) in enumerate(zip(found, expected)) if x != y), min(len(found), len(expected)))
    start = max(0, i - context)

    def cut(text: str) -> str:
        end = min(len(text), i + context)
        return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")

    return cut(found), cut(expected)


def _cut(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _capacity_text(c: Capacity) -> str:
    return (f"{c.regions} regions, {c.products} products, {c.reps} reps, {c.tiers} tiers, {c.budget} budget lines, "
            f"{c.kpis} KPIs")


def _strip_name(message: str, name: str) -> str:
    # Library messages start with the file name, which a finding carries already.
    for prefix in (f"{name}: ", f"{name.rsplit('/', 1)[-1]}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
