"""Tiered commission: marginal or retroactive, with cap, minimum attainment and YTD true-up.

The schedule is data (domain.md section 4): bands from a floor upwards, each with a rate.
Rules this module adds where the domain is silent:

- **Negative sales** (net returns) earn nothing: commission is computed on ``max(sales, 0)``
  and is never negative. Returns still lower year-to-date sales, so a true-up payment
  (:func:`ytd_payments`) can be negative: a clawback of commission already paid.
- **Floors as fractions of the quota** are turned into amounts rounded to
  ``FLOOR_DECIMALS`` decimals, so that 1.2 x 1,000,000 is exactly 1,200,000.
- **Attainment** (sales / base quota) is rounded to ``ATTAINMENT_DECIMALS`` decimals before
  it is compared with ``min_attainment``: 900,000 of 1,000,000 is exactly 90%. Both round
  halves away from zero, as the workbook's ROUND does.
- **Cap**: in marginal mode the capped payout fills the bands from the lowest up, so the
  band amounts of :func:`commission_by_band` always add up to the commission.
- Bare functions return unrounded floats; :func:`commission_statement` rounds to the plan's
  unit (band amounts are differences of rounded running totals, so they add up exactly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aop_xl.engine.quota import annual_quotas, quota_units
from aop_xl.errors import PlanError
from aop_xl.plan import DEFAULT_TIERS, Plan, Tier
from aop_xl.units import from_units, round_places, to_units

MODES = ("marginal", "retroactive")
FLOOR_BASES = ("quota", "absolute")
FLOOR_DECIMALS = 6
ATTAINMENT_DECIMALS = 12


def _tiers(tiers) -> tuple[list, np.ndarray]:
    # Normalise Tier objects, {"floor", "rate"} dicts and (floor, rate) pairs.
    tiers = DEFAULT_TIERS if tiers is None else tiers
    if isinstance(tiers, (str, bytes, Mapping)) or not isinstance(tiers, Sequence) or not tiers:
        raise PlanError(f"tiers: expected a non-empty list of (floor, rate) bands, got {tiers!r}")
    floors, rates = [], []
    for i, t in enumerate(tiers):
        if isinstance(t, Tier):
            f, r = t.floor, t.rate
        elif isinstance(t, Mapping) and set(t) == {"floor", "rate"}:
            f, r = t["floor"], t["rate"]
        elif isinstance(t, Sequence) and not isinstance(t, str) and len(t) == 2:
            f, r = t
        else:
            raise PlanError(f"tiers[{i}]: expected a Tier, {{'floor': ..., 'rate': ...}} or (floor, rate), got {t!r}")
        if isinstance(f, str):
            if f not in ("base", "challenge"):
                raise PlanError(f'tiers[{i}].floor: must be a number, "base" or "challenge", got {f!r}')
        else:
            f = _number(f, f"tiers[{i}].floor")
            if f < 0:
                raise PlanError(f"tiers[{i}].floor: must be >= 0, got {f:g}")
        r = _number(r, f"tiers[{i}].rate")
        if not 0 <= r <= 1:
            raise PlanError(f"tiers[{i}].rate: must be between 0 and 1, got {r:g}")
        floors.append(f)
        rates.append(r)
    if isinstance(floors[0], str) or floors[0] != 0:
        raise PlanError(f"tiers[0].floor: the first band must start at 0, got {floors[0]!r}")
    return floors, np.asarray(rates)


def _number(value, field: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise PlanError(f"{field}: must be a number, got {value!r}") from None
    if not np.isfinite(value):
        raise PlanError(f"{field}: must be a finite number, got {value}")
    return value


def _finite(values, field: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise PlanError(f"{field}: must be numbers, got {values!r}") from None
    if not np.isfinite(arr).all():
        raise PlanError(f"{field}: must be finite numbers, got {arr.reshape(-1)[~np.isfinite(arr.reshape(-1))][0]}")
    return arr


def _schedule(sales, base_quota, challenge_quota, tiers, floor_basis, min_attainment=0.0):
    # (sales, base, floor amounts (..., bands), rates), all checked.
    floors, rates = _tiers(tiers)
    if floor_basis not in FLOOR_BASES:
        raise PlanError(f"floor_basis: must be one of {FLOOR_BASES}, got {floor_basis!r}")
    min_attainment = _number(min_attainment, "min_attainment")
    if min_attainment < 0:
        raise PlanError(f"min_attainment: must be >= 0, got {min_attainment:g}")
    s = _finite(sales, "sales")
    base = _finite(base_quota, "base_quota")
    if _needs_base(floors, floor_basis, min_attainment) and (base <= 0).any():
        raise PlanError(
            f"base_quota: must be > 0 when tier floors or min_attainment refer to the quota, "
            f"got {base.reshape(-1)[(base <= 0).reshape(-1)][0]:g}"
        )
    challenge = None
    if "challenge" in floors:
        if challenge_quota is None:
            raise PlanError('challenge_quota: required by the "challenge" tier floor')
        challenge = _finite(challenge_quota, "challenge_quota")
    cols = []
    for f in floors:
        if f == "base":
            cols.append(base)
        elif f == "challenge":
            cols.append(challenge)
        elif floor_basis == "quota":
            cols.append(round_places(f * base, FLOOR_DECIMALS))
        else:
            cols.append(np.asarray(f, dtype=float))
    amounts = np.stack(np.broadcast_arrays(*cols), axis=-1)
    steps = np.diff(amounts, axis=-1)
    # A challenge quota equal to the base (a quota of a few units, whose uplift rounds to
    # nothing) leaves the band between them empty; any other floor must rise.
    empty_ok = np.array([a == "base" and b == "challenge" for a, b in zip(floors, floors[1:])], dtype=bool)
    bad = ~((steps > 0) | (empty_ok & (steps == 0)))
    if bad.any():
        pos = tuple(np.argwhere(bad)[0])
        i = int(pos[-1]) + 1
        lo, hi = amounts[pos[:-1]][i - 1], amounts[pos[:-1]][i]
        hint = " (check challenge_quota)" if "challenge" in (floors[i], floors[i - 1]) else ""
        raise PlanError(
            f"tiers[{i}].floor: tiers must be in ascending order of floor, got {floors[i]!r} = {hi:,.2f} "
            f"not above {floors[i - 1]!r} = {lo:,.2f}{hint}"
        )
    return s, base, amounts, rates


def _needs_base(floors, floor_basis: str, min_attainment: float) -> bool:
    numeric = any(not isinstance(f, str) and f > 0 for f in floors)
    return "base" in floors or (floor_basis == "quota" and numeric) or min_attainment > 0


def _band_amounts(s, floors, rates) -> np.ndarray:
    s = np.maximum(s, 0.0)[..., None]
    upper = np.concatenate([floors[..., 1:], np.full(floors.shape[:-1] + (1,), np.inf)], axis=-1)
    return np.clip(np.minimum(s, upper) - floors, 0.0, None) * rates


def _reached(s, floors) -> np.ndarray:
    return (np.maximum(s, 0.0)[..., None] >= floors).sum(axis=-1) - 1


def _eligible(s, base, min_attainment: float):
    if min_attainment <= 0:
        return True
    with np.errstate(divide="ignore", invalid="ignore"):
        return round_places(s / base, ATTAINMENT_DECIMALS) >= min_attainment


def _cap(cap):
    if cap is None:
        return None
    c = _finite(cap, "cap")
    if (c < 0).any():
        raise PlanError(f"cap: must be >= 0, got {c.min():g}")
    return c


def _out(x):
    return x.item() if np.ndim(x) == 0 else x


def commission_by_band(sales, base_quota, challenge_quota, tiers=None, cap=None, min_attainment=0.0,
                       floor_basis="quota"):  # fmt: skip
    """Marginal commission earned in each band: the statement's ``band_1``, ``band_2``, ...

    Args:
        sales, base_quota, challenge_quota, tiers, cap, min_attainment, floor_basis: as in
            :func:`commission`.

    Returns:
        A float array with a last axis of one amount per band (unrounded). The amounts add up
        to ``commission(..., mode="marginal")``: below ``min_attainment`` all are 0, and a
        cap is filled from the lowest band up.

    Examples:
        >>> commission_by_band(1_300_000, 1_000_000, 1_200_000).round(2).tolist()
        [10000.0, 3000.0, 2000.0]
        >>> commission_by_band(1_300_000, 1_000_000, 1_200_000, cap=12_000).round(2).tolist()
        [10000.0, 2000.0, 0.0]
    """
    s, base, floors, rates = _schedule(sales, base_quota, challenge_quota, tiers, floor_basis, min_attainment)
    c = _cap(cap)
    bands = _band_amounts(s, floors, rates)
    bands = np.where(np.asarray(_eligible(s, base, min_attainment))[..., None], bands, 0.0)
    if c is None:
        return bands
    running = np.minimum(np.cumsum(bands, axis=-1), np.asarray(c)[..., None])
    return np.diff(running, axis=-1, prepend=0.0)


def band_reached(sales, base_quota, challenge_quota, tiers=None, floor_basis="quota"):
    """0-based index of the highest band whose floor the sales reach (sales >= floor).

    Args:
        sales, base_quota, challenge_quota, tiers, floor_basis: as in :func:`commission`.

    Returns:
        An int for scalar input, else an int array. Sales of 0 or less are in band 0.

    Examples:
        >>> [band_reached(s, 1_000_000, 1_200_000) for s in (999_999, 1_000_000, 1_300_000)]
        [0, 1, 2]
    """
    s, _, floors, _ = _schedule(sales, base_quota, challenge_quota, tiers, floor_basis)
    return _out(_reached(s, floors))


def commission(sales, base_quota, challenge_quota, tiers=None, mode="marginal", cap=None, min_attainment=0.0,
               floor_basis="quota"):  # fmt: skip
    """Commission on sales under a tier schedule (domain.md section 4).

    Args:
        sales: sales amount(s); negative sales (net returns) earn 0.
        base_quota: base quota(s); must be > 0 when floors are fractions of the quota, a
            floor is "base", or ``min_attainment`` > 0.
        challenge_quota: challenge quota(s), used by a "challenge" floor (may be None without one).
        tiers: None for the default 1% / 1.5% / 2%; else Tier objects, ``{"floor", "rate"}``
            dicts or ``(floor, rate)`` pairs, floors strictly ascending, the first at 0.
            A floor is "base", "challenge" or a number: a fraction of the base quota when
            ``floor_basis="quota"``, an amount when ``floor_basis="absolute"``.
        mode: "marginal" (each band's rate on the sales inside it) or "retroactive" (the
            rate of the highest band reached, sales >= floor, on all sales).
        cap: maximum payout, or None.
        min_attainment: nothing is paid when sales / base quota is below it.
        floor_basis: "quota" or "absolute".

    Returns:
        A Python float for scalar input, else a numpy array (inputs broadcast). Unrounded.

    Raises:
        PlanError: naming the argument: bad tiers, mode, basis, quotas, cap, non-finite sales.

    Examples:
        >>> round(commission(1_300_000, 1_000_000, 1_200_000), 2)
        15000.0
        >>> round(commission(1_300_000, 1_000_000, 1_200_000, mode="retroactive"), 2)
        26000.0
        >>> round(commission(1_000_000, 1_000_000, 1_200_000, mode="retroactive"), 2)
        15000.0
        >>> commission([500_000, 1_300_000], 1_000_000, 1_200_000, min_attainment=0.6).round(2).tolist()
        [0.0, 15000.0]
    """
    if mode not in MODES:
        raise PlanError(f"mode: must be one of {MODES}, got {mode!r}")
    if mode == "marginal":
        bands = commission_by_band(sales, base_quota, challenge_quota, tiers, cap, min_attainment, floor_basis)
        return _out(np.cumsum(bands, axis=-1)[..., -1])
    s, base, floors, rates = _schedule(sales, base_quota, challenge_quota, tiers, floor_basis, min_attainment)
    c = _cap(cap)
    out = np.where(_eligible(s, base, min_attainment), rates[_reached(s, floors)] * np.maximum(s, 0.0), 0.0)
    return _out(out if c is None else np.minimum(out, c))


def ytd_payments(period_sales, base_quota, challenge_quota, tiers=None, mode="marginal", cap=None,
                 min_attainment=0.0, floor_basis="quota"):  # fmt: skip
    """Year-to-date true-up: annual tiers paid per period (domain.md section 4).

    Payment for period k = commission(sales of periods 1..k) - commission already paid, with
    the annual quotas, so the payments add up to the commission on the year's sales. A
    period whose returns lower YTD commission gets a negative payment (a clawback).

    Args:
        period_sales: sales per period (1-D), or reps x periods (2-D).
        base_quota, challenge_quota: annual quotas: scalars, or one per rep for 2-D sales.
        tiers, mode, cap, min_attainment, floor_basis: as in :func:`commission`; the cap and
            min_attainment apply to the year-to-date (annual) commission.

    Returns:
        A float array shaped like ``period_sales`` (unrounded).

    Examples:
        >>> ytd_payments([300_000, 400_000, 300_000, 300_000], 1_000_000, 1_200_000).round(2).tolist()
        [3000.0, 4000.0, 3000.0, 5000.0]
    """
    s = _finite(period_sales, "period_sales")
    if s.ndim not in (1, 2):
        raise PlanError(f"period_sales: expected periods (1-D) or reps x periods (2-D), got {s.ndim} dimensions")
    base = _finite(base_quota, "base_quota")[..., None]
    challenge = None if challenge_quota is None else _finite(challenge_quota, "challenge_quota")[..., None]
    paid = commission(np.cumsum(s, axis=-1), base, challenge, tiers, mode, cap, min_attainment, floor_basis)
    return np.diff(np.broadcast_to(paid, np.broadcast_shapes(np.shape(paid), s.shape)), axis=-1, prepend=0.0)


def _sales_by_rep(plan: Plan, sales) -> np.ndarray:
    if isinstance(sales, Mapping):
        sales = pd.Series(dict(sales), dtype=object)
    if not isinstance(sales, pd.Series):
        raise PlanError(f"sales: expected a mapping rep name -> annual sales or a Series, got {type(sales).__name__}")
    if sales.index.has_duplicates:
        raise PlanError(f'sales: rep "{sales.index[sales.index.duplicated()][0]}" appears more than once')
    pos = pd.Index(plan.rep_names).get_indexer(sales.index)
    if (pos < 0).any():
        raise PlanError(f'sales: "{sales.index[pos < 0][0]}" is not a rep of the plan')
    values = pd.to_numeric(sales, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        name = sales.index[~np.isfinite(values)][0]
        raise PlanError(f'sales["{name}"]: must be a finite number, got {sales[name]!r}')
    out = np.zeros(len(plan.reps))
    out[pos] = values
    return out


def _rounded_bands(s, base, chal, unit: float, **kw) -> tuple[np.ndarray, np.ndarray]:
    # Band amounts in whole units as differences of rounded running totals (they add up to the
    # marginal commission exactly), and the retroactive commission in whole units.
    running = to_units(np.cumsum(commission_by_band(s, base, chal, **kw), axis=-1), unit, round_half=True)
    bands = np.diff(running, axis=-1, prepend=0)
    retro = to_units(commission(s, base, chal, mode="retroactive", **kw), unit, round_half=True)
    return np.asarray(bands, dtype=np.int64), np.asarray(retro, dtype=np.int64)


def commission_statement(plan: Plan, sales) -> pd.DataFrame:
    """The commission statement: one row per rep of the plan, rounded to the plan's unit.

    Args:
        plan: a validated plan (quotas, commission schedule, unit).
        sales: annual sales by rep, a mapping or a Series indexed by rep name; missing reps
            count as 0.

    Returns:
        Columns ``rep``, ``region``, ``sales``, ``base_quota``, ``challenge_quota``,
        ``attainment`` (sales / base quota; NaN without a quota), ``band`` (1-based band
        reached), ``band_1``.. (marginal commission per band), ``commission`` (the plan's
        mode), ``commission_marginal``, ``commission_retroactive``, ``effective_rate``
        (commission / sales, 0 when sales <= 0). Money is rounded to the unit; the band
        columns add up exactly to ``commission_marginal``.

    Raises:
        PlanError: an unknown rep, non-finite sales, a rep with no quota under quota floors.

    Examples:
        >>> from aop_xl import load_plan
        >>> st = commission_statement(load_plan(), {"An Nguyen": 3_500_000})
        >>> int(st.loc[0, "band"]), st.loc[0, ["band_1", "band_2", "band_3", "commission"]].tolist()
        (3, [28800.0, 8640.0, 880.0, 38320.0])
    """
    q = annual_quotas(plan)
    s = _sales_by_rep(plan, sales)
    c = plan.commission
    base, chal = q["base_quota"].to_numpy(dtype=float), q["challenge_quota"].to_numpy(dtype=float)
    floors, _ = _tiers(c.tiers)
    if _needs_base(floors, c.floor_basis, c.min_attainment) and (base <= 0).any():
        raise PlanError(f'reps: "{q["rep"][base <= 0].iloc[0]}" has no base quota, which its commission tiers need')
    kw = dict(tiers=c.tiers, cap=c.cap, min_attainment=c.min_attainment, floor_basis=c.floor_basis)
    unit = plan.plan.unit
    bands, retro_units = _rounded_bands(s, base, chal, unit, **kw)
    marginal = from_units(bands.sum(axis=-1), unit)
    retro = from_units(retro_units, unit)
    paid = np.asarray(marginal if c.mode == "marginal" else retro, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(base > 0, s / base, np.nan)
        rate = np.where(s > 0, paid / s, 0.0)
    out = pd.DataFrame(
        {"rep": q["rep"], "region": q["region"], "sales": s, "base_quota": base, "challenge_quota": chal}
    )
    out["attainment"] = attainment
    out["band"] = np.asarray(band_reached(s, base, chal, c.tiers, c.floor_basis), dtype=np.int64) + 1
    for k in range(bands.shape[1]):
        out[f"band_{k + 1}"] = np.asarray(from_units(bands[:, k], unit), dtype=float)
    out["commission"] = paid
    out["commission_marginal"] = np.asarray(marginal, dtype=float)
    out["commission_retroactive"] = np.asarray(retro, dtype=float)
    out["effective_rate"] = rate
    return out


# ------------------------------------------------------------------------------------ the year in motion
#
# Commission during the year (docs/engine.md, "The year in motion"): each rep's months covered
# (start, end), its region month by month (moves), its in-year quotas (the plan's monthly
# quotas of the months covered), and per payout period the year-to-date commission, what was
# paid before, this payment (a true-up, negative for a clawback) and the draw.

#: Months in one payout period.
PAYOUT_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


@dataclass(frozen=True)
class RepYear:
    """Each rep's fiscal year as the in-year rules see it (arrays in plan order of reps).

    Attributes:
        covered: (N, 12) bool, the months the rep covers (``reps[].start`` .. ``reps[].end``).
        region: (N, 12) int, the index of the rep's region in each month (after ``moves``).
        base_months, challenge_months: (N, 12) whole units, the plan's monthly quotas in the
            months covered, 0 in the others.
        draw_months: (N, 12) whole units, the guaranteed minimum of each month covered.
    """

    covered: np.ndarray
    region: np.ndarray
    base_months: np.ndarray
    challenge_months: np.ndarray
    draw_months: np.ndarray

    @property
    def base(self) -> np.ndarray:
        """Annual in-year base quotas (N,), whole units: the sum of the months covered."""
        return self.base_months.sum(axis=1)

    @property
    def challenge(self) -> np.ndarray:
        """Annual in-year challenge quotas (N,), whole units."""
        return self.challenge_months.sum(axis=1)


def rep_year(plan: Plan) -> RepYear:
    """The months each rep covers, its region by month and its in-year quotas.

    A rep's in-year quota is the plan's (its row of the rep x month table, which follows the
    seasonality) in the months it covers: a rep starting in month 4 has the quota of months
    4 to 12, prorated by the seasonality of those months, never by a straight line. A move
    keeps the rep's quota and changes the region (team) its months count towards.

    Args:
        plan: a validated plan.

    Returns:
        The :class:`RepYear`.

    Examples:
        >>> from aop_xl import load_plan
        >>> y = rep_year(load_plan())
        >>> bool(y.covered.all()), int(y.base[0]) == int(annual_quotas(load_plan())["base_quota"][0] * 100)
        (True, True)
    """
    _, _, base_m, chal_m = quota_units(plan)
    h = plan.plan
    n = len(plan.reps)
    covered = np.zeros((n, 12), dtype=bool)
    region = np.zeros((n, 12), dtype=np.int64)
    draw = np.zeros((n, 12), dtype=np.int64)
    names = plan.region_names
    months = np.arange(1, 13)
    for i, rep in enumerate(plan.reps):
        first = max(h.month_period(rep.start), 1) if rep.start is not None else 1
        last = min(h.month_period(rep.end), 12) if rep.end is not None else 12
        covered[i] = (months >= first) & (months <= last)
        region[i] = names.index(rep.region)
        for move in rep.moves:
            region[i, months >= h.month_period(move.month)] = names.index(move.region)
        if rep.draw:
            draw[i] = np.where(covered[i], to_units(rep.draw, h.unit, field=f"reps[{i}].draw"), 0)
    base = np.where(covered, np.asarray(base_m, dtype=np.int64).reshape(n, 12), 0)
    chal = np.where(covered, np.asarray(chal_m, dtype=np.int64).reshape(n, 12), 0)
    return RepYear(covered, region, base, chal, draw)


def payout_ends(payout: str, as_of: int = 12) -> list[int]:
    """The months (1..12) whose commission is paid: the ends of the payout periods up to
    ``as_of``, and ``as_of`` itself when it falls inside a period (an open period, accrued).

    Examples:
        >>> payout_ends("quarterly", 5), payout_ends("quarterly", 6), payout_ends("annual")
        ([3, 5], [3, 6], [12])
    """
    if payout not in PAYOUT_MONTHS:
        raise PlanError(f"payout: must be one of {tuple(PAYOUT_MONTHS)}, got {payout!r}")
    if isinstance(as_of, bool) or not isinstance(as_of, (int, np.integer)) or not 1 <= as_of <= 12:
        raise PlanError(f"as_of: must be a fiscal month 1..12, got {as_of!r}")
    step = PAYOUT_MONTHS[payout]
    ends = list(range(step, int(as_of) + 1, step))
    return ends if ends and ends[-1] == as_of else [*ends, int(as_of)]


def period_label(payout: str, end: int) -> str:
    """A payout period's name: ``M04`` (monthly), ``Q2`` (quarterly), ``FY`` (annual); an open
    period is named after the period it belongs to."""
    if payout == "monthly":
        return f"M{end:02d}"
    if payout == "quarterly":
        return f"Q{(end - 1) // 3 + 1}"
    return "FY"


def _sales_grid(plan: Plan, sales) -> np.ndarray:
    n = len(plan.reps)
    if isinstance(sales, pd.DataFrame):
        sales = sales.reindex(index=plan.rep_names, fill_value=0.0)
    s = _finite(sales, "sales")
    if s.shape != (n, 12):
        raise PlanError(f"sales: expected one row per rep ({n}) and 12 fiscal months, got shape {s.shape}")
    return s


def inyear_statements(plan: Plan, sales, as_of: int = 12, paid=None) -> pd.DataFrame:
    """Commission statements per rep and payout period, on year-to-date tiers with true-ups.

    For each payout period up to ``as_of`` (and the open period containing ``as_of``):
    the year-to-date commission on the year-to-date sales against the rep's in-year annual
    quotas (:func:`rep_year`), in the plan's mode, with its cap and minimum attainment,
    rounded to the unit (bands as differences of rounded running totals); the guarantee of
    the draw to date; ``paid_to_date`` (due to date) = the larger of the two; ``payment`` =
    due to date - what was paid by the end of the previous period (negative: a clawback), or
    the payment recorded as made for the period. What was paid by the end of a period is what
    was paid before it plus its recorded payment, else its due to date. So a deal that arrives
    after its period was paid is paid with the next period, and the payments of a year add up
    to max(commission on the year's sales, the year's draws) for every rep.

    Args:
        plan: a validated plan (quotas, tiers, payout, reps' in-year changes).
        sales: credited sales per rep (plan order) and fiscal month: an (N, 12) array, or a
            DataFrame indexed by rep name with 12 columns (missing reps count as 0).
        as_of: the last fiscal month with actuals (1..12).
        paid: payments recorded as made: rep name -> {period end month: amount}, or None.

    Returns:
        One row per rep and period (reps in plan order, periods in order): ``rep``,
        ``region`` (at the period's end), ``period``, ``end`` (month), ``closed`` (False for
        an open period), ``months_covered``, ``sales`` (the period's), ``ytd_sales``,
        ``ytd_base_quota`` (the quota of the months to date), ``base_quota``,
        ``challenge_quota`` (annual, in-year), ``attainment`` (YTD sales / annual base),
        ``ytd_attainment`` (YTD sales / YTD quota), ``band`` (1-based), ``band_1``..,
        ``commission_marginal``, ``commission_retroactive``, ``ytd_commission`` (the plan's
        mode), ``min_attainment_met``, ``capped``, ``guarantee``, ``paid_to_date`` (due to
        date), ``paid_before``, ``payment``, ``recorded`` (the payment was recorded as made),
        ``draw_balance`` (draws advanced, not yet recovered).
        Money is rounded to the unit.

    Raises:
        PlanError: a bad sales grid or ``as_of``; a rep without a quota under tiers that
            need one.

    Examples:
        >>> from aop_xl import load_plan
        >>> plan = load_plan()
        >>> grid = np.zeros((12, 12)); grid[0, :3] = [400_000, 500_000, 600_000]
        >>> st = inyear_statements(plan, grid, as_of=4)
        >>> st.loc[st.rep == "An Nguyen", ["period", "closed", "ytd_sales", "payment"]].values.tolist()
        [['Q1', True, 1500000.0, 15000.0], ['Q2', False, 1500000.0, 0.0]]
    """
    c, unit = plan.commission, plan.plan.unit
    ends = payout_ends(c.payout, as_of)
    s = _sales_grid(plan, sales)
    y = rep_year(plan)
    n, p = len(plan.reps), len(ends)
    e = np.asarray(ends) - 1
    cum = np.cumsum(s, axis=1)
    ytd = cum[:, e]
    base, chal = from_units(y.base, unit), from_units(y.challenge, unit)
    base = np.asarray(base, dtype=float).reshape(n, 1)
    chal = np.asarray(chal, dtype=float).reshape(n, 1)
    floors, _ = _tiers(c.tiers)
    if n and _needs_base(floors, c.floor_basis, c.min_attainment) and (base <= 0).any():
        raise PlanError(f'reps: "{plan.reps[int(np.flatnonzero(base <= 0)[0])].name}" has no in-year base quota, '
                        "which its commission tiers need")
    kw = dict(tiers=c.tiers, cap=c.cap, min_attainment=c.min_attainment, floor_basis=c.floor_basis)
    bands, retro = _rounded_bands(ytd, base, chal, unit, **kw) if n else (np.zeros((0, p, len(floors)), np.int64),
                                                                          np.zeros((0, p), np.int64))
    marginal = bands.sum(axis=-1)
    earned = marginal if c.mode == "marginal" else retro
    guarantee = np.cumsum(y.draw_months, axis=1)[:, e]
    due = np.maximum(earned, guarantee)
    closed = np.array([end % PAYOUT_MONTHS[c.payout] == 0 for end in ends])
    recorded, made = _recorded(plan, paid, ends, closed)
    # Paid by the end of each period: before + its recorded payment, else its due to date.
    cum = np.zeros((n, p), dtype=np.int64)
    before = np.zeros((n, p), dtype=np.int64)
    for j in range(p):
        before[:, j] = cum[:, j - 1] if j else 0
        cum[:, j] = np.where(made[:, j], before[:, j] + recorded[:, j], due[:, j])
    payment = np.where(made, recorded, due - before)
    period_sales = ytd - np.concatenate([np.zeros((n, 1)), ytd[:, :-1]], axis=1)
    ytd_quota = np.cumsum(y.base_months, axis=1)[:, e]
    uncapped = commission(ytd, base, chal, mode=c.mode, tiers=c.tiers, min_attainment=c.min_attainment,
                          floor_basis=c.floor_basis) if n else np.zeros((0, p))
    met = (np.asarray(_eligible(ytd, base, c.min_attainment)) & np.ones((n, p), bool)) if n else np.zeros((0, p), bool)
    reached = band_reached(ytd, base, chal, c.tiers, c.floor_basis) if n else np.zeros((0, p), np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(base > 0, ytd / base, np.nan)
        ytd_quota_amount = np.asarray(from_units(ytd_quota, unit), dtype=float).reshape(n, p)
        ytd_attainment = np.where(ytd_quota_amount > 0, ytd / ytd_quota_amount, np.nan)
    cap = np.inf if c.cap is None else c.cap
    rows = {
        "rep": np.repeat(plan.rep_names, p),
        "region": [plan.region_names[y.region[i, end - 1]] for i in range(n) for end in ends],
        "period": [period_label(c.payout, end) for end in ends] * n,
        "end": np.tile(ends, n),
        "closed": np.tile(closed, n),
        "months_covered": np.cumsum(y.covered, axis=1)[:, e].reshape(-1),
        "sales": period_sales.reshape(-1),
        "ytd_sales": ytd.reshape(-1),
        "ytd_base_quota": ytd_quota_amount.reshape(-1),
        "base_quota": np.repeat(base[:, 0], p),
        "challenge_quota": np.repeat(chal[:, 0], p),
        "attainment": attainment.reshape(-1),
        "ytd_attainment": ytd_attainment.reshape(-1),
        "band": np.asarray(reached, dtype=np.int64).reshape(-1) + 1,
    }
    for k in range(len(floors)):
        rows[f"band_{k + 1}"] = np.asarray(from_units(bands[..., k].reshape(-1), unit), dtype=float)
    money = {"commission_marginal": marginal, "commission_retroactive": retro, "ytd_commission": earned}
    rows.update({k: np.asarray(from_units(v.reshape(-1), unit), dtype=float) for k, v in money.items()})
    rows["min_attainment_met"] = met.reshape(-1)
    rows["capped"] = (np.asarray(uncapped).reshape(-1) > cap)
    money = {"guarantee": guarantee, "paid_to_date": due, "paid_before": before, "payment": payment}
    rows.update({k: np.asarray(from_units(v.reshape(-1), unit), dtype=float) for k, v in money.items()})
    rows["recorded"] = made.reshape(-1)
    rows["draw_balance"] = np.asarray(from_units(np.maximum(guarantee - earned, 0).reshape(-1), unit), dtype=float)
    return pd.DataFrame(rows)


def _recorded(plan: Plan, paid, ends: list[int], closed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Recorded payments in whole units per rep and period, and where there is one (closed
    # periods only: a payment is made for a period that has ended).
    n, p = len(plan.reps), len(ends)
    units = np.zeros((n, p), dtype=np.int64)
    made = np.zeros((n, p), dtype=bool)
    if not paid:
        return units, made
    if not isinstance(paid, Mapping):
        raise PlanError(f"paid: expected a mapping rep name -> {{period end month: amount}}, got {type(paid).__name__}")
    names = plan.rep_names
    for rep, by_period in paid.items():
        if rep not in names:
            raise PlanError(f'paid: "{rep}" is not a rep of the plan')
        for end, amount in (by_period or {}).items():
            if end not in ends or not closed[ends.index(end)] or amount is None:
                continue
            j = ends.index(end)
            units[names.index(rep), j] = to_units(_number(amount, f'paid["{rep}"][{end}]'), plan.plan.unit,
                                                  field=f'paid["{rep}"][{end}]', round_half=True)
            made[names.index(rep), j] = True
    return units, made
