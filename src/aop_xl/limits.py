"""The limits of a plan and of its workbook, in one place.

A plan beyond them is refused at once, before any heavy work, with the limit named; they
are documented in ``docs/plan-format.md`` (section "Limits"). The plan limits bound what
``aop-xl plan check`` and the engine accept; the workbook limits are lower, because every
member becomes rows of live formulas (and the targets block has a row per region x product).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Members a plan may have, by block.
PLAN_MEMBERS = {"regions": 1_000, "products": 1_000, "reps": 50_000, "budget": 1_000, "kpis": 200}
#: Reps x products of a plan: the engine plans every rep's target by product and month.
PLAN_REP_PRODUCTS = 500_000
#: Commission bands of a plan (and of a workbook).
TIERS = 20
#: Bytes of a plan file (TOML or JSON).
PLAN_FILE_BYTES = 32 * 1024 * 1024
#: Levels of nesting in a plan file; a valid plan has at most 4 (commission.tiers[0].floor).
PLAN_DEPTH = 16

#: Members a workbook (``aop-xl build``) may have, by block.
WORKBOOK_MEMBERS = {"regions": 100, "products": 200, "reps": 2_000, "budget": 200, "kpis": 50}
#: Rows of the workbook's targets block: regions x products.
WORKBOOK_REGION_PRODUCTS = 4_000

#: Excel's limits on one cell: characters of text, and characters of a formula.
EXCEL_CELL_CHARS = 32_767
EXCEL_FORMULA_CHARS = 8_192

_NOUN = {"regions": "regions", "products": "products", "reps": "reps", "budget": "budget lines", "kpis": "KPIs"}


def _over(field: str, count: int, limit: int, noun: str, of_what: str) -> str:
    return f"{field}: {count:,} {noun}, more than the {limit:,} {of_what} may have"


def plan_limit_problems(data: Mapping[str, Any]) -> list[str]:
    """Blocks of a plan document (the parsed file, before validation) beyond the plan limits.

    Args:
        data: the plan document.

    Returns:
        One message per block over its limit, naming the limit; empty when within.
    """
    problems = member_limit_problems(
        {block: len(members) for block in PLAN_MEMBERS if isinstance(members := data.get(block), list)}
    )
    commission = data.get("commission")
    tiers = commission.get("tiers") if isinstance(commission, Mapping) else None
    if isinstance(tiers, list) and len(tiers) > TIERS:
        problems.append(_over("commission.tiers", len(tiers), TIERS, "bands", "a plan"))
    regions = data.get("regions")
    for i, region in enumerate(regions if isinstance(regions, list) else []):
        mix = region.get("product_mix") if isinstance(region, Mapping) else None
        if isinstance(mix, Mapping) and len(mix) > PLAN_MEMBERS["products"]:
            problems.append(_over(f"regions[{i}].product_mix", len(mix), PLAN_MEMBERS["products"], "products",
                                  "a plan"))
    return problems


def member_limit_problems(counts: Mapping[str, int]) -> list[str]:
    """Blocks with more members than a plan may have.

    Args:
        counts: members by block (``regions``, ``products``, ``reps``, ``budget``, ``kpis``).

    Returns:
        One message per block over its limit, naming the limit.
    """
    problems = [_over(block, counts[block], limit, _NOUN[block], "a plan")
                for block, limit in PLAN_MEMBERS.items() if counts.get(block, 0) > limit]
    reps, products = counts.get("reps", 0), counts.get("products", 0)
    if not problems and reps * products > PLAN_REP_PRODUCTS:
        problems.append(f"reps x products: {reps:,} x {products:,} = {reps * products:,}, "
                        f"more than the {PLAN_REP_PRODUCTS:,} a plan may have")
    return problems


def workbook_limit_problems(counts: Mapping[str, int]) -> list[str]:
    """Blocks beyond the workbook limits, from the members a plan has.

    Args:
        counts: members by block (``regions``, ``products``, ``reps``, ``budget``, ``kpis``).

    Returns:
        One message per limit exceeded, naming it; empty when the workbook can be built.
    """
    problems = [
        _over(block, counts[block], limit, _NOUN[block], "a workbook")
        for block, limit in WORKBOOK_MEMBERS.items()
        if counts.get(block, 0) > limit
    ]
    cells = counts.get("regions", 0) * counts.get("products", 0)
    if cells > WORKBOOK_REGION_PRODUCTS:
        problems.append(
            f"regions x products: {counts['regions']:,} x {counts['products']:,} = {cells:,} rows of targets, "
            f"more than the {WORKBOOK_REGION_PRODUCTS:,} a workbook may have"
        )
    if counts.get("tiers", 0) > TIERS:
        problems.append(_over("commission.tiers", counts["tiers"], TIERS, "bands", "a workbook"))
    return problems


def workbook_row_problems(members: Mapping[str, int], rows: Mapping[str, int]) -> list[str]:
    """Blocks whose rows (members and the empty rows left for new members) exceed the workbook
    limits, for a plan whose members are within them (:func:`workbook_limit_problems`).

    Args:
        members: members by block, as the plan has them.
        rows: rows by block in the workbook (members plus spare rows).

    Returns:
        One message per limit exceeded, naming the members, the spare rows and the limit.
    """
    problems = []
    for block, limit in WORKBOOK_MEMBERS.items():
        have, want = members.get(block, 0), rows.get(block, 0)
        if want > limit:
            problems.append(f"{block}: {have:,} {_NOUN[block]} and {want - have:,} empty rows for new ones, "
                            f"more than the {limit:,} rows a workbook may have (build with fewer spare rows)")
    cells = rows.get("regions", 0) * rows.get("products", 0)
    if not problems and cells > WORKBOOK_REGION_PRODUCTS:
        problems.append(f"regions x products: {rows['regions']:,} x {rows['products']:,} rows with the empty rows "
                        f"for new members = {cells:,} rows of targets, more than the {WORKBOOK_REGION_PRODUCTS:,} "
                        "a workbook may have (build with fewer spare rows)")
    return problems
