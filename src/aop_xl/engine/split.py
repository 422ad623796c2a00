"""Exact top-down splits: largest remainder in whole units (domain.md section 2).

The rule, which the workbook's formulas repeat cell for cell (docs/engine.md, "Splits"):

1. count in whole units: ``n = total / unit`` (a fraction of a unit is an error);
2. locked members keep their amount; the rest ``n'`` goes to the others by weight;
3. the weights become whole numbers (at most 6 decimal places, see :mod:`exact`); each member
   gets the floor of its exact share ``n' x w / W``;
4. the units left over go one each to the members with the largest remainders, compared
   exactly; ties go to the earlier member; zero-weight members never receive a unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from aop_xl.engine.exact import apportion, integer_weights
from aop_xl.errors import PlanError
from aop_xl.units import check_unit, from_units, to_units


def _member(names: Sequence[str] | None, i: int) -> str:
    return f'"{names[i]}"' if names is not None else f"weights[{i}]"


def check_weights(weights, names: Sequence[str] | None = None) -> np.ndarray:
    """Weights as a float array, refusing negative, NaN or infinite ones by member."""
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise PlanError("weights: expected a list of numbers") from None
    if w.ndim != 1:
        raise PlanError(f"weights: expected a list of numbers, got an array of shape {w.shape}")
    if w.size == 0:
        raise PlanError("weights: expected at least one member")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanError(f"{_member(names, i)}: weight must be a finite number >= 0, got {w[i]:g}")
    return w


def split_units(
    total_units: int,
    weights,
    locks: Mapping[int, int] | None = None,
    *,
    names: Sequence[str] | None = None,
    derived: Sequence[bool] | None = None,
    field: str = "weights",
) -> np.ndarray:
    """:func:`split` in whole units: ``total_units`` (>= 0) and locks are ints.

    ``weights`` are the members' decimal weights (or, where ``derived`` says so, growth
    targets in whole units); the weights of locked members take no part.
    """
    w = check_weights(weights, names)
    out = np.zeros(w.size, dtype=np.int64)
    free = np.ones(w.size, dtype=bool)
    rest = int(total_units)
    for pos, amount in (locks or {}).items():
        if not 0 <= pos < w.size:
            raise PlanError(f"locks: member {pos} does not exist (there are {w.size} members)")
        out[pos] = amount
        free[pos] = False
        rest -= int(amount)
    if rest < 0:
        raise PlanError(
            f"locks: fixed amounts add up to {total_units - rest} units, more than the total of {total_units}"
        )
    # The locked members' weights count as 0 (they take no part), so that a message names
    # the member by its own position, not by its place among the free members.
    ints = integer_weights(np.where(free, w, 0.0), derived=derived, names=names, field=field)[free]
    if rest > 0:
        if not free.any():
            raise PlanError(f"locks: every member is fixed, yet {rest} units of the total are left over")
        if not ints.any():
            raise PlanError("weights: are all zero" + (" for the members without a fixed amount" if locks else ""))
        out[free] = apportion(rest, ints)
    return out


def split(
    total: float,
    weights,
    unit: float = 0.01,
    locks: Mapping[int, float] | None = None,
    *,
    round_total: bool = False,
    allow_negative: bool = False,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Split ``total`` over ``weights`` exactly: parts are whole units and sum to the total.

    Args:
        total: the amount to split; must be a whole number of ``unit`` unless
            ``round_total`` is set (then it is rounded to the unit first, halves away from 0).
        weights: relative weights (any scale), one per member, all >= 0, each with at most
            6 decimal places.
        unit: the rounding unit (0.01, 1, 1000...).
        locks: fixed amounts by member position; the rest is split over the other members.
        round_total: round a total that is not a whole number of units instead of refusing it.
        allow_negative: allow a negative total (a planned decline); its parts are the
            negated split of its magnitude.
        names: member names, used in error messages.

    Returns:
        A float array of the parts, in the order of ``weights``.

    Raises:
        PlanError: negative or non-finite weights, weights with more than 6 decimal places,
            all-zero weights, a total that is not a multiple of the unit or beyond
            250,000,000,000,000 units, locks beyond the total, a negative total without
            ``allow_negative``.

    Examples:
        >>> split(100, [1, 1, 1], unit=0.01).tolist()
        [33.34, 33.33, 33.33]
        >>> split(24_000_000, [30, 40, 30, 40], unit=1).tolist()
        [5142857.0, 6857143.0, 5142857.0, 6857143.0]
        >>> split(100, [1, 1, 1], unit=1, locks={0: 50}).tolist()
        [50.0, 25.0, 25.0]
        >>> split(3_703_012.20, [1.2, 2]).tolist()
        [1388629.58, 2314382.62]
    """
    unit = check_unit(unit)
    n = to_units(total, unit, field="total", round_half=round_total)
    sign = 1
    if n < 0:
        if not allow_negative:
            raise PlanError(f"total: must be >= 0, got {total:g} (a planned decline needs allow_negative)")
        sign = -1
    lock_units = {}
    for pos, amount in (locks or {}).items():
        units = to_units(amount, unit, field=f"locks[{pos}]")
        if units * sign < 0:
            raise PlanError(f"locks[{pos}]: must have the sign of the total, got {amount:g}")
        lock_units[int(pos)] = units * sign
    parts = split_units(n * sign, weights, lock_units, names=names)
    return from_units(parts * sign, unit)
