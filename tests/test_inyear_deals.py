"""Deal tables, the catalogue KPIs and customer health from the deals: exact numbers worked by
hand (docs/engine.md, "KPIs from the deals" and "Customer health from the deals"), the exact
one-line refusals and the columns and types callers read."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from aop_xl import PlanError
from aop_xl.engine.kpi import DEAL_COLUMNS, customer_health, deal_kpis, deal_table

HEALTH_COLUMNS = ["customer", "py_revenue", "ytd_revenue", "orders", "order_value", "frequency", "order_value_ratio",
                  "complaint_rate", "nps", "score", "tier", "action"]


def deals(*rows) -> pd.DataFrame:
    """Deal lines from (fy, period, customer, amount, order[, cycle, complaint, nps])."""
    out = []
    for fy, period, customer, amount, order, *rest in rows:
        cycle, complaint, nps = (list(rest) + [np.nan] * 3)[:3]
        out.append({"fy": fy, "period": period, "region": "North", "product": "P", "rep": "A", "customer": customer,
                    "type": "new", "amount": amount, "order": order, "cycle_days": cycle, "complaint": complaint,
                    "nps": nps})
    return pd.DataFrame(out, columns=list(DEAL_COLUMNS))


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


#: To the end of March: X orders twice (1,200.25 and 800.50, a return of 200.25, complaints on
#: 1 of 2 flagged orders, NPS 40), W once (1,000.50, NPS -20) plus a follow-up invoice of 99.75
#: that is no order; Y bought only in the prior year (2,000.25).
BOOK = deals(
    (-1, 1, "X", 1_000.25, 1), (-1, 2, "Y", 2_000.25, 1),
    (0, 1, "X", 1_200.25, 1, 30.0, 0.0, 40.0), (0, 3, "X", 800.50, 1, np.nan, 1.0),
    (0, 3, "X", -200.25, 0, 70.0), (0, 2, "W", 1_000.50, 1, 20.0, np.nan, -20.0), (0, 2, "W", 99.75, 0),
    (0, 5, "W", 5_000.0, 1),  # after the as-of month
)


def test_customer_health_columns_and_values_by_hand():
    h = no_warnings(customer_health, BOOK, 3)
    assert h.columns.tolist() == HEALTH_COLUMNS
    assert h["customer"].tolist() == ["W", "X", "Y"]
    assert h["py_revenue"].tolist() == [0.0, 1_000.25, 2_000.25]
    assert h["ytd_revenue"].tolist() == [1_100.25, 1_800.5, 0.0]
    assert h["orders"].tolist() == [1, 2, 0] and h["orders"].dtype == np.int64
    # Sales before returns per order: W 1,100.25, X 2,000.75 / 2; the company's 3,101 / 3.
    assert h["order_value"].tolist() == [1_100.25, 1_000.375, 0.0]
    assert h["frequency"].tolist() == pytest.approx([1 / 1.5, 2 / 1.5, 0.0])
    aov = 3_101.0 / 3
    assert h["order_value_ratio"].tolist() == pytest.approx([1_100.25 / aov, 1_000.375 / aov, 0.0])
    rate = h["complaint_rate"].tolist()
    assert np.isnan(rate[0]) and rate[1] == 0.5 and np.isnan(rate[2])
    nps = h["nps"].tolist()
    assert nps[:2] == [-20.0, 40.0] and np.isnan(nps[2])
    # W: (66.67 + 100 + 40) / 3; X: (100 + 96.8 + 0 + 70) / 4; Y: 0 on frequency and value.
    assert h["score"].tolist() == pytest.approx([(100 / 1.5 + 100 + 40) / 3, (100 + 100_037.5 / aov + 70) / 4, 0.0])
    assert h["tier"].tolist() == ["watch", "watch", "at_risk"]


def test_customer_health_weights_and_fractional_weights():
    # Only NPS counts: Y has none, so its weights are all left out and it scores 0.
    h = no_warnings(customer_health, BOOK, 3, weights={"nps": 1})
    assert h["score"].tolist() == [40.0, 70.0, 0.0]
    equal = customer_health(BOOK, 3)["score"].tolist()
    assert customer_health(BOOK, 3, weights=[0.1, 0.1, 0.1, 0.1])["score"].tolist() == pytest.approx(equal)


def test_customer_health_without_orders_this_year():
    h = no_warnings(customer_health, BOOK[BOOK.fy == -1], 3)
    assert h["customer"].tolist() == ["X", "Y"]
    assert h[["frequency", "order_value_ratio", "score"]].values.tolist() == [[0.0, 0.0, 0.0]] * 2
    one = no_warnings(customer_health, deals((0, 1, "A", 10.0, 1)), 1)
    assert one[["frequency", "order_value_ratio", "score"]].values.tolist() == [[1.0, 1.0, 100.0]]
    # B was invoiced without an order: no order value, and no division warning.
    invoiced = no_warnings(customer_health, deals((0, 1, "A", 10.0, 1), (0, 2, "B", 5.0, 0)), 2)
    assert invoiced["order_value"].tolist() == [10.0, 0.0]
    assert invoiced["score"].tolist() == pytest.approx([(100 + 100 * 10 / 15) / 2, 0.0])


def test_customer_health_of_no_deals_is_empty():
    h = customer_health(deals(), 3)
    assert h.columns.tolist() == HEALTH_COLUMNS and len(h) == 0


def test_deal_kpis_by_hand():
    k = no_warnings(deal_kpis, BOOK, 3)
    assert k["revenue"] == 2_900.75 and k["new_business_revenue"] == 2_900.75
    assert k["yoy_growth"] == pytest.approx(2_900.75 / 3_000.5 - 1)
    assert k["average_order_value"] == pytest.approx(3_101.0 / 3)
    assert k["return_rate"] == pytest.approx(200.25 / 3_101.0)
    assert k["sales_cycle_length"] == 25.0  # orders with a creation date: 30 and 20 (not the return's 70)


def test_deal_kpis_amounts_below_one():
    # Half a unit sold and a quarter returned: still a sale and a return.
    k = deal_kpis(deals((0, 1, "A", 0.5, 1), (0, 1, "A", -0.25, 0), (-1, 1, "A", 0.5, 1)), 1)
    assert (k["revenue"], k["average_order_value"], k["return_rate"]) == (0.25, 0.5, 0.5)
    assert k["yoy_growth"] == -0.5 and k["customer_churn_rate"] == 0.0


@pytest.mark.parametrize("rows, churn", [
    # A bought in the prior year's April: within the 12 months to March, so not churned.
    ([(-1, 4, "A", 100.0, 1)], 0.0),
    # B's prior-year purchases were all returned: not a customer of the prior year.
    ([(-1, 1, "A", 100.0, 1), (0, 1, "A", 10.0, 1), (-1, 1, "B", 50.0, 1), (-1, 2, "B", -50.0, 0)], 0.0),
    # B's net purchase of half a unit makes it a customer who churned.
    ([(-1, 1, "A", 100.0, 1), (0, 1, "A", 10.0, 1), (-1, 1, "B", 0.5, 1)], 0.5),
    # A bought and returned everything in the 12 months: no net purchase, churned.
    ([(-1, 1, "A", 100.0, 1), (0, 1, "A", 10.0, 1), (0, 2, "A", -10.0, 0)], 1.0),
    # A's net purchase this year is half a unit: active.
    ([(-1, 1, "A", 100.0, 1), (0, 1, "A", 0.5, 1)], 0.0),
])
def test_churn_boundaries(rows, churn):
    assert deal_kpis(deals(*rows), 3)["customer_churn_rate"] == churn


def test_growth_needs_positive_prior_year_revenue():
    returns_only = deals((0, 1, "A", 100.0, 1), (-1, 1, "A", -50.0, 0))
    assert np.isnan(deal_kpis(returns_only, 1)["yoy_growth"])
    assert deal_kpis(deals((0, 1, "A", 1.0, 1), (-1, 1, "A", 0.5, 1)), 1)["yoy_growth"] == 1.0


def test_deal_table_types():
    d = deal_table(deals((0, 1, "A", 100, 1)))
    assert d[["fy", "period", "order"]].dtypes.tolist() == [np.int64] * 3
    assert d[["amount", "cycle_days", "complaint", "nps"]].dtypes.tolist() == [np.float64] * 4


@pytest.mark.parametrize("table, message", [
    ([1, 2], "deals: expected a DataFrame of deal lines, got list"),
    (BOOK.drop(columns=["order", "nps"]), "deals: missing column(s) order, nps"),
    (BOOK.assign(amount=np.nan), "deals.amount: must be finite numbers"),
    (BOOK.assign(period=0), "deals.period: must be fiscal months 1..12"),
])
def test_deal_table_refusals(table, message):
    with pytest.raises(PlanError) as e:
        deal_table(table)
    assert str(e.value) == message


@pytest.mark.parametrize("column, value, message", [
    ("amount", "abc", "deals.amount: must be numbers, got 'abc'"),
    ("nps", "n/a", "deals.nps: must be numbers, got 'n/a'"),
    ("fy", None, "deals.fy: must be whole numbers, got None"),
    ("period", 1.5, "deals.period: must be whole numbers, got 1.5"),
    ("order", "one", "deals.order: must be whole numbers, got 'one'"),
])
def test_deal_table_names_a_value_that_is_not_a_number(column, value, message):
    table = BOOK.astype({column: object})
    table.loc[2, column] = value
    with pytest.raises(PlanError) as e:
        deal_table(table)
    assert str(e.value) == message
