"""spread(): both margins exact after fitting and controlled rounding."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aop_xl import PlanError, spread


def test_proportional_without_a_seed():
    assert spread([60, 40], [50, 30, 20], unit=1).tolist() == [[30, 18, 12], [20, 12, 8]]


def test_seed_pattern_is_kept_and_zero_cells_stay_zero():
    seed = [[1, 0, 2], [1, 1, 0], [0, 3, 1]]
    out = spread([100, 50, 70], [80, 90, 50], seed=seed, unit=1)
    assert out.sum(axis=1).tolist() == [100, 50, 70]
    assert out.sum(axis=0).tolist() == [80, 90, 50]
    assert (out[np.asarray(seed) == 0] == 0).all()


def test_margins_that_disagree_are_an_error():
    with pytest.raises(PlanError, match="row totals add up to 10000 units but column totals to 9000"):
        spread([60, 40], [50, 40])


def test_seed_that_cannot_meet_the_margins_is_an_error():
    with pytest.raises(PlanError, match="seed"):
        spread([10, 10], [10, 10], seed=[[1, 0], [1, 0]], unit=1)


def test_seed_shape_is_checked():
    with pytest.raises(PlanError, match="expected shape 2 x 2"):
        spread([10, 10], [10, 10], seed=[[1, 1, 1]], unit=1)


def _margins(draw, rows, cols, total):
    def parts(n):
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=n - 1, max_size=n - 1)))
        return np.diff([0, *cuts, total])

    return parts(rows), parts(cols)


@settings(max_examples=120, deadline=None)
@given(data=st.data(), unit=st.sampled_from([0.01, 1.0, 1000.0]))
def test_both_margins_exact_and_cells_within_a_unit(data, unit):
    rows = data.draw(st.integers(1, 8))
    cols = data.draw(st.integers(1, 8))
    total = data.draw(st.integers(0, 10**6))
    r, c = _margins(data.draw, rows, cols, total)
    use_seed = data.draw(st.booleans())
    seed = None
    if use_seed:
        seed = np.asarray(data.draw(st.lists(st.floats(0.1, 100), min_size=rows * cols, max_size=rows * cols))).reshape(rows, cols)
    out = spread(r * unit, c * unit, seed=seed, unit=unit)
    units = np.round(out / unit).astype(np.int64)
    assert np.allclose(out / unit, units, rtol=1e-12, atol=1e-6)
    assert units.sum(axis=1).tolist() == r.tolist()
    assert units.sum(axis=0).tolist() == c.tolist()
    assert (units >= 0).all()
    if seed is None and total:
        exact = np.outer(r, c) / total
        assert (np.abs(units - exact) < 1 + 1e-9).all()


@pytest.mark.parametrize(
    "rows, cols, seed, message",
    [
        (["x"], [1], None, "row_totals: expected a non-empty list of numbers"),
        ([1], ["1,5"], None, "col_totals: expected a non-empty list of numbers"),
        ([[1, 2]], [3], None, "row_totals: expected a non-empty list of numbers"),
        ([], [], None, "row_totals: expected a non-empty list of numbers"),
        ([3], [[3]], None, "col_totals: expected a non-empty list of numbers"),
        ([1.5], [1.5], None, "row_totals: 1.5 is not a multiple of the unit 1"),
        ([2], [1.5, 0.5], None, "col_totals: 1.5 is not a multiple of the unit 1"),
        ([0, 3, -1, -2], [0], None, "row_totals[2]: must be >= 0, got -1"),
        ([0], [0, 3, -1, -2], None, "col_totals[2]: must be >= 0, got -1"),
        ([1, 1], [1, 1], [["a", 1], [1, 1]], "seed: expected a table of numbers"),
        ([1, 1], [1, 1], [[1, 2, 3]], "seed: expected shape 2 x 2 (rows x columns), got 1 x 3"),
        ([1, 1], [1, 1], [1, 2], "seed: expected shape 2 x 2 (rows x columns), got 2"),
        ([1, 1], [1, 1], [[0.5, 0], [1, -1]], "seed[1][1]: must be a finite number >= 0, got -1"),
        ([1, 1], [1, 1], [[1, float("nan")], [1, 1]], "seed[0][1]: must be a finite number >= 0, got nan"),
        ([1, 1], [1, 1], [[0, 0], [1, 1]], "seed: row 0 is all zero but its total is not"),
        ([0, 1], [1, 0], [[1, 1], [0, 0]], "seed: row 1 is all zero but its total is not"),
        ([1, 1], [1, 1], [[1, 0], [1, 0]], "seed: column 1 is all zero but its total is not"),
    ],
)
def test_bad_margins_and_seeds_get_one_exact_line(rows, cols, seed, message):
    with pytest.raises(PlanError) as err:
        spread(rows, cols, seed=seed, unit=1)
    assert str(err.value) == message


def test_a_zero_seed_column_whose_total_is_zero_is_accepted():
    assert spread([1, 1], [2, 0], seed=[[1, 0], [1, 0]], unit=1).tolist() == [[1.0, 0.0], [1.0, 0.0]]
