"""Checks of a plan that span fields, and the wording of every validation message.

Messages name the plan field and the value (``regions[2].weight: must be >= 0, got -5``);
all problems of a plan are collected, not just the first.
"""

from __future__ import annotations

import difflib
import json
import math
from typing import TYPE_CHECKING, Any

from aop_xl.units import is_whole

if TYPE_CHECKING:
    from aop_xl.plan import Plan


def is_multiple_of_unit(amount: float, unit: float) -> bool:
    """True when ``amount`` is a whole number of ``unit`` (tolerating float representation)."""
    return bool(is_whole(amount / unit))


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if not isinstance(value, (int, float)) else str(value)


def field_message(err: dict[str, Any]) -> str:
    """One line for one pydantic error: the plan path, what was expected, what was given."""
    # Pydantic's loc includes the tag of a Literal/union branch for some errors; drop the
    # parts that are not in the data so the path reads like the plan file.
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal["))))
    if err["type"] in ("literal_error", "union_tag_invalid") or "literal[" in str(err["loc"]):
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("float", "int", "str"))))
    path = _location(loc)
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return f"{path}: unknown key"
    if kind == "missing":
        return f"{path}: required"
    ctx = err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"{path}: must be {op} {_describe(bound)}, got {_describe(value)}"
    if kind == "literal_error":
        return f"{path}: must be {ctx.get('expected', 'one of the allowed values')}, got {_describe(value)}"
    if kind == "too_short":
        return f"{path}: expected at least {ctx.get('min_length')} items, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"{path}: expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "value_error":
        return f"{path}: {str(ctx.get('error', err['msg']))}"
    return f"{path}: {err['msg'][0].lower() + err['msg'][1:]}, got {_describe(value)}"


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.casefold() == value.casefold()]
    return f' (did you mean "{close[0]}"?)' if close else ""


def _duplicates(kind: str, names: list[str]) -> list[str]:
    # Excel compares names case-insensitively; two members differing only in case would
    # collide in every lookup and defined name, so they are refused here.
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names):
        key = name.strip().casefold()
        if key in seen:
            problems.append(
                f'{kind}[{i}].name: "{name}" duplicates {kind}[{seen[key]}].name "{names[seen[key]]}"'
                + (" (names are compared ignoring case)" if names[seen[key]] != name else "")
            )
        else:
            seen[key] = i
    return problems


def plan_problems(plan: Plan) -> list[str]:
    """The problems a plan has across fields: names, references, totals, locks, tiers."""
    problems: list[str] = []
    h = plan.plan
    unit = h.unit
    problems += _duplicates("regions", plan.region_names)
    problems += _duplicates("products", plan.product_names)
    problems += _duplicates("reps", plan.rep_names)

    regions = plan.region_names
    products = plan.product_names
    for i, rep in enumerate(plan.reps):
        if rep.region not in regions:
            problems.append(f'reps[{i}].region: "{rep.region}" is not a region{_did_you_mean(rep.region, regions)}')
    for i, item in enumerate(plan.budget):
        if item.region is not None and item.region not in regions:
            problems.append(
                f'budget[{i}].region: "{item.region}" is not a region{_did_you_mean(item.region, regions)}'
            )
    for i, r in enumerate(plan.regions):
        if r.product_mix is not None:
            for name in r.product_mix:
                if name not in products:
                    problems.append(
                        f'regions[{i}].product_mix: "{name}" is not a product{_did_you_mean(name, products)}'
                    )
            if not any(plan.product_mix(r)):
                problems.append(f"regions[{i}].product_mix: weights are all zero")
        if r.target is not None:
            if not is_multiple_of_unit(r.target, unit):
                problems.append(f"regions[{i}].target: {_describe(r.target)} is not a multiple of the unit {unit:g}")
        elif r.weight is None and r.prior_year_revenue is None:
            problems.append(f"regions[{i}]: give weight, prior_year_revenue or target")
    for i, p in enumerate(plan.products):
        if p.weight is None and p.prior_year_revenue is None:
            problems.append(f"products[{i}]: give weight or prior_year_revenue")

    if problems:
        return problems

    if h.total_target is None and h.prior_year_revenue is None:
        missing = [i for i, r in enumerate(plan.regions) if r.target is None and r.prior_year_revenue is None]
        if missing:
            problems.append(
                "plan.total_target: required (or plan.prior_year_revenue, or prior_year_revenue or target "
                f"on every region; regions[{missing[0]}] has neither)"
            )
            return problems
    total = plan.total_target()
    if not math.isfinite(total):
        problems.append(f"plan.total_target: must be a finite number, got {total}")
        return problems
    if not is_multiple_of_unit(total, unit):
        problems.append(f"plan.total_target: {_describe(total)} is not a multiple of the unit {unit:g}")
    if total < 0 and not h.allow_negative:
        problems.append(
            f"plan.total_target: must be >= 0, got {_describe(total)} (set plan.allow_negative = true for a planned decline)"
        )
    locks = plan.region_locks()
    unlocked = [i for i in range(len(plan.regions)) if i not in locks]
    locked_sum = sum(locks.values())
    if locks and abs(locked_sum) > abs(total) + unit / 2:
        problems.append(
            f"regions: fixed targets add up to {_describe(locked_sum)}, more than plan.total_target {_describe(total)}"
        )
    weights = plan.region_weights()
    rest = total - locked_sum
    if abs(rest) >= unit / 2 and not any(weights[i] for i in unlocked):
        problems.append("regions: weights are all zero" + (" (for the regions without a fixed target)" if locks else ""))
    if not any(plan.product_weights()) and any(r.product_mix is None for r in plan.regions):
        problems.append("products: weights are all zero")
    for name in regions:
        idx = plan.reps_of(name)
        if idx and not any(plan.reps[i].share for i in idx):
            problems.append(f'reps: shares of region "{name}" are all zero')

    problems += _tier_problems(plan)
    return problems


def _tier_problems(plan: Plan) -> list[str]:
    c = plan.commission
    problems = []
    if c.tiers[0].floor not in (0, 0.0):
        problems.append(f"commission.tiers[0].floor: the first band must start at 0, got {_describe(c.tiers[0].floor)}")
    if c.floor_basis == "absolute":
        if any(isinstance(t.floor, str) for t in c.tiers) and any(
            not isinstance(t.floor, str) and t.floor > 0 for t in c.tiers
        ):
            problems.append('commission.tiers: with floor_basis = "absolute" do not mix amounts with "base"/"challenge"')
            return problems
    floors = [tier_floor_fraction(t.floor, plan.plan.challenge_uplift) for t in plan.commission.tiers]
    for i in range(1, len(floors)):
        if floors[i] <= floors[i - 1]:
            problems.append(
                f"commission.tiers[{i}].floor: tiers must be in ascending order of floor, "
                f"got {_describe(c.tiers[i].floor)} after {_describe(c.tiers[i - 1].floor)}"
            )
    return problems


def tier_floor_fraction(floor: float | str, challenge_uplift: float) -> float:
    """A tier floor as a fraction of the base quota ("base" is 1, "challenge" 1 + uplift)."""
    if floor == "base":
        return 1.0
    if floor == "challenge":
        return 1.0 + challenge_uplift
    return float(floor)
