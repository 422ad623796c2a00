"""The target cube and quotas: exact at every level of aggregation."""

import numpy as np
import pytest

from aop_xl import annual_quotas, load_plan, plan_targets, quotas, split
from aop_xl.engine.targets import target_units

from plans import random_plan


def units(series, unit):
    q = np.asarray(series, dtype=float) / unit
    assert np.allclose(q, np.round(q), rtol=1e-12, atol=1e-6)
    return np.round(q).astype(np.int64)


def test_sample_plan_worked_numbers():
    plan = load_plan()
    cube = plan_targets(plan)
    by_region = cube.groupby("region", observed=True)["target"].sum().round(2)
    assert by_region.to_dict() == {"East": 9_600_000, "West": 6_000_000, "South": 6_000_000, "Central": 2_400_000}
    by_quarter = cube.groupby("quarter", observed=True)["target"].sum().round(2)
    # Quarter weights 30/40/30/40 on each region-product, so within a cent per cell of 3/14, 4/14.
    assert by_quarter.sum() == 24_000_000
    assert abs(by_quarter["Q1"] - 24_000_000 * 30 / 140) < 1
    # An Nguyen has share 1.2 of East's 4.0: 9.6M x 1.2 / 4 = 2.88M; challenge x 1.2.
    q = annual_quotas(plan).set_index("rep")
    assert q.loc["An Nguyen", "base_quota"] == 2_880_000
    assert q.loc["An Nguyen", "challenge_quota"] == 3_456_000


def check_cube(plan):
    unit = plan.plan.unit
    t = target_units(plan)
    cube = plan_targets(plan)
    cu = units(cube["target"], unit)
    assert cu.sum() == t.total
    # region totals equal the split of the total; region x product the split of the region.
    frame = cube.assign(u=cu)
    regions = frame.groupby("region", observed=False, sort=False)["u"].sum().reindex(plan.region_names).to_numpy()
    assert regions.tolist() == t.regions.tolist()
    assert t.region_products.sum(axis=1).tolist() == t.regions.tolist()
    assert t.cells.sum(axis=2).tolist() == t.region_products.tolist()
    weights = plan.region_weights()
    expected = units(split(plan.total_target(), weights, unit=unit, locks=plan.region_locks() or None), unit)
    assert t.regions.tolist() == expected.tolist()
    if plan.reps:
        base, challenge = (units(annual_quotas(plan)[c], unit) for c in ("base_quota", "challenge_quota"))
        per_rep = frame.dropna(subset=["rep"]).groupby("rep", observed=False, sort=False)["u"].sum()
        assert per_rep.reindex(plan.rep_names).to_numpy().tolist() == base.tolist()
        # Every rep's months sum to its annual quota; the reps of a region sum to its target.
        q = quotas(plan)
        qb = units(q["base_quota"], unit).reshape(-1, 12)
        qc = units(q["challenge_quota"], unit).reshape(-1, 12)
        assert qb.sum(axis=1).tolist() == base.tolist()
        assert qc.sum(axis=1).tolist() == challenge.tolist()
        for i, region in enumerate(plan.regions):
            idx = plan.reps_of(region.name)
            if idx:
                assert base[idx].sum() == t.regions[i]
        # Every region x product x month cell is exactly the sum of its reps' parts.
        cells = frame.groupby(["region", "product", "month"], observed=False, sort=False)["u"].sum()
        assert cells.sum() == t.total


@pytest.mark.parametrize("seed", range(40))
def test_generated_plans_are_exact_at_every_level(seed):
    check_cube(random_plan(seed))


def test_sample_plan_is_exact_at_every_level():
    check_cube(load_plan())


def test_fiscal_year_starting_in_april():
    from tests_helpers import sample_with

    plan = sample_with(lambda d: d["plan"].update(fiscal_year_start=4))
    names = plan_targets(plan).drop_duplicates("month")["month_name"].tolist()
    assert names[:3] == ["Apr", "May", "Jun"] and names[-1] == "Mar"


# ---------------------------------------------------------------- margins first (docs/engine.md)

from fractions import Fraction  # noqa: E402

from aop_xl import plan_from_dict  # noqa: E402
from tests_helpers import sample_with  # noqa: E402
from aop_xl.engine.exact import integer_weights  # noqa: E402
from aop_xl.engine.targets import member_weights, month_weights, product_weights, rep_cells  # noqa: E402


def direct_split(n, weights):
    """Largest remainder with Fractions: the reference for every margin."""
    total = sum(weights)
    if n == 0 or total == 0:
        return [0] * len(weights)
    shares = [Fraction(n * w, total) for w in weights]
    parts = [s.numerator // s.denominator for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[: n - sum(parts)]:
        parts[i] += 1
    return parts


def company_months_reference(n, mw):
    quarters = direct_split(n, [sum(mw[3 * q: 3 * q + 3]) for q in range(4)])
    return [m for q in range(4) for m in direct_split(quarters[q], list(mw[3 * q: 3 * q + 3]))]


def running_within_one(table, totals, weights):
    """Every row's running total through every column is the floor or ceiling of its exact one."""
    total_w = sum(weights)
    for row, t in zip(np.asarray(table).tolist(), np.asarray(totals).tolist()):
        got, cum = 0, 0
        for cell, w in zip(row, weights):
            got += cell
            cum += w
            exact = Fraction(t * cum, total_w)
            if not (exact - 1 < got < exact + 1):
                return False
    return True


def check_margins_first(plan, running=True):
    """Every margin is the plan's own split; every table exact on both margins; cells within
    two units of their exact share, never negative (on magnitudes)."""
    t = target_units(plan)
    s = t.sign
    mw = [int(x) for x in month_weights(plan)]
    regions, months, rm = s * t.regions, s * t.months, s * t.region_months
    n = abs(t.total)
    assert int(regions.sum()) == n
    assert months.tolist() == company_months_reference(n, mw)
    # region x month: both margins
    assert rm.sum(axis=1).tolist() == regions.tolist()
    assert rm.sum(axis=0).tolist() == months.tolist()
    rp = s * t.region_products
    assert rp.sum(axis=1).tolist() == regions.tolist()
    pw, uses_global = product_weights(plan)
    for i, r in enumerate(plan.regions):
        if not uses_global[i]:
            assert rp[i].tolist() == direct_split(int(regions[i]), pw[i].tolist())
    if uses_global.any():
        glob = pw[np.flatnonzero(uses_global)[0]].tolist()
        table = rp[uses_global]
        totals = direct_split(int(regions[uses_global].sum()), glob)
        assert table.sum(axis=0).tolist() == totals
        # Cells within two units of the share proportional to both margins; running totals
        # along the products within one unit of theirs.
        grand = int(regions[uses_global].sum())
        if grand:
            both = regions[uses_global][:, None] * (np.array(totals) / grand)
            assert np.abs(table - both).max(initial=0) < 2
            assert running_within_one(table, regions[uses_global], totals)
        assert (table >= 0).all()
    cells = s * t.cells
    assert cells.sum(axis=2).tolist() == rp.tolist()
    assert cells.sum(axis=1).tolist() == rm.tolist()
    assert (cells >= 0).all() and (rm >= 0).all()
    total_w = sum(mw)
    exact = regions[:, None] * (np.array(mw) / total_w)
    assert np.abs(rm - exact).max(initial=0) < 2
    exact_cells = rp[:, :, None] * (np.array(mw) / total_w)
    assert np.abs(cells - exact_cells).max(initial=0) < 2
    if running:
        # A region's month row is a running split of its total: its products track it within a unit.
        for i in range(len(plan.regions)):
            assert running_within_one(cells[i], rp[i], mw)
    if plan.reps:
        base, bm = s * t.rep_base, s * t.rep_base_months
        ch, cm = s * t.rep_challenge, s * t.rep_challenge_months
        assert bm.sum(axis=1).tolist() == base.tolist()
        assert cm.sum(axis=1).tolist() == ch.tolist()
        assert (bm >= 0).all() and (cm >= 0).all()
        for i, r in enumerate(plan.regions):
            idx = plan.reps_of(r.name)
            if idx:
                shares = integer_weights([plan.reps[k].share for k in idx]).tolist()
                assert base[idx].tolist() == direct_split(int(regions[i]), shares)
                assert bm[idx].sum(axis=0).tolist() == rm[i].tolist()
                assert cm[idx].sum(axis=0).tolist() == company_months_reference(int(ch[idx].sum()), mw)
        per_rep = s * rep_cells(plan, t)
        assert per_rep.sum(axis=1).tolist() == bm.tolist()
        assert (per_rep >= 0).all()
        for i, r in enumerate(plan.regions):
            idx = plan.reps_of(r.name)
            if idx:
                assert per_rep[idx].sum(axis=0).tolist() == cells[i].tolist()
    return t


def plan_dict(total, unit, regions, products=8, quarters=(30, 40, 30, 40), reps=None, **header):
    return {
        "plan": {"company": "Co", "year": 2027, "unit": unit, "total_target": total, **header},
        "seasonality": {"quarters": list(quarters)},
        "regions": [{"name": f"R{i}", "market": "core", "weight": w} for i, w in enumerate(regions)],
        "products": [{"name": f"P{j}", "bcg": "star", "weight": w, "gross_margin": 0.4}
                     for j, w in enumerate(products if isinstance(products, list) else [1] * products)],
        "reps": reps or [],
    }


def test_company_quarters_are_the_direct_split_whatever_the_regions():
    # 1,000,000 in thousands, quarters 30/40/30/40, 5 regions, 8 products.
    plan = plan_from_dict(plan_dict(1_000_000, 1000, [30, 25, 20, 15, 10], products=[30, 25, 15, 12, 10, 8, 5, 3]))
    t = check_margins_first(plan)
    assert t.quarters.tolist() == [214, 286, 214, 286]
    assert t.months.tolist() == [72, 71, 71, 96, 95, 95, 72, 71, 71, 96, 95, 95]
    # Equal-weight quarters are equal for every region to within the rounding of its running total.
    q = t.region_months.reshape(-1, 4, 3).sum(axis=2)
    assert (np.abs(q[:, 0] - q[:, 2]) <= 2).all() and (np.abs(q[:, 1] - q[:, 3]) <= 2).all()
    assert running_within_one(t.region_months, t.regions, [int(x) for x in month_weights(plan)])


def test_sample_quarters_at_cents():
    t = target_units(load_plan())
    assert t.quarters.tolist() == [514_285_714, 685_714_286, 514_285_714, 685_714_286]
    check_margins_first(load_plan())


def test_a_billion_at_cents_with_reps_is_exact():
    reps = [{"name": "E1", "region": "R0"}, {"name": "W1", "region": "R1"}]
    plan = plan_from_dict(plan_dict(1_000_000_000, 0.01, [60, 40], reps=reps))
    t = check_margins_first(plan)
    assert t.regions.tolist() == [60_000_000_000, 40_000_000_000]
    assert t.rep_base.tolist() == [60_000_000_000, 40_000_000_000]
    assert t.rep_challenge.tolist() == [72_000_000_000, 48_000_000_000]


def test_the_sample_at_2_4_billion():
    def scale(d):
        d["plan"]["total_target"] = 2_400_000_000
    check_margins_first(sample_with(scale))


def test_near_the_bound_in_dong():
    plan = plan_from_dict(plan_dict(200 * 10**12, 1, [1, 1], currency="VND"))
    t = check_margins_first(plan)
    assert t.regions.tolist() == [100 * 10**12, 100 * 10**12]
    derived = plan_dict(None, 1, [1, 1], currency="VND", prior_year_revenue=150 * 10**12, growth=0.05)
    derived["plan"].pop("total_target")
    assert target_units(plan_from_dict(derived)).total == 157_500_000_000_000


def test_reps_monthly_quotas_are_the_cube_rows():
    plan = load_plan()
    t = check_margins_first(plan)
    per_rep = rep_cells(plan, t)
    assert per_rep.sum(axis=1).tolist() == t.rep_base_months.tolist()
    # The reps of East add up to East's months, month by month (one authority).
    east = plan.reps_of("East")
    assert t.rep_base_months[east].sum(axis=0).tolist() == t.region_months[0].tolist()


def test_planned_decline_negates_every_table():
    def decline(d):
        d["plan"].update(total_target=-2_400_000, allow_negative=True)
    plan = sample_with(decline)
    t = check_margins_first(plan)
    assert t.total == -240_000_000 and (t.cells <= 0).all() and (t.rep_base_months <= 0).all()
    assert t.quarters.tolist() == [-51_428_571, -68_571_429, -51_428_571, -68_571_429]


@pytest.mark.parametrize("seed", range(40, 56))
def test_generated_plans_margins_first(seed):
    check_margins_first(random_plan(seed))


def test_forty_by_sixty_with_two_hundred_reps():
    plan = random_plan(7, max_regions=40, max_products=60, max_reps=200)
    d = __import__("plans").random_plan_dict(7, max_regions=40, max_products=60, max_reps=200)
    d["regions"] = d["regions"] + [{"name": f"Extra {i}", "market": "new", "weight": 1} for i in range(40 - len(d["regions"]))]
    d["products"] = d["products"] + [{"name": f"X{j}", "bcg": "dog", "weight": 2, "gross_margin": 0.1}
                                     for j in range(60 - len(d["products"]))]
    d["reps"] = [{"name": f"Rep {k}", "region": d["regions"][k % 40]["name"], "share": 1 + k % 3} for k in range(200)]
    d["plan"]["total_target"] = 1_500_000_000
    d["plan"]["unit"] = 0.01
    plan = plan_from_dict(d)
    t = check_margins_first(plan)
    assert t.deviation < 2


def test_plan_check_prints_the_engines_exact_totals_at_a_billion():
    from aop_xl.report import plan_results, plan_summary_text

    reps = [{"name": "E1", "region": "R0"}, {"name": "W1", "region": "R1"}]
    plan = plan_from_dict(plan_dict(1_000_000_000, 0.01, [60, 40], reps=reps))
    text = plan_summary_text(plan)
    assert "R0      600,000,000.00   60.0%" in text and "R1      400,000,000.00   40.0%" in text
    assert "Largest distance of a table cell from its exact share:" in text
    data = plan_results(plan)
    assert data["regions"] == {"R0": 600_000_000.0, "R1": 400_000_000.0}
    assert sum(data["quarters"].values()) == 1_000_000_000
    assert data["largest_share_deviation_units"] < 2


# ---------------------------------------------------------------- running-total rounding, table by table

import warnings  # noqa: E402

import reference as ref  # noqa: E402
from aop_xl.engine.exact import running_rounding  # noqa: E402
from aop_xl.errors import PlanError  # noqa: E402


def random_table(rng, weighted: bool, shape=None, weights=None):
    """Row totals, column totals and column weights of a small table. The column totals need
    not follow the weights (rows run ahead or behind: units are taken back or given beyond
    one per row), and a column of weight 0 has a total of 0."""
    n_rows, n_cols = shape or (int(rng.integers(1, 6)), int(rng.integers(1, 8)))
    if weights is None:
        weights = rng.integers(0, 4, size=n_cols) if weighted else np.ones(n_cols, dtype=np.int64)
        if not weights.any():
            weights[-1] = 1
    total = int(rng.integers(0, 40))
    rows = rng.multinomial(total, np.full(n_rows, 1 / n_rows))
    live = np.flatnonzero(weights)
    cols = np.zeros(n_cols, dtype=np.int64)
    cols[live] = rng.multinomial(total, np.full(live.size, 1 / live.size))
    return rows, cols, weights


def test_running_rounding_matches_the_reference_table_by_table():
    rng = np.random.default_rng(7)
    for case in range(400):
        weighted = case % 2 == 0
        rows, cols, weights = random_table(rng, weighted)
        want = ref.running_table(rows.tolist(), cols.tolist(), weights.tolist() if weighted else cols.tolist())
        got = running_rounding(rows[None, :], cols[None, :], weights if weighted else None)
        assert got.dtype == np.int64
        assert got[0].tolist() == want, (rows, cols, weights)


def test_running_rounding_of_a_batch_is_each_table_on_its_own():
    # Tables of one batch share a shape (rows padded with zeros) and may have their own weights;
    # one of them is empty, with column weights all 0: it stays all zeros, without a warning.
    rng = np.random.default_rng(8)
    tables = [random_table(rng, True, shape=(4, 5)) for _ in range(12)]
    tables.append((np.zeros(4, np.int64), np.zeros(5, np.int64), np.zeros(5, np.int64)))
    rows, cols, weights = (np.array(x) for x in zip(*tables))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = running_rounding(rows, cols, weights)
        across = running_rounding(rows, cols)
    assert batch.dtype == across.dtype == np.int64
    for b, (r, c, w) in enumerate(tables):
        want = ref.running_table(r.tolist(), c.tolist(), w.tolist()) if w.any() else np.zeros((4, 5), int).tolist()
        assert batch[b].tolist() == want
        assert across[b].tolist() == ref.running_table(r.tolist(), c.tolist(), c.tolist())
    # One set of column weights for every table, as the cube passes the month weights.
    month_w = np.array([3, 0, 1, 2, 0])
    tables = [random_table(rng, True, shape=(3, 5), weights=month_w) for _ in range(12)]
    rows, cols, _ = (np.array(x) for x in zip(*tables))
    shared = running_rounding(rows, cols, month_w)
    for b, (r, c, _) in enumerate(tables):
        assert shared[b].tolist() == ref.running_table(r.tolist(), c.tolist(), month_w.tolist())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([[3, 1]], [[2, 1]], [1, 1]), "margins: row totals and column totals disagree"),
        (([[3, 1]], [[2, 2]], [1, 0]), "margins: a column of weight 0 has a total other than 0"),
    ],
)
def test_running_rounding_refuses_margins_that_cannot_be_met(args, message):
    with pytest.raises(PlanError) as err:
        running_rounding(*args)
    assert str(err.value) == message


# ---------------------------------------------------------------- the largest distance from the exact share

from aop_xl.engine.exact import share_deviation  # noqa: E402


def test_share_deviation_by_hand():
    # One row of 3 over two months of equal weight: exact 1.5 each, cells 2 and 1.
    assert share_deviation(np.array([[[2, 1]]]), np.array([[3]]), np.array([1, 1])) == 0.5
    # Without weights the columns' own totals: [2, 3] of 5, so rows of 2 and 3 are exactly
    # 0.8, 1.2 and 1.2, 1.8; every cell is 0.2 away. An empty table in the batch adds nothing.
    cells = np.array([[[1, 1], [1, 2]], [[0, 0], [0, 0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert share_deviation(cells, np.array([[2, 3], [0, 0]])) == pytest.approx(0.2, abs=1e-12)
    assert share_deviation(np.zeros((1, 0, 12)), np.zeros((1, 0))) == 0.0


def exact_deviation(plan, t) -> Fraction:
    """The largest |cell - exact share| of the plan's tables, in Fractions (docs/engine.md)."""
    s = t.sign
    mw = [int(x) for x in month_weights(plan)]
    total_w = sum(mw)
    worst = Fraction(0)

    def by_months(table, totals):
        nonlocal worst
        for row, tot in zip((s * np.asarray(table)).tolist(), (s * np.asarray(totals)).tolist()):
            for cell, w in zip(row, mw):
                worst = max(worst, abs(cell - Fraction(tot * w, total_w)))

    by_months(t.region_months, t.regions)
    for i in range(len(plan.regions)):
        by_months(t.cells[i], t.region_products[i])
    by_months(t.rep_base_months, t.rep_base)
    _, uses_global = product_weights(plan)
    table = (s * t.region_products[uses_global]).tolist()
    grand = sum(map(sum, table))
    columns = [sum(col) for col in zip(*table)] if table else []
    for row in table:
        for cell, col in zip(row, columns):
            worst = max(worst, abs(cell - Fraction(sum(row) * col, grand)))
    return worst


@pytest.mark.parametrize("seed", [3, 11, 19, 54, 94])
def test_the_largest_distance_reported_is_the_exact_one(seed):
    for plan in (random_plan(seed, max_regions=6, max_products=8, max_reps=10), load_plan()):
        t = target_units(plan)
        # To the 6 decimals plan check reports (floats of shares of a billion cents are off by 1e-9).
        assert t.deviation == pytest.approx(float(exact_deviation(plan, t)), abs=1e-6)
    # The sample plan: every cell is within a unit of its share, none exactly on it.
    assert 0 < target_units(load_plan()).deviation < 1


def test_the_cube_names_quarters_and_months_of_the_fiscal_year():
    plan = sample_with(lambda d: d["plan"].update(fiscal_year_start=4))
    cube = plan_targets(plan)
    months = cube.drop_duplicates("month").sort_values("month")
    assert months["quarter"].astype(str).tolist() == ["Q1"] * 3 + ["Q2"] * 3 + ["Q3"] * 3 + ["Q4"] * 3
    assert months["month_name"].astype(str).tolist() == ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
                                                         "Jan", "Feb", "Mar"]
    q = quotas(plan).drop_duplicates("month")
    assert q["quarter"].astype(str).tolist() == ["Q1"] * 3 + ["Q2"] * 3 + ["Q3"] * 3 + ["Q4"] * 3
    assert q["month_name"].astype(str).tolist() == months["month_name"].astype(str).tolist()


def test_rep_cells_are_whole_units():
    plan = load_plan()
    t = target_units(plan)
    cells = rep_cells(plan, t)
    assert cells.dtype == np.int64 and cells.shape == (len(plan.reps), len(plan.products), 12)
    for name in ("quarters", "months", "regions", "region_months", "region_products", "cells", "rep_base",
                 "rep_base_months", "rep_challenge", "rep_challenge_months"):
        assert getattr(t, name).dtype == np.int64, name


def test_the_fiscal_calendar():
    from aop_xl.engine.calendar import fiscal_month_names
    from aop_xl.engine.targets import quarter_of

    assert fiscal_month_names() == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert fiscal_month_names(12)[:2] == ["Dec", "Jan"]
    assert [quarter_of(p) for p in range(1, 13)] == ["Q1"] * 3 + ["Q2"] * 3 + ["Q3"] * 3 + ["Q4"] * 3


def _refusal(change) -> str:
    with pytest.raises(PlanError) as err:
        sample_with(change)
    return str(err.value)


def test_plan_totals_and_weights_the_engine_cannot_keep_exact_are_refused_naming_the_field():
    bound = ("more than 250,000,000,000,000 units (2,500,000,000,000.00 at a unit of 0.01), the largest amount "
             "kept exact")
    assert _refusal(lambda d: d["plan"].update(total_target=1e20)) == f"plan.total_target: {bound}"

    def derived(d):
        d["plan"].pop("total_target")
        d["plan"].update(prior_year_revenue=2e12, growth=0.5)
    assert _refusal(derived) == f"plan.total_target: {bound}"

    def heavy(d):
        for r in d["regions"]:
            r["weight"] = 1e15
    assert _refusal(heavy) == ("regions: the weights are too large to keep exact (as whole numbers at 0 decimal places "
                               "they add up to 4,000,000,000,000,000, more than 2^48); weights are relative: use "
                               "smaller numbers")


def test_weights_and_prior_year_revenues_the_engine_cannot_keep_exact_name_their_field():
    bound = ("more than 250,000,000,000,000 units (2,500,000,000,000.00 at a unit of 0.01), the largest amount "
             "kept exact")
    too_large = ("the weights are too large to keep exact (as whole numbers at 0 decimal places they add up to {}, more "
                 "than 2^48); weights are relative: use smaller numbers")

    def revenue(kind):
        def change(d):
            d[kind][0].pop("weight")
            d[kind][0]["prior_year_revenue"] = 1e20
        return change
    assert _refusal(revenue("regions")) == f"regions[0].prior_year_revenue: {bound}"
    assert _refusal(revenue("products")) == f"products[0].prior_year_revenue: {bound}"
    assert _refusal(lambda d: d["seasonality"].update(quarters=[1e15] * 4)) == \
        "seasonality.quarters: " + too_large.format("12,000,000,000,000,000")

    def months(d):
        d["seasonality"].pop("quarters")
        d["seasonality"]["months"] = [1e15] * 12
    assert _refusal(months) == "seasonality.months: " + too_large.format("12,000,000,000,000,000")
    assert _refusal(lambda d: [p.update(weight=1e15) for p in d["products"]]) == \
        "products: " + too_large.format("6,000,000,000,000,000")
    assert _refusal(lambda d: d["regions"][2].update(product_mix={p["name"]: 1e15 for p in d["products"]})) == \
        "regions[2].product_mix: " + too_large.format("6,000,000,000,000,000")


def test_global_product_weights_no_region_uses_are_not_split():
    # Every region has its own mix: the products' own weights (too large to keep exact) take no part.
    def own_mixes(d):
        for r in d["regions"]:
            r["product_mix"] = {d["products"][0]["name"]: 1, d["products"][1]["name"]: 3}
        for p in d["products"]:
            p["weight"] = 1e15
    plan = sample_with(own_mixes)
    t = check_margins_first(plan)
    assert t.region_products[:, :2].tolist() == [[r // 4, r - r // 4] for r in t.regions.tolist()]
    assert not t.region_products[:, 2:].any()


def test_the_cube_of_a_plan_is_computed_once_read_only_and_forgotten_with_the_plan():
    import gc

    from aop_xl.engine import targets

    plan = sample_with(lambda d: d["plan"].update(total_target=12_000_000))
    t = target_units(plan)
    assert target_units(plan) is t
    with pytest.raises(ValueError):
        t.cells[0, 0, 0] = 1  # no caller can change the cube every other caller reads
    key = id(plan)
    assert key in targets._CACHE
    del plan, t
    gc.collect()
    assert key not in targets._CACHE


def test_a_challenge_quota_beyond_the_bound_is_refused():
    doc = plan_dict(2e12, 0.01, [1], reps=[{"name": "A", "region": "R0"}], challenge_uplift=0.5)
    with pytest.raises(PlanError) as err:
        plan_from_dict(doc)
    assert str(err.value) == "reps: challenge quota: more than 250,000,000,000,000 units, the largest amount kept exact"


def test_products_whose_prior_year_revenues_round_to_no_unit():
    def tiny(total):
        def change(d):
            d["plan"]["total_target"] = total
            for p in d["products"]:
                p.pop("weight")
                p.update(prior_year_revenue=0.004, growth=0)  # less than half a cent: weight 0
        return change
    assert _refusal(tiny(0.01)) == "products: weights are all zero"
    # Nothing to split: a plan of 0 needs no product weight.
    t = target_units(sample_with(tiny(0)))
    assert t.total == 0 and not t.cells.any()


def test_a_plan_without_reps_has_empty_quota_tables():
    t = target_units(sample_with(lambda d: d.update(reps=[])))
    for name in ("rep_base", "rep_challenge"):
        assert getattr(t, name).shape == (0,) and getattr(t, name).dtype == np.int64
    for name in ("rep_base_months", "rep_challenge_months"):
        assert getattr(t, name).shape == (0, 12) and getattr(t, name).dtype == np.int64


def test_the_quota_tables_columns_rows_and_shares():
    plan = load_plan()
    a = annual_quotas(plan)
    assert list(a.columns) == ["rep", "region", "share", "base_quota", "challenge_quota"]
    assert a["share"].tolist() == [r.share for r in plan.reps] and a["rep"].tolist() == plan.rep_names
    q = quotas(plan)
    assert list(q.columns) == ["rep", "region", "quarter", "month", "month_name", "base_quota", "challenge_quota"]
    assert q["month"].tolist() == list(range(1, 13)) * len(plan.reps)
    assert q["rep"].astype(str).tolist() == [name for name in plan.rep_names for _ in range(12)]
    assert q["region"].tolist() == [r.region for r in plan.reps for _ in range(12)]
    t = target_units(plan)
    assert (q["base_quota"] * 100).round().astype(int).tolist() == t.rep_base_months.reshape(-1).tolist()
    assert (q["challenge_quota"] * 100).round().astype(int).tolist() == t.rep_challenge_months.reshape(-1).tolist()
    empty = quotas(sample_with(lambda d: d.update(reps=[])))
    assert empty.empty and list(empty.columns) == list(q.columns)
