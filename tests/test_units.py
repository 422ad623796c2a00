"""Whole units: halves round away from zero as a finance user computes them by hand."""

import numpy as np
import pytest

from aop_xl import PlanError
from aop_xl.engine.quota import annual_quotas, challenge_units
from aop_xl.units import from_units, round_to_unit, to_units

from tests_helpers import sample_with


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [(0.125, 0.01, 0.13), (-2.5, 1, -3.0), (2.4999, 1, 2.0), (1_000_000.10 * 1.15, 0.01, 1_150_000.12), (1500, 1000, 2000)],
)
def test_round_to_unit_halves_away_from_zero(amount, unit, expected):
    assert round_to_unit(amount, unit) == expected


def test_challenge_quota_is_the_decimal_half_up_of_base_times_uplift():
    # 100,000,010 units x 1.15 is 115,000,011.5 exactly; in binary it lands just below.
    assert challenge_units(np.array([100_000_010]), 0.15).tolist() == [115_000_012]
    plan = sample_with(
        lambda d: (
            d["plan"].update(total_target=1_000_000.10, challenge_uplift=0.15),
            d.update(reps=[{"name": "Solo", "region": "East"}], regions=[{"name": "East", "market": "core", "weight": 1}], budget=[]),
        )
    )
    q = annual_quotas(plan)
    assert q["base_quota"].tolist() == [1_000_000.10]
    assert q["challenge_quota"].tolist() == [1_150_000.12]


def test_fractions_of_a_unit_are_refused_not_rounded():
    with pytest.raises(PlanError, match="total: 0.125 is not a multiple of the unit 0.01"):
        to_units(0.125, 0.01)
    assert to_units(0.07, 0.01) == 7
    assert from_units(7, 0.01) == 0.07


@pytest.mark.parametrize("amount", [24_000_000.005, 987_654_321.015, 1e12 + 0.5])
def test_half_a_unit_is_seen_on_large_amounts(amount):
    with pytest.raises(PlanError, match="is not a multiple of the unit"):
        to_units(amount, 1 if amount > 1e11 else 0.01)


@pytest.mark.parametrize("amount", [24_000_000.01, 987_654_321.09, 0.07, 1e12 + 1, 123_456_789_012.34])
def test_decimal_amounts_are_whole_units(amount):
    unit = 1 if amount == 1e12 + 1 else 0.01
    assert from_units(to_units(amount, unit), unit) == amount


def test_plan_total_with_half_a_cent_is_refused():
    with pytest.raises(PlanError, match=r"plan.total_target: 24000000.005 is not a multiple of the unit 0.01"):
        sample_with(lambda d: d["plan"].update(total_target=24_000_000.005))
