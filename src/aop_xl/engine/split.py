"""Exact top-down splits: largest remainder in whole units (domain.md section 2).

The rule, which the workbook's formulas repeat cell for cell:

1. count in whole units: ``n = total / unit`` (a fraction of a unit is an error);
2. locked members keep their amount; the rest ``n'`` goes to the others by weight;
3. each member's exact share is ``n' * w / sum(w)``; its floor (with a 1e-9 slack so that
   3 * (1/3) counts as 1) is its first allotment;
4. the units left over go one each to the members with the largest remainders, compared
   after rounding to 9 decimals of a unit (so float noise cannot reorder true ties);
   ties go to the earlier member; zero-weight members never receive a unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from aop_xl.errors import PlanError
from aop_xl.units import check_unit, from_units, to_units

# A share this close below a whole unit counts as that unit (3 x 1/3 is 1, not 0.999...).
FLOOR_SLACK = 1e-9
# Remainders are compared after rounding to this many decimals of a unit.
REMAINDER_DECIMALS = 9


def _member(names: Sequence[str] | None, i: int) -> str:
    return f'"{names[i]}"' if names is not None else f"weights[{i}]"


def check_weights(weights, names: Sequence[str] | None = None) -> np.ndarray:
    """Weights as a float array, refusing negative, NaN or infinite ones by member."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1:
        raise PlanError(f"weights: expected a list of numbers, got an array of shape {w.shape}")
    if w.size == 0:
        raise PlanError("weights: expected at least one member")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanError(f"{_member(names, i)}: weight must be a finite number >= 0, got {w[i]:g}")
    return w


def split_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder split of each row's total (whole units, >= 0) over its weights.

    Vectorised over rows: ``totals`` has shape (k,), ``weights`` shape (k, m) or (m,).
    Rows whose total is zero get zeros; a row with a positive total and all-zero weights
    must have been refused by the caller.
    """
    totals = np.asarray(totals, dtype=np.int64)
    w = np.broadcast_to(np.asarray(weights, dtype=float), (totals.shape[0], np.shape(weights)[-1]))
    wsum = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(wsum[:, None] > 0, totals[:, None] * (w / wsum[:, None]), 0.0)
    floor = np.floor(share + FLOOR_SLACK)
    left = totals - floor.sum(axis=1).astype(np.int64)
    if (left < 0).any():
        # The slack rounded up more shares than the total allows: use plain floors there.
        rows = left < 0
        floor[rows] = np.floor(share[rows])
        left = totals - floor.sum(axis=1).astype(np.int64)
    rem = np.round(share - floor, REMAINDER_DECIMALS)
    rem[w <= 0] = -1.0
    out = floor.astype(np.int64)
    if totals.shape[0] == 1:
        out[0] += _largest(rem[0], int(left[0]))
        return out
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :].repeat(order.shape[0], axis=0), axis=1)
    return out + (rank < left[:, None])


def _largest(rem: np.ndarray, k: int) -> np.ndarray:
    # One unit each to the k largest remainders, ties to the earlier member, in linear time:
    # everything above the k-th largest value, then the earliest of those equal to it.
    extra = np.zeros(rem.size, dtype=np.int64)
    if k <= 0:
        return extra
    kth = np.partition(rem, rem.size - k)[rem.size - k]
    above = rem > kth
    extra[above] = 1
    extra[np.flatnonzero(rem == kth)[: k - int(above.sum())]] = 1
    return extra


def split_units(
    total_units: int,
    weights,
    locks: Mapping[int, int] | None = None,
    *,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """:func:`split` in whole units: ``total_units`` (>= 0) and locks are ints."""
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
    if rest > 0:
        if not free.any():
            raise PlanError(f"locks: every member is fixed, yet {rest} units of the total are left over")
        if not w[free].any():
            raise PlanError("weights: are all zero" + (" for the members without a fixed amount" if locks else ""))
        out[free] = split_rows(np.array([rest]), w[free])[0]
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
        weights: relative weights (any scale), one per member, all >= 0.
        unit: the rounding unit (0.01, 1, 1000...).
        locks: fixed amounts by member position; the rest is split over the other members.
        round_total: round a total that is not a whole number of units instead of refusing it.
        allow_negative: allow a negative total (a planned decline); its parts are the
            negated split of its magnitude.
        names: member names, used in error messages.

    Returns:
        A float array of the parts, in the order of ``weights``.

    Raises:
        PlanError: negative or non-finite weights, all-zero weights, a total that is not a
            multiple of the unit, locks beyond the total, a negative total without
            ``allow_negative``.

    Examples:
        >>> split(100, [1, 1, 1], unit=0.01).tolist()
        [33.34, 33.33, 33.33]
        >>> split(24_000_000, [30, 40, 30, 40], unit=1).tolist()
        [5142857.0, 6857143.0, 5142857.0, 6857143.0]
        >>> split(100, [1, 1, 1], unit=1, locks={0: 50}).tolist()
        [50.0, 25.0, 25.0]
    """
    unit = check_unit(unit)
    n = to_units(total, unit, field="total", round_half=round_total)
    sign = 1
    if n < 0:
        if not allow_negative:
            raise PlanError(f"total: must be >= 0, got {total:g} (pass allow_negative=True for a planned decline)")
        sign = -1
    lock_units = {}
    for pos, amount in (locks or {}).items():
        units = to_units(amount, unit, field=f"locks[{pos}]")
        if units * sign < 0:
            raise PlanError(f"locks[{pos}]: must have the sign of the total, got {amount:g}")
        lock_units[int(pos)] = units * sign
    parts = split_units(n * sign, weights, lock_units, names=names)
    return from_units(parts * sign, unit)
