"""Sample CRM data: deterministic, consistent month by month, and realistic enough to show
every rule of the year (seasonality, reps ahead and behind, returns, splits, churn)."""

from __future__ import annotations

import numpy as np
import pytest

from aop_xl import PlanError, load_plan, plan_from_dict
from aop_xl.cycle.actuals import engine_deals, load_actuals
from aop_xl.cycle.sample_actuals import FORMER_REP, HEADERS, sample_actuals, write_sample
from aop_xl.engine.commission import rep_year
from aop_xl.engine.kpi import deal_kpis, rep_month_sales

from tests_helpers import sample_dict

PLAN = load_plan()


def test_the_same_plan_gives_the_same_rows_and_a_month_does_not_depend_on_later_ones():
    three, twelve = sample_actuals(PLAN, 3), sample_actuals(PLAN, 12)
    assert list(three.columns) == list(HEADERS)
    assert three.equals(sample_actuals(PLAN, 3))
    first_quarter = twelve[(twelve["Close Date"] < "2027-04-01")].reset_index(drop=True)
    assert three.equals(first_quarter)
    assert sample_actuals(PLAN, 0, prior_year=False).empty
    assert write_sample(three, "a.csv") == write_sample(three, "b.csv")
    with pytest.raises(PlanError, match="months: must be 0 to 12 months of the plan year, got 13"):
        sample_actuals(PLAN, 13)


def test_the_data_shows_what_the_year_needs(tmp_path):
    rows = sample_actuals(PLAN, 12)
    path = tmp_path / "crm.xlsx"
    path.write_bytes(write_sample(rows, path))
    loaded = load_actuals([path], PLAN)
    assert not loaded.report.failed and loaded.report.loaded.rows == len(rows)
    deals = engine_deals(loaded.lines, 2)
    sales = rep_month_sales(PLAN, deals)
    quota = rep_year(PLAN).base / 100
    attainment = sales.sum(axis=1) / quota
    assert attainment.max() > 1.3 and attainment.min() < 0.7  # one far ahead, one far behind
    assert np.median(attainment) == pytest.approx(1.0, abs=0.15)
    # Quarters 30/40/30/40: the second quarter sells about 4/3 of the first.
    quarters = sales.sum(axis=0).reshape(4, 3).sum(axis=1)
    assert quarters[1] / quarters[0] == pytest.approx(4 / 3, rel=0.15)
    k = deal_kpis(deals, 12)
    assert 0 < k["return_rate"] < 0.05 and 0.02 < k["customer_churn_rate"] < 0.25
    assert k["new_business_revenue"] > 0 and k["yoy_growth"] > 0
    assert (rows["Split %"] != "").sum() > 0 and (rows["Returned"] == "yes").sum() > 0
    assert FORMER_REP in set(rows["Sales Rep"]) and FORMER_REP not in PLAN.rep_names


def test_reps_sell_only_in_the_months_and_regions_they_are_in():
    data = sample_dict()
    data["reps"][0].update(start="2027-04", end="2027-10", moves=[{"month": "2027-07", "region": "West"}])
    plan = plan_from_dict(data)
    rows = sample_actuals(plan, 12)
    mine = rows[(rows["Sales Rep"] == "An Nguyen") & (rows["Close Date"] >= "2027-01-01")]
    months = mine["Close Date"].str[:7]
    assert months.min() >= "2027-04" and months.max() <= "2027-10"
    sales = mine["Returned"] != "yes"  # a return keeps the region of its sale
    assert set(mine.loc[sales & (months >= "2027-07"), "Region"]) == {"West"}
    assert set(mine.loc[months < "2027-07", "Region"]) == {"East"}
