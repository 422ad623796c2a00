"""An independent, exact reference for every planning rule.

Written from the project's domain description and docs/engine.md only: plain Python with
``int`` and ``fractions.Fraction``, no numpy, nothing imported from ``aop_xl``. The tests
compare the engine with it; where the two disagree, the rule as written here is the one the
docs state. Every place where the docs leave a choice open says which reading is taken
("Reading:").

Amounts come in as numbers (int, float, Decimal, str) and are read as the decimal they are
written as: a float is taken by its shortest representation (``0.07`` is 7/100, not the
nearest double), which is what a finance user typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import combinations, product as cartesian

# --------------------------------------------------------------------------- constants

#: Every amount is at most this many units in magnitude (docs/engine.md, "the size bound").
SIZE_BOUND = 250_000_000_000_000
#: Whole-number weights above this sum are reduced by a power of ten.
WEIGHT_SUM_REDUCE = 2**31
#: Whole-number weights may not add up to more than this at all.
WEIGHT_SUM_LIMIT = 2**48
#: Weights have at most this many decimal places.
WEIGHT_DECIMALS = 6

DEFAULT_MARKET_GROWTH = {"core": "0.05", "growth": "0.20", "new": "0"}
DEFAULT_BCG_GROWTH = {"star": "0.25", "cash_cow": "0.03", "question_mark": "0.15", "dog": "-0.10"}
DEFAULT_TIERS = ((0, "0.01"), ("base", "0.015"), ("challenge", "0.02"))


class RefError(ValueError):
    """The input breaks a rule: the engine must refuse it too."""


# --------------------------------------------------------------------------- numbers


def dec(x) -> Fraction:
    """A number as the exact decimal it is written as (floats by their shortest repr)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        raise RefError(f"not a number: {x!r}")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, (Decimal, str)):
        return Fraction(Decimal(x))
    return Fraction(Decimal(repr(float(x))))


def decimal_places(x) -> int:
    """Decimal places of a number as written (30.0 has 0, 1.25 has 2, 1e-07 has 7)."""
    if isinstance(x, Fraction):
        d = 0
        while (x * 10**d).denominator != 1:
            d += 1
            if d > 40:
                raise RefError(f"{x} is not a decimal")
        return d
    text = repr(float(x)) if isinstance(x, float) else str(x)
    exponent = Decimal(text).normalize().as_tuple().exponent
    return max(0, -exponent)


def round_half_away(x: Fraction) -> int:
    """Nearest whole number, halves away from zero (Excel's ROUND)."""
    x = Fraction(x)
    up = abs(x) + Fraction(1, 2)
    whole = up.numerator // up.denominator
    return whole if x >= 0 else -whole


def round_places(x: Fraction, places: int) -> Fraction:
    """``x`` rounded to ``places`` decimals, halves away from zero.

    Reading: the docs round lags, attainment and gap percentages "to 12 decimals" without
    naming the rule for an exact half at the 13th decimal; halves away from zero is taken.
    """
    scale = 10**places
    return Fraction(round_half_away(Fraction(x) * scale), scale)


#: An amount counts as whole units within 1e-9 + 1e-13 x its size of a whole number of units
#: (the representation error of a decimal amount held in binary floating point).
WHOLE_SLACK = Fraction(1, 10**9)
WHOLE_SLACK_REL = Fraction(1, 10**13)


def units(amount, unit, *, round_total: bool = False, field: str = "amount") -> int:
    """An amount as a whole number of units; refuses a fraction of a unit unless rounding.

    Written decimals are exact here, but generated amounts (``n * 0.01``) carry the binary
    representation error the docs tolerate, so the same tolerance applies.
    """
    q = dec(amount) / dec(unit)
    nearest = round_half_away(q)
    if q.denominator == 1 or abs(q - nearest) <= WHOLE_SLACK + WHOLE_SLACK_REL * abs(q):
        return nearest
    if not round_total:
        raise RefError(f"{field}: {amount} is not a multiple of the unit {unit}")
    return nearest


def check_bound(n: int, field: str = "amount") -> int:
    if abs(n) > SIZE_BOUND:
        raise RefError(f"{field}: {n} units is over the bound of {SIZE_BOUND}")
    return n


# --------------------------------------------------------------------------- weights


def whole_weights(weights, derived: dict[int, int] | None = None) -> list[int]:
    """The whole-number weights of one split (docs/engine.md, "weights are decimals").

    Args:
        weights: the members' decimal weights; ``None`` for a member whose weight is derived.
        derived: position -> growth target in whole units, for the ``None`` members.

    1. scaled by 10^d, d the most decimal places of any given weight (derived ones are whole
       units, scaled by the same 10^d);
    2. a sum above 2^48 is refused;
    3. a sum above 2^31: each divided by the smallest 10^k that brings the sum within 2^31,
       halves up.

    Reading (3): "the smallest power of ten that brings the sum within it" is taken on the
    exact sum (sum / 10^k <= 2^31) before each weight is rounded; the rounded weights may
    then add up to a little more than 2^31, which the docs allow ("W below 2^32").
    """
    derived = derived or {}
    given = []
    for i, w in enumerate(weights):
        if w is None:
            if i not in derived:
                raise RefError(f"weights[{i}]: no weight")
            continue
        value = dec(w)
        if value < 0:
            raise RefError(f"weights[{i}]: must be >= 0, got {w}")
        places = decimal_places(w)
        if places > WEIGHT_DECIMALS:
            raise RefError(f"weights[{i}]: {w} has more than {WEIGHT_DECIMALS} decimal places")
        given.append(places)
    d = max(given, default=0)
    scale = 10**d
    out = []
    for i, w in enumerate(weights):
        if w is None:
            out.append(derived[i] * scale)
        else:
            v = dec(w) * scale
            assert v.denominator == 1
            out.append(v.numerator)
    total = sum(out)
    if total > WEIGHT_SUM_LIMIT:
        raise RefError(f"weights: whole-number weights add up to {total}, over 2^48")
    if total > WEIGHT_SUM_REDUCE:
        k = 1
        while total > WEIGHT_SUM_REDUCE * 10**k:
            k += 1
        p = 10**k
        out = [(2 * w + p) // (2 * p) for w in out]  # halves up
    return out


# --------------------------------------------------------------------------- splits


def largest_remainder(n: int, weights: list[int]) -> list[int]:
    """``n`` (>= 0) whole units over whole-number weights: floors, then one unit each to the
    largest remainders, equal remainders to the earlier member, none to a zero weight."""
    if n < 0:
        raise RefError("largest_remainder: negative total")
    if any(w < 0 for w in weights):
        raise RefError("weights: negative")
    total_w = sum(weights)
    if total_w == 0:
        if n:
            raise RefError("weights: are all zero")
        return [0] * len(weights)
    floors = [n * w // total_w for w in weights]
    rems = [n * w % total_w for w in weights]
    left = n - sum(floors)
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: (-rems[i], i))
    assert 0 <= left <= len(order)
    for i in order[:left]:
        floors[i] += 1
    return floors


def split_units(n: int, weights: list[int], locks: dict[int, int] | None = None) -> list[int]:
    """:func:`largest_remainder` of ``n`` >= 0 with locked members keeping their amount."""
    locks = dict(locks or {})
    for pos, amount in locks.items():
        if not 0 <= pos < len(weights):
            raise RefError(f"locks: member {pos} does not exist")
        if amount < 0:
            raise RefError(f"locks[{pos}]: must have the sign of the total")
    rest = n - sum(locks.values())
    if rest < 0:
        raise RefError("locks: fixed amounts add up to more than the total")
    free = [i for i in range(len(weights)) if i not in locks]
    out = [0] * len(weights)
    for pos, amount in locks.items():
        out[pos] = amount
    if rest > 0:
        if not free:
            raise RefError("locks: every member is fixed, yet some of the total is left over")
        parts = largest_remainder(rest, [weights[i] for i in free])
        for i, p in zip(free, parts):
            out[i] = p
    return out


def split(total, weights, unit=0.01, locks=None, *, round_total=False, allow_negative=False) -> list[int]:
    """``split()`` in whole units: the parts of ``total`` over decimal ``weights``.

    Returns the parts as whole numbers of ``unit`` (signed as the total).
    """
    n = units(total, unit, round_total=round_total, field="total")
    sign = 1
    if n < 0:
        if not allow_negative:
            raise RefError("total: must be >= 0 (allow_negative for a planned decline)")
        sign = -1
    # A locked member's weight takes no part in the split (docs/engine.md, "Weights are
    # decimals"): it counts as 0, so it neither sets the decimal places nor the sum.
    w = whole_weights([0 if i in (locks or {}) else x for i, x in enumerate(weights)])
    lock_units = {}
    for pos, amount in (locks or {}).items():
        u = units(amount, unit, field=f"locks[{pos}]")
        if u * sign < 0:
            raise RefError(f"locks[{pos}]: must have the sign of the total")
        lock_units[pos] = u * sign
    return [sign * p for p in split_units(sign * n, w, lock_units)]


def quarters_first(n: int, month_weights: list[int]) -> tuple[list[int], list[int]]:
    """(quarters, months) of ``n`` >= 0: the quarters split by their months' summed weights,
    then each quarter split by its months' weights."""
    q_weights = [sum(month_weights[3 * q: 3 * q + 3]) for q in range(4)]
    quarters = largest_remainder(n, q_weights)
    months = []
    for q in range(4):
        months += largest_remainder(quarters[q], month_weights[3 * q: 3 * q + 3])
    return quarters, months


# --------------------------------------------------------------------------- running-total rounding


def running_table(rows: list[int], cols: list[int], weights: list[int]) -> list[list[int]]:
    """Fill a table with row totals ``rows`` and column totals ``cols`` column by column
    (docs/engine.md, "running-total rounding"). ``weights`` give the exact running totals
    t_i x C_j / W: the seasonality's whole month weights in a month table; the column totals
    themselves in a table across products (C_j the column totals to j, W the table's total).

    Readings where the text leaves room:

    - rows "with room that are ahead" (f < 0) are ordered among themselves by position only
      (the text orders by remainder only the rows behind or level); rows without room too;
    - when k < 0 each row in reverse priority order gives back up to its whole first
      allotment b_i before the next row gives anything ("each row giving at most its b_i").
    """
    if any(t < 0 for t in rows) or any(c < 0 for c in cols):
        raise RefError("running_table: negative margin")
    if sum(rows) != sum(cols):
        raise RefError(f"margins: rows add up to {sum(rows)}, columns to {sum(cols)}")
    if len(weights) != len(cols):
        raise RefError("running_table: one weight per column")
    n_rows, n_cols = len(rows), len(cols)
    out = [[0] * n_cols for _ in range(n_rows)]
    total_w = sum(weights)
    if total_w == 0:
        if any(cols):
            raise RefError("running_table: all column weights are zero but the total is not")
        return out
    got = [0] * n_rows
    running_w = 0
    for j in range(n_cols):
        running_w += weights[j]
        if weights[j] == 0:
            if cols[j]:
                raise RefError(f"running_table: column {j} has weight 0 but a total of {cols[j]}")
            continue
        f, b, room, rem = [], [], [], []
        for i in range(n_rows):
            q, r = divmod(rows[i] * running_w, total_w)
            fi = q - got[i]
            bi = max(fi, 0)
            f.append(fi)
            b.append(bi)
            room.append(rows[i] - got[i] - bi)
            rem.append(r)
        k = cols[j] - sum(b)

        def priority(i: int):
            if room[i] > 0 and f[i] >= 0:
                return (0, -rem[i], i)
            if room[i] > 0:
                return (1, 0, i)
            return (2, 0, i)

        order = sorted(range(n_rows), key=priority)
        cell = list(b)
        if k >= 0:
            with_room = [i for i in order if room[i] > 0]
            for i in with_room[:k]:
                cell[i] += 1
            rest = k - min(k, len(with_room))
            for i in with_room:
                if rest == 0:
                    break
                take = min(room[i] - 1, rest)
                cell[i] += take
                rest -= take
            if rest:
                raise RefError("running_table: no room for the column's total")
        else:
            rest = -k
            for i in reversed(order):
                if rest == 0:
                    break
                give = min(b[i], rest)
                cell[i] -= give
                rest -= give
            if rest:
                raise RefError("running_table: cannot take back enough")
        for i in range(n_rows):
            out[i][j] = cell[i]
            got[i] += cell[i]
    if got != list(rows):
        raise RefError("running_table: rows do not reach their totals")
    return out


def exact_running(total: int, weights: list[int], j: int) -> Fraction:
    """The exact running total of a row through column ``j``: total x C_j / W."""
    return Fraction(total * sum(weights[: j + 1]), sum(weights))


# --------------------------------------------------------------------------- spread


def fitted_proportional(rows: list[int], cols: list[int]) -> list[list[Fraction]]:
    """Without a seed the fitted value is exactly row x column / total."""
    total = sum(rows)
    if total == 0:
        return [[Fraction(0)] * len(cols) for _ in rows]
    return [[Fraction(r * c, total) for c in cols] for r in rows]


def fitted_ras(seed, rows: list[int], cols: list[int], *, iterations: int = 20_000) -> list[list[Fraction]]:
    """Biproportional fitting of ``seed`` to both margins, to far more digits than the engine
    keeps (50 significant digits), returned as Fractions."""
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        x = [[Decimal(str(dec(v).numerator)) / Decimal(str(dec(v).denominator)) for v in row] for row in seed]
        r = [Decimal(v) for v in rows]
        c = [Decimal(v) for v in cols]
        eps = Decimal("1e-45")
        for _ in range(iterations):
            for i, row in enumerate(x):
                s = sum(row)
                if s > 0:
                    x[i] = [v * r[i] / s for v in row]
            for j in range(len(c)):
                s = sum(x[i][j] for i in range(len(x)))
                if s > 0:
                    for i in range(len(x)):
                        x[i][j] = x[i][j] * c[j] / s
            err = max((abs(sum(row) - r[i]) for i, row in enumerate(x)), default=Decimal(0))
            if err <= eps * max(Decimal(1), max(r, default=Decimal(1))):
                break
        else:
            raise RefError("seed: cannot meet both margins")
        return [[Fraction(v) for v in row] for row in x]


def controlled_round(fitted: list[list[Fraction]], rows: list[int], cols: list[int]) -> list[list[int]]:
    """Every cell its fitted value rounded down or up, both margins exact, the cells rounded
    up chosen to maximise the sum of their fractions; found by trying every rounding.

    Reading: fractions are compared after rounding to 12 decimals ("fractions that agree to
    12 decimals count as equal"), and among the roundings of equal (maximal) sum the one that
    rounds up the earliest cell (row by row) where they differ is taken ("equal ones go to the
    earlier cell").
    """
    n_rows, n_cols = len(rows), len(cols)
    floors = [[v.numerator // v.denominator for v in row] for row in fitted]
    fracs = [[fitted[i][j] - floors[i][j] for j in range(n_cols)] for i in range(n_rows)]
    need_r = [rows[i] - sum(floors[i]) for i in range(n_rows)]
    need_c = [cols[j] - sum(floors[i][j] for i in range(n_rows)) for j in range(n_cols)]
    choices = []
    for i in range(n_rows):
        candidates = [j for j in range(n_cols) if fracs[i][j] > 0]
        if not 0 <= need_r[i] <= len(candidates):
            raise RefError("margins: cannot be met by rounding")
        choices.append(list(combinations(candidates, need_r[i])))
    best = None
    for pick in cartesian(*choices):
        counts = [0] * n_cols
        for row in pick:
            for j in row:
                counts[j] += 1
        if counts != need_c:
            continue
        score = sum(round_places(fracs[i][j], 12) for i, row in enumerate(pick) for j in row)
        indicator = tuple(1 if j in pick[i] else 0 for i in range(n_rows) for j in range(n_cols))
        key = (score, indicator)
        if best is None or key > best[0]:
            best = (key, pick)
    if best is None:
        raise RefError("margins: cannot be met by rounding")
    out = [list(row) for row in floors]
    for i, row in enumerate(best[1]):
        for j in row:
            out[i][j] += 1
    return out


def spread(rows: list[int], cols: list[int], seed=None) -> list[list[int]]:
    """``spread`` in whole units, by brute force (small tables only)."""
    if sum(rows) != sum(cols):
        raise RefError("margins: row and column totals disagree")
    if seed is None:
        fitted = fitted_proportional(rows, cols)
    else:
        fitted = fitted_ras(seed, rows, cols)
    return controlled_round(fitted, rows, cols)


# --------------------------------------------------------------------------- the target cube


@dataclass
class Cube:
    """Every level of the target cube in whole units (signed as the company total)."""

    total: int
    regions: list[int]
    quarters: list[int]
    months: list[int]
    region_months: list[list[int]]
    region_products: list[list[int]]
    product_months: list[list[list[int]]]  # [region][product][month]
    rep_base: list[int]
    rep_challenge: list[int]
    rep_base_months: list[list[int]]
    rep_challenge_months: list[list[int]]
    #: (region index, product index, rep index or None, month 0..11) -> units
    cells: dict = field(repr=False, default_factory=dict)
    #: whole-number weights used: "months", "regions", "products", ("mix", r), ("shares", r)
    weights: dict = field(repr=False, default_factory=dict)
    global_regions: list[int] = field(default_factory=list)


def _growth_units(member: dict, default_growth: Fraction, unit) -> int:
    growth = dec(member["growth"]) if member.get("growth") is not None else default_growth
    return round_half_away(dec(member["prior_year_revenue"]) * (1 + growth) / dec(unit))


def _member_weights(members: list[dict], growth_table: dict, key: str, unit) -> list[int]:
    weights, derived = [], {}
    for i, m in enumerate(members):
        if m.get("weight") is not None:
            weights.append(m["weight"])
        elif m.get("prior_year_revenue") is not None:
            weights.append(None)
            derived[i] = _growth_units(m, dec(growth_table[m[key]]), unit)
        else:
            weights.append(0)
    return whole_weights(weights, derived)


def plan_total_units(plan: dict) -> int:
    """The company target in whole units: given, prior-year x (1 + growth) rounded, or the
    sum of the regions' fixed and growth-based targets (each rounded to the unit)."""
    h = plan["plan"]
    unit = h.get("unit", 0.01)
    if h.get("total_target") is not None:
        return units(h["total_target"], unit, field="plan.total_target")
    if h.get("prior_year_revenue") is not None:
        growth = dec(h["growth"]) if h.get("growth") is not None else Fraction(0)
        return round_half_away(dec(h["prior_year_revenue"]) * (1 + growth) / dec(unit))
    growth = {**DEFAULT_MARKET_GROWTH, **plan.get("growth_defaults", {}).get("market", {})}
    total = 0
    for r in plan["regions"]:
        if r.get("target") is not None:
            total += units(r["target"], unit)
        else:
            total += _growth_units(r, dec(growth[r["market"]]), unit)
    return total


def month_weights(plan: dict) -> list[int]:
    """The 12 whole month weights: given months, or each quarter's weight for its 3 months.

    Reading: the 12 weights are made whole as one split (one 10^d, one reduction); the
    quarter weights of the quarters-first split are the sums of these whole numbers.
    """
    season = plan.get("seasonality") or {"quarters": [1, 1, 1, 1]}
    if season.get("months") is not None:
        raw = list(season["months"])
    else:
        raw = [w for w in season["quarters"] for _ in range(3)]
    return whole_weights(raw)


def cube(plan: dict) -> Cube:
    """The whole target cube of a plan document (the TOML/JSON mapping), margins first."""
    h = plan["plan"]
    unit = h.get("unit", 0.01)
    regions = plan["regions"]
    products = plan["products"]
    reps = plan.get("reps") or []
    total = check_bound(plan_total_units(plan), "plan.total_target")
    sign = -1 if total < 0 else 1
    if total < 0 and not h.get("allow_negative", False):
        raise RefError("plan.total_target: negative without allow_negative")
    n = sign * total

    market_growth = {**DEFAULT_MARKET_GROWTH, **plan.get("growth_defaults", {}).get("market", {})}
    bcg_growth = {**DEFAULT_BCG_GROWTH, **plan.get("growth_defaults", {}).get("bcg", {})}
    region_w = _member_weights(regions, market_growth, "market", unit)
    product_w = _member_weights(products, bcg_growth, "bcg", unit)
    locks = {}
    for i, r in enumerate(regions):
        if r.get("target") is not None:
            u = units(r["target"], unit, field=f"regions[{i}].target")
            if u * sign < 0:
                raise RefError(f"regions[{i}].target: must have the sign of the total")
            locks[i] = sign * u
    region_t = split_units(n, region_w, locks)

    mw = month_weights(plan)
    quarters, months = quarters_first(n, mw)
    region_months = running_table(region_t, months, mw)

    names = [p["name"] for p in products]
    n_products = len(products)
    mixes: dict[int, list[int]] = {}
    region_products: list[list[int] | None] = [None] * len(regions)
    for i, r in enumerate(regions):
        if r.get("product_mix") is not None:
            mix = r["product_mix"]
            mixes[i] = whole_weights([mix.get(name, 0) for name in names])
            region_products[i] = largest_remainder(region_t[i], mixes[i])
    global_regions = [i for i in range(len(regions)) if i not in mixes]
    if global_regions:
        g_total = sum(region_t[i] for i in global_regions)
        product_totals = largest_remainder(g_total, product_w)
        table = running_table([region_t[i] for i in global_regions], product_totals, product_totals)
        for i, row in zip(global_regions, table):
            region_products[i] = row

    product_months = [running_table(region_products[i], region_months[i], mw) for i in range(len(regions))]

    uplift = dec(h.get("challenge_uplift", 0.20))
    if decimal_places(uplift) > WEIGHT_DECIMALS:
        raise RefError("plan.challenge_uplift: more than 6 decimal places")
    rep_base = [0] * len(reps)
    rep_challenge = [0] * len(reps)
    rep_base_m = [[0] * 12 for _ in reps]
    rep_chal_m = [[0] * 12 for _ in reps]
    cells = {}
    shares_w = {}
    for i, r in enumerate(regions):
        idx = [k for k, rep in enumerate(reps) if rep["region"] == r["name"]]
        if not idx:
            for p in range(n_products):
                for m in range(12):
                    cells[(i, p, None, m)] = product_months[i][p][m]
            continue
        shares_w[i] = whole_weights([reps[k].get("share", 1) for k in idx])
        base = largest_remainder(region_t[i], shares_w[i])
        base_m = running_table(base, region_months[i], mw)
        chal = [check_bound(round_half_away(b * (1 + uplift)), "challenge quota") for b in base]
        _, chal_cols = quarters_first(sum(chal), mw)
        chal_m = running_table(chal, chal_cols, mw)
        for pos, k in enumerate(idx):
            rep_base[k], rep_challenge[k] = base[pos], chal[pos]
            rep_base_m[k], rep_chal_m[k] = base_m[pos], chal_m[pos]
        for m in range(12):
            product_cols = [product_months[i][p][m] for p in range(n_products)]
            table = running_table([base_m[pos][m] for pos in range(len(idx))], product_cols, product_cols)
            for pos, k in enumerate(idx):
                for p in range(n_products):
                    cells[(i, p, k, m)] = table[pos][p]

    def neg(x):
        if isinstance(x, list):
            return [neg(v) for v in x]
        return sign * x

    return Cube(
        total=total,
        regions=neg(region_t),
        quarters=neg(quarters),
        months=neg(months),
        region_months=neg(region_months),
        region_products=neg(region_products),
        product_months=neg(product_months),
        rep_base=neg(rep_base),
        rep_challenge=neg(rep_challenge),
        rep_base_months=neg(rep_base_m),
        rep_challenge_months=neg(rep_chal_m),
        cells={key: sign * v for key, v in cells.items()},
        weights={"months": mw, "regions": region_w, "products": product_w,
                 **{("mix", i): w for i, w in mixes.items()}, **{("shares", i): w for i, w in shares_w.items()}},
        global_regions=global_regions,
    )


# --------------------------------------------------------------------------- commission


def tier_floors(tiers, base, challenge, floor_basis: str = "quota") -> list[Fraction]:
    """The floors of the bands as amounts.

    Fractions of the quota are rounded to 6 decimals once turned into amounts. Reading: the
    docs do not name the rule for a half at the 7th decimal; halves away from zero is taken
    (the tests keep away from it).
    """
    tiers = DEFAULT_TIERS if tiers is None else tiers
    floors = []
    for i, (f, _) in enumerate(tiers):
        if f == "base":
            floors.append(dec(base))
        elif f == "challenge":
            if challenge is None:
                raise RefError("challenge_quota: required by the challenge floor")
            floors.append(dec(challenge))
        elif floor_basis == "quota":
            floors.append(round_places(dec(f) * dec(base), 6))
        else:
            floors.append(dec(f))
    if floors[0] != 0:
        raise RefError("tiers[0].floor: the first band must start at 0")
    for i in range(1, len(floors)):
        if not floors[i] > floors[i - 1]:
            raise RefError(f"tiers[{i}].floor: floors must ascend strictly")
    return floors


def _rates(tiers) -> list[Fraction]:
    tiers = DEFAULT_TIERS if tiers is None else tiers
    rates = [dec(r) for _, r in tiers]
    if any(not 0 <= r <= 1 for r in rates):
        raise RefError("tiers: rates lie between 0 and 1")
    return rates


def eligible(sales, base, min_attainment) -> bool:
    """Attainment (sales / base) rounded to 12 decimals is at least ``min_attainment``."""
    m = dec(min_attainment)
    if m <= 0:
        return True
    return round_places(dec(sales) / dec(base), 12) >= m


def band_reached(sales, base, challenge, tiers=None, floor_basis="quota") -> int:
    """0-based index of the highest band whose floor the sales (at least 0) reach."""
    s = max(dec(sales), Fraction(0))
    floors = tier_floors(tiers, base, challenge, floor_basis)
    return max(k for k, f in enumerate(floors) if s >= f)


def commission_by_band(sales, base, challenge, tiers=None, cap=None, min_attainment=0,
                       floor_basis="quota") -> list[Fraction]:  # fmt: skip
    """Marginal commission per band: each band's rate on the sales inside it; nothing below
    the minimum attainment; a cap filled from the lowest band up."""
    floors = tier_floors(tiers, base, challenge, floor_basis)
    rates = _rates(tiers)
    if not eligible(sales, base, min_attainment):
        return [Fraction(0)] * len(floors)
    s = max(dec(sales), Fraction(0))
    bands = []
    for k, f in enumerate(floors):
        top = floors[k + 1] if k + 1 < len(floors) else None
        inside = (min(s, top) if top is not None else s) - f
        bands.append(rates[k] * max(inside, Fraction(0)))
    if cap is None:
        return bands
    room = dec(cap)
    out = []
    for amount in bands:
        take = min(amount, room)
        out.append(take)
        room -= take
    return out


def commission(sales, base, challenge, tiers=None, mode="marginal", cap=None, min_attainment=0,
               floor_basis="quota") -> Fraction:  # fmt: skip
    """Commission on sales: marginal (sum of the bands) or retroactive (the rate of the
    highest band reached on all sales), capped, nothing below the minimum attainment."""
    if mode == "marginal":
        return sum(commission_by_band(sales, base, challenge, tiers, cap, min_attainment, floor_basis), Fraction(0))
    if mode != "retroactive":
        raise RefError(f"mode: {mode!r}")
    floors = tier_floors(tiers, base, challenge, floor_basis)
    rates = _rates(tiers)
    if not eligible(sales, base, min_attainment):
        return Fraction(0)
    s = max(dec(sales), Fraction(0))
    reached = max(k for k, f in enumerate(floors) if s >= f)
    amount = rates[reached] * s
    return amount if cap is None else min(amount, dec(cap))


def ytd_payments(period_sales, base, challenge, **kw) -> list[Fraction]:
    """Annual tiers paid per period: each payment is the commission on the sales to date
    less what was already paid (the cap and minimum attainment apply to the annual figure)."""
    paid = Fraction(0)
    to_date = Fraction(0)
    out = []
    for s in period_sales:
        to_date += dec(s)
        due = commission(to_date, base, challenge, **kw)
        out.append(due - paid)
        paid += due - paid
    return out


def statement_row(sales, base, challenge, unit, commission_plan: dict) -> dict:
    """One rep's commission statement, money rounded to the unit.

    Bands are differences of the rounded running totals (so they add up to the marginal
    commission); retroactive commission is rounded once; attainment is sales / base quota
    (None without a quota); the effective rate is commission / sales, 0 when sales <= 0.
    """
    tiers = commission_plan.get("tiers")
    tiers = None if tiers is None else [(t["floor"], t["rate"]) for t in tiers]
    kw = dict(tiers=tiers, cap=commission_plan.get("cap"), min_attainment=commission_plan.get("min_attainment", 0),
              floor_basis=commission_plan.get("floor_basis", "quota"))
    mode = commission_plan.get("mode", "marginal")
    bands = commission_by_band(sales, base, challenge, **kw)
    running, acc = [], Fraction(0)
    for b in bands:
        acc += b
        running.append(round_half_away(acc / dec(unit)))
    band_units = [running[0]] + [running[k] - running[k - 1] for k in range(1, len(running))]
    marginal = sum(band_units)
    retro = round_half_away(commission(sales, base, challenge, mode="retroactive", **kw) / dec(unit))
    paid_units = marginal if mode == "marginal" else retro
    s = dec(sales)
    return {
        "sales": s,
        "attainment": s / dec(base) if dec(base) > 0 else None,
        "band": band_reached(sales, base, challenge, kw["tiers"], kw["floor_basis"]) + 1,
        "bands": [b * dec(unit) for b in band_units],
        "commission": paid_units * dec(unit),
        "commission_marginal": marginal * dec(unit),
        "commission_retroactive": retro * dec(unit),
        "effective_rate": paid_units * dec(unit) / s if s > 0 else Fraction(0),
    }


# --------------------------------------------------------------------------- budget and ROI

PAYOUT_MONTHS = {"monthly": tuple(range(1, 13)), "quarterly": (3, 6, 9, 12), "annual": (12,)}


def item_cost(item: dict) -> Fraction:
    """One-time: the amount; recurring: amount per month x months active (default: the rest
    of the year from its start month)."""
    if item["kind"] == "one_time":
        return dec(item["amount"])
    months = item.get("months")
    if months is None:
        months = 13 - item.get("start_month", 1)
    return dec(item["amount"]) * months


def item_months(item: dict) -> list[Fraction]:
    """The item's cost by fiscal month."""
    start = item.get("start_month", 1)
    active = 1 if item["kind"] == "one_time" else (item.get("months") or 13 - start)
    return [dec(item["amount"]) if start <= m < start + active else Fraction(0) for m in range(1, 13)]


def ratio(num: Fraction, den: Fraction) -> Fraction | None:
    return None if den == 0 else Fraction(num) / den


@dataclass
class Budget:
    commission_at_target: Fraction
    commission_months: list[Fraction]
    sales_cost: Fraction
    shared_cost: Fraction
    revenue: Fraction
    gross_profit: Fraction
    roi: Fraction | None
    cost_of_sales_ratio: Fraction | None
    weighted_gross_margin: Fraction | None
    break_even_revenue: Fraction | None
    by_region: list[dict]
    reallocation: list[dict]
    #: each region's commission at target before rounding (its reps' exact commissions)
    region_commission_exact: list[Fraction] = field(default_factory=list)


def budget(plan: dict, c: Cube, *, reallocation_share="0.10", reallocation_pairs: int = 1,
           region_commission: list[int] | None = None) -> Budget:  # fmt: skip
    """The budget of the sales plan and its return (domain.md section 5, docs/engine.md).

    Readings:

    - commission at target of a rep without a positive base quota is 0 (it sells nothing
      at target);
    - the rounded company commission is split over the regions by largest remainder with
      the regions' exact (unrounded) commission at target as weights;
    - its monthly line: at each payout month the year-to-date commission on the reps'
      year-to-date base quotas (their rep x month rows), summed, rounded to the unit; the
      last month brings it to the rounded total; months between payouts pay nothing;
    - regions are ranked by ROI in plan order among equals.

    ``region_commission`` (whole units per region) replaces that split, to compare the rest
    with an engine that splits the commission by another exact reading.
    """
    h = plan["plan"]
    unit = dec(h.get("unit", 0.01))
    cp = plan.get("commission") or {}
    tiers = cp.get("tiers")
    tiers = None if tiers is None else [(t["floor"], t["rate"]) for t in tiers]
    kw = dict(tiers=tiers, mode=cp.get("mode", "marginal"), cap=cp.get("cap"),
              min_attainment=cp.get("min_attainment", 0), floor_basis=cp.get("floor_basis", "quota"))  # fmt: skip
    regions = [r["name"] for r in plan["regions"]]
    reps = plan.get("reps") or []

    at_target = []
    cumulative = [Fraction(0)] * 12
    for k, rep in enumerate(reps):
        base = c.rep_base[k] * unit
        chal = c.rep_challenge[k] * unit
        if base <= 0:
            at_target.append(Fraction(0))
            continue
        at_target.append(commission(base, base, chal, **kw))
        ytd = 0
        for m in range(12):
            ytd += c.rep_base_months[k][m]
            cumulative[m] += commission(ytd * unit, base, chal, **kw)
    total_units = round_half_away(sum(at_target, Fraction(0)) / unit)
    per_region = [sum((a for a, rep in zip(at_target, reps) if rep["region"] == name), Fraction(0)) for name in regions]
    region_comm_units = _split_by_rationals(total_units, per_region)
    if region_commission is not None:
        region_comm_units = list(region_commission)
    payout = PAYOUT_MONTHS[cp.get("payout", "quarterly")]
    paid_to_date, last = [], 0
    for m in range(1, 13):
        if m in payout:
            last = round_half_away(cumulative[m - 1] / unit)
        paid_to_date.append(last)
    paid_to_date[-1] = total_units
    commission_months = [(paid_to_date[m] - (paid_to_date[m - 1] if m else 0)) * unit for m in range(12)]

    items = plan.get("budget") or []
    costs = [item_cost(i) for i in items]
    commission_at_target = total_units * unit
    sales_cost = sum(costs, Fraction(0)) + commission_at_target
    shared = sum((cost for cost, i in zip(costs, items) if i.get("region") is None), Fraction(0))
    margins = [dec(p["gross_margin"]) for p in plan["products"]]
    by_region = []
    for r, name in enumerate(regions):
        gp = sum((c.region_products[r][p] * unit * margins[p] for p in range(len(margins))), Fraction(0))
        own = sum((cost for cost, i in zip(costs, items) if i.get("region") == name), Fraction(0))
        comm = region_comm_units[r] * unit
        cost = own + comm
        by_region.append({"region": name, "revenue": c.regions[r] * unit, "gross_profit": gp, "item_cost": own,
                          "commission_at_target": comm, "cost": cost, "roi": ratio(gp - cost, cost)})  # fmt: skip
    revenue = c.total * unit
    gross_profit = sum((row["gross_profit"] for row in by_region), Fraction(0))
    wgm = ratio(gross_profit, revenue)
    ranked = sorted((row for row in by_region if row["roi"] is not None), key=lambda row: row["roi"])
    moves = []
    share = dec(reallocation_share)
    for k in range(reallocation_pairs):
        if k >= len(ranked) - 1 - k:
            break
        low, high = ranked[k], ranked[-1 - k]
        if not low["roi"] < high["roi"]:
            break
        amount = round_half_away(share * low["item_cost"] / unit) * unit
        if amount > 0:
            moves.append({"from_region": low["region"], "from_roi": low["roi"], "to_region": high["region"],
                          "to_roi": high["roi"], "amount": amount})  # fmt: skip
    return Budget(
        commission_at_target=commission_at_target,
        commission_months=commission_months,
        sales_cost=sales_cost,
        shared_cost=shared,
        revenue=revenue,
        gross_profit=gross_profit,
        roi=ratio(gross_profit - sales_cost, sales_cost),
        cost_of_sales_ratio=ratio(sales_cost, revenue),
        weighted_gross_margin=wgm,
        break_even_revenue=sales_cost / wgm if wgm is not None and wgm > 0 else None,
        by_region=by_region,
        reallocation=moves,
        region_commission_exact=per_region,
    )


def _split_by_rationals(n: int, weights: list[Fraction]) -> list[int]:
    """Largest remainder of ``n`` >= 0 over exact rational weights (amounts, not plan weights:
    no 6-decimal rule and no reduction apply)."""
    if n == 0:
        return [0] * len(weights)
    total_w = sum(weights, Fraction(0))
    if total_w <= 0:
        raise RefError("weights: are all zero")
    shares = [n * w / total_w for w in weights]
    floors = [s.numerator // s.denominator for s in shares]
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: n - sum(floors)]:
        floors[i] += 1
    return floors


# --------------------------------------------------------------------------- KPIs and health


def lag(actual, target, direction="higher") -> Fraction | None:
    """1 - actual/target (higher is better) or 1 - target/actual (lower is better), rounded to
    12 decimals; 0 or 1 (met or missed) where the ratio has no meaning; None when the actual
    is missing."""
    if actual is None:
        return None
    a, t = dec(actual), dec(target)
    if direction == "higher":
        g = 1 - a / t if t > 0 else (Fraction(0) if a >= t else Fraction(1))
    elif direction == "lower":
        g = 1 - t / a if a > 0 else (Fraction(0) if a <= t else Fraction(1))
    else:
        raise RefError(f"direction: {direction!r}")
    return round_places(g, 12)


def rag(actual, target, direction="higher", red="0.30", amber="0.10") -> str | None:
    """Red above ``red``, amber above ``amber``, else green; None without an actual."""
    g = lag(actual, target, direction)
    if g is None:
        return None
    r, a = round_places(dec(red), 12), round_places(dec(amber), 12)
    if g > r:
        return "red"
    if g > a:
        return "amber"
    return "green"


def _clip100(x: Fraction) -> Fraction:
    return min(max(x, Fraction(0)), Fraction(100))


def health_score(frequency, order_value, complaint_rate, nps, weights=None, *, frequency_benchmark=1,
                 order_value_benchmark=1, complaint_ceiling="0.10") -> Fraction:  # fmt: skip
    """Weighted mean of four scores 0..100: frequency and order value 100 x value /
    benchmark, complaints 100 x (1 - rate / ceiling), NPS (NPS + 100) / 2, each clipped."""
    scores = [
        _clip100(100 * dec(frequency) / dec(frequency_benchmark)),
        _clip100(100 * dec(order_value) / dec(order_value_benchmark)),
        _clip100(100 * (1 - dec(complaint_rate) / dec(complaint_ceiling))),
        _clip100((dec(nps) + 100) / 2),
    ]
    w = [Fraction(1)] * 4 if weights is None else [dec(x) for x in weights]
    return sum((wi * s for wi, s in zip(w, scores)), Fraction(0)) / sum(w)


def health_tier(score, healthy=80, watch=60) -> str:
    s = dec(score)
    if s >= dec(healthy):
        return "healthy"
    if s >= dec(watch):
        return "watch"
    return "at_risk"


# --------------------------------------------------------------------------- reconciliation


def reconcile(keys: list[tuple], topdown: list, bottomup: list, dims: list[str], *, tolerance="0.05",
              method="keep", alpha="0.5", unit="0.01") -> dict:  # fmt: skip
    """Gaps at every level and the proposal re-split to the unit.

    Returns ``{"gaps": [...], "proposal": [units...], "total": units}``; each gap row has
    ``level``, one entry per dimension (None where aggregated away), topdown, bottomup,
    gap, gap_pct (None when undefined), within_tolerance, flag.

    Readings:

    - "when TD is 0 the gap % is empty and the row is out of tolerance unless the gap is 0
      too": a gap of 0 on a TD of 0 is 0% and within tolerance;
    - "scale" with an all-zero bottom-up is an error when there is a top-down total to
      scale to (a zero total gives zeros);
    - the proposal's weights are amounts, not plan weights: the split uses them exactly (no
      6-decimal rule, no reduction).
    """
    td = [dec(x) for x in topdown]
    bu = [dec(x) for x in bottomup]
    tol = round_places(dec(tolerance), 12)

    def row(level, key, t, b):
        gap = b - t
        if t != 0:
            pct = round_places(gap / t, 12)
        else:
            pct = Fraction(0) if gap == 0 else None
        within = pct is not None and abs(pct) <= tol
        flag = "ok" if within else ("above" if gap > 0 else "below")
        return {"level": level, **key, "topdown": t, "bottomup": b, "gap": gap, "gap_pct": pct,
                "within_tolerance": within, "flag": flag}  # fmt: skip

    none = {d: None for d in dims}
    gaps = [row("total", none, sum(td, Fraction(0)), sum(bu, Fraction(0)))]
    if len(dims) > 1:
        for pos, d in enumerate(dims):
            seen = []
            for k in keys:
                if k[pos] not in seen:
                    seen.append(k[pos])
            for member in seen:
                t = sum((x for k, x in zip(keys, td) if k[pos] == member), Fraction(0))
                b = sum((x for k, x in zip(keys, bu) if k[pos] == member), Fraction(0))
                gaps.append(row(d, {**none, d: member}, t, b))
    for k, t, b in zip(keys, td, bu):
        gaps.append(row("detail", dict(zip(dims, k)), t, b))

    a = dec(alpha)
    if method == "keep":
        weights, total = td, sum(td, Fraction(0))
    elif method == "accept":
        weights, total = bu, sum(bu, Fraction(0))
    elif method == "blend":
        weights = [a * t + (1 - a) * b for t, b in zip(td, bu)]
        total = sum(weights, Fraction(0))
    elif method == "scale":
        total = sum(td, Fraction(0))
        if total > 0 and not any(bu):
            raise RefError("bottomup: is all zero, so it cannot be scaled")
        weights = bu
    else:
        raise RefError(f"method: {method!r}")
    n = round_half_away(total / dec(unit))
    return {"gaps": gaps, "proposal": _split_by_rationals(n, weights), "total": n}
