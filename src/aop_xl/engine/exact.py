"""Exact integer arithmetic behind every split: whole-number weights, exact shares, the bound.

The rules are those of docs/engine.md ("The size bound", "Weights are decimals", "Exact
shares"); the workbook's formulas repeat them cell for cell. Counts of units stay below
:data:`MAX_UNITS`, whole-number weights of one split below 2^32, so that no product of two
counts is ever formed in 64-bit integers and every comparison of shares is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aop_xl.errors import PlanError
from aop_xl.units import MAX_UNITS, RATE_SCALE, check_units, grow_units  # noqa: F401  (re-exported)

#: A weight has at most this many decimal places.
WEIGHT_DECIMALS = 6
#: Whole-number weights of one split adding up to more than this are reduced by 10^k.
WEIGHT_SUM_REDUCE = 2**31
#: Whole-number weights of one split may never add up to more than this (before reduction).
WEIGHT_SUM_MAX = 2**48


def decimal_places(w: float) -> int:
    """Decimal places of a number as written: the fewest d with round(w, d) == w (99 beyond 15).

    Examples:
        >>> decimal_places(30), decimal_places(1.2), decimal_places(0.125), decimal_places(0.1 + 0.2)
        (0, 1, 3, 17)
    """
    w = float(w)
    if not np.isfinite(w):
        return 99
    for d in range(18):
        if round(w, d) == w:
            return d
    return 99


def _label(names: Sequence[str] | None, field: str, i: int) -> str:
    return f'"{names[i]}"' if names is not None else f"{field}[{i}]"


def integer_weights(
    weights,
    *,
    derived: Sequence[bool] | None = None,
    names: Sequence[str] | None = None,
    field: str = "weights",
) -> np.ndarray:
    """The whole-number weights of one split (docs/engine.md, "Weights are decimals").

    A weight's decimal places are the fewest d (0 to 6) for which rounding it to d decimals
    gives it back, as a spreadsheet's ``ROUND(w, d) = w`` says.

    Args:
        weights: the members' weights, >= 0. A derived member's weight is already a whole
            number (its growth target in units).
        derived: per member, True when its weight is derived from prior-year revenue (it
            counts as having no decimals).
        names: member names for messages.
        field: what the weights are, for messages.

    Returns:
        int64 whole-number weights whose sum is below 2^32.

    Raises:
        PlanError: a negative or non-finite weight, more than 6 decimal places, or weights
            too large to keep exact.

    Examples:
        >>> integer_weights([1.2, 2]).tolist()
        [12, 20]
        >>> integer_weights([30, 40, 30, 40]).tolist()
        [30, 40, 30, 40]
        >>> integer_weights([3_000_000_000, 1_000_000_000], derived=[True, True]).tolist()
        [300000000, 100000000]
        >>> integer_weights([0.1 + 0.2])
        Traceback (most recent call last):
        aop_xl.errors.PlanError: weights[0]: weight 0.30000000000000004 has more than 6 decimal places (weights are decimals; weights are relative, so 1 and 2 work as well as 1/3 and 2/3)
    """
    values = np.asarray(weights, dtype=float).reshape(-1)
    flags = np.asarray(derived if derived is not None else np.zeros(values.size, bool), dtype=bool)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PlanError(f"{_label(names, field, i)}: weight must be a finite number >= 0, got {values[i]:g}")
    places = np.where(flags | (values == 0), 0, -1)
    open_ = np.flatnonzero(places < 0)  # members whose places are not known yet
    with np.errstate(over="ignore", invalid="ignore"):
        for d in range(WEIGHT_DECIMALS + 1):
            if not open_.size:
                break
            scale = 10.0**d
            v = values[open_]
            fits = np.round(v * scale) / scale == v
            places[open_[fits]] = d
            open_ = open_[~fits]
    if (places < 0).any():
        i = int(np.flatnonzero(places < 0)[0])
        raise PlanError(
            f"{_label(names, field, i)}: weight {float(values[i])!r} has more than {WEIGHT_DECIMALS} decimal places "
            f"(weights are decimals; weights are relative, so 1 and 2 work as well as 1/3 and 2/3)"
        )
    d = int(places.max(initial=0))
    if values.sum() * 10.0**d > 2.0 * WEIGHT_SUM_MAX:
        total = values.sum() * 10.0**d
        raise PlanError(
            f"{field}: the weights are too large to keep exact (as whole numbers at {d} decimal places they "
            f"add up to {total:,.0f}, more than 2^48); weights are relative: use smaller numbers"
        )
    scaled = np.round(values * 10.0**d).astype(np.int64)
    total = int(scaled.sum())
    if total > WEIGHT_SUM_MAX:
        raise PlanError(
            f"{field}: the weights are too large to keep exact (as whole numbers at {d} decimal places they "
            f"add up to {total:,}, more than 2^48); weights are relative: use smaller numbers"
        )
    k = 0
    while total > WEIGHT_SUM_REDUCE * 10**k:
        k += 1
    if k:
        scaled = (scaled + 10**k // 2) // 10**k
    return scaled


# ------------------------------------------------------------------------- exact shares


def floor_share(n, w, total_weight):
    """Floor and remainder of ``n x w / W`` without forming ``n x w`` (docs/engine.md).

    ``n`` (whole units, 0..2^48), ``w`` (0..W) and ``W`` (1..2^32) broadcast together; with
    ``n = a x W + b``, the floor is ``a x w + floor(b x w / W)`` and the remainder
    ``(b x w) mod W``, where ``b x w`` < 2^64 is exact in unsigned 64-bit integers.

    Returns:
        (floor, remainder) as int64 arrays; 0 <= remainder < W.

    Examples:
        >>> q, r = floor_share(370301220, np.array([12, 20]), 32)
        >>> q.tolist(), r.tolist()
        ([138862957, 231438262], [16, 16])
    """
    n = np.asarray(n, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    big_w = np.asarray(total_weight, dtype=np.int64)
    a, b = np.divmod(n, big_w)
    q2, r = np.divmod(b.astype(np.uint64) * w.astype(np.uint64), big_w.astype(np.uint64))
    return a * w + q2.astype(np.int64), r.astype(np.int64)


def _ranks(key: np.ndarray) -> np.ndarray:
    """0-based position of each member when ordered by ``key`` descending, ties to the earlier
    member (along the last axis)."""
    order = np.argsort(-key, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(key.shape[-1]), key.shape), axis=-1)
    return rank


def apportion(n, weights) -> np.ndarray:
    """Largest-remainder split of each total over whole-number weights (vectorised).

    Args:
        n: totals in whole units (>= 0), shape (k,) or scalar.
        weights: whole-number weights, shape (k, m) or (m,); a row with a positive total
            needs a positive weight sum (the caller refuses all-zero weights).

    Returns:
        int64 parts of shape (k, m) (or (m,) for a scalar total): each the floor of its exact
        share, plus one for the members with the largest remainders, ties to the earlier one.

    Examples:
        >>> apportion(1000, [90, 120, 90, 120]).tolist()
        [214, 286, 214, 286]
        >>> apportion([214, 286], [1, 1, 1]).tolist()
        [[72, 71, 71], [96, 95, 95]]
    """
    scalar = np.ndim(n) == 0
    n = np.atleast_1d(np.asarray(n, dtype=np.int64))
    w = np.asarray(weights, dtype=np.int64)
    w = np.broadcast_to(w, (n.shape[0], w.shape[-1]))
    big_w = w.sum(axis=1)
    safe = np.where(big_w > 0, big_w, 1)
    q, r = floor_share(n[:, None], w, safe[:, None])
    left = n - q.sum(axis=1)
    if n.shape[0] == 1:
        parts = q + _largest(r[0], int(left[0]))
    else:
        parts = q + (_ranks(r) < left[:, None])
    parts[big_w == 0] = 0
    return parts[0] if scalar else parts


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


def muldiv(x, y, z):
    """Floor and remainder of ``x x y / z`` for whole numbers 0 <= x, y <= z <= 2^48.

    The float quotient is within a unit of the true one; the remainder ``x y - q z`` is small,
    so it is exact in 64-bit arithmetic that wraps around (the workbook computes it from 24-bit
    halves of each factor), and one correction step makes the floor exact.

    Examples:
        >>> q, r = muldiv(np.array([249_999_999_999_999]), 249_999_999_999_998, 250_000_000_000_000)
        >>> int(q[0]), int(r[0])
        (249999999999997, 2)
    """
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    z = np.asarray(z, dtype=np.int64)
    safe = np.where(z > 0, z, 1)
    q = np.floor(x.astype(float) * (y.astype(float) / safe.astype(float))).astype(np.int64)
    with np.errstate(over="ignore"):
        r = (x.astype(np.uint64) * y.astype(np.uint64) - q.astype(np.uint64) * safe.astype(np.uint64)).view(np.int64)
    for _ in range(2):
        low, high = r < 0, r >= safe
        q = q - low + high
        r = r + safe * low - safe * high
    return q, r


def running_rounding(totals, col_totals, col_weights=None) -> np.ndarray:
    """Fill tables exactly to both margins by running-total rounding (docs/engine.md).

    Args:
        totals: row totals, shape (B, R) (B tables of R rows; pad with zero rows).
        col_totals: column totals, shape (B, J); each table's columns add up to its rows.
        col_weights: whole-number column weights, shape (J,) or (B, J): a row's exact running
            total through column j is t x (weights up to j) / (all weights), and a column of
            weight 0 must have a total of 0. None: the running total follows the column
            totals themselves, t x (column totals up to j) / (table total).

    Returns:
        int64 cells of shape (B, R, J): rows add up to ``totals``, columns to ``col_totals``,
        no cell negative.

    Examples:
        >>> months = [72, 71, 71, 96, 95, 95, 72, 71, 71, 96, 95, 95]
        >>> cells = running_rounding([[300, 250, 200, 150, 100]], [months], [30] * 3 + [40] * 3 + [30] * 3 + [40] * 3)
        >>> cells[0, 0].tolist()
        [22, 21, 21, 29, 28, 29, 22, 21, 21, 29, 28, 29]
    """
    t = np.asarray(totals, dtype=np.int64)
    c = np.asarray(col_totals, dtype=np.int64)
    n_tables, n_rows = t.shape
    n_cols = c.shape[1]
    if (t.sum(axis=1) != c.sum(axis=1)).any():
        raise PlanError("margins: row totals and column totals disagree")
    if col_weights is None:
        s = None
        cum = np.cumsum(c, axis=1)
        grand = t.sum(axis=1)[:, None]
    else:
        s = np.broadcast_to(np.asarray(col_weights, dtype=np.int64), c.shape)
        if ((s == 0) & (c != 0)).any():
            raise PlanError("margins: a column of weight 0 has a total other than 0")
        big_w = np.where(s.sum(axis=1) > 0, s.sum(axis=1), 1)[:, None]
        cum = np.cumsum(s, axis=1)
    out = np.zeros((n_tables, n_rows, n_cols), dtype=np.int64)
    got = np.zeros_like(t)
    idx = np.arange(n_rows)
    span = np.int64(n_rows + 1)
    for j in range(n_cols):
        live = (s[:, j] > 0) if s is not None else np.ones(n_tables, dtype=bool)
        if not live.any():
            continue
        if s is None:
            q, r = muldiv(t, cum[:, j, None], grand)
        else:
            q, r = floor_share(t, cum[:, j, None], big_w)
        f = q - got
        b = np.maximum(f, 0)
        room = t - got - b
        key = np.where(room > 0, np.where(f >= 0, r, -1), -2)
        k = c[:, j] - b.sum(axis=1)
        # Giving: order by key descending, ties to the earlier row.
        give_order = np.argsort(-key * span + idx, axis=1, kind="stable")
        give_pos = np.empty_like(give_order)
        np.put_along_axis(give_pos, give_order, np.broadcast_to(idx, t.shape), axis=1)
        has_room = room > 0
        first = has_room & (give_pos < k[:, None])
        over = np.maximum(k - has_room.sum(axis=1), 0)
        spare = np.take_along_axis(np.where(has_room, room - 1, 0), give_order, axis=1)
        before = np.cumsum(spare, axis=1) - spare
        second_sorted = np.clip(over[:, None] - before, 0, spare)
        second = np.empty_like(second_sorted)
        np.put_along_axis(second, give_order, second_sorted, axis=1)
        # Taking back: key ascending, ties to the later row.
        take_order = np.argsort(key * span + (n_rows - 1 - idx), axis=1, kind="stable")
        cap = np.take_along_axis(b, take_order, axis=1)
        before = np.cumsum(cap, axis=1) - cap
        take_sorted = np.clip(np.maximum(-k, 0)[:, None] - before, 0, cap)
        take = np.empty_like(take_sorted)
        np.put_along_axis(take, take_order, take_sorted, axis=1)
        giving = (k >= 0)[:, None]
        y = b + np.where(giving, first.astype(np.int64) + second, -take)
        y[~live] = 0
        out[:, :, j] = y
        got += y
    return out


def share_deviation(cells: np.ndarray, totals: np.ndarray, col_weights: np.ndarray | None = None) -> float:
    """Largest distance (in units) of a table's cell from its exact share: t_i x s_j / W, or
    t_i x c_j / (table total) without weights."""
    cells = np.asarray(cells, dtype=float)
    if cells.size == 0:
        return 0.0
    if col_weights is None:
        col_weights = cells.sum(axis=1)
    s = np.broadcast_to(np.asarray(col_weights, dtype=float), (cells.shape[0], cells.shape[-1]))
    big_w = np.where(s.sum(axis=1) > 0, s.sum(axis=1), 1.0)
    exact = np.asarray(totals, dtype=float)[:, :, None] * (s / big_w[:, None])[:, None, :]
    return float(np.abs(cells - exact).max(initial=0.0))

