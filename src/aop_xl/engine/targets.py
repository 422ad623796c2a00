"""The target cube: time x region x product (x rep), exact at every level.

The company target goes to regions (by weight, with fixed regional targets as locks), each
region's target to products (its product mix), each region-product target to the 12 fiscal
months (seasonality). Where the plan has reps, every region x product x month cell is shared
among the region's reps so that both the cells and each rep's annual base quota are met
exactly (controlled rounding of the reps x cells table).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aop_xl.engine.calendar import fiscal_month_names, quarter_of
from aop_xl.engine.split import split_rows, split_units
from aop_xl.engine.spread import round_rank_one
from aop_xl.plan import Plan
from aop_xl.units import from_units, to_units


@dataclass(frozen=True)
class TargetUnits:
    """The cube in whole units of the plan's unit."""

    total: int
    regions: np.ndarray  # (R,)
    region_products: np.ndarray  # (R, P)
    cells: np.ndarray  # (R, P, 12)


def total_units(plan: Plan) -> tuple[int, int]:
    """The company target in whole units, and its sign (+1, or -1 for a planned decline)."""
    n = to_units(plan.total_target(), plan.plan.unit, field="plan.total_target")
    return n, (-1 if n < 0 else 1)


def target_units(plan: Plan) -> TargetUnits:
    """Split the plan's total down to region x product x month, in whole units."""
    unit = plan.plan.unit
    n, sign = total_units(plan)
    locks = {i: sign * to_units(v, unit, field=f"regions[{i}].target") for i, v in plan.region_locks().items()}
    regions = split_units(sign * n, plan.region_weights(), locks, names=plan.region_names)
    mix = np.array([plan.product_mix(r) for r in plan.regions], dtype=float)
    region_products = split_rows(regions, mix)
    cells = split_rows(region_products.reshape(-1), np.asarray(plan.seasonality.month_weights(), dtype=float))
    r, p = region_products.shape
    return TargetUnits(
        total=n,
        regions=sign * regions,
        region_products=sign * region_products,
        cells=sign * cells.reshape(r, p, 12),
    )


def rep_base_units(plan: Plan, regions: np.ndarray) -> np.ndarray:
    """Each rep's annual base quota in units: its share of its region's target."""
    base = np.zeros(len(plan.reps), dtype=np.int64)
    for i, region in enumerate(plan.regions):
        idx = plan.reps_of(region.name)
        if idx:
            sign = -1 if regions[i] < 0 else 1
            shares = [plan.reps[k].share for k in idx]
            base[idx] = sign * split_units(sign * int(regions[i]), shares, names=[plan.reps[k].name for k in idx])
    return base


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
        (fiscal period 1..12), ``month_name`` and ``target``. Any grouping of it sums exactly
        (to the unit) to the corresponding split: region totals, products, quarters, the
        company total; with reps, each rep's rows sum to its annual base quota and the reps
        of a region-product-month cell sum to that cell. Regions without reps keep their
        rows with ``rep`` empty.

    Examples:
        >>> from aop_xl import load_plan
        >>> cube = plan_targets(load_plan())
        >>> bool(round(cube["target"].sum(), 2) == load_plan().total_target())
        True
    """
    t = target_units(plan)
    r, p, m = t.cells.shape
    if not plan.reps:
        idx = np.indices((r, p, m)).reshape(3, -1)
        return _cube_frame(plan, t.cells.reshape(-1), idx[0], idx[1], idx[2])

    base = rep_base_units(plan, t.regions)
    parts = []
    for i, region in enumerate(plan.regions):
        reps = plan.reps_of(region.name)
        cells = t.cells[i].reshape(-1)
        if not reps:
            grid = np.indices((p, m)).reshape(2, -1)
            parts.append((cells, np.full(cells.size, i), grid[0], grid[1], np.full(cells.size, -1)))
            continue
        sign = -1 if t.regions[i] < 0 else 1
        rows = sign * base[reps]
        cols = sign * cells
        total = rows.sum()
        x = np.outer(rows, cols) / total if total else np.zeros((len(reps), cols.size))
        alloc = sign * round_rank_one(x, rows, cols)
        grid = np.indices((len(reps), p, m)).reshape(3, -1)
        parts.append((alloc.reshape(-1), np.full(alloc.size, i), grid[1], grid[2], np.asarray(reps)[grid[0]]))
    values, reg, prod, month, rep = (np.concatenate(c) for c in zip(*parts))
    return _cube_frame(plan, values, reg, prod, month, rep)


__all__ = ["TargetUnits", "plan_targets", "target_units", "rep_base_units", "total_units", "quarter_of"]
