"""A unit's plan gives the master's numbers at every margin; batched numbers are the engine's;
the identity's MAC binds round, unit, issue and numbers to the round's key."""

from __future__ import annotations

import re

import numpy as np
import pytest
from plans import random_plan_dict
from test_cycle_support import SAMPLE

from aop_xl.cycle.numbers import batch_numbers, engine_numbers
from aop_xl.cycle.regional import RoundSlices, Unit, make_identity, mac_ok, unit_plan
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError
from aop_xl.plan import plan_from_dict


def _plans():
    yield SAMPLE
    for seed in range(12):
        try:
            yield plan_from_dict(random_plan_dict(seed, max_regions=5, max_products=6, max_reps=8))
        except PlanError:
            continue


@pytest.mark.parametrize("kind", ["region", "rep"])
def test_every_unit_gets_the_masters_margins_exactly(kind):
    checked = 0
    for plan in _plans():
        if kind == "rep" and not plan.reps:
            continue
        slices = RoundSlices(plan, kind)
        t = slices.t
        for unit in slices.units:
            tr = target_units(unit_plan(slices.document(unit)))
            assert slices.margin_differences(unit, tr) == [], unit
            if kind == "region":
                i = plan.region_names.index(unit.name)
                assert tr.total == t.regions[i]
                assert np.array_equal(tr.region_months[0], t.region_months[i])
                assert np.array_equal(tr.region_products[0], t.region_products[i])
                assert np.array_equal(tr.rep_base, t.rep_base[plan.reps_of(unit.name)])
                assert np.array_equal(tr.rep_challenge, t.rep_challenge[plan.reps_of(unit.name)])
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("kind", ["region", "rep"])
def test_batched_numbers_are_the_engines(kind):
    compared = 0
    for plan in _plans():
        if kind == "rep" and not plan.reps:
            continue
        slices = RoundSlices(plan, kind)
        units = [u for u in slices.units if slices.margins(u).batchable]
        numbers = batch_numbers([slices.margins(u) for u in units], plan.plan.challenge_uplift)
        for unit, got in zip(units, numbers):
            want = engine_numbers(target_units(unit_plan(slices.document(unit))))
            assert got.same_as(want), unit
            compared += 1
    assert compared > 20


def test_a_unit_beyond_two_to_the_31_units_stays_within_a_few_units_and_says_so():
    # Weights above 2^31 would be rounded to nine digits by the engine; such a unit takes the
    # plan's own seasonality and mix, and its months and product totals come within a few
    # units of the master's (its total exactly), which margin_differences reports.
    d = SAMPLE.model_dump(mode="json", exclude_none=True)
    d["plan"]["total_target"] = 90_000_000_000.0
    plan = plan_from_dict(d)
    reported = 0
    for kind in ("region", "rep"):
        slices = RoundSlices(plan, kind)
        for unit in slices.units:
            assert not slices.margins(unit).batchable
            tr = target_units(unit_plan(slices.document(unit)))
            i = plan.region_names.index(unit.region)
            want = slices.t.regions[i] if kind == "region" else slices.t.rep_base[plan.rep_names.index(unit.name)]
            assert tr.total == want
            for message in slices.margin_differences(unit, tr):
                assert re.search(r"(months|products) differ from the master's by up to [1-9] unit", message)
                reported += 1
    assert reported > 0


def test_the_identity_mac_covers_every_field_and_needs_the_key():
    unit = Unit("region", "East", "East")
    identity = make_identity(b"k" * 32, "aop-2027-1", "Northwind", 2027, unit, 1, "ab" * 32)
    assert mac_ok(b"k" * 32, identity)
    assert not mac_ok(b"j" * 32, identity)
    for key, other in (("round_id", "aop-2027-2"), ("company", "Southwind"), ("year", "2028"), ("kind", "rep"),
                       ("unit", "West"), ("region", "West"), ("issue", 2), ("topdown_hash", "cd" * 32)):
        assert not mac_ok(b"k" * 32, {**identity, key: other}), key
