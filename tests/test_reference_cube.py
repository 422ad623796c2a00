"""The target cube and quotas against the exact reference, cell for cell, and the invariants
docs/engine.md promises ("margins first", "running-total rounding")."""

from __future__ import annotations

import copy
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference as ref
from aop_xl import annual_quotas, plan_from_dict, plan_targets, quotas
from tests_helpers import sample_dict

MARKETS = ["core", "growth", "new"]
BCG = ["star", "cash_cow", "question_mark", "dog"]


# --------------------------------------------------------------------------- the engine's cube, read back


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


def assert_same_cube(doc: dict) -> tuple[ref.Cube, EngineCube]:
    """The engine's cube equals the reference's, level by level (the first level that
    differs is named), then cell for cell."""
    want = ref.cube(doc)
    got = EngineCube(doc)
    for level in ("total", "regions", "quarters", "months", "region_months", "region_products",
                  "product_months", "rep_base", "rep_challenge", "rep_base_months", "rep_challenge_months"):  # fmt: skip
        assert getattr(got, level) == getattr(want, level), level
    assert got.cells == want.cells
    # A rep's rows of the cube add up to its monthly quotas (the one authority for them).
    assert got.rep_cube_months == got.rep_base_months
    return want, got


# --------------------------------------------------------------------------- invariants


def table_ok(table, rows, cols, weights, what: str):
    """A table between two margins: exact on both, every cell within two units of its exact
    share t_i x s_j / W, none negative, rows' running totals within two units of exact."""
    assert [sum(r) for r in table] == list(rows), f"{what}: rows"
    assert [sum(r[j] for r in table) for j in range(len(cols))] == list(cols), f"{what}: columns"
    total_w = sum(weights)
    for i, t in enumerate(rows):
        running = 0
        for j, s in enumerate(weights):
            cell = table[i][j]
            assert cell >= 0, f"{what}: negative cell"
            assert abs(cell - Fraction(t * s, total_w)) < 2, f"{what}: cell ({i}, {j}) {cell} far from its share"
            running += cell
            assert abs(running - ref.exact_running(t, weights, j)) < 2, f"{what}: running total ({i}, {j})"


def check_invariants(doc: dict, got: EngineCube):
    """Every margin is the direct split of its parent; every table agrees with both margins.

    Uses only the reference's splits and exact shares, not its table rounding, so it holds
    whatever reading of running-total rounding the engine takes.
    """
    h = doc["plan"]
    n = abs(got.total)
    sign = -1 if got.total < 0 else 1

    def mag(x):
        return [mag(v) for v in x] if isinstance(x, list) else sign * x

    r_ = mag(got.regions)
    assert got.total == ref.plan_total_units(doc)
    want = ref.cube(doc)  # for the whole weights of each split only
    w = want.weights
    locks = {i: abs(ref.units(r["target"], h.get("unit", 0.01))) for i, r in enumerate(doc["regions"])
             if r.get("target") is not None}  # fmt: skip
    assert r_ == ref.split_units(n, w["regions"], locks), "regions: the direct split of the total"
    quarters, months = ref.quarters_first(n, w["months"])
    assert mag(got.quarters) == quarters and mag(got.months) == months, "company quarters then months"
    region_months = mag(got.region_months)
    table_ok(region_months, r_, months, w["months"], "region x month")
    region_products = mag(got.region_products)
    for i in range(len(doc["regions"])):
        if ("mix", i) in w:
            assert region_products[i] == ref.largest_remainder(r_[i], w[("mix", i)]), "own mix: direct split"
        table_ok(mag(got.product_months[i]), region_products[i], region_months[i], w["months"], "product x month")
    g = want.global_regions
    if g:
        totals = ref.largest_remainder(sum(r_[i] for i in g), w["products"])
        table_ok([region_products[i] for i in g], [r_[i] for i in g], totals, w["products"], "region x product")
    reps = doc.get("reps") or []
    base, chal = mag(got.rep_base), mag(got.rep_challenge)
    base_m, chal_m = mag(got.rep_base_months), mag(got.rep_challenge_months)
    uplift = ref.dec(h.get("challenge_uplift", 0.2))
    for i, region in enumerate(doc["regions"]):
        idx = [k for k, rep in enumerate(reps) if rep["region"] == region["name"]]
        if not idx:
            continue
        assert [base[k] for k in idx] == ref.largest_remainder(r_[i], w[("shares", i)]), "base: split of the region"
        assert [chal[k] for k in idx] == [ref.round_half_away(base[k] * (1 + uplift)) for k in idx], "challenge"
        table_ok([base_m[k] for k in idx], [base[k] for k in idx], region_months[i], w["months"], "rep x month")
        _, chal_cols = ref.quarters_first(sum(chal[k] for k in idx), w["months"])
        table_ok([chal_m[k] for k in idx], [chal[k] for k in idx], chal_cols, w["months"], "rep x month, challenge")
        col_w = w.get(("mix", i), w["products"])
        for m in range(12):
            table = [[sign * got.cells[(i, p, k, m)] for p in range(len(doc["products"]))] for k in idx]
            product_cols = [row[m] for row in mag(got.product_months[i])]
            table_ok(table, [base_m[k][m] for k in idx], product_cols, col_w, "rep x product")


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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=plan_docs())
def test_generated_plans_match_the_reference_cell_for_cell(doc):
    _, got = assert_same_cube(doc)
    check_invariants(doc, got)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=plan_docs(max_regions=3, max_products=3, max_reps=5, totals=st.integers(1, 30)))
def test_small_totals_where_every_unit_is_a_tie_break(doc):
    # A handful of units over many cells: every cell is decided by the tie rules.
    _, got = assert_same_cube(doc)
    check_invariants(doc, got)


# --------------------------------------------------------------------------- worked numbers


def simple_doc(total, unit, quarters=(30, 40, 30, 40), regions=(1,), products=(1,), reps=(), **plan):
    return {
        "plan": {"company": "X", "year": 2027, "unit": unit, "total_target": total, **plan},
        "seasonality": {"quarters": list(quarters)},
        "regions": [{"name": f"R{i}", "market": "core", "weight": w} for i, w in enumerate(regions)],
        "products": [{"name": f"P{i}", "bcg": "star", "weight": w, "gross_margin": 0.3} for i, w in enumerate(products)],
        "reps": [{"name": f"S{k}", "region": f"R{r}", "share": s} for k, (r, s) in enumerate(reps)],
    }


@pytest.mark.parametrize("regions, products", [((1,), (1,)), ((3, 1, 7), (2, 5)), ((1,) * 9, (1, 2, 3, 4, 5, 6, 7))])
def test_quarters_of_the_docs_whatever_the_regions(regions, products):
    # 1,000,000 in thousands with quarters 30/40/30/40.
    got = EngineCube(simple_doc(1_000_000, 1000, regions=regions, products=products))
    assert got.quarters == [214, 286, 214, 286]
    assert got.months == [72, 71, 71, 96, 95, 95, 72, 71, 71, 96, 95, 95]


def test_sample_plan_matches_the_reference():
    want, got = assert_same_cube(sample_dict())
    check_invariants(sample_dict(), got)
    assert got.regions == [960_000_000, 600_000_000, 600_000_000, 240_000_000]
    assert got.rep_base[0] == 288_000_000 and got.rep_challenge[0] == 345_600_000


def test_a_planned_decline_is_the_negated_cube():
    doc = sample_dict()
    down = copy.deepcopy(doc)
    down["plan"]["total_target"] = -24_000_000
    down["plan"]["allow_negative"] = True
    up_cube, down_cube = EngineCube(doc), EngineCube(down)
    assert down_cube.cells == {k: -v for k, v in up_cube.cells.items()}
    assert down_cube.rep_base == [-x for x in up_cube.rep_base]
    assert down_cube.rep_challenge == [-x for x in up_cube.rep_challenge]
    assert down_cube.rep_base_months == [[-x for x in row] for row in up_cube.rep_base_months]
    assert down_cube.rep_challenge_months == [[-x for x in row] for row in up_cube.rep_challenge_months]
    assert_same_cube(down)


def test_equal_weight_quarters_are_equal_to_within_the_one_unit_of_the_earlier_member():
    for n in (7, 1_001, 10**9 + 3, 123_456_789_013):
        got = EngineCube(simple_doc(n, 1, quarters=(1, 1, 1, 1), regions=(3, 2), products=(1, 1, 1)))
        assert max(got.quarters) - min(got.quarters) <= 1
        assert got.quarters == sorted(got.quarters, reverse=True), "the extra units go to the earlier quarters"


def test_ties_go_to_the_earlier_member_at_every_level():
    # 3 units over two equal regions, two equal products, two equal reps, equal months.
    got = EngineCube(simple_doc(3, 1, quarters=(1, 1, 1, 1), regions=(1, 1), products=(1, 1), reps=((0, 1), (0, 1))))
    assert got.regions == [2, 1]
    assert got.quarters == [1, 1, 1, 0]
    assert got.rep_base == [1, 1]
    assert got.region_products[0] == [1, 1] and got.region_products[1] == [1, 0]
    assert_same_cube(simple_doc(3, 1, quarters=(1, 1, 1, 1), regions=(1, 1), products=(1, 1), reps=((0, 1), (0, 1))))


# --------------------------------------------------------------------------- big plans (few examples)


def big_doc(n_regions, n_products, n_reps, unit, total, seed=0):
    import random

    rng = random.Random(seed)
    doc = simple_doc(total, unit, quarters=(30, 40, 30, 40),
                     regions=[rng.randint(1, 100) for _ in range(n_regions)],
                     products=[round(rng.uniform(0.5, 20), 2) for _ in range(n_products)])  # fmt: skip
    doc["reps"] = [{"name": f"S{k}", "region": f"R{rng.randrange(n_regions)}", "share": rng.choice([1, 1, 2, 0.5, 1.25])}
                   for k in range(n_reps)]  # fmt: skip
    doc["regions"][0]["product_mix"] = {f"P{p}": rng.randint(0, 9) for p in range(0, n_products, 2)}
    doc["regions"][0]["product_mix"]["P0"] = 1
    return doc


@pytest.mark.parametrize(
    "n_regions, n_products, n_reps, unit, total",
    [
        (5, 8, 12, 1000, 1_000_000_000),
        (3, 4, 9, 0.01, 1_234_567_890.12),
        (4, 6, 10, 1, 249_999_999_999_999),
        (40, 60, 200, 1, 2_000_000_003),
    ],
)
def test_big_plans_match_the_reference(n_regions, n_products, n_reps, unit, total):
    doc = big_doc(n_regions, n_products, n_reps, unit, total)
    _, got = assert_same_cube(doc)
    check_invariants(doc, got)
