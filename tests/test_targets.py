"""The target cube and quotas: exact at every level of aggregation."""

import numpy as np
import pytest

from aop_xl import annual_quotas, load_plan, plan_targets, quotas, split
from aop_xl.engine.targets import target_units

from plans import random_plan


def units(series, unit):
    q = np.asarray(series, dtype=float) / unit
    assert np.allclose(q, np.round(q), rtol=1e-12, atol=1e-6)
    return np.round(q).astype(np.int64)


def test_sample_plan_worked_numbers():
    plan = load_plan()
    cube = plan_targets(plan)
    by_region = cube.groupby("region", observed=True)["target"].sum().round(2)
    assert by_region.to_dict() == {"East": 9_600_000, "West": 6_000_000, "South": 6_000_000, "Central": 2_400_000}
    by_quarter = cube.groupby("quarter", observed=True)["target"].sum().round(2)
    # Quarter weights 30/40/30/40 on each region-product, so within a cent per cell of 3/14, 4/14.
    assert by_quarter.sum() == 24_000_000
    assert abs(by_quarter["Q1"] - 24_000_000 * 30 / 140) < 1
    # An Nguyen has share 1.2 of East's 4.0: 9.6M x 1.2 / 4 = 2.88M; challenge x 1.2.
    q = annual_quotas(plan).set_index("rep")
    assert q.loc["An Nguyen", "base_quota"] == 2_880_000
    assert q.loc["An Nguyen", "challenge_quota"] == 3_456_000


def check_cube(plan):
    unit = plan.plan.unit
    t = target_units(plan)
    cube = plan_targets(plan)
    cu = units(cube["target"], unit)
    assert cu.sum() == t.total
    # region totals equal the split of the total; region x product the split of the region.
    frame = cube.assign(u=cu)
    regions = frame.groupby("region", observed=False, sort=False)["u"].sum().reindex(plan.region_names).to_numpy()
    assert regions.tolist() == t.regions.tolist()
    assert t.region_products.sum(axis=1).tolist() == t.regions.tolist()
    assert t.cells.sum(axis=2).tolist() == t.region_products.tolist()
    weights = plan.region_weights()
    expected = units(split(plan.total_target(), weights, unit=unit, locks=plan.region_locks() or None), unit)
    assert t.regions.tolist() == expected.tolist()
    if plan.reps:
        base, challenge = (units(annual_quotas(plan)[c], unit) for c in ("base_quota", "challenge_quota"))
        per_rep = frame.dropna(subset=["rep"]).groupby("rep", observed=False, sort=False)["u"].sum()
        assert per_rep.reindex(plan.rep_names).to_numpy().tolist() == base.tolist()
        # Every rep's months sum to its annual quota; the reps of a region sum to its target.
        q = quotas(plan)
        qb = units(q["base_quota"], unit).reshape(-1, 12)
        qc = units(q["challenge_quota"], unit).reshape(-1, 12)
        assert qb.sum(axis=1).tolist() == base.tolist()
        assert qc.sum(axis=1).tolist() == challenge.tolist()
        for i, region in enumerate(plan.regions):
            idx = plan.reps_of(region.name)
            if idx:
                assert base[idx].sum() == t.regions[i]
        # Every region x product x month cell is exactly the sum of its reps' parts.
        cells = frame.groupby(["region", "product", "month"], observed=False, sort=False)["u"].sum()
        assert cells.sum() == t.total


@pytest.mark.parametrize("seed", range(40))
def test_generated_plans_are_exact_at_every_level(seed):
    check_cube(random_plan(seed))


def test_sample_plan_is_exact_at_every_level():
    check_cube(load_plan())


def test_fiscal_year_starting_in_april():
    from tests_helpers import sample_with

    plan = sample_with(lambda d: d["plan"].update(fiscal_year_start=4))
    names = plan_targets(plan).drop_duplicates("month")["month_name"].tolist()
    assert names[:3] == ["Apr", "May", "Jun"] and names[-1] == "Mar"
