"""KPIs from the deals, year to date: the catalogue, targets to date, variance review and
customer health, on deal tables small enough to work by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aop_xl import PlanError, load_plan
from aop_xl.engine.kpi import (HEALTH_ACTIONS, catalogue_metric, company_ytd_target, customer_health, deal_kpis,
                               deal_table, kpi_review, largest_movers, performance, variance_review, ytd_share)

from test_inyear_commission import plan as hand_plan


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
