"""``aop-xl validate``: exit codes, --fail-on, baselines and the four report formats."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from checks_helpers import SAMPLE, book
from click.testing import CliRunner

from aop_xl import load_plan
from aop_xl.checks.formats import schema
from aop_xl.checks.rules import RULES
from aop_xl.cli import main
from aop_xl.workbook.build import build_workbook


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The sample plan's workbook as the library builds it now (clean by construction)."""
    return build_workbook(load_plan(), tmp_path_factory.mktemp("clean") / "AOP_2027.xlsx")


def broken(tmp_path, name="broken.xlsx", typed=500):
    """A workbook with one error (M201, a typed number) and one warning (M203)."""
    def fill(ws, wb):
        for i in range(1, 9):
            ws[f"A{i}"] = i
            ws[f"C{i}"] = f"=A{i}*2" if i != 5 else typed
        ws["E1"] = "=A1*1.2"
    return book(tmp_path / name, fill)


def test_clean_workbook_exits_0(clean):
    result = run(clean)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("1 file checked: 0 errors, 0 warnings, 0 notes")


def test_findings_exit_1_with_one_line_each(tmp_path):
    path = broken(tmp_path)
    result = run(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(re.search(r"broken\.xlsx: Sheet!C5: M201 error: the number 500 is typed", x) for x in lines), lines
    assert any(" M203 warning: the constant 1.2" in x for x in lines)


def test_fail_on(tmp_path):
    path = broken(tmp_path)
    assert run(path, "--fail-on", "never").exit_code == 0
    assert run(path, "--fail-on", "warning").exit_code == 1
    warning_only = book(tmp_path / "warn.xlsx", lambda ws, wb: ws.__setitem__("A1", "=B1*1.2"))
    assert run(warning_only).exit_code == 0
    assert run(warning_only, "--fail-on", "warning").exit_code == 1


def test_unusable_file_exits_2_and_the_batch_goes_on(tmp_path):
    csv = tmp_path / "data.xlsx"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run(csv, broken(tmp_path), tmp_path / "missing.xlsx")
    assert result.exit_code == 2
    assert "data.xlsx: cannot be checked: a text file (CSV" in result.output
    assert "missing.xlsx: cannot be checked: " in result.output and "no such file" in result.output
    assert " M201 error" in result.output  # the readable file was checked
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(tmp_path):
    assert run().exit_code == 2
    assert run(SAMPLE, "--format", "xml").exit_code == 2
    assert run(SAMPLE, "--update-baseline").exit_code == 2
    assert run(SAMPLE, "--report", "sarif").exit_code == 2
    assert run(SAMPLE, "--report", f"sarif:{tmp_path / 'no' / 'such.sarif'}").exit_code == 2


def test_baseline_fails_only_on_new_findings(tmp_path):
    path = broken(tmp_path)
    accepted = tmp_path / "baseline.json"
    written = run(path, "--baseline", accepted, "--update-baseline")
    assert written.exit_code == 0 and accepted.exists()
    assert "2 accepted finding(s)" in written.output
    again = run(path, "--baseline", accepted, "--fail-on", "note")
    assert again.exit_code == 0, again.output
    assert "(2 accepted by the baseline)" in again.output
    # A new break fails; the accepted ones stay accepted.
    worse = broken(tmp_path, "broken.xlsx", typed=600)
    book_worse = worse  # same file name, another error in the same place and one more below
    from openpyxl import load_workbook

    wb = load_workbook(book_worse)
    wb.active["E5"] = "=TODAY()"
    wb.save(book_worse)
    result = run(book_worse, "--baseline", accepted)
    assert result.exit_code == 0  # the new finding is a warning
    assert " M204 warning" in result.output and " M201 " not in result.output
    assert run(book_worse, "--baseline", accepted, "--fail-on", "warning").exit_code == 1


def test_bad_baseline_is_one_error_line(tmp_path):
    bad = tmp_path / "baseline.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(SAMPLE), "--baseline", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {bad}: not a baseline file (expected "
                                                  '{"schema": "aop-xl/baseline", "findings": [...]})']
    missing = CliRunner().invoke(main, ["validate", str(SAMPLE), "--baseline", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "no such baseline" in missing.stderr


# ------------------------------------------------------------------------- formats


def conforms(value, rule, defs, path="$") -> list[str]:
    """The problems of ``value`` against the subset of JSON Schema the report schema uses."""
    if "$ref" in rule:
        return conforms(value, defs[rule["$ref"].rsplit("/", 1)[-1]], defs, path)
    out = []
    kinds = rule.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        python = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool,
                  "null": type(None), "number": (int, float)}
        if not any(isinstance(value, python[n]) and not (n == "integer" and isinstance(value, bool)) for n in names):
            return [f"{path}: {value!r} is not {kinds}"]
    if "const" in rule and value != rule["const"]:
        out.append(f"{path}: {value!r} != {rule['const']!r}")
    if "enum" in rule and value not in rule["enum"]:
        out.append(f"{path}: {value!r} not in {rule['enum']}")
    if "pattern" in rule and isinstance(value, str) and not re.search(rule["pattern"], value):
        out.append(f"{path}: {value!r} does not match {rule['pattern']}")
    if "minimum" in rule and isinstance(value, (int, float)) and value < rule["minimum"]:
        out.append(f"{path}: {value} < {rule['minimum']}")
    if isinstance(value, dict):
        props = rule.get("properties", {})
        out += [f"{path}: missing {k}" for k in rule.get("required", []) if k not in value]
        if rule.get("additionalProperties") is False:
            out += [f"{path}: unexpected {k}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                out += conforms(v, props[k], defs, f"{path}.{k}")
    if isinstance(value, list) and "items" in rule:
        for i, v in enumerate(value):
            out += conforms(v, rule["items"], defs, f"{path}[{i}]")
    return out


def test_json_follows_its_documented_schema(tmp_path, clean):
    csv = tmp_path / "x.xlsx"
    csv.write_text("a,b\n", encoding="utf-8")
    result = run(broken(tmp_path), clean, csv, "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    s = schema()
    assert conforms(doc, s, s["$defs"]) == []
    files = {f["file"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert files["AOP_2027.xlsx"]["status"] == "clean" and files["AOP_2027.xlsx"]["aop_workbook"]
    assert files["x.xlsx"]["status"] == "unusable"
    rules = [f["rule"] for f in files["broken.xlsx"]["findings"]]
    assert rules == ["M201", "M203"]
    assert doc["summary"] == {"error": 1, "warning": 1, "note": 0, "files": 3, "unusable": 1, "fail_on": "error",
                              "exit_code": 2}


def test_schema_rejects_what_it_should():
    s = schema()
    assert conforms({"schema": "aop-xl/validate"}, s, s["$defs"])  # the check itself can fail


def test_sarif_2_1_0(tmp_path):
    out = tmp_path / "validate.sarif"
    result = run(broken(tmp_path), "--report", f"sarif:{out}")
    assert result.exit_code == 1
    log = json.loads(out.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for r in rules:
        assert r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert len(run_["results"]) == 2
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        loc = res["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith("broken.xlsx")
        assert loc["physicalLocation"]["region"]["startLine"] == 1
        assert loc["logicalLocations"][0]["fullyQualifiedName"].startswith("Sheet!")
        assert len(res["partialFingerprints"]["aopXlFinding/v1"]) == 32
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_junit_xml(tmp_path):
    csv = tmp_path / "x.xlsx"
    csv.write_text("a,b\n", encoding="utf-8")
    out = tmp_path / "validate.xml"
    result = run(broken(tmp_path), csv, "--report", f"junit:{out}", "--format", "junit")
    assert result.exit_code == 2
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    assert root.tag == "testsuites"
    suites = {s.get("name").rsplit("/", 1)[-1]: s for s in root}
    checked = suites["broken.xlsx"]
    failed = [c.get("name") for c in checked if c.find("failure") is not None]
    assert failed == ["M201 number-in-formulas", "M203 embedded-constant"]
    assert int(checked.get("failures")) == 2 and int(checked.get("tests")) == len(list(checked))
    # contract rules are not run on a workbook that is not an AOP workbook
    assert not any(c.get("name").startswith("C1") for c in checked)
    assert suites["x.xlsx"].find("testcase/error") is not None
    assert int(root.get("errors")) == 1
    assert ET.fromstring(result.stdout).tag == "testsuites"  # --format junit on standard output too


def test_text_report_file_and_stdout_agree(tmp_path):
    out = tmp_path / "report.txt"
    result = run(broken(tmp_path), "--report", f"text:{out}")
    assert out.read_text(encoding="utf-8").strip() == result.output.strip()


def test_docs_describe_every_rule():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"| {rule.id} {rule.name} | {rule.severity} |" in docs, f"docs/ci.md: no row for {rule.label}"


def test_unusable_files_are_error_lines_when_the_report_is_a_document(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    result = CliRunner().invoke(main, ["validate", str(bad), "--format", "sarif"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {bad}: not a workbook: unrecognised content (not a zip package)"
    assert json.loads(result.stdout)["runs"][0]["invocations"][0]["executionSuccessful"] is False
