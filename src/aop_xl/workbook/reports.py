"""What the ribbon macros report: the sheets they add, and the findings of the workbook checks.

Sheets: commission statements, bottom-up proposals, reconciliation.

Report sheets (Statements, Reconcile) hold values computed by the engine, stamped with the
plan they come from; they are rewritten each time their macro runs and are never inputs. The
Bottom-up sheet is the exception: an input sheet, created once with the top-down targets as
a starting point, then edited by people and read back by :func:`read_bottom_up`.

Checks (used by "Recalculate splits" and "Validate"): result cells against the engine's exact
split, check cells, error values, and formulas the template has where the workbook has none.

Everything goes through the :class:`~aop_xl.workbook.book.Book` interface, and every address
comes from :mod:`aop_xl.workbook.layout`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.commission import FLOOR_DECIMALS
from aop_xl.engine.quota import quota_units
from aop_xl.engine.reconcile import Reconciliation
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.plan import Plan, plan_from_dict
from aop_xl.units import from_units
from aop_xl.workbook.book import Book, XlError
from aop_xl.workbook.build import workbook_for
from aop_xl.workbook.layout import (BCG_CLASSES, BLANK_CAPACITY, BOTTOM_UP, MACRO_SHEETS, MONTHS, QUARTERS, RECONCILE,
                                    RECONCILE_COLUMNS, RECONCILE_KEYS, RECONCILE_SUMMARY, REPORT_STAMP_ROW,
                                    REPORT_TITLE_ROW, STATEMENT_COLUMNS, STATEMENTS, SUMMARY, Capacity, Layout,
                                    StatementBlock, Table, bottom_up_table, capacity_for, reconcile_table,
                                    statement_block, statement_summary)
from aop_xl.workbook.plan_reader import SheetPlan, cell_ref
from aop_xl.workbook.styles import unit_decimals

DIMENSIONS = ("region", "product", "month")


class _Sheet:
    # Cells collected in memory, written in one block (one call to Excel), then styled.

    def __init__(self, name: str):
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.styles: list[tuple[str, str]] = []

    def put(self, row: int, col: int, value: Any) -> None:
        self.cells[(row, col)] = value

    def row(self, row: int, col: int, values) -> None:
        for j, value in enumerate(values):
            self.put(row, col + j, value)

    def style(self, kind: str, r0: int, c0: int, r1: int | None = None, c1: int | None = None) -> None:
        a = f"{get_column_letter(c0)}{r0}"
        b = f"{get_column_letter(c1 or c0)}{r1 or r0}"
        self.styles.append((kind, a if a == b else f"{a}:{b}"))

    def write(self, book: Book, title: str, stamp: str) -> None:
        self.put(REPORT_TITLE_ROW, 1, title)
        self.put(REPORT_STAMP_ROW, 1, stamp)
        self.style("title", REPORT_TITLE_ROW, 1)
        self.style("note", REPORT_STAMP_ROW, 1)
        book.add_sheet(self.name, after=_after(book, self.name))
        rows = max(r for r, _ in self.cells)
        cols = max(c for _, c in self.cells)
        grid = [[self.cells.get((r, c)) for c in range(1, cols + 1)] for r in range(1, rows + 1)]
        book.write(self.name, "A1", grid)
        for kind, address in self.styles:
            book.style(self.name, address, kind)
        book.autofit(self.name)


def _after(book: Book, name: str) -> str | None:
    # Macro sheets go after the Summary, in the order of MACRO_SHEETS.
    names = book.sheet_names()
    before = [SUMMARY, *MACRO_SHEETS[:MACRO_SHEETS.index(name)]]
    present = [n for n in before if n in names]
    return present[-1] if present else None


def stamp(plan: Plan, what: str) -> str:
    """The line under a report's title: the plan it comes from, and what the sheet is."""
    h = plan.plan
    return f"{h.company} - plan {h.year}, version {h.version} ({h.status}). {what}"


def _header(sheet: _Sheet, table: Table, labels: list[str]) -> None:
    sheet.put(table.title_row, 1, table.title)
    sheet.style("bold", table.title_row, 1)
    sheet.row(table.header_row, 1, labels)
    sheet.style("header", table.header_row, 1, table.header_row, len(labels))


# ------------------------------------------------------------------------ commission statements

_SUMMARY_LABELS = ("Rep", "Region", "Sales", "Base quota", "Challenge quota", "Attainment", "Band reached",
                   "Commission", "Effective rate")
_VALUE_LABELS = ("Sales", "Base quota", "Challenge quota", "Attainment", "Band reached", "Commission (plan mode)",
                 "Marginal", "Retroactive", "Effective rate")
_BAND_LABELS = ("Band", "From sales of", "Rate", "Commission in band (marginal)")
_STATEMENT_KEYS = {"rep": "rep", "region": "region", "sales": "sales", "base": "base_quota",
                   "challenge": "challenge_quota", "attainment": "attainment", "band": "band",
                   "commission": "commission", "effective_rate": "effective_rate", "marginal": "commission_marginal",
                   "retroactive": "commission_retroactive"}
_PERCENT = ("attainment", "effective_rate")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def band_floors(plan: Plan, base: float, challenge: float) -> list[float]:
    """Each band's floor in sales for a rep with these quotas (as the engine computes them)."""
    c = plan.commission
    out = []
    for t in c.tiers:
        if t.floor == "base":
            out.append(base)
        elif t.floor == "challenge":
            out.append(challenge)
        elif c.floor_basis == "quota":
            out.append(round(float(t.floor) * base, FLOOR_DECIMALS))
        else:
            out.append(float(t.floor))
    return out


def write_statements(book: Book, plan: Plan, statement: pd.DataFrame) -> None:
    """Write the Statements sheet: a table of all reps, then one statement block per rep.

    Args:
        book: the workbook.
        plan: the plan the statement was computed for.
        statement: :func:`aop_xl.engine.commission.commission_statement` of the plan.
    """
    s = _Sheet(STATEMENTS)
    n, bands = len(statement), len(plan.commission.tiers)
    table = statement_summary(n)
    _header(s, table, list(_SUMMARY_LABELS))
    for i, row in statement.iterrows():
        s.row(table.row(i), 1, [_cell(row[_STATEMENT_KEYS[k]]) for k in STATEMENT_COLUMNS])
    total = table.last_row + 1
    s.put(total, 1, "Total")
    for key in ("sales", "base", "challenge", "commission"):
        s.put(total, table.col(key), float(statement[_STATEMENT_KEYS[key]].sum()))
    s.style("bold", total, 1, total, len(STATEMENT_COLUMNS))
    for key in ("sales", "base", "challenge", "commission"):
        s.style("amount", table.first_row, table.col(key), total, table.col(key))
    for key in _PERCENT:
        s.style("percent", table.first_row, table.col(key), table.last_row, table.col(key))
    for i, row in statement.iterrows():
        _statement_block(s, plan, row, statement_block(i, n, bands))
    what = (f"Commission statements ({plan.commission.mode} mode) from the sales on the Commission sheet: "
            "values written by aop_xl, not inputs; click Commission statements again after changing sales.")
    s.write(book, "Commission statements", stamp(plan, what))


def _statement_block(s: _Sheet, plan: Plan, row: pd.Series, b: StatementBlock) -> None:
    s.put(b.first_row, 1, f"{row['rep']} ({row['region']})")
    s.style("bold", b.first_row, 1)
    s.row(b.header_row, 1, _VALUE_LABELS)
    s.style("header", b.header_row, 1, b.header_row, len(_VALUE_LABELS))
    s.row(b.value_row, 1, [_cell(row[_STATEMENT_KEYS[k]]) for k in StatementBlock.VALUE_COLUMNS])
    for key in StatementBlock.VALUE_COLUMNS:
        kind = "percent" if key in _PERCENT else "integer" if key == "band" else "amount"
        s.style(kind, b.value_row, b.col(key))
    s.row(b.band_header_row, 1, _BAND_LABELS)
    s.style("header", b.band_header_row, 1, b.band_header_row, len(_BAND_LABELS))
    floors = band_floors(plan, float(row["base_quota"]), float(row["challenge_quota"]))
    for k, tier in enumerate(plan.commission.tiers):
        s.row(b.band_row(k), 1, [f"Band {k + 1}", floors[k], tier.rate, _cell(row[f"band_{k + 1}"])])
    s.put(b.total_row, 1, "Total of bands (marginal)")
    s.put(b.total_row, b.col("amount"), _cell(row["commission_marginal"]))
    s.style("bold", b.total_row, 1, b.total_row, len(_BAND_LABELS))
    s.style("amount", b.band_row(0), b.col("floor"), b.total_row, b.col("floor"))
    s.style("percent", b.band_row(0), b.col("rate"), b.total_row, b.col("rate"))
    s.style("amount", b.band_row(0), b.col("amount"), b.total_row, b.col("amount"))


# ------------------------------------------------------------------------ bottom-up and reconcile


def topdown_series(plan: Plan) -> pd.Series:
    """The engine's top-down targets, region x product x fiscal month (named), in cube order."""
    cells = from_units(target_units(plan).cells, plan.plan.unit)
    index = pd.MultiIndex.from_product([plan.region_names, plan.product_names,
                                        fiscal_month_names(plan.plan.fiscal_year_start)], names=DIMENSIONS)
    return pd.Series(np.asarray(cells, dtype=float).reshape(-1), index=index, name="topdown")


def write_bottom_up(book: Book, plan: Plan) -> Table:
    """Create the Bottom-up input sheet, pre-filled with the top-down targets.

    Returns:
        The sheet's block (:func:`aop_xl.workbook.layout.bottom_up_table`).
    """
    s = _Sheet(BOTTOM_UP)
    td = topdown_series(plan).to_numpy().reshape(len(plan.regions), len(plan.products), 12)
    table = bottom_up_table(len(plan.regions) * len(plan.products))
    _header(s, table, ["Region", "Product", *fiscal_month_names(plan.plan.fiscal_year_start)])
    for i, region in enumerate(plan.regions):
        for j, product in enumerate(plan.products):
            s.row(table.row(i * len(plan.products) + j), 1, [region.name, product.name, *td[i, j].tolist()])
    first, last = table.col(MONTHS[0]), table.col(MONTHS[-1])
    s.style("input", table.first_row, first, table.last_row, last)
    s.style("amount", table.first_row, first, table.last_row, last)
    what = ("Bottom-up proposals (inputs), pre-filled with the top-down targets: overwrite the yellow cells "
            "with each region's proposal per product and month, then click Reconcile.")
    s.write(book, "Bottom-up proposals", stamp(plan, what))
    return table


def read_bottom_up(book: Book, plan: Plan) -> pd.Series:
    """The proposals on the Bottom-up sheet, indexed like :func:`topdown_series`.

    Rows are matched by region and product name; blank amounts count as 0.

    Raises:
        PlanError: unknown or repeated names, missing rows, amounts that are not numbers >= 0,
            each naming its cell.
    """
    table = bottom_up_table(len(plan.regions) * len(plan.products))
    last_row = int(book.used_range(BOTTOM_UP).split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    last_col = get_column_letter(table.col(MONTHS[-1]))
    rows = book.read(BOTTOM_UP, f"A{table.first_row}:{last_col}{max(last_row, table.first_row)}")
    months = fiscal_month_names(plan.plan.fiscal_year_start)
    regions, products = set(plan.region_names), set(plan.product_names)
    seen: dict[tuple[str, str], str] = {}
    values, problems = {}, []
    for n, row in enumerate(rows):
        r = table.first_row + n
        region, product = row[0], row[1]
        if all(v is None for v in row):
            continue
        where = cell_ref(BOTTOM_UP, f"A{r}")
        if region not in regions or product not in products:
            bad, name = ("A", region) if region not in regions else ("B", product)
            what = "region" if bad == "A" else "product"
            problems.append(f"{cell_ref(BOTTOM_UP, f'{bad}{r}')}: {name!r} is not a {what} of the plan")
            continue
        if (region, product) in seen:
            problems.append(f"{where}: {region} x {product} appears again (first at {seen[region, product]})")
            continue
        seen[region, product] = where
        for m, key in enumerate(MONTHS):
            value = row[table.col(key) - 1]
            ref = cell_ref(BOTTOM_UP, table.cell(key, n))
            if value is None:
                value = 0.0
            if isinstance(value, (XlError, str, bool)) or not isinstance(value, (int, float)):
                problems.append(f"{ref}: must be a number, got {value!r}")
            elif not np.isfinite(value) or value < 0:
                problems.append(f"{ref}: must be a number >= 0, got {value!r}")
            else:
                values[(region, product, months[m])] = float(value)
    missing = [(r, p) for r in plan.region_names for p in plan.product_names if (r, p) not in seen]
    if missing and not problems:
        r, p = missing[0]
        problems.append(f"{BOTTOM_UP}: no row for {r} x {p} ({len(missing)} region x product rows missing; "
                        f"delete the sheet and click Reconcile to start it again)")
    if problems:
        raise PlanError(problems)
    index = topdown_series(plan).index
    return pd.Series([values[k] for k in index], index=index, name="bottomup")


def write_reconcile(book: Book, plan: Plan, rec: Reconciliation, tolerance: float, alpha: float) -> Table:
    """Write the Reconcile sheet: the summary, then the gaps at every level with the proposal.

    Returns:
        The gaps table (:func:`aop_xl.workbook.layout.reconcile_table`).
    """
    s = _Sheet(RECONCILE)
    summary = RECONCILE_SUMMARY
    values = {"method": rec.method, "tolerance": tolerance, "alpha": alpha if rec.method == "blend" else None,
              "total_topdown": rec.total_topdown, "total_bottomup": rec.total_bottomup,
              "total_proposal": rec.total_proposal, "flagged": int((~rec.gaps["within_tolerance"]).sum())}
    s.put(summary.title_row, 1, summary.title)
    s.style("bold", summary.title_row, 1)
    for i, (key, label) in enumerate(RECONCILE_KEYS):
        s.row(summary.row(i), 1, [label, values[key]])
    s.style("percent", summary.row(1), 2, summary.row(2), 2)
    s.style("amount", summary.row(3), 2, summary.row(5), 2)
    gaps = rec.gaps
    table = reconcile_table(len(gaps))
    _header(s, table, ["Level", "Region", "Product", "Month", "Top-down", "Bottom-up", "Gap", "Gap %", "Flag",
                       "Proposal"])
    proposal = rec.proposal
    for n, row in enumerate(gaps.itertuples(index=False)):
        cells = [_cell(getattr(row, key)) for key in RECONCILE_COLUMNS[:-1]]
        detail = row.level == "detail"
        cells.append(float(proposal.loc[(row.region, row.product, row.month)]) if detail else None)
        s.row(table.row(n), 1, cells)
    for key in ("topdown", "bottomup", "gap", "proposal"):
        s.style("amount", table.first_row, table.col(key), table.last_row, table.col(key))
    s.style("percent", table.first_row, table.col("gap_pct"), table.last_row, table.col("gap_pct"))
    what = (f"Top-down (the plan's targets) vs bottom-up (the {BOTTOM_UP} sheet), proposal by method "
            f"\"{rec.method}\": values written by aop_xl, not inputs; click Reconcile again after changes.")
    s.write(book, "Reconciliation", stamp(plan, what))
    return table


# ------------------------------------------------------------------------ checks (recalculate, validate)


def split_differences(book: Book, sp: SheetPlan) -> tuple[int, list[str]]:
    """(cells compared, differences) between the Targets/Quotas results and the engine."""
    plan, lay = sp.plan, sp.layout
    unit, cap = plan.plan.unit, lay.capacity
    t = target_units(plan)
    _, _, base_m, chal_m = quota_units(plan)
    zero = [0] * 12
    at = {b: dict(zip(sp.rows[b], range(len(sp.rows[b])))) for b in ("regions", "products", "reps")}
    expected: list[tuple] = []

    def put(table, i, months) -> None:
        months = [int(x) for x in months]
        expected.append((table, i, "year", sum(months)))
        expected.extend((table, i, key, months[m]) for m, key in enumerate(MONTHS))
        expected.extend((table, i, key, sum(months[3 * q:3 * q + 3])) for q, key in enumerate(QUARTERS))

    put(lay.company, 0, t.cells.sum(axis=(0, 1)))
    for i in range(cap.regions):
        k = at["regions"].get(i)
        put(lay.region_targets, i, t.cells[k].sum(axis=0) if k is not None else zero)
        for j in range(cap.products):
            p = at["products"].get(j)
            put(lay.cube, i * cap.products + j, t.cells[k, p] if k is not None and p is not None else zero)
    for j in range(cap.products):
        p = at["products"].get(j)
        put(lay.product_targets, j, t.cells[:, p].sum(axis=0) if p is not None else zero)
    bcg = [x.bcg for x in plan.products]
    for c, name in enumerate(BCG_CLASSES):
        put(lay.class_targets, c, t.cells[:, [x == name for x in bcg]].sum(axis=(0, 1)))
    for i in range(cap.reps):
        k = at["reps"].get(i)
        put(lay.base_quotas, i, base_m[k] if k is not None else zero)
        put(lay.challenge_quotas, i, chal_m[k] if k is not None else zero)

    blocks = {}
    for sheet in {table.sheet for table, *_ in expected}:
        last = max(table.last_row for table, *_ in expected if table.sheet == sheet)
        last_col = max(table.col(MONTHS[-1]) for table, *_ in expected if table.sheet == sheet)
        blocks[sheet] = book.read(sheet, f"A1:{get_column_letter(last_col)}{last}")
    findings = []
    for table, i, key, units in expected:
        got = blocks[table.sheet][table.row(i) - 1][table.col(key) - 1]
        if not _exact(got, units, unit):
            shown = _money(got, unit) if isinstance(got, (int, float)) else repr(got)
            findings.append(f"{cell_ref(table.sheet, table.cell(key, i))}: workbook {shown}, "
                            f"engine {_money(from_units(units, unit), unit)}")
    return len(expected), findings


def _money(amount: float, unit: float) -> str:
    return f"{amount:,.{unit_decimals(unit)}f}"


def _exact(got, units: int, unit: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    q = got / unit
    # A spreadsheet keeps 15 significant digits: a whole number of units within that.
    return round(q) == units and abs(q - round(q)) <= max(1e-6, 1e-11 * abs(q))


def check_findings(book: Book, lay: Layout) -> list[str]:
    """Check cells (``Layout.check_areas``) that do not show 0."""
    out = []
    for area in lay.check_areas():
        sheet, ref = area.rsplit("!", 1)
        sheet = sheet.strip("'")
        first = ref.replace("$", "").split(":")[0]
        col0, row0 = _split_cell(first)
        for r, row in enumerate(book.read(sheet, ref)):
            for c, value in enumerate(row):
                if value not in (None, 0):
                    out.append(f"{cell_ref(sheet, _cell_name(col0 + c, row0 + r))}: check shows {value!r}, not 0")
    return out


def _split_cell(ref: str) -> tuple[int, int]:
    col, row = coordinate_from_string(ref)
    return column_index_from_string(col), row


def _cell_name(col: int, row: int) -> str:
    return f"{get_column_letter(col)}{row}"



def error_findings(book: Book) -> list[str]:
    """Every cell of every sheet that shows an error value."""
    out = []
    for sheet in book.sheet_names():
        for r, row in enumerate(book.read(sheet, book.used_range(sheet))):
            out.extend(f"{cell_ref(sheet, _cell_name(c + 1, r + 1))}: shows {v}"
                       for c, v in enumerate(row) if isinstance(v, XlError))
    return out


def formula_findings(book: Book, capacity: Capacity) -> tuple[int, list[str]]:
    """(template formulas, cells where the template has a formula and the workbook has not)."""
    total, out = 0, []
    for sheet, cells in template_formulas(capacity).items():
        if not cells:
            continue
        total += len(cells)
        rows = [r for r, _ in cells]
        cols = [c for _, c in cells]
        r0, c0 = min(rows), min(cols)
        address = f"{_cell_name(c0, r0)}:{_cell_name(max(cols), max(rows))}"
        got, values = book.read_formulas(sheet, address), None
        for r, c in cells:
            if got[r - r0][c - c0] is None:
                values = values or book.read(sheet, address)
                v = values[r - r0][c - c0]
                typed = "is empty" if v is None else f"holds the typed value {v!r}"
                out.append(f"{cell_ref(sheet, _cell_name(c, r))}: the template has a formula here; the cell {typed}")
    return total, out


@functools.lru_cache(maxsize=4)
def template_formulas(capacity: Capacity) -> dict[str, list[tuple[int, int]]]:
    """Where the standard template of this capacity has formulas: sheet -> (row, col) cells.

    Formula text depends only on the block sizes, so a stand-in plan of that capacity is built
    (``workbook_for`` takes a plan, not a capacity).
    """
    wb = workbook_for(None if capacity == BLANK_CAPACITY else _stand_in_plan(capacity))
    return {ws.title: sorted(rc for rc, cell in ws._cells.items() if cell.data_type == "f")
            for ws in wb.worksheets}


def _stand_in_plan(c: Capacity):
    plan = plan_from_dict({
        "plan": {"company": "capacity", "year": 2000, "total_target": 0},
        "regions": [{"name": f"r{i}", "market": "core", "weight": 1} for i in range(c.regions)],
        "products": [{"name": f"p{j}", "bcg": "star", "weight": 1, "gross_margin": 0} for j in range(c.products)],
        "reps": [{"name": f"s{k}", "region": "r0"} for k in range(c.reps)],
        "commission": {"tiers": [{"floor": k, "rate": 0} for k in range(c.tiers)]},
        "budget": [{"item": f"b{k}", "category": "other", "kind": "one_time", "amount": 0} for k in range(c.budget)],
        "kpis": [{"metric": f"k{k}", "target": 1} for k in range(c.kpis)],
    })
    if capacity_for(plan) != c:
        raise WorkbookError(f"capacity {c}: no stand-in plan of that shape")
    return plan
