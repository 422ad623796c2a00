"""``aop-xl diff``: business changes of AOP workbooks, cell changes of any two workbooks, and
git's textconv and difftool on two committed plan versions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checks_helpers import book
from click.testing import CliRunner
from openpyxl import load_workbook
from tests_helpers import sample_dict

from aop_xl import load_plan
from aop_xl.checks.diff import diff_files, dump, number, render_text
from aop_xl.cli import main
from aop_xl.plan import plan_from_dict
from aop_xl.report import plan_results
from aop_xl.workbook.build import build_workbook


def changed_plan():
    d = sample_dict()
    d["regions"][0]["weight"] += 5
    d["plan"]["total_target"] = 25_000_000
    d["regions"].append({"name": "North", "market": "new", "weight": 5})
    return plan_from_dict(d)


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("versions")
    return build_workbook(load_plan(), tmp / "v1.xlsx"), build_workbook(changed_plan(), tmp / "v2.xlsx")


def test_inputs_by_business_label(versions):
    d = diff_files(*versions)
    assert d.aop
    inputs = {k: (a, b) for k, a, b in d.inputs}
    east = load_plan().regions[0]
    assert inputs["plan.total_target"] == (24_000_000, 25_000_000)
    assert inputs[f"regions[{east.name}].weight"] == (east.weight, east.weight + 5)
    assert inputs["regions[North].name"] == (None, "North")


def test_targets_by_region_product_and_quarter_are_the_engines(versions):
    d = diff_files(*versions)
    old, new = plan_results(load_plan()), plan_results(changed_plan())
    regions = {x.key: x for x in d.targets["region"]}
    for name in new["regions"]:
        x = regions[name]
        assert (x.old, x.new) == (old["regions"].get(name), new["regions"][name])
    assert regions["North"].old is None and regions["North"].delta is None
    east = regions[load_plan().regions[0].name]
    assert east.delta == pytest.approx(east.new - east.old)
    assert east.pct == pytest.approx(east.delta / east.old)
    quarters = {x.key: x for x in d.targets["quarter"]}
    assert quarters["total"].old == old["total_target"] and quarters["total"].new == new["total_target"]
    changed = {k for k in new["products"] if old["products"][k] != new["products"][k]}
    assert {x.key for x in d.targets["product"]} == changed
    assert d.quotas and d.commission


def test_text_shows_old_new_delta_and_percent(versions):
    text = render_text(diff_files(*versions))
    assert "Targets by region" in text and "Targets by quarter" in text and "Quotas" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("total "))
    assert "24,000,000" in line and "25,000,000" in line and "+1,000,000" in line and "+4.2%" in line


def test_json_output(versions):
    result = CliRunner().invoke(main, ["diff", *map(str, versions), "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["schema"] == "aop-xl/diff" and doc["aop_workbooks"] is True
    region = next(x for x in doc["targets"]["region"] if x["key"] == "North")
    assert region["old"] is None and region["new"] > 0


def test_identical_files_exit_0(versions):
    result = CliRunner().invoke(main, ["diff", str(versions[0]), str(versions[0])])
    assert result.exit_code == 0 and result.output.strip().endswith("no differences")


def test_unusable_file_exits_2(tmp_path, versions):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("x,y\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(versions[0]), str(bad)])
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {bad}: a text file")


def rows_book(path, insert_at=None):
    def fill(ws, wb):
        rows = [("Item", "Qty", "Price", "Amount")] + [(f"item {i}", i, 10 + i, None) for i in range(1, 7)]
        if insert_at is not None:
            rows.insert(insert_at, ("new item", 9, 99, None))
        for r, (name, qty, price, _) in enumerate(rows, start=1):
            ws.append([name, qty, price, f"=B{r}*C{r}" if r > 1 else "Amount"])
        n = len(rows)
        ws.append(["Total", None, None, f"=SUM(D2:D{n})"])
    return book(path, fill)


def test_inserted_row_is_one_change_not_every_cell_below(tmp_path):
    a, b = rows_book(tmp_path / "a.xlsx"), rows_book(tmp_path / "b.xlsx", insert_at=3)
    d = diff_files(a, b)
    assert d.rows == [("Sheet", "inserted", "4")]
    formulas = [c for c in d.cells if c.kind == "formula"]
    assert [(c.range, c.old, c.new) for c in formulas] == [("D9", "=SUM(D2:D7)", "=SUM(D2:D8)")]


def test_renamed_sheet_and_changed_value(tmp_path):
    a = rows_book(tmp_path / "a.xlsx")
    b = rows_book(tmp_path / "b.xlsx")
    wb = load_workbook(b)
    wb.active.title = "Orders"
    wb.active["C4"] = 1000
    wb.save(b)
    d = diff_files(a, b)
    assert d.sheets == [("renamed", "Sheet", "Orders")]
    assert [(c.sheet, c.range, c.kind, c.old, c.new) for c in d.cells] == [("Orders", "C4", "value", 13, 1000)]


def test_values_only_ignores_formula_text(tmp_path):
    a = rows_book(tmp_path / "a.xlsx")
    b = rows_book(tmp_path / "b.xlsx")
    wb = load_workbook(b)
    wb.active["D2"] = "=C2*B2"  # the same number, another formula
    wb.save(b)
    assert [c.kind for c in diff_files(a, b).cells] == ["formula"]
    assert diff_files(a, b, values_only=True).empty


def test_textconv_dump_is_stable_and_readable(versions):
    text = dump(versions[0])
    assert text == dump(versions[0])
    results = plan_results(load_plan())
    east = load_plan().regions[0].name
    assert f"target region {east} = {number(results['regions'][east])}" in text
    assert "input plan.total_target = 24,000,000" in text
    assert any(line.startswith("'Targets'!") or line.startswith("Targets!") for line in text.splitlines())


# ------------------------------------------------------------------------- git


def aop_xl_command() -> str:
    """How git runs aop-xl here: the console script when installed, else the module."""
    script = Path(sys.executable).with_name("aop-xl")
    if script.exists():
        return f'"{script}"'
    return f'"{sys.executable}" -m aop_xl.cli'


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Planner",
           "GIT_AUTHOR_EMAIL": "planner@example.com", "GIT_COMMITTER_NAME": "Planner",
           "GIT_COMMITTER_EMAIL": "planner@example.com", "GIT_PAGER": "cat", "PAGER": "cat"}
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q")
    git(repo, "config", "diff.aop-xl.textconv", f"{aop_xl_command()} diff --textconv")
    git(repo, "config", "difftool.aop-xl.cmd", f'{aop_xl_command()} diff "$LOCAL" "$REMOTE"')
    (repo / ".gitattributes").write_text("*.xlsx diff=aop-xl\n*.xlsm diff=aop-xl\n", encoding="utf-8")
    build_workbook(load_plan(), repo / "AOP_2027.xlsx")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "plan v1")
    build_workbook(changed_plan(), repo / "AOP_2027.xlsx")
    git(repo, "commit", "-q", "-am", "plan v2: East +5, total 25 million, North")
    return repo


def test_git_diff_with_textconv(repo):
    out = git(repo, "diff", "HEAD~1", "HEAD", "--", "AOP_2027.xlsx")
    lines = out.splitlines()
    assert "Binary files" not in out
    assert "-input plan.total_target = 24,000,000" in lines
    assert "+input plan.total_target = 25,000,000" in lines
    assert any(x.startswith("+target region North = ") for x in lines)
    east = load_plan().regions[0].name
    old, new = plan_results(load_plan()), plan_results(changed_plan())
    assert f"-target region {east} = {number(old['regions'][east])}" in lines
    assert f"+target region {east} = {number(new['regions'][east])}" in lines


def test_git_difftool(repo):
    out = git(repo, "difftool", "--no-prompt", "--tool=aop-xl", "HEAD~1", "HEAD", "--", "AOP_2027.xlsx")
    assert "Targets by region" in out and "North" in out and "+4.2%" in out
