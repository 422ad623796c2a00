"""The target cube, margins first: time x region x product (x rep), exact at every level.

Every margin a reader sees is the plan's own split of its parent (docs/engine.md, "The
target cube"): regions split the company total, company quarters split the total and
months each quarter, products split their region (own mix) or the global regions' total;
the tables between margins (region x month, product x month and rep x month per region,
the global region x product table, the rep x product table per region and month) are
filled by running-total rounding, so they add up to both margins exactly.

Everything is computed on magnitudes ("sign space"); a planned decline multiplies back by -1.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aop_xl.engine.calendar import fiscal_month_names, quarter_of
from aop_xl.engine.exact import apportion, integer_weights, running_rounding, share_deviation
from aop_xl.engine.split import split_units
from aop_xl.errors import PlanError
from aop_xl.plan import Plan
from aop_xl.units import check_units, from_units, grow_units, growth_target, to_units

@dataclass(frozen=True)
class TargetUnits:
    """The cube and its margins in whole units of the plan's unit (signed)."""

    total: int
    sign: int
    quarters: np.ndarray  # (4,)
    months: np.ndarray  # (12,)
    regions: np.ndarray  # (R,)
    region_months: np.ndarray  # (R, 12)
    region_products: np.ndarray  # (R, P)
    cells: np.ndarray  # (R, P, 12)
    rep_base: np.ndarray  # (N,)
    rep_base_months: np.ndarray  # (N, 12)
    rep_challenge: np.ndarray  # (N,)
    rep_challenge_months: np.ndarray  # (N, 12)
    deviation: float  # largest distance of a table cell from its exact share, in units

    @property
    def products(self) -> np.ndarray:
        """Company product totals (P,)."""
        return self.region_products.sum(axis=0)


def total_units(plan: Plan) -> tuple[int, int]:
    """The company target in whole units, and its sign (+1, or -1 for a planned decline).

    Given, or the growth target of the plan's prior-year revenue, or the sum of the regions'
    fixed and growth targets (docs/plan-format.md), as :meth:`Plan.total_target` says.
    """
    n = to_units(plan.total_target(), plan.plan.unit, field="plan.total_target")
    check_units(n, "plan.total_target")
    return n, (-1 if n < 0 else 1)


def member_weights(plan: Plan, kind: str) -> tuple[list[float], list[bool]]:
    """Effective weights of the regions or products, and which are derived.

    A member's ``weight``, else its growth target (prior-year revenue x (1 + growth)) in
    whole units of the plan, halves away from zero; 0 when it has neither.
    """
    members = plan.regions if kind == "regions" else plan.products
    defaults = plan.growth_defaults.market if kind == "regions" else plan.growth_defaults.bcg
    unit = plan.plan.unit
    values, derived = [], []
    for i, m in enumerate(members):
        if m.weight is not None:
            values.append(float(m.weight))
            derived.append(False)
        elif m.prior_year_revenue is not None:
            cls = m.market if kind == "regions" else m.bcg
            growth = m.growth if m.growth is not None else defaults[cls]
            values.append(float(growth_target(m.prior_year_revenue, growth, unit, f"{kind}[{i}].prior_year_revenue")))
            derived.append(True)
        else:
            values.append(0.0)
            derived.append(False)
    return values, derived


def month_weights(plan: Plan) -> np.ndarray:
    """The 12 whole-number month weights of the seasonality (a quarter's weight on each month)."""
    field = "seasonality.months" if plan.seasonality.months is not None else "seasonality.quarters"
    return integer_weights(plan.seasonality.month_weights(), field=field)


def product_weights(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Whole-number product weights per region (R, P): its own mix, else the global weights;
    and which regions use the global weights."""
    values, derived = member_weights(plan, "products")
    uses_global = np.array([r.product_mix is None for r in plan.regions])
    glob = (integer_weights(values, derived=derived, names=plan.product_names, field="products")
            if uses_global.any() else np.zeros(len(plan.products), np.int64))
    rows = []
    for i, r in enumerate(plan.regions):
        if r.product_mix is None:
            rows.append(glob)
        else:
            rows.append(integer_weights([r.product_mix.get(p, 0.0) for p in plan.product_names],
                                        names=plan.product_names, field=f"regions[{i}].product_mix"))
    return np.array(rows, dtype=np.int64).reshape(len(plan.regions), len(plan.products)), uses_global


def company_months(n: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Quarters first: each total split by the quarter weights, then each quarter by its months.

    Args:
        n: totals (k,) in whole units.
        weights: the 12 whole-number month weights.

    Returns:
        (k, 12) months.
    """
    n = np.atleast_1d(np.asarray(n, dtype=np.int64))
    w = np.asarray(weights, dtype=np.int64).reshape(4, 3)
    quarters = apportion(n, w.sum(axis=1))
    months = [apportion(quarters[:, q], w[q]) for q in range(4)]
    return np.concatenate(months, axis=1)


def challenge_units(base_units, uplift: float) -> np.ndarray:
    """Challenge quota in units: base x (1 + uplift), halves away from zero, exactly.

    Examples:
        >>> challenge_units([10, 1_000_000, -10], 0.15).tolist()
        [12, 1150000, -12]
    """
    return grow_units(base_units, uplift)


def _by_region(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    # Rep positions padded per region: (R, max reps) with -1 for padding, and the region of each rep.
    region_of = np.array([plan.region_names.index(r.region) for r in plan.reps], dtype=np.int64)
    counts = np.bincount(region_of, minlength=len(plan.regions)) if plan.reps else np.zeros(len(plan.regions), int)
    width = int(counts.max(initial=0))
    slots = np.full((len(plan.regions), max(width, 1)), -1, dtype=np.int64)
    fill = np.zeros(len(plan.regions), dtype=np.int64)
    for k, r in enumerate(region_of):
        slots[r, fill[r]] = k
        fill[r] += 1
    return slots, region_of


def _padded(values: np.ndarray, slots: np.ndarray) -> np.ndarray:
    out = np.zeros(slots.shape + values.shape[1:], dtype=np.int64)
    out[slots >= 0] = values[slots[slots >= 0]]
    return out


# Plans are immutable: the cube of a plan object is computed once (budget, quotas, reports and
# the workbook builder all ask for it). Entries go when their plan does.
_CACHE: dict[int, tuple[weakref.ref, TargetUnits]] = {}


def target_units(plan: Plan) -> TargetUnits:
    """Split the plan's total down to every margin and table, in whole units.

    Raises:
        PlanError: amounts beyond the size bound, weights with too many decimals, a
            negative total without ``allow_negative`` (refused by the plan model).
    """
    hit = _CACHE.get(id(plan))
    if hit is not None and hit[0]() is plan:
        return hit[1]
    result = _target_units(plan)
    for value in vars(result).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    key = id(plan)
    _CACHE[key] = (weakref.ref(plan, lambda _ref, key=key: _CACHE.pop(key, None)), result)
    return result


def _target_units(plan: Plan) -> TargetUnits:
    unit = plan.plan.unit
    n, sign = total_units(plan)
    big_n = abs(n)
    locks = {i: sign * to_units(v, unit, field=f"regions[{i}].target") for i, v in plan.region_locks().items()}
    rw, rd = member_weights(plan, "regions")
    regions = split_units(big_n, rw, locks, names=plan.region_names, derived=rd, field="regions")
    mw = month_weights(plan)
    months = company_months(big_n, mw)[0]
    quarters = months.reshape(4, 3).sum(axis=1)
    r_count, p_count = len(plan.regions), len(plan.products)
    region_months = running_rounding(regions[None, :], months[None, :], mw)[0]
    deviation = share_deviation(region_months[None], regions[None, :], mw)

    pw, uses_global = product_weights(plan)
    region_products = np.zeros((r_count, p_count), dtype=np.int64)
    own = ~uses_global
    if own.any():
        region_products[own] = apportion(regions[own], pw[own])
    if uses_global.any():
        glob = pw[np.flatnonzero(uses_global)[0]]
        rows = regions[uses_global]
        if rows.sum() > 0 and not glob.any():
            raise PlanError("products: weights are all zero")
        product_totals = apportion(int(rows.sum()), glob)
        table = running_rounding(rows[None, :], product_totals[None, :])[0]
        region_products[uses_global] = table
        deviation = max(deviation, share_deviation(table[None], rows[None, :]))

    cells = running_rounding(region_products, region_months, mw)
    deviation = max(deviation, share_deviation(cells, region_products, mw))

    base, base_m, chal, chal_m = _quotas(plan, regions, region_months, mw)
    if base.size:
        deviation = max(deviation, float(np.abs(base_m - base[:, None] * (mw / mw.sum())).max(initial=0.0)))
    check_units(chal, "reps: challenge quota")
    return TargetUnits(
        total=n,
        sign=sign,
        quarters=sign * quarters,
        months=sign * months,
        regions=sign * regions,
        region_months=sign * region_months,
        region_products=sign * region_products,
        cells=sign * cells,
        rep_base=sign * base,
        rep_base_months=sign * base_m,
        rep_challenge=sign * chal,
        rep_challenge_months=sign * chal_m,
        deviation=deviation,
    )


def _quotas(plan: Plan, regions: np.ndarray, region_months: np.ndarray, mw: np.ndarray):
    # Base quotas (split of the region by shares), their months (the region's rep x month
    # table), challenge quotas and their months, all on magnitudes.
    count = len(plan.reps)
    base = np.zeros(count, dtype=np.int64)
    if not count:
        empty = np.zeros((0, 12), dtype=np.int64)
        return base, empty, base.copy(), empty
    slots, _ = _by_region(plan)
    for i in range(len(plan.regions)):
        idx = slots[i][slots[i] >= 0]
        if idx.size:
            base[idx] = split_units(int(regions[i]), [plan.reps[k].share for k in idx],
                                    names=[plan.reps[k].name for k in idx], field=f'reps of "{plan.regions[i].name}"')
    chal = np.abs(challenge_units(base, plan.plan.challenge_uplift))
    has = (slots >= 0).any(axis=1)
    base_m = np.zeros((count, 12), dtype=np.int64)
    chal_m = np.zeros((count, 12), dtype=np.int64)
    if has.any():
        s = slots[has]
        table = running_rounding(_padded(base, s), region_months[has], mw)
        base_m[s[s >= 0]] = table[s >= 0]
        chal_rows = _padded(chal, s)
        chal_cols = company_months(chal_rows.sum(axis=1), mw)
        table = running_rounding(chal_rows, chal_cols, mw)
        chal_m[s[s >= 0]] = table[s >= 0]
    return base, base_m, chal, chal_m


def rep_cells(plan: Plan, t: TargetUnits) -> np.ndarray:
    """Each rep's part of its region's product x month cells, (N, P, 12) signed units.

    For every region with reps and every month, the rep x product table whose margins are
    the reps' quotas of that month and the region's products in that month.
    """
    count, p_count = len(plan.reps), len(plan.products)
    out = np.zeros((count, p_count, 12), dtype=np.int64)
    if not count:
        return out
    slots, _ = _by_region(plan)
    has = (slots >= 0).any(axis=1)
    s = slots[has]
    sign = t.sign
    quota = _padded(sign * t.rep_base_months, s)  # (H, W, 12)
    cells = sign * t.cells[has]  # (H, P, 12)
    rows = quota.transpose(0, 2, 1).reshape(-1, s.shape[1])  # (H*12, W)
    cols = cells.transpose(0, 2, 1).reshape(-1, p_count)  # (H*12, P)
    table = running_rounding(rows, cols).reshape(s.shape[0], 12, s.shape[1], p_count)
    per_slot = table.transpose(0, 2, 3, 1)  # (H, W, P, 12)
    out[s[s >= 0]] = per_slot[s >= 0]
    return sign * out


def _cube_frame(plan: Plan, values: np.ndarray, region_idx, product_idx, month_idx, rep_idx=None) -> pd.DataFrame:
    months = fiscal_month_names(plan.plan.fiscal_year_start)
    frame = {
        "region": pd.Categorical.from_codes(region_idx, plan.region_names),
        "product": pd.Categorical.from_codes(product_idx, plan.product_names),
    }
    if rep_idx is not None:
        frame["rep"] = pd.Categorical.from_codes(rep_idx, plan.rep_names) if plan.reps else None
    frame["quarter"] = pd.Categorical.from_codes(month_idx // 3, ["Q1", "Q2", "Q3", "Q4"])
    frame["month"] = month_idx + 1
    frame["month_name"] = pd.Categorical.from_codes(month_idx, months)
    frame["target"] = from_units(values, plan.plan.unit)
    return pd.DataFrame(frame)


def plan_targets(plan: Plan) -> pd.DataFrame:
    """The whole target cube, one row per region x product x month (x rep where there are reps).

    Args:
        plan: a validated plan.

    Returns:
        A DataFrame with columns ``region``, ``product``, (``rep``,) ``quarter``, ``month``
        (fiscal period 1..12), ``month_name`` and ``target``. Every grouping adds up exactly
        to the plan's own split (docs/engine.md, "margins first"): region totals, the
        company's quarters and months, product totals, each region's months; with reps, each
        rep's rows add up to its monthly and annual base quotas and the reps of a
        region-product-month cell add up to that cell. Regions without reps keep their rows
        with ``rep`` empty.

    Examples:
        >>> from aop_xl import load_plan
        >>> cube = plan_targets(load_plan())
        >>> cube.groupby("quarter", observed=True)["target"].sum().round(2).tolist()
        [5142857.14, 6857142.86, 5142857.14, 6857142.86]
    """
    t = target_units(plan)
    r, p, m = t.cells.shape
    if not plan.reps:
        idx = np.indices((r, p, m)).reshape(3, -1)
        return _cube_frame(plan, t.cells.reshape(-1), idx[0], idx[1], idx[2])
    per_rep = rep_cells(plan, t)
    slots, region_of = _by_region(plan)
    parts = []
    for i in range(r):
        reps = slots[i][slots[i] >= 0]
        grid = np.indices((max(reps.size, 1), p, m)).reshape(3, -1)
        if not reps.size:
            parts.append((t.cells[i].reshape(-1), np.full(p * m, i), grid[1], grid[2], np.full(p * m, -1)))
            continue
        values = per_rep[reps].reshape(-1)
        parts.append((values, np.full(values.size, i), grid[1], grid[2], reps[grid[0]]))
    values, reg, prod, month, rep = (np.concatenate(c) for c in zip(*parts))
    return _cube_frame(plan, values, reg, prod, month, rep)


__all__ = ["TargetUnits", "plan_targets", "target_units", "rep_cells", "total_units", "quarter_of",
           "challenge_units", "growth_target", "company_months", "member_weights", "month_weights", "product_weights"]
