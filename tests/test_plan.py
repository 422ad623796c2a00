"""The plan file: loading, defaults and one clear message per problem."""

import copy
import json
import tomllib
from importlib import resources

import pytest

from aop_xl import PlanError, load_plan, plan_from_dict


def sample_dict():
    text = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def problems_of(data):
    with pytest.raises(PlanError) as err:
        plan_from_dict(data)
    return err.value.problems


def test_sample_plan_covers_the_domain():
    plan = load_plan()
    assert plan.plan.company == "Northwind Trading"
    assert {r.market for r in plan.regions} == {"core", "growth", "new"}
    assert {p.bcg for p in plan.products} == {"star", "cash_cow", "question_mark", "dog"}
    assert len(plan.regions) == 4 and len(plan.products) == 6 and len(plan.reps) == 12
    assert plan.seasonality.quarters == [30, 40, 30, 40]
    assert len(plan.plan.goals) == 3
    assert plan.total_target() == 24_000_000


def test_json_plans_are_accepted(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(sample_dict()), encoding="utf-8")
    assert load_plan(path) == load_plan()


def test_every_problem_is_reported_with_its_field_and_value():
    data = sample_dict()
    data["regions"][2]["weight"] = -5
    data["regions"][1]["market"] = "emerging"
    data["plan"]["colour"] = "blue"
    data["seasonality"] = {"quarters": [1, 2, 3]}
    problems = problems_of(data)
    assert "regions[2].weight: must be >= 0, got -5" in problems
    assert "regions[1].market: must be 'core', 'growth' or 'new', got \"emerging\"" in problems
    assert "plan.colour: unknown key" in problems
    assert "seasonality.quarters: expected at least 4 items, got 3" in problems


def test_unknown_region_suggests_the_closest_name():
    data = sample_dict()
    data["reps"][4]["region"] = "Wset"
    assert problems_of(data) == ['reps[4].region: "Wset" is not a region (did you mean "West"?)']


def test_duplicate_names_are_refused_even_when_they_differ_by_case():
    data = sample_dict()
    data["products"][3]["name"] = "widgets pro"
    [problem] = problems_of(data)
    assert problem.startswith('products[3].name: "widgets pro" duplicates products[0].name "Widgets Pro"')


def test_weights_all_zero():
    data = sample_dict()
    for r in data["regions"]:
        r["weight"] = 0
    assert problems_of(data) == ["regions: weights are all zero"]


def test_total_not_a_multiple_of_the_unit():
    data = sample_dict()
    data["plan"]["unit"] = 1000
    data["plan"]["total_target"] = 24_000_500
    assert problems_of(data) == ["plan.total_target: 24000500 is not a multiple of the unit 1000"]


def test_tiers_must_ascend():
    data = sample_dict()
    data["commission"]["tiers"] = [{"floor": 0, "rate": 0.01}, {"floor": "challenge", "rate": 0.02}, {"floor": "base", "rate": 0.015}]
    assert problems_of(data) == [
        'commission.tiers[2].floor: tiers must be in ascending order of floor, got "base" after "challenge"'
    ]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("plan", "company"), "North\x07wind", "plan.company: must not contain control characters"),
        (("plan", "company"), "x" * 32_768, "plan.company: must be at most 32767 characters, got 32768"),
        (("regions", 0, "weight"), float("nan"), "regions[0].weight"),
        (("products", 0, "gross_margin"), float("inf"), "products[0].gross_margin"),
    ],
)
def test_text_and_numbers_excel_cannot_hold_are_refused(path, value, message):
    data = sample_dict()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert any(p.startswith(message) for p in problems_of(data))


def test_growth_driven_total_and_weights():
    data = sample_dict()
    del data["plan"]["total_target"]
    for r, pyr in zip(data["regions"], [8_000_000, 5_000_000, 4_000_000, 0]):
        del r["weight"]
        r["prior_year_revenue"] = pyr
    data["regions"][3]["target"] = 1_500_000  # a new market gets an absolute target
    plan = plan_from_dict(data)
    # core +5%, growth +20%, new: its absolute target.
    assert plan.total_target() == pytest.approx(8_400_000 + 5_250_000 + 4_800_000 + 1_500_000)
    assert plan.region_weights()[:3] == pytest.approx([8_400_000, 5_250_000, 4_800_000])


def test_total_from_prior_year_revenue_and_growth():
    data = sample_dict()
    del data["plan"]["total_target"]
    data["plan"]["prior_year_revenue"] = 21_052_631.58
    data["plan"]["growth"] = 0.14
    assert plan_from_dict(data).total_target() == 24_000_000.0


def test_missing_total_names_what_is_needed():
    data = sample_dict()
    del data["plan"]["total_target"]
    [problem] = problems_of(data)
    assert problem.startswith("plan.total_target: required")


def test_bad_files_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[plan\ncompany = 1", encoding="utf-8")
    with pytest.raises(PlanError, match=r"bad\.toml: not valid TOML"):
        load_plan(bad)
    with pytest.raises(PlanError, match=r"missing\.toml: no such plan file"):
        load_plan(tmp_path / "missing.toml")
    data = copy.deepcopy(sample_dict())
    data["regions"][0]["weight"] = -1
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanError, match=r"plan\.json: regions\[0\]\.weight: must be >= 0, got -1"):
        load_plan(path)


# --- every problem at once, and no follow-on problems --------------------------------------------


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path


def _set(data, path, value):
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _location(path):
    return "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + p for i, p in enumerate(path))


SAMPLE_LEAVES = list(_leaves(sample_dict()))


@pytest.mark.parametrize("path", SAMPLE_LEAVES, ids=[_location(p) for p in SAMPLE_LEAVES])
def test_a_field_of_the_wrong_type_is_its_only_problem(path):
    # Every field of the sample plan given a value of no type it accepts: the one problem
    # reported is that field's, never a follow-on problem of a check that reads it.
    for value in ({"a": 1}, [[1]]):
        data = sample_dict()
        _set(data, path, value)
        problems = problems_of(data)
        assert problems and all(p.startswith(_location(path)) for p in problems), problems
        for internal in ("instance of", "input should", ".float", "literal[", "function-", "dict[", "list["):
            assert not any(internal in p.lower() for p in problems), problems


def test_field_and_cross_field_problems_are_reported_in_one_run():
    data = sample_dict()
    data["regions"][2]["weight"] = -5  # a field problem
    data["reps"][4]["region"] = "Wset"  # a cross-field problem of another member
    data["products"][3]["name"] = "widgets pro"  # a duplicate
    data["commission"]["tiers"][2]["floor"] = "base"  # tiers out of order
    data["kpis"][0]["target"] = "high"  # a field problem in another block
    assert problems_of(data) == [
        "regions[2].weight: must be >= 0, got -5",
        'kpis[0].target: must be a number, got "high"',
        'products[3].name: "widgets pro" duplicates products[0].name "Widgets Pro" (names are compared ignoring case)',
        'reps[4].region: "Wset" is not a region (did you mean "West"?)',
        'commission.tiers[2].floor: tiers must be in ascending order of floor, got "base" after "base"',
    ]


def test_a_bad_region_name_does_not_make_its_reps_unknown():
    data = sample_dict()
    data["regions"][0]["name"] = "East\n"
    assert problems_of(data) == ["regions[0].name: must not contain control characters: U+000A at character 5"]


def test_whole_plan_checks_wait_for_the_fields_they_read():
    data = sample_dict()
    for r in data["regions"]:
        r["weight"] = 0  # all zero: a whole-plan problem ...
    data["plan"]["unit"] = "1"  # ... not reported while the unit itself is bad
    assert problems_of(data) == ['plan.unit: must be a number, got "1"']
    data["plan"]["unit"] = 1
    assert problems_of(data) == ["regions: weights are all zero"]


def test_whole_floats_are_whole_numbers_but_text_and_booleans_are_not():
    data = sample_dict()
    data["plan"]["year"] = 2027.0
    data["budget"][1]["months"] = 6.0
    plan = plan_from_dict(data)
    assert plan.plan.year == 2027 and isinstance(plan.plan.year, int)
    data["plan"]["fiscal_year_start"] = True
    data["budget"][1]["months"] = 6.5
    assert problems_of(data) == [
        "plan.fiscal_year_start: must be a whole number, got true",
        "budget[1].months: must be a whole number, got 6.5",
    ]


def test_a_member_level_check_names_its_field():
    data = sample_dict()
    data["budget"][0].update(kind="one_time", months=5)
    assert problems_of(data) == ["budget[0].months: only recurring items run for several months"]


# --- limits ----------------------------------------------------------------------------------------


def test_limits_are_checked_before_anything_else():
    from aop_xl.limits import PLAN_MEMBERS

    data = sample_dict()
    data["kpis"] = [{"metric": "x", "target": "not even a number"}] * (PLAN_MEMBERS["kpis"] + 1)
    assert problems_of(data) == ["kpis: 201 KPIs, more than the 200 a plan may have"]
    data = sample_dict()
    data["regions"][0]["product_mix"] = {f"P{i}": 1 for i in range(1001)}
    assert problems_of(data) == ["regions[0].product_mix: 1,001 products, more than the 1,000 a plan may have"]


def test_reps_times_products_is_limited():
    data = sample_dict()
    data["products"] = [dict(data["products"][0], name=f"P{i}") for i in range(100)]
    data["reps"] = [{"name": f"Rep {i}", "region": "East"} for i in range(5001)]
    assert problems_of(data) == ["reps x products: 5,001 x 100 = 500,100, more than the 500,000 a plan may have"]


def test_a_plan_file_larger_than_the_limit_is_not_read(tmp_path, monkeypatch):
    from aop_xl import plan

    monkeypatch.setattr(plan, "PLAN_FILE_BYTES", 1000)
    path = tmp_path / "plan.toml"
    path.write_text(resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8"))
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.problems == [f"{path}: larger than 1,000 bytes, the largest plan file"]


# --- text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ch", "kind"),
    [
        ("\x00", "control characters"), ("\t", "control characters"), ("\n", "control characters"),
        ("\r", "control characters"), ("\x7f", "control characters"), ("\x85", "control characters"),
        ("\x9b", "control characters"), ("\u2028", "line or paragraph separators"),
        ("\u2029", "line or paragraph separators"), ("\u061c", "bidirectional controls"),
        ("\u200e", "bidirectional controls"), ("\u200f", "bidirectional controls"),
        ("\u202a", "bidirectional controls"), ("\u202e", "bidirectional controls"),
        ("\u2066", "bidirectional controls"), ("\u2069", "bidirectional controls"),
        ("\ufdd0", "noncharacters"), ("\ufdef", "noncharacters"), ("\ufffe", "noncharacters"),
        ("\uffff", "noncharacters"), ("\U0001fffe", "noncharacters"), ("\U0010ffff", "noncharacters"),
        ("\ud800", "lone surrogates (half of a character)"), ("\udfff", "lone surrogates (half of a character)"),
    ],
)
@pytest.mark.parametrize(("path", "field"), [(("regions", 1, "name"), "regions[1].name"),
                                             (("plan", "goals", 0), "plan.goals"),
                                             (("kpis", 0, "metric"), "kpis[0].metric")])
def test_characters_a_workbook_cannot_hold_are_refused_with_their_position(ch, kind, path, field):
    data = sample_dict()
    _set(data, path, "ab" + ch + "c")
    [problem] = problems_of(data)
    assert problem == f"{field}: must not contain {kind}: U+{ord(ch):04X} at character 3"


@pytest.mark.parametrize("text", ["Zażółć gęślą jaźń", "北京", "Nguyễn Văn Ánh", "=SUM(A1)", "a\u00a0b",
                                  "a\u200bb", "\ue000 private", "emoji \U0001f600", "Ｅａｓｔ"])
def test_letters_spaces_and_invisible_characters_are_text(text):
    data = sample_dict()
    data["plan"]["company"] = text
    assert plan_from_dict(data).plan.company == text


def test_messages_quote_text_on_one_line():
    from aop_xl.plan_checks import one_line, shown

    assert shown('a"b\\c\td\u200be\x85f\u2028') == '"a\\"b\\\\c\\td\\u200be\\u0085f\\u2028"'
    assert shown("x" * 100) == '"' + "x" * 60 + '..."'
    assert shown("\ud800") == '"\\ud800"'
    assert one_line("a: b\nc") == "a: b\\nc"
    assert one_line('quoted "as is"') == 'quoted "as is"'
