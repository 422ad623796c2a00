"""Workbook build speed as ratios against a named baseline measured in the same run.

Baseline: openpyxl writing a plain value dump of the same plan's target cube (one value
cell per region x product x month, one sheet, default save) — the least any .xlsx writer
of these numbers must do. The machine is shared: only the ratios are meaningful.

Run: uv run python bench/bench_workbook.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).parent))
from big_plan import big_plan  # noqa: E402

from aop_xl import load_plan, plan_targets  # noqa: E402
from aop_xl.workbook.build import build_workbook  # noqa: E402


def value_dump(plan, path: Path) -> None:
    cube = plan_targets(plan).groupby(["region", "product", "month"], observed=True)["target"].sum()
    wb = Workbook()
    ws = wb.active
    for (region, product, month), value in cube.items():
        ws.append([region, product, int(month), float(value)])
    wb.save(path)


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    cases = [("sample plan (4 regions, 6 products, 12 reps)", load_plan(), 5)]
    big = big_plan()
    cases.append((f"{len(big.regions)} regions x {len(big.products)} products x {len(big.reps)} reps", big, 1))
    print("| case | baseline | ratio (build / baseline) |")
    print("| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name, plan, repeat in cases:
            ratios = []
            for i in range(repeat):
                build = seconds(lambda: build_workbook(plan, out / f"b{i}.xlsx"))
                base = seconds(lambda: value_dump(plan, out / f"v{i}.xlsx"))
                ratios.append(build / base)
            print(f"| {name} | openpyxl value dump of the target cube | {statistics.median(ratios):.1f} |")


if __name__ == "__main__":
    main()
