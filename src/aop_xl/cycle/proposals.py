"""The round's bottom-up: accepted proposals, and the top-down where none is accepted yet.

An accepted returned file's ``accepted`` ledger entry holds what was read from it: the unit,
its issue, the file's name and SHA-256, and per product the 12 monthly proposals (amounts, as
read) and the comment.

:func:`round_bottom_up` assembles region x product x month for the master: the accepted
proposals of each unit (summed over a region's reps when the round went out by rep), and the
master's top-down targets for a unit without an accepted proposal, so that the reconciliation
shows no gap where nobody has answered yet (its ``source`` says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aop_xl.cycle.round import Round
from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.targets import rep_cells, target_units
from aop_xl.units import from_units
from aop_xl.workbook.reports import DIMENSIONS

@dataclass(frozen=True)
class BottomUp:
    """Region x product x month proposals for the master, with each line's comment and source."""

    values: pd.Series  # indexed like aop_xl.workbook.reports.topdown_series
    comments: dict[tuple[str, str], str]
    sources: dict[tuple[str, str], str]
    answered: int  # units with an accepted proposal
    units: int  # units of the round


def round_bottom_up(rnd: Round) -> BottomUp:
    """The round's bottom-up for the master (see the module's text)."""
    plan = rnd.plan
    unit = plan.plan.unit
    t = target_units(plan)
    regions, products = plan.region_names, plan.product_names
    values = np.asarray(from_units(t.cells, unit), dtype=float).copy()  # (R, P, 12) top-down
    states = rnd.units()
    kind = rnd.kind or "region"
    comments: dict[tuple[str, str], list[str]] = {}
    sources: dict[tuple[str, str], str] = {}
    answered = 0
    if kind == "region":
        for i, region in enumerate(regions):
            state = states.get(f"region:{region}")
            sub = _submission(rnd, state)
            if sub is None:
                for p in products:
                    sources[(region, p)] = "top-down (no accepted proposal)"
                continue
            answered += 1
            _apply(values[i], sub, products)
            for j, p in enumerate(products):
                if sub["comments"][j]:
                    comments.setdefault((region, p), []).append(sub["comments"][j])
                sources[(region, p)] = f"{sub['file']} (issue {sub['issue']})"
        total_units = len(regions)
    else:
        per_rep = from_units(rep_cells(plan, t), unit) if plan.reps else None
        by_region: dict[str, list[str]] = {}
        reps_of: dict[str, list[int]] = {}
        for k, rep in enumerate(plan.reps):
            reps_of.setdefault(rep.region, []).append(k)
        for i, region in enumerate(regions):
            reps = reps_of.get(region, [])
            if not reps:
                for p in products:
                    sources[(region, p)] = "top-down (a region without reps)"
                continue
            values[i] = 0.0
            for k in reps:
                rep = plan.reps[k].name
                sub = _submission(rnd, states.get(f"rep:{rep}"))
                if sub is None:
                    values[i] += per_rep[k]
                    continue
                answered += 1
                by_region.setdefault(region, []).append(rep)
                block = np.zeros((len(products), 12))
                _apply(block, sub, products)
                values[i] += block
                for j, p in enumerate(products):
                    if sub["comments"][j]:
                        comments.setdefault((region, p), []).append(f"{rep}: {sub['comments'][j]}")
            got = len(by_region.get(region, []))
            for p in products:
                sources[(region, p)] = (f"{got} of {len(reps)} reps' proposals; top-down for the others"
                                        if got < len(reps) else f"all {len(reps)} reps' proposals")
        total_units = len(plan.reps)
    index = pd.MultiIndex.from_product([regions, products, fiscal_month_names(plan.plan.fiscal_year_start)],
                                       names=DIMENSIONS)
    series = pd.Series(values.reshape(-1), index=index, name="bottomup")
    return BottomUp(series, {k: " | ".join(v) for k, v in comments.items()}, sources, answered, total_units)


def _submission(rnd: Round, state) -> dict | None:
    # The accepted proposals are in the ledger's ``accepted`` entry.
    if state is None or state.accepted is None:
        return None
    return state.accepted


def _apply(target: np.ndarray, sub: dict, products: list[str]) -> None:
    rows = dict(zip(sub["products"], sub["values"]))
    for j, p in enumerate(products):
        if p in rows:
            target[j] = np.asarray(rows[p], dtype=float)
