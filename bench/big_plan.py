"""The benchmark plan: 50 regions, 200 products, 12 months, 500 reps (deterministic)."""

from __future__ import annotations

import random

from aop_xl.plan import Plan, plan_from_dict


def big_plan(regions: int = 50, products: int = 200, reps: int = 500, seed: int = 7) -> Plan:
    rng = random.Random(seed)
    return plan_from_dict(
        {
            "plan": {"company": "Benchmark Co", "year": 2027, "unit": 0.01, "total_target": 987_654_321.09},
            "seasonality": {"quarters": [30, 40, 30, 40]},
            "regions": [
                {"name": f"Region {i:02d}", "market": rng.choice(["core", "growth", "new"]), "weight": rng.randint(1, 100)}
                for i in range(regions)
            ],
            "products": [
                {
                    "name": f"Product {i:03d}",
                    "bcg": rng.choice(["star", "cash_cow", "question_mark", "dog"]),
                    "weight": round(rng.uniform(0.5, 20), 3),
                    "gross_margin": round(rng.uniform(0.1, 0.7), 2),
                }
                for i in range(products)
            ],
            "reps": [
                {"name": f"Rep {i:03d}", "region": f"Region {i % regions:02d}", "share": rng.choice([1, 1, 1.5, 0.5])}
                for i in range(reps)
            ],
        }
    )
