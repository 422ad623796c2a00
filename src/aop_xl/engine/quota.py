"""Base and challenge quotas per rep, by month and for the year (domain.md section 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.targets import challenge_units, target_units
from aop_xl.plan import Plan
from aop_xl.units import from_units

__all__ = ["annual_quotas", "challenge_units", "quota_units", "quotas"]


def quota_units(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(base year, challenge year, base by month, challenge by month) in whole units.

    The months are each rep's row of its region's rep x month table (docs/engine.md): they add
    up to the rep's annual quota, and the reps of a region add up to the region's months.
    """
    t = target_units(plan)
    return t.rep_base, t.rep_challenge, t.rep_base_months, t.rep_challenge_months


def annual_quotas(plan: Plan) -> pd.DataFrame:
    """Per rep: region, share, annual base and challenge quota.

    Examples:
        >>> from aop_xl import load_plan
        >>> q = annual_quotas(load_plan())
        >>> bool(((q["challenge_quota"] / q["base_quota"]).round(3) == 1.2).all())
        True
    """
    base, challenge, _, _ = quota_units(plan)
    unit = plan.plan.unit
    return pd.DataFrame(
        {
            "rep": [r.name for r in plan.reps],
            "region": [r.region for r in plan.reps],
            "share": [r.share for r in plan.reps],
            "base_quota": from_units(base, unit),
            "challenge_quota": from_units(challenge, unit),
        }
    )


def quotas(plan: Plan) -> pd.DataFrame:
    """Per rep and fiscal month: base and challenge quota, split by seasonality exactly.

    Args:
        plan: a validated plan.

    Returns:
        One row per rep x month: ``rep``, ``region``, ``quarter``, ``month`` (1..12),
        ``month_name``, ``base_quota``, ``challenge_quota``. A rep's months sum exactly to its
        annual quota (see :func:`annual_quotas`); the reps of a region sum to its target and,
        month by month, to the region's months.

    Examples:
        >>> from aop_xl import load_plan
        >>> q = quotas(load_plan())
        >>> len(q) == 12 * len(load_plan().reps)
        True
    """
    _, _, base_m, chal_m = quota_units(plan)
    n = len(plan.reps)
    months = np.tile(np.arange(12), n)
    rep_idx = np.repeat(np.arange(n), 12)
    unit = plan.plan.unit
    return pd.DataFrame(
        {
            "rep": pd.Categorical.from_codes(rep_idx, plan.rep_names) if n else [],
            "region": [plan.reps[i].region for i in rep_idx],
            "quarter": pd.Categorical.from_codes(months // 3, ["Q1", "Q2", "Q3", "Q4"]),
            "month": months + 1,
            "month_name": pd.Categorical.from_codes(months, fiscal_month_names(plan.plan.fiscal_year_start)),
            "base_quota": from_units(base_m.reshape(-1), unit),
            "challenge_quota": from_units(chal_m.reshape(-1), unit),
        }
    )
