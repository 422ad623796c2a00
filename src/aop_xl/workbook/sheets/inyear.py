"""The Actuals and In-year sheets: the loaded deal lines as inputs, and the year in formulas.

**Actuals** holds inputs: the reps' changes during the year (start, end, draw, moves; months
as ``YYYY-MM``) and the deal lines as loaded (:mod:`aop_xl.cycle.actuals`). **In-year** holds
formulas only, over those inputs and the template's own cells (quotas, targets, tiers, the
as-of period on Assumptions), following :mod:`aop_xl.engine.commission` and
:mod:`aop_xl.engine.kpi` rule for rule (docs/engine.md, "The year in motion"):

- per rep and fiscal month: region (after moves), in-year base and challenge quota (the
  months covered), sales credited (this year and the year before), sales and commission year
  to date, the draw guaranteed, what is paid to date at each payout and the payment;
- each rep's statement as of the as-of period: quotas, attainment, band, commission in both
  modes, paid before, this payment (a clawback when negative), the draw not yet recovered;
- actual vs target by region, team, product and rep: the month, the quarter and the year to
  date, variance and its share, red/amber/green, growth on the prior year; the largest movers;
- the KPI catalogue from the deals and the plan's KPIs with their targets to date;
- each customer's health score, tier and action.

Sums of amounts are rounded to 6 decimals (amounts have at most 6), as the engine rounds
them, so that both count the same cents whatever order they add in. Names are compared with
``=`` inside SUMPRODUCT, never as SUMIFS criteria, where ``*``, ``?`` or a leading ``<``
would change the meaning; customers (many, and each already written here) use SUMIFS with a
criterion that escapes them.

Every address comes from :mod:`aop_xl.workbook.layout`: the template's through
:class:`~aop_xl.workbook.layout.Layout`, these sheets' through
:class:`~aop_xl.workbook.layout.InYearLayout`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter

from aop_xl.engine.commission import ATTAINMENT_DECIMALS, FLOOR_DECIMALS
from aop_xl.engine.kpi import HEALTH_ACTIONS, KPI_ALIASES, KPI_CATALOGUE, LAG_DECIMALS, MISSED_LAG
from aop_xl.errors import WorkbookError
from aop_xl.plan import Plan
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import (ACTUAL_COLUMNS, ACTUALS_INFO, COMMISSION, IN_YEAR, IN_YEAR_DIMENSIONS, IN_YEAR_RULES,
                                    MAX_FORMULA_CHARS, MONTHS, MOVERS, SUMMARY, TARGETS, WORKBOOK_MOVES, InYearLayout,
                                    Layout, Table, quote_sheetname)

#: Sums of amounts are rounded to this many decimals (amounts have at most 6).
SUM_DECIMALS = 6
#: Tier floors and sales are compared rounded to this many decimals (as the Commission sheet).
COMPARE_DECIMALS = 9
#: The health rules of the In-year sheet: (complaint rate scoring 0, healthy from, watch from).
HEALTH_RULES = (0.10, 80, 60)
AMOUNT_FORMAT = "#,##0.00"
STATUS_FILLS = {"red": "FFF4B6B0", "amber": "FFFFE08A", "green": "FFB9E3B0", "at_risk": "FFF4B6B0",
                "watch": "FFFFE08A", "healthy": "FFB9E3B0"}


@dataclass(frozen=True)
class Places:
    """Where the plan's members live in the workbook: the block row (0-based, in the
    workbook's capacity) of each region, product, rep and KPI, in plan order."""

    regions: tuple[int, ...]
    products: tuple[int, ...]
    reps: tuple[int, ...]
    kpis: tuple[int, ...]


class _Styles:
    # The few cell styles of these sheets, registered once (copied onto cells by style array).
    def __init__(self, ws, decimals: int):
        amount = "#,##0" + ("." + "0" * decimals if decimals else "")
        thin = Side(style="thin", color="FF9AA5B1")
        locked, unlocked = Protection(locked=True), Protection(locked=False)
        calc = Font(name="Calibri", size=10)
        blue = Font(name="Calibri", size=10, color="FF0000CC")
        fill = PatternFill(fill_type="solid", start_color="FFFFF9DB", end_color="FFFFF9DB")
        specs = {
            "title": dict(font=Font(name="Calibri", size=16, bold=True, color="FF1F3864")),
            "subtitle": dict(font=Font(name="Calibri", size=10, italic=True, color="FF595959")),
            "section": dict(font=Font(name="Calibri", size=11, bold=True, color="FF1F3864")),
            "header": dict(font=Font(name="Calibri", size=10, bold=True), border=Border(bottom=thin),
                           fill=PatternFill(fill_type="solid", start_color="FFE7ECF3", end_color="FFE7ECF3"),
                           alignment=Alignment(wrap_text=True, vertical="bottom")),
            "label": dict(font=calc),
            "input_text": dict(font=blue, fill=fill, protection=unlocked, quote=True),
            "input_amount": dict(font=blue, fill=fill, protection=unlocked, number_format=amount),
            "input_number": dict(font=blue, fill=fill, protection=unlocked, number_format="General"),
            "input_date": dict(font=blue, fill=fill, protection=unlocked, number_format="yyyy-mm-dd"),
            "text": dict(font=calc, protection=locked),
            "amount": dict(font=calc, protection=locked, number_format=amount),
            "number": dict(font=calc, protection=locked, number_format="#,##0.##"),
            "integer": dict(font=calc, protection=locked, number_format="0"),
            "percent": dict(font=calc, protection=locked, number_format="0.0%"),
            "helper": dict(font=Font(name="Calibri", size=9, color="FF808080"), protection=locked),
            "total": dict(font=Font(name="Calibri", size=10, bold=True), protection=locked, number_format=amount,
                          border=Border(top=thin)),
        }
        self.arrays = {}
        for name, spec in specs.items():
            proto = Cell(ws)
            for attr in ("font", "fill", "border", "alignment", "number_format"):
                if attr in spec:
                    setattr(proto, attr, spec[attr])
            proto.protection = spec.get("protection", locked)
            if spec.get("quote"):
                proto.quotePrefix = True
            self.arrays[name] = proto._style


class _Writer:
    # Cells placed straight into openpyxl's cell store (fast), with a style array each.
    def __init__(self, ws, styles: _Styles):
        self.ws, self.styles, self.cells = ws, styles, ws._cells

    def _put(self, row: int, col: int, style: str) -> Cell:
        cell = Cell(self.ws, row=row, column=col, style_array=self.styles.arrays[style])
        self.cells[(row, col)] = cell
        return cell

    def formula(self, row: int, col: int, text: str, style: str = "amount") -> None:
        if len(text) + 1 > MAX_FORMULA_CHARS:
            raise WorkbookError(f"{self.ws.title}!{get_column_letter(col)}{row}: formula of {len(text) + 1} "
                                f"characters is over Excel's {MAX_FORMULA_CHARS}")
        cell = self._put(row, col, style)
        cell._value = "=" + text
        cell.data_type = "f"

    def value(self, row: int, col: int, value, style: str = "input_number") -> None:
        cell = self._put(row, col, style)
        if value is None:
            return
        if isinstance(value, str):
            cell._value = value
            cell.data_type = "s"  # literal text, whatever it looks like
        else:
            cell.value = value

    def label(self, row: int, col: int, text: str, style: str = "label") -> None:
        self.value(row, col, text, style)


def _title(w: _Writer, table: Table, text: str | None = None) -> None:
    w.label(table.title_row, 1, text if text is not None else table.title, "section")


def _headers(w: _Writer, table: Table, labels: dict[str, str]) -> None:
    for key, text in labels.items():
        w.label(table.header_row, table.col(key), text, "header")


def _rng(table: Table, key: str, rows: int | None = None) -> str:
    # Qualified absolute range of a column over the table's rows (or its first ``rows``).
    last = table.first_row + (rows if rows is not None else table.rows) - 1
    return f"{quote_sheetname(table.sheet)}!${table.letter(key)}${table.first_row}:${table.letter(key)}${last}"


def _row_range(table: Table, i: int, first: str = MONTHS[0], last: str = MONTHS[-1], qualified: bool = False) -> str:
    r = table.row(i)
    a = f"${table.letter(first)}${r}:${table.letter(last)}${r}"
    return f"{quote_sheetname(table.sheet)}!{a}" if qualified else a


def criterion(text: str) -> str:
    """A SUMIFS criterion that matches exactly ``text`` (wildcards and a leading operator
    escaped, as Excel and LibreOffice read criteria).

    Examples:
        >>> criterion("Acme*"), criterion("<Big> Co")
        ('=Acme~*', '=<Big> Co')
    """
    return "=" + text.replace("~", "~~").replace("*", "~*").replace("?", "~?")


class _Refs:
    # The addresses every formula of the In-year sheet reads, computed once.
    def __init__(self, lay: Layout, iy: InYearLayout):
        p = lay.param
        self.year = p("year")
        fys = p("fiscal_year_start")
        self.fys = f"IF(ISNUMBER({fys}),{fys},1)"
        a = p("as_of")
        self.as_of = f"IF(ISNUMBER({a}),MIN(MAX(INT({a}),1),12),12)"
        self.unit = lay.scalar("unit")
        self.mul, self.div = lay.scalar("mul"), lay.scalar("div")
        self.mode, self.basis = p("commission_mode"), p("floor_basis")
        self.cap, self.min = p("cap"), p("min_attainment")
        self.red, self.amber = p("red"), p("amber")
        L = iy.lines
        self.line = {k: _rng(L, k, max(iy.line_count, 1)) for k in ACTUAL_COLUMNS}
        h = iy.header
        self.months = f"{quote_sheetname(IN_YEAR)}!${h.letter(MONTHS[0])}${h.row(0)}:${h.letter(MONTHS[-1])}${h.row(0)}"
        self.step = iy.rule("payout_months")


def _period_of(month: str, r: _Refs) -> str:
    # The fiscal period of a month cell: text "YYYY-MM" (or "YYYY-MM-DD"), or a date.
    serial = f"IF(ISNUMBER({month}),YEAR({month})*12+MONTH({month}),VALUE(LEFT({month},4))*12+VALUE(MID({month},6,2)))"
    return f"({serial})-({r.year}*12+{r.fys})+1"


def _round(x: str) -> str:
    return f"ROUND({x},{SUM_DECIMALS})"


def build_actuals(ws, plan: Plan, lay: Layout, iy: InYearLayout, places: Places, lines: pd.DataFrame,
                  changes: list[dict], decimals: int, loaded: str, payments: dict | None = None) -> None:
    """Write the Actuals sheet: load information, the reps' changes, the deal lines.

    Args:
        ws: the (empty) worksheet.
        plan: the plan.
        lay: the workbook's layout; iy: the in-year layout.
        places: the plan members' rows.
        lines: the loaded lines (:data:`aop_xl.cycle.actuals.LINE_COLUMNS`, amounts in units of
            10^-decimals).
        changes: per rep (plan order): start, end, draw, moves [(month, region)].
        decimals: the amounts' decimal places.
        loaded: what the last load read (file names).
        payments: payments recorded as made: rep -> {period end month: amount}.
    """
    payments = payments or {}
    styles = _Styles(ws, decimals)
    w = _Writer(ws, styles)
    w.label(1, 1, "Actuals", "title")
    w.label(2, 1, f"{plan.plan.company} - plan {plan.plan.year}. Inputs of the year: the reps' changes and the "
                  "deal lines loaded by aop-xl actuals (loading again replaces the deal lines, never counts a "
                  "file twice). The as-of period is on Assumptions.", "subtitle")
    info = iy.info
    _title(w, info)
    for i, (key, label) in enumerate(ACTUALS_INFO):
        w.label(info.row(i), 1, label)
        value = {"lines": iy.line_count, "decimals": decimals, "loaded": loaded}[key]
        w.value(info.row(i), 2, value, "text")
    rc = iy.rep_changes
    _title(w, rc)
    labels = {"rep": "Rep", "start": "Starts (YYYY-MM)", "end": "Ends (YYYY-MM)", "draw": "Draw per month"}
    for k in range(1, WORKBOOK_MOVES + 1):
        labels.update({f"move{k}_month": f"Move {k}: from (YYYY-MM)", f"move{k}_region": f"Move {k}: to region"})
    labels.update({"first": "First month covered", "last": "Last month covered",
                   **{f"move{k}": f"Move {k}: fiscal month" for k in range(1, WORKBOOK_MOVES + 1)}})
    _headers(w, rc, labels)
    r = _Refs(lay, iy)
    for k, i in enumerate(places.reps or (0,)):
        row = rc.row(k)
        w.formula(row, rc.col("rep"), fx.text_ref(lay.reps.ref("name", i)), "text")
        ch = changes[k] if k < len(changes) else {}
        w.value(row, rc.col("start"), ch.get("start"), "input_text")
        w.value(row, rc.col("end"), ch.get("end"), "input_text")
        w.value(row, rc.col("draw"), ch.get("draw"), "input_amount")
        moves = ch.get("moves", [])
        for m in range(1, WORKBOOK_MOVES + 1):
            month, region = moves[m - 1] if m <= len(moves) else (None, None)
            w.value(row, rc.col(f"move{m}_month"), month, "input_text")
            w.value(row, rc.col(f"move{m}_region"), region, "input_text")
        start, end = rc.cell("start", k), rc.cell("end", k)
        w.formula(row, rc.col("first"), f'IF({start}="",1,MAX(1,{_period_of(start, r)}))', "helper")
        w.formula(row, rc.col("last"), f'IF({end}="",12,MIN(12,{_period_of(end, r)}))', "helper")
        for m in range(1, WORKBOOK_MOVES + 1):
            cell = rc.cell(f"move{m}_month", k)
            w.formula(row, rc.col(f"move{m}"), f'IF({cell}="",99,{_period_of(cell, r)})', "helper")
    pay = iy.payments
    _title(w, pay)
    _headers(w, pay, {"rep": "Rep", **{mk: f"Month {m + 1}" for m, mk in enumerate(MONTHS)}})
    for k, i in enumerate(places.reps):
        row = pay.row(k)
        w.formula(row, pay.col("rep"), fx.text_ref(lay.reps.ref("name", i)), "text")
        made = payments.get(plan.reps[k].name, {}) if k < len(plan.reps) else {}
        for m, mk in enumerate(MONTHS):
            w.value(row, pay.col(mk), made.get(m + 1), "input_amount")
    L = iy.lines
    _title(w, L)
    _headers(w, L, {"key": "Key", "source": "Source (file:line)", "date": "Date", "fiscal_year": "Fiscal year",
                    "period": "Fiscal month", "deal": "Deal", "region": "Region", "product": "Product", "rep": "Rep",
                    "customer": "Customer", "type": "Type", "share": "Share", "amount": "Amount credited",
                    "order": "Order", "created": "Created", "complaint": "Complaint", "nps": "NPS"})
    _write_lines(w, L, lines, plan.plan.year, decimals)
    widths = {1: 26, 2: 22, 3: 12, 4: 10, 5: 10, 6: 14, 7: 14, 8: 18, 9: 18, 10: 26, 11: 10, 12: 8, 13: 15,
              14: 8, 15: 12, 16: 10, 17: 8}
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{L.first_row}"


def _write_lines(w: _Writer, L: Table, lines: pd.DataFrame, year: int, decimals: int) -> None:
    # The deal lines, column by column (fast: cells straight into the store).
    first = L.first_row
    scale = 10**decimals
    columns = {
        "key": (lines["key"].to_numpy(dtype=object), "input_text"),
        "source": (lines["source"].to_numpy(dtype=object), "input_text"),
        "date": (_dates(lines["date"]), "input_date"),
        "fiscal_year": ((lines["fy"].to_numpy() + year).tolist(), "input_number"),
        "period": (lines["period"].to_numpy().tolist(), "input_number"),
        "deal": (lines["deal"].to_numpy(dtype=object), "input_text"),
        "region": (lines["region"].to_numpy(dtype=object), "input_text"),
        "product": (lines["product"].to_numpy(dtype=object), "input_text"),
        "rep": (lines["rep"].to_numpy(dtype=object), "input_text"),
        "customer": (lines["customer"].to_numpy(dtype=object), "input_text"),
        "type": (lines["type"].to_numpy(dtype=object), "input_text"),
        "share": (_optional(lines["share"].to_numpy(dtype=float)), "input_number"),
        "amount": ((lines["amount"].to_numpy(dtype=np.int64) / scale).round(decimals).tolist(), "input_amount"),
        "order": (lines["order"].to_numpy().tolist(), "input_number"),
        "created": (_dates(lines["created"]), "input_date"),
        "complaint": (_optional(lines["complaint"].to_numpy(dtype=float)), "input_number"),
        "nps": (_optional(lines["nps"].to_numpy(dtype=float)), "input_number"),
    }
    for key, (values, style) in columns.items():
        col = L.col(key)
        for n, v in enumerate(values):
            if v is None or v == "":
                continue
            w.value(first + n, col, v if not isinstance(v, (np.integer, np.floating)) else v.item(), style)


def _dates(col: pd.Series) -> list:
    out = []
    for v in col.to_numpy(dtype="datetime64[D]"):
        out.append(None if np.isnat(v) else _dt.date.fromisoformat(str(v)))
    return out


def _optional(values: np.ndarray) -> list:
    return [None if np.isnan(v) else (int(v) if float(v).is_integer() else float(v)) for v in values]


def build_in_year(ws, plan: Plan, lay: Layout, iy: InYearLayout, places: Places, customers: list[str],
                  decimals: int) -> None:
    """Write the In-year sheet: every number a formula over Actuals and the template.

    Args:
        ws: the (empty) worksheet.
        plan: the plan (for labels and counts only; numbers come from the workbook's cells).
        lay, iy: the layouts.
        places: the plan members' rows.
        customers: the customers of the deal lines (sorted), one row each.
        decimals: the amounts' decimal places (number formats).
    """
    styles = _Styles(ws, decimals)
    w = _Writer(ws, styles)
    r = _Refs(lay, iy)
    w.label(1, 1, "In-year", "title")
    w.label(2, 1, f"{plan.plan.company} - plan {plan.plan.year}. The year to the as-of period on Assumptions: "
                  "commission with true-ups, actual vs target, KPIs and customer health. Formulas over the "
                  "Actuals sheet.", "subtitle")
    _header(w, lay, iy, r)
    n = len(plan.reps)
    if n:
        _rep_grids(w, lay, iy, places, r)
        _floors(w, lay, iy, r, len(plan.commission.tiers) if plan.commission.tiers else lay.capacity.tiers)
        _statement(w, lay, iy, r)
    _performance(w, plan, lay, iy, places, r)
    _movers(w, iy)
    _catalogue(w, lay, iy, r)
    _kpis(w, lay, iy, places, r)
    _customers(w, iy, r, customers)
    for col, width in {1: 24, 2: 14}.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for col in range(3, 16):
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.column_dimensions[get_column_letter(iy.rules.col("label"))].width = 30
    ws.freeze_panes = "B4"
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False


def _header(w: _Writer, lay: Layout, iy: InYearLayout, r: _Refs) -> None:
    h = iy.header
    _title(w, h)
    w.label(h.row(0), 1, "Fiscal month")
    w.label(h.row(1), 1, "Calendar month")
    for m, key in enumerate(MONTHS):
        w.value(h.row(0), h.col(key), m + 1, "integer")
        n = f"({r.year}*12+{r.fys}-1+{m})"
        w.formula(h.row(1), h.col(key), f'INT({n}/12)&"-"&RIGHT("0"&(MOD({n},12)+1),2)', "text")
    w.label(h.row(0), h.col("year"), "As of")
    w.formula(h.row(1), h.col("year"), r.as_of, "integer")
    rules = iy.rules
    _title(w, rules)
    step = (f'IF({lay.param("payout")}="monthly",1,IF({lay.param("payout")}="annual",12,3))')
    values = {"complaint_ceiling": HEALTH_RULES[0], "healthy": HEALTH_RULES[1], "watch": HEALTH_RULES[2]}
    for i, (key, label) in enumerate(IN_YEAR_RULES):
        w.label(rules.row(i), rules.col("label"), label)
        if key == "payout_months":
            w.formula(rules.row(i), rules.col("value"), step, "integer")
        else:
            w.value(rules.row(i), rules.col("value"), values[key], "input_number")


def _as_of_cell(iy: InYearLayout) -> str:
    h = iy.header
    return f"${h.letter('year')}${h.row(1)}"


def _rep_grids(w: _Writer, lay: Layout, iy: InYearLayout, places: Places, r: _Refs) -> None:
    g = iy.grids
    rc = iy.rep_changes
    month_row = iy.header.row(0)
    L = r.line
    for key, table in g.items():
        _title(w, table)
        w.label(table.header_row, 1, "Rep", "header")
        for m, mk in enumerate(MONTHS):
            w.formula(table.header_row, table.col(mk), f"{quote_sheetname(IN_YEAR)}!"
                      f"${iy.header.letter(mk)}${iy.header.row(1)}", "header")
        w.label(table.header_row, table.col("year"), "As of" if key not in ("region",) else "", "header")
    for k, i in enumerate(places.reps):
        rc_ref = {c: rc.ref(c, k) for c in rc.columns}
        name = lay.reps.ref("name", i)
        for table in g.values():
            w.formula(table.row(k), table.col("rep"), fx.text_ref(name), "text")
        for m, mk in enumerate(MONTHS):
            mref = f"{get_column_letter(g['base'].col(mk))}${month_row}"
            col = g["base"].col(mk)

            def at(key: str) -> str:
                return f"{g[key].letter(mk)}{g[key].row(k)}"
            region = lay.reps.ref("region", i)
            for mv in range(1, WORKBOOK_MOVES + 1):
                region = (f'IF(AND({mref}>={rc_ref[f"move{mv}"]},{rc_ref[f"move{mv}_region"]}<>""),'
                          f'{rc_ref[f"move{mv}_region"]},{region})')
            w.formula(g["region"].row(k), col, region, "text")
            covered = f"AND({mref}>={rc_ref['first']},{mref}<={rc_ref['last']})"
            w.formula(g["base"].row(k), col, f"IF({covered},{fx.n_(lay.base_quotas.ref(mk, i))},0)")
            w.formula(g["challenge"].row(k), col, f"IF({covered},{fx.n_(lay.challenge_quotas.ref(mk, i))},0)")
            sales = f"SUMPRODUCT(({L['rep']}={name})*({L['fiscal_year']}={r.year})*({L['period']}={mref}),{L['amount']})"
            w.formula(g["sales"].row(k), col, _round(sales))
            first = f"${g['sales'].letter(MONTHS[0])}{g['sales'].row(k)}"
            w.formula(g["ytd_sales"].row(k), col, _round(f"SUM({first}:{at('sales')})"))
            w.formula(g["ytd_commission"].row(k), col, _earned(lay, iy, r, k, at("ytd_sales")))
            draw = fx.n_(rc_ref["draw"])
            w.formula(g["guarantee"].row(k), col, f"{draw}*MAX(0,MIN({mref},{rc_ref['last']})-{rc_ref['first']}+1)")
            w.formula(g["due"].row(k), col, f"MAX({at('ytd_commission')},{at('guarantee')})")
            # Paid by the end of the month: at a payout, what was paid before plus the payment
            # recorded as made, else what is due; between payouts, unchanged.
            before = f"{g['paid'].letter(MONTHS[m - 1])}{g['paid'].row(k)}" if m else "0"
            made = iy.payments.ref(mk, k)
            w.formula(g["paid"].row(k), col, f"IF(MOD({mref},{r.step})=0,IF(ISNUMBER({made}),{before}+{made},"
                      f"{at('due')}),{before})")
            w.formula(g["payment"].row(k), col, f"IF(MOD({mref},{r.step})=0,{at('paid')}-{before},0)")
        for key in ("base", "challenge", "sales"):
            t = g[key]
            w.formula(t.row(k), t.col("year"), _round(f"SUMPRODUCT(({r.months}<={_as_of_cell(iy)})*"
                                                      f"{_row_range(t, k)})") if key == "sales" else
                      f"SUM({_row_range(t, k)})", "total")
        for key in ("ytd_sales", "ytd_commission", "guarantee", "due", "paid"):
            t = g[key]
            w.formula(t.row(k), t.col("year"), f"INDEX({_row_range(t, k)},1,{_as_of_cell(iy)})", "total")
        t = g["payment"]
        w.formula(t.row(k), t.col("year"), f"SUMPRODUCT(({r.months}<={_as_of_cell(iy)})*{_row_range(t, k)})", "total")
        t = g["region"]
        w.formula(t.row(k), t.col("year"), f"INDEX({_row_range(t, k)},1,{_as_of_cell(iy)})", "text")


def _floor(lay: Layout, k: int, base: str, chal: str) -> str:
    g = lay.tier_grid
    c = COMMISSION
    f = f"{c}!{g.cell('floor', k)}"
    return (f'IF({c}!{g.cell("used", k)}=0,{fx.BIG},ROUND(IF({f}="base",{base},IF({f}="challenge",{chal},'
            f'IF({lay.param("floor_basis")}="absolute",{f},ROUND({f}*{base},{FLOOR_DECIMALS})))),{COMPARE_DECIMALS}))')


def _floors(w: _Writer, lay: Layout, iy: InYearLayout, r: _Refs, bands: int) -> None:
    f = iy.floors
    _title(w, f)
    K = lay.capacity.tiers
    _headers(w, f, {"rep": "Rep", **{f"floor_{k + 1}": f"Band {k + 1} from" for k in range(K)},
                    f"floor_{K + 1}": "(end)"})
    base, chal = iy.grids["base"], iy.grids["challenge"]
    for k in range(f.rows):
        row = f.row(k)
        w.formula(row, f.col("rep"), f"{base.letter('rep')}{base.row(k)}", "text")
        b, c = f"${base.letter('year')}${base.row(k)}", f"${chal.letter('year')}${chal.row(k)}"
        for j in range(K):
            w.formula(row, f.col(f"floor_{j + 1}"), _floor(lay, j, b, c))
        w.formula(row, f.col(f"floor_{K + 1}"), fx.BIG, "helper")


def _capped(r: _Refs, x: str) -> str:
    return f"IF(ISNUMBER({r.cap}),MIN({x},{r.cap}),{x})"


def _eligible(r: _Refs, sales: str, base: str) -> str:
    return (f"IF({fx.n_(r.min)}<=0,1,IF({base}>0,IF(ROUND({sales}/{base},{ATTAINMENT_DECIMALS})>={fx.n_(r.min)},1,0),"
            f"IF({sales}>0,1,0)))")


def _commission_parts(lay: Layout, iy: InYearLayout, r: _Refs, k: int, sales: str) -> tuple[str, str, str]:
    # (eligible, marginal, retroactive) of year-to-date ``sales`` for rep k, unrounded, uncapped.
    f = iy.floors
    K = lay.capacity.tiers
    row = f.row(k)
    F = f"${f.letter('floor_1')}${row}:${f.letter(f'floor_{K}')}${row}"
    U = f"${f.letter('floor_2')}${row}:${f.letter(f'floor_{K + 1}')}${row}"
    rates = lay.tier_grid.range("rate", qualified=True)
    s = f"ROUND(MAX({sales},0),{COMPARE_DECIMALS})"
    low = f"(({s}<={U})*{s}+({s}>{U})*{U})"
    marginal = f"SUMPRODUCT({rates},({low}-{F})*({low}>{F}))"
    retro = f"{fx.pick(rates, K, f'MAX(SUMPRODUCT(--({F}<={s})),1)', across=True)}*{s}"
    base = f"${iy.grids['base'].letter('year')}${iy.grids['base'].row(k)}"
    return _eligible(r, sales, base), marginal, retro


def _units_amount(r: _Refs, x: str) -> str:
    # An unrounded commission rounded to whole units (halves up) and back to an amount.
    return f"{fx.round_half(f'({x})/{r.unit}')}*{r.mul}/{r.div}"


def _earned(lay: Layout, iy: InYearLayout, r: _Refs, k: int, sales: str) -> str:
    eligible, marginal, retro = _commission_parts(lay, iy, r, k, sales)
    chosen = f'IF({r.mode}="retroactive",{_capped(r, retro)},{_capped(r, marginal)})'
    return f"IF({eligible}=1,{_units_amount(r, chosen)},0)"


def _statement(w: _Writer, lay: Layout, iy: InYearLayout, r: _Refs) -> None:
    st, g = iy.statement, iy.grids
    _title(w, st)
    _headers(w, st, {"rep": "Rep", "region": "Region", "period": "Period", "closed": "Period", "ytd_sales":
                     "Sales to date", "ytd_quota": "Base quota to date", "base": "Base quota (in-year)",
                     "challenge": "Challenge quota (in-year)", "attainment": "Attainment (year)",
                     "ytd_attainment": "Attainment to date", "band": "Band reached", "marginal": "Marginal",
                     "retroactive": "Retroactive", "ytd_commission": "Commission to date (plan mode)",
                     "guarantee": "Draw guaranteed", "paid_to_date": "Due to date", "paid_before": "Paid before",
                     "payment": "This payment", "draw_balance": "Draw not yet recovered"})
    a = _as_of_cell(iy)
    K = lay.capacity.tiers
    for k in range(st.rows):
        row = st.row(k)

        def pick(key: str) -> str:
            return f"INDEX({_row_range(g[key], k)},1,{a})"
        c = {key: f"{st.letter(key)}{row}" for key in st.columns}
        w.formula(row, st.col("rep"), f"{g['base'].letter('rep')}{g['base'].row(k)}", "text")
        w.formula(row, st.col("region"), pick("region"), "text")
        w.formula(row, st.col("period"), f'IF({r.step}=1,"M"&RIGHT("0"&{a},2),IF({r.step}=3,"Q"&(INT(({a}-1)/3)+1),'
                                         f'"FY"))', "text")
        w.formula(row, st.col("closed"), f'IF(MOD({a},{r.step})=0,"closed","open")', "text")
        w.formula(row, st.col("ytd_sales"), pick("ytd_sales"))
        w.formula(row, st.col("ytd_quota"), f"SUMPRODUCT(({r.months}<={a})*{_row_range(g['base'], k)})")
        w.formula(row, st.col("base"), f"${g['base'].letter('year')}${g['base'].row(k)}")
        w.formula(row, st.col("challenge"), f"${g['challenge'].letter('year')}${g['challenge'].row(k)}")
        w.formula(row, st.col("attainment"), f'IF({c["base"]}>0,{c["ytd_sales"]}/{c["base"]},"")', "percent")
        w.formula(row, st.col("ytd_attainment"), f'IF({c["ytd_quota"]}>0,{c["ytd_sales"]}/{c["ytd_quota"]},"")',
                  "percent")
        f = iy.floors
        floors = f"${f.letter('floor_1')}${f.row(k)}:${f.letter(f'floor_{K}')}${f.row(k)}"
        w.formula(row, st.col("band"), f"SUMPRODUCT(--({floors}<=ROUND(MAX({c['ytd_sales']},0),{COMPARE_DECIMALS})))",
                  "integer")
        eligible, marginal, retro = _commission_parts(lay, iy, r, k, c["ytd_sales"])
        w.formula(row, st.col("marginal"), f"IF({eligible}=1,{_units_amount(r, _capped(r, marginal))},0)")
        w.formula(row, st.col("retroactive"), f"IF({eligible}=1,{_units_amount(r, _capped(r, retro))},0)")
        w.formula(row, st.col("ytd_commission"), pick("ytd_commission"))
        w.formula(row, st.col("guarantee"), pick("guarantee"))
        w.formula(row, st.col("paid_to_date"), f"MAX({c['ytd_commission']},{c['guarantee']})")
        last = f"IF(MOD({a},{r.step})=0,{a}-{r.step},{a}-MOD({a},{r.step}))"
        w.formula(row, st.col("paid_before"), f"IF({last}>0,INDEX({_row_range(g['paid'], k)},1,{last}),0)")
        made = f"INDEX({_row_range(iy.payments, k, qualified=True)},1,{a})"
        w.formula(row, st.col("payment"), f"IF(AND(MOD({a},{r.step})=0,ISNUMBER({made})),{made},"
                                          f"{c['paid_to_date']}-{c['paid_before']})")
        w.formula(row, st.col("draw_balance"), f"MAX({c['guarantee']}-{c['ytd_commission']},0)")
    total = st.last_row + 1
    w.label(total, 1, "Total", "header")
    for key in ("ytd_sales", "ytd_commission", "payment", "draw_balance"):
        col = st.letter(key)
        w.formula(total, st.col(key), f"SUM({col}{st.first_row}:{col}{st.last_row})", "total")


def _lag(actual: str, target: str, direction: str) -> str:
    missed = fx.num(MISSED_LAG)
    lower = f"IF({actual}>0,1-{target}/{actual},IF({actual}<={target},0,{missed}))"
    higher = f"IF({target}>0,1-{actual}/{target},IF({actual}>={target},0,{missed}))"
    return f'IF(NOT(ISNUMBER({actual})),"",ROUND(IF({direction}="lower",{lower},{higher}),{LAG_DECIMALS}))'


def _status(r: _Refs, lag: str) -> str:
    return (f'IF(ISNUMBER({lag}),IF({lag}>ROUND({r.red},{LAG_DECIMALS}),"red",IF({lag}>ROUND({r.amber},'
            f'{LAG_DECIMALS}),"amber","green")),"")')


def _performance(w: _Writer, plan: Plan, lay: Layout, iy: InYearLayout, places: Places, r: _Refs) -> None:
    L, a = r.line, _as_of_cell(iy)
    g = iy.grids
    month_row = iy.header.row(0)
    n = len(plan.reps)
    for key, _ in IN_YEAR_DIMENSIONS:
        t = iy.performance[key]
        _title(w, t)
        labels = {"member": key.capitalize(), "month_actual": "Month: actual", "month_target": "Month: target",
                  "qtd_actual": "Quarter to date: actual", "qtd_target": "Quarter to date: target",
                  "ytd_actual": "Year to date: actual", "ytd_target": "Year to date: target",
                  "variance": "Variance", "share": "Share of variance", "attainment": "Attainment", "lag": "Lag",
                  "status": "Status", "py_ytd": "Prior year, same months", "growth": "Growth on prior year"}
        labels.update({f"a_{m}": f"Actual {i + 1}" for i, m in enumerate(MONTHS)})
        labels.update({f"t_{m}": f"Target {i + 1}" for i, m in enumerate(MONTHS)})
        labels.update({f"p_{m}": f"Prior year {i + 1}" for i, m in enumerate(MONTHS)})
        labels.update({"abs": "Size of variance", "rank": "Rank"})
        _headers(w, t, labels)
        if key == "region":
            members = [(lay.regions.ref("name", i), lambda m, i=i: lay.region_targets.ref(m, i)) for i in places.regions]
        elif key == "product":
            members = [(lay.products.ref("name", j), lambda m, j=j: lay.product_targets.ref(m, j))
                       for j in places.products]
        elif key == "team":
            members = [(lay.regions.ref("name", i), None) for i in places.regions]
        else:
            members = [(lay.reps.ref("name", i), None) for i in places.reps]
        for k, (name, target_of) in enumerate(members):
            row = t.row(k)
            w.formula(row, t.col("member"), fx.text_ref(name), "text")
            for m, mk in enumerate(MONTHS):
                mref = f"{get_column_letter(iy.header.col(mk))}${month_row}"
                if key in ("region", "product"):
                    col = L[key]
                    actual = f"SUMPRODUCT(({col}={name})*({L['fiscal_year']}={r.year})*({L['period']}={mref}),{L['amount']})"
                    prior = (f"SUMPRODUCT(({col}={name})*({L['fiscal_year']}={r.year}-1)*({L['period']}={mref}),"
                             f"{L['amount']})")
                    target = fx.n_(target_of(mk))
                elif key == "rep":
                    actual = f"{g['sales'].ref(mk, k)}"
                    prior = (f"SUMPRODUCT(({L['rep']}={name})*({L['fiscal_year']}={r.year}-1)*({L['period']}={mref}),"
                             f"{L['amount']})")
                    target = f"{g['base'].ref(mk, k)}"
                else:
                    regions = _rng(g["region"], mk, n)
                    actual = f"SUMPRODUCT(({regions}={name})*{_rng(g['sales'], mk, n)})" if n else "0"
                    prior = (f"SUMPRODUCT(({regions}={name})*{_rng(iy.performance['rep'], f'p_{mk}', n)})"
                             if n else "0")
                    target = f"SUMPRODUCT(({regions}={name})*{_rng(g['base'], mk, n)})" if n else "0"
                w.formula(row, t.col(f"a_{mk}"), _round(actual), "helper")
                w.formula(row, t.col(f"t_{mk}"), target, "helper")
                w.formula(row, t.col(f"p_{mk}"), _round(prior), "helper")
            c = {x: f"{t.letter(x)}{row}" for x in t.columns}
            arow = f"${t.letter('a_m01')}{row}:${t.letter('a_m12')}{row}"
            trow = f"${t.letter('t_m01')}{row}:${t.letter('t_m12')}{row}"
            prow = f"${t.letter('p_m01')}{row}:${t.letter('p_m12')}{row}"
            q0 = f"(INT(({a}-1)/3)*3+1)"
            w.formula(row, t.col("month_actual"), f"INDEX({arow},1,{a})")
            w.formula(row, t.col("month_target"), f"INDEX({trow},1,{a})")
            w.formula(row, t.col("qtd_actual"), _round(f"SUMPRODUCT(({r.months}>={q0})*({r.months}<={a})*{arow})"))
            w.formula(row, t.col("qtd_target"), _round(f"SUMPRODUCT(({r.months}>={q0})*({r.months}<={a})*{trow})"))
            w.formula(row, t.col("ytd_actual"), _round(f"SUMPRODUCT(({r.months}<={a})*{arow})"))
            w.formula(row, t.col("ytd_target"), _round(f"SUMPRODUCT(({r.months}<={a})*{trow})"))
            w.formula(row, t.col("variance"), f"{c['ytd_actual']}-{c['ytd_target']}")
            total = f"SUM({t.letter('variance')}${t.first_row}:{t.letter('variance')}${t.first_row + len(members) - 1})"
            w.formula(row, t.col("share"), f'IF(ROUND({total},{SUM_DECIMALS})<>0,{c["variance"]}/{total},"")',
                      "percent")
            w.formula(row, t.col("attainment"), f'IF({c["ytd_target"]}>0,{c["ytd_actual"]}/{c["ytd_target"]},"")',
                      "percent")
            w.formula(row, t.col("lag"), _lag(c["ytd_actual"], c["ytd_target"], '"higher"'), "percent")
            w.formula(row, t.col("status"), _status(r, c["lag"]), "text")
            w.formula(row, t.col("py_ytd"), _round(f"SUMPRODUCT(({r.months}<={a})*{prow})"))
            w.formula(row, t.col("growth"), f'IF({c["py_ytd"]}>0,{c["ytd_actual"]}/{c["py_ytd"]}-1,"")', "percent")
            w.formula(row, t.col("abs"), f"ABS({c['variance']})", "helper")
        _status_colours(w.ws, t, len(members))
    # Ranks for the largest movers: regions, then teams, then products; equal sizes in that order.
    blocks = [iy.performance[k] for k in ("region", "team", "product")]
    sizes = [len(places.regions), len(places.regions), len(places.products)]
    for b, (t, size) in enumerate(zip(blocks, sizes)):
        for k in range(size):
            x = f"{t.letter('abs')}{t.row(k)}"
            larger = "+".join(f"SUMPRODUCT(--({_rng(u, 'abs', s)}>{x}))" for u, s in zip(blocks, sizes) if s)
            earlier = [f"SUMPRODUCT(--({_rng(u, 'abs', s)}={x}))" for u, s in zip(blocks[:b], sizes[:b]) if s]
            if k:
                above = f"{quote_sheetname(t.sheet)}!${t.letter('abs')}${t.first_row}:${t.letter('abs')}${t.row(k - 1)}"
                earlier.append(f"SUMPRODUCT(--({above}={x}))")
            w.formula(t.row(k), t.col("rank"), f"{larger}{'+' + '+'.join(earlier) if earlier else ''}+1", "helper")


def _status_colours(ws, t: Table, rows: int, key: str = "status") -> None:
    if rows <= 0:
        return
    area = f"{t.letter(key)}{t.first_row}:{t.letter(key)}{t.first_row + rows - 1}"
    first = f"${t.letter(key)}{t.first_row}"
    for name, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(area, FormulaRule(formula=[f'{first}="{name}"'], fill=PatternFill(
            fill_type="solid", start_color=colour, end_color=colour)))


def _pick(t: Table, key: str, pos: str) -> str:
    # INDEX(column, pos) of a block's column; a one-row block is its cell (Gnumeric gives
    # #REF! for INDEX over a range of one cell).
    if t.rows == 1:
        return f"{quote_sheetname(t.sheet)}!${t.letter(key)}${t.first_row}"
    return f"INDEX({_rng(t, key)},{pos},1)"


def _movers(w: _Writer, iy: InYearLayout) -> None:
    mv = iy.movers
    _title(w, mv)
    _headers(w, mv, {"rank": "Rank", "dimension": "Across", "member": "Member", "variance": "Variance"})
    blocks = [("region", iy.performance["region"]), ("team", iy.performance["team"]),
              ("product", iy.performance["product"])]
    for k in range(MOVERS):
        row = mv.row(k)
        w.value(row, mv.col("rank"), k + 1, "integer")
        rank = f"{mv.letter('rank')}{row}"
        dim, member, variance = '""', '""', '""'
        for name, t in reversed(blocks):
            hit = f"COUNTIF({_rng(t, 'rank')},{rank})>0"
            pos = f"MATCH({rank},{_rng(t, 'rank')},0)"
            dim = f'IF({hit},"{name}",{dim})'
            member = f"IF({hit},{_pick(t, 'member', pos)},{member})"
            variance = f"IF({hit},{_pick(t, 'variance', pos)},{variance})"
        w.formula(row, mv.col("dimension"), dim, "text")
        w.formula(row, mv.col("member"), member, "text")
        w.formula(row, mv.col("variance"), variance)


def _catalogue(w: _Writer, lay: Layout, iy: InYearLayout, r: _Refs) -> None:
    cat, al = iy.catalogue, iy.aliases
    _title(w, cat)
    w.label(al.title_row, al.col("alias"), al.title, "section")
    _headers(w, cat, {"name": "Metric", "kind": "Kind", "direction": "Better when", "value": "Year to date"})
    _headers(w, al, {"alias": "Also called", "name": "Metric"})
    L, a = r.line, _as_of_cell(iy)
    cy = f"({L['fiscal_year']}={r.year})*({L['period']}<={a})"
    revenue = _round(f"SUMPRODUCT({cy},{L['amount']})")
    py = _round(f"SUMPRODUCT(({L['fiscal_year']}={r.year}-1)*({L['period']}<={a}),{L['amount']})")
    gross = _round(f"SUMPRODUCT({cy}*({L['amount']}>0),{L['amount']})")
    returns = _round(f"-SUMPRODUCT({cy}*({L['amount']}<0),{L['amount']})")
    orders = f"SUMPRODUCT({cy},{L['order']})"
    company = lay.company
    months = f"{quote_sheetname(company.sheet)}!${company.letter(MONTHS[0])}${company.first_row}:" \
             f"${company.letter(MONTHS[-1])}${company.first_row}"
    company_ytd = _round(f"SUMPRODUCT(({r.months}<={a})*{months})")
    cu = iy.customers
    nc = max(iy.customer_count, 1)
    churn_base = f"COUNTIF({_rng(cu, 'py_revenue', nc)},\">0\")"
    churned = f"COUNTIFS({_rng(cu, 'py_revenue', nc)},\">0\",{_rng(cu, 'trailing', nc)},\"<=0\")"
    cycle = f"{cy}*({L['order']}=1)*({L['created']}<>\"\")"
    values = {
        "revenue": revenue,
        "attainment": f'IF({company_ytd}>0,{revenue}/{company_ytd},"")',
        "yoy_growth": f'IF({py}>0,{revenue}/{py}-1,"")',
        "new_business_revenue": _round(f'SUMPRODUCT({cy}*({L["type"]}="new"),{L["amount"]})'),
        "recurring_revenue": _round(f'SUMPRODUCT({cy}*({L["type"]}="recurring"),{L["amount"]})'),
        "customer_churn_rate": f'IF({churn_base}>0,{churned}/{churn_base},"")',
        "retention_rate": f'IF({churn_base}>0,1-{churned}/{churn_base},"")',
        "average_order_value": f'IF({orders}>0,{gross}/{orders},"")',
        "repurchase_rate": f'IF(COUNTIF({_rng(cu, "orders", nc)},">=1")>0,COUNTIF({_rng(cu, "orders", nc)},">=2")/'
                           f'COUNTIF({_rng(cu, "orders", nc)},">=1"),"")',
        "return_rate": f'IF({gross}>0,{returns}/{gross},"")',
        "sales_cycle_length": f'IF(SUMPRODUCT({cycle})>0,SUMPRODUCT({cycle}*({L["date"]}-{L["created"]}))/'
                              f'SUMPRODUCT({cycle}),"")',
    }
    styles = {"currency": "amount", "percent": "percent", "days": "number"}
    for k, (name, (kind, direction, unit)) in enumerate(KPI_CATALOGUE.items()):
        row = cat.row(k)
        w.value(row, cat.col("name"), name, "text")
        w.value(row, cat.col("kind"), kind, "text")
        w.value(row, cat.col("direction"), direction, "text")
        w.formula(row, cat.col("value"), values[name], styles.get(unit, "number"))
    for k, (alias, name) in enumerate(KPI_ALIASES.items()):
        w.value(al.row(k), al.col("alias"), alias, "text")
        w.value(al.row(k), al.col("name"), name, "text")
    w.label(cat.last_row + 1, 1, "Company target to date")
    w.formula(cat.last_row + 1, cat.col("value"), company_ytd)


def _kpis(w: _Writer, lay: Layout, iy: InYearLayout, places: Places, r: _Refs) -> None:
    t, cat, al = iy.kpis, iy.catalogue, iy.aliases
    _title(w, t)
    _headers(w, t, {"metric": "Metric", "key": "Key", "name": "Catalogue metric", "kind": "Kind",
                    "direction": "Better when", "target": "Target (year)", "ytd_target": "Target to date",
                    "actual": "Actual to date", "variance": "Variance", "lag": "Lag", "status": "Status"})
    a = _as_of_cell(iy)
    season = f"{quote_sheetname(TARGETS)}!${lay.company.letter(MONTHS[0])}${lay.season_rows['w']}:" \
             f"${lay.company.letter(MONTHS[-1])}${lay.season_rows['w']}"
    share = f"IF(SUM({season})>0,SUMPRODUCT(({r.months}<={a})*{season})/SUM({season}),0)"
    names, aliases = _rng(cat, "name"), _rng(al, "alias")
    company_ytd = f"${cat.letter('value')}${cat.last_row + 1}"
    total = lay.company.ref("year", 0)
    for k, i in enumerate(places.kpis):
        row = t.row(k)
        c = {x: f"{t.letter(x)}{row}" for x in t.columns}
        w.formula(row, t.col("metric"), fx.text_ref(lay.kpis.ref("metric", i)), "text")
        w.formula(row, t.col("key"), f'LOWER(TRIM({c["metric"]}))', "helper")
        index = f"(ROW({names})-ROW(INDEX({names},1,1))+1)"
        direct = f"SUMPRODUCT(({names}={c['key']})*{index})"
        alias_index = f"SUMPRODUCT(({aliases}={c['key']})*(ROW({aliases})-ROW(INDEX({aliases},1,1))+1))"
        w.formula(row, t.col("name"), f'IF({direct}>0,{_pick(cat, "name", direct)},IF({alias_index}>0,'
                                      f'{_pick(al, "name", alias_index)},""))', "text")
        pos = f"SUMPRODUCT(({names}={c['name']})*{index})"
        w.formula(row, t.col("kind"), f'IF({c["name"]}="","",{_pick(cat, "kind", pos)})', "text")
        w.formula(row, t.col("direction"), f'IF({lay.kpis.ref("direction", i)}="lower","lower","higher")', "text")
        w.formula(row, t.col("target"), fx.n_(lay.kpis.ref("target", i)), "number")
        w.formula(row, t.col("ytd_target"), f'IF({c["kind"]}="flow",IF(AND({c["name"]}="revenue",{c["target"]}='
                                            f'{total}),{company_ytd},{c["target"]}*{share}),{c["target"]})', "number")
        typed = lay.kpi.ref("actual", i)
        w.formula(row, t.col("actual"), f'IF({c["name"]}="",IF(ISNUMBER({typed}),{typed},""),{_pick(cat, "value", pos)})',
                  "number")
        w.formula(row, t.col("variance"), f'IF(ISNUMBER({c["actual"]}),{c["actual"]}-{c["ytd_target"]},"")', "number")
        w.formula(row, t.col("lag"), _lag(c["actual"], c["ytd_target"], c["direction"]), "percent")
        w.formula(row, t.col("status"), _status(r, c["lag"]), "text")
    _status_colours(w.ws, t, len(places.kpis))


def _customers(w: _Writer, iy: InYearLayout, r: _Refs, customers: list[str]) -> None:
    t = iy.customers
    _title(w, t)
    _headers(w, t, {"customer": "Customer", "py_revenue": "Prior year", "trailing": "Last 12 months",
                    "ytd_revenue": "Year to date", "orders": "Orders to date", "gross": "Sales before returns",
                    "order_value": "Order value", "frequency": "Frequency vs mean", "value_ratio": "Order value vs mean",
                    "flagged": "Orders with a complaint flag", "complaints": "Complaints",
                    "complaint_rate": "Complaint rate", "nps_count": "NPS answers", "nps": "NPS", "score": "Health score",
                    "tier": "Tier", "action": "Action"})
    L, a = r.line, _as_of_cell(iy)
    n = max(len(customers), 1)
    orders_all, gross_all = _rng(t, "orders", n), _rng(t, "gross", n)
    bench = f"IF(COUNTIF({orders_all},\">0\")>0,SUM({orders_all})/COUNTIF({orders_all},\">0\"),0)"
    aov = f"IF(SUM({orders_all})>0,SUM({gross_all})/SUM({orders_all}),0)"
    ceiling, healthy, watch = iy.rule("complaint_ceiling"), iy.rule("healthy"), iy.rule("watch")
    Y = r.year
    this_year = [("fiscal_year", "=", Y), ("period", "<=", a)]
    for k, name in enumerate(customers):
        row = t.row(k)
        c = {x: f"{t.letter(x)}{row}" for x in t.columns}
        w.value(row, t.col("customer"), name, "text")
        who = ("customer", "name", name)
        cond = _Conditions(L, who)
        w.formula(row, t.col("py_revenue"), _round(cond.sum("amount", [("fiscal_year", "=", f"{Y}-1")])))
        w.formula(row, t.col("trailing"), _round(
            cond.sum("amount", [("fiscal_year", "=", f"{Y}-1"), ("period", ">", a)]) + "+"
            + cond.sum("amount", this_year)))
        w.formula(row, t.col("ytd_revenue"), _round(cond.sum("amount", this_year)))
        w.formula(row, t.col("orders"), cond.sum("order", this_year), "integer")
        w.formula(row, t.col("gross"), _round(cond.sum("amount", [*this_year, ("amount", ">", "0")])))
        w.formula(row, t.col("order_value"), f"IF({c['orders']}>0,{c['gross']}/{c['orders']},0)")
        w.formula(row, t.col("frequency"), f"IF({bench}>0,{c['orders']}/{bench},0)", "number")
        w.formula(row, t.col("value_ratio"), f"IF({aov}>0,{c['order_value']}/{aov},0)", "number")
        flagged = [*this_year, ("order", "=", "1"), ("complaint", "<>", "")]
        w.formula(row, t.col("flagged"), cond.count(flagged), "integer")
        w.formula(row, t.col("complaints"), cond.sum("complaint", [*this_year, ("order", "=", "1")]), "integer")
        w.formula(row, t.col("complaint_rate"), f'IF({c["flagged"]}>0,{c["complaints"]}/{c["flagged"]},"")', "percent")
        w.formula(row, t.col("nps_count"), cond.count([*this_year, ("nps", "<>", "")]), "integer")
        w.formula(row, t.col("nps"), f'IF({c["nps_count"]}>0,{cond.sum("nps", this_year)}/{c["nps_count"]},"")',
                  "number")

        def clip(x: str) -> str:
            return f"MIN(MAX({x},0),1)*100"
        rate, nps = c["complaint_rate"], c["nps"]
        parts = [clip(c["frequency"]), clip(c["value_ratio"]),
                 f"IF(ISNUMBER({rate}),{clip(f'1-{rate}/{ceiling}')},0)", f"IF(ISNUMBER({nps}),({nps}+100)/2,0)"]
        count = f"(2+ISNUMBER({rate})+ISNUMBER({nps}))"
        w.formula(row, t.col("score"), f"({'+'.join(parts)})/{count}", "number")
        w.formula(row, t.col("tier"), f'IF({c["score"]}>={healthy},"healthy",IF({c["score"]}>={watch},"watch",'
                                      f'"at_risk"))', "text")
        w.formula(row, t.col("action"), f'IF({c["tier"]}="healthy","{HEALTH_ACTIONS["healthy"]}",IF({c["tier"]}='
                                        f'"watch","{HEALTH_ACTIONS["watch"]}","{HEALTH_ACTIONS["at_risk"]}"))', "text")
    _status_colours(w.ws, t, len(customers), "tier")


class _Conditions:
    # Sums and counts over the deal lines of one named member: SUMIFS / COUNTIFS with an
    # escaped criterion, or SUMPRODUCT when the criterion would be longer than Excel's 255
    # characters.
    def __init__(self, lines: dict[str, str], who: tuple[str, str, str]):
        self.L = lines
        self.col, _, self.name = who
        crit = criterion(self.name)
        self.product = len(crit) > 255
        self.crit = '"' + crit.replace('"', '""') + '"'
        self.literal = '"' + self.name.replace('"', '""') + '"'

    def _ifs(self, conds) -> str:
        parts = [f"{self.L[self.col]},{self.crit}"]
        for col, op, value in conds:
            if op == "=":
                parts.append(f"{self.L[col]},{value}")
            elif op == "<>" and value == "":
                parts.append(f'{self.L[col]},"<>"')
            else:
                parts.append(f'{self.L[col]},"{op}"&{value}')
        return ",".join(parts)

    def _mask(self, conds) -> str:
        terms = [f"({self.L[self.col]}={self.literal})"]
        for col, op, value in conds:
            terms.append(f'({self.L[col]}<>"")' if op == "<>" and value == "" else f"({self.L[col]}{op}{value})")
        return "*".join(terms)

    def sum(self, col: str, conds) -> str:
        if self.product:
            return f"SUMPRODUCT({self._mask(conds)},{self.L[col]})"
        return f"SUMIFS({self.L[col]},{self._ifs(conds)})"

    def count(self, conds) -> str:
        if self.product:
            return f"SUMPRODUCT({self._mask(conds)})"
        return f"COUNTIFS({self._ifs(conds)})"


def place_sheets(wb, names: tuple[str, ...]) -> dict[str, object]:
    """Empty worksheets for ``names``, replacing any of that name, after the Summary.

    Returns:
        name -> worksheet.
    """
    out = {}
    for name in names:
        if name in wb.sheetnames:
            index = wb.sheetnames.index(name)
            wb.remove(wb[name])
        else:
            index = wb.sheetnames.index(SUMMARY) + 1 + len(out) if SUMMARY in wb.sheetnames else len(wb.sheetnames)
        out[name] = wb.create_sheet(name, index)
    return out
