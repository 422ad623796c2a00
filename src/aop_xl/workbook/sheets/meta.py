"""The hidden meta sheet: template id, version, capacities and the plan's fingerprint.

A reader recognises a returned workbook by these cells (and rebuilds its
:class:`~aop_xl.workbook.layout.Layout` from the capacities); the fingerprint says which
top-down numbers the workbook was built from (:data:`~aop_xl.workbook.layout.FINGERPRINT_METHOD`).
"""

from __future__ import annotations

import hashlib
import json

from aop_xl.engine.targets import target_units
from aop_xl.plan import Plan
from aop_xl.workbook.layout import FINGERPRINT_METHOD, META, META_KEYS, TEMPLATE_ID, TEMPLATE_VERSION
from aop_xl.workbook.sheets import Context, set_widths


def plan_fingerprint(plan: Plan) -> str:
    """sha256 (hex) of the plan's top-down numbers, as described by FINGERPRINT_METHOD.

    Args:
        plan: a validated plan.

    Returns:
        64 hex digits.
    """
    cells = target_units(plan).cells.tolist()
    doc = [1, plan.plan.unit, plan.region_names, plan.product_names, cells]
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build(ctx: Context) -> None:
    """Write the hidden meta sheet."""
    lay, plan = ctx.layout, ctx.plan
    w = ctx.writer(META)
    cap = lay.capacity
    values = {
        "template_id": TEMPLATE_ID,
        "template_version": TEMPLATE_VERSION,
        "blank": plan is None,
        "fingerprint": "" if plan is None else plan_fingerprint(plan),
        "fingerprint_method": FINGERPRINT_METHOD,
        **{k: getattr(cap, k) for k in ("regions", "products", "reps", "tiers", "budget", "kpis")},
    }
    m = lay.meta
    w.label(1, 1, "key", "header")
    w.label(1, 2, "value", "header")
    for i, key in enumerate(META_KEYS):
        w.label(m.row(i), m.col("key"), key, "meta")
        value = values[key]
        if isinstance(value, str):
            w.text(m.row(i), m.col("value"), value, "meta")
        else:
            w.value(m.row(i), m.col("value"), value, "meta")
    set_widths(ctx.sheets[META], {1: 20, 2: 70})
