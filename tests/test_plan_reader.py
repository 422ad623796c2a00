"""Reading the plan back from a workbook's input cells (aop_xl.workbook.plan_reader).

Round trips (plan -> built workbook -> read_plan -> the same plan) for the sample and for
generated plans that use every input the workbook holds, the blank template filled in with
gaps between member rows, and one clear message per problem, naming its cell.
"""

from __future__ import annotations

import random

import pytest
from openpyxl import Workbook

from aop_xl import load_plan
from aop_xl.errors import PlanError, WorkbookError
from aop_xl.plan import Plan, plan_from_dict
from aop_xl.workbook.book import OpenpyxlBook
from aop_xl.workbook.build import build_workbook
from aop_xl.workbook.layout import ASSUMPTIONS, BLANK_CAPACITY, KPI, META, PARAM_KEYS, Layout, capacity_for
from aop_xl.workbook.plan_reader import book_identity, read_plan, read_sales, read_sheet_plan
from aop_xl.workbook.sheets.assumptions import param_values

from plans import random_plan_dict
from tests_helpers import sample_dict

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "#N/A", "=1+1", "'quoted", "Zażółć 北京 Đà Nẵng"]


def rich_plan_dict(seed: int) -> dict:
    """A generated plan that uses every input the workbook holds."""
    d = random_plan_dict(seed, max_regions=12, max_products=15, max_reps=20)
    rng = random.Random(500 + seed)
    h = d["plan"]
    h.update(version=rng.choice(["2", "2b", "v3.1"]), status=rng.choice(["draft", "submitted", "approved"]),
             goals=rng.sample(HOSTILE, rng.randint(0, 3)), challenge_uplift=rng.choice([0.15, 0.25]))
    regions, products = d["regions"], d["products"]
    for r, name in zip(regions, HOSTILE):
        if rng.random() < 0.3:
            r["name"] = f"{name} {rng.randint(0, 99)}"
    for rep in d["reps"]:
        rep["region"] = rng.choice(regions)["name"]
    if seed % 3 == 0:  # total from prior-year revenue and growth; members by prior-year revenue
        del h["total_target"]
        h.update(prior_year_revenue=float(rng.randint(10**5, 10**8)), growth=rng.choice([0.05, -0.2, 0.137]))
        for member in rng.sample(regions, max(1, len(regions) // 2)):
            member.pop("weight")
            member["prior_year_revenue"] = float(rng.randint(0, 10**6))
            if rng.random() < 0.5:
                member["growth"] = rng.choice([0.1, -0.05])
        if not any(r.get("weight") or r.get("prior_year_revenue") for r in regions):
            regions[0]["weight"] = 1
    elif seed % 3 == 1 and len(regions) > 1:  # a fixed regional target
        regions[-1]["target"] = 0.0
    for p in products:
        if rng.random() < 0.3:
            del p["weight"]
            p["prior_year_revenue"] = float(rng.randint(1, 10**6))
    for r in regions:
        if rng.random() < 0.3:
            mix = {p["name"]: rng.choice([0, 1, 2.5]) for p in rng.sample(products, rng.randint(1, len(products)))}
            if any(mix.values()):
                r["product_mix"] = mix
    d["commission"] = {"mode": rng.choice(["marginal", "retroactive"]), "payout": rng.choice(["monthly", "annual"]),
                       "floor_basis": "quota", "min_attainment": rng.choice([0, 0.5]),
                       "tiers": [{"floor": 0, "rate": 0.02}, {"floor": 0.8, "rate": 0.03},
                                 {"floor": "base", "rate": 0.05}, {"floor": "challenge", "rate": 0.07}]}
    if rng.random() < 0.5:
        d["commission"]["cap"] = 50_000
    d["budget"] = [{"item": f"{HOSTILE[i % len(HOSTILE)]} item {i}", "category": "travel", "kind": "recurring",
                    "amount": 100.5 * (i + 1), "months": 3, "start_month": 2, "region": regions[0]["name"]}
                   for i in range(rng.randint(0, 4))]
    d["budget"].append({"item": "Fair", "category": "promotions", "kind": "one_time", "amount": 5000})
    d["kpis"] = [{"metric": f"kpi {i} 指标", "target": rng.choice([100, 0.2, 45]), "direction": rng.choice(["higher", "lower"]),
                  "unit": rng.choice(["number", "percent", "days"])} for i in range(rng.randint(0, 5))]
    for k in d["kpis"]:
        if rng.random() < 0.6:
            k["actual"] = rng.choice([70, 0.1, 45.5])
    d["status"] = {"red": 0.4, "amber": 0.15}
    d["growth_defaults"] = {"market": {"core": 0.01, "growth": 0.3, "new": 0.0},
                            "bcg": {"star": 0.2, "cash_cow": 0.0, "question_mark": 0.1, "dog": -0.3}}
    return d


@pytest.fixture(scope="module")
def blank_path(tmp_path_factory):
    return build_workbook(None, tmp_path_factory.mktemp("blank") / "blank.xlsx", blank=True)


def built(tmp_path, plan: Plan, name: str = "AOP.xlsx") -> OpenpyxlBook:
    return OpenpyxlBook(build_workbook(plan, tmp_path / name))


def fill_inputs(book, plan: Plan, layout: Layout, rows: dict[str, list[int]]) -> None:
    """Type a plan's inputs into a workbook's input cells, members at the given block rows."""
    params = param_values(plan)
    p = layout.params
    book.write(ASSUMPTIONS, p.cell("value", 0), [[params[k]] for k in PARAM_KEYS])
    q = layout.quarter_weights
    book.write(ASSUMPTIONS, q.cell("weight", 0), [[w] for w in plan.seasonality.quarters])
    blocks = {"regions": [r.model_dump(exclude={"product_mix"}) for r in plan.regions],
              "products": [x.model_dump() for x in plan.products], "reps": [x.model_dump() for x in plan.reps],
              "tiers": [t.model_dump() for t in plan.commission.tiers],
              "budget": [b.model_dump() for b in plan.budget], "kpis": [k.model_dump() for k in plan.kpis]}
    for block, members in blocks.items():
        table = getattr(layout, block)
        for member, i in zip(members, rows.get(block, range(len(members)))):
            first = min(table.columns, key=table.columns.get)
            book.write(ASSUMPTIONS, table.cell(first, i), [[member.get(c) for c in table.columns]])


# ---------------------------------------------------------------------------------- round trips


def test_sample_workbook_reads_back_as_the_sample_plan(tmp_path):
    assert read_plan(built(tmp_path, load_plan())) == load_plan()


@pytest.mark.parametrize("seed", range(10))
def test_generated_plans_read_back_unchanged(tmp_path, seed):
    plan = plan_from_dict(rich_plan_dict(seed))
    back = read_plan(built(tmp_path, plan))
    assert back.model_dump() == plan.model_dump()
    assert back == plan


def test_generated_plans_cover_every_input():
    plans = [plan_from_dict(rich_plan_dict(s)) for s in range(10)]
    assert any(r.product_mix for p in plans for r in p.regions)
    assert any(p.region_locks() for p in plans)
    assert any(p.plan.total_target is None for p in plans)
    assert any(p.seasonality.months for p in plans) and any(p.seasonality.quarters for p in plans)
    assert any(k.actual is not None for p in plans for k in p.kpis)
    assert any(p.commission.cap for p in plans) and any(p.plan.goals for p in plans)
    assert any(name.startswith("=") for p in plans for name in p.region_names)


def test_blank_template_filled_with_gaps_reads_the_plan(blank_path):
    plan = load_plan()
    book = OpenpyxlBook(blank_path)
    lay = Layout(BLANK_CAPACITY)
    rows = {"regions": [0, 2, 3, 7], "reps": [1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15], "budget": list(range(3, 14)),
            "kpis": [0, 1, 2, 4, 5, 9]}
    fill_inputs(book, plan, lay, rows)
    sp = read_sheet_plan(book)
    assert sp.plan == plan
    assert sp.identity.blank and sp.layout.capacity == BLANK_CAPACITY
    assert sp.rows["regions"] == (0, 2, 3, 7) and sp.rows["reps"] == tuple(rows["reps"])
    assert sp.rows["products"] == tuple(range(6))


def test_kpi_actuals_come_from_the_kpi_sheet(tmp_path):
    book = built(tmp_path, load_plan())
    lay = Layout(capacity_for(load_plan()))
    book.write(KPI, lay.kpi.cell("actual", 1), [[1_900_000]])
    plan = read_plan(book)
    assert [k.actual for k in plan.kpis] == [None, 1_900_000, None, None, None, None]


def test_month_weights_replace_the_quarters_and_blanks_count_as_zero(tmp_path):
    book = built(tmp_path, load_plan())
    lay = Layout(capacity_for(load_plan()))
    book.write(ASSUMPTIONS, lay.month_weights.cell("weight", 2), [[5], [None], [7]])
    assert read_plan(book).seasonality.months == [0, 0, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0]


def test_blank_settings_mean_what_the_formulas_make_of_them(tmp_path):
    book = built(tmp_path, load_plan())
    lay = Layout(capacity_for(load_plan()))
    for key in ("unit", "challenge_uplift", "red", "amber", "growth_core", "commission_mode", "cap"):
        book.write(ASSUMPTIONS, lay.params.cell("value", PARAM_KEYS.index(key)), [[None]])
    book.write(ASSUMPTIONS, lay.reps.cell("share", 1), [[None]])
    book.write(ASSUMPTIONS, lay.tiers.cell("floor", 2), [[1.5]])  # "challenge" would equal "base" now
    plan = read_plan(book)
    assert (plan.plan.unit, plan.plan.challenge_uplift, plan.status.red, plan.status.amber) == (1, 0, 0, 0)
    assert plan.growth_defaults.market["core"] == 0 and plan.growth_defaults.market["growth"] == 0.2
    assert plan.reps[1].share == 0 and plan.reps[0].share == 1.2
    assert plan.commission.mode == "marginal" and plan.commission.cap is None  # the plan format's defaults


# ---------------------------------------------------------------------------------- problems name cells


def problems_of(book) -> list[str]:
    with pytest.raises(PlanError) as info:
        read_plan(book)
    return info.value.problems


@pytest.fixture
def sample(tmp_path):
    book = built(tmp_path, load_plan())
    return book, Layout(capacity_for(load_plan()))


def test_a_bad_weight_names_its_cell(sample):
    book, lay = sample
    book.write(ASSUMPTIONS, lay.regions.cell("weight", 2), [[-5]])
    book.write(ASSUMPTIONS, lay.regions.cell("market", 1), [["Core"]])
    book.write(ASSUMPTIONS, lay.products.cell("gross_margin", 0), [[1.5]])
    assert problems_of(book) == [
        f"Assumptions!{lay.regions.cell('market', 1)}: region market must be 'core', 'growth' or 'new', got \"Core\"",
        f"Assumptions!{lay.regions.cell('weight', 2)}: region weight must be >= 0, got -5",
        f"Assumptions!{lay.products.cell('gross_margin', 0)}: product gross margin must be <= 1, got 1.5",
    ]
    # The documented layout: the regions block from column A, four rows under the settings.
    assert lay.regions.cell("weight", 2) == f"C{lay.params.last_row + 4 + 2}"


def test_cross_field_problems_name_cells_and_other_members_by_cell(sample):
    book, lay = sample
    book.write(ASSUMPTIONS, lay.reps.cell("region", 4), [["Wset"]])
    book.write(ASSUMPTIONS, lay.regions.cell("name", 3), [["east"]])
    problems = problems_of(book)
    assert f'Assumptions!{lay.regions.cell("name", 3)}: region name: "east" duplicates ' \
           f'Assumptions!{lay.regions.cell("name", 0)} "East" (names are compared ignoring case)' in problems
    assert f'Assumptions!{lay.reps.cell("region", 4)}: rep region: "Wset" is not a region ' \
           '(did you mean "West"?)' in problems


def test_text_in_a_number_cell_is_refused(sample):
    book, lay = sample
    book.write(ASSUMPTIONS, lay.regions.cell("weight", 0), [["40"]])
    book.write(KPI, lay.kpi.cell("actual", 2), [["n/a"]])
    assert problems_of(book) == [
        f'Assumptions!{lay.regions.cell("weight", 0)}: region weight: must be a number, got "40"',
        f'KPI!{lay.kpi.cell("actual", 2)}: KPI actual: must be a number, got "n/a"',
    ]


def test_settings_seasonality_and_member_rules_name_cells(sample):
    book, lay = sample
    param = {k: f"Assumptions!{lay.params.cell('value', PARAM_KEYS.index(k))}" for k in PARAM_KEYS}
    book.write(ASSUMPTIONS, lay.params.cell("value", PARAM_KEYS.index("amber")), [[0.5]])
    book.write(ASSUMPTIONS, lay.params.cell("value", PARAM_KEYS.index("allow_negative")), [["maybe"]])
    book.write(ASSUMPTIONS, lay.quarter_weights.cell("weight", 0), [[0], [0], [0], [None]])
    book.write(ASSUMPTIONS, lay.budget.cell("months", 4), [[5]])  # "Prospect lists" is one-time
    problems = problems_of(book)
    assert problems == [f'{param["allow_negative"]}: allow negative: must be yes or no, got "maybe"']
    book.write(ASSUMPTIONS, lay.params.cell("value", PARAM_KEYS.index("allow_negative")), [["no"]])
    problems = problems_of(book)
    assert f"Assumptions!{lay.quarter_weights.area('weight')}: quarter weights: weights are all zero" in problems
    assert f"{param['amber']}: amber: amber (0.5) must not exceed red (0.3)" in problems
    assert (f"Assumptions!{lay.budget.cell('months', 4)}: budget item months: only recurring items run for "
            "several months") in problems


def test_a_row_without_its_name_is_refused(sample):
    book, lay = sample
    book.write(ASSUMPTIONS, lay.products.cell("name", 2), [[None]])
    assert problems_of(book) == [(f"Assumptions!{lay.products.cell('name', 2)}: product name: required "
                                  "(the row has other values; clear the row to leave it out)")]


def test_positions_count_non_blank_rows(tmp_path):
    # With West's row cleared, regions[2] of the plan is the sheet's fourth region row.
    d = sample_dict()
    book = built(tmp_path, plan_from_dict(d))
    lay = Layout(capacity_for(load_plan()))
    book.write(ASSUMPTIONS, lay.regions.cell("name", 1), [[None] * 6])
    book.write(ASSUMPTIONS, lay.regions.cell("weight", 3), [[-1]])
    problems = problems_of(book)
    assert f"Assumptions!{lay.regions.cell('weight', 3)}: region weight must be >= 0, got -1" in problems


def test_the_empty_blank_template_says_what_is_missing(blank_path):
    book = OpenpyxlBook(blank_path)
    lay = Layout(BLANK_CAPACITY)
    assert problems_of(book) == [
        f"Assumptions!{lay.params.cell('value', 0)}: company: required",
        f"Assumptions!{lay.params.cell('value', 1)}: year: required",
        f"Assumptions!{lay.regions.area('name')}: regions: expected at least 1 items, got 0",
        f"Assumptions!{lay.products.area('name')}: products: expected at least 1 items, got 0",
    ]


def test_sales_are_read_from_the_commission_sheet(sample):
    book, lay = sample
    st = lay.statement
    book.write(st.sheet, st.cell("sales", 0), [[1_000_000], [None], ["lots"]])
    sp = read_sheet_plan(book)
    with pytest.raises(PlanError, match=rf"Commission!{st.cell('sales', 2)}: sales of Chloe Martin: must be a number"):
        read_sales(book, sp)
    book.write(st.sheet, st.cell("sales", 2), [[5.5]])
    assert read_sales(book, sp) == {"An Nguyen": 1_000_000.0, "Chloe Martin": 5.5}


# ---------------------------------------------------------------------------------- not our workbook


def test_a_foreign_workbook_is_refused(tmp_path):
    wb = Workbook()
    wb.active.title = ASSUMPTIONS
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(WorkbookError, match=r"other.xlsx: not a standard AOP workbook \(no AOP_Meta sheet\)"):
        read_plan(OpenpyxlBook(tmp_path / "other.xlsx"))


def test_another_template_or_version_is_refused(sample):
    book, lay = sample
    book.write(META, lay.meta.cell("value", 1), [["9.9"]])
    with pytest.raises(WorkbookError, match="made with template version 9.9"):
        read_plan(book)
    book.write(META, lay.meta.cell("value", 0), [["someone/else"]])
    with pytest.raises(WorkbookError, match="says template 'someone/else'"):
        book_identity(book)
