"""Validation speed as a ratio against a named baseline measured in the same run.

Baseline: openpyxl loading the same workbook (``load_workbook(path)``, the default mode that
keeps formulas) — the least a Python tool that looks at every formula must do. The case:
``aop_xl.checks.validate_file`` on the blank template (every static rule, the contract
comparison with the template rebuilt by the library included). The target is a ratio of at
most 1. The machine is shared: only the ratios are meaningful, not the seconds.

Run: uv run python bench/bench_validate.py [WORKBOOK ...]
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

from aop_xl.checks.validate import clear_caches, validate_file

ROOT = Path(__file__).resolve().parents[1]


def seconds(fn) -> float:
    clear_caches()  # every run as cold as a fresh `aop-xl validate`
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(paths: list[str]) -> None:
    paths = [Path(p) for p in paths] or [ROOT / "workbooks" / "AOP_template.xlsx", ROOT / "workbooks" / "AOP_2027.xlsx"]
    validate_file(paths[0])  # modules imported, as in a CLI run after start-up (caches are cleared)
    print("| workbook | baseline | ratio (validate / baseline) | findings |")
    print("| --- | --- | --- | --- |")
    for path in paths:
        ratios = []
        for _ in range(5):
            check = seconds(lambda: validate_file(path))
            base = seconds(lambda: load_workbook(path))
            ratios.append(check / base)
        findings = len(validate_file(path).findings)
        print(f"| {path.name} | openpyxl load_workbook, same file | {statistics.median(ratios):.2f} | {findings} |")


if __name__ == "__main__":
    main(sys.argv[1:])
