"""The aop-xl command: in-process runs, exit codes, then the result through the library."""

import json
import sys

import pytest

from click.testing import CliRunner

from aop_xl import load_plan
from aop_xl.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert "plan" in result.output


def test_plan_check_prints_totals_by_region_and_quarter():
    result = run("plan", "check")
    assert result.exit_code == 0, result.output
    assert "Total target: USD 24,000,000.00" in result.output
    assert "East" in result.output and "9,600,000.00" in result.output
    assert "Q2" in result.output
    assert "ROI" in result.output


def test_plan_show_json_is_the_engines_numbers():
    result = run("plan", "show", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total_target"] == load_plan().total_target()
    assert data["regions"] == {"East": 9_600_000, "West": 6_000_000, "South": 6_000_000, "Central": 2_400_000}
    assert round(sum(t["target"] for t in data["targets"]), 2) == 24_000_000


def test_bad_plan_gives_one_line_per_problem_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[plan]\ncompany = "X"\nyear = 2027\ntotal_target = 100\n'
        '[[regions]]\nname = "North"\nmarket = "core"\nweight = -5\n'
        '[[products]]\nname = "A"\nbcg = "star"\nweight = 1\ngross_margin = 0.4\n'
        '[[reps]]\nname = "R"\nregion = "Nort"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["plan", "check", str(bad)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    # The field problem and the cross-field problem of another member, in one run.
    assert lines == [
        f"error: {bad}: regions[0].weight: must be >= 0, got -5",
        f'error: {bad}: reps[0].region: "Nort" is not a region (did you mean "North"?)',
    ]
    assert "Traceback" not in result.output


def test_missing_file_is_exit_2(tmp_path):
    result = run("plan", "check", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "no such plan file" in result.stderr


def test_usage_error_is_not_exit_0():
    assert run("plan", "check", "--bogus").exit_code == 2


def test_build_writes_the_workbook_and_reports_its_path(tmp_path):
    from aop_xl.workbook.reader import read_identity

    out = tmp_path / "AOP.xlsx"
    result = run("build", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    identity = read_identity(out)
    assert identity.template_id == "aop-xl/standard-aop"
    assert not identity.blank and identity.fingerprint


def test_build_blank_writes_the_template(tmp_path):
    from aop_xl.workbook.reader import read_identity

    out = tmp_path / "template.xlsx"
    assert run("build", "--blank", "-o", str(out)).exit_code == 0
    assert read_identity(out).blank


def test_build_refuses_a_plan_with_blank(tmp_path):
    result = run("build", "--blank", str(tmp_path / "plan.toml"))
    assert result.exit_code == 2
    assert not (tmp_path / "plan.toml").exists()


def test_build_of_a_bad_plan_leaves_no_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[plan]\ncompany = "X"\nyear = 2027\n', encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run("build", str(bad), "-o", str(out))
    assert result.exit_code == 2
    assert "regions: required" in result.stderr
    assert not out.exists()


def test_addin_build_writes_the_xlam(tmp_path):
    out = tmp_path / "aop_xl.xlam"
    result = run("addin", "build", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Excel's own systems install for real")
def test_addin_install_says_excel_is_needed_here():
    result = run("addin", "install")
    assert result.exit_code == 2
    assert "needs Excel for Windows or macOS" in result.stderr
