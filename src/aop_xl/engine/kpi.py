"""KPI status (red / amber / green) and the customer health score (domain.md section 6).

Rules this module adds where the domain is silent:

- **Exact boundaries**: the lag is rounded to ``LAG_DECIMALS`` (12) decimals, and so are the
  thresholds, before they are compared; the workbook uses ``ROUND(lag, 12)`` the same way.
  70 of a target of 100 is a lag of exactly 0.3 (amber), 90 of 100 exactly 0.1 (green).
- **Where the ratio has no meaning** (higher-is-better with a target <= 0; lower-is-better
  with an actual <= 0) the lag is 0 when the target is met (actual >= target, resp.
  actual <= target) and ``MISSED_LAG`` (1.0, i.e. 100% behind) when it is not. Lower-is-better
  with a target of 0 and a positive actual follows the formula: 1 - 0 / actual = 1.
- **Missing actuals** (NaN/None): the lag is NaN, the status None (scalars) or "" (arrays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from aop_xl.errors import PlanError
from aop_xl.plan import Plan

LAG_DECIMALS = 12
MISSED_LAG = 1.0
DIRECTIONS = ("higher", "lower")
HEALTH_COMPONENTS = ("frequency", "order_value", "complaint_rate", "nps")


def _floats(values, field: str, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)  # None becomes NaN
    except (TypeError, ValueError):
        raise PlanError(f"{field}: must be numbers, got {values!r}") from None
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        raise PlanError(f"{field}: must be finite numbers, got {arr[bad].reshape(-1)[0]}")
    return arr


def _higher(direction) -> np.ndarray:
    d = np.asarray(direction, dtype=object)
    ok = np.isin(d, DIRECTIONS)
    if not ok.all():
        raise PlanError(f"direction: must be 'higher' or 'lower', got {d[~ok].reshape(-1)[0]!r}")
    return d == "higher"


def _out(x):
    return x.item() if np.ndim(x) == 0 else x


def _lag(actual, target, direction) -> np.ndarray:
    a = _floats(actual, "actual", allow_nan=True)
    t = _floats(target, "target")
    higher = _higher(direction)
    met = np.where(higher, a >= t, a <= t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_lag = np.where(higher, 1 - a / t, 1 - t / a)
    defined = np.where(higher, t > 0, a > 0)
    lag = np.where(defined, ratio_lag, np.where(met, 0.0, MISSED_LAG))
    return np.where(np.isnan(a), np.nan, np.round(lag, LAG_DECIMALS))


def lag(actual, target, direction="higher"):
    """How far behind target a metric is: 1 - actual/target (lower-is-better: 1 - target/actual).

    Args:
        actual: actual value(s); NaN or None for "not yet known".
        target: target value(s), finite.
        direction: "higher" or "lower" is better (or an array of them).

    Returns:
        A float (scalar input) or array, rounded to 12 decimals; negative when ahead of
        target, NaN where the actual is missing. See the module docstring for targets <= 0.

    Examples:
        >>> lag(70, 100), lag(110, 100), lag(0.10, 0.08, "lower")
        (0.3, -0.1, 0.2)
    """
    return _out(_lag(actual, target, direction))


def rag(actual, target, direction="higher", red=0.30, amber=0.10):
    """Red / amber / green status of a metric against its target.

    Args:
        actual, target, direction: as in :func:`lag`.
        red: red when the lag is above it.
        amber: amber when the lag is above it (and not above ``red``); else green.

    Returns:
        "red", "amber" or "green" (None for a missing actual) for scalar input; for arrays a
        numpy array of str ("" where the actual is missing).

    Raises:
        PlanError: thresholds that are negative or amber above red, a bad direction, a
            non-finite target.

    Examples:
        >>> rag(70, 100), rag(90, 100), rag(69.999, 100), rag(89.99, 100)
        ('amber', 'green', 'red', 'amber')
        >>> rag([100, 0.12], [90, 0.08], ["higher", "lower"]).tolist()
        ['green', 'red']
    """
    r, a = float(_floats(red, "red")), float(_floats(amber, "amber"))
    if not 0 <= a <= r:
        raise PlanError(f"red, amber: need 0 <= amber <= red, got red={red!r}, amber={amber!r}")
    g = _lag(actual, target, direction)
    r, a = round(r, LAG_DECIMALS), round(a, LAG_DECIMALS)
    status = np.where(g > r, "red", np.where(g > a, "amber", "green"))
    status = np.where(np.isnan(g), "", status)
    if status.ndim == 0:
        return str(status) or None
    return status


def _score(ratio) -> np.ndarray:
    return 100.0 * np.clip(ratio, 0.0, 1.0)


def health_score(
    frequency,
    order_value,
    complaint_rate,
    nps,
    weights=None,
    *,
    frequency_benchmark=1.0,
    order_value_benchmark=1.0,
    complaint_ceiling=0.10,
):
    """Customer health score, 0 to 100, from four components each scaled 0 to 100.

    Scaling: frequency and order value score 100 x value / benchmark, capped to 0..100 (by
    default the benchmark is 1, so pass them as ratios to your benchmark, 1.0 = at
    benchmark); complaint rate (a fraction, lower is better) scores
    100 x (1 - rate / complaint_ceiling), capped to 0..100 (0 complaints = 100, 10% or more = 0
    by default); NPS (-100..100) scores (NPS + 100) / 2.

    Args:
        frequency, order_value, complaint_rate, nps: numbers or arrays (broadcast).
        weights: None for equal weights; else four relative weights >= 0 in the order
            above, or a mapping by component name (missing ones weigh 0).
        frequency_benchmark, order_value_benchmark: values that score 100.
        complaint_ceiling: the complaint rate that scores 0.

    Returns:
        The weighted mean score: a float for scalar input, else an array.

    Examples:
        >>> health_score(1.0, 0.8, 0.02, 40)
        82.5
        >>> health_score(1.0, 0.8, 0.02, 40, weights={"nps": 1})
        70.0
    """
    f = _floats(frequency, "frequency")
    v = _floats(order_value, "order_value")
    c = _floats(complaint_rate, "complaint_rate")
    n = _floats(nps, "nps")
    for name, arr in (("frequency", f), ("order_value", v), ("complaint_rate", c)):
        if (arr < 0).any():
            raise PlanError(f"{name}: must be >= 0, got {arr[arr < 0].reshape(-1)[0]:g}")
    if ((n < -100) | (n > 100)).any():
        raise PlanError(f"nps: must be between -100 and 100, got {n[(n < -100) | (n > 100)].reshape(-1)[0]:g}")
    for name, value in (
        ("frequency_benchmark", frequency_benchmark),
        ("order_value_benchmark", order_value_benchmark),
        ("complaint_ceiling", complaint_ceiling),
    ):
        if not (np.isfinite(value) and value > 0):
            raise PlanError(f"{name}: must be > 0, got {value!r}")
    w = _weights(weights)
    scores = (
        _score(f / frequency_benchmark),
        _score(v / order_value_benchmark),
        _score(1 - c / complaint_ceiling),
        (n + 100.0) / 2.0,
    )
    return _out(sum(wi * s for wi, s in zip(w, scores)) / w.sum())


def _weights(weights) -> np.ndarray:
    if weights is None:
        return np.ones(len(HEALTH_COMPONENTS))
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(HEALTH_COMPONENTS)
        if unknown:
            raise PlanError(f"weights: {sorted(unknown)[0]!r} is not one of {HEALTH_COMPONENTS}")
        weights = [weights.get(k, 0.0) for k in HEALTH_COMPONENTS]
    if not isinstance(weights, Sequence | np.ndarray) or len(weights) != len(HEALTH_COMPONENTS):
        raise PlanError(f"weights: expected 4 weights ({', '.join(HEALTH_COMPONENTS)}), got {weights!r}")
    w = _floats(weights, "weights")
    if (w < 0).any() or not w.any():
        raise PlanError(f"weights: must be >= 0 and not all zero, got {w.tolist()}")
    return w


def health_tier(score, healthy=80.0, watch=60.0):
    """The tier of a health score: "healthy" (>= 80), "watch" (60 to < 80), "at_risk" (< 60).

    Args:
        score: score(s) 0..100.
        healthy, watch: the lower bounds of the two upper tiers.

    Returns:
        A str for scalar input, else a numpy array of str.

    Examples:
        >>> health_tier(80), health_tier(79.99), health_tier(60), health_tier(59.9)
        ('healthy', 'watch', 'watch', 'at_risk')
    """
    s = _floats(score, "score")
    if not watch <= healthy:
        raise PlanError(f"watch: must not exceed healthy, got watch={watch!r}, healthy={healthy!r}")
    tier = np.where(s >= healthy, "healthy", np.where(s >= watch, "watch", "at_risk"))
    return str(tier) if tier.ndim == 0 else tier


def kpi_status(plan: Plan) -> pd.DataFrame:
    """Actual vs target of every KPI of the plan, with its red/amber/green status.

    Args:
        plan: a validated plan; thresholds come from its ``[status]`` table.

    Returns:
        One row per KPI: ``metric``, ``target``, ``actual``, ``direction``, ``variance``
        (actual - target), ``lag``, ``status``, ``unit``. Where the actual is missing,
        actual/variance/lag are <NA> (nullable Float64) and status is None.

    Examples:
        >>> from aop_xl import load_plan
        >>> k = kpi_status(load_plan())
        >>> k[["metric", "status"]].head(2).values.tolist()
        [['revenue', None], ['new_business_revenue', None]]
    """
    k = plan.kpis
    target = np.array([x.target for x in k], dtype=float)
    actual = np.array([np.nan if x.actual is None else x.actual for x in k], dtype=float)
    direction = np.array([x.direction for x in k], dtype=object)
    th = plan.status
    status = rag(actual, target, direction, red=th.red, amber=th.amber) if k else np.array([], dtype=str)
    return pd.DataFrame(
        {
            "metric": [x.metric for x in k],
            "target": target,
            "actual": pd.array(actual, dtype="Float64"),
            "direction": [x.direction for x in k],
            "variance": pd.array(actual - target, dtype="Float64"),
            "lag": pd.array(_lag(actual, target, direction) if k else [], dtype="Float64"),
            "status": pd.Series([s or None for s in np.asarray(status).tolist()], dtype=object),
            "unit": [x.unit for x in k],
        }
    )
