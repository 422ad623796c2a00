"""The engine's numbers for the Actuals and In-year sheets' formulas, stored as cached values.

A workbook built by aop_xl carries each formula's value (:mod:`aop_xl.workbook.engine_values`),
so that a reader that does not calculate (pandas, python-calamine, a file preview) sees the
numbers. A load of actuals stores the same for its own sheets: :func:`in_year_values` gives,
cell by cell, what the engine computes for every formula of the Actuals and In-year sheets
(:mod:`aop_xl.workbook.sheets.inyear`), rule for rule as the formula; the tests compare them
with LibreOffice's recalculation. A blank result is stored as empty text, as the formula
gives it.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from aop_xl.engine.commission import PAYOUT_MONTHS, inyear_statements, rep_year
from aop_xl.engine.kpi import (KPI_CATALOGUE, catalogue_metric, company_ytd_target, deal_kpis, months_by,
                               rep_month_sales)
from aop_xl.plan import Plan
from aop_xl.units import from_units
from aop_xl.workbook.layout import (ACTUALS, IN_YEAR, IN_YEAR_DIMENSIONS, MONTHS, MOVERS, WORKBOOK_MOVES,
                                    InYearLayout, Table)
from aop_xl.workbook.reports import band_floors

#: What a floor of an unused band shows (``formulas.BIG``).
BIG = 1e300


def _v(x: Any) -> Any:
    # A value as the formula shows it: "" for no number, plain Python numbers.
    if x is None:
        return ""
    if isinstance(x, (float, np.floating)):
        return "" if math.isnan(float(x)) else float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def in_year_values(plan: Plan, iy: InYearLayout, places_reps: int, lines: pd.DataFrame, deals: pd.DataFrame,
                   as_of: int, numbers, payments: dict, customers: list[str], capacity_tiers: int,
                   changes: list[dict]) -> dict[str, dict[str, Any]]:
    """Sheet -> cell -> the engine's value of the formula there.

    Args:
        plan: the plan with the reps' changes.
        iy: the in-year layout.
        places_reps: reps of the plan.
        lines: the loaded lines; deals: the same as the engine's deal table.
        as_of: the as-of period.
        numbers: :class:`aop_xl.cycle.inyear.YearNumbers` of the deals to ``as_of``.
        payments: payments recorded as made (rep -> {period end month: amount}).
        customers: the customers block's names, in order.
        capacity_tiers: the tier columns of the workbook.
        changes: the reps' changes as written on the Actuals sheet (plan order).
    """
    out: dict[str, dict[str, Any]] = {ACTUALS: {}, IN_YEAR: {}}
    act, iny = out[ACTUALS], out[IN_YEAR]
    h = plan.plan
    n = len(plan.reps)
    y = rep_year(plan)
    unit = h.unit
    rc = iy.rep_changes
    for k, rep in enumerate(plan.reps):
        act[rc.cell("rep", k)] = rep.name
        act[iy.payments.cell("rep", k)] = rep.name
        act[rc.cell("first", k)] = int(np.argmax(y.covered[k])) + 1 if y.covered[k].any() else 1
        covered = np.flatnonzero(y.covered[k])
        act[rc.cell("last", k)] = int(covered[-1]) + 1 if len(covered) else 12
        moves = changes[k].get("moves", []) if k < len(changes) else []
        for m in range(1, WORKBOOK_MOVES + 1):
            act[rc.cell(f"move{m}", k)] = h.month_period(moves[m - 1][0]) if m <= len(moves) else 99
    hd = iy.header
    for m, key in enumerate(MONTHS):
        iny[hd.cell(key, 1)] = h.period_month(m + 1)
        if n:
            for t in iy.grids.values():
                iny[f"{t.letter(key)}{t.header_row}"] = h.period_month(m + 1)
    iny[hd.cell("year", 1)] = as_of
    step = PAYOUT_MONTHS[plan.commission.payout]
    iny[iy.rules.cell("value", 3)] = step
    if n:
        _reps(iny, plan, iy, y, deals, as_of, numbers, payments, capacity_tiers, step)
    _performance(iny, plan, iy, deals, as_of, numbers)
    _movers(iny, iy, numbers)
    _catalogue(iny, plan, iy, deals, as_of)
    _kpis(iny, plan, iy, numbers)
    _customers(iny, iy, lines, deals, as_of, numbers, customers, unit)
    return out


def _reps(iny, plan: Plan, iy: InYearLayout, y, deals, as_of: int, numbers, payments, tiers: int, step: int) -> None:
    g = iy.grids
    unit = plan.plan.unit
    n = len(plan.reps)
    sales = rep_month_sales(plan, deals)
    base = np.asarray(from_units(y.base_months, unit), dtype=float).reshape(n, 12)
    chal = np.asarray(from_units(y.challenge_months, unit), dtype=float).reshape(n, 12)
    draw = np.asarray(from_units(y.draw_months, unit), dtype=float).reshape(n, 12)
    monthly = plan.model_copy(update={"commission": plan.commission.model_copy(update={"payout": "monthly"})})
    by_month = inyear_statements(monthly, sales, 12)
    names = plan.region_names
    for k, rep in enumerate(plan.reps):
        mine = by_month[by_month["rep"] == rep.name]
        earned = mine["ytd_commission"].to_numpy()
        guarantee = np.cumsum(draw[k])
        due = np.maximum(earned, guarantee)
        ytd = np.round(np.cumsum(sales[k]), 6)
        made = payments.get(rep.name, {})
        paid = np.zeros(12)
        payment = np.zeros(12)
        before = 0.0
        for m in range(12):
            if (m + 1) % step == 0:
                paid[m] = before + made[m + 1] if (m + 1) in made else due[m]
                payment[m] = paid[m] - before
            else:
                paid[m] = before
            before = paid[m]
        rows = {"region": [names[r] for r in y.region[k]], "base": base[k], "challenge": chal[k], "sales": sales[k],
                "ytd_sales": ytd, "ytd_commission": earned, "guarantee": guarantee, "due": due, "paid": paid,
                "payment": payment}
        for key, values in rows.items():
            t = g[key]
            iny[t.cell("rep", k)] = rep.name
            for m, mk in enumerate(MONTHS):
                iny[t.cell(mk, k)] = _v(values[m])
        a = as_of - 1
        years = {"region": names[y.region[k, a]], "base": base[k].sum(), "challenge": chal[k].sum(),
                 "sales": round(float(sales[k, :as_of].sum()), 6), "ytd_sales": ytd[a], "ytd_commission": earned[a],
                 "guarantee": guarantee[a], "due": due[a], "paid": paid[a], "payment": payment[:as_of].sum()}
        for key, value in years.items():
            iny[g[key].cell("year", k)] = _v(value)
        f = iy.floors
        iny[f.cell("rep", k)] = rep.name
        floors = band_floors(plan, float(base[k].sum()), float(chal[k].sum()))
        for j in range(tiers):
            iny[f.cell(f"floor_{j + 1}", k)] = round(floors[j], 9) if j < len(floors) else BIG
        iny[f.cell(f"floor_{tiers + 1}", k)] = BIG
    st = iy.statement
    now = numbers.statements[numbers.statements["end"] == as_of].reset_index(drop=True)
    keys = {"rep": "rep", "region": "region", "period": "period", "ytd_sales": "ytd_sales",
            "ytd_quota": "ytd_base_quota", "base": "base_quota", "challenge": "challenge_quota",
            "attainment": "attainment", "ytd_attainment": "ytd_attainment", "band": "band",
            "marginal": "commission_marginal", "retroactive": "commission_retroactive",
            "ytd_commission": "ytd_commission", "guarantee": "guarantee", "paid_to_date": "paid_to_date",
            "paid_before": "paid_before", "payment": "payment", "draw_balance": "draw_balance"}
    for i, row in now.iterrows():
        for key, col in keys.items():
            iny[st.cell(key, i)] = _v(row[col])
        iny[st.cell("closed", i)] = "closed" if row["closed"] else "open"
    total = st.last_row + 1
    for key in ("ytd_sales", "ytd_commission", "payment", "draw_balance"):
        iny[f"{st.letter(key)}{total}"] = float(now[key].sum())


def _performance(iny, plan: Plan, iy: InYearLayout, deals, as_of: int, numbers) -> None:
    review = numbers.review
    sizes = {}
    abs_values = {}
    for dim, _ in IN_YEAR_DIMENSIONS:
        t = iy.performance[dim]
        rows = review[review["dimension"] == dim].reset_index(drop=True)
        names, actual, target, prior = months_by(plan, deals, dim)
        sizes[dim] = len(names)
        keys = {"member": "member", "month_actual": "month_actual", "month_target": "month_target",
                "qtd_actual": "qtd_actual", "qtd_target": "qtd_target", "ytd_actual": "ytd_actual",
                "ytd_target": "ytd_target", "variance": "variance", "share": "share_of_variance",
                "attainment": "attainment", "lag": "lag", "status": "status", "py_ytd": "py_ytd_actual",
                "growth": "growth"}
        for i, row in rows.iterrows():
            for key, col in keys.items():
                iny[t.cell(key, i)] = _v(row[col])
            for m, mk in enumerate(MONTHS):
                iny[t.cell(f"a_{mk}", i)] = _v(actual[i, m])
                iny[t.cell(f"t_{mk}", i)] = _v(target[i, m])
                iny[t.cell(f"p_{mk}", i)] = _v(prior[i, m])
            iny[t.cell("abs", i)] = abs(float(row["variance"]))
        abs_values[dim] = [abs(float(v)) for v in rows["variance"]]
    # Ranks of the largest movers, as the formula counts them.
    order = ["region", "team", "product"]
    for b, dim in enumerate(order):
        t = iy.performance[dim]
        for k, x in enumerate(abs_values[dim]):
            larger = sum(v > x for d in order for v in abs_values[d])
            earlier = sum(v == x for d in order[:b] for v in abs_values[d]) + sum(v == x for v in abs_values[dim][:k])
            iny[t.cell("rank", k)] = larger + earlier + 1


def _movers(iny, iy: InYearLayout, numbers) -> None:
    mv = iy.movers
    movers = numbers.movers.reset_index(drop=True)
    for k in range(MOVERS):
        if k < len(movers):
            row = movers.iloc[k]
            iny[mv.cell("dimension", k)] = row["dimension"]
            iny[mv.cell("member", k)] = row["member"]
            iny[mv.cell("variance", k)] = float(row["variance"])
        else:
            for key in ("dimension", "member", "variance"):
                iny[mv.cell(key, k)] = ""


def summary_mover_values(sm: Table, numbers) -> dict[str, Any]:
    """The Summary's largest movers block (``sm``): cell -> value, the In-year movers' own
    (:func:`_movers`), the rank as its number."""
    out: dict[str, Any] = {}
    movers = numbers.movers.reset_index(drop=True)
    for k in range(sm.rows):
        out[sm.cell("rank", k)] = k + 1
        for key in ("dimension", "member", "variance"):
            if k >= len(movers):
                out[sm.cell(key, k)] = ""
            else:
                value = movers.iloc[k][key]
                out[sm.cell(key, k)] = float(value) if key == "variance" else value
    return out


def _catalogue(iny, plan: Plan, iy: InYearLayout, deals, as_of: int) -> None:
    cat = iy.catalogue
    values = deal_kpis(deals, as_of)
    target = round(company_ytd_target(plan, as_of), 6)
    values["attainment"] = values["revenue"] / target if target > 0 else float("nan")
    for k, name in enumerate(KPI_CATALOGUE):
        iny[cat.cell("value", k)] = _v(values[name])
    iny[f"{cat.letter('value')}{cat.last_row + 1}"] = target


def _kpis(iny, plan: Plan, iy: InYearLayout, numbers) -> None:
    t = iy.kpis
    for i, row in numbers.kpis.reset_index(drop=True).iterrows():
        metric = str(row["metric"])
        name = catalogue_metric(metric) or ""
        iny[t.cell("metric", i)] = metric
        iny[t.cell("key", i)] = re.sub(" +", " ", metric.strip(" ")).lower()  # LOWER(TRIM(...))
        iny[t.cell("name", i)] = name
        iny[t.cell("kind", i)] = KPI_CATALOGUE[name][0] if name else ""
        iny[t.cell("direction", i)] = row["direction"]
        iny[t.cell("target", i)] = float(row["target"])
        iny[t.cell("ytd_target", i)] = float(row["ytd_target"])
        for key in ("actual", "variance", "lag", "status"):
            iny[t.cell(key, i)] = _v(row[key])


def _customers(iny, iy: InYearLayout, lines: pd.DataFrame, deals: pd.DataFrame, as_of: int, numbers,
               customers: list[str], unit: float) -> None:
    t = iy.customers
    health = numbers.customers.set_index("customer")
    d = deals
    cy = d[(d["fy"] == 0) & (d["period"] <= as_of)]
    trailing = pd.concat([d[(d["fy"] == -1) & (d["period"] > as_of)], cy]).groupby("customer")["amount"].sum()
    gross = cy[cy["amount"] > 0].groupby("customer")["amount"].sum()
    orders = cy[cy["order"] == 1]
    flagged = orders[orders["complaint"].notna()].groupby("customer").size()
    complaints = orders.groupby("customer")["complaint"].sum(min_count=1)
    nps_count = cy[cy["nps"].notna()].groupby("customer").size()
    for k, name in enumerate(customers):
        h = health.loc[name] if name in health.index else None
        values = {
            "customer": name,
            "py_revenue": h["py_revenue"] if h is not None else 0.0,
            "trailing": round(float(trailing.get(name, 0.0)), 6),
            "ytd_revenue": h["ytd_revenue"] if h is not None else 0.0,
            "orders": int(h["orders"]) if h is not None else 0,
            "gross": round(float(gross.get(name, 0.0)), 6),
            "order_value": h["order_value"] if h is not None else 0.0,
            "frequency": h["frequency"] if h is not None else 0.0,
            "value_ratio": h["order_value_ratio"] if h is not None else 0.0,
            "flagged": int(flagged.get(name, 0)),
            "complaints": float(np.nan_to_num(complaints.get(name, 0.0))),
            "complaint_rate": h["complaint_rate"] if h is not None else np.nan,
            "nps_count": int(nps_count.get(name, 0)),
            "nps": h["nps"] if h is not None else np.nan,
            "score": h["score"] if h is not None else 0.0,
            "tier": h["tier"] if h is not None else "at_risk",
            "action": h["action"] if h is not None else "",
        }
        for key, value in values.items():
            if key != "customer":
                iny[t.cell(key, k)] = _v(value)

