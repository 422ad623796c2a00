"""Bad plan files through the real ``aop-xl build``: exit code 2, one ``error:`` line naming the
field, and no workbook written.

Each case is one a careless or hostile user produced: names with controls or look-alikes,
text where numbers belong, duplicate keys, nesting, sizes beyond the limits, numbers near
the largest float.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from importlib import resources
from pathlib import Path

import pytest
from aop_cli import aop_xl, files_in, one_error
from tests_helpers import sample_dict

SAMPLE_TOML = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")


def renamed(data: dict, old: str, new: str) -> None:
    """Rename a region everywhere: its own name, its reps and budget lines."""
    for block, key in (("regions", "name"), ("reps", "region"), ("budget", "region")):
        for member in data.get(block, []):
            if member.get(key) == old:
                member[key] = new


def build_refuses(tmp_path: Path, name: str, text: str | bytes, *expected: str, named: bool = True) -> str:
    """Write the plan file, run ``aop-xl build`` on it and check the one error line, which
    starts with the file's name unless the problem is found after the plan is loaded."""
    plan = tmp_path / name
    plan.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    result = aop_xl("build", name, "-o", "out.xlsx", cwd=tmp_path)
    line = one_error(result, *expected)
    assert not named or line.startswith(f"error: {name}: "), line
    assert files_in(tmp_path) == [name], "no workbook and no temporary file is written"
    return line


def as_json(change) -> str:
    data = copy.deepcopy(sample_dict())
    change(data)
    return json.dumps(data)


# --- names -------------------------------------------------------------------------------------

# The characters found in the wild; tests/test_plan.py checks every kind in-process.
REFUSED_CHARACTERS = {
    "U+FFFE": "\ufffe",
    "U+FFFF": "\uffff",
    "U+0009": "\t",
    "U+000A": "\n",
    "U+000D": "\r",
    "U+0085": "\x85",
    "U+009B": "\x9b",
    "U+2028": "\u2028",
    "U+202E": "\u202e",
}


@pytest.mark.parametrize("code", REFUSED_CHARACTERS)
def test_names_with_controls_noncharacters_and_bidi_controls_are_refused(tmp_path, code):
    ch = REFUSED_CHARACTERS[code]
    # The reps of the region still name "West": not reported while the region's name is wrong.
    line = build_refuses(tmp_path, "plan.json", as_json(lambda d: d["regions"][1].__setitem__("name", f"We{ch}st")),
                         "regions[1].name: must not contain", f"{code} at character 3")
    assert ch not in line


def test_a_name_with_a_line_break_in_a_product_mix_key_stays_one_line(tmp_path):
    def change(d):
        d["regions"][0]["product_mix"] = {"Widgets Pro": 1, "Widgets\x85Pro": 1}

    line = build_refuses(tmp_path, "plan.json", as_json(change),
                         'regions[0].product_mix: "Widgets\\u0085Pro" is not a product')
    assert "\x85" not in line


@pytest.mark.parametrize(
    "look_alike",
    [
        pytest.param(("Kraków", unicodedata.normalize("NFD", "Kraków")), id="nfc-nfd"),
        pytest.param(("East", "East\u200b"), id="zero-width-space"),
        pytest.param(("East", "Ｅａｓｔ"), id="fullwidth"),
        pytest.param(("East", "EAST\u00ad"), id="case-and-soft-hyphen"),
    ],
)
def test_look_alike_names_are_duplicates(tmp_path, look_alike):
    first, second = look_alike

    def change(d):
        renamed(d, "East", first)
        renamed(d, "West", second)

    build_refuses(tmp_path, "plan.json", as_json(change), "regions[1].name:", "duplicates regions[0].name")


# --- typed data ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("plan", "year"), "2027", "plan.year: must be a whole number, got \"2027\""),
        (("regions", 0, "weight"), "40", "regions[0].weight: must be a number, got \"40\""),
        (("regions", 0, "weight"), True, "regions[0].weight: must be a number, got true"),
        (("plan", "allow_negative"), "yes", "plan.allow_negative: must be true or false, got \"yes\""),
        (("plan", "allow_negative"), 1, "plan.allow_negative: must be true or false, got 1"),
        (("plan", "unit"), "0.01", "plan.unit: must be a number, got \"0.01\""),
        (("plan", "company"), 2027, "plan.company: must be text, got 2027"),
        (("regions", 0), 5, "regions[0]: must be a table, got 5"),
        (("plan",), 5, "plan: must be a table, got 5"),
        (("commission", "tiers", 1, "floor"), True, "commission.tiers[1].floor: must be a number, 'base' or"),
    ],
)
def test_a_plan_file_is_typed(tmp_path, path, value, expected):
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    line = build_refuses(tmp_path, "plan.json", as_json(change), expected)
    for internal in ("instance of", "Input should", ".float", "literal[", "function-"):
        assert internal not in line


def test_duplicate_json_keys_are_refused(tmp_path):
    text = json.dumps(sample_dict()).replace('"weight": 40', '"weight": 40, "weight": 50', 1)
    assert text.count('"weight": 40, "weight": 50') == 1
    build_refuses(tmp_path, "plan.json", text, "regions[0].weight: key given twice")


def test_duplicate_toml_keys_name_the_key(tmp_path):
    text = SAMPLE_TOML.replace("\nweight = 40\n", "\nweight = 40\nweight = 50\n", 1)
    assert text != SAMPLE_TOML
    line_no = text.splitlines().index("weight = 50") + 1
    build_refuses(tmp_path, "plan.toml", text, f"line {line_no}: key \"weight\" given twice")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    (tmp_path / "plan.toml").write_bytes(b"\xef\xbb\xbf" + SAMPLE_TOML.encode("utf-8"))
    result = aop_xl("plan", "check", "plan.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Total target: USD 24,000,000.00" in result.stdout


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("plan.json", '{"plan": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("plan.toml", "a = " + "[" * 5_000 + "]" * 5_000 + "\n"),
        ("plan.toml", "a = " + "{b = " * 500 + "1" + "}" * 500 + "\n"),
        ("plan.json", '{"plan": ' + "[" * 40 + "]" * 40 + "}"),
    ],
    ids=["json-100000", "toml-arrays", "toml-tables", "json-40"],
)
def test_deeply_nested_files_are_refused(tmp_path, name, text):
    build_refuses(tmp_path, name, text, "nested more than 16 levels deep")


def test_a_lone_surrogate_in_json_is_refused(tmp_path):
    text = as_json(lambda d: d["plan"].__setitem__("company", "North\ud800wind"))
    assert "\\ud800" in text
    build_refuses(tmp_path, "plan.json", text, "plan.company: must not contain lone surrogates",
                  "U+D800 at character 6")


def test_a_number_of_5000_digits_is_refused(tmp_path):
    text = as_json(lambda d: d["plan"].__setitem__("total_target", 7))
    text = text.replace('"total_target": 7', '"total_target": 1' + "0" * 5000)
    build_refuses(tmp_path, "plan.json", text, "a number has more than 4,300 digits")


def test_a_folder_is_not_a_plan_file(tmp_path):
    (tmp_path / "plans").mkdir()
    result = aop_xl("build", "plans", "-o", "out.xlsx", cwd=tmp_path)
    one_error(result, "plans: is a folder, not a plan file")
    assert files_in(tmp_path) == ["plans"]


# --- numbers near the largest float ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: [r.__setitem__("weight", 1e308) for r in d["regions"]], "regions: the weights add up to more than"),
        (lambda d: d["plan"].__setitem__("total_target", 1e308), "plan.total_target: 1e+308 is too large"),
        (lambda d: (d["plan"].pop("total_target"), d["plan"].__setitem__("prior_year_revenue", 1e308)),
         "plan.prior_year_revenue"),
        (lambda d: d["budget"][0].__setitem__("amount", 1e308), "budget[0].amount"),
        (lambda d: d["plan"].__setitem__("total_target", 1e20), "plan.total_target"),
        (lambda d: d["plan"].__setitem__("total_target", float("inf")), "plan.total_target: must be a finite number"),
    ],
    ids=["weights-1e308", "total-1e308", "prior-year-1e308", "amount-1e308", "total-1e20", "total-inf"],
)
def test_huge_numbers_give_one_clear_line(tmp_path, change, expected):
    # 1e20 passes the plan's own checks today: the engine refuses it (the size bound).
    build_refuses(tmp_path, "plan.json", as_json(change), expected, named=expected != "plan.total_target")


# --- limits --------------------------------------------------------------------------------------


def _reps(n: int) -> str:
    return "".join(f'[[reps]]\nname = "Rep {i}"\nregion = "East"\n\n' for i in range(n))


def test_a_plan_beyond_the_plan_limits_is_refused_before_it_is_read(tmp_path):
    # 100,000 reps: refused from the count, not after growing to gigabytes.
    build_refuses(tmp_path, "plan.toml", SAMPLE_TOML + _reps(100_000),
                  "reps: 100,012 reps, more than the 50,000 a plan may have")


def test_a_plan_beyond_the_workbook_limits_is_refused_by_build(tmp_path):
    (tmp_path / "plan.toml").write_text(SAMPLE_TOML + _reps(3_000), encoding="utf-8")
    result = aop_xl("build", "plan.toml", "-o", "out.xlsx", cwd=tmp_path)
    one_error(result, "reps: 3,012 reps, more than the 2,000 a workbook may have")
    assert files_in(tmp_path) == ["plan.toml"]


def test_a_plan_at_the_limit_is_told_its_spare_rows_are_too_many(tmp_path):
    # 1,998 reps fit a workbook; with the 5 empty rows a build leaves for new reps they do not.
    (tmp_path / "plan.toml").write_text(SAMPLE_TOML + _reps(1_986), encoding="utf-8")
    result = aop_xl("build", "plan.toml", "-o", "out.xlsx", cwd=tmp_path)
    one_error(result, "reps: 1,998 reps and 5 empty rows for new ones, more than the 2,000 rows a workbook may "
              "have (build with fewer spare rows)")
    assert files_in(tmp_path) == ["plan.toml"]


# --- worksheet functions ---------------------------------------------------------------------------


def test_a_worksheet_function_error_speaks_excel_not_python():
    from aop_xl.xl.udfs import AOP_SPLIT

    message = AOP_SPLIT(-100.0, [[1.0], [1.0]])
    assert message == "#AOP! total: must be >= 0, got -100; for a decline, split the positive amount and negate it: " \
                      "=-AOP_SPLIT(100, ...)"
    assert "allow_negative" not in message and "=True" not in message
    assert AOP_SPLIT(100.0, [[1.0], [1.0]]) == [[50.0], [50.0]]
