"""The ``=AOP_*`` worksheet functions (xlwings UDFs, Windows Excel).

Each function converts its arguments (:mod:`aop_xl.xl.convert`), calls one engine function
and converts the result; bad input gives a short ``#AOP! ...`` text in the cell. They are
registered by xlwings' "Import Functions" (or the aop_xl add-in's generated VBA module),
in the category "aop_xl"; the function wizard shows each docstring and argument ``doc``.

Arguments arrive as xlwings reads them: a blank cell is None, a number a float, a cell
error its text (``err_to_str=True``), and range arguments (``ndim=2``) a list of rows.
Optional arguments default to None in Python, so an omitted argument and a blank cell
both mean "the engine's default" (which the argument's ``doc`` states).

Array results are plain lists of rows, without ``xw.ret(expand=...)``: Excel 365 spills
them natively (dynamic arrays); in older Excel, select the output range and enter the
formula with Ctrl+Shift+Enter. ``expand="table"`` is xlwings' emulation of spilling for
those older versions; it rewrites the caller's formula as a legacy array formula through
COM after each calculation, which fights with native spilling, so it is not used.

On Linux and macOS ``xw.func``/``xw.arg`` are no-ops and this module only needs xlwings to
import; the functions stay plain, callable Python functions everywhere.
"""

from __future__ import annotations

import inspect

import xlwings as xw

from aop_xl.engine.budget import roi
from aop_xl.engine.commission import MODES, band_reached, commission
from aop_xl.engine.kpi import DIRECTIONS, HEALTH_COMPONENTS, health_score, health_tier, rag
from aop_xl.engine.reconcile import reconcile
from aop_xl.engine.split import split
from aop_xl.engine.spread import spread
from aop_xl.errors import PlanError
from aop_xl.plan import DEFAULT_TIERS
from aop_xl.xl import convert
from aop_xl.xl.convert import errors_as_values

CATEGORY = "aop_xl"
# xlwings' reader options: a cell error arrives as its text ("#N/A") instead of None, so it
# is refused by name rather than taken for a blank; ranges always arrive as lists of rows.
VALUE = {"err_to_str": True}
RANGE = {"ndim": 2, "err_to_str": True}


def _default(func, name: str) -> str:
    # The engine's default, quoted in the argument's description so the two cannot drift.
    value = inspect.signature(func).parameters[name].default
    return f'"{value}"' if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def _default_rates() -> str:
    return " / ".join(f"{t.rate:.4g}" for t in DEFAULT_TIERS)


RATES_DOC = (
    f"Optional. Up to {len(DEFAULT_TIERS)} rates (a row or column) for the bands from 0, from the base quota, "
    "from the challenge quota; or a table floor | rate, a floor being base, challenge or a fraction of the "
    f"base quota, first 0. Default {_default_rates()}."
)


@xw.func(category=CATEGORY)
@xw.arg("total", doc="The amount to split; a whole number of units.", **VALUE)
@xw.arg(
    "weights",
    doc="Relative weights (any scale, >= 0; blank = 0): a column, a row or a block. The result has the same shape.",
    **RANGE,
)
@xw.arg("unit", doc=f"Optional. The rounding unit (0.01, 1, 1000...). Default {_default(split, 'unit')}.", **VALUE)
@xw.arg(
    "locks",
    doc="Optional. A range the shape of weights: a non-blank cell fixes that part's amount; "
    "the rest is split over the blank ones by weight.",
    **RANGE,
)
@errors_as_values
def AOP_SPLIT(total, weights, unit=None, locks=None):
    """Split a total over weights exactly: every part is a whole multiple of the unit and the parts add up to the total (largest remainder). Returns the parts in the shape of weights."""
    parts, cells = convert.numbers_in(weights, "weights")
    amount = convert.number(total, "total")
    if amount < 0:
        # The engine takes a planned decline only on request, which a worksheet cannot make:
        # the cell says how to split one in Excel's own terms.
        raise PlanError(f"total: must be >= 0, got {amount:g}; for a decline, split the positive amount "
                        f"and negate it: =-AOP_SPLIT({-amount:g}, ...)")
    result = split(
        amount,
        parts,
        **convert.engine_args(unit=convert.optional_number(unit, "unit"), locks=convert.locks(locks, cells)),
    )
    return convert.shaped_like(result, cells)


@xw.func(category=CATEGORY)
@xw.arg("row_totals", doc="The fixed row totals (a row or column, >= 0, whole units; blank = 0).", **RANGE)
@xw.arg("col_totals", doc="The fixed column totals; they must add up to the same total as row_totals.", **RANGE)
@xw.arg(
    "seed",
    doc="Optional. Relative weights, rows x columns, whose pattern the result keeps (zero cells stay zero). "
    "Default: proportional to row x column totals.",
    **RANGE,
)
@xw.arg("unit", doc=f"Optional. The rounding unit. Default {_default(spread, 'unit')}.", **VALUE)
@errors_as_values
def AOP_SPREAD(row_totals, col_totals, seed=None, unit=None):
    """Spread totals over a table whose rows and columns add up exactly to both margins, in whole units (biproportional fitting and controlled rounding). Returns rows x columns."""
    result = spread(
        convert.line(row_totals, "row_totals"),
        convert.line(col_totals, "col_totals"),
        **convert.engine_args(seed=convert.matrix(seed, "seed"), unit=convert.optional_number(unit, "unit")),
    )
    return convert.excel_value(result)


@xw.func(category=CATEGORY)
@xw.arg("sales", doc="Sales of the period or year to date; negative sales earn nothing.", **VALUE)
@xw.arg("base_quota", doc="The base quota (> 0).", **VALUE)
@xw.arg("challenge_quota", doc="The challenge quota (above the base quota); may be blank if no band uses it.", **VALUE)
@xw.arg("rates", doc=RATES_DOC, **RANGE)
@xw.arg(
    "mode",
    doc="Optional. marginal (each band's rate on the sales inside it) or retroactive (the highest band "
    f"reached on all sales). Default {_default(commission, 'mode')}.",
    **VALUE,
)
@errors_as_values
def AOP_COMMISSION(sales, base_quota, challenge_quota, rates=None, mode=None):
    """Tiered commission on sales: base quota and challenge quota bands, marginal or retroactive. Default rates 1% / 1.5% / 2%. Unrounded."""
    result = commission(
        convert.number(sales, "sales"),
        convert.number(base_quota, "base_quota"),
        convert.optional_number(challenge_quota, "challenge_quota"),
        **convert.engine_args(tiers=convert.tiers(rates), mode=convert.choice(mode, "mode", MODES)),
    )
    return convert.excel_value(result)


@xw.func(category=CATEGORY)
@xw.arg("sales", doc="Sales of the period or year to date.", **VALUE)
@xw.arg("base_quota", doc="The base quota (> 0).", **VALUE)
@xw.arg("challenge_quota", doc="The challenge quota; may be blank if no band uses it.", **VALUE)
@xw.arg("rates", doc=RATES_DOC, **RANGE)
@errors_as_values
def AOP_TIER(sales, base_quota, challenge_quota, rates=None):
    """The commission band the sales reach, counted from 1: with the default bands 1 = below the base quota, 2 = from the base quota, 3 = from the challenge quota (sales >= floor)."""
    result = band_reached(
        convert.number(sales, "sales"),
        convert.number(base_quota, "base_quota"),
        convert.optional_number(challenge_quota, "challenge_quota"),
        **convert.engine_args(tiers=convert.tiers(rates)),
    )
    return convert.one_based(result)


@xw.func(category=CATEGORY)
@xw.arg("actual", doc="The actual value; blank = not yet known (the status is then blank).", **VALUE)
@xw.arg("target", doc="The target value.", **VALUE)
@xw.arg(
    "direction",
    doc=f"Optional. higher (higher is better) or lower (churn, returns, cycle length). "
    f"Default {_default(rag, 'direction')}.",
    **VALUE,
)
@xw.arg(
    "red", doc=f"Optional. Red when the lag (1 - actual/target) is above it. Default {_default(rag, 'red')}.", **VALUE
)
@xw.arg(
    "amber", doc=f"Optional. Amber when the lag is above it (and not red). Default {_default(rag, 'amber')}.", **VALUE
)
@errors_as_values
def AOP_RAG(actual, target, direction=None, red=None, amber=None):
    """Red / amber / green status of a KPI against its target. Lag = 1 - actual/target (target/actual when lower is better); red above 30%, amber above 10%, else green."""
    result = rag(
        convert.optional_number(actual, "actual"),
        convert.number(target, "target"),
        **convert.engine_args(
            direction=convert.choice(direction, "direction", DIRECTIONS),
            red=convert.optional_number(red, "red"),
            amber=convert.optional_number(amber, "amber"),
        ),
    )
    return convert.excel_value(result)


@xw.func(category=CATEGORY)
@xw.arg(
    "frequency", doc="Purchase frequency as a ratio to its benchmark (1 = at benchmark, scores 100; capped).", **VALUE
)
@xw.arg(
    "order_value",
    doc="Average order value as a ratio to its benchmark (1 = at benchmark, scores 100; capped).",
    **VALUE,
)
@xw.arg("complaint_rate", doc="Complaint rate as a fraction (0 scores 100, 10% or more scores 0).", **VALUE)
@xw.arg("nps", doc="Net promoter score, -100 to 100 (scores (NPS + 100) / 2).", **VALUE)
@xw.arg(
    "weights",
    doc=f"Optional. {len(HEALTH_COMPONENTS)} relative weights in the order frequency, order value, "
    "complaint rate, NPS. Default: equal weights.",
    **RANGE,
)
@errors_as_values
def AOP_HEALTH(frequency, order_value, complaint_rate, nps, weights=None):
    """Customer health score, 0 to 100: the weighted mean of frequency, order value, complaint rate and NPS, each scaled 0 to 100. Healthy >= 80, watch 60 to 80, at risk < 60."""
    result = health_score(
        convert.number(frequency, "frequency"),
        convert.number(order_value, "order_value"),
        convert.number(complaint_rate, "complaint_rate"),
        convert.number(nps, "nps"),
        **convert.engine_args(weights=convert.optional_line(weights, "weights")),
    )
    return convert.excel_value(result)


@xw.func(category=CATEGORY)
@xw.arg("score", doc="A customer health score, 0 to 100 (see AOP_HEALTH).", **VALUE)
@errors_as_values
def AOP_HEALTH_TIER(score):
    """The tier of a customer health score: healthy (>= 80, offer value-added services), watch (60 to 80, win-back plan) or at_risk (< 60, executive visit)."""
    return convert.excel_value(health_tier(convert.number(score, "score")))


@xw.func(category=CATEGORY)
@xw.arg("topdown", doc="Top-down amount(s) (>= 0; blank = 0): one value, a row or a column.", **RANGE)
@xw.arg("bottomup", doc="Bottom-up amount(s), one per top-down cell, matched cell by cell.", **RANGE)
@xw.arg(
    "tolerance",
    doc=f"Optional. The largest |gap %| accepted without discussion. Default {_default(reconcile, 'tolerance')}.",
    **VALUE,
)
@errors_as_values
def AOP_GAP(topdown, bottomup, tolerance=None):
    """Top-down vs bottom-up gap: gap (BU - TD), gap % (gap / TD, blank when TD is 0) and within tolerance (TRUE/FALSE). One value: a row of 3; a column of n: n x 3; a row of n: 3 x n."""
    td, cells = convert.numbers_in(topdown, "topdown", line=True)
    result = reconcile(
        convert.series(td, "topdown"),
        convert.series(convert.numbers_like(bottomup, cells, "bottomup"), "bottomup"),
        **convert.engine_args(tolerance=convert.optional_number(tolerance, "tolerance")),
    )
    return convert.gaps_like(result.gaps, cells)


@xw.func(category=CATEGORY)
@xw.arg("revenue", doc="Target revenue of the plan (or of a region).", **VALUE)
@xw.arg("gross_margin", doc="Weighted gross margin as a fraction (0.4 or 40%).", **VALUE)
@xw.arg("cost", doc="Sales cost: the sum of the budget items (>= 0).", **VALUE)
@errors_as_values
def AOP_ROI(revenue, gross_margin, cost):
    """Return on the sales budget: (revenue x gross margin - cost) / cost, as a fraction (3 = 300%). Blank when the cost is 0."""
    result = roi(
        convert.number(revenue, "revenue"),
        convert.number(gross_margin, "gross_margin"),
        convert.number(cost, "cost"),
    )
    return convert.excel_value(result)
