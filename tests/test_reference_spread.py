"""spread() against a brute force over every rounding of small tables (docs/engine.md, "two
fixed margins"): floor or ceiling of the fitted value in every cell, both margins exact, the
sum of the fractions rounded up as large as it can be, equal fractions to the earlier cell."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference as ref
from aop_xl import spread


def engine_units(rows, cols, seed=None, unit=1) -> list[list[int]]:
    out = spread([float(Fraction(r) * ref.dec(unit)) for r in rows], [float(Fraction(c) * ref.dec(unit)) for c in cols],
                 seed=seed, unit=unit)  # fmt: skip
    q = np.asarray(out, dtype=float) / float(unit)
    assert np.allclose(q, np.round(q), rtol=0, atol=1e-6)
    return np.round(q).astype(np.int64).tolist()


def margins(draw, n_rows, n_cols, total):
    def parts(n):
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=n - 1, max_size=n - 1)))
        return [b - a for a, b in zip([0, *cuts], [*cuts, total])]

    return parts(n_rows), parts(n_cols)


def floor_or_ceiling(out, fitted):
    for row, frow in zip(out, fitted):
        for v, f in zip(row, frow):
            assert f - 1 < v < f + 1, f"cell {v} is further than a unit from its fitted value {float(f)}"
            if f.denominator == 1:
                assert v == f, "a whole fitted value is never rounded"


# --------------------------------------------------------------------------- without a seed


def test_worked_example():
    assert engine_units([60, 40], [50, 30, 20]) == [[30, 18, 12], [20, 12, 8]]


def test_five_rows_where_only_the_column_duals_find_the_earliest_optimum():
    # Many optimal roundings; which cells every optimum rounds up depends on both rows' and
    # columns' shadow prices (a sign slip on the columns' picks a later cell).
    rows, cols = [5, 6, 3, 5, 9], [4, 9, 8, 7]
    assert engine_units(rows, cols) == ref.spread(rows, cols)


def test_the_largest_fractions_are_rounded_up():
    # rows 5, 5; columns 3, 3, 4; fitted [[1.5, 1.5, 2], [1.5, 1.5, 2]]: one unit per row in
    # the first two columns; equal fractions go to the earlier cell.
    assert ref.spread([5, 5], [3, 3, 4]) == [[2, 1, 2], [1, 2, 2]]
    assert engine_units([5, 5], [3, 3, 4]) == [[2, 1, 2], [1, 2, 2]]
    # rows 7, 3; columns 5, 5: fitted [[3.5, 3.5], [1.5, 1.5]].
    assert engine_units([7, 3], [5, 5]) == [[4, 3], [1, 2]]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n_rows=st.integers(1, 5), n_cols=st.integers(1, 4), total=st.integers(0, 60),
       unit=st.sampled_from([0.01, 1, 1000]))  # fmt: skip
def test_without_a_seed_matches_the_brute_force(data, n_rows, n_cols, total, unit):
    rows, cols = margins(data.draw, n_rows, n_cols, total)
    got = engine_units(rows, cols, unit=unit)
    assert got == ref.spread(rows, cols)
    floor_or_ceiling(got, ref.fitted_proportional(rows, cols))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_rows=st.integers(1, 8), n_cols=st.integers(1, 8), total=st.integers(0, 10**12))
def test_without_a_seed_every_cell_is_its_exact_share_rounded_down_or_up(data, n_rows, n_cols, total):
    rows, cols = margins(data.draw, n_rows, n_cols, total)
    got = engine_units(rows, cols)
    assert [sum(r) for r in got] == rows
    assert [sum(r[j] for r in got) for j in range(n_cols)] == cols
    floor_or_ceiling(got, ref.fitted_proportional(rows, cols))


# --------------------------------------------------------------------------- with a seed


@st.composite
def block_seeds(draw, max_rows=3, max_cols=4, max_total=40, blocks=2):
    """A seed whose fitted values are exact rationals: blocks of an outer product, each block
    with margins of its own, so the fitted table is each block's row x column / total."""
    n_rows, n_cols = draw(st.integers(1, max_rows)), draw(st.integers(1, max_cols))
    row_block = [draw(st.integers(0, blocks - 1)) for _ in range(n_rows)]
    col_block = [draw(st.integers(0, blocks - 1)) for _ in range(n_cols)]
    rows, cols = [0] * n_rows, [0] * n_cols
    for b in range(blocks):
        ri = [i for i in range(n_rows) if row_block[i] == b]
        ci = [j for j in range(n_cols) if col_block[j] == b]
        if not ri or not ci:
            continue
        total = draw(st.integers(0, max_total))
        r, c = margins(draw, len(ri), len(ci), total)
        for i, v in zip(ri, r):
            rows[i] = v
        for j, v in zip(ci, c):
            cols[j] = v
    a = [draw(st.integers(1, 5)) for _ in range(n_rows)]
    b = [draw(st.integers(1, 5)) for _ in range(n_cols)]
    seed = [[a[i] * b[j] if row_block[i] == col_block[j] else 0 for j in range(n_cols)] for i in range(n_rows)]
    # a row or column outside every block must be empty
    for i in range(n_rows):
        if not any(seed[i]):
            assume(rows[i] == 0)
    for j in range(n_cols):
        if not any(seed[i][j] for i in range(n_rows)):
            assume(cols[j] == 0)
    return rows, cols, seed


def block_fitted(rows, cols, seed):
    # Each block is proportional: cell = row x column / the block's total.
    out = []
    for i, r in enumerate(rows):
        row = []
        for j, c in enumerate(cols):
            if seed[i][j] == 0:
                row.append(Fraction(0))
                continue
            block_total = sum(cols[jj] for jj in range(len(cols)) if seed[i][jj])
            row.append(Fraction(r * c, block_total) if block_total else Fraction(0))
        out.append(row)
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(case=block_seeds())
def test_with_a_seed_the_largest_fractions_are_rounded_up_ties_to_the_earlier_cell(case):
    rows, cols, seed = case
    assume(sum(rows) == sum(cols))
    fitted = block_fitted(rows, cols, seed)
    want = ref.controlled_round(fitted, rows, cols)
    got = engine_units(rows, cols, seed=seed)
    assert got == want
    floor_or_ceiling(got, fitted)
    for i, row in enumerate(seed):
        for j, s in enumerate(row):
            if s == 0:
                assert got[i][j] == 0, "a zero seed cell stays zero"


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n_rows=st.integers(2, 3), n_cols=st.integers(2, 3), total=st.integers(1, 50))
def test_with_a_general_seed_the_rounding_maximises_the_fractions_rounded_up(data, n_rows, n_cols, total):
    rows, cols = margins(data.draw, n_rows, n_cols, total)
    seed = [[data.draw(st.integers(1, 9)) for _ in range(n_cols)] for _ in range(n_rows)]
    fitted = ref.fitted_ras(seed, rows, cols)
    # The engine fits to 1e-11: keep to cases where no two roundings are closer than that.
    fracs = sorted({float(f - (f.numerator // f.denominator)) for row in fitted for f in row})
    assume(all(b - a > 1e-7 or b == a for a, b in zip(fracs, fracs[1:])))
    got = engine_units(rows, cols, seed=seed)
    assert got == ref.controlled_round(fitted, rows, cols)


def test_a_seed_the_planted_bug_would_round_the_wrong_way():
    # Rounding up the smallest fractions instead of the largest passes every margin check:
    # fitted [[2.8, 1.2], [1.2, 2.8]] must become [[3, 1], [1, 3]], never [[2, 2], [2, 2]].
    seed = [[7, 3], [3, 7]]
    assert engine_units([4, 4], [4, 4], seed=seed) == [[3, 1], [1, 3]]
    assert ref.controlled_round(ref.fitted_ras(seed, [4, 4], [4, 4]), [4, 4], [4, 4]) == [[3, 1], [1, 3]]


def test_equal_fractions_go_to_the_earlier_cell_with_a_seed():
    # fitted [[1.5, 1.5], [1.5, 1.5]]: both roundings add up; the earlier cell goes up.
    assert engine_units([3, 3], [3, 3], seed=[[1, 1], [1, 1]]) == [[2, 1], [1, 2]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(case=block_seeds(max_rows=4, max_cols=5, max_total=24, blocks=3))
def test_wider_tables_with_many_equal_fractions_round_as_the_brute_force(case):
    # Up to 4 x 5 cells in up to three blocks, small totals: most fractions are equal, so the
    # earlier-cell rule decides among many optimal roundings, several rows and columns at once.
    rows, cols, seed = case
    assume(sum(rows) == sum(cols) and sum(rows) > 0)
    fitted = block_fitted(rows, cols, seed)
    assert engine_units(rows, cols, seed=seed) == ref.controlled_round(fitted, rows, cols)


def test_whole_units_come_back_as_integers():
    from aop_xl.engine.spread import spread_units

    for seed in (None, [[1, 2, 0], [3, 1, 1]]):
        out = spread_units(np.array([7, 5]), np.array([4, 5, 3]), seed)
        assert out.dtype == np.int64, seed
        assert out.sum(axis=1).tolist() == [7, 5] and out.sum(axis=0).tolist() == [4, 5, 3]
    nothing = spread_units(np.array([0, 0]), np.array([0]))
    assert nothing.dtype == np.int64 and nothing.tolist() == [[0], [0]]


def test_margins_past_the_precision_of_floats_are_split_exactly():
    # row x column / total in floats: 33333333333333 x 100000000000003 / 2e14 is
    # 16666666666666.999999999999995, which a float rounds to 16666666666667 (a unit too many).
    rows = [33_333_333_333_333, 166_666_666_666_667]
    cols = [100_000_000_000_003, 99_999_999_999_997]
    want = ref.spread(rows, cols)
    got = engine_units(rows, cols, unit=1)
    assert got == want
    floor_or_ceiling(got, ref.fitted_proportional(rows, cols))


def test_a_seed_whose_zero_cells_block_the_margins_is_refused_with_one_line():
    # Row 1 can only use column 1, whose total is 0: no fitting meets both margins.
    with pytest.raises(Exception) as err:
        spread([1, 1], [2, 0], seed=[[1, 1], [0, 1]], unit=1)
    assert str(err.value) == (
        "seed: cannot meet both margins (its zero cells leave some row or column without room for its total)"
    )


def test_a_whole_fitted_value_is_never_rounded_up_with_a_seed():
    # An outer-product seed fits to row x column / total: here some cells are whole (2 x 3 / 10
    # is not, 5 x 2 / 10 is) and sit in rows and columns that still need units.
    rows, cols = [2, 5, 2, 1], [0, 3, 2, 2, 3]
    seed = [[2 * b for b in (1, 2, 2, 1, 3)], [3 * b for b in (1, 2, 2, 1, 3)],
            [3 * b for b in (1, 2, 2, 1, 3)], [1 * b for b in (1, 2, 2, 1, 3)]]  # fmt: skip
    fitted = ref.fitted_proportional(rows, cols)
    got = engine_units(rows, cols, seed=seed)
    assert got == ref.controlled_round(fitted, rows, cols)
    floor_or_ceiling(got, fitted)
