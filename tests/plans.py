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


REGION_WORDS = ["North America East", "North America West", "Latin America", "Western Europe", "Central Europe",
                "Nordics", "Middle East & Africa", "India & South Asia", "Greater China", "Japan & Korea",
                "South-East Asia", "Australia & New Zealand"]
PRODUCT_WORDS = ["Analytics Suite", "Cloud Storage", "Field Service", "Payroll Premium", "Security Gateway",
                 "Data Platform", "Mobile Workforce", "Compliance Manager"]


def company_plan_dict(n_regions: int, n_products: int, n_reps: int, *, total: float, unit: float,
                      display: str = "units", seed: int = 0) -> dict:
    """A plan of the size and kind a company has: long region and product names, reps in every
    region, uneven weights, the sample's commission, budget and KPIs (deterministic)."""
    from tests_helpers import sample_dict

    rng = random.Random(seed)
    d = sample_dict()
    d["plan"].update(total_target=total, unit=unit, display=display)
    d["plan"].pop("prior_year_revenue", None)
    d["plan"].pop("growth", None)
    d["regions"] = [{"name": f"{REGION_WORDS[i % len(REGION_WORDS)]} {i // len(REGION_WORDS) + 1}",
                     "market": rng.choice(MARKETS), "weight": rng.randint(5, 120)} for i in range(n_regions)]
    d["products"] = [{"name": f"{PRODUCT_WORDS[j % len(PRODUCT_WORDS)]} {j // len(PRODUCT_WORDS) + 1}",
                      "bcg": rng.choice(BCG), "weight": round(rng.uniform(0.5, 30), 2),
                      "gross_margin": round(rng.uniform(0.2, 0.8), 2)} for j in range(n_products)]
    d["reps"] = [{"name": f"Account Executive {k + 1:03d}", "region": d["regions"][k % n_regions]["name"],
                  "share": rng.choice([1, 1, 1.5, 2, 0.5])} for k in range(n_reps)]
    scale = total / 24_000_000  # the sample's budget, scaled to the plan and rounded to its unit
    for i, line in enumerate(d.get("budget", [])):
        line["amount"] = round(line["amount"] * scale / unit) * unit
        if "region" in line:
            line["region"] = d["regions"][i % n_regions]["name"]
    for kpi in d.get("kpis", []):
        if kpi.get("unit") == "currency":
            kpi["target"] = round(kpi["target"] * scale / unit) * unit
    return d
