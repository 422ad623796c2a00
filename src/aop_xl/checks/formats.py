"""Report formats of ``aop-xl validate``: text for people, JSON, SARIF 2.1.0 and JUnit XML.

- **text**: one line per finding, ``file: Sheet!B7:F7 · 5 cells: M202 warning: ...``, then a
  summary line.
- **json**: the document described by ``report.schema.json`` (in this package, and in
  ``docs/ci.md``): ``{"schema": "aop-xl/validate", "version": 1, "tool": ..., "files": [...],
  "summary": ...}``.
- **sarif**: SARIF 2.1.0, one run, the rules as ``tool.driver.rules``; each result has the
  file as its artifact and the sheet and range as a logical location (GitHub code scanning
  shows them with the file).
- **junit**: one ``<testsuite>`` per file, one ``<testcase>`` per rule (failed by its
  findings), an ``<error>`` for a file that could not be read.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata, resources
from xml.sax.saxutils import escape, quoteattr

from aop_xl.checks.rules import RULES, Finding
from aop_xl.checks.validate import Report

FORMATS = ("text", "json", "sarif", "junit")
SCHEMA_ID = "aop-xl/validate"
SCHEMA_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def version() -> str:
    try:
        return metadata.version("aop-xl")
    except metadata.PackageNotFoundError:
        return "0"


def render(report: Report, fmt: str, fail_on: str = "error") -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "text":
        return text(report, fail_on)
    if fmt == "json":
        return json.dumps(as_json(report, fail_on), indent=2, ensure_ascii=False)
    if fmt == "sarif":
        return json.dumps(sarif(report), indent=2, ensure_ascii=False)
    if fmt == "junit":
        return junit(report)
    raise ValueError(fmt)


def line(f: Finding) -> str:
    """One finding as a line of text."""
    where = f.location
    count = f" · {f.cells:,} cells" if f.cells > 1 else ""
    head = f"{f.file}: {where}{count}: " if where else f"{f.file}: "
    return f"{head}{f.rule.id} {f.severity}: {f.message}"


def text(report: Report, fail_on: str = "error") -> str:
    out = []
    for r in report.files:
        if r.error is not None:
            out.append(f"{r.file}: cannot be checked: {r.error.removeprefix(r.file + ': ')}")
        out.extend(line(f) for f in r.findings)
    out.extend(f"note: {n}" for n in report.notes)
    out.append(summary(report, fail_on))
    return "\n".join(out)


def summary(report: Report, fail_on: str = "error") -> str:
    """``3 files checked: 2 errors, 1 warning, 0 notes (5 accepted by the baseline); 1 unusable``."""
    c = report.counts()
    n = len(report.files)
    parts = [f"{c['error']} error{'s' if c['error'] != 1 else ''}", f"{c['warning']} warning"
             f"{'s' if c['warning'] != 1 else ''}", f"{c['note']} note{'s' if c['note'] != 1 else ''}"]
    text_ = f"{n} file{'s' if n != 1 else ''} checked: {', '.join(parts)}"
    accepted = sum(r.suppressed for r in report.files)
    if accepted:
        text_ += f" ({accepted} accepted by the baseline)"
    if report.unusable:
        text_ += f"; {len(report.unusable)} unusable"
    if report.engines:
        text_ += f"; recalculated in {' and '.join(report.engines)}"
    return text_


def as_json(report: Report, fail_on: str = "error") -> dict:
    """The JSON document (see ``report.schema.json``)."""
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "tool": {"name": "aop-xl", "version": version()},
        "engines": list(report.engines),
        "notes": list(report.notes),
        "files": [
            {
                "file": r.file,
                "status": "unusable" if r.error is not None else ("findings" if r.findings else "clean"),
                "error": r.error,
                "aop_workbook": r.aop,
                "accepted_by_baseline": r.suppressed,
                "findings": [finding_json(f) for f in r.findings],
            }
            for r in report.files
        ],
        "summary": {**report.counts(), "files": len(report.files), "unusable": len(report.unusable),
                    "fail_on": fail_on, "exit_code": report.exit_code(fail_on)},
    }


def finding_json(f: Finding) -> dict:
    return {"rule": f.rule.id, "name": f.rule.name, "category": f.rule.category, "severity": f.severity,
            "sheet": f.sheet, "range": f.range, "cells": f.cells, "message": f.message,
            "fingerprint": fingerprint(f)}


def fingerprint(f: Finding) -> str:
    """A stable id of a finding (rule, file, sheet, range), as baselines and SARIF use it."""
    return hashlib.sha256("\x1f".join(f.key()).encode("utf-8")).hexdigest()[:32]


def sarif(report: Report) -> dict:
    """The SARIF 2.1.0 log."""
    rules = list(RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for r in report.files:
        for f in r.findings:
            location = {"physicalLocation": {"artifactLocation": {"uri": f.file},
                                             "region": {"startLine": 1}}}
            if f.sheet is not None:
                location["logicalLocations"] = [{"fullyQualifiedName": f.location, "kind": "element"}]
            text_ = f"{f.location}: {f.message}" if f.location else f.message
            if f.cells > 1:
                text_ += f" ({f.cells:,} cells)"
            results.append({"ruleId": f.rule.id, "ruleIndex": index[f.rule.id], "level": _SARIF_LEVEL[f.severity],
                            "message": {"text": text_}, "locations": [location],
                            "partialFingerprints": {"aopXlFinding/v1": fingerprint(f)}})
    notifications = [{"level": "error", "message": {"text": r.error},
                      "locations": [{"physicalLocation": {"artifactLocation": {"uri": r.file}}}]}
                     for r in report.unusable]
    notifications += [{"level": "error", "message": {"text": n}} for n in report.notes]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aop-xl",
                "version": version(),
                "rules": [{"id": rule.id, "name": rule.name,
                           "shortDescription": {"text": rule.title},
                           "fullDescription": {"text": rule.help},
                           "help": {"text": rule.help},
                           "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                           "properties": {"category": rule.category, "tags": [rule.category]}}
                          for rule in rules],
            }},
            "invocations": [{"executionSuccessful": not report.unusable and not report.notes,
                             "toolExecutionNotifications": notifications}],
            "artifacts": [{"location": {"uri": r.file}} for r in report.files],
            "results": results,
        }],
    }


def junit(report: Report) -> str:
    """JUnit XML: a test suite per file, a test case per rule (and per unusable file)."""
    suites = []
    total_tests = total_failures = total_errors = 0
    for r in report.files:
        cases = []
        failures = errors = 0
        if r.error is not None:
            errors = 1
            cases.append(f'    <testcase classname={quoteattr(r.file)} name="read">\n'
                         f'      <error message={quoteattr(r.error)} type="unusable"/>\n    </testcase>')
        else:
            by_rule: dict[str, list[Finding]] = {}
            for f in r.findings:
                by_rule.setdefault(f.rule.id, []).append(f)
            for rule in RULES.values():
                if rule.category == "contract" and not r.aop:
                    continue
                if rule.recalc and not report.engines:
                    continue
                name = quoteattr(f"{rule.id} {rule.name}")
                found = by_rule.get(rule.id)
                if not found:
                    cases.append(f'    <testcase classname={quoteattr(r.file)} name={name}/>')
                    continue
                failures += 1
                body = "\n".join(escape(line(f)) for f in found)
                cases.append(f'    <testcase classname={quoteattr(r.file)} name={name}>\n'
                             f'      <failure message={quoteattr(f"{len(found)} finding(s): {found[0].message}")} '
                             f'type={quoteattr(rule.severity)}>{body}</failure>\n    </testcase>')
        total_tests += len(cases)
        total_failures += failures
        total_errors += errors
        suites.append(f'  <testsuite name={quoteattr(r.file)} tests="{len(cases)}" failures="{failures}" '
                      f'errors="{errors}" time="{r.seconds:.3f}">\n' + "\n".join(cases) + "\n  </testsuite>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="aop-xl validate" tests="{total_tests}" failures="{total_failures}" '
            f'errors="{total_errors}">\n' + "\n".join(suites) + "\n</testsuites>\n")


def schema() -> dict:
    """The JSON schema of the ``--format json`` document."""
    return json.loads(resources.files("aop_xl.checks").joinpath("report.schema.json").read_text(encoding="utf-8"))
