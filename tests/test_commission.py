"""Commission tiers (domain.md section 4): worked numbers, boundaries, statements, properties."""

from __future__ import annotations

import tomllib
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
from aop_xl import load_plan, plan_from_dict
from aop_xl.engine.commission import (
    band_reached,
    commission,
    commission_by_band,
    commission_statement,
    ytd_payments,
)
from aop_xl.engine.quota import annual_quotas
from aop_xl.errors import PlanError
from aop_xl.plan import Tier

B, C, S = 1_000_000, 1_200_000, 1_300_000


def sample_dict() -> dict:
    text = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


# ----------------------------------------------------------------------- worked numbers


def test_worked_example_marginal_is_15000():
    assert commission(S, B, C) == pytest.approx(15_000, abs=1e-9)
    assert commission(S, B, C, mode="marginal") == pytest.approx(10_000 + 3_000 + 2_000, abs=1e-9)


def test_worked_example_retroactive_is_26000():
    assert commission(S, B, C, mode="retroactive") == pytest.approx(26_000, abs=1e-9)


def test_sales_exactly_at_base_earn_the_second_rate_retroactively():
    assert commission(B, B, C, mode="retroactive") == pytest.approx(0.015 * B, abs=1e-9)
    assert commission(B - 0.01, B, C, mode="retroactive") == pytest.approx(0.01 * (B - 0.01), abs=1e-9)
    assert commission(C, B, C, mode="retroactive") == pytest.approx(0.02 * C, abs=1e-9)


def test_boundary_makes_no_difference_in_marginal_mode():
    assert commission(B, B, C) == pytest.approx(10_000, abs=1e-9)
    assert commission(B + 100, B, C) == pytest.approx(10_000 + 1.5, abs=1e-9)


def test_challenge_floor_is_the_given_challenge_quota_not_an_uplift():
    # C = 1.1 x B: 1% x 1,000,000 + 1.5% x 100,000 + 2% x 200,000
    assert commission(S, B, 1_100_000) == pytest.approx(10_000 + 1_500 + 4_000, abs=1e-9)


def test_band_reached_boundaries():
    assert [band_reached(s, B, C) for s in (-5, 0, B - 1, B, C - 1, C, 5 * C)] == [0, 0, 0, 1, 1, 2, 2]
    assert isinstance(band_reached(B, B, C), int)


def test_tiers_as_objects_dicts_pairs_and_absolute_floors_agree():
    sales = np.array([0, 500_000, B, 1_150_000, C, S, 3_000_000])
    expected = commission(sales, B, C)
    as_tiers = [Tier(floor=0, rate=0.01), Tier(floor=1.0, rate=0.015), Tier(floor=1.2, rate=0.02)]
    as_dicts = [{"floor": 0, "rate": 0.01}, {"floor": "base", "rate": 0.015}, {"floor": "challenge", "rate": 0.02}]
    as_pairs = [(0, 0.01), (1.0, 0.015), (1.2, 0.02)]
    absolute = [(0, 0.01), (1_000_000, 0.015), (1_200_000, 0.02)]
    for tiers, basis in ((as_tiers, "quota"), (as_dicts, "quota"), (as_pairs, "quota"), (absolute, "absolute")):
        for mode in ("marginal", "retroactive"):
            got = commission(sales, B, C, tiers=tiers, mode=mode, floor_basis=basis)
            np.testing.assert_allclose(got, commission(sales, B, C, mode=mode), rtol=0, atol=1e-9)
    np.testing.assert_allclose(commission(sales, B, C, tiers=as_pairs), expected, atol=1e-9)


def test_fraction_floor_exactly_at_its_amount_counts_as_reached():
    tiers = [(0, 0.01), (0.7, 0.012), (1.3, 0.03)]
    # 0.7 x 3,333,333 = 2,333,333.10 exactly, though the float product is 2,333,333.0999...
    assert band_reached(2_333_333.10, 3_333_333, None, tiers=tiers) == 1
    assert band_reached(2_333_333.09, 3_333_333, None, tiers=tiers) == 0
    assert commission(1_300_000, B, None, tiers=tiers, mode="retroactive") == pytest.approx(39_000, abs=1e-9)


def test_cap_limits_the_payout_and_fills_the_bands_from_the_bottom():
    assert commission(S, B, C, cap=12_000) == 12_000
    assert commission(S, B, C, mode="retroactive", cap=20_000) == 20_000
    assert commission(500_000, B, C, cap=12_000) == pytest.approx(5_000)
    bands = commission_by_band(S, B, C, cap=12_000)
    np.testing.assert_allclose(bands, [10_000, 2_000, 0], atol=1e-9)


def test_min_attainment_is_exact_at_its_boundary():
    assert commission(900_000, B, C, min_attainment=0.9) == pytest.approx(9_000, abs=1e-9)
    assert commission(899_999.99, B, C, min_attainment=0.9) == 0.0
    assert commission(899_999.99, B, C, mode="retroactive", min_attainment=0.9) == 0.0
    np.testing.assert_array_equal(commission_by_band(899_999.99, B, C, min_attainment=0.9), [0, 0, 0])


def test_negative_sales_earn_nothing():
    assert commission(-50_000, B, C) == 0.0
    assert commission(-50_000, B, C, mode="retroactive") == 0.0
    np.testing.assert_array_equal(commission_by_band(-1, B, C), [0, 0, 0])


def test_scalars_give_floats_and_arrays_broadcast():
    assert type(commission(S, B, C)) is float
    out = commission([[S], [B]], [B, 2 * B], [C, 2 * C])
    assert out.shape == (2, 2)
    assert out[0, 0] == pytest.approx(15_000)
    assert out[1, 0] == pytest.approx(10_000)
    assert out[0, 1] == pytest.approx(13_000)  # all of 1.3M below the 2M base quota
    assert commission_by_band(S, B, C).shape == (3,)
    assert commission_by_band([S, B, 0], B, C).shape == (3, 3)


def test_commission_by_band_is_each_bands_rate_on_the_sales_inside_it():
    # Compared with the independent reference, not with commission() (defined as their sum).
    sales = [-100_000, 0, 0.01, 999_999.99, B, 1_000_000.01, 1_150_000, C, S, 4_000_000]
    got = commission_by_band(sales, B, C)
    for s, row in zip(sales, got):
        want = ref.commission_by_band(s, B, C)
        np.testing.assert_allclose(row, [float(x) for x in want], rtol=1e-12, atol=1e-9)
    # By hand: 1,150,000 is 1% of 1,000,000 and 1.5% of 150,000; nothing in the top band.
    np.testing.assert_allclose(got[6], [10_000, 2_250, 0], atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"tiers": [(0, 0.01), (1.2, 0.015), (1.0, 0.02)]}, "tiers[2].floor"),
        ({"tiers": [(0, 0.01), (1.0, -0.01)]}, "tiers[1].rate"),
        ({"tiers": [(0, 0.01), (1.0, 1.5)]}, "tiers[1].rate"),
        ({"tiers": [(0.5, 0.01)]}, "tiers[0].floor"),
        ({"tiers": [(0, 0.01), ("target", 0.02)]}, "tiers[1].floor"),
        ({"tiers": [(0, 0.01), (-1, 0.02)]}, "tiers[1].floor"),
        ({"tiers": [(0, 0.01, 3)]}, "tiers[0]"),
        ({"tiers": []}, "tiers"),
        ({"mode": "flat"}, "mode"),
        ({"floor_basis": "percent"}, "floor_basis"),
        ({"cap": -1}, "cap"),
        ({"min_attainment": -0.1}, "min_attainment"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, field):
    with pytest.raises(PlanError, match=field.replace("[", r"\[").replace("]", r"\]")):
        commission(S, B, C, **kwargs)


def test_bad_quotas_and_sales_name_the_argument():
    with pytest.raises(PlanError, match="base_quota"):
        commission(S, 0, C)
    with pytest.raises(PlanError, match="base_quota"):
        commission(S, [B, -1], C)
    with pytest.raises(PlanError, match="challenge_quota"):
        commission(S, B, 900_000)  # challenge below base: tiers not ascending
    with pytest.raises(PlanError, match="challenge_quota"):
        commission(S, B, None)
    with pytest.raises(PlanError, match="sales"):
        commission([S, float("nan")], B, C)
    # Absolute floors without "base" need no quota at all.
    assert commission(S, 0, None, tiers=[(0, 0.01), (1_000_000, 0.02)], floor_basis="absolute") == pytest.approx(16_000)


# ----------------------------------------------------------------------- YTD true-up


def test_ytd_payments_quarterly_true_up():
    pay = ytd_payments([300_000, 400_000, 300_000, 300_000], B, C)
    np.testing.assert_allclose(pay, [3_000, 4_000, 3_000, 5_000], atol=1e-9)
    retro = ytd_payments([300_000, 700_000, 0, 300_000], B, C, mode="retroactive")
    # YTD 300k: 3,000; YTD 1.0M reaches the base band: 15,000 in all, so 12,000 more.
    np.testing.assert_allclose(retro, [3_000, 12_000, 0, 26_000 - 15_000], atol=1e-9)


def test_ytd_payments_claw_back_after_returns():
    pay = ytd_payments([1_100_000, -200_000], B, C)
    assert pay[0] == pytest.approx(11_500)
    assert pay[1] == pytest.approx(9_000 - 11_500)


def test_ytd_payments_two_dimensional_reps_by_periods():
    sales = np.array([[300_000, 400_000, 300_000, 300_000], [100_000, 100_000, 100_000, 100_000]])
    pay = ytd_payments(sales, [B, 2 * B], [C, 2 * C])
    assert pay.shape == (2, 4)
    np.testing.assert_allclose(pay[1], [1_000] * 4, atol=1e-9)
    np.testing.assert_allclose(pay.sum(axis=1), [15_000, 4_000], atol=1e-9)
    with pytest.raises(PlanError, match="period_sales"):
        ytd_payments(np.zeros((2, 2, 2)), B, C)


# ----------------------------------------------------------------------- statements


def test_statement_of_the_sample_plan():
    plan = load_plan()
    st_ = commission_statement(plan, {"An Nguyen": 3_500_000, "Li Wei": 1_000_000})
    assert list(st_["rep"]) == plan.rep_names
    assert list(st_.columns) == [
        "rep", "region", "sales", "base_quota", "challenge_quota", "attainment", "band",
        "band_1", "band_2", "band_3", "commission", "commission_marginal", "commission_retroactive",
        "effective_rate",
    ]  # fmt: skip
    an = st_.iloc[0]
    # base 2,880,000, challenge 3,456,000 (share 1.2 of East's 9.6M)
    assert (an["band"], an["band_1"], an["band_2"], an["band_3"]) == (3, 28_800.0, 8_640.0, 880.0)
    assert an["commission"] == an["commission_marginal"] == 38_320.0
    assert an["commission_retroactive"] == 70_000.0
    assert an["attainment"] == pytest.approx(3_500_000 / 2_880_000)
    assert an["effective_rate"] == pytest.approx(38_320 / 3_500_000)
    li = st_.set_index("rep").loc["Li Wei"]
    assert (li["band"], li["commission"]) == (1, 10_000.0)
    others = st_[~st_["rep"].isin(["An Nguyen", "Li Wei"])]
    assert (others["sales"] == 0).all() and (others["commission"] == 0).all() and (others["effective_rate"] == 0).all()


def test_statement_rounds_to_the_unit_and_bands_add_up_exactly():
    plan = load_plan()
    sales = pd.Series({"Bao Tran": 2_612_345.67, "Hoa Le": 2_412_345.67, "Jun Wang": 1_234.57})
    st_ = commission_statement(plan, sales)
    cents = st_[["band_1", "band_2", "band_3", "commission_marginal", "commission_retroactive"]] * 100
    assert np.allclose(cents, cents.round(), atol=1e-6)
    total_cents = (st_[["band_1", "band_2", "band_3"]] * 100).round().sum(axis=1)
    assert (total_cents == (st_["commission_marginal"] * 100).round()).all()
    jun = st_.set_index("rep").loc["Jun Wang"]
    assert jun["commission"] == 12.35  # 1% of 1,234.57 = 12.3457


def test_statement_uses_the_plans_mode_cap_and_min_attainment():
    data = sample_dict()
    data["commission"].update(mode="retroactive", cap=50_000, min_attainment=0.5)
    plan = plan_from_dict(data)
    sales = {"An Nguyen": 3_500_000, "Bao Tran": 1_300_000, "Chloe Martin": 1_100_000, "Li Wei": 600_000}
    by = commission_statement(plan, sales).set_index("rep")
    assert by.loc["An Nguyen", "commission"] == 50_000.0  # 2% x 3.5M = 70,000, capped
    assert by.loc["An Nguyen", "commission_marginal"] == 38_320.0  # below the cap
    assert by.loc["Bao Tran", "commission"] == 13_000.0  # 1.3M of 2.4M = 54%: 1% on all
    assert by.loc["Chloe Martin", "commission"] == 0.0  # 1.1M of 2.4M = 45.8%: below 50%
    assert by.loc["Li Wei", "commission"] == 6_000.0  # 600k of 1.2M = exactly 50%


def test_statement_rejects_unknown_reps_and_bad_sales():
    plan = load_plan()
    with pytest.raises(PlanError, match="Nobody"):
        commission_statement(plan, {"Nobody": 1})
    with pytest.raises(PlanError, match="An Nguyen"):
        commission_statement(plan, {"An Nguyen": "lots"})
    with pytest.raises(PlanError, match="sales"):
        commission_statement(plan, [1, 2, 3])


# ----------------------------------------------------------------------- properties

money = st.floats(min_value=-1e5, max_value=5e7, allow_nan=False, allow_infinity=False)
quota = st.floats(min_value=1.0, max_value=1e7, allow_nan=False, allow_infinity=False)


@st.composite
def schedules(draw, sorted_rates: bool):
    n = draw(st.integers(1, 5))
    steps = draw(st.lists(st.floats(0.05, 2.0), min_size=n - 1, max_size=n - 1))
    floors = [0.0, *np.cumsum(steps).round(6).tolist()]
    rates = draw(st.lists(st.floats(0.0, 0.2), min_size=n, max_size=n))
    if sorted_rates:
        rates = sorted(rates)
    if len(set(floors)) < len(floors):
        floors = [0.0, *[i + 1.0 for i in range(n - 1)]]
    return list(zip(floors, rates))


@settings(max_examples=300, deadline=None)
@given(s1=money, s2=money, base=quota, tiers=schedules(sorted_rates=False), cap=st.none() | st.floats(0, 1e6))
def test_marginal_commission_is_monotone_in_sales(s1, s2, base, tiers, cap):
    lo, hi = min(s1, s2), max(s1, s2)
    assert commission(lo, base, None, tiers=tiers, cap=cap) <= commission(hi, base, None, tiers=tiers, cap=cap)


@settings(max_examples=300, deadline=None)
@given(
    s1=money,
    s2=money,
    base=quota,
    tiers=schedules(sorted_rates=True),
    cap=st.none() | st.floats(0, 1e6),
    min_att=st.sampled_from([0.0, 0.5, 0.9]),
)
def test_retroactive_commission_is_monotone_when_rates_rise(s1, s2, base, tiers, cap, min_att):
    lo, hi = min(s1, s2), max(s1, s2)
    kw = dict(tiers=tiers, mode="retroactive", cap=cap, min_attainment=min_att)
    assert commission(lo, base, None, **kw) <= commission(hi, base, None, **kw)


@settings(max_examples=300, deadline=None)
@given(
    s=money, eps=st.floats(0, 1e5), base=quota, tiers=schedules(sorted_rates=False), cap=st.none() | st.floats(0, 1e6)
)
def test_marginal_commission_is_continuous(s, eps, base, tiers, cap):
    c0 = commission(s, base, None, tiers=tiers, cap=cap)
    c1 = commission(s + eps, base, None, tiers=tiers, cap=cap)
    max_rate = max(r for _, r in tiers)
    assert abs(c1 - c0) <= max_rate * eps + 1e-9 * max(1.0, abs(c0), abs(c1))


@settings(max_examples=200, deadline=None)
@given(
    periods=st.lists(st.decimals(-200_000, 5_000_000, places=2), min_size=1, max_size=12),
    base=st.integers(1, 10**7),
    uplift=st.decimals("0.01", "1", places=2),
    mode=st.sampled_from(["marginal", "retroactive"]),
    cap=st.none() | st.decimals(0, 100_000, places=2),
    min_att=st.sampled_from(["0", "0.5", "0.9", "1"]),
)
def test_ytd_payments_match_the_reference(periods, base, uplift, mode, cap, min_att):
    # The reference pays each period the commission due to date less what it has paid so far.
    chal = ref.dec(base) * (1 + ref.dec(uplift))
    kw = dict(mode=mode, cap=None if cap is None else float(cap), min_attainment=float(min_att))
    pay = ytd_payments([float(p) for p in periods], base, float(chal), **kw)
    want = ref.ytd_payments(periods, base, chal, mode=mode, cap=cap, min_attainment=min_att)
    np.testing.assert_allclose(pay, [float(x) for x in want], rtol=1e-9, atol=1e-6)
    year = ref.commission(sum(periods), base, chal, mode=mode, cap=cap, min_attainment=min_att)
    assert pay.sum() == pytest.approx(float(year), rel=1e-9, abs=1e-6)


# ----------------------------------------------------------------------- against the reference


@st.composite
def schedule_cases(draw):
    """Sales, quotas and a tier schedule, with sales often exactly on a floor or the minimum
    attainment (the boundaries binary floating point gets wrong)."""
    base = draw(st.integers(1, 10**7))
    uplift = draw(st.decimals("0.01", "1", places=2))
    chal = ref.dec(base) * (1 + ref.dec(uplift))
    kind = draw(st.sampled_from(["default", "quota", "absolute"]))
    if kind == "default":
        tiers, basis = None, "quota"
    else:
        n = draw(st.integers(1, 5))
        steps = draw(st.lists(st.decimals("0.05", "2", places=4), min_size=n - 1, max_size=n - 1))
        floors, acc = [0], ref.Fraction(0)
        for step in steps:
            acc += ref.dec(step)
            floors.append(acc if kind == "quota" else acc * base)
        rates = draw(st.lists(st.decimals("0", "0.2", places=4), min_size=n, max_size=n))
        tiers = [(float(f) if f else 0, float(r)) for f, r in zip(floors, rates)]
        basis = "quota" if kind == "quota" else "absolute"
    cap = draw(st.none() | st.decimals(0, 200_000, places=2))
    min_att = draw(st.sampled_from(["0", "0.5", "0.9", "1", "1.25"]))
    where = draw(st.sampled_from(["free", "floor", "attainment"]))
    if where == "free":
        sales = ref.dec(draw(st.decimals(-100_000, 50_000_000, places=2)))
    elif where == "floor":
        floors = ref.tier_floors(tiers, base, chal, basis)
        sales = draw(st.sampled_from(floors)) + ref.dec(draw(st.sampled_from(["-0.01", "0", "0.01"])))
    else:
        sales = ref.dec(min_att) * base + ref.dec(draw(st.sampled_from(["-0.01", "0", "0.01"])))
    return dict(sales=sales, base=base, chal=chal, tiers=tiers, basis=basis, cap=cap, min_att=min_att)


@settings(max_examples=600, deadline=None)
@given(case=schedule_cases(), mode=st.sampled_from(["marginal", "retroactive"]))
def test_commission_matches_the_reference(case, mode):
    c = case
    kw = dict(tiers=c["tiers"], cap=None if c["cap"] is None else float(c["cap"]), min_attainment=float(c["min_att"]),
              floor_basis=c["basis"])  # fmt: skip
    rkw = dict(tiers=c["tiers"], cap=c["cap"], min_attainment=c["min_att"], floor_basis=c["basis"])
    sales, base, chal = float(c["sales"]), c["base"], float(c["chal"])
    want = ref.commission(c["sales"], base, c["chal"], mode=mode, **rkw)
    assert commission(sales, base, chal, mode=mode, **kw) == pytest.approx(float(want), rel=1e-12, abs=1e-9)
    assert band_reached(sales, base, chal, c["tiers"], c["basis"]) == ref.band_reached(
        c["sales"], base, c["chal"], c["tiers"], c["basis"]
    )
    bands = commission_by_band(sales, base, chal, **kw)
    want_bands = ref.commission_by_band(c["sales"], base, c["chal"], **rkw)
    np.testing.assert_allclose(bands, [float(x) for x in want_bands], rtol=1e-12, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    sales=st.lists(st.decimals(-50_000, 6_000_000, places=2), min_size=12, max_size=12),
    mode=st.sampled_from(["marginal", "retroactive"]),
    cap=st.none() | st.decimals(0, 80_000, places=2),
    min_att=st.sampled_from(["0", "0.5", "0.9"]),
)
def test_statement_matches_the_reference(sales, mode, cap, min_att):
    data = sample_dict()
    data["commission"].update(mode=mode, min_attainment=float(min_att))
    if cap is not None:
        data["commission"]["cap"] = float(cap)
    plan = plan_from_dict(data)
    st_ = commission_statement(plan, dict(zip(plan.rep_names, [float(s) for s in sales])))
    cube = ref.cube(data)
    for k, row in st_.iterrows():
        base, chal = cube.rep_base[k] * ref.dec("0.01"), cube.rep_challenge[k] * ref.dec("0.01")
        assert (row["base_quota"], row["challenge_quota"]) == (float(base), float(chal))
        want = ref.statement_row(sales[k], base, chal, "0.01", data["commission"])
        assert row["band"] == want["band"]
        assert [row[f"band_{b + 1}"] for b in range(3)] == [float(x) for x in want["bands"]]
        assert row["commission"] == float(want["commission"])
        assert row["commission_marginal"] == float(want["commission_marginal"])
        assert row["commission_retroactive"] == float(want["commission_retroactive"])
        assert row["attainment"] == pytest.approx(float(want["attainment"]), rel=1e-12)
        assert row["effective_rate"] == pytest.approx(float(want["effective_rate"]), rel=1e-12, abs=1e-15)


def test_attainment_on_an_exact_half_rounds_away_from_zero():
    # 8,189 of 8,192 is 0.9996337890625 exactly: rounded to 12 decimals, halves away from zero
    # (as the workbook's ROUND), it reaches a minimum attainment of 0.999633789063 (rounding to
    # the even digit gave 0.999633789062, which does not).
    tiers = [(0, 0.01)]
    assert commission(8_189, 8_192, None, tiers=tiers, min_attainment=0.999633789063) == pytest.approx(81.89)
    assert commission(8_189, 8_192, None, tiers=tiers, min_attainment=0.999633789064) == 0.0
    assert ref.eligible(8_189, 8_192, "0.999633789063")
    # A floor of 1.0078125 x a quota of 1 is rounded to 6 decimals the same way: 1.007813.
    tiers = [(0, 0.01), (1.0078125, 0.02)]
    assert [band_reached(s, 1, None, tiers=tiers) for s in (1.0078125, 1.007813)] == [0, 1]
    assert [ref.band_reached(s, 1, None, tiers=tiers) for s in ("1.0078125", "1.007813")] == [0, 1]


# ----------------------------------------------------------------------- exact refusals

NAN = float("nan")
ABSOLUTE = [(0, 0.01), (1_000_000, 0.02)]


@pytest.mark.parametrize(
    "call, message",
    [
        pytest.param(lambda: commission(S, B, C, cap=NAN), "cap: must be finite numbers, got nan", id="cap-nan"),
        pytest.param(lambda: commission(S, B, C, cap="x"), "cap: must be numbers, got 'x'", id="cap-text"),
        pytest.param(lambda: commission("lots", B, C), "sales: must be numbers, got 'lots'", id="sales-text"),
        pytest.param(lambda: commission([S, NAN], B, C), "sales: must be finite numbers, got nan", id="sales-nan"),
        pytest.param(lambda: commission(S, [B, NAN], C), "base_quota: must be finite numbers, got nan", id="base-nan"),
        pytest.param(lambda: commission(S, B, NAN), "challenge_quota: must be finite numbers, got nan", id="chal-nan"),
        pytest.param(lambda: commission(S, B, None), 'challenge_quota: required by the "challenge" tier floor',
                     id="chal-missing"),
        pytest.param(lambda: commission(S, B, C, min_attainment="x"), "min_attainment: must be a number, got 'x'",
                     id="min-text"),
        pytest.param(lambda: commission(S, B, C, mode="retroactive", min_attainment="x"),
                     "min_attainment: must be a number, got 'x'", id="min-text-retro"),
        pytest.param(lambda: commission(S, B, C, mode="retroactive", min_attainment=-0.1),
                     "min_attainment: must be >= 0, got -0.1", id="min-negative-retro"),
        pytest.param(lambda: commission(S, B, C, min_attainment=float("inf")),
                     "min_attainment: must be a finite number, got inf", id="min-inf"),
        pytest.param(lambda: commission(S, B, C, tiers=[(0, "x")]), "tiers[0].rate: must be a number, got 'x'",
                     id="rate-text"),
        pytest.param(lambda: commission(S, B, C, tiers=[(0, 0.01), (None, 0.02)]),
                     "tiers[1].floor: must be a number, got None", id="floor-none"),
        pytest.param(lambda: commission(S, B, C, tiers=[{"floor": 0, "rates": 0.01}]),
                     "tiers[0]: expected a Tier, {'floor': ..., 'rate': ...} or (floor, rate), "
                     "got {'floor': 0, 'rates': 0.01}", id="tier-dict-keys"),
        pytest.param(lambda: commission(S, B, C, tiers=5),
                     "tiers: expected a non-empty list of (floor, rate) bands, got 5", id="tiers-number"),
        pytest.param(lambda: commission(S, B, C, tiers="abc"),
                     "tiers: expected a non-empty list of (floor, rate) bands, got 'abc'", id="tiers-text"),
        # Equal floors are not ascending; no hint about the challenge quota when no floor is "challenge".
        pytest.param(lambda: commission(S, B, C, tiers=[(0, 0.01), (1.0, 0.02), (1.0, 0.03)]),
                     "tiers[2].floor: tiers must be in ascending order of floor, "
                     "got 1.0 = 1,000,000.00 not above 1.0 = 1,000,000.00", id="equal-floors"),
        pytest.param(lambda: commission(S, B, 900_000),
                     "tiers[2].floor: tiers must be in ascending order of floor, "
                     "got 'challenge' = 900,000.00 not above 'base' = 1,000,000.00 (check challenge_quota)",
                     id="challenge-below-base"),
        pytest.param(lambda: commission(S, B, C, tiers=[(0, 0.01), ("challenge", 0.02), (1.1, 0.03)]),
                     "tiers[2].floor: tiers must be in ascending order of floor, "
                     "got 1.1 = 1,100,000.00 not above 'challenge' = 1,200,000.00 (check challenge_quota)",
                     id="floor-below-challenge"),
        # The row whose floors are out of order is the one reported (here the second).
        pytest.param(lambda: commission([S, S], [B, B], [C, 900_000]),
                     "tiers[2].floor: tiers must be in ascending order of floor, "
                     "got 'challenge' = 900,000.00 not above 'base' = 1,000,000.00 (check challenge_quota)",
                     id="second-row"),
        # Floors below 1 x the quota still refer to it.
        pytest.param(lambda: commission(S, 0, None, tiers=[(0, 0.01), (0.5, 0.02)]),
                     "base_quota: must be > 0 when tier floors or min_attainment refer to the quota, got 0",
                     id="half-quota-floor"),
        # Absolute floors need no quota, but a minimum attainment does, in both modes.
        pytest.param(lambda: commission(S, 0, None, tiers=ABSOLUTE, floor_basis="absolute", min_attainment=0.5),
                     "base_quota: must be > 0 when tier floors or min_attainment refer to the quota, got 0",
                     id="absolute-min-attainment"),
        pytest.param(lambda: commission(S, 0, None, tiers=ABSOLUTE, floor_basis="absolute", min_attainment=0.5,
                                        mode="retroactive"),
                     "base_quota: must be > 0 when tier floors or min_attainment refer to the quota, got 0",
                     id="absolute-min-attainment-retro"),
        # The first quota that is not positive is named, not a small positive one before it.
        pytest.param(lambda: commission(S, [0.5, -1], [1, 1]),
                     "base_quota: must be > 0 when tier floors or min_attainment refer to the quota, got -1",
                     id="first-non-positive"),
        pytest.param(lambda: ytd_payments([1, NAN], B, C), "period_sales: must be finite numbers, got nan",
                     id="ytd-sales-nan"),
        pytest.param(lambda: ytd_payments([1, 2], "lots", C), "base_quota: must be numbers, got 'lots'",
                     id="ytd-base-text"),
        pytest.param(lambda: ytd_payments([1, 2], B, "lots"), "challenge_quota: must be numbers, got 'lots'",
                     id="ytd-chal-text"),
        pytest.param(lambda: ytd_payments([1, 2], B, None), 'challenge_quota: required by the "challenge" tier floor',
                     id="ytd-chal-missing"),
    ],
)
def test_bad_arguments_are_refused_with_one_exact_line(call, message):
    with pytest.raises(PlanError) as err:
        call()
    assert str(err.value) == message


def test_bounds_of_rates_and_floors_that_need_no_quota():
    # A rate of exactly 1 is allowed: all the sales are paid.
    assert commission(S, B, C, tiers=[(0, 1.0)]) == S
    # A single band from 0 refers to no quota: a rep without one is paid 1% of its sales.
    assert commission(S, 0, None, tiers=[(0, 0.01)]) == pytest.approx(13_000)
    # Absolute floors without a minimum attainment need no quota for the band either.
    assert band_reached(S, 0, None, tiers=ABSOLUTE, floor_basis="absolute") == 1


def test_ytd_payments_with_absolute_floors_and_quotas_per_scenario():
    # 1% up to 500,000, then 2%: YTD 300k earns 3,000; 700k 5,000 + 4,000; 1.0M 5,000 + 10,000.
    pay = ytd_payments([300_000, 400_000, 300_000], 0, None, tiers=[(0, 0.01), (500_000, 0.02)],
                       floor_basis="absolute")
    np.testing.assert_allclose(pay, [3_000, 6_000, 6_000], atol=1e-9)
    # One row of sales against two quotas broadcasts to one row of payments per quota; under a
    # 2M base quota all 1.3M is paid at 1%.
    pay = ytd_payments([300_000, 400_000, 300_000, 300_000], [B, 2 * B], [C, 2 * C])
    assert pay.shape == (2, 4)
    np.testing.assert_allclose(pay, [[3_000, 4_000, 3_000, 5_000], [3_000, 4_000, 3_000, 3_000]], atol=1e-9)


@pytest.mark.parametrize(
    "sales, message",
    [
        ([1, 2], "sales: expected a mapping rep name -> annual sales or a Series, got list"),
        (pd.Series([1, 2], index=["An Nguyen", "An Nguyen"]), 'sales: rep "An Nguyen" appears more than once'),
        ({"An Nguyen": 1, "Nobody": 2}, 'sales: "Nobody" is not a rep of the plan'),
        ({"An Nguyen": 1, "Li Wei": None}, 'sales["Li Wei"]: must be a finite number, got None'),
    ],
)
def test_statement_refuses_bad_sales_with_one_exact_line(sales, message):
    with pytest.raises(PlanError) as err:
        commission_statement(load_plan(), sales)
    assert str(err.value) == message


def test_statement_with_absolute_floors_of_its_own():
    # 1% up to 2,000,000 then 3%: 3.5M earns 20,000 + 45,000 marginal, 3% of all retroactively.
    data = sample_dict()
    data["commission"].update(tiers=[{"floor": 0, "rate": 0.01}, {"floor": 2_000_000, "rate": 0.03}],
                              floor_basis="absolute")
    st_ = commission_statement(plan_from_dict(data), {"An Nguyen": 3_500_000, "Li Wei": 1.0})
    an = st_.iloc[0]
    assert list(st_.columns[7:10]) == ["band_1", "band_2", "commission"]
    assert (an["band"], an["band_1"], an["band_2"], an["commission"]) == (2, 20_000.0, 45_000.0, 65_000.0)
    assert an["commission_retroactive"] == 105_000.0
    # One unit of sales earns 0.01: an effective rate of 1%, not 0.
    li = st_.set_index("rep").loc["Li Wei"]
    assert (li["band"], li["commission"], li["effective_rate"]) == (1, 0.01, 0.01)
    assert st_["band"].dtype == np.int64 and st_["attainment"].dtype == np.float64


def _sample_with(**reps_changes) -> dict:
    data = sample_dict()
    for rep in data["reps"]:
        rep.update(reps_changes.get(rep["name"], {}))
    return data


def test_statement_of_a_rep_without_a_quota():
    # A rep with a share of 0 has no base quota: refused when the tiers refer to the quota ...
    data = _sample_with(**{"Li Wei": {"share": 0}})
    with pytest.raises(PlanError) as err:
        commission_statement(plan_from_dict(data), {"Li Wei": 100})
    assert str(err.value) == 'reps: "Li Wei" has no base quota, which its commission tiers need'
    data["commission"]["tiers"] = [{"floor": 0, "rate": 0.01}, {"floor": 1.0, "rate": 0.02}]
    with pytest.raises(PlanError) as err:
        commission_statement(plan_from_dict(data), {"Li Wei": 100})
    assert str(err.value) == 'reps: "Li Wei" has no base quota, which its commission tiers need'
    # ... paid under absolute floors, with no attainment (NaN) and no numpy warning.
    data["commission"].update(tiers=[{"floor": 0, "rate": 0.01}], floor_basis="absolute")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st_ = commission_statement(plan_from_dict(data), {"Li Wei": 100}).set_index("rep")
    assert st_.loc["Li Wei", "commission"] == 1.0
    assert np.isnan(st_.loc["Li Wei", "attainment"]) and st_["attainment"].dtype == np.float64


def test_statement_of_a_rep_with_a_quota_below_one_unit_of_currency():
    # A tiny share gives a base quota of a few cents (0.30): it is a quota, so attainment is
    # sales / quota.
    tiny = {"Jun Wang": {"share": 0.000001}, "Hoa Le": {"share": 10}, "Isabel Ortiz": {"share": 10}}
    data = _sample_with(**tiny)
    plan = plan_from_dict(data)
    base = annual_quotas(plan).set_index("rep").loc["Jun Wang", "base_quota"]
    assert base == 0.30
    st_ = commission_statement(plan, {"Jun Wang": 1.0}).set_index("rep")
    assert st_.loc["Jun Wang", "attainment"] == pytest.approx(1.0 / base)
    # With another rep of no quota after it, that rep is the one named.
    data = _sample_with(**tiny, **{"Li Wei": {"share": 0}})
    with pytest.raises(PlanError) as err:
        commission_statement(plan_from_dict(data), {})
    assert str(err.value) == 'reps: "Li Wei" has no base quota, which its commission tiers need'


def test_a_challenge_quota_equal_to_the_base_leaves_an_empty_band():
    # A quota of 2 cents with a 20% uplift rounds to a challenge of 2 cents: the 1.5% band is
    # empty, not an error (docs/engine.md, "Commission").
    assert commission(0.05, 0.02, 0.02) == pytest.approx(0.01 * 0.02 + 0.02 * 0.03, abs=1e-15)
    assert commission(0.05, 0.02, 0.02, mode="retroactive") == pytest.approx(0.02 * 0.05, abs=1e-15)
    assert commission(0.01, 0.02, 0.02) == pytest.approx(0.01 * 0.01, abs=1e-15)
    with pytest.raises(PlanError) as err:
        commission(0.05, 0.02, 0.01)
    assert str(err.value) == ("tiers[2].floor: tiers must be in ascending order of floor, got 'challenge' = 0.01 "
                              "not above 'base' = 0.02 (check challenge_quota)")
