"""The engine's results of a plan as text and as plain data (for the CLI and JSON output)."""

from __future__ import annotations

import math
from typing import Any

from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.quota import annual_quotas
from aop_xl.engine.targets import target_units
from aop_xl.plan import Plan
from aop_xl.units import from_units


def _money(x: float, plan: Plan) -> str:
    decimals = max(0, -int(math.floor(math.log10(plan.plan.unit) + 1e-9)))
    return f"{x:,.{decimals}f}"


def _named(names, units, unit: float) -> dict[str, float]:
    # Totals come from the engine's whole units, never from sums of float amounts.
    return {str(k): float(from_units(int(v), unit)) for k, v in zip(names, units)}


def _margins(plan: Plan) -> dict[str, dict[str, float]]:
    t = target_units(plan)
    u = plan.plan.unit
    return {
        "regions": _named(plan.region_names, t.regions, u),
        "products": _named(plan.product_names, t.products, u),
        "quarters": _named(("Q1", "Q2", "Q3", "Q4"), t.quarters, u),
        "months": _named(fiscal_month_names(plan.plan.fiscal_year_start), t.months, u),
    }


def plan_results(plan: Plan) -> dict[str, Any]:
    """Everything the engine computes for a plan, as JSON-ready data."""
    from aop_xl.engine.budget import budget_summary
    from aop_xl.engine.kpi import kpi_status

    t = target_units(plan)
    budget = budget_summary(plan)
    h = plan.plan
    cells = from_units(t.cells, h.unit)
    margins = _margins(plan)
    return {
        "plan": {
            "company": h.company,
            "year": h.year,
            "currency": h.currency,
            "unit": h.unit,
            "version": h.version,
            "status": h.status,
            "goals": list(h.goals),
        },
        "total_target": float(from_units(t.total, h.unit)),
        **margins,
        "largest_share_deviation_units": round(t.deviation, 6),
        "targets": [
            {"region": r, "product": p, "month": m + 1, "target": float(cells[i, j, m])}
            for i, r in enumerate(plan.region_names)
            for j, p in enumerate(plan.product_names)
            for m in range(12)
        ],
        "quotas": annual_quotas(plan).to_dict(orient="records"),
        "budget": {
            "sales_cost": budget.sales_cost,
            "commission_at_target": budget.commission_at_target,
            "gross_profit": budget.gross_profit,
            "roi": budget.roi,
            "cost_of_sales_ratio": budget.cost_of_sales_ratio,
            "break_even_revenue": budget.break_even_revenue,
        },
        "kpis": kpi_status(plan).astype(object).where(lambda f: f.notna(), None).to_dict(orient="records"),
    }


def plan_summary_text(plan: Plan) -> str:
    """A readable summary: totals by region, product and quarter, quotas, budget and ROI."""
    from aop_xl.engine.budget import budget_summary

    h = plan.plan
    t = target_units(plan)
    total = float(from_units(t.total, h.unit))
    margins = _margins(plan)
    lines = [
        f"{h.company} - annual operating plan {h.year} (version {h.version}, {h.status})",
        f"Total target: {h.currency} {_money(total, plan)}",
        "",
    ]

    def block(title: str, totals: dict[str, float]) -> None:
        width = max(len(k) for k in totals)
        lines.append(title)
        for name, value in totals.items():
            share = value / total if total else 0.0
            lines.append(f"  {name:<{width}}  {_money(value, plan):>18}  {share:6.1%}")
        lines.append("")

    block("By region", margins["regions"])
    block("By product", margins["products"])
    block("By quarter", margins["quarters"])
    lines += [f"Largest distance of a table cell from its exact share: {t.deviation:.2f} units", ""]
    if plan.reps:
        q = annual_quotas(plan)
        width = max(len(n) for n in q["rep"])
        lines.append("Quotas (base / challenge)")
        for row in q.itertuples():
            lines.append(
                f"  {row.rep:<{width}}  {row.region:<12} {_money(row.base_quota, plan):>16}"
                f"  {_money(row.challenge_quota, plan):>16}"
            )
        lines.append("")
    b = budget_summary(plan)
    lines += [
        "Budget",
        f"  Sales cost          {h.currency} {_money(b.sales_cost, plan)}",
        f"  Gross profit        {h.currency} {_money(b.gross_profit, plan)}",
        f"  ROI                 {b.roi:.1%}" if b.roi is not None else "  ROI                 n/a (no sales cost)",
        f"  Cost of sales       {b.cost_of_sales_ratio:.2%}" if b.cost_of_sales_ratio is not None else "",
        f"  Break-even revenue  {h.currency} {_money(b.break_even_revenue, plan)}"
        if b.break_even_revenue is not None
        else "",
    ]
    return "\n".join(line for line in lines).rstrip() + "\n"
