"""Top-down vs bottom-up reconciliation (domain.md section 3).

Inputs are pandas Series of amounts indexed by the plan's dimensions (an Index or a
MultiIndex, e.g. region x product x month); a long DataFrame with a ``target`` column and
the dimension columns is accepted too. Rules this module adds where the domain is silent:

- Amounts must be >= 0 (they are weights of the exact re-split).
- ``gap_pct`` is undefined when the top-down amount is 0 and the gap is not: it is <NA> and
  the row is outside tolerance. 0 of 0 is a gap of 0%.
- ``gap_pct`` is rounded to 12 decimals, halves away from zero (as the KPI lag is, and as
  the workbook's ROUND does), before the tolerance test, so a gap of exactly 5% is within a 5%
  tolerance. Counted in whole units, it is the exact ratio rounded.
- ``flag`` is "ok" within tolerance, else "above" (BU over TD) or "below".
- Sums are exact (counted in whole units) when every amount is a whole number of the unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from aop_xl.errors import PlanError
from aop_xl.units import check_unit, check_units, from_units, is_whole, round_places

METHODS = ("keep", "accept", "blend", "scale")
PCT_DECIMALS = 12
_RESERVED = ("level", "topdown", "bottomup", "gap", "gap_pct", "within_tolerance", "flag")


@dataclass(frozen=True, eq=False)
class Reconciliation:
    """Gaps at every level, and the proposal re-split exactly to the unit."""

    gaps: pd.DataFrame = field(repr=False)
    proposal: pd.Series = field(repr=False)
    method: str
    total_topdown: float
    total_bottomup: float
    total_proposal: float

    @property
    def flagged(self) -> pd.DataFrame:
        """The rows of ``gaps`` outside tolerance, for discussion."""
        return self.gaps[~self.gaps["within_tolerance"]]


def _as_series(x, name: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        if "target" not in x.columns or len(x.columns) < 2:
            raise PlanError(f"{name}: a DataFrame needs a 'target' column and at least one dimension column")
        x = x.set_index([c for c in x.columns if c != "target"])["target"]
    if not isinstance(x, pd.Series):
        raise PlanError(
            f"{name}: expected a pandas Series (or a DataFrame with a 'target' column), got {type(x).__name__}"
        )
    if x.empty:
        raise PlanError(f"{name}: is empty")
    if x.index.has_duplicates:
        raise PlanError(f"{name}: {x.index[x.index.duplicated()][0]!r} appears more than once")
    try:
        values = x.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise PlanError(f"{name}: amounts must be numbers") from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanError(f"{name}[{x.index[i]!r}]: must be a finite number >= 0, got {float(values[i])!r}")
    names = [n if n is not None else f"level_{i}" for i, n in enumerate(x.index.names)]
    clash = [n for n in names if n in _RESERVED]
    if clash:
        raise PlanError(f"{name}: index level {clash[0]!r} clashes with a column of the gaps table")
    return pd.Series(values, index=x.index.set_names(names), name=name)


def _align(td: pd.Series, bu: pd.Series) -> pd.Series:
    if list(td.index.names) != list(bu.index.names):
        raise PlanError(f"bottomup: index levels {list(bu.index.names)} differ from topdown's {list(td.index.names)}")
    if td.index.equals(bu.index):
        return bu
    missing, extra = td.index.difference(bu.index), bu.index.difference(td.index)
    if len(missing) or len(extra):
        what = f"lacks {missing[0]!r}" if len(missing) else f"has {extra[0]!r}, which topdown lacks"
        raise PlanError(
            f"bottomup: index does not match topdown's ({len(missing)} missing, {len(extra)} extra): {what}"
        )
    return bu.reindex(td.index)


def _amounts(values: np.ndarray, unit: float) -> tuple[np.ndarray, bool]:
    # Whole units (int64) when every amount is a whole number of the unit, else the floats.
    # The slack is units.is_whole's: a relative 1e-9 took half a cent of 24,000,000.005 for a
    # whole number of cents (and rounded it to the even cent).
    q = values / unit
    if np.all(is_whole(q)):
        return np.round(q).astype(np.int64), True
    return values, False


def _gaps(td: pd.Series, bu: pd.Series, tolerance: float, unit: float) -> pd.DataFrame:
    dims = list(td.index.names)
    (t, t_exact), (b, b_exact) = _amounts(td.to_numpy(), unit), _amounts(bu.to_numpy(), unit)
    exact = t_exact and b_exact
    frame = td.index.to_frame(index=False)
    frame["topdown"], frame["bottomup"] = (t, b) if exact else (td.to_numpy(), bu.to_numpy())
    parts = [frame[["topdown", "bottomup"]].sum().to_frame().T.assign(level="total")]
    for dim in dims if len(dims) > 1 else []:
        g = frame.groupby(dim, sort=False, observed=True)[["topdown", "bottomup"]].sum().reset_index()
        parts.append(g.assign(level=dim))
    parts.append(frame.assign(level="detail"))
    out = pd.concat(parts, ignore_index=True)
    for dim in dims:
        out[dim] = out[dim].astype(object).where(out[dim].notna(), None)
    if exact:
        t_units, b_units = out["topdown"].to_numpy(dtype=np.int64), out["bottomup"].to_numpy(dtype=np.int64)
        out["topdown"], out["bottomup"] = from_units(t_units, unit), from_units(b_units, unit)
        out["gap"] = from_units(b_units - t_units, unit)
        gaps = (b_units - t_units).tolist()
        pct = np.array([_exact_pct(g, t) for g, t in zip(gaps, t_units.tolist())], dtype=float)
    else:
        out["gap"] = out["bottomup"] - out["topdown"]
        tdv, gap = out["topdown"].to_numpy(dtype=float), out["gap"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = round_places(np.where(tdv != 0, gap / tdv, np.where(gap == 0, 0.0, np.nan)), PCT_DECIMALS)
    gap = out["gap"].to_numpy(dtype=float)
    within = np.abs(pct) <= _round_half_away(_decimal(tolerance) * 10**PCT_DECIMALS) / 10**PCT_DECIMALS
    out["gap_pct"] = pd.array(pct, dtype="Float64")
    out["within_tolerance"] = within
    out["flag"] = np.where(within, "ok", np.where(gap > 0, "above", "below"))
    return out[["level", *dims, "topdown", "bottomup", "gap", "gap_pct", "within_tolerance", "flag"]]


def _exact_pct(gap: int, topdown: int) -> float:
    """gap / topdown (whole units, topdown >= 0) rounded to 12 decimals, halves away from zero,
    exactly: the workbook's ROUND of the ratio, whatever binary floating point makes of it."""
    if topdown == 0:
        return 0.0 if gap == 0 else float("nan")
    scale = 10**PCT_DECIMALS
    q = (2 * abs(gap) * scale + topdown) // (2 * topdown)
    return (q if gap >= 0 else -q) / scale


def _decimal(x) -> Fraction:
    """A number as the decimal it is written as (a float by its shortest representation)."""
    return Fraction(Decimal(repr(float(x))))


def _exact_units(values: np.ndarray, unit: float) -> list[Fraction]:
    """Amounts in units of the plan, exactly: whole numbers when they are whole units."""
    q, whole = _amounts(values, unit)
    if whole:
        return [Fraction(int(v)) for v in q]
    u = _decimal(unit)
    return [_decimal(v) / u for v in values]


def _round_half_away(x: Fraction) -> int:
    up = abs(x) + Fraction(1, 2)
    n = up.numerator // up.denominator
    return n if x >= 0 else -n


def _largest_remainder(n: int, weights: list[Fraction]) -> list[int]:
    """``n`` >= 0 whole units over exact weights >= 0: floors, then one unit each to the
    largest remainders, equal remainders to the earlier member, none to a zero weight."""
    if n == 0:
        return [0] * len(weights)
    denominator = math.lcm(*(w.denominator for w in weights))
    w = [int(x * denominator) for x in weights]
    total_w = sum(w)
    if total_w <= 0:
        raise PlanError("weights: are all zero")
    floors = [n * x // total_w for x in w]
    rems = [n * x % total_w for x in w]
    order = sorted((i for i, x in enumerate(w) if x > 0), key=lambda i: (-rems[i], i))
    for i in order[: n - sum(floors)]:
        floors[i] += 1
    return floors


def reconcile(topdown, bottomup, tolerance=0.05, method="keep", alpha=0.5, unit=0.01) -> Reconciliation:
    """Compare top-down and bottom-up targets at every level and propose a reconciled plan.

    Args:
        topdown: top-down amounts, a Series indexed by the dimensions (e.g. region, product,
            month), or a long DataFrame with a ``target`` column.
        bottomup: bottom-up amounts with the same index entries (in any order).
        tolerance: the largest |gap %| accepted without discussion.
        method: "keep" (TD), "accept" (BU), "blend" (alpha x TD + (1 - alpha) x BU), or
            "scale" (BU scaled to the TD total, keeping BU's mix).
        alpha: the weight of TD in "blend", in [0, 1].
        unit: the rounding unit of the proposal.

    Returns:
        A :class:`Reconciliation`. ``gaps`` has one row per member at each level: "total",
        each dimension by name (only when there are several), and "detail"; columns
        ``level``, one per dimension (None where aggregated away), ``topdown``, ``bottomup``,
        ``gap`` (BU - TD), ``gap_pct`` (gap / TD), ``within_tolerance``, ``flag``.
        ``proposal`` is the detail in topdown's order: whole units that add up exactly to
        the proposal's total (the method's total rounded to the unit, halves away from 0),
        split by largest remainder with the method's values as weights.

    Raises:
        PlanError: an unknown method, alpha outside [0, 1], a negative tolerance, inputs
            that are not Series/DataFrames, negative or non-finite amounts, indexes that
            do not match, "scale" with a bottom-up of all zeros.

    Examples:
        >>> idx = pd.Index(["East", "West", "South"], name="region")
        >>> td = pd.Series([100.0, 100.0, 100.0], index=idx)
        >>> bu = pd.Series([104.0, 90.0, 106.0], index=idx)
        >>> r = reconcile(td, bu, method="scale", unit=1)
        >>> r.proposal.tolist()
        [104.0, 90.0, 106.0]
        >>> r.gaps[["level", "region", "gap", "flag"]].values.tolist()[1:]
        [['detail', 'East', 4.0, 'ok'], ['detail', 'West', -10.0, 'below'], ['detail', 'South', 6.0, 'above']]
        >>> reconcile(td, bu, method="blend", alpha=0.5, unit=1).proposal.tolist()
        [102.0, 95.0, 103.0]
    """
    if method not in METHODS:
        raise PlanError(f"method: must be one of {METHODS}, got {method!r}")
    if not (isinstance(alpha, (int, float)) and 0 <= alpha <= 1):
        raise PlanError(f"alpha: must be between 0 and 1, got {alpha!r}")
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise PlanError(f"tolerance: must be a number >= 0, got {tolerance!r}")
    unit = check_unit(unit)
    td = _as_series(topdown, "topdown")
    bu = _align(td, _as_series(bottomup, "bottomup"))
    tdv, buv = td.to_numpy(), bu.to_numpy()
    td_total, bu_total = math.fsum(tdv), math.fsum(buv)
    if method == "scale" and td_total > 0 and not buv.any():
        raise PlanError("bottomup: is all zero, so it cannot be scaled to the top-down total")
    # The proposal's weights are amounts, not plan weights: they are used exactly, in whole
    # numbers (no 6-decimal rule, no reduction to 2^31), so "keep" gives back the top-down
    # amounts and "accept" the bottom-up ones whatever their size.
    t, b = _exact_units(tdv, unit), _exact_units(buv, unit)
    if method == "keep":
        weights = t
    elif method == "accept":
        weights = b
    elif method == "blend":
        a = _decimal(alpha)
        weights = [a * x + (1 - a) * y for x, y in zip(t, b)]
    else:
        weights = b
    total = sum(t if method == "scale" else weights, Fraction(0))
    n = _round_half_away(total)
    check_units(n, f"{method} total")
    parts = _largest_remainder(n, weights)
    proposal = pd.Series(from_units(np.asarray(parts, dtype=np.int64), unit), index=td.index, name="proposal")
    return Reconciliation(
        gaps=_gaps(td, bu, tolerance, unit),
        proposal=proposal,
        method=method,
        total_topdown=td_total,
        total_bottomup=bu_total,
        total_proposal=from_units(n, unit),
    )
