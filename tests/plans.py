"""Generated plans for tests: many regions, products and reps, odd units, unicode names."""

from __future__ import annotations

import random

from aop_xl.plan import Plan, plan_from_dict

NAMES = [
    "Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng", "Cần Thơ", "北京", "上海", "广州", "深圳",
    "Kraków", "Łódź", "Gdańsk", "Wrocław", "Poznań", "Zielona Góra", "Nguyễn Văn Ánh", "王小明",
    "Zażółć gęślą jaźń", "Bắc Ninh", "杭州", "Śląsk",
]
MARKETS = ["core", "growth", "new"]
BCG = ["star", "cash_cow", "question_mark", "dog"]


def _names(rng: random.Random, prefix: str, n: int) -> list[str]:
    pool = [f"{rng.choice(NAMES)} {prefix}{i + 1}" for i in range(n)]
    return pool


def random_plan_dict(seed: int, *, max_regions: int = 40, max_products: int = 60, max_reps: int = 80) -> dict:
    """A valid plan document drawn from ``seed`` (deterministic)."""
    rng = random.Random(seed)
    unit = rng.choice([0.01, 1, 1000, 0.01, 1])
    n_regions = rng.randint(1, max_regions)
    n_products = rng.randint(1, max_products)
    total_units = rng.choice([0, 1, 7, rng.randint(1, 10**6), rng.randint(10**6, 10**9)])
    regions = []
    for i, name in enumerate(_names(rng, "R", n_regions)):
        weight = rng.choice([0, 1, 1, rng.randint(1, 100), round(rng.uniform(0, 50), 3)])
        regions.append({"name": name, "market": rng.choice(MARKETS), "weight": weight})
    if not any(r["weight"] for r in regions):
        regions[0]["weight"] = 3
    products = []
    for name in _names(rng, "P", n_products):
        products.append(
            {
                "name": name,
                "bcg": rng.choice(BCG),
                "weight": rng.choice([0, 1, rng.randint(1, 100), round(rng.uniform(0, 10), 4)]),
                "gross_margin": round(rng.uniform(0.05, 0.8), 3),
            }
        )
    if not any(p["weight"] for p in products):
        products[-1]["weight"] = 1
    reps = []
    for i, name in enumerate(_names(rng, "Rep", rng.randint(0, max_reps))):
        reps.append({"name": name, "region": rng.choice(regions)["name"], "share": rng.choice([1, 1, 2, 0.5, 3])})
    if rng.random() < 0.5:
        seasonality = {"quarters": [rng.randint(0, 50) for _ in range(4)]}
    else:
        seasonality = {"months": [round(rng.uniform(0, 10), 2) for _ in range(12)]}
    if not any(next(iter(seasonality.values()))):
        next(iter(seasonality.values()))[0] = 1
    return {
        "plan": {
            "company": f"{rng.choice(NAMES)} sp. z o.o.",
            "year": 2027,
            "currency": rng.choice(["USD", "PLN", "VND", "CNY", "EUR"]),
            "unit": unit,
            "total_target": total_units * unit,
            "challenge_uplift": rng.choice([0.2, 0.15, 0.333]),
            "fiscal_year_start": rng.randint(1, 12),
        },
        "seasonality": seasonality,
        "regions": regions,
        "products": products,
        "reps": reps,
    }


def random_plan(seed: int, **limits) -> Plan:
    return plan_from_dict(random_plan_dict(seed, **limits))
