"""The engine's value of each result cell of the standard workbook.

Every number the workbook shows (targets, quotas, the commission statement, the budget and
its return, the KPIs, the Summary) is a formula; the engine computes the same numbers. This
module says, cell by cell, what the engine's value is. It serves twice:

- the build writes these values into the file as the formulas' cached values, so a reader
  that does not calculate (a mail or phone preview, Power Query, pandas, python-calamine)
  sees the plan's numbers; Excel still recalculates on open (``fullCalcOnLoad``);
- the tests compare LibreOffice's and Gnumeric's recalculation of the workbook with them.

Cells without an engine counterpart (helper columns, sheet subtitles) carry no cached value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from aop_xl.engine.budget import MONTH_COLUMNS, budget_summary
from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.commission import commission_statement
from aop_xl.engine.kpi import kpi_status
from aop_xl.engine.quota import quota_units
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError
from aop_xl.plan import Plan
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import (
    BCG_CLASSES,
    MONTHS,
    QUARTERS,
    RETURN_KEYS,
    SUMMARY_KEYS,
    SUMMARY_REGIONS,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    COVER,
    COVER_KEYS,
    KPI,
    SUMMARY,
    Layout,
)
from aop_xl.workbook.sheets import amounts_text

#: How a value compares with a recalculated one: ``units`` a count of the plan's unit and
#: ``money`` an amount that is a whole number of units (both exact), ``amount``/``rate`` (a
#: product or ratio of amounts: to the 15 significant digits a file stores), ``int``, ``text``, ``empty`` ("" or nothing).
KINDS = ("units", "money", "amount", "rate", "int", "text", "empty")


@dataclass(frozen=True)
class EngineCell:
    """One result cell: where, the engine's value, how it compares, and what it is."""

    sheet: str
    ref: str
    value: Any
    kind: str
    what: str

    def cached(self, unit: float) -> Any:
        """The value as the file stores it: units as the exact decimal amount, "" when empty."""
        if self.kind == "empty" or self.value is None:
            return ""
        if self.kind == "units":
            return Decimal(int(self.value)) * Decimal(str(unit))
        if self.kind == "money":
            return Decimal(round(self.value / unit)) * Decimal(str(unit))
        return self.value


def engine_cells(plan: Plan, layout: Layout, sales: dict | None = None) -> tuple[list[EngineCell], list[str]]:
    """Every result cell of ``plan``'s workbook with its engine value.

    Args:
        plan: the plan the workbook is built from (or filled with).
        layout: the workbook's layout.
        sales: rep name -> annual sales entered on the Commission sheet.

    Returns:
        (the cells, notes on parts the engine refused to compute: those cells are left out).
    """
    out: list[EngineCell] = []
    notes: list[str] = []

    def add(table, key, i, value, kind, what):
        out.append(EngineCell(table.sheet, table.cell(key, i), value, kind, what))

    t = target_units(plan)
    _targets(plan, layout, t, add)
    _quotas(plan, layout, add)
    try:
        statement = commission_statement(plan, sales or {})
    except PlanError as exc:
        notes.append(f"commission statement: engine refused ({exc})")
    else:
        _commission(plan, layout, statement, add)
    try:
        budget = budget_summary(plan)
    except PlanError as exc:
        notes.append(f"budget: engine refused ({exc})")
        budget = None
    else:
        _budget(layout, plan, budget, add)
    kpis = kpi_status(plan)
    _kpis(layout, kpis, add)
    _summary(plan, layout, t, budget, kpis, add)
    _cover(plan, layout, add)
    return out, notes


def cached_values(plan: Plan, layout: Layout, sales: dict | None = None,
                  subtitles: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Sheet name -> cell reference -> the value to store with the cell's formula.

    Besides :func:`engine_cells`: the check cells (0, as on every plan the engine accepts) and
    the titles that are formulas (the Cover's and the Summary's, and each sheet's subtitle
    given as ``subtitles``: sheet -> its fixed text, followed by the amounts note)."""
    cells, _ = engine_cells(plan, layout, sales)
    h = plan.plan
    note = amounts_text(h.currency, h.display)
    out: dict[str, dict[str, Any]] = {COVER: {"A1": f"{h.company} - annual operating plan {h.year}"},
                                      SUMMARY: {"A1": f"Annual operating plan {h.year} - {h.company}",
                                                "A2": f"{note}   Status: {h.status}   Version: {h.version}"}}
    for sheet, text in (subtitles or {}).items():
        out.setdefault(sheet, {})["A2"] = f"{text} {note}"
    period = h.as_of or 12
    month = fiscal_month_names(h.fiscal_year_start)[period - 1]
    out.setdefault(KPI, {})[f"{layout.kpi.letter('ytd')}{layout.kpi.title_row}"] = (
        f"Actuals run to period {period} ({month})")
    for area in layout.check_areas():
        for c in _zeros(area):
            out.setdefault(c.sheet, {})[c.ref] = 0
    for c in cells:
        out.setdefault(c.sheet, {})[c.ref] = c.cached(plan.plan.unit)
    return out


# ------------------------------------------------------------------------------------ sheets


def _periods(add, table, i, months, what):
    """The year, months, quarters and halves of one row, in whole units."""
    months = np.asarray(months, dtype=np.int64)
    add(table, "year", i, int(months.sum()), "units", f"{what} year")
    for m, key in enumerate(MONTHS):
        add(table, key, i, int(months[m]), "units", f"{what} {key}")
    for q, key in enumerate(QUARTERS):
        add(table, key, i, int(months[3 * q:3 * q + 3].sum()), "units", f"{what} {key}")
    if "h1" in table.columns:
        add(table, "h1", i, int(months[:6].sum()), "units", f"{what} h1")
        add(table, "h2", i, int(months[6:].sum()), "units", f"{what} h2")


def _targets(plan: Plan, lay: Layout, t, add) -> None:
    R, P = len(plan.regions), len(plan.products)
    stride = lay.capacity.products  # cube rows per region in the workbook
    _periods(add, lay.company, 0, t.cells.sum(axis=(0, 1)), "total")
    for i, region in enumerate(plan.regions):
        add(lay.region_targets, "name", i, region.name, "text", f"region {i} name")
        add(lay.region_targets, "label", i, fx.MARKET_WORDS[region.market], "text", f"region {i} market")
        _periods(add, lay.region_targets, i, t.cells[i].sum(axis=0), f"region {i}")
        for j, product in enumerate(plan.products):
            add(lay.cube, "name", i * stride + j, region.name, "text", f"cell {i},{j} region")
            add(lay.cube, "label", i * stride + j, product.name, "text", f"cell {i},{j} product")
            _periods(add, lay.cube, i * stride + j, t.cells[i, j], f"cell {i},{j}")
    for j, product in enumerate(plan.products):
        add(lay.product_targets, "name", j, product.name, "text", f"product {j} name")
        add(lay.product_targets, "label", j, fx.BCG_WORDS[product.bcg], "text", f"product {j} class")
        _periods(add, lay.product_targets, j, t.cells[:, j].sum(axis=0), f"product {j}")
    bcg = np.array([p.bcg for p in plan.products])
    for k, name in enumerate(BCG_CLASSES):
        _periods(add, lay.class_targets, k, t.cells[:, bcg == name].sum(axis=(0, 1)), f"class {name}")
    del R, P


def _quotas(plan: Plan, lay: Layout, add) -> None:
    base, chal, base_m, chal_m = quota_units(plan)
    for i, rep in enumerate(plan.reps):
        for table, months, what in ((lay.base_quotas, base_m[i], "base"), (lay.challenge_quotas, chal_m[i],
                                                                           "challenge")):
            add(table, "name", i, rep.name, "text", f"{what} quota {i} name")
            add(table, "label", i, rep.region, "text", f"{what} quota {i} region")
            _periods(add, table, i, months, f"{what} quota {i}")
        assert int(base_m[i].sum()) == int(base[i]) and int(chal_m[i].sum()) == int(chal[i])


def _commission(plan: Plan, lay: Layout, s: pd.DataFrame, add) -> None:
    st = lay.statement
    for i, row in s.iterrows():
        for key, col, kind in (("sales", "sales", "amount"), ("base", "base_quota", "money"),
                               ("challenge", "challenge_quota", "money"), ("band", "band", "int"),
                               ("commission", "commission", "money"), ("marginal", "commission_marginal", "money"),
                               ("retroactive", "commission_retroactive", "money"),
                               ("effective_rate", "effective_rate", "rate")):
            add(st, key, i, float(row[col]) if kind != "int" else int(row[col]), kind, f"rep {i} {col}")
        att = row["attainment"]
        add(st, "attainment", i, None if np.isnan(att) else float(att), "empty" if np.isnan(att) else "rate",
            f"rep {i} attainment")
        for k in range(len(plan.commission.tiers)):
            add(st, f"band_{k + 1}", i, float(row[f"band_{k + 1}"]), "money", f"rep {i} band_{k + 1}")


def _budget(lay: Layout, plan: Plan, b, add) -> None:
    it = lay.items
    n_items = len(plan.budget)
    for i, row in b.items.iterrows():
        pos = i if i < n_items else lay.capacity.budget  # the derived commission line
        # Budget amounts are the plan's as typed (not whole units); the derived commission line is.
        kind = "money" if i >= n_items else "amount"
        add(it, "cost", pos, float(row["cost"]), kind, f"item {i} cost")
        for key in MONTH_COLUMNS:
            add(it, key, pos, float(row[key]), kind, f"item {i} {key}")
    ret = {"revenue": b.revenue, "gross_profit": b.gross_profit, "commission_at_target": b.commission_at_target,
           "sales_cost": b.sales_cost, "shared_cost": b.shared_cost, "roi": b.roi,
           "cost_of_sales_ratio": b.cost_of_sales_ratio, "weighted_gross_margin": b.weighted_gross_margin,
           "break_even_revenue": b.break_even_revenue}
    money = {"revenue", "commission_at_target"}
    for key, value in ret.items():
        kind = "empty" if value is None else "money" if key in money else "amount"
        add(lay.returns, "value", RETURN_KEYS.index(key), value, kind, key)
    for i, row in b.by_region.iterrows():
        for key, col in (("revenue", "revenue"), ("gross_profit", "gross_profit"), ("item_cost", "item_cost"),
                         ("commission", "commission_at_target"), ("cost", "cost")):
            kind = "money" if key in ("revenue", "commission") else "amount"
            add(lay.budget_regions, key, i, float(row[col]), kind, f"region {i} {col}")
        roi = row["roi"]
        missing = roi is None or pd.isna(roi)
        add(lay.budget_regions, "roi", i, None if missing else float(roi), "empty" if missing else "rate",
            f"region {i} roi")
    ra = lay.reallocation
    if len(b.reallocation):
        row = b.reallocation.iloc[0]
        add(ra, "from_region", 0, row["from_region"], "text", "reallocation from")
        add(ra, "to_region", 0, row["to_region"], "text", "reallocation to")
        add(ra, "from_roi", 0, float(row["from_roi"]), "rate", "reallocation from roi")
        add(ra, "to_roi", 0, float(row["to_roi"]), "rate", "reallocation to roi")
        add(ra, "amount", 0, float(row["amount"]), "amount", "reallocation amount")
    else:
        for key in ("from_region", "to_region", "amount"):
            add(ra, key, 0, None, "empty", f"reallocation {key}")


def _metric_words(code: str) -> str:
    return code[:1].upper() + code[1:].replace("_", " ") if code else ""


def _kpis(lay: Layout, k: pd.DataFrame, add) -> None:
    t = lay.kpi
    for i, row in k.iterrows():
        add(t, "metric", i, _metric_words(row["metric"]), "text", f"kpi {i} metric")
        add(t, "direction", i, row["direction"], "text", f"kpi {i} direction")
        add(t, "target", i, float(row["target"]), "amount", f"kpi {i} target")
        add(t, "ytd", i, float(row["ytd_target"]), "amount", f"kpi {i} target to date")
        if row["status"] is None:
            for key in ("variance", "lag", "status"):
                add(t, key, i, None, "empty", f"kpi {i} {key}")
        else:
            add(t, "variance", i, float(row["variance"]), "amount", f"kpi {i} variance")
            add(t, "lag", i, float(row["lag"]), "rate", f"kpi {i} lag")
            add(t, "status", i, row["status"], "text", f"kpi {i} status")
    statuses = k["status"].tolist()
    for n, name in enumerate(("red", "amber", "green")):
        add(lay.kpi_counts, "count", n, statuses.count(name), "int", f"kpis {name}")
    add(lay.kpi_counts, "count", 3, statuses.count(None), "int", "kpis without an actual")


def _summary(plan: Plan, lay: Layout, t, b, k: pd.DataFrame, add) -> None:
    h, s = plan.plan, lay.summary
    statuses = k["status"].tolist()
    py = h.prior_year_revenue
    headline = {
        "company": (h.company, "text"),
        "year": (h.year, "int"),
        "total_target": (int(t.total), "units"),
        "growth": ((float(plan.total_target()) / py - 1, "rate") if py else (None, "empty")),
        "base_quotas": (int(np.sum(t.rep_base)), "units"),
        "challenge_quotas": (int(np.sum(t.rep_challenge)), "units"),
        "kpi_red": (statuses.count("red"), "int"),
        "kpi_amber": (statuses.count("amber"), "int"),
        "kpi_green": (statuses.count("green"), "int"),
        "checks": ("All checks pass", "text"),
    }
    if b is not None:
        headline.update({key: (getattr(b, key), "amount" if key != "roi" else "rate")
                         for key in ("sales_cost", "gross_profit", "roi", "cost_of_sales_ratio",
                                     "break_even_revenue")})
    for key, (value, kind) in headline.items():
        if value is None:
            kind = "empty"
        add(s, "value", SUMMARY_KEYS.index(key), value, kind, f"summary {key}")
    months = t.cells.sum(axis=(0, 1))
    q = lay.summary_quarters
    for i, value in enumerate([*(months[3 * n:3 * n + 3].sum() for n in range(4)), months[:6].sum(),
                               months[6:].sum()]):
        add(q, "value", i, int(value), "units", f"summary period {i}")
    if b is not None:
        sb = lay.summary_budget
        add(sb, "value", 0, b.sales_cost, "amount", "summary selling cost")
        add(sb, "value", 1, b.gross_profit, "amount", "summary gross profit")
        add(sb, "value", 2, b.roi, "empty" if b.roi is None else "rate", "summary return")
    # The largest regions (by size: a planned decline's regions are negative), ties to the
    # earlier region, then the rest summed.
    sr = lay.summary_regions
    order = sorted(range(len(plan.regions)), key=lambda i: (-abs(int(t.regions[i])), i))
    for k_, i in enumerate(order[:SUMMARY_REGIONS]):
        add(sr, "label", k_, plan.regions[i].name, "text", f"summary region {k_}")
        add(sr, "value", k_, int(t.regions[i]), "units", f"summary region {k_}")
    if len(order) > SUMMARY_REGIONS:
        rest = sum(int(t.regions[i]) for i in order[SUMMARY_REGIONS:])
        add(sr, "value", SUMMARY_REGIONS, rest, "units", "summary other regions")
    sc = lay.summary_classes
    bcg = np.array([p.bcg for p in plan.products])
    for n, name in enumerate(BCG_CLASSES):
        units = int(t.region_products[:, bcg == name].sum())
        add(sc, "value", n, units, "units", f"summary class {name}")
        add(sc, "share", n, units / int(t.total) if t.total else None, "rate" if t.total else "empty",
            f"summary class {name} share")
    sk = lay.summary_kpis
    for i, row in k.head(sk.rows).iterrows():
        add(sk, "metric", i, _metric_words(row["metric"]), "text", f"summary kpi {i}")
        add(sk, "target", i, float(row["ytd_target"]), "amount", f"summary kpi {i} target to date")
        if row["status"] is not None:
            add(sk, "actual", i, float(row["actual"]), "amount", f"summary kpi {i} actual")
            add(sk, "variance", i, float(row["variance"]), "amount", f"summary kpi {i} variance")
            add(sk, "status", i, row["status"], "text", f"summary kpi {i} status")
    g = lay.summary_goals
    for i, goal in enumerate(h.goals[:3]):
        add(g, "value", 3 * i, goal, "text", f"summary goal {i + 1}")


def _cover(plan: Plan, lay: Layout, add) -> None:
    h = plan.plan
    values = {"company": h.company, "year": h.year, "currency": h.currency, "version": h.version,
              "status": h.status, "template": f"{TEMPLATE_ID} v{TEMPLATE_VERSION}"}
    values.update({f"goal_{i + 1}": goal for i, goal in enumerate(h.goals[:3])})
    for i, key in enumerate(COVER_KEYS):
        value = values.get(key)
        if value not in (None, ""):
            add(lay.cover, "value", i, value, "int" if isinstance(value, int) else "text", f"cover {key}")


def _zeros(area: str) -> list[EngineCell]:
    """A check block's cells: each shows 0 on a plan the engine accepts."""
    from openpyxl.utils import get_column_letter, range_boundaries

    sheet, ref = area.rsplit("!", 1)
    c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
    sheet = sheet.strip("'")
    return [EngineCell(sheet, f"{get_column_letter(c)}{r}", 0, "int", f"check {sheet}!{get_column_letter(c)}{r}")
            for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


# ------------------------------------------------------------------------------ in the file

_FORMULA_CELL = re.compile(r'<c r="([A-Z]{1,3}[0-9]+)"([^>]*)>(<f>[^<]*</f>|<f [^>]*/>|<f [^>]*>[^<]*</f>)'
                           r'(?:<v ?/>|<v>[^<]*</v>)?</c>')


def store(xml: str, values: dict[str, Any]) -> str:
    """A worksheet part with ``values`` (cell reference -> value) as its formulas' cached values.

    Numbers are written as the shortest decimal that reads back as the same double (units as
    their exact decimal amount), texts as formula strings (``t="str"``). Cells not in
    ``values`` keep no cached value.
    """
    if not values:
        return xml

    def cached(m: re.Match) -> str:
        value = values.get(m.group(1))
        if value is None:
            return m.group(0)
        attrs = re.sub(r'\s+t="[^"]*"', "", m.group(2))
        if isinstance(value, str):
            return f'<c r="{m.group(1)}"{attrs} t="str">{m.group(3)}<v>{escape(value)}</v></c>'
        if isinstance(value, bool):
            return f'<c r="{m.group(1)}"{attrs} t="b">{m.group(3)}<v>{int(value)}</v></c>'
        number = format(value, "f") if isinstance(value, Decimal) else repr(float(value))
        if number.endswith(".0"):
            number = number[:-2]
        return f'<c r="{m.group(1)}"{attrs}>{m.group(3)}<v>{number}</v></c>'

    return _FORMULA_CELL.sub(cached, xml)
