"""The engine's results of a plan as text and as plain data (for the CLI and JSON output)."""

from __future__ import annotations

import math
from typing import Any

from aop_xl.engine.quota import annual_quotas
from aop_xl.engine.targets import plan_targets
from aop_xl.plan import Plan
from aop_xl.units import round_to_unit


def _money(x: float, plan: Plan) -> str:
    decimals = max(0, -int(math.floor(math.log10(plan.plan.unit) + 1e-9)))
    return f"{x:,.{decimals}f}"


def _totals(cube, by: str, unit: float) -> dict[str, float]:
    # Summing floats of cents leaves representation noise; the totals are whole units.
    sums = cube.groupby(by, observed=True, sort=False)["target"].sum()
    return {str(k): round_to_unit(float(v), unit) for k, v in sums.items()}


def plan_results(plan: Plan) -> dict[str, Any]:
    """Everything the engine computes for a plan, as JSON-ready data."""
    from aop_xl.engine.budget import budget_summary
    from aop_xl.engine.kpi import kpi_status

    cube = plan_targets(plan)
    budget = budget_summary(plan)
    h = plan.plan
    region_cube = cube.groupby(["region", "product", "month"], observed=True, sort=False)["target"].sum()
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
        "total_target": float(plan.total_target()),
        "regions": _totals(cube, "region", h.unit),
        "products": _totals(cube, "product", h.unit),
        "quarters": _totals(cube, "quarter", h.unit),
        "months": _totals(cube, "month_name", h.unit),
        "targets": [
            {"region": r, "product": p, "month": int(m), "target": round_to_unit(float(v), h.unit)}
            for (r, p, m), v in region_cube.items()
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
    cube = plan_targets(plan)
    total = plan.total_target()
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

    block("By region", _totals(cube, "region", h.unit))
    block("By product", _totals(cube, "product", h.unit))
    block("By quarter", _totals(cube, "quarter", h.unit))
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
