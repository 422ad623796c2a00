"""Budget and ROI (domain.md section 5), checked against hand computations from the TOML."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference as ref
from aop_xl import load_plan, plan_from_dict, plan_targets
from aop_xl.engine.budget import MONTH_COLUMNS, BudgetSummary, budget_summary, roi
from aop_xl.errors import PlanError
from reference_plans import plan_docs

SAMPLE = tomllib.loads(resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8"))


def item_cost(item: dict) -> float:
    if item["kind"] == "one_time":
        return item["amount"]
    return item["amount"] * item.get("months", 13 - item.get("start_month", 1))


ITEMS_TOTAL = sum(item_cost(i) for i in SAMPLE["budget"])
COMMISSION_AT_TARGET = 0.01 * 24_000_000  # marginal default tiers, sales = base quota: all in band 1
MARGIN = {p["name"]: p["gross_margin"] for p in SAMPLE["products"]}


def variant(**changes) -> dict:
    data = copy.deepcopy(SAMPLE)
    for key, value in changes.items():
        data[key] = value
    return data


@pytest.fixture
def summary() -> BudgetSummary:
    # Per test, not per module: a mutation tool that credits each test with the code it runs
    # then sees every test that reads the summary (a module-scoped one is built once).
    return budget_summary(load_plan())


def test_hand_computed_totals_are_what_the_toml_says():
    # Guard the hand computation itself: 85,000 x 12 + ... + 36,000.
    assert ITEMS_TOTAL == 1_449_000
    assert COMMISSION_AT_TARGET == 240_000


def test_sales_cost_is_items_plus_commission_at_target(summary):
    assert summary.commission_at_target == COMMISSION_AT_TARGET
    assert summary.sales_cost == pytest.approx(ITEMS_TOTAL + COMMISSION_AT_TARGET, abs=1e-6)
    assert summary.revenue == 24_000_000


def test_gross_profit_from_region_by_product_targets(summary):
    cube = plan_targets(load_plan())
    by_cell = cube.groupby(["region", "product"], observed=True)["target"].sum().reset_index()
    expected = (by_cell["target"] * by_cell["product"].astype(str).map(MARGIN)).sum()
    assert summary.gross_profit == pytest.approx(expected, abs=0.01)
    # Every region uses the global product weights: 24M x sum(w x margin) / sum(w).
    weights = {p["name"]: p["weight"] for p in SAMPLE["products"]}
    blended = sum(weights[n] * MARGIN[n] for n in weights) / sum(weights.values())
    assert blended == pytest.approx(0.468)
    assert summary.gross_profit == pytest.approx(24_000_000 * blended, abs=1.0)


def test_ratios(summary):
    cost = ITEMS_TOTAL + COMMISSION_AT_TARGET
    gp = 24_000_000 * 0.468
    assert summary.roi == pytest.approx((gp - cost) / cost, rel=1e-9)
    assert summary.cost_of_sales_ratio == pytest.approx(cost / 24_000_000, rel=1e-12)
    assert summary.weighted_gross_margin == pytest.approx(0.468, rel=1e-9)
    assert summary.break_even_revenue == pytest.approx(cost / 0.468, rel=1e-9)


def test_items_table_spreads_each_item_over_its_months(summary):
    items = summary.items
    assert len(items) == len(SAMPLE["budget"]) + 1
    assert list(items.columns[:7]) == ["item", "category", "kind", "region", "amount", "months_active", "cost"]
    assert list(items.columns[7:]) == list(MONTH_COLUMNS)
    monthly = items[list(MONTH_COLUMNS)].to_numpy()
    np.testing.assert_allclose(monthly.sum(axis=1), items["cost"], atol=1e-6)
    fairs = items.set_index("item").loc["Trade fairs", list(MONTH_COLUMNS)].tolist()
    assert fairs == [0, 0, 15_000, 15_000, 15_000, 15_000, 0, 0, 0, 0, 0, 0]
    launch = items.set_index("item").loc["Central market launch"]
    assert launch["m01"] == 120_000 and launch["cost"] == 120_000 and launch["months_active"] == 1
    assert items["region"].tolist()[5:9] == ["East", "West", "South", "Central"]
    assert items["region"].iloc[0] is None


def test_commission_line_is_paid_on_the_quarterly_true_up(summary):
    line = summary.items.iloc[-1]
    assert (line["item"], line["category"], line["kind"]) == ("Commissions at target", "commissions", "derived")
    assert line["cost"] == COMMISSION_AT_TARGET
    paid = [line[m] for m in MONTH_COLUMNS]
    # At target all sales fall in the 1% band; quarters weigh 30/40/30/40 of 140.
    q1, q2 = round(0.01 * 24_000_000 * 30 / 140, 2), round(0.01 * 24_000_000 * 40 / 140, 2)
    assert paid == [0, 0, q1, 0, 0, q2, 0, 0, q1, 0, 0, q2]
    assert sum(paid) == pytest.approx(COMMISSION_AT_TARGET, abs=1e-6)


def test_by_region_roi_and_shared_cost(summary):
    r = summary.by_region.set_index("region")
    # region share of 24M: 40/25/25/10; commission 1% of it; travel / launch items.
    expected_cost = {
        "East": 72_000 + 96_000,
        "West": 48_000 + 60_000,
        "South": 54_000 + 60_000,
        "Central": 120_000 + 24_000,
    }
    revenue = {"East": 9_600_000, "West": 6_000_000, "South": 6_000_000, "Central": 2_400_000}
    for name, cost in expected_cost.items():
        assert r.loc[name, "cost"] == pytest.approx(cost)
        assert r.loc[name, "revenue"] == revenue[name]
        gp = revenue[name] * 0.468
        assert r.loc[name, "gross_profit"] == pytest.approx(gp, abs=0.5)
        assert r.loc[name, "roi"] == pytest.approx((gp - cost) / cost, rel=1e-6)
    assert summary.shared_cost == ITEMS_TOTAL - (72_000 + 48_000 + 54_000 + 120_000)
    assert r["cost"].sum() + summary.shared_cost == pytest.approx(summary.sales_cost, abs=1e-6)
    assert r["commission_at_target"].sum() == summary.commission_at_target


def test_reallocation_moves_a_share_of_the_lowest_roi_regions_own_items_to_the_highest(summary):
    realloc = summary.reallocation
    assert realloc[["from_region", "to_region"]].values.tolist() == [["Central", "East"]]
    assert realloc["amount"].tolist() == [0.10 * 120_000]
    two = budget_summary(load_plan(), reallocation_share=0.25, reallocation_pairs=2).reallocation
    assert two[["from_region", "to_region"]].values.tolist() == [["Central", "East"], ["South", "West"]]
    assert two["amount"].tolist() == [30_000, 13_500]
    assert budget_summary(load_plan(), reallocation_share=0).reallocation.empty
    assert budget_summary(load_plan(), reallocation_pairs=0).reallocation.empty


@pytest.mark.parametrize(
    "kwargs", [{"reallocation_share": 1.5}, {"reallocation_share": -0.1}, {"reallocation_pairs": -1}]
)
def test_bad_reallocation_parameters(kwargs):
    with pytest.raises(PlanError, match=next(iter(kwargs))):
        budget_summary(load_plan(), **kwargs)


def test_retroactive_mode_prices_commission_at_the_base_band():
    data = variant()
    data["commission"]["mode"] = "retroactive"
    b = budget_summary(plan_from_dict(data))
    assert b.commission_at_target == 0.015 * 24_000_000  # sales = base quota reach the 1.5% band


def test_annual_payout_pays_commission_in_the_last_month():
    data = variant()
    data["commission"]["payout"] = "annual"
    line = budget_summary(plan_from_dict(data)).items.iloc[-1]
    assert [line[m] for m in MONTH_COLUMNS] == [0.0] * 11 + [COMMISSION_AT_TARGET]


def test_no_cost_gives_no_roi_rather_than_nan_or_infinity():
    data = variant(budget=[], reps=[])
    b = budget_summary(plan_from_dict(data))
    assert b.sales_cost == 0 and b.commission_at_target == 0
    assert b.roi is None
    assert b.cost_of_sales_ratio == 0
    assert b.break_even_revenue == 0
    assert b.by_region["roi"].isna().all()
    assert str(b.by_region["roi"].dtype) == "Float64"
    assert b.reallocation.empty
    assert len(b.items) == 1 and b.items["cost"].iloc[0] == 0


def test_zero_revenue_gives_no_ratios():
    data = variant()
    data["plan"] = {**data["plan"], "total_target": 0}
    b = budget_summary(plan_from_dict(data))
    assert b.revenue == 0 and b.gross_profit == 0
    assert b.commission_at_target == 0
    assert (b.cost_of_sales_ratio, b.weighted_gross_margin, b.break_even_revenue) == (None, None, None)
    assert b.roi == pytest.approx(-1.0)  # all cost, no profit


def test_non_positive_margin_has_no_break_even():
    data = variant()
    data["products"] = [{**p, "gross_margin": 0.0} for p in data["products"]]
    b = budget_summary(plan_from_dict(data))
    assert b.weighted_gross_margin == 0
    assert b.break_even_revenue is None


def test_rep_without_quota_costs_nothing():
    data = variant()
    data["reps"] = [*data["reps"], {"name": "New Hire", "region": "East", "share": 0}]
    b = budget_summary(plan_from_dict(data))
    assert b.commission_at_target == COMMISSION_AT_TARGET
    assert b.by_region.set_index("region").loc["East", "commission_at_target"] == 96_000


def test_roi_of_single_figures():
    assert roi(24_000_000, 0.468, 1_689_000) == pytest.approx((11_232_000 - 1_689_000) / 1_689_000)
    assert roi(1_000, 0.5, 500) == 0.0
    assert roi(1_000, 0.5, 0) is None
    with pytest.raises(PlanError, match="cost"):
        roi(1_000, 0.5, -1)
    with pytest.raises(PlanError, match="revenue"):
        roi(float("nan"), 0.5, 1)


# ----------------------------------------------------------------------- against the reference


def _f(x):
    return None if x is None else float(x)


def assert_budget_matches_the_reference(data: dict, **kwargs):
    """budget_summary equals the exact reference (money to the cent, ratios to 1e-9)."""
    b = budget_summary(plan_from_dict(copy.deepcopy(data)), **kwargs)
    cube = ref.cube(data)
    unit = ref.dec(data["plan"].get("unit", 0.01))
    # The company's commission at target is rounded once, then split exactly over the regions
    # with their own commissions at target, each rounded to a whole unit, as derived weights;
    # when all of them round to nothing, the regions with any commission weigh 1 each.
    exact = ref.budget(data, cube, **{k: v for k, v in kwargs.items()})
    region_comm = [int(x) for x in np.round(b.by_region["commission_at_target"].to_numpy() / float(unit))]
    total_units = exact.commission_at_target / unit
    assert total_units.denominator == 1 and sum(region_comm) == total_units
    per_region = [ref.round_half_away(e / unit) for e in exact.region_commission_exact]
    if not any(per_region):
        per_region = [int(e > 0) for e in exact.region_commission_exact]
    weights = ref.whole_weights([None] * len(per_region), dict(enumerate(per_region)))
    assert region_comm == ref.largest_remainder(int(total_units), weights)
    want = ref.budget(data, cube, region_commission=region_comm, **kwargs)
    assert b.commission_at_target == float(want.commission_at_target)
    line = b.items[b.items["kind"] == "derived"].iloc[0]
    assert [line[m] for m in MONTH_COLUMNS] == [float(x) for x in want.commission_months]
    assert b.sales_cost == pytest.approx(float(want.sales_cost), rel=1e-12, abs=1e-6)
    assert b.shared_cost == pytest.approx(float(want.shared_cost), rel=1e-12, abs=1e-6)
    assert b.revenue == float(want.revenue)
    assert b.gross_profit == pytest.approx(float(want.gross_profit), rel=1e-9, abs=1e-6)
    for name in ("roi", "cost_of_sales_ratio", "weighted_gross_margin", "break_even_revenue"):
        got, exp = getattr(b, name), getattr(want, name)
        assert (got is None) == (exp is None), name
        if exp is not None:
            assert got == pytest.approx(float(exp), rel=1e-9, abs=1e-9), name
    for got, exp in zip(b.by_region.to_dict("records"), want.by_region):
        assert got["region"] == exp["region"]
        for col in ("revenue", "gross_profit", "item_cost", "commission_at_target", "cost"):
            assert got[col] == pytest.approx(float(exp[col]), rel=1e-9, abs=1e-6), col
        assert pd.isna(got["roi"]) == (exp["roi"] is None)
        if exp["roi"] is not None:
            assert got["roi"] == pytest.approx(float(exp["roi"]), rel=1e-9, abs=1e-9)
    moves = b.reallocation.to_dict("records")
    assert [(m["from_region"], m["to_region"], m["amount"]) for m in moves] == [
        (m["from_region"], m["to_region"], float(m["amount"])) for m in want.reallocation
    ]


def test_sample_plan_matches_the_reference():
    assert_budget_matches_the_reference(SAMPLE)
    assert_budget_matches_the_reference(SAMPLE, reallocation_share=0.25, reallocation_pairs=2)


@st.composite
def budget_docs(draw):
    data = draw(plan_docs(max_regions=4, max_products=4, max_reps=8, units=(0.01, 1, 1000),
                          totals=st.one_of(st.integers(0, 10**4), st.integers(10**6, 10**11))))  # fmt: skip
    for p in data["products"]:
        p["gross_margin"] = draw(st.integers(-20, 100)) / 100
    mode = draw(st.sampled_from(["marginal", "retroactive"]))
    payout = draw(st.sampled_from(["monthly", "quarterly", "annual"]))
    data["commission"] = {"mode": mode, "payout": payout,
                          "min_attainment": draw(st.sampled_from([0, 0.5, 1])),
                          "tiers": [{"floor": 0, "rate": 0.01}, {"floor": "base", "rate": 0.015},
                                    {"floor": "challenge", "rate": 0.02}]}  # fmt: skip
    if draw(st.booleans()):
        data["commission"]["cap"] = draw(st.integers(0, 10**6)) / 100
    regions = [r["name"] for r in data["regions"]]
    items = []
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["one_time", "recurring"]))
        item = {"item": f"I{i}", "category": draw(st.sampled_from(["salaries", "travel", "commissions", "other"])),
                "kind": kind, "amount": draw(st.integers(0, 10**7)) / 100,
                "start_month": draw(st.integers(1, 12))}  # fmt: skip
        if kind == "recurring" and draw(st.booleans()):
            item["months"] = draw(st.integers(1, 13 - item["start_month"]))
        if draw(st.booleans()):
            item["region"] = draw(st.sampled_from(regions))
        items.append(item)
    data["budget"] = items
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=budget_docs(), share=st.sampled_from([0.1, 0.25, 1.0]), pairs=st.integers(0, 3))
def test_generated_budgets_match_the_reference(data, share, pairs):
    cube = ref.cube(data)
    # A rep whose challenge quota rounds to its base quota has tiers that do not ascend: the
    # engine refuses its commission (see docs/engine.md, "commission"); keep to plans without.
    assume(all(c > b for b, c in zip(cube.rep_base, cube.rep_challenge) if b > 0))
    assert_budget_matches_the_reference(data, reallocation_share=share, reallocation_pairs=pairs)


# ------------------------------------------------------------------- small hand-worked plans


def flat_plan(reps_per_region, total, *, unit=0.01, items=(), commission=None) -> dict:
    """Regions R01.. of equal weight, one product (margin 50%), flat seasonality.

    ``reps_per_region``: per region, the shares of its reps (none: an empty list);
    ``items``: (region position, amount) of one-time items assigned to that region.
    """
    names = [f"R{i + 1:02d}" for i in range(len(reps_per_region))]
    return {
        "plan": {**{k: v for k, v in SAMPLE["plan"].items() if k != "goals"}, "unit": unit, "total_target": total},
        "seasonality": {"quarters": [1, 1, 1, 1]},
        "regions": [{"name": n, "market": "core", "weight": 1} for n in names],
        "products": [{"name": "Widget", "bcg": "star", "weight": 1, "gross_margin": 0.5}],
        "reps": [
            {"name": f"{n} rep {k + 1}", "region": n, "share": s}
            for n, shares in zip(names, reps_per_region)
            for k, s in enumerate(shares)
        ],
        "budget": [
            {"item": f"Travel {k}", "category": "travel", "kind": "one_time", "amount": a, "region": names[r]}
            for k, (r, a) in enumerate(items)
        ],
        "commission": commission or {"payout": "quarterly"},
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: roi(float("nan"), 0.5, 1), "revenue: must be a finite number, got nan"),
        (lambda: roi("1000", 0.5, 1), "revenue: must be a finite number, got '1000'"),
        (lambda: roi(1_000, float("inf"), 1), "gross_margin: must be a finite number, got inf"),
        (lambda: roi(1_000, None, 1), "gross_margin: must be a finite number, got None"),
        (lambda: roi(1_000, 0.5, float("-inf")), "cost: must be a finite number, got -inf"),
        (lambda: roi(1_000, 0.5, -1), "cost: must be >= 0, got -1"),
        (lambda: roi(1_000, 0.5, -0.25), "cost: must be >= 0, got -0.25"),
        (lambda: budget_summary(load_plan(), reallocation_share=1.5),
         "reallocation_share: must be between 0 and 1, got 1.5"),
        (lambda: budget_summary(load_plan(), reallocation_share="0.1"),
         "reallocation_share: must be between 0 and 1, got '0.1'"),
        (lambda: budget_summary(load_plan(), reallocation_pairs=-1),
         "reallocation_pairs: must be a whole number >= 0, got -1"),
        (lambda: budget_summary(load_plan(), reallocation_pairs=1.0),
         "reallocation_pairs: must be a whole number >= 0, got 1.0"),
    ],
)  # fmt: skip
def test_bad_figures_are_refused_with_one_line_naming_them(call, message):
    with pytest.raises(PlanError) as caught:
        call()
    assert str(caught.value) == message


def test_returned_tables_have_the_documented_columns_dtypes_and_index(summary):
    items = summary.items
    assert list(items.columns) == ["item", "category", "kind", "region", "amount", "months_active", "cost",
                                   *MONTH_COLUMNS]  # fmt: skip
    # One row per item and the commission line, numbered 0..n: .loc and .iloc agree.
    assert items.index.equals(pd.RangeIndex(len(SAMPLE["budget"]) + 1))
    assert str(items["months_active"].dtype) == "Int64"
    assert all(items[c].dtype == np.float64 for c in ["amount", "cost", *MONTH_COLUMNS])
    line = items.loc[len(SAMPLE["budget"])]
    assert line["item"] == "Commissions at target"
    assert line["amount"] == line["cost"] == COMMISSION_AT_TARGET
    assert line["months_active"] is pd.NA
    assert list(summary.by_region.columns) == ["region", "revenue", "gross_profit", "item_cost",
                                               "commission_at_target", "cost", "roi"]  # fmt: skip
    assert str(summary.by_region["roi"].dtype) == "Float64"
    assert list(summary.reallocation.columns) == ["from_region", "from_roi", "to_region", "to_roi", "amount"]
    assert [summary.reallocation[c].dtype for c in ("from_roi", "to_roi", "amount")] == [np.float64] * 3


def test_a_plan_without_items_has_only_the_commission_line():
    b = budget_summary(plan_from_dict(variant(budget=[])))
    full = budget_summary(load_plan())
    assert b.items.to_dict("records") == [full.items.iloc[-1].to_dict()]
    assert b.items.dtypes.to_dict() == full.items.dtypes.to_dict()
    assert b.items.index.equals(pd.RangeIndex(1))
    assert b.shared_cost == 0 and b.sales_cost == COMMISSION_AT_TARGET


@pytest.mark.parametrize(
    ("total", "shares", "unit"),
    [(1, [1], 1), (3, [1, 2], 1), (0.03, [1, 2], 0.01), (1_000_000, [1], 0.01), (5_000, [1, 1, 2, 1], 1000)],
)
def test_every_rep_with_a_quota_earns_commission_even_a_one_unit_quota(total, shares, unit):
    # At a 100% rate from the first unit, the commission at target is the whole target: every
    # rep with a quota counts, the one-rep plan and the quota of one unit (0.01) included.
    data = flat_plan([shares], total, unit=unit, commission={"tiers": [{"floor": 0, "rate": 1.0}]})
    b = budget_summary(plan_from_dict(data))
    assert b.commission_at_target == total
    assert b.by_region["commission_at_target"].tolist() == [total]
    assert_budget_matches_the_reference(data)


def test_commission_follows_the_plans_tiers_and_floor_basis():
    # Two reps with a base quota of 2,000,000 each: 1% up to 1,000,000 (an amount, not a
    # multiple of the quota), 3% above it: 10,000 + 30,000 each.
    tiers = [{"floor": 0, "rate": 0.01}, {"floor": 1_000_000, "rate": 0.03}]
    data = flat_plan([[1], [1]], 4_000_000, commission={"tiers": tiers, "floor_basis": "absolute", "payout": "annual"})
    b = budget_summary(plan_from_dict(data))
    assert b.commission_at_target == 80_000
    assert b.by_region["commission_at_target"].tolist() == [40_000, 40_000]
    assert b.items.iloc[-1][list(MONTH_COLUMNS)].tolist() == [0.0] * 11 + [80_000.0]
    assert_budget_matches_the_reference(data)
    # Read as fractions of the quota, the 3% band starts a million quotas up: 1% throughout.
    data["commission"]["floor_basis"] = "quota"
    assert budget_summary(plan_from_dict(data)).commission_at_target == 40_000


def test_regions_without_reps_get_no_commission_and_tiny_commissions_go_to_regions_that_earn_them():
    # Unit 1: R02's and R03's reps earn 0.3 each (1% of 30), under half a unit each; the
    # company's 0.6 rounds to 1 unit, which goes to the first region with any commission,
    # R02, never to R01 or R04 (no reps).
    data = flat_plan([[], [1], [1], []], 120, unit=1)
    b = budget_summary(plan_from_dict(data))
    assert b.commission_at_target == 1
    assert b.by_region["commission_at_target"].tolist() == [0, 1, 0, 0]
    assert b.by_region["roi"].isna().tolist() == [True, False, True, True]
    assert_budget_matches_the_reference(data)
    # With commissions of whole units, a region without reps still gets none of it.
    data = flat_plan([[1], [1, 1], []], 3_000_000)
    b = budget_summary(plan_from_dict(data))
    assert b.by_region["commission_at_target"].tolist() == [10_000, 10_000, 0]
    assert_budget_matches_the_reference(data)


def test_reallocation_ranks_equal_rois_in_plan_order_and_never_moves_between_them():
    # 20 regions of 1,000,000 revenue (gross profit 500,000) and 10,000 commission each;
    # R01..R19 have 100,000 of items (ROI 390/110), R20 50,000 (ROI 440/60). The lowest
    # ROI is shared by 19 regions: the first of them in plan order, R01, gives 10% of its
    # items to R20; the next pairs (R02 and R19, ...) have equal ROIs and move nothing.
    data = flat_plan([[1]] * 20, 20_000_000, items=[(r, 100_000 if r < 19 else 50_000) for r in range(20)])
    b = budget_summary(plan_from_dict(data), reallocation_pairs=5)
    assert b.reallocation.to_dict("records") == [
        {"from_region": "R01", "from_roi": 390_000 / 110_000, "to_region": "R20", "to_roi": 440_000 / 60_000,
         "amount": 10_000.0}
    ]  # fmt: skip
    assert_budget_matches_the_reference(data, reallocation_pairs=5)
    # The other way round: R01..R10 have the high ROI, R11..R20 the low one. The k-th lowest
    # is the k-th low region in plan order, the k-th highest the k-th high one from the end.
    data = flat_plan([[1]] * 20, 20_000_000, items=[(r, 50_000 if r < 10 else 100_000) for r in range(20)])
    b = budget_summary(plan_from_dict(data), reallocation_pairs=3)
    assert b.reallocation[["from_region", "to_region", "amount"]].values.tolist() == [
        ["R11", "R10", 10_000.0], ["R12", "R09", 10_000.0], ["R13", "R08", 10_000.0]
    ]  # fmt: skip
    assert_budget_matches_the_reference(data, reallocation_pairs=3)
    # Two regions alike in everything: no move either way.
    data = flat_plan([[1], [1]], 2_000_000, items=[(0, 100_000), (1, 100_000)])
    assert budget_summary(plan_from_dict(data), reallocation_share=1.0).reallocation.empty


def test_reallocation_moves_any_amount_of_at_least_one_unit():
    # Central's items cost 120,000: 0.0005% of them is 0.60, a move; 0.000004% is 0.0048,
    # which rounds to no cent and moves nothing.
    small = budget_summary(load_plan(), reallocation_share=0.000005).reallocation
    assert small[["from_region", "to_region", "amount"]].values.tolist() == [["Central", "East", 0.6]]
    assert budget_summary(load_plan(), reallocation_share=0.00000004).reallocation.empty
