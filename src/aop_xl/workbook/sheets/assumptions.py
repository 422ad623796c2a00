"""Assumptions: every input of the plan, styled as input, with dropdowns where a value is a choice.

The blank template carries the plan model's defaults (unit, uplift, thresholds, growth
defaults, the default tier table, equal quarter weights) and empty member rows.
"""

from __future__ import annotations

import inspect

from openpyxl.worksheet.datavalidation import DataValidation

from aop_xl.engine.budget import budget_summary
from aop_xl.engine.calendar import QUARTERS as QUARTER_NAMES
from aop_xl.plan import BUDGET_CATEGORIES, CommissionPlan, GrowthDefaults, Header, Kpi, Plan, StatusThresholds
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import ASSUMPTIONS, BCG_CLASSES, MARKETS, PARAM_KEYS, PARAMS, Layout, check_list
from aop_xl.workbook.sheets import (
    Context,
    block_title,
    flag_nonzero,
    headers,
    month_header_ref,
    page_setup,
    set_widths,
    title,
)

REALLOCATION_SHARE = inspect.signature(budget_summary).parameters["reallocation_share"].default
CHOICES = {
    "status": ("draft", "submitted", "approved"),
    "allow_negative": ("yes", "no"),
    "commission_mode": ("marginal", "retroactive"),
    "floor_basis": ("quota", "absolute"),
    "payout": ("monthly", "quarterly", "annual"),
    "display": ("units", "thousands", "millions"),
    "market": MARKETS,
    "bcg": BCG_CLASSES,
    "category": BUDGET_CATEGORIES,
    "kind": ("one_time", "recurring"),
    "direction": ("higher", "lower"),
    "kpi_unit": tuple(Kpi.model_fields["unit"].annotation.__args__),
}
_STYLE = {"company": "input_text", "currency": "input_text", "version": "input_text", "year": "input_integer",
          "fiscal_year_start": "input_integer", "total_target": "input_amount", "prior_year_revenue": "input_amount",
          "cap": "input_amount", "unit": "input_number", "goal_1": "input_long", "goal_2": "input_long",
          "goal_3": "input_long", "as_of": "input_integer"}
_PERCENT = {"growth", "challenge_uplift", "min_attainment", "red", "amber", "reallocation_share"}


def param_values(plan: Plan | None) -> dict:
    """The plan settings block's values (the model's defaults for the blank template)."""
    h = plan.plan if plan is not None else None
    c = plan.commission if plan is not None else CommissionPlan()
    s = plan.status if plan is not None else StatusThresholds()
    g = plan.growth_defaults if plan is not None else GrowthDefaults()
    d = {k: f.get_default(call_default_factory=True) for k, f in Header.model_fields.items() if not f.is_required()}
    head = h.model_dump() if h is not None else d
    goals = (h.goals if h is not None else []) + [None] * 3
    values = {k: head.get(k) for k in ("company", "year", "currency", "unit", "total_target", "prior_year_revenue",
                                       "growth", "challenge_uplift", "fiscal_year_start", "version", "status",
                                       "display")}
    values.update(allow_negative="yes" if head.get("allow_negative") else "no", commission_mode=c.mode,
                  floor_basis=c.floor_basis, cap=c.cap, min_attainment=c.min_attainment, payout=c.payout,
                  red=s.red, amber=s.amber, reallocation_share=REALLOCATION_SHARE, as_of=head.get("as_of"))
    values.update({f"growth_{k}": v for k, v in g.market.items()})
    values.update({f"growth_{k}": v for k, v in g.bcg.items()})
    values.update({f"goal_{i + 1}": goals[i] for i in range(3)})
    return values


def _style(key: str) -> str:
    if key in _STYLE:
        return _STYLE[key]
    if key in _PERCENT or key.startswith("growth_"):
        return "input_percent"
    if key in CHOICES:
        return "input_choice"
    return "input_number"


def build(ctx: Context) -> None:
    """Write the Assumptions sheet."""
    lay, plan = ctx.layout, ctx.plan
    ws = ctx.sheets[ASSUMPTIONS]
    w = ctx.writer(ASSUMPTIONS)
    title(w, "Assumptions", "Every input of the plan. Blue on yellow cells are inputs; everything else is calculated.")

    p = lay.params
    block_title(w, p)
    w.label(p.title_row, p.col("value"), BLOCK_NOTES["params"], "note")
    headers(w, p, {"label": "Setting", "value": "Value"})
    values = param_values(plan)
    for i, (key, label) in enumerate(PARAMS):
        w.label(p.row(i), p.col("label"), label)
        value = values[key]
        if key == "version" and value is not None:
            value = str(value)
        w.value(p.row(i), p.col("value"), value, _style(key))

    _goal_rows(ws, p, values)
    _seasonality(ctx, w, plan)
    _members(ctx, w, plan)
    _input_checks(ctx, w)
    _validations(ws, lay)
    set_widths(ws, {1: 34, 2: 30, 3: 14, 4: 16, 5: 14, 6: 14, 7: 16})
    for j in range(lay.capacity.products):
        col = lay.mix.col(f"p{j}")
        if col > 7:
            ws.column_dimensions[lay.mix.letter(f"p{j}")].width = 12
    # The product mix prints only where the plan has one (it is wide and usually empty).
    mixed = plan is not None and any(r.product_mix for r in plan.regions)
    if mixed:
        page_setup(ctx, ws, max(7, lay.mix.col(f"p{lay.capacity.products - 1}")), lay.mix.last_row, title_rows="1:2")
    else:
        page_setup(ctx, ws, 7, lay.kpis.last_row, title_rows="1:2", portrait=True)
    ws.freeze_panes = "A6"


#: The last column a SMART goal's text runs over (B:G are free beside the settings' last rows).
GOAL_LAST_COL = 7


def _goal_rows(ws, p, values: dict) -> None:
    """A SMART goal is prose: its cell is merged over B:G and wrapped (the row's height follows
    its text once the columns are fitted: widths.fit)."""
    for i, (key, _) in enumerate(PARAMS):
        if key.startswith("goal_"):
            ws.merge_cells(start_row=p.row(i), start_column=p.col("value"), end_row=p.row(i), end_column=GOAL_LAST_COL)


def _seasonality(ctx: Context, w, plan: Plan | None) -> None:
    lay = ctx.layout
    qw, mw = lay.quarter_weights, lay.month_weights
    block_title(w, qw)
    headers(w, qw, {"label": "Quarter", "weight": "Weight"})
    if plan is not None:
        quarters, months = plan.seasonality.quarters, plan.seasonality.months
    else:
        quarters, months = Plan.model_fields["seasonality"].default_factory().quarters, None
    for i in range(4):
        w.label(qw.row(i), qw.col("label"), QUARTER_NAMES[i])
        w.value(qw.row(i), qw.col("weight"), quarters[i] if quarters else None, "input_number")
    w.label(mw.title_row, mw.col("label"), "Month weights (when any is filled they replace the quarters)", "section")
    headers(w, mw, {"label": "Month", "weight": "Weight"})
    for m in range(12):
        w.formula(mw.row(m), mw.col("label"), month_header_ref(lay, m), "calc_text")
        w.value(mw.row(m), mw.col("weight"), months[m] if months else None, "input_number")


def _row_values(plan: Plan | None, lay: Layout) -> dict[str, list[dict]]:
    if plan is None:
        return {"regions": [], "products": [], "reps": [], "budget": [], "kpis": [],
                "tiers": [t.model_dump() for t in CommissionPlan().tiers]}
    return {
        "regions": [r.model_dump(exclude={"product_mix"}) for r in plan.regions],
        "products": [x.model_dump() for x in plan.products],
        "reps": [x.model_dump() for x in plan.reps],
        "budget": [x.model_dump() for x in plan.budget],
        "kpis": [x.model_dump(exclude={"actual"}) for x in plan.kpis],
        "tiers": [t.model_dump() for t in plan.commission.tiers],
    }


_TEXT = {"name", "region", "item", "metric"}
_CHOICE = {"market", "bcg", "category", "kind", "direction", "unit"}
_BLOCK_STYLES = {"target": "input_amount", "prior_year_revenue": "input_amount", "amount": "input_amount",
                 "growth": "input_percent", "gross_margin": "input_percent", "rate": "input_percent",
                 "months": "input_integer", "start_month": "input_integer"}
_HEADERS = {"name": "Name", "market": "Market", "weight": "Weight", "prior_year_revenue": "Prior-year revenue",
            "growth": "Growth", "target": "Fixed target", "bcg": "BCG class", "gross_margin": "Gross margin",
            "region": "Region", "share": "Share", "floor": "Floor", "rate": "Rate", "item": "Item",
            "category": "Category", "kind": "Kind", "amount": "Amount (per month if recurring)",
            "months": "Months", "start_month": "Start month", "metric": "Metric", "direction": "Better when",
            "unit": "Unit"}


#: One line under each input block's title: what the block is for and how its rows count.
BLOCK_NOTES = {
    "params": "Settings; a blank total target is derived.",
    "regions": "One row per region (add one in the next empty row): weight, or prior-year revenue.",
    "products": "One row per product: weight (or prior-year revenue) and gross margin.",
    "reps": "One row per rep: region (from the list) and share of the region's target.",
    "tiers": "Bands from the first floor up: 0, base, challenge, or a fraction of base.",
    "budget": "One-time: the amount in its start month; recurring: the amount each month.",
    "kpis": "Annual targets and which way is better; revenue's is the plan's total.",
    "mix": "Optional: a region's own product mix (any number in a row replaces the weights).",
}


def _members(ctx: Context, w, plan: Plan | None) -> None:
    lay = ctx.layout
    rows = _row_values(plan, lay)
    for key in ("regions", "products", "reps", "tiers", "budget", "kpis"):
        table = getattr(lay, key)
        block_title(w, table, col=min(table.columns.values()))
        w.label(table.title_row, min(table.columns.values()) + 1, BLOCK_NOTES[key], "note")
        headers(w, table, {c: _HEADERS[c] for c in table.columns})
        for i in range(table.rows):
            values = rows[key][i] if i < len(rows[key]) else {}
            for col in table.columns:
                value = values.get(col)
                if col in _TEXT:
                    w.text(table.row(i), table.col(col), value, "input_text")
                elif col == "floor" and isinstance(value, str):
                    w.value(table.row(i), table.col(col), value, "input_choice")
                elif col in _CHOICE:
                    w.value(table.row(i), table.col(col), value, "input_choice")
                else:
                    w.value(table.row(i), table.col(col), value, _BLOCK_STYLES.get(col, "input_number"))
    # Product mix: one row per region, one column per product; a row left blank uses the
    # products' own weights.
    mix, regions, products = lay.mix, lay.regions, lay.products
    w.label(mix.title_row, mix.col("region"), mix.title, "section")
    w.label(mix.title_row, mix.col("region") + 1, BLOCK_NOTES["mix"], "note")
    w.label(mix.header_row, mix.col("region"), "Region", "header")
    for j in range(lay.capacity.products):
        w.formula(mix.header_row, mix.col(f"p{j}"), fx.text_ref(products.cell("name", j, col_abs=True, row_abs=True)),
                  "header")
    for i in range(lay.capacity.regions):
        w.formula(mix.row(i), mix.col("region"), fx.text_ref(regions.cell("name", i, col_abs=True)), "calc_text")
        region_mix = plan.regions[i].product_mix if plan is not None and i < len(plan.regions) else None
        for j in range(lay.capacity.products):
            value = None
            if region_mix is not None and j < len(plan.products):
                value = region_mix.get(plan.products[j].name)
            w.value(mix.row(i), mix.col(f"p{j}"), value, "input_number")


def _dv(ws, kind: str, sqref: str, **kw) -> None:
    dv = DataValidation(type=kind, allow_blank=True, showErrorMessage=True, **kw)
    for area in sqref.split():
        dv.add(area)
    ws.add_data_validation(dv)


def _validations(ws, lay: Layout) -> None:
    p = lay.params
    keys = [k for k, _ in PARAMS]
    for key in ("status", "allow_negative", "commission_mode", "floor_basis", "payout", "display"):
        _dv(ws, "list", p.cell("value", keys.index(key)), formula1=check_list(CHOICES[key]))
    _dv(ws, "whole", p.cell("value", keys.index("fiscal_year_start")), operator="between", formula1="1", formula2="12")
    _dv(ws, "decimal", p.cell("value", keys.index("unit")), operator="greaterThan", formula1="0")
    for table, col, choice in ((lay.regions, "market", "market"), (lay.products, "bcg", "bcg"),
                               (lay.budget, "category", "category"), (lay.budget, "kind", "kind"),
                               (lay.kpis, "direction", "direction"), (lay.kpis, "unit", "kpi_unit")):
        _dv(ws, "list", table.area(col), formula1=check_list(CHOICES[choice]))
    names = lay.regions.range("name", qualified=False)
    _dv(ws, "list", lay.reps.area("region"), formula1=names)
    _dv(ws, "list", lay.budget.area("region"), formula1=names)
    weights = [lay.regions.area(c) for c in ("weight", "prior_year_revenue")]
    weights += [lay.products.area(c) for c in ("weight", "prior_year_revenue")]
    weights += [lay.reps.area("share"), lay.quarter_weights.area("weight"), lay.month_weights.area("weight"),
                lay.mix.area("p0", last=f"p{lay.capacity.products - 1}")]
    _dv(ws, "decimal", " ".join(weights), operator="greaterThanOrEqual", formula1="0")
    _dv(ws, "decimal", lay.tiers.area("rate"), operator="between", formula1="0", formula2="1")
    floor = lay.tiers.cell("floor", 0)
    _dv(ws, "custom", lay.tiers.area("floor"),
        formula1=f'OR(ISNUMBER({floor}),{floor}="base",{floor}="challenge")')


#: Settings that hold text; every other setting is a number.
_TEXT_SETTINGS = {"company", "currency", "version", "status", "allow_negative", "commission_mode", "floor_basis",
                  "payout", "display", "goal_1", "goal_2", "goal_3"}


def _input_checks(ctx: Context, w) -> None:
    """One check cell beside each input row: 0 when the row is consistent, else the number of
    its problems (a value without a name, text where a number belongs, a rep's or a budget
    line's unknown region, a name given twice). The Summary counts them with every other check."""
    lay = ctx.layout
    ic = lay.input_checks
    col = ic.col("check")
    w.label(ic.header_row, col, "Check", "header")
    problems: dict[int, list[str]] = {}

    def add(row: int, expr: str) -> None:
        problems.setdefault(row, []).append(expr)

    for i, key in enumerate(PARAM_KEYS):
        if key not in _TEXT_SETTINGS:
            add(lay.params.row(i), f"ISTEXT({lay.params.cell('value', i)})")
    for table in (lay.quarter_weights, lay.month_weights):
        for i in range(table.rows):
            add(table.row(i), f"ISTEXT({table.cell('weight', i)})")
    region_names = lay.regions.range("name", qualified=False)
    blocks = ((lay.regions, "name", ("weight", "prior_year_revenue", "growth", "target"), ()),
              (lay.products, "name", ("weight", "prior_year_revenue", "growth", "gross_margin"), ()),
              (lay.reps, "name", ("share",), ("region",)),
              (lay.budget, "item", ("amount", "months", "start_month"), ("region",)),
              (lay.kpis, "metric", ("target",), ()))
    for table, name_key, numbers, regions in blocks:
        names = table.range(name_key, qualified=False)
        for i in range(table.rows):
            r = table.row(i)
            name = table.cell(name_key, i)
            others = [table.cell(k, i) for k in table.columns if k != name_key]
            add(r, f'AND({name}="",' + "+".join(f'({o}<>"")' for o in others) + ">0)")
            for k in numbers:
                add(r, f"ISTEXT({table.cell(k, i)})")
            for k in regions:
                ref = table.cell(k, i)
                add(r, f'AND({ref}<>"",SUMPRODUCT(--({region_names}={ref}))=0)')
            if table is not lay.budget:
                add(r, f'AND({name}<>"",SUMPRODUCT(--({names}={name}))>1)')
    for i in range(lay.tiers.rows):
        floor = lay.tiers.cell("floor", i)
        add(lay.tiers.row(i), f"ISTEXT({lay.tiers.cell('rate', i)})")
        add(lay.tiers.row(i), f'AND(ISTEXT({floor}),{floor}<>"base",{floor}<>"challenge")')
    for row, exprs in sorted(problems.items()):
        # A lone test is made a number (--): a bare TRUE is no count for COUNTIF(">0").
        w.formula(row, col, "+".join(f"({e})" for e in exprs) if len(exprs) > 1 else f"--({exprs[0]})",
                  "check_count")
    flag_nonzero(ctx.sheets[ASSUMPTIONS], f"{ic.letter('check')}{ic.first_row}:{ic.letter('check')}{ic.last_row}")
