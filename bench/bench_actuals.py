"""Loading CRM actuals, as ratios against pandas alone reading the same file, in one run.

The export: 1,000,000 deal lines made from the sample plan's CRM data (``aop-xl
sample-actuals``), repeated with distinct deal ids: dates, reps, customers, products,
amounts as text, types, returns, split deals (about 3% of deals, two lines each).

- **load**: :func:`aop_xl.cycle.actuals.load_actuals`, everything a load does before the
  workbook: read the CSV, find the columns, parse every value strictly, check names against
  the plan and the months each rep covers, place each line in its fiscal month, credit the
  split deals exactly, key every line and merge. Baseline: ``pandas.read_csv`` of the same
  file with its defaults.
- **load again**: the same file loaded over its own lines (all already loaded). Same baseline.
- **workbook**: writing 100,000 loaded lines into the Actuals and In-year sheets and saving the
  workbook. Baseline: openpyxl writing the same lines' values to one sheet and saving.

The machine is shared: only the ratios are meaningful, not the seconds.

Run: uv run python bench/bench_actuals.py
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from aop_xl import load_plan
from aop_xl.cycle.actuals import load_actuals
from aop_xl.cycle.inyear import load_into
from aop_xl.cycle.sample_actuals import sample_actuals
from aop_xl.workbook.build import build_workbook

ROWS = 1_000_000
WORKBOOK_ROWS = 100_000


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def export(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` lines: the sample repeated, each copy's deal ids made distinct."""
    copies = int(np.ceil(n / len(rows)))
    big = pd.concat([rows] * copies, ignore_index=True).iloc[:n].copy()
    copy = np.repeat(np.arange(copies), len(rows))[:n]
    big["Deal ID"] = big["Deal ID"] + "-" + pd.Series(copy).astype(str)
    return big


def main() -> None:
    plan = load_plan()
    rows = sample_actuals(plan, 12)
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="aop_xl-bench-") as tmp:
        folder = Path(tmp)
        big = folder / "crm-1m.csv"
        export(rows, ROWS).to_csv(big, index=False)
        base = best_of(lambda: pd.read_csv(big), repeat)
        first = load_actuals([big], plan)
        assert first.report.loaded.rows == ROWS and not first.report.failed
        load = best_of(lambda: load_actuals([big], plan), repeat)
        again = best_of(lambda: load_actuals([big], plan, first.lines, previous_as_of=first.as_of), repeat)
        print(f"| case | baseline | ratio (case / baseline) |")
        print("| --- | --- | --- |")
        print(f"| load {ROWS:,} deal lines | pandas.read_csv of the file | {load / base:.1f} |")
        print(f"| load the same {ROWS:,} lines again (all already loaded) | pandas.read_csv of the file | "
              f"{again / base:.1f} |")
        del first
        small = folder / "crm-100k.csv"
        part = export(rows, WORKBOOK_ROWS)
        part.to_csv(small, index=False)
        workbook = folder / "AOP_2027.xlsx"

        def into() -> None:
            build_workbook(plan, workbook)
            load_into(workbook, [small])

        def dump() -> None:
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Actuals")
            for record in part.itertuples(index=False):
                ws.append(list(record))
            wb.save(io.BytesIO())

        build = best_of(lambda: build_workbook(plan, workbook), 1)
        write = best_of(into, 1) - build
        dumped = best_of(dump, 1)
        print(f"| write {WORKBOOK_ROWS:,} lines into the workbook (Actuals and In-year sheets) | openpyxl "
              f"write-only dump of the same lines | {write / dumped:.1f} |")


if __name__ == "__main__":
    main()
