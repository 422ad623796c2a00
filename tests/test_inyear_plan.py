"""In-year rep changes in the plan: start, end, moves and draws, and their problems."""

from __future__ import annotations

import datetime
from importlib import resources

import pytest

from aop_xl import PlanError, load_plan, plan_from_dict
from aop_xl.plan import Header

from tests_helpers import sample_dict


def problems_of(data) -> list[str]:
    with pytest.raises(PlanError) as err:
        plan_from_dict(data)
    return err.value.problems


def test_dates_are_months_from_toml_dates_or_text(tmp_path):
    data = sample_dict()
    data["reps"][0].update(start=datetime.date(2027, 4, 15), end="2027-11-30", draw=2_500,
                           moves=[{"month": "2027-07", "region": "West"}])
    rep = plan_from_dict(data).reps[0]
    assert (rep.start, rep.end, rep.draw) == ("2027-04", "2027-11", 2_500)
    assert [(m.month, m.region) for m in rep.moves] == [("2027-07", "West")]
    path = tmp_path / "plan.toml"
    text = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('name = "Bao Tran"\nregion = "East"\nshare = 1\n',
                                 'name = "Bao Tran"\nregion = "East"\nshare = 1\nstart = 2027-03-01\n'
                                 'moves = [{ month = 2027-09-01, region = "South" }]\n'), encoding="utf-8")
    assert load_plan(path).reps[1].start == "2027-03"
    assert load_plan(path).reps[1].moves[0].month == "2027-09"
    assert load_plan().reps[1].start is None and load_plan().reps[1].moves == []


def test_a_bad_month_is_one_line_naming_the_field():
    data = sample_dict()
    data["reps"][3]["start"] = "2027-13"
    data["reps"][4]["end"] = 2027
    data["reps"][5]["start"] = "April"
    data["reps"][6]["end"] = "2027-02-30"
    data["reps"][7]["moves"] = [{"month": "2027-05"}]
    data["reps"][8]["draw"] = -1
    assert problems_of(data) == [
        'reps[3].start: must be a month such as "2027-04" (or a date such as 2027-04-01), got "2027-13" '
        "(no such month)",
        'reps[4].end: must be a month such as "2027-04" (or a date such as 2027-04-01), got 2027',
        'reps[5].start: must be a month such as "2027-04" (or a date such as 2027-04-01), got "April"',
        'reps[6].end: must be a month such as "2027-04" (or a date such as 2027-04-01), got "2027-02-30" '
        "(no such date)",
        "reps[7].moves[0].region: required",
        "reps[8].draw: must be >= 0, got -1",
    ]


def test_changes_are_checked_against_the_fiscal_year_and_the_regions():
    data = sample_dict()
    data["plan"]["fiscal_year_start"] = 4
    reps = data["reps"]
    reps[0].update(start="2027-06", end="2027-05")
    reps[1]["moves"] = [{"month": "2027-07", "region": "Wset"}, {"month": "2027-05", "region": "West"}]
    reps[2]["moves"] = [{"month": "2028-07", "region": "West"}]
    reps[5]["draw"] = 100.005
    reps[6]["start"] = "2028-04"
    reps[7]["end"] = "2027-03"
    reps[8]["moves"] = [{"month": "2027-04", "region": "East"}]
    reps[9].update(end="2027-09", moves=[{"month": "2027-10", "region": "East"}])
    reps[10]["moves"] = [{"month": "2027-08", "region": "Central"}]
    year = "the fiscal year 2027 (2027-04 to 2028-03)"
    assert problems_of(data) == [
        'reps[0].end: "2027-05" is before start "2027-06"',
        'reps[1].moves[0].region: "Wset" is not a region (did you mean "West"?)',
        'reps[1].moves[1].month: "2027-05" is not after moves[0].month "2027-07"',
        f'reps[2].moves[0].month: "2028-07" is outside {year}',
        "reps[5].draw: 100.005 is not a multiple of the unit 0.01",
        f'reps[6].start: "2028-04" is after {year}',
        f'reps[7].end: "2027-03" is before {year}',
        'reps[8].moves[0].month: "2027-04" is not after the first month the rep covers (2027-04); give the region '
        "as reps[8].region instead",
        'reps[9].moves[0].month: "2027-10" is after the last month the rep covers (2027-09)',
        'reps[10].moves[0].region: "Central" is the region the rep is in before the move',
    ]


def test_a_start_before_the_year_covers_it_from_the_first_month():
    data = sample_dict()
    data["reps"][0].update(start="2019-03", end="2031-01")
    assert plan_from_dict(data).reps[0].start == "2019-03"


def test_fiscal_periods_of_calendar_months():
    h = Header(company="X", year=2027, fiscal_year_start=10)
    assert [h.period_of(2027, 10), h.period_of(2027, 12), h.period_of(2028, 1), h.period_of(2028, 9)] == [1, 3, 4, 12]
    assert h.period_of(2027, 9) == 0 and h.period_of(2026, 10) == -11 and h.period_of(2028, 10) == 13
    assert [h.period_month(p) for p in (1, 3, 4, 12, 0, -11)] == ["2027-10", "2027-12", "2028-01", "2028-09",
                                                                 "2027-09", "2026-10"]
    assert all(h.month_period(h.period_month(p)) == p for p in range(-30, 30))
