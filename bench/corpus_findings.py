"""How many findings each rule raises on the corpus of real workbooks, file by file.

The corpus (``../shared/corpus`` beside the repository; see its provenance.json) holds
workbooks saved by Excel, LibreOffice and other programs. This prints, per rule, how many
findings it raised and in how many files, then every finding, so a sample can be judged by
hand (the judgements are recorded in bench/RESULTS.md).

Run: uv run python bench/corpus_findings.py [--list]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from aop_xl.checks.rules import RULES
from aop_xl.checks.validate import validate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main(list_all: bool) -> None:
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    files = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() not in (".md", ".json"))
    report = validate(files)
    findings = Counter(f.rule.id for f in report.findings)
    in_files = {rule: len({f.file for f in report.findings if f.rule.id == rule}) for rule in findings}
    checked = len(files) - len(report.unusable)
    print(f"{len(files)} files: {checked} checked, {len(report.unusable)} refused (exit 2)")
    print()
    print("| rule | findings | files |")
    print("| --- | ---: | ---: |")
    for rule in RULES:
        if findings[rule]:
            print(f"| {rule} {RULES[rule].name} | {findings[rule]} | {in_files[rule]} |")
    print()
    for r in report.unusable:
        print(f"refused: {Path(r.file).name}: {r.error.split(': ', 1)[-1]}")
    if list_all:
        print()
        for f in report.findings:
            print(f"{Path(f.file).name}: {f.location} {f.rule.id}: {f.message}")


if __name__ == "__main__":
    main("--list" in sys.argv[1:])
