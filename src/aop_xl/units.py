"""Whole numbers of the rounding unit: how amounts stay exact.

Every target is a whole number of the plan's unit (0.01, 1, 1000...). The engine counts in
integer units and turns them back into amounts only at the edge, so float arithmetic never
breaks an exact sum.
"""

from __future__ import annotations

import math

import numpy as np

from aop_xl.errors import PlanError

#: Every amount is at most this many units in magnitude (2.5 x 10^14; below 2^48, where the
#: arithmetic of Excel, LibreOffice and Gnumeric is exact on whole numbers). docs/engine.md.
MAX_UNITS = 250_000_000_000_000
#: The rounding unit lies between these, with at most 6 decimal places.
MIN_UNIT, MAX_UNIT = 1e-6, 1e9

_REL_TOL = 1e-9
# Slack when deciding that a float count of units is whole: the representation error of a
# decimal amount divided by its unit is a few ulps (24000000.01 / 0.01 is off by ~1e-6),
# so 1e-9 plus 1e-13 of the magnitude covers it while half a cent of 24,000,000.005 is
# still seen (an earlier 1e-9 x magnitude tolerated up to 2.4 units at that size).
WHOLE_SLACK = 1e-9
WHOLE_SLACK_REL = 1e-13
# Rounding halves up: a product such as 100000010 x 1.15 lands a few ulps below its exact
# half (115000011.49999999); a slack of 1e-9 plus 1e-15 of the magnitude (a few ulps) lifts it
# back over the half without touching any value that is truly below it by a meaningful
# fraction; at the size bound the slack is 0.25 of a unit, so it never reaches the next unit.
HALF_SLACK = 1e-9
HALF_SLACK_REL = 1e-15


def _per_unit(unit: float) -> int | None:
    # 0.01 is not exact in binary; dividing by 100 gives the nearest double to 0.07 where
    # multiplying 7 by 0.01 does not.
    if unit < 1:
        inv = 1 / unit
        if abs(inv - round(inv)) <= _REL_TOL * inv:
            return round(inv)
    return None


def check_unit(unit: float) -> float:
    """Return ``unit`` if it is a usable rounding unit, else raise PlanError.

    A unit is a positive decimal from 0.000001 to 1,000,000,000 with at most 6 decimal places
    (0.01, 1, 5, 1000 ...).
    """
    ok = isinstance(unit, (int, float, np.floating, np.integer)) and not isinstance(unit, bool)
    if not (ok and math.isfinite(unit) and unit > 0):
        raise PlanError(f"unit: must be a positive number, got {unit!r}")
    if not MIN_UNIT <= unit <= MAX_UNIT or abs(unit * 1e6 - round(unit * 1e6)) > 1e-6 * max(unit * 1e6, 1):
        raise PlanError(f"unit: must be a decimal from 0.000001 to 1,000,000,000 with at most 6 decimal places "
                        f"(0.01, 1, 1000 ...), got {unit!r}")
    return float(unit)


def check_units(n, field: str, unit: float | None = None) -> None:
    """Refuse a count of units beyond :data:`MAX_UNITS`, naming the field (and, given the
    unit, the largest amount)."""
    if np.any(np.abs(np.asarray(n, dtype=float)) > MAX_UNITS):
        largest = f" ({MAX_UNITS * unit:,.{_decimals(unit)}f} at a unit of {unit:g})" if unit else ""
        raise PlanError(f"{field}: more than {MAX_UNITS:,} units{largest}, the largest amount kept exact")


def _decimals(unit: float) -> int:
    return max(0, -int(math.floor(math.log10(unit) + 1e-9)))


def to_units(amount, unit: float, *, field: str = "total", round_half: bool = False):
    """Amount(s) as whole numbers of ``unit`` (int64), refusing fractions of a unit.

    Args:
        amount: a number or an array of numbers.
        unit: the rounding unit.
        field: the name used in the error message.
        round_half: round to the nearest unit (half away from zero) instead of refusing.
    """
    q = np.asarray(amount, dtype=float) / unit
    if not np.all(np.isfinite(q)):
        raise PlanError(f"{field}: must be a finite number, got {amount!r}")
    check_units(q, field, unit)
    a = np.abs(q)
    r = np.sign(q) * np.floor(a * (1 + HALF_SLACK_REL) + 0.5 + HALF_SLACK)
    if not round_half:
        bad = ~is_whole(q)
        if np.any(bad):
            value = np.asarray(amount, dtype=float).reshape(-1)[int(np.flatnonzero(bad.reshape(-1))[0])]
            raise PlanError(f"{field}: {value:.10g} is not a multiple of the unit {unit:g}")
        r = np.round(q)
    out = r.astype(np.int64)
    return int(out) if out.ndim == 0 else out


def is_whole(q):
    """True where a float count of units is a whole number, up to representation error."""
    q = np.asarray(q, dtype=float)
    return np.abs(q - np.round(q)) <= WHOLE_SLACK + np.abs(q) * WHOLE_SLACK_REL


def from_units(units, unit: float):
    """Whole numbers of ``unit`` back to amounts (floats nearest to the decimal amount)."""
    per = _per_unit(unit)
    arr = np.asarray(units, dtype=np.int64)
    out = arr / per if per is not None else arr * unit
    return float(out) if np.ndim(out) == 0 else out


def round_to_unit(amount: float, unit: float) -> float:
    """Round an amount to the nearest whole unit, halves away from zero (like Excel ROUND)."""
    return from_units(to_units(amount, unit, round_half=True), unit)


def round_places(x, decimals: int):
    """``x`` rounded to ``decimals`` decimal places, halves away from zero, as the workbook's
    ``ROUND`` does (numpy's round takes an exact half to the even digit: 1 - 8191/8192 =
    0.0001220703125 would become 0.000122070312 where ``ROUND(x, 12)`` gives 0.000122070313).
    Any other value rounds as with numpy; NaN stays NaN.
    """
    scale = 10.0**decimals
    y = np.asarray(x, dtype=float) * scale
    whole = np.trunc(y)
    with np.errstate(invalid="ignore"):
        r = np.where(np.abs(y - whole) == 0.5, whole + np.sign(y), np.rint(y))
    return r / scale


#: Rates (growth, challenge uplift) are decimals of at most 6 places.
RATE_SCALE = 10**6


def grow_units(units, rate: float):
    """``units x (1 + rate)`` rounded to a whole unit, halves away from zero, exactly.

    ``rate`` is a decimal of at most 6 places (a growth rate, the challenge uplift): with
    ``U = (1 + rate) x 10^6`` and ``|units| = a x 10^6 + b``, the result is
    ``a x U + floor((b x U + 500000) / 10^6)``, every product below 2^48.

    Examples:
        >>> grow_units([10, 1_000_000, -10], 0.15).tolist()
        [12, 1150000, -12]
        >>> int(grow_units(150 * 10**12, 0.05))
        157500000000000
    """
    units = np.asarray(units, dtype=np.int64)
    factor = round((1 + rate) * RATE_SCALE)
    a, b = np.divmod(np.abs(units), RATE_SCALE)
    return np.sign(units) * (a * factor + (b * factor + RATE_SCALE // 2) // RATE_SCALE)


def growth_target(prior_year_revenue: float, growth: float, unit: float, field: str = "prior_year_revenue") -> int:
    """A growth target in whole units: prior-year revenue in whole units (halves away from
    zero) x (1 + growth), rounded exactly (:func:`grow_units`)."""
    base = to_units(prior_year_revenue, unit, round_half=True, field=field)
    return int(grow_units(base, growth))
