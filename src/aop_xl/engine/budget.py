"""The budget of the sales plan and its return (domain.md section 5).

Rules this module adds where the domain is silent:

- **Commissions at target** is a derived line (category "commissions", kind "derived"):
  the commission each rep earns in the plan's mode when its sales equal its base quota,
  rounded to the unit as a company total and split exactly over the regions by their reps'
  share. Its monthly columns follow the plan's payout schedule: at each payout month the
  year-to-date true-up on the year-to-date base quota (seasonal) is paid. Budget items of
  category "commissions" (e.g. bonuses) are added on top of it.
- **Undefined ratios** are ``None`` (an empty "n/a" cell), never NaN or infinity: ROI with no
  cost, ratios of zero revenue, break-even revenue when the weighted gross margin is not
  positive (no revenue breaks even). In DataFrames they are ``<NA>`` (nullable Float64).
- **Gross profit** and **break-even revenue** are not rounded (analytic figures).
- **Reallocation**: see :func:`budget_summary`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aop_xl.engine.commission import commission
from aop_xl.engine.quota import quota_units
from aop_xl.engine.split import split_units
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError
from aop_xl.plan import Plan
from aop_xl.units import from_units, to_units

MONTH_COLUMNS = tuple(f"m{m:02d}" for m in range(1, 13))
PAYOUT_MONTHS = {"monthly": tuple(range(1, 13)), "quarterly": (3, 6, 9, 12), "annual": (12,)}
COMMISSION_LINE = "Commissions at target"


@dataclass(frozen=True, eq=False)
class BudgetSummary:
    """The budget, its return, per-region ROI and a reallocation suggestion.

    ``roi``, ``cost_of_sales_ratio``, ``weighted_gross_margin`` and ``break_even_revenue``
    are None where undefined (see the module docstring).
    """

    items: pd.DataFrame = field(repr=False)
    commission_at_target: float
    sales_cost: float
    shared_cost: float
    revenue: float
    gross_profit: float
    roi: float | None
    cost_of_sales_ratio: float | None
    weighted_gross_margin: float | None
    break_even_revenue: float | None
    by_region: pd.DataFrame = field(repr=False)
    reallocation: pd.DataFrame = field(repr=False)


def roi(revenue: float, gross_margin: float, cost: float) -> float | None:
    """Return on a sales budget: (revenue x gross margin - cost) / cost, as a fraction.

    Args:
        revenue: target revenue (of the plan or a region).
        gross_margin: the (weighted) gross margin, a fraction; pass 1 with a gross profit
            as ``revenue``.
        cost: the sales cost, >= 0.

    Returns:
        The ROI (3.0 = 300%), or None when the cost is 0 (undefined, shown as an empty cell).

    Raises:
        PlanError: a negative or non-finite cost, non-finite revenue or margin.

    Examples:
        >>> roi(24_000_000, 0.468, 1_689_000) > 5.65, roi(1_000, 0.5, 0)
        (True, None)
    """
    for name, value in (("revenue", revenue), ("gross_margin", gross_margin), ("cost", cost)):
        if not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
            raise PlanError(f"{name}: must be a finite number, got {value!r}")
    if cost < 0:
        raise PlanError(f"cost: must be >= 0, got {cost:g}")
    return _ratio(revenue * gross_margin - cost, cost)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den != 0 else None


def _rep_commission_units(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    # Per rep: (commission at target, unrounded; cumulative payout by month, unrounded).
    base, chal, base_m, _ = quota_units(plan)
    n = len(plan.reps)
    if n == 0:
        return np.zeros(0), np.zeros((0, 12))
    unit, c = plan.plan.unit, plan.commission
    kw = dict(tiers=c.tiers, mode=c.mode, cap=c.cap, min_attainment=c.min_attainment, floor_basis=c.floor_basis)
    # A rep without a quota sells nothing at target and earns nothing.
    has = base > 0
    b, ch = from_units(base, unit), from_units(chal, unit)
    safe_b = np.where(has, b, 1.0)
    safe_c = np.where(has, ch, 1.0 + plan.plan.challenge_uplift)
    ytd = from_units(np.cumsum(base_m, axis=1), unit)
    running = np.where(has[:, None], commission(ytd, safe_b[:, None], safe_c[:, None], **kw), 0.0)
    months = np.arange(1, 13)
    pay = np.isin(months, PAYOUT_MONTHS[c.payout])
    last_payout = np.maximum.accumulate(np.where(pay, months - 1, -1))
    paid = np.where(last_payout >= 0, running[:, np.maximum(last_payout, 0)], 0.0)
    return running[:, -1], paid


def _items_frame(plan: Plan) -> pd.DataFrame:
    b = plan.budget
    amount = np.array([i.amount for i in b], dtype=float)
    start = np.array([i.start_month for i in b], dtype=int)
    active = np.array([i.months_active for i in b], dtype=int)
    months = np.arange(1, 13)
    on = (months[None, :] >= start[:, None]) & (months[None, :] < (start + active)[:, None])
    frame = pd.DataFrame(
        {
            "item": [i.item for i in b],
            "category": [i.category for i in b],
            "kind": [i.kind for i in b],
            "region": pd.Series([i.region for i in b], dtype=object),
            "amount": amount,
            "months_active": pd.array(active, dtype="Int64"),
            "cost": np.array([i.cost for i in b], dtype=float),
        }
    )
    monthly = pd.DataFrame(np.where(on, amount[:, None], 0.0).reshape(len(b), 12), columns=list(MONTH_COLUMNS))
    return pd.concat([frame, monthly], axis=1)


def _reallocation(by_region: pd.DataFrame, share: float, pairs: int, unit: float) -> pd.DataFrame:
    cols = ["from_region", "from_roi", "to_region", "to_roi", "amount"]
    ranked = by_region[by_region["roi"].notna()].sort_values("roi", kind="stable")
    rows = []
    for k in range(min(pairs, len(ranked) // 2)):
        low, high = ranked.iloc[k], ranked.iloc[-1 - k]
        amount = from_units(to_units(share * low["item_cost"], unit, round_half=True), unit)
        if low["roi"] < high["roi"] and amount > 0:
            rows.append([low["region"], float(low["roi"]), high["region"], float(high["roi"]), amount])
    return pd.DataFrame(rows, columns=cols).astype({"from_roi": float, "to_roi": float, "amount": float})


def budget_summary(plan: Plan, *, reallocation_share: float = 0.10, reallocation_pairs: int = 1) -> BudgetSummary:
    """Sales cost, gross profit, ROI and break-even of the plan, overall and per region.

    Args:
        plan: a validated plan.
        reallocation_share: the share of a donor region's own (region-assigned) budget items
            suggested for moving; commission is never moved, it follows sales.
        reallocation_pairs: how many donor -> receiver pairs to suggest.

    Returns:
        A :class:`BudgetSummary`. ``items`` has one row per budget item plus the derived
        "Commissions at target" line, with ``m01``..``m12`` (fiscal months) adding up to
        ``cost``. ``by_region``: region, revenue (its target), gross_profit, item_cost (items
        assigned to it), commission_at_target (its reps), cost, roi; items without a region
        are left out and reported as ``shared_cost``. ``reallocation``: regions with a
        defined ROI are ranked; the k-th lowest gives ``reallocation_share`` of its item
        cost (rounded to the unit) to the k-th highest, for k = 1..``reallocation_pairs``,
        while the donor's ROI is strictly lower; pairs that would move nothing are omitted.
        Columns from_region, from_roi, to_region, to_roi, amount.

    Raises:
        PlanError: reallocation_share outside [0, 1] or reallocation_pairs < 0.

    Examples:
        >>> from aop_xl import load_plan
        >>> b = budget_summary(load_plan())
        >>> b.commission_at_target, b.sales_cost, round(b.roi, 4)
        (240000.0, 1689000.0, 5.6501)
        >>> b.reallocation[["from_region", "to_region", "amount"]].values.tolist()
        [['Central', 'East', 12000.0]]
    """
    if not (isinstance(reallocation_share, (int, float)) and 0 <= reallocation_share <= 1):
        raise PlanError(f"reallocation_share: must be between 0 and 1, got {reallocation_share!r}")
    if not isinstance(reallocation_pairs, int) or reallocation_pairs < 0:
        raise PlanError(f"reallocation_pairs: must be a whole number >= 0, got {reallocation_pairs!r}")
    unit = plan.plan.unit
    regions = plan.region_names
    t = target_units(plan)
    region_revenue = from_units(t.regions, unit)
    margins = np.array([p.gross_margin for p in plan.products])
    region_gp = (np.asarray(from_units(t.region_products, unit)).reshape(len(regions), -1) * margins).sum(axis=1)

    at_target, paid = _rep_commission_units(plan)
    total_units = int(to_units(math.fsum(at_target), unit, round_half=True))
    rep_region = np.array([regions.index(r.region) for r in plan.reps], dtype=int)
    per_region = np.bincount(rep_region, weights=at_target, minlength=len(regions))
    # The weights are the regions' commissions at target in whole units (derived weights).
    weights = np.asarray(to_units(per_region, unit, round_half=True), dtype=float).reshape(-1)
    if not weights.any():
        # Every region's commission is under half a unit (so the total has fewer units than
        # there are regions): the regions with any commission weigh 1 each.
        weights = (per_region > 0).astype(float)
    region_comm = from_units(split_units(total_units, weights, derived=[True] * len(regions))
                             if total_units else np.zeros(len(regions), int), unit)
    paid_units = np.asarray(to_units(paid.sum(axis=0), unit, round_half=True)).reshape(12)
    paid_units[-1] = total_units
    monthly_comm = from_units(np.diff(paid_units, prepend=0), unit)
    commission_at_target = from_units(total_units, unit)

    items = _items_frame(plan)
    line = {"item": COMMISSION_LINE, "category": "commissions", "kind": "derived", "region": None}
    line.update(amount=commission_at_target, months_active=pd.NA, cost=commission_at_target)
    line.update(dict(zip(MONTH_COLUMNS, monthly_comm)))
    items = pd.concat([items, pd.DataFrame([line])], ignore_index=True) if len(items) else pd.DataFrame([line])
    items["months_active"] = items["months_active"].astype("Int64")

    assigned = items["region"].notna() & (items["kind"] != "derived")
    item_cost = items[assigned].groupby("region")["cost"].sum().reindex(regions, fill_value=0.0).to_numpy()
    shared_cost = float(items.loc[~assigned & (items["kind"] != "derived"), "cost"].sum())
    sales_cost = float(items["cost"].sum())
    cost = item_cost + region_comm
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost != 0, (region_gp - cost) / cost, np.nan)
    by_region = pd.DataFrame(
        {
            "region": regions,
            "revenue": region_revenue,
            "gross_profit": region_gp,
            "item_cost": item_cost,
            "commission_at_target": region_comm,
            "cost": cost,
            "roi": pd.array(roi, dtype="Float64"),
        }
    )
    by_region["roi"] = by_region["roi"].where(cost != 0, pd.NA)

    revenue = float(plan.total_target())
    gross_profit = float(region_gp.sum())
    wgm = _ratio(gross_profit, revenue)
    return BudgetSummary(
        items=items,
        commission_at_target=commission_at_target,
        sales_cost=sales_cost,
        shared_cost=shared_cost,
        revenue=revenue,
        gross_profit=gross_profit,
        roi=_ratio(gross_profit - sales_cost, sales_cost),
        cost_of_sales_ratio=_ratio(sales_cost, revenue),
        weighted_gross_margin=wgm,
        break_even_revenue=sales_cost / wgm if wgm is not None and wgm > 0 else None,
        by_region=by_region,
        reallocation=_reallocation(by_region, reallocation_share, reallocation_pairs, unit),
    )
