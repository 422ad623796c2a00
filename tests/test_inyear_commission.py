"""Commission during the year: in-year quotas (start, end, moves), true-ups and clawbacks,
draws, payout periods; each rule proven on hand-worked numbers and against the exact reference."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import reference as ref
from aop_xl import PlanError, plan_from_dict
from aop_xl.engine.commission import inyear_statements, payout_ends, period_label, rep_year
from aop_xl.engine.kpi import performance

#: A plan whose numbers are worked by hand: 2,400,000 split evenly: each region 1,200,000,
#: each rep 600,000 (50,000 a month), challenge 720,000 (60,000 a month). B moves from North
#: to South in July; D joins South in April with a draw of 1,500 a month.
PLAN = {
    "plan": {"company": "Hand-worked", "year": 2027, "unit": 0.01, "total_target": 2_400_000},
    "seasonality": {"quarters": [1, 1, 1, 1]},
    "regions": [{"name": "North", "market": "core", "weight": 1}, {"name": "South", "market": "growth", "weight": 1}],
    "products": [{"name": "P", "bcg": "star", "weight": 1, "gross_margin": 0.5}],
    "reps": [{"name": "A", "region": "North"},
             {"name": "B", "region": "North", "moves": [{"month": "2027-07", "region": "South"}]},
             {"name": "C", "region": "South"},
             {"name": "D", "region": "South", "start": "2027-04", "draw": 1_500}],
}
K = 1_000


def plan(**changes):
    data = {**PLAN, **changes}
    return plan_from_dict(data)


def sales(**by_rep) -> np.ndarray:
    grid = np.zeros((4, 12))
    for i, name in enumerate("ABCD"):
        grid[i] = by_rep.get(name, [0] * 12)
    return grid


#: D's months: 100k in each of April to July, 50k in August and September, 500k in October,
#: a return of 40k in December.
D_SALES = [0, 0, 0, 100 * K, 100 * K, 100 * K, 100 * K, 50 * K, 50 * K, 500 * K, 0, -40 * K]


def test_in_year_quotas_cover_the_months_of_each_rep():
    y = rep_year(plan())
    assert y.covered[3].tolist() == [False] * 3 + [True] * 9
    # D's quota is the plan's monthly quota of April to December: 9 x 50,000, challenge 9 x 60,000.
    assert (y.base / 100).tolist() == [600 * K, 600 * K, 600 * K, 450 * K]
    assert (y.challenge / 100).tolist() == [720 * K, 720 * K, 720 * K, 540 * K]
    # B keeps its quota and counts for South from July.
    assert y.region[1].tolist() == [0] * 6 + [1] * 6
    assert (y.draw_months[3] / 100).tolist() == [0] * 3 + [1_500] * 9


def test_a_rep_starting_mid_year_is_prorated_by_the_seasonality_of_its_months():
    # Quarters 30/40/30/40: a rep covering Q2 to Q4 has 110/140 of its year, not 9/12 of it.
    p = plan(seasonality={"quarters": [30, 40, 30, 40]})
    y = rep_year(p)
    whole_year = rep_year(plan(seasonality={"quarters": [30, 40, 30, 40]},
                               reps=[{**r, "start": None} if r["name"] == "D" else r for r in PLAN["reps"]]))
    assert whole_year.base[3] == 600 * K * 100
    assert y.base[3] == whole_year.base[3] - whole_year.base_months[3, :3].sum() == y.base_months[3, 3:].sum()
    assert y.base[3] == 47_142_858  # 471,428.58: within a cent of 600,000 x 110 / 140


def test_true_ups_with_a_clawback_and_a_draw_worked_by_hand():
    # A sells 700k in Q1 (7,500 earned: 6,000 + 1.5% of 100k), then returns 200k in Q2:
    # year to date 500k earns 5,000, so Q2 pays -2,500 (a clawback).
    a = [700 * K, 0, 0, -200 * K] + [0] * 8
    st = inyear_statements(plan(), sales(A=a, D=D_SALES), as_of=12)
    rows = st.set_index(["rep", "period"])
    assert rows.loc[("A", "Q1"), ["ytd_commission", "payment"]].tolist() == [7_500, 7_500]
    assert rows.loc[("A", "Q2"), ["ytd_sales", "ytd_commission", "paid_before", "payment"]].tolist() == \
        [500 * K, 5_000, 7_500, -2_500]
    # D: 300k by June earns 3,000 but the draw guarantees 3 x 1,500 = 4,500 (1,500 advanced);
    # 500k by September earns 4,500 + 750 = 5,250, guaranteed 9,000; 960k by December earns
    # 4,500 + 1,350 + 2% of 420k = 14,250 over the 13,500 guaranteed: of the true-up of 9,000
    # the 3,750 advanced is recovered, and Q4 pays 5,250.
    d = rows.xs("D", level="rep")
    assert d["ytd_sales"].tolist() == [0, 300 * K, 500 * K, 960 * K]
    assert d["ytd_commission"].tolist() == [0, 3_000, 5_250, 14_250]
    assert d[["band_1", "band_2", "band_3"]].loc["Q4"].tolist() == [4_500, 1_350, 8_400]
    assert d["guarantee"].tolist() == [0, 4_500, 9_000, 13_500]
    assert d["payment"].tolist() == [0, 4_500, 4_500, 5_250]
    assert d["draw_balance"].tolist() == [0, 1_500, 3_750, 0]
    assert d["payment"].sum() == max(d["ytd_commission"].iloc[-1], d["guarantee"].iloc[-1]) == 14_250
    assert d["ytd_base_quota"].tolist() == [0, 150 * K, 300 * K, 450 * K]
    assert d["band"].tolist() == [1, 1, 2, 3]


def test_a_move_keeps_the_quota_and_changes_the_team():
    b = [60 * K] * 6 + [80 * K] * 6
    st = inyear_statements(plan(), sales(B=b), as_of=12)
    last = st[st.rep == "B"].iloc[-1]
    assert (last["region"], last["base_quota"], last["ytd_sales"]) == ("South", 600 * K, 840 * K)
    assert last["ytd_commission"] == 6_000 + 1_800 + 2_400  # 1% of 600k, 1.5% of 120k, 2% of 120k
    assert st[st.rep == "B"]["region"].tolist() == ["North", "North", "South", "South"]
    deals = pd.DataFrame({"fy": 0, "period": np.arange(1, 13), "region": ["North"] * 6 + ["South"] * 6,
                          "product": "P", "rep": "B", "customer": "X", "type": "new", "amount": b, "order": 1,
                          "cycle_days": np.nan, "complaint": np.nan, "nps": np.nan})
    team = performance(plan(), deals, 12, "team").set_index("member")
    # North's reps: A all year and B until June; South's: C, D from April, B from July.
    assert team["ytd_target"].tolist() == [600 * K + 300 * K, 600 * K + 450 * K + 300 * K]
    assert team["ytd_actual"].tolist() == [360 * K, 480 * K]
    assert team.loc["North", "month_target"] == 50 * K  # December: A only
    region = performance(plan(), deals, 12, "region").set_index("member")
    assert region["ytd_target"].tolist() == [1_200 * K, 1_200 * K]  # regions keep the plan's targets


def test_payout_periods_and_an_open_period():
    assert payout_ends("quarterly", 5) == [3, 5] and payout_ends("monthly", 2) == [1, 2]
    assert payout_ends("annual", 7) == [7] and payout_ends("annual", 12) == [12]
    assert [period_label("quarterly", e) for e in (3, 5)] == ["Q1", "Q2"]
    st = inyear_statements(plan(), sales(A=[100 * K] * 12), as_of=5)
    a = st[st.rep == "A"]
    assert a["closed"].tolist() == [True, False]
    assert a["payment"].tolist() == [3_000, 2_000]  # Q2 to date: accrued, paid at the quarter's end
    monthly = inyear_statements(plan(commission={"payout": "monthly"}), sales(A=[100 * K] * 12), as_of=12)
    # 1% up to 600k in June; July 1.5% of 100k; August 1.5% of 20k + 2% of 80k; then 2%.
    assert monthly[monthly.rep == "A"]["payment"].tolist() == [1_000] * 6 + [1_500, 1_900] + [2_000] * 4


def test_cap_and_minimum_attainment_apply_to_the_year_to_date():
    p = plan(commission={"cap": 5_000, "min_attainment": 0.5})
    st = inyear_statements(p, sales(A=[90 * K] * 12), as_of=12)
    a = st[st.rep == "A"].set_index("period")
    # 270k by March is below half the annual base (300k): nothing is earned; by June 540k earns
    # 5,400, capped at 5,000, all due at once.
    assert a["min_attainment_met"].tolist() == [False, True, True, True]
    assert a["ytd_commission"].tolist() == [0, 5_000, 5_000, 5_000]
    assert a["capped"].tolist() == [False, True, True, True]
    assert a["payment"].tolist() == [0, 5_000, 0, 0]


def test_retroactive_mode_true_ups():
    st = inyear_statements(plan(commission={"mode": "retroactive"}), sales(A=[100 * K] * 12), as_of=12)
    a = st[st.rep == "A"]
    # YTD 300k: 1% = 3,000; 600k reaches the base: 1.5% of 600k = 9,000; 900k: 2% = 18,000.
    assert a["ytd_commission"].tolist() == [3_000, 9_000, 18_000, 24_000]
    assert a["payment"].tolist() == [3_000, 6_000, 9_000, 6_000]
    assert (a["commission_marginal"].tolist()[-1], a["commission_retroactive"].tolist()[-1]) == (17_400, 24_000)


@pytest.mark.parametrize("seed", range(6))
def test_payments_add_up_to_the_commission_on_the_years_sales(seed):
    rng = np.random.default_rng(seed)
    grid = np.round(rng.normal(60 * K, 40 * K, size=(4, 12)), 2)
    grid[3, :3] = 0  # D is not there yet
    for payout in ("monthly", "quarterly", "annual"):
        for mode in ("marginal", "retroactive"):
            p = plan(commission={"payout": payout, "mode": mode, "cap": 12_000 if seed % 2 else None})
            st = inyear_statements(p, grid, as_of=12)
            y = rep_year(p)
            for i, rep in enumerate("ABCD"):
                mine = st[st.rep == rep]
                kw = dict(mode=mode, cap=p.commission.cap)
                exact = ref.commission(Fraction(str(round(grid[i].sum(), 2))), y.base[i] / 100, y.challenge[i] / 100,
                                       **kw)
                year = float(ref.round_half_away(exact * 100)) / 100
                guarantee = y.draw_months[i].sum() / 100
                assert mine["payment"].sum() == pytest.approx(max(year, guarantee), abs=1e-6), (rep, payout, mode)
                # Each period's year-to-date commission is the reference's on the sales to date.
                for _, row in mine.iterrows():
                    to_date = Fraction(str(round(grid[i, : row["end"]].sum(), 2)))
                    due = ref.commission(to_date, y.base[i] / 100, y.challenge[i] / 100, **kw)
                    assert row["ytd_commission"] == pytest.approx(float(ref.round_half_away(due * 100)) / 100,
                                                                  abs=1e-9)


def test_bad_sales_and_as_of_are_refused():
    with pytest.raises(PlanError, match=r"sales: expected one row per rep \(4\) and 12 fiscal months"):
        inyear_statements(plan(), np.zeros((3, 12)))
    with pytest.raises(PlanError, match="as_of: must be a fiscal month 1..12, got 13"):
        inyear_statements(plan(), np.zeros((4, 12)), as_of=13)
    with pytest.raises(PlanError, match="sales: must be finite numbers"):
        inyear_statements(plan(), np.full((4, 12), np.nan))
    frame = pd.DataFrame(np.ones((1, 12)), index=["C"])
    st = inyear_statements(plan(), frame, as_of=3)
    assert st.set_index("rep").loc["C", "ytd_sales"] == 3 and st.set_index("rep").loc["A", "ytd_sales"] == 0


def test_a_late_deal_for_a_paid_period_is_paid_with_the_next():
    # Q1 was paid 1,500 (150k of sales). A deal of 50k dated February arrives in April: Q1's
    # due becomes 2,000, but Q1 stays paid at 1,500, so Q2 pays the 500 with its own true-up.
    a = [50 * K, 50 * K, 50 * K, 100 * K] + [0] * 8
    late = a.copy()
    late[1] += 50 * K
    before = inyear_statements(plan(), sales(A=a), as_of=3)
    assert before[before.rep == "A"]["payment"].tolist() == [1_500]
    paid = {"A": {3: 1_500}}
    st = inyear_statements(plan(), sales(A=late), as_of=6, paid=paid)
    a_rows = st[st.rep == "A"].set_index("period")
    assert a_rows.loc["Q1", ["paid_to_date", "payment", "recorded"]].tolist() == [2_000, 1_500, True]
    assert a_rows.loc["Q2", ["paid_to_date", "paid_before", "payment", "recorded"]].tolist() == [3_000, 1_500, 1_500,
                                                                                                False]
    # Without the record, the late deal's 500 would be booked in Q1 and never paid.
    unrecorded = inyear_statements(plan(), sales(A=late), as_of=6).set_index(["rep", "period"])
    assert unrecorded.loc[("A", "Q2"), "payment"] == 1_000
    with pytest.raises(PlanError, match='paid: "Z" is not a rep of the plan'):
        inyear_statements(plan(), sales(A=late), as_of=6, paid={"Z": {3: 1}})
    # A record for a period not closed by the as-of month is not a payment yet.
    open_period = inyear_statements(plan(), sales(A=late), as_of=5, paid={"A": {3: 1_500, 6: 99}})
    assert open_period[open_period.rep == "A"]["recorded"].tolist() == [True, False]


COLUMNS = ["rep", "region", "period", "end", "closed", "months_covered", "sales", "ytd_sales", "ytd_base_quota",
           "base_quota", "challenge_quota", "attainment", "ytd_attainment", "band", "band_1", "band_2", "band_3",
           "commission_marginal", "commission_retroactive", "ytd_commission", "min_attainment_met", "capped",
           "guarantee", "paid_to_date", "paid_before", "payment", "recorded", "draw_balance"]


def with_reps(**changes) -> list[dict]:
    return [{**r, **changes.get(r["name"], {})} for r in PLAN["reps"]]


def test_every_column_of_the_statements_worked_by_hand():
    # A: 700k in January, a return of 200k in April; C: a return of 10k in January; D from April.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # D has no quota to date in Q1: NaN, without a numpy warning
        st = inyear_statements(plan(), sales(A=[700 * K, 0, 0, -200 * K] + [0] * 8, C=[-10 * K] + [0] * 11, D=D_SALES))
    assert list(st.columns) == COLUMNS
    a, c, d = (st[st.rep == r] for r in "ACD")
    assert a["sales"].tolist() == [700 * K, -200 * K, 0, 0]  # the period's own sales
    assert d["sales"].tolist() == [0, 300 * K, 200 * K, 460 * K]
    assert a["months_covered"].tolist() == [3, 6, 9, 12] and d["months_covered"].tolist() == [0, 3, 6, 9]
    assert a["challenge_quota"].tolist() == [720 * K] * 4 and d["challenge_quota"].tolist() == [540 * K] * 4
    # attainment: YTD sales / annual base; ytd_attainment: YTD sales / the base of the months to date.
    np.testing.assert_allclose(a["attainment"], [7 / 6, 5 / 6, 5 / 6, 5 / 6], rtol=1e-15)
    np.testing.assert_allclose(a["ytd_attainment"], [700 / 150, 500 / 300, 500 / 450, 500 / 600], rtol=1e-15)
    np.testing.assert_allclose(d["attainment"], [0, 300 / 450, 500 / 450, 960 / 450], rtol=1e-15)
    np.testing.assert_allclose(d["ytd_attainment"], [np.nan, 2, 500 / 300, 960 / 450], rtol=1e-15)
    # Without a minimum attainment every period meets it, even with returns only.
    assert c["min_attainment_met"].tolist() == [True] * 4 and c["ytd_commission"].tolist() == [0] * 4
    assert {k: str(st[k].dtype) for k in ("band", "attainment", "ytd_attainment", "min_attainment_met", "capped",
                                          "recorded", "payment")} == {
        "band": "int64", "attainment": "float64", "ytd_attainment": "float64", "min_attainment_met": "bool",
        "capped": "bool", "recorded": "bool", "payment": "float64"}


def test_a_plan_without_reps_has_empty_statements_with_every_column():
    st = inyear_statements(plan(reps=[]), np.zeros((0, 12)), as_of=4)
    assert st.shape == (0, len(COLUMNS)) and list(st.columns) == COLUMNS
    assert [str(st[k].dtype) for k in ("band", "min_attainment_met", "capped", "recorded")] == \
        ["int64", "bool", "bool", "bool"]


def test_monthly_and_annual_periods_are_named_and_a_move_shows_from_its_month():
    st = inyear_statements(plan(commission={"payout": "monthly"}), sales(), as_of=12)
    b = st[st.rep == "B"]
    assert b["period"].tolist() == [f"M{m:02d}" for m in range(1, 13)]
    assert b["region"].tolist() == ["North"] * 6 + ["South"] * 6  # B moves in July
    fy = inyear_statements(plan(commission={"payout": "annual"}), sales(), as_of=7)
    assert fy[["period", "end", "closed"]].drop_duplicates().values.tolist() == [["FY", 7, False]]


def test_payout_periods_bounds_and_names():
    assert payout_ends("quarterly") == [3, 6, 9, 12]
    assert payout_ends("monthly", 1) == [1] and payout_ends("annual", 1) == [1]
    assert [period_label("quarterly", e) for e in (1, 3, 4, 12)] == ["Q1", "Q1", "Q2", "Q4"]
    assert (period_label("monthly", 4), period_label("annual", 7)) == ("M04", "FY")
    for args, message in (
        (("weekly",), "payout: must be one of ('monthly', 'quarterly', 'annual'), got 'weekly'"),
        (("monthly", True), "as_of: must be a fiscal month 1..12, got True"),
        (("monthly", 5.0), "as_of: must be a fiscal month 1..12, got 5.0"),
        (("monthly", 0), "as_of: must be a fiscal month 1..12, got 0"),
    ):
        with pytest.raises(PlanError) as err:
            payout_ends(*args)
        assert str(err.value) == message


@pytest.mark.parametrize(
    "commission, monthly, ytd, capped",
    [
        # A cap reached exactly is not "capped": 300k earns 3,000.
        ({"cap": 3_000}, 100 * K, [3_000] * 4, [False, True, True, True]),
        # Retroactive: 600k earns 1.5% of all of it, 9,000, over a cap of 8,000 (marginal 6,000 is not).
        ({"mode": "retroactive", "cap": 8_000}, 100 * K, [3_000] + [8_000] * 3, [False, True, True, True]),
        # Below the minimum attainment nothing is earned, so nothing is capped: 270k would earn 2,700.
        ({"cap": 1_000, "min_attainment": 0.5}, 90 * K, [0] + [1_000] * 3, [False, True, True, True]),
        # The plan's own tiers: 5% of 300k is 15,000, over 10,000 (the default tiers give 3,000).
        ({"cap": 10_000, "tiers": [{"floor": 0, "rate": 0.05}]}, 100 * K, [10_000] * 4, [True] * 4),
        # Absolute floors: 1% to 500k, then 5%: 600k earns 10,000, exactly the cap; 900k 25,000.
        ({"cap": 10_000, "tiers": [{"floor": 0, "rate": 0.01}, {"floor": 500_000, "rate": 0.05}],
          "floor_basis": "absolute"}, 100 * K, [3_000] + [10_000] * 3, [False, False, True, True]),
    ],
)
def test_capped_is_the_uncapped_commission_of_the_plans_schedule_above_the_cap(commission, monthly, ytd, capped):
    st = inyear_statements(plan(commission=commission), sales(A=[monthly] * 12), as_of=12)
    a = st[st.rep == "A"]
    assert (a["ytd_commission"].tolist(), a["capped"].tolist()) == (ytd, capped)


def test_the_plans_own_tiers_give_the_bands():
    one = inyear_statements(plan(commission={"tiers": [{"floor": 0, "rate": 0.05}]}), sales(A=[100 * K] * 12))
    assert [k for k in one.columns if k.startswith("band")] == ["band", "band_1"]
    assert one[one.rep == "A"]["band_1"].tolist() == [15_000, 30_000, 45_000, 60_000]
    absolute = {"tiers": [{"floor": 0, "rate": 0.01}, {"floor": 500_000, "rate": 0.05}], "floor_basis": "absolute"}
    st = inyear_statements(plan(commission=absolute), sales(A=[100 * K] * 12))
    a = st[st.rep == "A"]
    assert a["band"].tolist() == [1, 2, 2, 2]
    assert (a["band_1"].tolist(), a["band_2"].tolist()) == ([3_000, 5_000, 5_000, 5_000], [0, 5_000, 20_000, 35_000])


def test_reps_without_an_in_year_quota():
    tiers_on_quota = {"tiers": [{"floor": 0, "rate": 0.01}, {"floor": 1.0, "rate": 0.02}]}
    for commission in ({}, tiers_on_quota):
        with pytest.raises(PlanError) as err:
            inyear_statements(plan(reps=with_reps(A={"share": 0}), commission=commission), sales())
        assert str(err.value) == 'reps: "A" has no in-year base quota, which its commission tiers need'
    # A quota of 0.12 (a share of 0.000001 against 10) is a quota; the rep after it without one is named.
    tiny = {"A": {"share": 0.000001}, "B": {"share": 10}}
    with pytest.raises(PlanError) as err:
        inyear_statements(plan(reps=with_reps(**tiny, C={"share": 0})), sales())
    assert str(err.value) == 'reps: "C" has no in-year base quota, which its commission tiers need'
    st = inyear_statements(plan(reps=with_reps(**tiny)), sales(A=[1] * 12))
    a = st[st.rep == "A"]
    assert a["base_quota"].tolist() == [0.12] * 4 and a["ytd_base_quota"].tolist() == [0.03, 0.06, 0.09, 0.12]
    np.testing.assert_allclose(a["attainment"], [25, 50, 75, 100], rtol=1e-12)
    np.testing.assert_allclose(a["ytd_attainment"], [100] * 4, rtol=1e-12)
    # Under absolute floors a rep without a quota is paid, with no attainment and no numpy warning.
    absolute = {"tiers": [{"floor": 0, "rate": 0.01}], "floor_basis": "absolute"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st = inyear_statements(plan(reps=with_reps(A={"share": 0}), commission=absolute), sales(A=[100 * K] * 12))
    a = st[st.rep == "A"]
    assert a["ytd_commission"].tolist() == [3_000, 6_000, 9_000, 12_000]
    assert a["attainment"].isna().all() and a["ytd_attainment"].isna().all()


@pytest.mark.parametrize(
    "paid, payments, recorded",
    [
        # Entries for months that are not period ends are passed over, not the end of the records.
        ({"A": {9: 1, 3: 1_500}}, [1_500, 4_500], [True, False]),
        # A record without an amount is no record.
        ({"A": {3: None}}, [3_000, 3_000], [False, False]),
        # A recorded amount is rounded to the unit, halves away from zero.
        ({"A": {3: 1_500.005}}, [1_500.01, 4_499.99], [True, False]),
    ],
)
def test_recorded_payments(paid, payments, recorded):
    st = inyear_statements(plan(), sales(A=[100 * K] * 12), as_of=6, paid=paid)
    a = st[st.rep == "A"]
    assert (a["payment"].tolist(), a["recorded"].tolist()) == (payments, recorded)


def test_a_payment_recorded_for_the_open_period_is_not_a_payment_yet():
    st = inyear_statements(plan(), sales(A=[100 * K] * 12), as_of=5, paid={"A": {5: 99}})
    a = st[st.rep == "A"]
    assert (a["payment"].tolist(), a["recorded"].tolist()) == ([3_000, 2_000], [False, False])


@pytest.mark.parametrize(
    "paid, message",
    [
        ([1], "paid: expected a mapping rep name -> {period end month: amount}, got list"),
        ({"A": {3: "x"}}, "paid[\"A\"][3]: must be a number, got 'x'"),
        ({"A": {3: 1e13}}, 'paid["A"][3]: more than 250,000,000,000,000 units (2,500,000,000,000.00 at a unit of '
                           "0.01), the largest amount kept exact"),
    ],
)
def test_bad_recorded_payments_are_refused_with_one_exact_line(paid, message):
    with pytest.raises(PlanError) as err:
        inyear_statements(plan(), sales(A=[100 * K] * 12), as_of=6, paid=paid)
    assert str(err.value) == message


def test_a_rep_starting_before_the_year_and_ending_in_it():
    y = rep_year(plan(reps=with_reps(A={"start": "2026-10", "end": "2027-09"})))
    assert y.covered[0].tolist() == [True] * 9 + [False] * 3
    assert (y.base_months[0] / 100).tolist() == [50 * K] * 9 + [0] * 3
    assert [str(a.dtype) for a in (y.covered, y.region, y.base_months, y.challenge_months, y.draw_months)] == \
        ["bool", "int64", "int64", "int64", "int64"]
