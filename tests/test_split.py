"""split(): exact largest-remainder splits (domain.md section 2)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aop_xl import PlanError, split
from aop_xl.engine.exact import apportion

UNITS = st.sampled_from([0.01, 1.0, 1000.0, 0.05, 0.25])
# Weights are decimals of at most 6 places (docs/engine.md): drawn as whole numbers over 10^d.
DECIMAL = st.builds(lambda n, d: float(f"{n / 10**d:.{d}f}"), st.integers(0, 10**6), st.integers(0, 6))
WEIGHTS = st.lists(DECIMAL, min_size=1, max_size=40)


def as_units(parts, unit):
    q = np.asarray(parts) / unit
    assert np.allclose(q, np.round(q), rtol=1e-12, atol=1e-6), "a part is not a whole number of units"
    return np.round(q).astype(np.int64)


def test_quarterly_weights_from_the_sources():
    # Q1 30, Q2 40, Q3 30, Q4 40 sum to 140: Q1 = Q3 = 30/140, Q2 = Q4 = 40/140 of the year.
    parts = split(24_000_000, [30, 40, 30, 40], unit=1)
    assert parts.tolist() == [5_142_857, 6_857_143, 5_142_857, 6_857_143]
    assert parts.sum() == 24_000_000


def test_cents_go_to_the_largest_remainders_and_ties_to_the_earlier_member():
    assert split(100, [1, 1, 1]).tolist() == [33.34, 33.33, 33.33]
    assert split(0.02, [1, 1, 1]).tolist() == [0.01, 0.01, 0.0]
    # 10 x 1/3 = 3.33.., 10 x 2/3 = 6.66..: the larger remainder wins over the earlier member.
    assert split(10, [1, 2], unit=1).tolist() == [3.0, 7.0]


def test_decimal_parts_are_the_nearest_doubles():
    parts = split(0.07, [1], unit=0.01)
    assert parts.tolist() == [0.07]
    assert split(1234.56, [1, 1, 1, 1]).tolist() == [308.64, 308.64, 308.64, 308.64]


def test_locks_keep_their_amount_and_the_rest_is_split():
    assert split(100, [1, 1, 1], unit=1, locks={0: 50}).tolist() == [50.0, 25.0, 25.0]
    assert split(100, [5, 1, 1], unit=1, locks={2: 100}).tolist() == [0.0, 0.0, 100.0]


def test_zero_weight_members_get_zero():
    assert split(10, [0, 1, 0, 1], unit=1).tolist() == [0.0, 5.0, 0.0, 5.0]
    # Even when their remainder would tie with a positive member's.
    assert split(3, [0, 1, 1], unit=1).tolist() == [0.0, 2.0, 1.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": 100, "weights": [1, -5, 1]}, "weights[1]: weight must be a finite number >= 0, got -5"),
        ({"total": 100, "weights": [0, 0]}, "weights: are all zero"),
        ({"total": 100.005, "weights": [1]}, "total: 100.005 is not a multiple of the unit 0.01"),
        ({"total": 100, "weights": [1, 1], "locks": {0: 150}}, "more than the total"),
        ({"total": -100, "weights": [1, 1]}, "allow_negative"),
        ({"total": 100, "weights": [1, float("nan")]}, "weights[1]"),
        ({"total": 100, "weights": [1], "unit": 0}, "unit: must be a positive number"),
        ({"total": 100, "weights": [1, 1], "locks": {5: 1}}, "locks: member 5 does not exist"),
    ],
)
def test_bad_input_names_the_member_or_argument(kwargs, message):
    with pytest.raises(PlanError) as err:
        split(**kwargs)
    assert message in str(err.value)


def test_names_appear_in_messages():
    with pytest.raises(PlanError, match='"North": weight must be'):
        split(10, [1, -1], names=["South", "North"])


def test_rounding_the_total_first_is_explicit():
    assert split(100.005, [1, 1], round_total=True).tolist() == [50.01, 50.0]


def test_negative_totals_only_when_allowed():
    parts = split(-100, [1, 1, 1], unit=1, allow_negative=True)
    assert parts.tolist() == [-34.0, -33.0, -33.0]


@settings(max_examples=300, deadline=None)
@given(total_units=st.integers(min_value=0, max_value=250 * 10**12), weights=WEIGHTS, unit=UNITS)
def test_parts_are_whole_units_summing_exactly_to_the_total(total_units, weights, unit):
    if total_units and not any(weights):
        return
    total = total_units * unit
    parts = split(total, weights, unit=unit)
    units = as_units(parts, unit)
    assert units.sum() == total_units
    assert (units >= 0).all()
    assert (units[np.asarray(weights) == 0] == 0).all()


@settings(max_examples=200, deadline=None)
@given(
    total_units=st.integers(min_value=1, max_value=10**6),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=25),
)
def test_matches_an_exact_rational_largest_remainder(total_units, weights):
    if not any(weights):
        return
    # Integer weights make the exact shares rational: the reference uses Fractions.
    w_sum = sum(weights)
    shares = [Fraction(total_units * w, w_sum) for w in weights]
    floors = [s.numerator // s.denominator for s in shares]
    left = total_units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - floors[i]), i))
    expected = list(floors)
    for i in order[:left]:
        expected[i] += 1
    assert split(total_units, weights, unit=1).astype(int).tolist() == expected


@settings(max_examples=150, deadline=None)
@given(data=st.data(), unit=UNITS)
def test_locks_are_respected(data, unit):
    weights = data.draw(st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=15))
    n = len(weights)
    locked = data.draw(st.dictionaries(st.integers(0, n - 1), st.integers(0, 10_000), max_size=n - 1))
    free_weight = sum(w for i, w in enumerate(weights) if i not in locked)
    rest = data.draw(st.integers(min_value=0, max_value=10**7)) if free_weight else 0
    total_units = sum(locked.values()) + rest
    parts = split(total_units * unit, weights, unit=unit, locks={k: v * unit for k, v in locked.items()})
    units = as_units(parts, unit)
    assert units.sum() == total_units
    for pos, amount in locked.items():
        assert units[pos] == amount


@settings(max_examples=100, deadline=None)
@given(weights=st.lists(st.integers(min_value=1, max_value=50), min_size=2, max_size=12, unique=True), data=st.data())
def test_reordering_members_keeps_each_members_part_when_no_ties(weights, data):
    # Distinct integer weights with a total that leaves no tie in the remainders: the part
    # of a member does not depend on where it stands.
    total_units = data.draw(st.integers(min_value=0, max_value=10**6))
    w_sum = sum(weights)
    rems = [Fraction(total_units * w, w_sum) % 1 for w in weights]
    if len(set(rems)) < len(rems):
        return
    perm = data.draw(st.permutations(range(len(weights))))
    base = split(total_units, weights, unit=1)
    shuffled = split(total_units, [weights[i] for i in perm], unit=1)
    assert [shuffled[k] for k in range(len(perm))] == [base[i] for i in perm]


def test_apportion_is_the_same_rule_row_by_row():
    totals = np.array([100, 7, 0, 13])
    weights = np.array([[1, 1, 1], [3, 0, 4], [1, 2, 3], [5, 5, 1]])
    rows = apportion(totals, weights)
    for t, w, r in zip(totals, weights, rows):
        assert r.tolist() == split(int(t), w, unit=1).astype(int).tolist()


def test_exact_ties_go_to_the_earlier_member_whatever_floats_say():
    # 3,703,012.20 x 1.2 / 3.2 and x 2 / 3.2 leave exactly half a cent each.
    assert split(3_703_012.20, [1.2, 2]).tolist() == [1_388_629.58, 2_314_382.62]
    assert split(21_154_046, [1, 51, 48], unit=1).tolist() == [211_541, 10_788_563, 10_153_942]


def test_large_totals_stay_exact_up_to_the_bound():
    # 200 trillion VND at unit 1 over two equal regions: no stray unit.
    assert split(200 * 10**12, [1, 1], unit=1).tolist() == [100 * 10**12, 100 * 10**12]
    top = 250 * 10**12
    parts = split(top, [3, 7, 11], unit=1)
    assert int(parts.sum()) == top
    assert [int(p) for p in parts] == [35_714_285_714_286, 83_333_333_333_333, 130_952_380_952_381]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": 1e20, "weights": [1, 1]}, "total: more than 250,000,000,000,000 units"),
        ({"total": 250 * 10**12 + 1, "weights": [1], "unit": 1}, "more than 250,000,000,000,000 units"),
        ({"total": 24e6, "weights": [1, 1], "unit": 1e300}, "unit: must be a decimal from 0.000001"),
        ({"total": 1, "weights": [0.1 + 0.2, 1]}, "more than 6 decimal places"),
        ({"total": 1, "weights": [1e20, 1]}, "too large to keep exact"),
    ],
)
def test_beyond_the_bound_one_clear_line(kwargs, message):
    with pytest.raises(PlanError) as err:
        split(**kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


# ----------------------------------------------------------------------- what mutation testing found


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": 100, "weights": ["a", 1]}, "weights: expected a list of numbers"),
        ({"total": 100, "weights": [[1, 2], [3, 4]]}, "weights: expected a list of numbers, got an array of shape (2, 2)"),
        ({"total": 100, "weights": []}, "weights: expected at least one member"),
        ({"total": 100, "weights": [1, 1], "locks": {2: 1}}, "locks: member 2 does not exist (there are 2 members)"),
        ({"total": 100, "weights": [1, 1], "locks": {-1: 1}}, "locks: member -1 does not exist (there are 2 members)"),
        ({"total": 100, "weights": [1, 1], "unit": 1, "locks": {0: 150}},
         "locks: fixed amounts add up to 150 units, more than the total of 100"),
        ({"total": 100, "weights": [1, 1], "unit": 1, "locks": {0: 100, 1: 0}, "names": ["A", "B"]}, None),
        ({"total": 100, "weights": [1, 1], "unit": 1, "locks": {0: 40, 1: 50}},
         "locks: every member is fixed, yet 10 units of the total are left over"),
        ({"total": 100, "weights": [0, 1, 0], "unit": 1, "locks": {1: 40}},
         "weights: are all zero for the members without a fixed amount"),
        ({"total": 100, "weights": [1, 1], "locks": {0: 0.005}}, "locks[0]: 0.005 is not a multiple of the unit 0.01"),
        ({"total": -100, "weights": [1, 1], "allow_negative": True, "locks": {1: 10}},
         "locks[1]: must have the sign of the total, got 10"),
        ({"total": -100, "weights": [1, 1]}, "total: must be >= 0, got -100 (a planned decline needs allow_negative)"),
        # A locked member's weight is checked too, and a free member is named by its own position.
        ({"total": 100, "weights": [float("nan"), 1], "unit": 1, "locks": {0: 10}},
         "weights[0]: weight must be a finite number >= 0, got nan"),
        ({"total": 100, "weights": [-1, 1], "unit": 1, "locks": {0: 10}},
         "weights[0]: weight must be a finite number >= 0, got -1"),
        ({"total": 1, "weights": [1, 1, 0.1 + 0.2], "locks": {0: 0.5}},
         "weights[2]: weight 0.30000000000000004 has more than 6 decimal places (weights are decimals; weights are "
         "relative, so 1 and 2 work as well as 1/3 and 2/3)"),
    ],
)
def test_messages_name_the_member_and_the_numbers(kwargs, message):
    if message is None:  # every unit fixed: nothing left to split
        assert split(**kwargs).tolist() == [100.0, 0.0]
        return
    with pytest.raises(PlanError) as err:
        split(**kwargs)
    assert str(err.value) == message


def test_a_planned_decline_with_locks_keeps_their_amounts():
    assert split(-100, [1, 1, 1], unit=1, allow_negative=True, locks={0: -50}).tolist() == [-50.0, -25.0, -25.0]
    assert split(-0.03, [1, 1], allow_negative=True, locks={1: -0.01}).tolist() == [-0.02, -0.01]


# The exact arithmetic behind every split (docs/engine.md, "exact shares"), checked against
# Python's exact integers where floats would be a unit off.

import warnings  # noqa: E402

import reference as ref  # noqa: E402
from aop_xl.engine.exact import floor_share, integer_weights, muldiv  # noqa: E402

#: (x, y, z) where floor(x x (y / z)) in floats is one below the true floor (the first five,
#: the first three of them exact quotients, 49 x (1/49) = 0.999...) or one above it (the last
#: three), and the corners of the bound.
MULDIV_CASES = [
    (49, 1, 49), (22, 15, 22), (91, 58, 91),
    (87_985_987_039_267, 7_491_165_525_752, 89_315_625_701_607),
    (121_140_371_024_951, 133_514_250_600_799, 254_703_988_162_705),
    (196_345_421_450_469, 178_152_975_386_280, 241_749_771_521_215),
    (76_749_496_464_282, 214_622_074_927_311, 240_462_504_024_358),
    (169_488_761_677_991, 59_486_210_285_266, 217_688_805_462_288),
    (249_999_999_999_999, 249_999_999_999_998, 250_000_000_000_000),
    (2**48, 2**48, 2**48), (0, 5, 7), (7, 7, 7), (1, 1, 2**48),
]  # fmt: skip


def test_muldiv_is_exact_where_the_float_quotient_is_a_unit_off():
    x, y, z = (np.array(v, dtype=np.int64) for v in zip(*MULDIV_CASES))
    q, r = muldiv(x, y, z)
    assert list(zip(q.tolist(), r.tolist())) == [divmod(a * b, c) for a, b, c in MULDIV_CASES]
    rng = np.random.default_rng(0)
    z = rng.integers(1, 2**48, size=2000)
    x, y = rng.integers(0, z + 1), rng.integers(0, z + 1)
    q, r = muldiv(x, y, z)
    assert list(zip(q.tolist(), r.tolist())) == [divmod(int(a) * int(b), int(c)) for a, b, c in zip(x, y, z)]


def test_muldiv_of_an_empty_table_is_zero_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, r = muldiv(np.array([0, 0]), np.array([0, 0]), np.array([0, 0]))
    assert q.tolist() == [0, 0] and r.tolist() == [0, 0]


def test_floor_share_is_exact_up_to_the_bound():
    rng = np.random.default_rng(1)
    big_w = rng.integers(1, 2**32, size=2000)
    n = np.concatenate([rng.integers(0, 250 * 10**12, size=1999), [250 * 10**12]])
    w = rng.integers(0, big_w + 1)
    q, r = floor_share(n, w, big_w)
    assert list(zip(q.tolist(), r.tolist())) == [divmod(int(a) * int(b), int(c)) for a, b, c in zip(n, w, big_w)]
    assert q.dtype == r.dtype == np.int64


def test_apportion_of_many_totals_gives_ties_to_the_earlier_member():
    # Forty equal weights: the units left over go to the first members, in every row.
    rows = apportion(np.array([7, 45, 0, 80]), np.ones(40, dtype=np.int64))
    assert rows.tolist() == [[1] * 7 + [0] * 33, [2] * 5 + [1] * 35, [0] * 40, [2] * 40]
    rng = np.random.default_rng(2)
    weights = rng.integers(0, 4, size=(30, 25))
    totals = rng.integers(0, 500, size=30)
    got = apportion(totals, weights)
    assert got.dtype == np.int64
    for t, w, row in zip(totals, weights, got):
        assert row.tolist() == (ref.largest_remainder(int(t), w.tolist()) if w.any() else [0] * 25)


def test_apportion_of_one_total_over_many_members():
    # The single-total path (a linear-time selection of the largest remainders).
    assert apportion(7, np.ones(40, dtype=np.int64)).tolist() == [1] * 7 + [0] * 33
    rng = np.random.default_rng(3)
    for _ in range(20):
        w = rng.integers(0, 5, size=int(rng.integers(1, 60)))
        n = int(rng.integers(0, 1000)) if w.any() else 0
        assert apportion(n, w).tolist() == ref.largest_remainder(n, w.tolist())


@pytest.mark.parametrize(
    ("weights", "kwargs", "expected"),
    [
        ([0.5, 0.25, 2], {}, [50, 25, 200]),
        ([0.000001, 1], {}, [1, 1_000_000]),
        ([0, 0], {}, [0, 0]),
        ([3_000_000_000, 1_000_000_005], {}, [300_000_000, 100_000_001]),
        # A sum of exactly 2^31 is kept; one more is divided by 10 (halves up); 10 x 2^31 by 10.
        ([2_147_483_647, 1], {}, [2_147_483_647, 1]),
        ([2_147_483_649, 0], {}, [214_748_365, 0]),
        ([21_474_836_475, 5], {}, [2_147_483_648, 1]),
        ([21_474_836_480, 1], {}, [214_748_365, 0]),
        ([12_345, 1.5], {"derived": [True, False]}, [123_450, 15]),
        # Zeros count as no decimals: 10^14 and 0 stay at d = 0 (x 10 would pass 2^48).
        ([100_000_000_000_000, 0], {}, [1_000_000_000, 0]),
        ([100_000_000_000_000, 1], {}, [1_000_000_000, 0]),
        ([2**48, 0], {}, [281_474_977, 0]),  # exactly 2^48 is still kept, reduced by 10^6
        ([], {}, []),
    ],
)
def test_integer_weights_scale_and_reduce_as_documented(weights, kwargs, expected):
    got = integer_weights(weights, **kwargs)
    derived = kwargs.get("derived", [False] * len(weights))
    given = [None if d else w for w, d in zip(weights, derived)]
    assert got.tolist() == expected == ref.whole_weights(given, {i: w for i, (w, d) in enumerate(zip(weights, derived)) if d})
    assert got.dtype == np.int64


@pytest.mark.parametrize(
    ("weights", "kwargs", "message"),
    [
        ([0.1 + 0.2], {}, "weights[0]: weight 0.30000000000000004 has more than 6 decimal places (weights are "
                          "decimals; weights are relative, so 1 and 2 work as well as 1/3 and 2/3)"),
        ([1, -5], {}, "weights[1]: weight must be a finite number >= 0, got -5"),
        ([1, 2, float("nan")], {"names": ["a", "b", "c"], "field": "products"},
         '"c": weight must be a finite number >= 0, got nan'),
        ([float("inf")], {"field": "seasonality.months"}, "seasonality.months[0]: weight must be a finite number >= 0, got inf"),
        # Over 2^48 once scaled to whole numbers: the sum as whole numbers is named, and far
        # beyond 64-bit integers (10^20) it is refused before any conversion.
        ([2**48, 1], {"field": "regions"}, "regions: the weights are too large to keep exact (as whole numbers at 0 "
                                           "decimal places they add up to 281,474,976,710,657, more than 2^48); "
                                           "weights are relative: use smaller numbers"),
        ([100_000_000_000_000, 0.000001], {}, "weights: the weights are too large to keep exact (as whole numbers at 6 "
                                              "decimal places they add up to 100,000,000,000,000,000,000, more than "
                                              "2^48); weights are relative: use smaller numbers"),
        ([30_000_000_000_000, 0.5], {}, "weights: the weights are too large to keep exact (as whole numbers at 1 "
                                        "decimal places they add up to 300,000,000,000,005, more than 2^48); weights "
                                        "are relative: use smaller numbers"),
    ],
)
def test_integer_weights_messages(weights, kwargs, message):
    with pytest.raises(PlanError) as err:
        integer_weights(weights, **kwargs)
    assert str(err.value) == message


def test_apportion_gives_nothing_to_a_row_without_weight_and_whole_units_always():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = apportion(np.array([0, 5]), np.array([[0, 0, 0], [1, 1, 1]]))
        one = apportion(5, np.array([1, 1, 1]))
    assert rows.tolist() == [[0, 0, 0], [2, 2, 1]] and one.tolist() == [2, 2, 1]
    assert rows.dtype == one.dtype == np.int64
