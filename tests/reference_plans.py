"""Generated plan documents and the engine's cube read back in whole units, for the tests
that compare the engine with the exact reference (``reference.py``)."""

from __future__ import annotations

import copy
import math
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import reference as ref
from aop_xl import annual_quotas, plan_from_dict, plan_targets, quotas

MARKETS = ["core", "growth", "new"]
BCG = ["star", "cash_cow", "question_mark", "dog"]


def to_units(values, unit) -> np.ndarray:
    q = np.asarray(values, dtype=float) / float(unit)
    r = np.round(q)
    bad = np.abs(q - r) > 1e-6 + 1e-12 * np.abs(q)
    assert not bad.any(), f"not a whole number of units: {np.asarray(values)[bad][:3]}"
    return r.astype(np.int64)


class EngineCube:
    """The engine's cube and quotas in whole units, with the reference's layout."""

    def __init__(self, doc: dict):
        plan = plan_from_dict(copy.deepcopy(doc))
        unit = plan.plan.unit
        region_pos = {n: i for i, n in enumerate(plan.region_names)}
        product_pos = {n: i for i, n in enumerate(plan.product_names)}
        rep_pos = {n: i for i, n in enumerate(plan.rep_names)}
        frame = plan_targets(plan)
        values = to_units(frame["target"], unit)
        reps = frame["rep"].astype(object) if "rep" in frame.columns else pd.Series([None] * len(frame))
        self.cells = {}
        for r, p, k, m, v in zip(frame["region"].astype(str), frame["product"].astype(str), reps,
                                 frame["month"], values):  # fmt: skip
            k = None if k is None or (isinstance(k, float) and math.isnan(k)) else rep_pos[k]
            key = (region_pos[r], product_pos[p], k, int(m) - 1)
            assert key not in self.cells, f"the cube has two rows for {key}"
            self.cells[key] = int(v)
        n_r, n_p, n_k = len(region_pos), len(product_pos), len(rep_pos)
        self.product_months = [[[0] * 12 for _ in range(n_p)] for _ in range(n_r)]
        for (r, p, _, m), v in self.cells.items():
            self.product_months[r][p][m] += v
        self.region_products = [[sum(row) for row in self.product_months[r]] for r in range(n_r)]
        self.region_months = [[sum(self.product_months[r][p][m] for p in range(n_p)) for m in range(12)]
                              for r in range(n_r)]  # fmt: skip
        self.regions = [sum(row) for row in self.region_products]
        self.months = [sum(self.region_months[r][m] for r in range(n_r)) for m in range(12)]
        self.quarters = [sum(self.months[3 * q: 3 * q + 3]) for q in range(4)]
        self.total = sum(self.regions)
        self.rep_cube_months = [[0] * 12 for _ in range(n_k)]
        for (_, _, k, m), v in self.cells.items():
            if k is not None:
                self.rep_cube_months[k][m] += v
        annual = annual_quotas(plan)
        self.rep_base = to_units(annual["base_quota"], unit).tolist() if n_k else []
        self.rep_challenge = to_units(annual["challenge_quota"], unit).tolist() if n_k else []
        q = quotas(plan)
        self.rep_base_months = to_units(q["base_quota"], unit).reshape(-1, 12).tolist() if n_k else []
        self.rep_challenge_months = to_units(q["challenge_quota"], unit).reshape(-1, 12).tolist() if n_k else []


# --------------------------------------------------------------------------- generated plans


def decimal(draw, places_max: int, top: int, zero_ok: bool = True) -> float | int:
    places = draw(st.integers(0, places_max))
    v = draw(st.integers(0 if zero_ok else 1, top * 10**places))
    return v / 10**places if places else v


@st.composite
def plan_docs(draw, max_regions=5, max_products=5, max_reps=8, units=(0.01, 0.05, 1, 1000), totals=None):
    unit = draw(st.sampled_from(units))
    n_regions = draw(st.integers(1, max_regions))
    n_products = draw(st.integers(1, max_products))
    n = draw(totals if totals is not None else st.one_of(
        st.integers(0, 40), st.integers(0, 10**7), st.integers(10**9, 10**13),
        st.integers(ref.SIZE_BOUND - 10**9, ref.SIZE_BOUND)))  # fmt: skip
    negative = draw(st.booleans()) and n > 0
    sign = -1 if negative else 1

    def money(units_: int) -> float:
        return float(Fraction(units_) * ref.dec(unit))

    regions = []
    locked = 0
    for i in range(n_regions):
        kind = draw(st.sampled_from(["weight", "weight", "prior", "target"]))
        region = {"name": f"R{i}", "market": draw(st.sampled_from(MARKETS))}
        if kind == "weight":
            region["weight"] = decimal(draw, 6, 100)
        elif kind == "prior":
            region["prior_year_revenue"] = money(draw(st.integers(0, 10**7)))
            if draw(st.booleans()):
                region["growth"] = (draw(st.integers(0, 1000)) - 500) / 1000
        else:
            lock = draw(st.integers(0, max(0, n - locked)))
            locked += lock
            region["target"] = money(sign * lock)
        regions.append(region)
    free = [r for r in regions if "target" not in r]
    if free and not any(r.get("weight") or r.get("prior_year_revenue") for r in free):
        free[0]["weight"] = 1
    if not free:
        # every region fixed: the total is what they add up to
        n = locked
    products = []
    for i in range(n_products):
        product = {"name": f"P{i}", "bcg": draw(st.sampled_from(BCG)), "gross_margin": 0.25}
        if draw(st.integers(0, 4)) == 0:
            product["prior_year_revenue"] = money(draw(st.integers(1, 10**6)))
        else:
            product["weight"] = decimal(draw, 6, 50)
        products.append(product)
    if not any(p.get("weight") or p.get("prior_year_revenue") for p in products):
        products[-1]["weight"] = 1
    for region in regions:
        if draw(st.integers(0, 3)) == 0:
            mix = {p["name"]: decimal(draw, 4, 20) for p in products if draw(st.booleans())}
            if not any(mix.values()):
                mix[products[0]["name"]] = 1
            region["product_mix"] = mix
    reps = []
    for k in range(draw(st.integers(0, max_reps))):
        reps.append({"name": f"S{k}", "region": f"R{draw(st.integers(0, n_regions - 1))}",
                     "share": decimal(draw, 6, 5, zero_ok=True)})  # fmt: skip
    for region in regions:
        mine = [rep for rep in reps if rep["region"] == region["name"]]
        if mine and not any(rep["share"] for rep in mine):
            mine[0]["share"] = 1
    if draw(st.booleans()):
        season = {"quarters": [decimal(draw, 6, 100) for _ in range(4)]}
    else:
        season = {"months": [decimal(draw, 6, 100) for _ in range(12)]}
    weights = next(iter(season.values()))
    if not any(weights):
        weights[0] = 1
    return {
        "plan": {"company": "Generated", "year": 2027, "unit": unit, "total_target": money(sign * n),
                 "challenge_uplift": decimal(draw, 6, 1, zero_ok=False), "allow_negative": negative},  # fmt: skip
        "seasonality": season,
        "regions": regions,
        "products": products,
        "reps": reps,
    }
