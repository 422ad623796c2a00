"""KPI status (red / amber / green) and the customer health score (domain.md section 6).

Rules this module adds where the domain is silent:

- **Exact boundaries**: the lag is rounded to ``LAG_DECIMALS`` (12) decimals, halves away from
  zero, and so are the thresholds, before they are compared; the workbook uses ``ROUND(lag, 12)``
  the same way.
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
from aop_xl.units import round_places

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
    return np.where(np.isnan(a), np.nan, round_places(lag, LAG_DECIMALS))


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
    r, a = float(round_places(r, LAG_DECIMALS)), float(round_places(a, LAG_DECIMALS))
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
    scores = _component_scores(f / frequency_benchmark, v / order_value_benchmark, c / complaint_ceiling, n)
    return _out(sum(wi * s for wi, s in zip(w, scores)) / w.sum())


def _component_scores(frequency_ratio, order_value_ratio, complaint_ratio, nps) -> tuple[np.ndarray, ...]:
    # The four components scaled 0..100: ratios to their benchmark (complaints: to the ceiling).
    return (_score(frequency_ratio), _score(order_value_ratio), _score(1 - complaint_ratio), (nps + 100.0) / 2.0)


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
    """Actual to date vs target to date of every KPI of the plan, with its red/amber/green status.

    The plan's KPI actuals run to fiscal period ``plan.as_of`` (the whole year when absent).
    A flow (revenue, new-business and recurring revenue: :data:`KPI_CATALOGUE`) is compared
    with its target to date, which follows the seasonality: revenue's is the sum of the
    company's monthly targets to date (its annual target is the plan's total), another flow's
    its target x the seasonality's share to date; a rate is compared with its target. The
    variance is shown so that good is positive: actual - target to date when higher is better,
    target to date - actual when lower is.

    Args:
        plan: a validated plan; thresholds come from its ``[status]`` table.

    Returns:
        One row per KPI: ``metric``, ``target`` (annual), ``ytd_target``, ``actual``,
        ``direction``, ``variance`` (favourable), ``lag``, ``status``, ``unit``. Where the
        actual is missing, actual/variance/lag are <NA> (nullable Float64) and status is None.

    Examples:
        >>> from aop_xl import load_plan
        >>> k = kpi_status(load_plan())
        >>> k[["metric", "status"]].head(2).values.tolist()
        [['revenue', None], ['new_business_revenue', None]]
    """
    k = plan.kpis
    as_of = plan.plan.as_of or 12
    share = ytd_share(plan, as_of) if k else 1.0
    target, ytd = [], []
    for x in k:
        name = catalogue_metric(x.metric)
        flow = name is not None and KPI_CATALOGUE[name][0] == "flow"
        annual = float(plan.total_target()) if name == "revenue" else float(x.target)
        target.append(annual)
        if name == "revenue":
            ytd.append(company_ytd_target(plan, as_of))
        else:
            ytd.append(annual * share if flow else annual)
    target, ytd = np.array(target, dtype=float), np.array(ytd, dtype=float)
    actual = np.array([np.nan if x.actual is None else x.actual for x in k], dtype=float)
    direction = np.array([x.direction for x in k], dtype=object)
    th = plan.status
    status = rag(actual, ytd, direction, red=th.red, amber=th.amber) if k else np.array([], dtype=str)
    favourable = np.where(direction == "lower", ytd - actual, actual - ytd) if k else np.zeros(0)
    return pd.DataFrame(
        {
            "metric": [x.metric for x in k],
            "target": target,
            "ytd_target": ytd,
            "actual": pd.array(actual, dtype="Float64"),
            "direction": [x.direction for x in k],
            "variance": pd.array(favourable, dtype="Float64"),
            "lag": pd.array(_lag(actual, ytd, direction) if k else [], dtype="Float64"),
            "status": pd.Series([s or None for s in np.asarray(status).tolist()], dtype=object),
            "unit": [x.unit for x in k],
        }
    )


# ------------------------------------------------------------------------------------ the year in motion
#
# KPIs, performance by region / team / product / rep, variance review and customer health,
# computed from a table of deal lines (docs/engine.md, "The year in motion"). The table is
# what aop_xl.cycle.actuals loads from CRM exports: one line per rep credited, amounts signed
# (a return is negative). Columns:
#
#   fy          0 for the plan's fiscal year, -1 for the year before
#   period      fiscal month 1..12
#   region, product, rep, customer   names (region: the deal's, else the rep's that month)
#   type        "new" or "recurring"
#   amount      the amount credited to the line's rep (returns negative)
#   order       1 on the line that counts the order (the first line of a deal of amount > 0)
#   cycle_days  days from the opportunity's creation to the deal (NaN when unknown)
#   complaint   1 or 0 on order lines where the export says, else NaN
#   nps         the customer's NPS (-100..100) where the export gives it, else NaN

#: The columns of a table of deal lines.
DEAL_COLUMNS = ("fy", "period", "region", "product", "rep", "customer", "type", "amount", "order", "cycle_days",
                "complaint", "nps")

#: The KPIs computed from the deals: metric -> (kind, direction, unit). A "flow" adds up over
#: the months (its year-to-date target follows the seasonality); a "rate" does not.
KPI_CATALOGUE = {
    "revenue": ("flow", "higher", "currency"),
    "attainment": ("rate", "higher", "percent"),
    "yoy_growth": ("rate", "higher", "percent"),
    "new_business_revenue": ("flow", "higher", "currency"),
    "recurring_revenue": ("flow", "higher", "currency"),
    "customer_churn_rate": ("rate", "lower", "percent"),
    "retention_rate": ("rate", "higher", "percent"),
    "average_order_value": ("rate", "higher", "currency"),
    "repurchase_rate": ("rate", "higher", "percent"),
    "return_rate": ("rate", "lower", "percent"),
    "sales_cycle_length": ("rate", "lower", "days"),
}
#: Other names of catalogue metrics a plan may use (compared ignoring case).
KPI_ALIASES = {"growth": "yoy_growth", "revenue_growth": "yoy_growth", "churn_rate": "customer_churn_rate",
               "customer_retention_rate": "retention_rate", "aov": "average_order_value",
               "cycle_length": "sales_cycle_length"}
#: What to do for a customer of each health tier (domain.md section 6).
HEALTH_ACTIONS = {"healthy": "offer value-added services", "watch": "start a win-back plan",
                  "at_risk": "executive visit and a dedicated offer"}
DIMENSIONS = ("region", "team", "product", "rep")


def catalogue_metric(metric: str) -> str | None:
    """The catalogue name of a plan KPI's metric (ignoring case and aliases), or None.

    Examples:
        >>> catalogue_metric("Revenue"), catalogue_metric("churn_rate"), catalogue_metric("lead_conversion_rate")
        ('revenue', 'customer_churn_rate', None)
    """
    key = metric.strip().casefold()
    key = KPI_ALIASES.get(key, key)
    return key if key in KPI_CATALOGUE else None


def deal_table(deals) -> pd.DataFrame:
    """Check a table of deal lines (:data:`DEAL_COLUMNS`) and return it with its types.

    Raises:
        PlanError: a column is missing, or a value is of the wrong kind.
    """
    if not isinstance(deals, pd.DataFrame):
        raise PlanError(f"deals: expected a DataFrame of deal lines, got {type(deals).__name__}")
    missing = [c for c in DEAL_COLUMNS if c not in deals.columns]
    if missing:
        raise PlanError(f"deals: missing column(s) {', '.join(missing)}")
    out = deals.loc[:, list(DEAL_COLUMNS)].copy()
    for col in ("fy", "period", "order"):
        out[col] = _deal_numbers(out[col], col, whole=True).astype(np.int64)
    for col in ("amount", "cycle_days", "complaint", "nps"):
        out[col] = _deal_numbers(out[col], col, whole=False)
    if not np.isfinite(out["amount"]).all():
        raise PlanError("deals.amount: must be finite numbers")
    if not out["period"].between(1, 12).all():
        raise PlanError("deals.period: must be fiscal months 1..12")
    return out


def _deal_numbers(values: pd.Series, col: str, whole: bool) -> pd.Series:
    # A value that is not a number (or, for whole numbers, not a finite integer) is named, not a raw ValueError.
    v = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~np.isfinite(v) | (v != np.round(v)) if whole else v.isna() & values.notna()
    if bad.any():
        first = values[bad].iloc[0]
        first = first.item() if isinstance(first, np.generic) else first
        raise PlanError(f"deals.{col}: must be {'whole numbers' if whole else 'numbers'}, got {first!r}")
    return v


def _window(d: pd.DataFrame, fy: int, first: int, last: int) -> pd.DataFrame:
    return d[(d["fy"] == fy) & (d["period"] >= first) & (d["period"] <= last)]


def _as_of(as_of) -> int:
    if isinstance(as_of, bool) or not isinstance(as_of, (int, np.integer)) or not 1 <= as_of <= 12:
        raise PlanError(f"as_of: must be a fiscal month 1..12, got {as_of!r}")
    return int(as_of)


#: Sums of amounts are rounded to this many decimals (amounts have at most 6), so that every
#: order of adding (the workbook's SUMIFS, numpy's pairwise sums) gives the same number.
SUM_DECIMALS = 6


def _sum(values) -> float:
    return float(np.round(np.sum(values), SUM_DECIMALS))


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def ytd_share(plan: Plan, as_of: int) -> float:
    """The share of the year's seasonality weights in fiscal months 1..as_of.

    Examples:
        >>> from aop_xl import load_plan
        >>> round(ytd_share(load_plan(), 3), 6), ytd_share(load_plan(), 12)
        (0.214286, 1.0)
    """
    from aop_xl.engine.targets import month_weights

    w = np.asarray(month_weights(plan), dtype=float)
    return float(w[: _as_of(as_of)].sum() / w.sum())


def deal_kpis(deals, as_of: int) -> dict[str, float]:
    """The catalogue KPIs (:data:`KPI_CATALOGUE`, but attainment) of the deals, year to date.

    Rules (docs/engine.md): revenue is net of returns; growth compares with the prior year's
    same months; new-business and recurring revenue by the lines' type; churn: the share of
    the prior year's customers (net purchases > 0 in that year) with no net purchases in the
    12 months up to the as-of month; retention = 1 - churn; average order value: sales before returns / orders;
    repurchase rate: customers with 2 or more orders / customers with an order; return rate:
    returns / sales before returns; sales cycle: mean days over the orders that have them.
    NaN where the ratio has no denominator (no prior year, no orders ...).

    Args:
        deals: deal lines (:data:`DEAL_COLUMNS`).
        as_of: the last fiscal month with actuals.

    Returns:
        metric -> value.
    """
    d = deal_table(deals)
    a = _as_of(as_of)
    cy, py = _window(d, 0, 1, a), _window(d, -1, 1, a)
    revenue, py_revenue = _sum(cy["amount"]), _sum(py["amount"])
    gross = _sum(cy.loc[cy["amount"] > 0, "amount"])
    returns = -_sum(cy.loc[cy["amount"] < 0, "amount"])
    orders = cy["order"].sum()
    # Churn: customers of the prior year without purchases in the 12 months to the as-of month.
    net_py = d[d["fy"] == -1].groupby("customer")["amount"].sum().round(SUM_DECIMALS)
    trailing = pd.concat([_window(d, -1, a + 1, 12), cy])
    net_trailing = trailing.groupby("customer")["amount"].sum().round(SUM_DECIMALS)
    base = set(net_py.index[net_py > 0])
    active = set(net_trailing.index[net_trailing > 0])
    per_customer = cy.groupby("customer")["order"].sum()
    buyers = (per_customer >= 1).sum()
    cycles = cy.loc[(cy["order"] == 1) & cy["cycle_days"].notna(), "cycle_days"]
    churn = _ratio(len(base - active), len(base))
    return {
        "revenue": float(revenue),
        "yoy_growth": _ratio(revenue, py_revenue) - 1 if py_revenue > 0 else float("nan"),
        "new_business_revenue": _sum(cy.loc[cy["type"] == "new", "amount"]),
        "recurring_revenue": _sum(cy.loc[cy["type"] == "recurring", "amount"]),
        "customer_churn_rate": churn,
        "retention_rate": 1 - churn,
        "average_order_value": _ratio(gross, orders),
        "repurchase_rate": _ratio((per_customer >= 2).sum(), buyers),
        "return_rate": _ratio(returns, gross),
        "sales_cycle_length": float(cycles.mean()) if len(cycles) else float("nan"),
    }


def company_ytd_target(plan: Plan, as_of: int) -> float:
    """The company's target for fiscal months 1..as_of: the sum of its monthly targets."""
    from aop_xl.engine.targets import target_units
    from aop_xl.units import from_units

    t = target_units(plan)
    return float(from_units(int(t.months[: _as_of(as_of)].sum()) * t.sign, plan.plan.unit))


def kpi_review(plan: Plan, deals, as_of: int) -> pd.DataFrame:
    """The plan's KPIs, year to date: actuals from the deals, targets to date, status.

    A catalogue metric (:func:`catalogue_metric`) takes its actual from the deals; any other
    keeps the actual typed in the plan. The year-to-date target of a flow (revenue,
    new-business and recurring revenue) follows the seasonality: the sum of the company's
    monthly targets to date for revenue whose target is the plan's total, else target x the
    share of the seasonality to date (:func:`ytd_share`); a rate keeps its target.

    Args:
        plan: a validated plan (KPIs, thresholds, targets).
        deals: deal lines.
        as_of: the last fiscal month with actuals.

    Returns:
        One row per plan KPI: ``metric``, ``unit``, ``direction``, ``target`` (annual),
        ``ytd_target``, ``actual``, ``source`` ("deals" or "plan"), ``variance``, ``lag``,
        ``status`` (None without an actual).
    """
    a = _as_of(as_of)
    values = deal_kpis(deals, a)
    revenue = values["revenue"]
    share = ytd_share(plan, a)
    rows = []
    for k in plan.kpis:
        name = catalogue_metric(k.metric)
        if name is None:
            actual, source, ytd = k.actual, "plan", k.target
        else:
            kind = KPI_CATALOGUE[name][0]
            if name == "attainment":
                target_to_date = company_ytd_target(plan, a)
                actual = revenue / target_to_date if target_to_date > 0 else float("nan")
            else:
                actual = values[name]
            source = "deals"
            if kind == "flow" and name == "revenue" and k.target == plan.total_target():
                ytd = company_ytd_target(plan, a)
            elif kind == "flow":
                ytd = k.target * share
            else:
                ytd = k.target
        actual = None if actual is None or not np.isfinite(actual) else float(actual)
        rows.append((k.metric, k.unit, k.direction, float(k.target), float(ytd), actual, source))
    out = pd.DataFrame(rows, columns=["metric", "unit", "direction", "target", "ytd_target", "actual", "source"])
    actual = out["actual"].astype(float).to_numpy() if len(out) else np.zeros(0)
    target = out["ytd_target"].to_numpy(dtype=float)
    direction = out["direction"].to_numpy(dtype=object)
    out["variance"] = actual - target
    out["lag"] = _lag(actual, target, direction) if len(out) else np.zeros(0)
    status = rag(actual, target, direction, plan.status.red, plan.status.amber) if len(out) else np.array([])
    out["status"] = pd.Series([s or None for s in np.asarray(status).tolist()], index=out.index, dtype=object)
    return out


def rep_month_sales(plan: Plan, deals) -> np.ndarray:
    """Sales credited to each rep (plan order) in each fiscal month of the plan year: (N, 12).

    Raises:
        PlanError: a line's rep is not a rep of the plan.
    """
    d = deal_table(deals)
    cy = d[d["fy"] == 0]
    pos = pd.Index(plan.rep_names).get_indexer(cy["rep"])
    if (pos < 0).any():
        raise PlanError(f'deals: "{cy["rep"].iloc[int(np.flatnonzero(pos < 0)[0])]}" is not a rep of the plan')
    out = np.zeros((len(plan.reps), 12))
    np.add.at(out, (pos, cy["period"].to_numpy() - 1), cy["amount"].to_numpy())
    return np.round(out, SUM_DECIMALS)


def _targets_by(plan: Plan, by: str) -> tuple[list[str], np.ndarray]:
    # Members of a dimension and their monthly targets (M, 12) as amounts.
    from aop_xl.engine.commission import rep_year
    from aop_xl.engine.targets import target_units
    from aop_xl.units import from_units

    unit = plan.plan.unit
    t = target_units(plan)
    if by == "region":
        units = t.region_months * t.sign
        names = plan.region_names
    elif by == "product":
        units = t.cells.sum(axis=0) * t.sign
        names = plan.product_names
    elif by == "rep":
        units = rep_year(plan).base_months
        names = plan.rep_names
    else:  # team: the reps' in-year quotas, month by month in the region they are in
        y = rep_year(plan)
        units = np.zeros((len(plan.regions), 12), dtype=np.int64)
        for m in range(12):
            np.add.at(units[:, m], y.region[:, m], y.base_months[:, m])
        names = plan.region_names
    return list(names), np.asarray(from_units(np.asarray(units, dtype=np.int64), unit), dtype=float).reshape(
        len(names), 12)


def _actuals_by(plan: Plan, d: pd.DataFrame, by: str, names: list[str], fy: int) -> np.ndarray:
    out = np.zeros((len(names), 12))
    rows = d[d["fy"] == fy]
    if by == "team":
        from aop_xl.engine.commission import rep_year

        region = rep_year(plan).region
        rep = pd.Index(plan.rep_names).get_indexer(rows["rep"])
        keep = rep >= 0
        pos = region[rep[keep], rows["period"].to_numpy()[keep] - 1]
        np.add.at(out, (pos, rows["period"].to_numpy()[keep] - 1), rows["amount"].to_numpy()[keep])
        return np.round(out, SUM_DECIMALS)
    pos = pd.Index(names).get_indexer(rows[by])
    keep = pos >= 0
    np.add.at(out, (pos[keep], rows["period"].to_numpy()[keep] - 1), rows["amount"].to_numpy()[keep])
    return np.round(out, SUM_DECIMALS)


def months_by(plan: Plan, deals, by: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The members of a dimension and their monthly actuals, targets and prior-year actuals.

    Args:
        plan: a validated plan.
        deals: deal lines.
        by: "region", "team", "product" or "rep" (see :func:`performance`).

    Returns:
        (names, actual, target, prior), the last three (members, 12) arrays of amounts.
    """
    if by not in DIMENSIONS:
        raise PlanError(f"by: must be one of {DIMENSIONS}, got {by!r}")
    d = deal_table(deals)
    names, target = _targets_by(plan, by)
    return names, _actuals_by(plan, d, by, names, 0), target, _actuals_by(plan, d, by, names, -1)


def performance(plan: Plan, deals, as_of: int, by: str) -> pd.DataFrame:
    """Actual vs target by region, team, product or rep: the month, the quarter and the year
    to date, with red/amber/green status on the year to date and growth on the prior year.

    Targets: regions and products, the plan's cube; reps, their in-year quotas; teams (the
    reps of a region, month by month after moves), the sum of their in-year quotas.
    Actuals: regions and products, the deals' own; reps, the sales credited to them; teams,
    the sales of the reps in the region they were in that month.

    Args:
        plan: a validated plan.
        deals: deal lines.
        as_of: the last fiscal month with actuals.
        by: "region", "team", "product" or "rep".

    Returns:
        One row per member: ``dimension``, ``member``, ``month_actual``, ``month_target``,
        ``qtd_actual``, ``qtd_target``, ``ytd_actual``, ``ytd_target``, ``variance`` (YTD
        actual - target), ``attainment``, ``lag``, ``status``, ``py_ytd_actual``, ``growth``.
    """
    a = _as_of(as_of)
    names, actual, target, prior = months_by(plan, deals, by)
    q0 = (a - 1) // 3 * 3
    ytd_a = np.round(actual[:, :a].sum(axis=1), SUM_DECIMALS)
    ytd_t = np.round(target[:, :a].sum(axis=1), SUM_DECIMALS)
    py = np.round(prior[:, :a].sum(axis=1), SUM_DECIMALS)
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(ytd_t > 0, ytd_a / ytd_t, np.nan)
        growth = np.where(py > 0, ytd_a / py - 1, np.nan)
    status = rag(ytd_a, ytd_t, "higher", plan.status.red, plan.status.amber) if names else np.array([])
    return pd.DataFrame({
        "dimension": by,
        "member": names,
        "month_actual": actual[:, a - 1],
        "month_target": target[:, a - 1],
        "qtd_actual": np.round(actual[:, q0:a].sum(axis=1), SUM_DECIMALS),
        "qtd_target": np.round(target[:, q0:a].sum(axis=1), SUM_DECIMALS),
        "ytd_actual": ytd_a,
        "ytd_target": ytd_t,
        "variance": ytd_a - ytd_t,
        "attainment": attainment,
        "lag": _lag(ytd_a, ytd_t, "higher") if names else np.zeros(0),
        "status": pd.Series([str(s) or None for s in np.asarray(status).tolist()], dtype=object),
        "py_ytd_actual": py,
        "growth": growth,
    })


def variance_review(plan: Plan, deals, as_of: int) -> pd.DataFrame:
    """Variance review: :func:`performance` across regions, teams, products and reps, each
    member's variance with its share of its dimension's total variance.

    Share of total variance = the member's variance / the sum of the variances of its
    dimension (NaN when that sum is 0); shares of one dimension add up to 1, and a share
    above 1 or below 0 means other members offset it.

    Returns:
        The rows of :func:`performance` for every dimension, with ``share_of_variance``.
    """
    parts = []
    for by in DIMENSIONS:
        p = performance(plan, deals, as_of, by)
        total = p["variance"].sum()
        p["share_of_variance"] = p["variance"] / total if total != 0 else np.nan
        parts.append(p)
    return pd.concat(parts, ignore_index=True)


def largest_movers(review: pd.DataFrame, n: int = 5, dimensions=("region", "team", "product")) -> pd.DataFrame:
    """The ``n`` members with the largest variance in size (ahead or behind) among the given
    dimensions of a :func:`variance_review`; equal sizes keep the review's order.

    Examples:
        >>> r = pd.DataFrame({"dimension": ["region"] * 3, "member": list("abc"), "variance": [5.0, -9.0, 5.0]})
        >>> largest_movers(r, 2)["member"].tolist()
        ['b', 'a']
    """
    rows = review[review["dimension"].isin(dimensions)]
    order = np.argsort(-np.abs(rows["variance"].to_numpy(dtype=float)), kind="stable")
    return rows.iloc[order[:n]].reset_index(drop=True)


def customer_health(deals, as_of: int, weights=None, *, complaint_ceiling: float = 0.10) -> pd.DataFrame:
    """Health score and tier of every customer of the prior year or this year to date.

    Components (docs/engine.md): purchase frequency = the customer's orders this year to date
    / the mean orders of the customers with an order; order value = its sales before returns
    per order / the company's average order value; complaint rate = complaints / orders with
    a complaint flag; NPS = the mean of its NPS values. The last two count only where the
    export has them: the weights of the components a customer lacks are left out.

    Args:
        deals: deal lines.
        as_of: the last fiscal month with actuals.
        weights: as :func:`health_score` (default equal).
        complaint_ceiling: the complaint rate that scores 0.

    Returns:
        One row per customer (sorted by name): ``customer``, ``py_revenue``, ``ytd_revenue``,
        ``orders``, ``order_value``, ``frequency``, ``order_value_ratio``, ``complaint_rate``,
        ``nps``, ``score``, ``tier``, ``action``.
    """
    d = deal_table(deals)
    a = _as_of(as_of)
    w = _weights(weights)
    cy, py = _window(d, 0, 1, a), d[d["fy"] == -1]
    names = sorted(set(cy["customer"]) | set(py["customer"]))
    idx = pd.Index(names)
    orders = cy.groupby("customer")["order"].sum().reindex(idx, fill_value=0).to_numpy(dtype=float)
    gross = np.round(cy[cy["amount"] > 0].groupby("customer")["amount"].sum().reindex(idx, fill_value=0.0).to_numpy(),
                     SUM_DECIMALS)
    order_lines = cy[cy["order"] == 1]
    flagged = order_lines[order_lines["complaint"].notna()]
    complaints = flagged.groupby("customer")["complaint"].agg(["sum", "count"]).reindex(idx)
    nps = cy[cy["nps"].notna()].groupby("customer")["nps"].mean().reindex(idx).to_numpy(dtype=float)
    buyers = orders > 0
    freq_bench = orders[buyers].mean() if buyers.any() else np.nan
    aov = gross.sum() / orders.sum() if orders.sum() > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        order_value = np.where(buyers, gross / orders, 0.0)
        frequency = orders / freq_bench if buyers.any() else np.zeros(len(names))
        value_ratio = order_value / aov if aov and np.isfinite(aov) else np.zeros(len(names))
        complaint_rate = (complaints["sum"] / complaints["count"]).to_numpy(dtype=float)
    scores = _component_scores(frequency, value_ratio, np.nan_to_num(complaint_rate) / complaint_ceiling,
                               np.nan_to_num(nps))
    present = np.stack([np.ones(len(names)), np.ones(len(names)), np.isfinite(complaint_rate), np.isfinite(nps)])
    weight = w[:, None] * present
    total = weight.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(total > 0, sum(weight[k] * scores[k] for k in range(4)) / total, 0.0)
    tiers = health_tier(score) if names else np.array([], dtype=str)
    return pd.DataFrame({
        "customer": names,
        "py_revenue": np.round(py.groupby("customer")["amount"].sum().reindex(idx, fill_value=0.0).to_numpy(),
                               SUM_DECIMALS),
        "ytd_revenue": np.round(cy.groupby("customer")["amount"].sum().reindex(idx, fill_value=0.0).to_numpy(),
                                SUM_DECIMALS),
        "orders": orders.astype(np.int64),
        "order_value": order_value,
        "frequency": frequency,
        "order_value_ratio": value_ratio,
        "complaint_rate": complaint_rate,
        "nps": nps,
        "score": score,
        "tier": np.asarray(tiers).tolist(),
        "action": [HEALTH_ACTIONS[t] for t in np.asarray(tiers).tolist()],
    })
