"""The year in motion in the workbook: actuals loaded into it, read back, and the numbers of it.

- :func:`load_into` is ``aop-xl actuals``: it reads the workbook's plan (with the reps'
  changes on its Actuals sheet), loads CRM exports (:mod:`aop_xl.cycle.actuals`), writes the
  Actuals and In-year sheets (:mod:`aop_xl.workbook.sheets.inyear`), the as-of period on
  Assumptions and the KPI actuals the deals give on the KPI sheet, and saves the workbook
  whole or not at all.
- :func:`read_year` reads back what a workbook holds (through the macros' ``Book``
  interface, so the ribbon buttons use it too) and :func:`year_numbers` computes from it, with
  the engine, every statement, KPI and variance the sheets show in formulas.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aop_xl.cycle.actuals import (LINE_COLUMNS, LoadReport, amount_decimals, empty_lines, engine_deals,
                                  load_actuals)
from aop_xl.cycle.crm import Mapping, load_mapping
from aop_xl.engine.commission import inyear_statements
from aop_xl.engine.kpi import customer_health, kpi_review, largest_movers, rep_month_sales, variance_review
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.files import check_output, display
from aop_xl.plan import Plan, load_plan, plan_from_dict
from aop_xl.plan_checks import name_key, shown
from aop_xl.workbook.book import Book, OpenpyxlBook, XlError
from aop_xl.workbook.layout import (ACTUAL_COLUMNS, ACTUALS, ACTUALS_INFO, ASSUMPTIONS, IN_YEAR, IN_YEAR_SHEETS, KPI,
                                    MONTHS, PARAM_KEYS, SUMMARY, WORKBOOK_MOVES, InYearLayout, summary_movers)
from aop_xl.workbook.plan_reader import SheetPlan, cell_ref, read_sheet_plan
from aop_xl.workbook.sheets.inyear import Places, build_actuals, build_in_year, place_sheets
from aop_xl.workbook.sheets.summary import add_movers

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass
class Year:
    """What a workbook holds of the year: its plan (with the reps' changes), the deal lines,
    the as-of period and where the plan's members live."""

    sheet_plan: SheetPlan
    plan: Plan
    lines: pd.DataFrame
    as_of: int | None
    decimals: int
    changes: list[dict]
    #: payments recorded as made: rep -> {period end month: amount}
    payments: dict[str, dict[int, float]]

    @property
    def places(self) -> Places:
        rows = self.sheet_plan.rows
        return Places(regions=rows.get("regions", ()), products=rows.get("products", ()),
                      reps=rows.get("reps", ()), kpis=rows.get("kpis", ()))

    @property
    def deals(self) -> pd.DataFrame:
        """The deal lines as the engine takes them."""
        return engine_deals(self.lines, self.decimals)


def in_year_layout(plan: Plan, lines: int, customers: int) -> InYearLayout:
    """The layout of the Actuals and In-year sheets for a plan and a number of lines."""
    from aop_xl.engine.kpi import KPI_ALIASES, KPI_CATALOGUE

    return InYearLayout(len(plan.reps), len(plan.regions), len(plan.products), len(plan.kpis),
                        len(plan.commission.tiers), lines, customers, len(KPI_CATALOGUE), len(KPI_ALIASES))


def as_of_period(plan: Plan, month: str) -> int:
    """The fiscal period of an as-of month ``YYYY-MM``.

    Raises:
        PlanError: not a month, or outside the plan's fiscal year.

    Examples:
        >>> from aop_xl import load_plan
        >>> as_of_period(load_plan(), "2027-03")
        3
    """
    h = plan.plan
    m = _MONTH.match(month or "")
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise PlanError(f"as-of: must be a month as YYYY-MM, got {shown(month or '')}")
    period = h.period_of(int(m.group(1)), int(m.group(2)))
    if not 1 <= period <= 12:
        raise PlanError(f"as-of: {month} is outside the fiscal year {h.year} ({h.period_month(1)} to "
                        f"{h.period_month(12)})")
    return period


# ------------------------------------------------------------------------------------ reading


def _cell_value(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _month_text(value: Any) -> Any:
    # A month cell as the plan reads it: text stays text; a date (Excel turns 2027-04 into
    # one) becomes its month.
    if isinstance(value, (_dt.datetime, _dt.date)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _read_changes(book: Book, sp: SheetPlan, iy: InYearLayout) -> tuple[list[dict], dict[str, str]]:
    # The reps' changes from the Actuals sheet, and the cell of each plan path they fill.
    rc = iy.rep_changes
    last = rc.letter(f"move{WORKBOOK_MOVES}_region")
    grid = book.read(ACTUALS, f"A{rc.first_row}:{last}{rc.first_row + len(sp.plan.reps) - 1}") if sp.plan.reps else []
    changes, cells = [], {}
    problems = []
    for k, row in enumerate(grid):
        values = {key: _cell_value(row[rc.col(key) - 1]) for key in rc.columns if rc.col(key) <= len(row)}
        ch: dict[str, Any] = {}
        for key in ("start", "end"):
            if values.get(key) is not None:
                ch[key] = _month_text(values[key])
                cells[f"reps[{k}].{key}"] = cell_ref(ACTUALS, rc.cell(key, k))
        draw = values.get("draw")
        if isinstance(draw, XlError) or (draw is not None and (isinstance(draw, bool) or
                                                               not isinstance(draw, (int, float)))):
            problems.append(f"{cell_ref(ACTUALS, rc.cell('draw', k))}: draw of {sp.plan.reps[k].name}: must be a "
                            f"number, got {draw!r}")
        elif draw is not None:
            ch["draw"] = draw
            cells[f"reps[{k}].draw"] = cell_ref(ACTUALS, rc.cell("draw", k))
        moves = []
        for m in range(1, WORKBOOK_MOVES + 1):
            month, region = values.get(f"move{m}_month"), values.get(f"move{m}_region")
            if month is None and region is None:
                continue
            j = len(moves)
            moves.append({k2: v for k2, v in (("month", _month_text(month)), ("region", region)) if v is not None})
            cells[f"reps[{k}].moves[{j}].month"] = cell_ref(ACTUALS, rc.cell(f"move{m}_month", k))
            cells[f"reps[{k}].moves[{j}].region"] = cell_ref(ACTUALS, rc.cell(f"move{m}_region", k))
        if moves:
            ch["moves"] = moves
        changes.append(ch)
    if problems:
        raise PlanError(problems)
    return changes, cells


def with_changes(plan: Plan, changes: Sequence[dict], cells: dict[str, str] | None = None) -> Plan:
    """The plan with the reps' in-year changes (start, end, draw, moves) set from ``changes``.

    Raises:
        PlanError: a change the plan refuses; the message names its cell when ``cells`` says.
    """
    data = plan.model_dump(mode="python", exclude_none=True)
    for k, rep in enumerate(data.get("reps", [])):
        for key in ("start", "end", "draw", "moves"):
            rep.pop(key, None)
        if k < len(changes):
            rep.update({key: value for key, value in changes[k].items() if value is not None})
    try:
        return plan_from_dict(data)
    except PlanError as exc:
        raise PlanError([_locate(p, plan, cells or {}) for p in exc.problems]) from None


def _locate(problem: str, plan: Plan, cells: dict[str, str]) -> str:
    m = re.match(r"^(reps\[(\d+)\](?:\.moves\[\d+\])?\.\w+): (.*)$", problem)
    if m and m.group(1) in cells:
        rep = plan.reps[int(m.group(2))].name
        field = m.group(1).split(".", 1)[1]
        return f"{cells[m.group(1)]}: {field} of {rep}: {m.group(3)}"
    return problem


def _read_lines(book: Book, plan: Plan, iy: InYearLayout, decimals: int) -> pd.DataFrame:
    L = iy.lines
    if iy.line_count == 0:
        return empty_lines()
    grid = book.read(ACTUALS, f"A{L.first_row}:{L.letter(ACTUAL_COLUMNS[-1])}{L.first_row + iy.line_count - 1}")
    cols = {key: [row[L.col(key) - 1] for row in grid] for key in ACTUAL_COLUMNS}
    problems = []
    year = plan.plan.year

    def bad(key: str, n: int, expected: str) -> None:
        if len(problems) < 50:
            problems.append(f"{cell_ref(ACTUALS, L.cell(key, n))}: {key}: must be {expected}, got "
                            f"{cols[key][n]!r}")

    def texts(key: str, required: bool) -> list[str]:
        out = []
        for n, v in enumerate(cols[key]):
            if v is None or (isinstance(v, str) and not v.strip()):
                if required:
                    bad(key, n, "text")
                out.append("")
            else:
                out.append(str(v) if not isinstance(v, float) or not v.is_integer() else str(int(v)))
        return out

    def numbers(key: str, required: bool) -> np.ndarray:
        out = np.full(len(grid), np.nan)
        for n, v in enumerate(cols[key]):
            if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
                out[n] = v
            elif v is not None or required:
                bad(key, n, "a number")
        return out

    def dates(key: str, required: bool) -> np.ndarray:
        out = []
        for n, v in enumerate(cols[key]):
            if isinstance(v, (_dt.datetime, _dt.date)):
                out.append(np.datetime64(f"{v.year:04d}-{v.month:02d}-{v.day:02d}"))
            else:
                if v is not None or required:
                    bad(key, n, "a date")
                out.append(np.datetime64("NaT"))
        return np.array(out, dtype="datetime64[D]")

    fy = numbers("fiscal_year", True)
    period = numbers("period", True)
    amount = numbers("amount", True)
    for n in range(len(grid)):
        if not np.isnan(fy[n]) and fy[n] not in (year, year - 1):
            bad("fiscal_year", n, f"{year - 1} or {year}")
        if not np.isnan(period[n]) and period[n] not in range(1, 13):
            bad("period", n, "a fiscal month 1 to 12")
    frame = pd.DataFrame({
        "key": texts("key", False), "source": texts("source", False), "date": dates("date", True),
        "fy": np.nan_to_num(fy - year).astype(np.int64), "period": np.nan_to_num(period).astype(np.int64),
        "deal": texts("deal", False), "region": texts("region", True), "product": texts("product", True),
        "rep": texts("rep", True), "customer": texts("customer", True), "type": texts("type", True),
        "share": numbers("share", False),
        "amount": np.round(np.nan_to_num(amount) * 10**decimals).astype(np.int64),
        "order": np.nan_to_num(numbers("order", True)).astype(np.int64),
        "created": dates("created", False), "complaint": numbers("complaint", False), "nps": numbers("nps", False),
    })
    if problems:
        raise PlanError(problems)
    return frame.loc[:, list(LINE_COLUMNS)].astype({"date": "datetime64[ns]", "created": "datetime64[ns]"})


def read_year(book: Book) -> Year:
    """What a standard workbook holds of the year (an empty year when nothing was loaded yet).

    Raises:
        PlanError: a bad input cell, named (Assumptions, the reps' changes, a deal line).
        WorkbookError: not a standard AOP workbook.
    """
    sp = read_sheet_plan(book)
    plan = sp.plan
    decimals = amount_decimals(plan)
    as_of_cell = sp.layout.params.cell("value", PARAM_KEYS.index("as_of")) if "as_of" in PARAM_KEYS else None
    as_of = None
    if as_of_cell is not None:
        value = book.read(ASSUMPTIONS, as_of_cell)[0][0]
        as_of = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value <= 12 \
            else None
    if ACTUALS not in book.sheet_names():
        return Year(sp, plan, empty_lines(), as_of, decimals, [{} for _ in plan.reps], {})
    info = in_year_layout(plan, 0, 0).info
    values = book.read(ACTUALS, f"B{info.first_row}:B{info.last_row}")
    keys = [k for k, _ in ACTUALS_INFO]
    count = values[keys.index("lines")][0]
    stored = values[keys.index("decimals")][0]
    if not isinstance(count, (int, float)) or isinstance(count, bool) or count < 0:
        raise WorkbookError(f"{cell_ref(ACTUALS, info.cell('value', keys.index('lines')))}: the number of deal lines "
                            f"loaded is missing (got {count!r}); load the actuals again")
    if isinstance(stored, (int, float)) and not isinstance(stored, bool):
        decimals = int(stored)
    iy = in_year_layout(plan, int(count), 0)
    changes, cells = _read_changes(book, sp, iy)
    plan = with_changes(plan, changes, cells)
    lines = _read_lines(book, plan, iy, decimals)
    return Year(sp, plan, lines, as_of, decimals, changes, _read_payments(book, plan, iy))


def _read_payments(book: Book, plan: Plan, iy: InYearLayout) -> dict[str, dict[int, float]]:
    pay = iy.payments
    if not plan.reps:
        return {}
    grid = book.read(ACTUALS, f"{pay.letter(MONTHS[0])}{pay.first_row}:{pay.letter(MONTHS[-1])}"
                              f"{pay.first_row + len(plan.reps) - 1}")
    out, problems = {}, []
    for k, row in enumerate(grid):
        for m, value in enumerate(row):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{cell_ref(ACTUALS, pay.cell(MONTHS[m], k))}: payment made to {plan.reps[k].name}: "
                                f"must be a number, got {value!r}")
            else:
                out.setdefault(plan.reps[k].name, {})[m + 1] = float(value)
    if problems:
        raise PlanError(problems)
    return out


def record_payments(book: Book, year: Year, statements: pd.DataFrame) -> int:
    """Record as made the payments of the closed periods that have none yet (what the
    statements just issued say was paid); returns how many were recorded."""
    iy = in_year_layout(year.plan, len(year.lines), 0)
    pay = iy.payments
    count = 0
    for k, rep in enumerate(year.plan.reps):
        mine = statements[(statements["rep"] == rep.name) & statements["closed"].astype(bool)]
        for _, row in mine.iterrows():
            end = int(row["end"])
            if end in year.payments.get(rep.name, {}):
                continue
            book.write(ACTUALS, pay.cell(MONTHS[end - 1], k), [[float(row["payment"])]])
            year.payments.setdefault(rep.name, {})[end] = float(row["payment"])
            count += 1
    return count


# ------------------------------------------------------------------------------------ numbers


@dataclass
class YearNumbers:
    """The engine's numbers of the year to the as-of period."""

    as_of: int
    statements: pd.DataFrame
    kpis: pd.DataFrame
    review: pd.DataFrame
    movers: pd.DataFrame
    customers: pd.DataFrame


def year_numbers(plan: Plan, deals: pd.DataFrame, as_of: int, paid: dict | None = None) -> YearNumbers:
    """Statements (with the payments recorded as made), KPIs, the variance review and customer
    health of the deals to ``as_of``."""
    statements = (inyear_statements(plan, rep_month_sales(plan, deals), as_of, paid) if plan.reps
                  else pd.DataFrame())
    review = variance_review(plan, deals, as_of)
    return YearNumbers(as_of, statements, kpi_review(plan, deals, as_of), review, largest_movers(review),
                       customer_health(deals, as_of))


# ------------------------------------------------------------------------------------ loading


@dataclass
class LoadResult:
    """What :func:`load_into` did."""

    path: Path
    report: LoadReport
    numbers: YearNumbers | None
    plan: Plan
    written: bool
    #: every deal line now in the workbook, and the payments recorded as made
    lines: pd.DataFrame | None = None
    payments: dict | None = None


def _changes_of(plan: Plan) -> list[dict]:
    out = []
    for rep in plan.reps:
        out.append({"start": rep.start, "end": rep.end, "draw": rep.draw,
                    "moves": [(m.month, m.region) for m in rep.moves]})
    return out


def _plan_changes(workbook_plan: Plan, plan_file: str | os.PathLike) -> list[dict]:
    # The reps' changes of a plan file whose reps are the workbook's.
    other = load_plan(plan_file)
    mine = [(name_key(r.name), name_key(r.region)) for r in workbook_plan.reps]
    theirs = [(name_key(r.name), name_key(r.region)) for r in other.reps]
    if mine != theirs:
        raise PlanError(f"{display(plan_file)}: its reps are not the workbook's (the same names and regions, in "
                        "the same order); give the plan the workbook was built from")
    for rep in other.reps:
        if len(rep.moves) > WORKBOOK_MOVES:
            raise PlanError(f"{display(plan_file)}: {rep.name} moves {len(rep.moves)} times; a workbook keeps "
                            f"{WORKBOOK_MOVES} moves a rep")
    return [{"start": r.start, "end": r.end, "draw": r.draw, "moves": [{"month": m.month, "region": m.region}
                                                                        for m in r.moves]} for r in other.reps]


def load_into(workbook: str | os.PathLike, files: Sequence[str | os.PathLike], *, as_of: str | None = None,
              mapping: str | os.PathLike | Mapping | None = None, plan_file: str | os.PathLike | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> LoadResult:
    """Load CRM exports into a standard workbook: ``aop-xl actuals FILE... --into WORKBOOK``.

    Args:
        workbook: the .xlsx workbook (built by ``aop-xl build``); it is replaced whole.
        files: CRM exports (CSV or XLSX).
        as_of: ``YYYY-MM``, the month the actuals are complete through (default: the later
            of the workbook's as-of period and the latest month loaded).
        mapping: a mapping file (or :class:`~aop_xl.cycle.crm.Mapping`); default: common
            CRM headers.
        plan_file: a plan file whose reps' changes (start, end, moves, draw) replace the
            workbook's; its reps must be the workbook's.
        progress: called with (what, done, total).

    Returns:
        The :class:`LoadResult`; ``report.problems`` lists every row not loaded, with its
        file and line. The workbook is not written when no file could be read.

    Raises:
        PlanError, WorkbookError: the workbook, the mapping, the plan file or ``as_of`` cannot
            be used (nothing is written).
    """
    path = Path(workbook)
    check_output(path, suffix=".xlsx", what="workbook", error=WorkbookError)
    if not path.is_file():
        raise WorkbookError(f"{display(path)}: no such workbook; build it first (aop-xl build)")
    mapping = mapping if isinstance(mapping, Mapping) or mapping is None else load_mapping(mapping)
    book = OpenpyxlBook(path)
    year = read_year(book)
    plan = year.plan
    if plan_file is not None:
        changes = _plan_changes(plan, plan_file)
        plan = with_changes(plan, changes)
    period = as_of_period(plan, as_of) if as_of is not None else None
    loaded = load_actuals(files, plan, year.lines, as_of=period, previous_as_of=year.as_of, mapping=mapping,
                          progress=progress)
    report = loaded.report
    if report.files == 0 or report.stopped:
        return LoadResult(path, report, None, plan, False)
    deals = engine_deals(loaded.lines, report.decimals)
    numbers = year_numbers(plan, deals, loaded.as_of, year.payments)
    write_year(book, year.sheet_plan, plan, loaded.lines, loaded.as_of, report.decimals, numbers,
               ", ".join(Path(f).name for f in files), year.payments)
    save(book)
    return LoadResult(path, report, numbers, plan, True, loaded.lines, year.payments)


def save(book: OpenpyxlBook) -> Path:
    """Save a workbook changed here as the builder saves one: whole or not at all, and the same
    bytes for the same content (fixed timestamps)."""
    from aop_xl.files import write_atomic
    from aop_xl.workbook.build import FIXED_TIME, workbook_bytes

    wb = book.workbook
    wb.properties.modified = FIXED_TIME
    return write_atomic(book.path, workbook_bytes(wb), suffix=".xlsx", what="workbook", error=WorkbookError)


def write_year(book: OpenpyxlBook, sp: SheetPlan, plan: Plan, lines: pd.DataFrame, as_of: int, decimals: int,
               numbers: YearNumbers, loaded: str, payments: dict | None = None) -> None:
    """Write the Actuals and In-year sheets, the as-of period and the KPI actuals from the
    deals into an open workbook (not saved)."""
    lay = sp.layout
    customers = sorted(set(lines["customer"]))
    iy = in_year_layout(plan, len(lines), len(customers))
    rows = sp.rows
    places = Places(regions=rows.get("regions", ()), products=rows.get("products", ()), reps=rows.get("reps", ()),
                    kpis=rows.get("kpis", ()))
    subtitles = shown_subtitles(book)
    sheets = place_sheets(book.workbook, IN_YEAR_SHEETS)
    build_actuals(sheets[ACTUALS], plan, lay, iy, places, lines, _changes_of(plan), decimals, loaded, payments)
    build_in_year(sheets[IN_YEAR], plan, lay, iy, places, customers, decimals)
    add_movers(book.workbook, plan, lay, iy.movers, [float(v) for v in numbers.movers["variance"]]
               if len(numbers.movers) else [])
    book.write(ASSUMPTIONS, lay.params.cell("value", PARAM_KEYS.index("as_of")), [[as_of]])
    write_kpi_actuals(book, sp, numbers.kpis)
    store_values(book, sp, plan, lines, as_of, numbers, payments or {}, subtitles)


def shown_subtitles(book: Book) -> dict[str, Any]:
    """Each standard sheet's subtitle as the file shows it (a formula's value saved with it)."""
    from aop_xl.workbook.layout import SHEETS

    names = book.sheet_names()
    return {sheet: book.read(sheet, "A2")[0][0] for sheet in SHEETS if sheet in names}


def store_values(book: OpenpyxlBook, sp: SheetPlan, plan: Plan, lines: pd.DataFrame, as_of: int,
                 numbers: YearNumbers, payments: dict, subtitles: dict[str, Any]) -> None:
    """Give every formula its value when the workbook is saved (:func:`save`), as a build does:
    the template's from the engine (:mod:`aop_xl.workbook.engine_values`) for the plan with its
    actuals to date, the Actuals and In-year sheets' from :mod:`aop_xl.workbook.inyear_values`."""
    from aop_xl.workbook.engine_values import cached_values
    from aop_xl.workbook.inyear_values import in_year_values, summary_mover_values
    from aop_xl.workbook.plan_reader import read_sales

    workbook_plan = sp.plan
    actuals = dict(zip(range(len(numbers.kpis)), numbers.kpis["actual"])) if len(numbers.kpis) else {}
    kpis = [k.model_copy(update={"actual": None if pd.isna(actuals.get(i)) else float(actuals[i])})
            if numbers.kpis["source"].iloc[i] == "deals" else k for i, k in enumerate(workbook_plan.kpis)]
    now = workbook_plan.model_copy(update={"plan": workbook_plan.plan.model_copy(update={"as_of": as_of}),
                                           "kpis": kpis})
    values = cached_values(now, sp.layout, read_sales(book, sp))
    for sheet, text in subtitles.items():
        if isinstance(text, str) and text:
            values.setdefault(sheet, {})["A2"] = text
    customers = sorted(set(lines["customer"]))
    iy = in_year_layout(plan, len(lines), len(customers))
    values.update(in_year_values(plan, iy, len(plan.reps), lines, engine_deals(lines, amount_decimals(plan)),
                                 as_of, numbers, payments, customers, sp.layout.capacity.tiers, _changes_of(plan)))
    values.setdefault(SUMMARY, {}).update(summary_mover_values(summary_movers(sp.layout), numbers))
    book.workbook._aop_cached = values


def write_kpi_actuals(book: Book, sp: SheetPlan, kpis: pd.DataFrame) -> list[str]:
    """Write the actuals the deals give (catalogue metrics) into the KPI sheet's actual cells;
    other metrics keep what was typed. Returns the metrics written."""
    kpi = sp.layout.kpi
    written = []
    for k, i in enumerate(sp.rows.get("kpis", ())):
        row = kpis.iloc[k]
        if row["source"] != "deals":
            continue
        value = row["actual"]
        book.write(KPI, kpi.cell("actual", i), [[None if value is None or pd.isna(value) else float(value)]])
        written.append(str(row["metric"]))
    return written


__all__ = ["LoadResult", "Year", "YearNumbers", "as_of_period", "in_year_layout", "load_into", "read_year",
           "record_payments", "save", "with_changes", "write_kpi_actuals", "write_year", "year_numbers"]
