"""The top-down numbers of the round's units, many at once.

A unit's workbook shows what the engine computes for the unit's own plan
(:meth:`aop_xl.cycle.regional.RoundSlices.document`). Computing that plan by plan costs a few
milliseconds each, almost all of it numpy's overhead on tables of a dozen cells. For the units
whose plan is one region with month weights and a product mix that the engine uses as they
are (a positive total; reduced weights adding up to at most 2^31), the same numbers come from
the engine's own table functions called once for a whole batch of units:

- product x month cells: running-total rounding of the unit's product totals against its
  months, the months being the column weights;
- the reps' base months alike; the challenge months against the quarters-first split of the
  reps' challenge total by the unit's months.

:func:`engine_numbers` gives the same numbers from :func:`aop_xl.engine.targets.target_units`
of the unit's plan; the distribution compares the two on a unit of every shape before it
relies on the batch (and the tests on generated plans), and takes the engine's numbers for
every unit outside the batch's conditions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aop_xl.engine.exact import WEIGHT_SUM_REDUCE, apportion, running_rounding
from aop_xl.engine.targets import TargetUnits, challenge_units
from aop_xl.plan import Plan


@dataclass(frozen=True)
class UnitNumbers:
    """A unit's top-down numbers in signed whole units: what its workbook carries."""

    cells: np.ndarray  # (P, 12) product x month
    base_months: np.ndarray  # (N, 12) its reps' base quotas by month
    challenge_months: np.ndarray  # (N, 12)

    def same_as(self, other: "UnitNumbers") -> bool:
        return all(np.array_equal(a, b) for a, b in ((self.cells, other.cells),
                                                     (self.base_months, other.base_months),
                                                     (self.challenge_months, other.challenge_months)))


def engine_numbers(t: TargetUnits) -> UnitNumbers:
    """The numbers of a unit from the engine's result for the unit's plan."""
    return UnitNumbers(np.asarray(t.cells[0]), np.asarray(t.rep_base_months), np.asarray(t.rep_challenge_months))


@dataclass(frozen=True)
class UnitMargins:
    """What the master gives a unit (magnitudes, whole units): the inputs of its tables."""

    total: int
    months: np.ndarray  # (12,)
    products: np.ndarray  # (P,)
    base: np.ndarray  # (N,) its reps' base quotas, plan order
    sign: int

    @property
    def batchable(self) -> bool:
        """True when the unit's plan uses these numbers as they are (see the module's text)."""
        months = _reduce(self.months)
        products = _reduce(self.products)
        return (self.total > 0 and int(months.sum()) <= WEIGHT_SUM_REDUCE
                and int(products.sum()) <= WEIGHT_SUM_REDUCE)


def _reduce(units: np.ndarray) -> np.ndarray:
    units = np.abs(np.asarray(units, dtype=np.int64))
    g = int(np.gcd.reduce(units)) if units.size else 0
    return units // g if g > 1 else units


def batch_numbers(margins: list[UnitMargins], uplift: float) -> list[UnitNumbers]:
    """The numbers of many batchable units at once (all must have the same number of products).

    Args:
        margins: each unit's :class:`UnitMargins` (``batchable``).
        uplift: the plan's challenge uplift.

    Returns:
        One :class:`UnitNumbers` per unit, in order.
    """
    if not margins:
        return []
    months = np.stack([np.abs(m.months) for m in margins]).astype(np.int64)
    weights = np.stack([_reduce(m.months) for m in margins])
    products = np.stack([np.abs(m.products) for m in margins]).astype(np.int64)
    cells = running_rounding(products, months, weights)
    width = max(max(m.base.size for m in margins), 1)
    base = np.zeros((len(margins), width), dtype=np.int64)
    for b, m in enumerate(margins):
        base[b, :m.base.size] = np.abs(m.base)
    # As the engine does, only units with reps have rep tables.
    has = np.array([m.base.size > 0 for m in margins])
    base_months = np.zeros((len(margins), width, 12), dtype=np.int64)
    challenge_months = np.zeros_like(base_months)
    if has.any():
        w = weights[has]
        base_months[has] = running_rounding(base[has], months[has], w)
        challenge = np.abs(challenge_units(base[has], uplift))
        challenge_months[has] = running_rounding(challenge, _quarters_first(challenge.sum(axis=1), w), w)
    out = []
    for b, m in enumerate(margins):
        n = m.base.size
        out.append(UnitNumbers(m.sign * cells[b], m.sign * base_months[b, :n], m.sign * challenge_months[b, :n]))
    return out


def _quarters_first(n: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # The engine's company_months with one row of month weights per total.
    quarters = apportion(n, weights.reshape(-1, 4, 3).sum(axis=2))
    return np.concatenate([apportion(quarters[:, q], weights[:, 3 * q:3 * q + 3]) for q in range(4)], axis=1)


def plan_numbers_match(plan: Plan, t: TargetUnits, numbers: UnitNumbers) -> bool:
    """True when ``numbers`` are the engine's for the unit's plan (``t = target_units(plan)``)."""
    return engine_numbers(t).same_as(numbers) and len(plan.regions) == 1
