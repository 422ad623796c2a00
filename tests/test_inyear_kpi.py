"""KPIs from the deals, year to date: the catalogue, targets to date, variance review and
customer health, on deal tables small enough to work by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aop_xl import PlanError, load_plan
from aop_xl.engine.kpi import (HEALTH_ACTIONS, catalogue_metric, company_ytd_target, customer_health, deal_kpis,
                               deal_table, kpi_review, kpi_status, largest_movers, performance, rep_month_sales,
                               variance_review, ytd_share)

from test_inyear_commission import PLAN, plan as hand_plan


def deals(*rows) -> pd.DataFrame:
    """Deal lines from (fy, period, customer, amount, order[, type, rep, region, cycle, complaint, nps])."""
    out = []
    for r in rows:
        fy, period, customer, amount, order, *rest = r
        kind, rep, region, cycle, complaint, nps = (list(rest) + ["recurring", "A", "North", np.nan, np.nan,
                                                                  np.nan][len(rest):])
        out.append({"fy": fy, "period": period, "region": region, "product": "P", "rep": rep, "customer": customer,
                    "type": kind, "amount": amount, "order": order, "cycle_days": cycle, "complaint": complaint,
                    "nps": nps})
    return pd.DataFrame(out)


#: The prior year: X buys in months 1 and 8, Y in month 2 only, Z in month 11. This year to
#: the end of March: X twice (one return), W (new) once.
BOOK = deals(
    (-1, 1, "X", 1_000.0, 1), (-1, 8, "X", 500.0, 1), (-1, 2, "Y", 2_000.0, 1), (-1, 11, "Z", 700.0, 1),
    (0, 1, "X", 1_200.0, 1, "recurring", "A", "North", 30.0, 0.0, 40.0),
    (0, 3, "X", 800.0, 1, "recurring", "A", "North", 50.0, 1.0, np.nan),
    (0, 3, "X", -200.0, 0, "recurring", "A", "North"),
    (0, 2, "W", 1_000.0, 1, "new", "B", "South", np.nan, np.nan, -20.0),
    (0, 4, "W", 9_999.0, 1, "new", "B", "South"),  # after the as-of month
)


def test_the_catalogue_by_hand():
    k = deal_kpis(BOOK, 3)
    assert k["revenue"] == 1_200 + 800 - 200 + 1_000
    assert k["yoy_growth"] == pytest.approx(2_800 / (1_000 + 2_000) - 1)  # prior year's Jan..Mar: 3,000
    assert (k["new_business_revenue"], k["recurring_revenue"]) == (1_000, 1_800)
    # Prior-year customers X, Y, Z; in the 12 months to March (prior Apr..Dec, this Jan..Mar)
    # X and Z bought, Y did not: churn 1/3.
    assert k["customer_churn_rate"] == pytest.approx(1 / 3) and k["retention_rate"] == pytest.approx(2 / 3)
    assert k["average_order_value"] == pytest.approx(3_000 / 3)  # before returns, 3 orders
    assert k["repurchase_rate"] == pytest.approx(1 / 2)  # X twice, W once
    assert k["return_rate"] == pytest.approx(200 / 3_000)
    assert k["sales_cycle_length"] == pytest.approx(40)  # orders with a creation date: 30 and 50 days
    later = deal_kpis(BOOK, 4)
    assert later["revenue"] == 2_800 + 9_999 and later["customer_churn_rate"] == pytest.approx(1 / 3)


def test_without_a_prior_year_growth_and_churn_have_no_value():
    k = deal_kpis(BOOK[BOOK.fy == 0], 3)
    assert np.isnan(k["yoy_growth"]) and np.isnan(k["customer_churn_rate"])
    assert np.isnan(deal_kpis(BOOK[BOOK.period > 5], 3)["average_order_value"])


def test_plan_kpis_get_actuals_from_the_deals_and_targets_to_date():
    plan = load_plan()
    review = kpi_review(plan, BOOK, 3).set_index("metric")
    share = 90 / 420  # quarters 30/40/30/40: Q1 is 90 of 420 month weights
    assert ytd_share(plan, 3) == pytest.approx(share)
    # Revenue's target to date is the sum of the company's monthly targets (exact splits).
    assert review.loc["revenue", "ytd_target"] == company_ytd_target(plan, 3) == 5_142_857.14
    assert review.loc["new_business_revenue", "ytd_target"] == pytest.approx(2_400_000 * share)
    assert review.loc["average_order_value", "ytd_target"] == 12_500  # a rate keeps its target
    assert review.loc["revenue", ["actual", "source"]].tolist() == [2_800, "deals"]
    assert review.loc["revenue", "status"] == "red"
    assert review.loc["customer_churn_rate", "status"] == "red"  # 33% against 8%, lower is better
    # Not from deals: the plan's typed actual (none here), so no status.
    assert review.loc["lead_conversion_rate", ["source", "status"]].tolist() == ["plan", None]
    assert catalogue_metric("Churn_Rate") == "customer_churn_rate" and catalogue_metric("nps") is None


def test_variance_review_shares_and_movers():
    p = hand_plan()
    d = deals((0, 1, "X", 80_000.0, 1, "new", "A", "North"), (0, 1, "Y", 20_000.0, 1, "new", "C", "South"),
              (-1, 1, "X", 40_000.0, 1, "new", "A", "North"))
    review = variance_review(p, d, 1)
    region = review[review.dimension == "region"].set_index("member")
    # January's target is 100,000 a region: North 80,000 - 100,000 = -20,000, South -80,000;
    # of the total variance of -100,000 North has 20%, South 80%.
    assert region["variance"].tolist() == [-20_000, -80_000]
    assert region["share_of_variance"].tolist() == pytest.approx([0.2, 0.8])
    assert region.loc["North", "growth"] == pytest.approx(1.0) and np.isnan(region.loc["South", "growth"])
    assert region["status"].tolist() == ["amber", "red"]  # 80% and 20% of target
    reps = review[review.dimension == "rep"].set_index("member")
    assert reps["ytd_target"].tolist() == [50_000, 50_000, 50_000, 0]  # D starts in April
    assert reps.loc["A", "variance"] == 30_000
    movers = largest_movers(review, 3)
    # P -100,000 (the company's whole variance), South -80,000, South's team -30,000 (C's
    # January quota 50,000; D has not started).
    assert movers[["dimension", "member", "variance"]].values.tolist() == [
        ["product", "P", -100_000], ["region", "South", -80_000], ["team", "South", -30_000]]
    assert performance(p, d, 1, "product")["ytd_actual"].tolist() == [100_000]
    with pytest.raises(PlanError, match="by: must be one of"):
        performance(p, d, 1, "country")


def test_customer_health_from_the_deals():
    h = customer_health(BOOK, 3).set_index("customer")
    assert h.index.tolist() == ["W", "X", "Y", "Z"]
    # Orders to date: X 2, W 1 (mean 1.5); order value: X 1,000, W 1,000 (company 1,000).
    assert h.loc["X", "frequency"] == pytest.approx(2 / 1.5) and h.loc["W", "frequency"] == pytest.approx(1 / 1.5)
    # X: frequency 100, value 100, complaints 1 of 2 orders (50% over the 10% ceiling: 0),
    # NPS 40 -> 70: (100 + 100 + 0 + 70) / 4.
    assert h.loc["X", "score"] == pytest.approx(67.5) and h.loc["X", "tier"] == "watch"
    # W: no complaint flag, so that component is left out: (66.67 + 100 + 40) / 3.
    assert h.loc["W", "score"] == pytest.approx((100 / 1.5 + 100 + 40) / 3)
    assert h.loc["Y", ["orders", "score", "tier"]].tolist() == [0, 0, "at_risk"]
    assert h.loc["Y", "action"] == HEALTH_ACTIONS["at_risk"] and h.loc["Z", "py_revenue"] == 700


def test_a_deal_table_is_checked():
    with pytest.raises(PlanError, match="deals: missing column"):
        deal_table(BOOK.drop(columns=["order"]))
    with pytest.raises(PlanError, match="deals.period: must be fiscal months 1..12"):
        deal_table(BOOK.assign(period=13))
    with pytest.raises(PlanError, match="as_of: must be a fiscal month"):
        deal_kpis(BOOK, 0)


# --------------------------------------------------------------- performance, reviews and rep months by hand
#
# The hand-worked plan (test_inyear_commission): 200,000 a month for the company and for P,
# 100,000 a month a region, 50,000 a month a rep (D from April); B counts for North until June.
PERF_DEALS = deals(
    (0, 1, "X", 180_000.0, 1, "new", "A", "North"), (0, 4, "X", 30_000.0, 1, "recurring", "A", "North"),
    (0, 4, "V", 0.25, 1, "new", "B", "North"),
    (0, 5, "Y", 210_000.0, 1, "new", "C", "South"), (0, 5, "Y", -20_000.0, 0, "new", "C", "South"),
    (0, 4, "Z", 40_000.0, 1, "new", "D", "South"), (0, 6, "Z", 99_000.0, 1, "new", "D", "South"),
    (0, 2, "Q", 7_000.0, 1, "new", "Nobody", "East"),  # a rep and region not in the plan: no member's
    (-1, 2, "X", 50_000.0, 1, "new", "A", "North"), (-1, 5, "Y", 20_000.0, 1, "new", "C", "South"),
    (-1, 1, "V", 0.5, 1, "new", "B", "North"),
)
PERF_COLUMNS = ["dimension", "member", "month_actual", "month_target", "qtd_actual", "qtd_target", "ytd_actual",
                "ytd_target", "variance", "attainment", "lag", "status", "py_ytd_actual", "growth"]


def thresholds_plan(**changes):
    return hand_plan(status={"red": 0.5, "amber": 0.2}, **changes)


@pytest.mark.parametrize("by, rows", [
    # to May (Q2: April and May); red above a lag of 0.5, amber above 0.2.
    ("rep", [["A", 0, 50_000, 30_000, 100_000, 210_000, 250_000, -40_000, 0.84, 0.16, "green", 50_000, 3.2],
             ["B", 0, 50_000, 0.25, 100_000, 0.25, 250_000, -249_999.75, 0.000001, 0.999999, "red", 0.5, -0.5],
             ["C", 190_000, 50_000, 190_000, 100_000, 190_000, 250_000, -60_000, 0.76, 0.24, "amber", 20_000, 8.5],
             ["D", 0, 50_000, 40_000, 100_000, 40_000, 100_000, -60_000, 0.4, 0.6, "red", 0, np.nan]]),
    ("region", [["North", 0, 100_000, 30_000.25, 200_000, 210_000.25, 500_000, -289_999.75, 0.4200005, 0.5799995,
                 "red", 50_000.5, 210_000.25 / 50_000.5 - 1],
                ["South", 190_000, 100_000, 230_000, 200_000, 230_000, 500_000, -270_000, 0.46, 0.54, "red", 20_000,
                 10.5]]),
    # Teams to May: North is A and B (500,000), South is C and D (250,000 + 100,000).
    ("team", [["North", 0, 100_000, 30_000.25, 200_000, 210_000.25, 500_000, -289_999.75, 0.4200005, 0.5799995,
               "red", 50_000.5, 210_000.25 / 50_000.5 - 1],
              ["South", 190_000, 100_000, 230_000, 200_000, 230_000, 350_000, -120_000, 230 / 350,
               round(1 - 230 / 350, 12), "amber", 20_000, 10.5]]),
    # Products count every line of P, the unknown rep's 7,000 in February too.
    ("product", [["P", 190_000, 200_000, 260_000.25, 400_000, 447_000.25, 1_000_000, -552_999.75, 0.44700025,
                  0.55299975, "red", 70_000.5, 447_000.25 / 70_000.5 - 1]]),
])
def test_performance_by_hand(by, rows):
    # B's 0.25 and prior 0.5 prove amounts keep their cents; B: 0.25 against 0.5 a year
    # earlier is growth -0.5; D sold nothing a year earlier: no growth.
    p = thresholds_plan()
    got = performance(p, PERF_DEALS, 5, by)
    assert got.columns.tolist() == PERF_COLUMNS
    assert got["dimension"].tolist() == [by] * len(rows)
    assert got["member"].tolist() == [r[0] for r in rows]
    assert got["status"].tolist() == [r[10] for r in rows]
    numbers = got.drop(columns=["dimension", "member", "status"]).to_numpy(dtype=float)
    want = np.array([r[1:10] + r[11:] for r in rows], dtype=float)
    np.testing.assert_allclose(numbers, want, rtol=1e-12, atol=1e-9)


def test_the_quarter_to_date_starts_with_the_quarter_of_the_as_of_month():
    p = thresholds_plan()
    a = performance(p, PERF_DEALS, 4, "rep").set_index("member")
    # April alone is Q2 to date: A 30,000 of April, D 40,000; quota 50,000 each.
    assert a["qtd_actual"].tolist() == [30_000, 0.25, 0, 40_000]
    assert a["qtd_target"].tolist() == [50_000] * 4 and a["month_target"].tolist() == [50_000] * 4
    assert a["ytd_actual"].tolist() == [210_000, 0.25, 0, 40_000]
    june = performance(p, PERF_DEALS, 6, "rep").set_index("member")
    assert june["qtd_actual"].tolist() == [30_000, 0.25, 190_000, 139_000]  # April..June
    assert june["month_actual"].tolist() == [0, 0, 0, 99_000]
    q1 = performance(p, PERF_DEALS, 3, "rep").set_index("member")
    assert q1["qtd_actual"].tolist() == q1["ytd_actual"].tolist() == [180_000, 0, 0, 0]


def test_a_member_without_a_target_to_date_has_no_attainment():
    # D starts in April: to March its target is 0, so a sale credited to it in March has no
    # attainment (not an infinite one); its lag is that of a met target.
    p = thresholds_plan()
    d = deals((0, 3, "X", 5_000.0, 1, "new", "D", "South"))
    got = performance(p, d, 3, "rep").set_index("member")
    assert got.loc["D", "ytd_target"] == 0 and np.isnan(got.loc["D", "attainment"])
    assert got.loc["A", "attainment"] == 0 and got.loc["D", ["lag", "status"]].tolist() == [0, "green"]


def test_targets_in_cents_add_up_to_the_company_target_to_date():
    plan = load_plan()  # quarters 30/40/30/40: months in cents
    got = performance(plan, BOOK, 3, "product")
    assert got["ytd_target"].sum() == pytest.approx(company_ytd_target(plan, 3), abs=1e-6)
    assert got["qtd_target"].tolist() == got["ytd_target"].tolist()
    assert got["ytd_target"].sum() == pytest.approx(5_142_857.14, abs=1e-6)


def test_months_by_is_a_member_by_month_grid():
    from aop_xl.engine.kpi import months_by

    names, actual, target, prior = months_by(thresholds_plan(), PERF_DEALS, "team")
    assert names == ["North", "South"]
    assert actual.shape == target.shape == prior.shape == (2, 12)
    assert actual[1].tolist() == [0, 0, 0, 40_000, 190_000, 99_000] + [0] * 6  # "Nobody" is no team's


def test_variance_shares_when_the_variances_cancel():
    # January: North 150,000 and South 50,000 against 100,000 each: +50,000 and -50,000, a
    # total variance of 0, so no shares (not infinite ones).
    p = thresholds_plan()
    d = deals((0, 1, "X", 150_000.0, 1, "new", "A", "North"), (0, 1, "Y", 50_000.0, 1, "new", "C", "South"))
    review = variance_review(p, d, 1)
    assert review.index.tolist() == list(range(len(review)))
    assert review.columns.tolist() == PERF_COLUMNS + ["share_of_variance"]
    region = review[review.dimension == "region"]
    assert region["variance"].tolist() == [50_000, -50_000] and region["share_of_variance"].isna().all()
    team = review[review.dimension == "team"]  # North +50,000 of +50,000; South (C only) 0
    assert team["share_of_variance"].tolist() == [1.0, 0.0]


def test_largest_movers_keep_the_review_order_on_ties():
    n = 40
    review = pd.DataFrame({"dimension": ["region"] * n, "member": [f"m{i:02d}" for i in range(n)],
                           "variance": [(-1.0) ** i * 7 for i in range(n)]}, index=range(100, 100 + n))
    movers = largest_movers(review, n)
    assert movers["member"].tolist() == review["member"].tolist()
    assert movers.columns.tolist() == ["dimension", "member", "variance"]
    assert movers.index.tolist() == list(range(n))


def test_rep_month_sales_by_hand():
    got = rep_month_sales(hand_plan(), PERF_DEALS[PERF_DEALS.rep != "Nobody"])
    assert got.shape == (4, 12) and got.dtype == np.float64
    want = np.zeros((4, 12))
    want[0, 0], want[0, 3], want[1, 3] = 180_000, 30_000, 0.25
    want[2, 4], want[3, 3], want[3, 5] = 190_000, 40_000, 99_000
    assert got.tolist() == want.tolist()  # the prior year is left out


def test_rep_month_sales_names_the_first_unknown_rep():
    d = deals((-1, 1, "X", 1.0, 1, "new", "Old", "North"), (0, 1, "X", 1.0, 1, "new", "A", "North"),
              (0, 2, "X", 1.0, 1, "new", "Zed", "North"), (0, 3, "X", 1.0, 1, "new", "A", "North"))
    with pytest.raises(PlanError) as e:
        rep_month_sales(hand_plan(), d)
    assert str(e.value) == 'deals: "Zed" is not a rep of the plan'


@pytest.mark.parametrize("bad", [0, 13, True, 2.0, "3"])
def test_as_of_must_be_a_fiscal_month(bad):
    with pytest.raises(PlanError) as e:
        ytd_share(hand_plan(), bad)
    assert str(e.value) == f"as_of: must be a fiscal month 1..12, got {bad!r}"


KPIS = [{"metric": "attainment", "target": 1.0, "unit": "percent"},
        {"metric": "revenue", "target": 2_400_000, "unit": "currency"},
        {"metric": "recurring_revenue", "target": 2_400_000, "unit": "currency"},
        {"metric": "churn_rate", "target": 0.5, "direction": "lower", "unit": "percent"},
        {"metric": "lead_conversion_rate", "target": 0.2, "actual": 0.17, "unit": "percent"}]


def test_kpi_review_by_hand():
    # Quarters 30/40/30/40: to March 90/420 of the year. Revenue's target to date is the sum
    # of the company's months in cents (514,285.71); another flow's, even one whose target
    # equals the plan's total, is target x share.
    p = thresholds_plan(seasonality={"quarters": [30, 40, 30, 40]}, kpis=KPIS)
    d = deals((0, 1, "X", 300_000.0, 1, "new", "A", "North"), (0, 3, "X", 100_000.0, 1, "recurring", "A", "North"))
    r = kpi_review(p, d, 3)
    assert r.columns.tolist() == ["metric", "unit", "direction", "target", "ytd_target", "actual", "source",
                                  "variance", "lag", "status"]
    assert r["unit"].tolist() == ["percent", "currency", "currency", "percent", "percent"]
    assert r["target"].tolist() == [1.0, 2_400_000, 2_400_000, 0.5, 0.2]
    ytd = 2_400_000 * 90 / 420
    assert r["ytd_target"].tolist() == pytest.approx([1.0, 514_285.71, ytd, 0.5, 0.2], abs=1e-9, rel=0)
    assert r["ytd_target"][2] != 514_285.71
    # No prior year: churn has no actual, so no variance, lag or status.
    assert r["actual"].tolist() == pytest.approx([400_000 / 514_285.71, 400_000, 100_000, np.nan, 0.17], nan_ok=True)
    assert r["source"].tolist() == ["deals"] * 4 + ["plan"]
    assert r["variance"].dtype == np.float64
    assert r["variance"].tolist() == pytest.approx([400_000 / 514_285.71 - 1, 400_000 - 514_285.71, 100_000 - ytd,
                                                    np.nan, 0.17 - 0.2], nan_ok=True)
    assert r["lag"].tolist() == pytest.approx([1 - 400_000 / 514_285.71, 1 - 400_000 / 514_285.71, 1 - 100_000 / ytd,
                                               np.nan, 0.15], nan_ok=True)
    # red above 0.5, amber above 0.2: attainment 78% amber, recurring 19% of target red, the
    # plan's conversion 15% behind green.
    assert r["status"].tolist() == ["amber", "amber", "red", None, "green"]


def test_kpi_review_without_a_target_to_date_or_kpis():
    # No weight in January: the company's target to date is 0, so attainment has no value.
    months = [0] + [1] * 11
    p = thresholds_plan(seasonality={"months": months}, kpis=KPIS[:2])
    r = kpi_review(p, deals((0, 1, "X", 10.0, 1)), 1)
    assert r["ytd_target"].tolist() == [1.0, 0.0]
    assert np.isnan(r["actual"][0]) and r["actual"][1] == 10 and r["status"].tolist() == [None, "green"]
    empty = kpi_review(thresholds_plan(), BOOK, 3)
    assert empty.columns.tolist()[-3:] == ["variance", "lag", "status"] and len(empty) == 0


def test_kpi_status_columns_and_dtypes():
    # Revenue's annual target is the plan's total whatever the KPI says; a missing actual is <NA>.
    # Quarters 30/40/30/40, to March: revenue's target to date is the sum of the company's
    # months in cents (514,285.71), another flow's target x 90/420. Revenue 400,000 is 22.2%
    # behind, over the 20% amber line.
    kpis = [{"metric": "revenue", "target": 1.0, "actual": 400_000, "unit": "currency"},
            {"metric": "new_business_revenue", "target": 1_200_000, "unit": "currency"}]
    k = kpi_status(thresholds_plan(kpis=kpis, plan={**PLAN["plan"], "as_of": 3},
                                   seasonality={"quarters": [30, 40, 30, 40]}))
    assert k["target"].tolist() == [2_400_000, 1_200_000]
    assert k["ytd_target"][0] == 514_285.71 and k["ytd_target"][1] == pytest.approx(1_200_000 * 90 / 420)
    assert [str(k[c].dtype) for c in ("actual", "variance", "lag")] == ["Float64"] * 3
    assert k["variance"][0] == pytest.approx(-114_285.71) and k["variance"].isna()[1]
    assert k["status"].tolist() == ["amber", None]
    none = kpi_status(thresholds_plan())
    assert len(none) == 0 and [str(none[c].dtype) for c in ("actual", "variance", "lag")] == ["Float64"] * 3
