"""A matrix that meets two fixed margins exactly (domain.md section 2, "two fixed margins").

Biproportional fitting (iterative proportional fitting, RAS) scales a seed matrix until its
rows and columns sum to the margins; controlled rounding then turns it into whole units while
keeping every row and column total exact. Every cell ends at its fitted value rounded down or
up, never further away; a cell whose value is whole stays at it.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import maximum_flow

from aop_xl.errors import PlanError
from aop_xl.units import check_unit, from_units, to_units

MAX_FIT_ITERATIONS = 10_000
FIT_TOLERANCE = 1e-11
# A fitted value this close to a whole number is that number (3 x 1/3 is 1, not 0.999...).
FLOOR_SLACK = 1e-9
# Fractions that agree to this many decimals count as equal; the earlier cell is preferred.
TIE_DECIMALS = 12


def _margin(values, name: str, unit: float) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise PlanError(f"{name}: expected a non-empty list of numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise PlanError(f"{name}: expected a non-empty list of numbers")
    units = to_units(arr, unit, field=name)
    if (units < 0).any():
        i = int(np.flatnonzero(units < 0)[0])
        raise PlanError(f"{name}[{i}]: must be >= 0, got {arr[i]:g}")
    return np.atleast_1d(units)


def fit(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Iterative proportional fitting of ``seed`` to the row and column totals (floats)."""
    x = seed.astype(float).copy()
    for _ in range(MAX_FIT_ITERATIONS):
        rs = x.sum(axis=1)
        x *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        scale = max(1.0, float(rows.max(initial=0)))
        if np.abs(x.sum(axis=1) - rows).max(initial=0) <= FIT_TOLERANCE * scale:
            return x
    raise PlanError(
        "seed: cannot meet both margins (its zero cells leave some row or column without room for its total)"
    )


def _floors(x: np.ndarray, rows: np.ndarray, cols: np.ndarray):
    # Floors and fractions of fitted floats: values within FLOOR_SLACK of a whole number are it.
    near = np.rint(x)
    whole = np.abs(x - near) <= FLOOR_SLACK * np.maximum(1.0, np.abs(x))
    fl = np.where(whole, near, np.floor(x)).astype(np.int64)
    frac = np.where(whole, 0.0, x - fl)
    return fl, frac


def _exact_floors(rows: np.ndarray, cols: np.ndarray):
    # Floors and fractions of row x column / total, in exact integers (no 64-bit overflow).
    total = int(rows.sum())
    r = [int(v) for v in rows]
    c = [int(v) for v in cols]
    fl = np.array([[ri * cj // total for cj in c] for ri in r], dtype=np.int64).reshape(len(r), len(c))
    frac = np.array([[(ri * cj % total) / total for cj in c] for ri in r], dtype=float).reshape(len(r), len(c))
    return fl, frac


def round_controlled(fl: np.ndarray, frac: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                     allowed: np.ndarray) -> np.ndarray:
    """Controlled rounding that rounds up the cells with the largest fractions it can.

    Each cell is its floor plus 0 or 1 (1 only where its fraction is positive and the cell is
    ``allowed``), so that the margins hold, maximising the sum of the fractions rounded up.
    The transportation problem's constraint matrix is totally unimodular, so the optimal
    vertex the simplex method returns is whole.
    """
    need_r = rows - fl.sum(axis=1)
    need_c = cols - fl.sum(axis=0)
    if (need_r < 0).any() or (need_c < 0).any():
        raise PlanError("margins: cannot be met by rounding the fitted matrix")
    if not need_r.any():
        return fl
    up = allowed & (frac > 0)
    cells = np.flatnonzero(up.reshape(-1))
    r_idx, c_idx = np.divmod(cells, fl.shape[1])
    m, n, k = fl.shape[0], fl.shape[1], cells.size
    a = sparse.vstack(
        [
            sparse.csr_matrix((np.ones(k), (r_idx, np.arange(k))), shape=(m, k)),
            sparse.csr_matrix((np.ones(k), (c_idx, np.arange(k))), shape=(n, k)),
        ]
    )
    # Fractions equal to 12 decimals are ties.
    gain = np.round(frac.reshape(-1)[cells], TIE_DECIMALS)
    b_eq = np.concatenate([need_r, need_c])
    res = linprog(-gain, A_eq=a, b_eq=b_eq, bounds=(0, 1), method="highs")
    if res.status != 0:
        raise PlanError("margins: cannot be met by rounding the fitted matrix")
    chosen = _earliest_optimum(res, -gain, r_idx, c_idx, need_r, need_c)
    extra = np.zeros(fl.size, dtype=np.int64)
    extra[cells[chosen]] = 1
    out = fl + extra.reshape(fl.shape)
    if (out.sum(axis=1) != rows).any() or (out.sum(axis=0) != cols).any():
        raise PlanError("margins: cannot be met by rounding the fitted matrix")
    return out


def _earliest_optimum(res, cost, r_idx, c_idx, need_r, need_c) -> np.ndarray:
    """Among the optimal roundings, the one that rounds up the earliest cells (row by row).

    The duals of the optimum say which cells every optimum rounds up (negative reduced
    cost), which none does (positive), and which are free (zero): equal fractions. The free
    ones are taken in order, each kept when the margins can still be met (a maximum flow).
    """
    duals = res.eqlin.marginals
    m = need_r.size
    reduced = cost - duals[r_idx] - duals[m + c_idx]
    x = np.rint(res.x).astype(bool)
    tol = 1e-9
    forced = reduced < -tol
    free = np.abs(reduced) <= tol
    # Cells the solver set against their reduced cost's sign count as free (numerical noise).
    free |= (x & (reduced > tol)) | (~x & (reduced < -tol))
    forced &= ~free
    chosen = forced.copy()
    rows_left = need_r - np.bincount(r_idx[forced], minlength=m)
    cols_left = need_c - np.bincount(c_idx[forced], minlength=need_c.size)
    undecided = free.copy()
    for e in np.flatnonzero(free):
        undecided[e] = False
        i, j = r_idx[e], c_idx[e]
        if rows_left[i] > 0 and cols_left[j] > 0:
            rows_left[i] -= 1
            cols_left[j] -= 1
            if _completes(rows_left, cols_left, r_idx[undecided], c_idx[undecided]):
                chosen[e] = True
                continue
            rows_left[i] += 1
            cols_left[j] += 1
    return chosen


def _completes(rows_left, cols_left, r_idx, c_idx) -> bool:
    # Can the cells (r_idx, c_idx), each at most once, meet the remaining needs? A maximum flow
    # source -> rows -> cells -> columns -> sink.
    total = int(rows_left.sum())
    if total != int(cols_left.sum()):
        return False
    if total == 0:
        return True
    m, n = rows_left.size, cols_left.size
    src, sink = 0, m + n + 1
    tails = np.concatenate([np.zeros(m, int), 1 + r_idx, 1 + m + np.arange(n)])
    heads = np.concatenate([1 + np.arange(m), 1 + m + c_idx, np.full(n, sink)])
    caps = np.concatenate([rows_left, np.ones(r_idx.size, int), cols_left]).astype(np.int32)
    graph = sparse.csr_matrix((caps, (tails, heads)), shape=(m + n + 2, m + n + 2))
    return int(maximum_flow(graph, src, sink).flow_value) == total


def spread_units(rows: np.ndarray, cols: np.ndarray, seed: np.ndarray | None = None) -> np.ndarray:
    """:func:`spread` in whole units (int64 margins)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if int(rows.sum()) != int(cols.sum()):
        raise PlanError(
            f"margins: row totals add up to {rows.sum()} units but column totals to {cols.sum()}; they must agree"
        )
    if seed is None:
        if not rows.sum():
            return np.zeros((rows.size, cols.size), dtype=np.int64)
        fl, frac = _exact_floors(rows, cols)
        return round_controlled(fl, frac, rows, cols, np.ones(fl.shape, dtype=bool))
    try:
        s = np.asarray(seed, dtype=float)
    except (TypeError, ValueError):
        raise PlanError("seed: expected a table of numbers") from None
    if s.shape != (rows.size, cols.size):
        raise PlanError(f"seed: expected shape {rows.size} x {cols.size} (rows x columns), got {' x '.join(map(str, s.shape))}")
    if (~np.isfinite(s) | (s < 0)).any():
        i, j = np.argwhere(~np.isfinite(s) | (s < 0))[0]
        raise PlanError(f"seed[{i}][{j}]: must be a finite number >= 0, got {s[i, j]:g}")
    for name, totals, sums in (("row", rows, s.sum(axis=1)), ("column", cols, s.sum(axis=0))):
        empty = (totals > 0) & (sums <= 0)
        if empty.any():
            raise PlanError(f"seed: {name} {int(np.flatnonzero(empty)[0])} is all zero but its total is not")
    x = fit(s, rows.astype(float), cols.astype(float))
    fl, frac = _floors(x, rows, cols)
    return round_controlled(fl, frac, rows, cols, s > 0)


def spread(row_totals, col_totals, seed=None, unit: float = 0.01) -> np.ndarray:
    """A matrix whose rows and columns sum exactly to both margins, in whole units.

    Args:
        row_totals: the fixed row totals (e.g. regions), each a multiple of ``unit``, >= 0.
        col_totals: the fixed column totals (e.g. products); must add up to the same total.
        seed: a matrix of relative weights (rows x columns) whose pattern the result keeps;
            zero cells stay zero. Default: proportional (row x column / total, exact).
        unit: the rounding unit.

    Returns:
        A float matrix of shape (len(row_totals), len(col_totals)).

    Raises:
        PlanError: margins that disagree, negative values, a seed that cannot meet them.

    Examples:
        >>> spread([60, 40], [50, 30, 20], unit=1).tolist()
        [[30.0, 18.0, 12.0], [20.0, 12.0, 8.0]]
    """
    unit = check_unit(unit)
    rows = _margin(row_totals, "row_totals", unit)
    cols = _margin(col_totals, "col_totals", unit)
    return from_units(spread_units(rows, cols, seed), unit)
