"""Engine speed as ratios against a plain numpy baseline of the same size, in one run.

Baseline: a single proportional multiply (``total * w / w.sum()``) over the same number of
members/cells. The machine is shared: only the ratios are meaningful, not the seconds.

Run: uv run python bench/bench_engine.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from big_plan import big_plan  # noqa: E402

from aop_xl import plan_targets, quotas, split  # noqa: E402


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(2027)
    weights = rng.integers(0, 10_000, 1_000_000) / 100  # decimals of two places
    total = 987_654_321.09

    def baseline_1m():
        return total * weights / weights.sum()

    plan = big_plan()
    cells = len(plan.regions) * len(plan.products) * 12 * 10  # cube rows with ~10 reps per region
    cube_weights = rng.uniform(0, 1, cells)

    def baseline_cube():
        return total * cube_weights / cube_weights.sum()

    rows = [
        ("split, 1,000,000 members", lambda: split(total, weights), baseline_1m),
        (
            f"plan_targets, {len(plan.regions)} regions x {len(plan.products)} products x 12 months x {len(plan.reps)} reps",
            lambda: plan_targets(plan),
            baseline_cube,
        ),
        (f"quotas, {len(plan.reps)} reps", lambda: quotas(plan), baseline_cube),
    ]
    print("| case | baseline | ratio (case / baseline) |")
    print("| --- | --- | --- |")
    for name, case, base in rows:
        ratios = []
        for _ in range(3):
            ratios.append(best_of(case, 3) / best_of(base, 3))
        print(f"| {name} | proportional multiply, same size | {statistics.median(ratios):.1f} |")


if __name__ == "__main__":
    main()
