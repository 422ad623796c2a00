"""Budget: the cost of selling, month by month, its return, per-region ROI and a reallocation.

The rules are :mod:`aop_xl.engine.budget`'s: recurring items are paid from their start month
for their active months; "Commissions at target" is derived from the commission plan (each
rep's commission when sales equal the base quota), paid at the payout months as the
year-to-date true-up, and split over the regions exactly by their reps' share. Undefined
ratios are empty cells.
"""

from __future__ import annotations

from aop_xl.engine.budget import COMMISSION_LINE
from openpyxl.utils import get_column_letter

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import BUDGET, MONTHS, RETURN_KEYS, RETURN_LABELS, TARGETS
from aop_xl.workbook.sheets import (
    Context,
    block_title,
    flag_nonzero,
    headers,
    month_header_ref,
    months_check,
    hide_helpers,
    page_setup,
    set_widths,
    title,
)


def build(ctx: Context) -> None:
    """Write the Budget sheet."""
    ws = ctx.sheets[BUDGET]
    w = ctx.writer(BUDGET)
    title(w, "Budget", "The cost of selling and its return. Items are inputs on Assumptions.", ctx)
    _items(ctx, w)
    _payout(ctx, w)
    _returns(ctx, w)
    _regions(ctx, w)
    _reallocation(ctx, w)
    set_widths(ws, {1: 28, 2: 16, 3: 11, 4: 16, 5: 15, 6: 9, 7: 15, **{c: 12 for c in range(8, 20)}, 20: 11,
                    21: 2, 22: 2, 23: 10, 24: 10, 25: 10, 26: 10})
    lay = ctx.layout
    last_row = lay.reallocation.last_row
    page_setup(ctx, ws, lay.items.col("check"), last_row)
    hide_helpers(ws, lay.items.col("start"), max(max(t.columns.values()) for t in (lay.items, lay.budget_regions,
                                                                                  lay.reallocation)))
    ws.freeze_panes = "B6"


def _period(ctx: Context, key: str) -> str:
    c = ctx.layout.company
    return f"{TARGETS}!${c.letter(key)}${c.header_row - 1}"


def _items(ctx: Context, w) -> None:
    lay = ctx.layout
    it, a = lay.items, lay.budget
    block_title(w, it)
    headers(w, it, {"item": "Item", "category": "Category", "kind": "Kind", "region": "Region", "amount": "Amount",
                    "months": "Months", "cost": "Cost", "check": "Check: months - cost"})
    headers(w, it, {"start": "Start month", "active": "Months active"}, "helper_header")
    for m, key in enumerate(MONTHS):
        w.formula(it.header_row, it.col(key), month_header_ref(lay, m), "header")
    n = lay.capacity.budget
    for i in range(n):
        r = it.row(i)
        c = {k: it.cell(k, i) for k in it.columns}
        for key in ("item", "region"):
            w.formula(r, it.col(key), fx.text_ref(a.rel(key, i)), "calc_text")
        w.formula(r, it.col("category"), fx.words(a.rel("category", i), fx.CATEGORY_WORDS), "calc_text")
        w.formula(r, it.col("kind"), fx.words(a.rel("kind", i), fx.KIND_WORDS), "calc_text")
        w.formula(r, it.col("amount"), f'IF({c["item"]}="",0,{fx.n_(a.rel("amount", i))})', "calc_amount")
        start = a.rel("start_month", i)
        w.formula(r, it.col("start"), f"IF(ISNUMBER({start}),{start},1)", "helper")
        months = a.rel("months", i)
        w.formula(r, it.col("active"), f'IF({c["item"]}="",0,IF({a.rel("kind", i)}="one_time",1,'
                  f'IF(ISNUMBER({months}),{months},13-{c["start"]})))', "helper")
        w.formula(r, it.col("months"), f'IF({c["item"]}="","",{c["active"]})', "calc_integer")
        w.formula(r, it.col("cost"), f"{c['amount']}*{c['active']}", "calc_amount")
        for key in MONTHS:
            p = _period(ctx, key)
            w.formula(r, it.col(key), f"IF(AND({p}>=${c['start']},{p}<${c['start']}+${c['active']}),"
                      f"${c['amount']},0)", "calc_amount")
        months_check(ctx, w, it, r, "cost")
    # The derived line: commissions at target, paid at the payout months.
    r = it.row(n)
    pr = lay.payout_rows
    w.label(r, it.col("item"), COMMISSION_LINE, "calc_text")
    w.label(r, it.col("category"), "commissions", "calc_text")
    w.label(r, it.col("kind"), "derived", "calc_text")
    units = f"${it.letter(MONTHS[-1])}${pr['paid_units']}"
    w.formula(r, it.col("cost"), ctx.amount(units, False), "calc_amount")
    w.formula(r, it.col("amount"), it.cell("cost", n), "calc_amount")
    for m, key in enumerate(MONTHS):
        col = it.letter(key)
        prev = f"-{it.letter(MONTHS[m - 1])}${pr['paid_units']}" if m else ""
        w.formula(r, it.col(key), ctx.amount(f"({col}${pr['paid_units']}{prev})", False), "calc_amount")
    months_check(ctx, w, it, r, "cost")
    row = lay.total_row(it)
    w.label(row, 1, "Sales cost", "total_label")
    for key in ("cost", *MONTHS):
        col = it.letter(key)
        w.formula(row, it.col(key), f"SUM({col}{it.first_row}:{col}{it.last_row})", "total_amount")
    months_check(ctx, w, it, row, "cost")
    flag_nonzero(ctx.sheets[BUDGET], f"{it.letter('check')}{it.first_row}:{it.letter('check')}{row}")


def _payout(ctx: Context, w) -> None:
    lay = ctx.layout
    po, pr, at, it = lay.payout, lay.payout_rows, lay.at_target, lay.items
    block_title(w, po)
    w.label(pr["last"], 1, "Last payout month to date")
    w.label(pr["paid"], 1, "Commission paid to date (at target)")
    w.label(pr["paid_units"], 1, "Paid to date (units)")
    payout = lay.param("payout")
    total_row = lay.total_row(at)
    paid_range = f"{at.sheet}!${at.letter(MONTHS[0])}${total_row}:${at.letter(MONTHS[-1])}${total_row}"
    for m, key in enumerate(MONTHS):
        col = it.letter(key)
        p = _period(ctx, key)
        w.formula(pr["last"], po.col(key), f'IF({payout}="monthly",{p},IF({payout}="annual",IF({p}=12,12,0),'
                  f'3*INT({p}/3)))', "calc_integer")
        last = f"{col}{pr['last']}"
        w.formula(pr["paid"], po.col(key), f"IF({last}=0,0,INDEX({paid_range},1,{last}))", "calc_amount")
        if m < 11:
            units = fx.round_half(f"{col}{pr['paid']}/{ctx.unit}")
        else:
            units = fx.round_half(f"{at.sheet}!${at.letter('year')}${total_row}/{ctx.unit}")
        w.formula(pr["paid_units"], po.col(key), units, "helper")


def _returns(ctx: Context, w) -> None:
    lay = ctx.layout
    rt, it, br = lay.returns, lay.items, lay.budget_regions
    block_title(w, rt)
    n = lay.capacity.budget
    v = {k: rt.cell("value", RETURN_KEYS.index(k), col_abs=True, row_abs=True) for k in RETURN_KEYS}
    costs = [it.cell("cost", i, col_abs=True, row_abs=True) for i in range(n + 1)]
    gps = [br.cell("gross_profit", i, col_abs=True, row_abs=True) for i in range(br.rows)]
    regions = f"${it.letter('region')}${it.first_row}:${it.letter('region')}${it.row(n - 1)}"
    item_costs = f"${it.letter('cost')}${it.first_row}:${it.letter('cost')}${it.row(n - 1)}"
    f = {
        "revenue": lay.company.ref("year", 0),
        "gross_profit": fx.exact_sum(gps, br.range("gross_profit", qualified=False)),
        "commission_at_target": it.cell("cost", n, col_abs=True, row_abs=True),
        "sales_cost": fx.exact_sum(costs, f"${it.letter('cost')}${it.first_row}:${it.letter('cost')}${it.row(n)}"),
        "shared_cost": f'SUMPRODUCT(({regions}="")*{item_costs})',
        "roi": f'IF({v["sales_cost"]}<>0,({v["gross_profit"]}-{v["sales_cost"]})/{v["sales_cost"]},"")',
        "cost_of_sales_ratio": f'IF({v["revenue"]}<>0,{v["sales_cost"]}/{v["revenue"]},"")',
        "weighted_gross_margin": f'IF({v["revenue"]}<>0,{v["gross_profit"]}/{v["revenue"]},"")',
        "break_even_revenue": f'IF(ISNUMBER({v["weighted_gross_margin"]}),IF({v["weighted_gross_margin"]}>0,'
                              f'{v["sales_cost"]}/{v["weighted_gross_margin"]},""),"")',
    }
    styles = {"roi": "calc_percent", "cost_of_sales_ratio": "calc_percent", "weighted_gross_margin": "calc_percent"}
    for i, (key, label) in enumerate(zip(RETURN_KEYS, RETURN_LABELS)):
        w.label(rt.row(i), rt.col("label"), label)
        w.formula(rt.row(i), rt.col("value"), f[key], styles.get(key, "calc_amount"))


def _regions(ctx: Context, w) -> None:
    lay = ctx.layout
    br, rt, it, at, cube, P = (lay.budget_regions, lay.region_targets, lay.items, lay.at_target, lay.cube,
                               lay.capacity.products)
    block_title(w, br)
    headers(w, br, {"region": "Region", "revenue": "Revenue", "gross_profit": "Gross profit", "item_cost":
                    "Items", "commission": "Commission at target", "cost": "Cost", "roi": "ROI"})
    headers(w, br, {"cw": "Commission at target (units)", "x": "Weight used", "rr": "Raw remainder", "q": "Floor",
                    "rho": "Remainder", "units": "Units", "top": "Position if highest ROI"}, "helper_header")
    n = lay.capacity.budget
    regions = f"${it.letter('region')}${it.first_row}:${it.letter('region')}${it.row(n - 1)}"
    costs = f"${it.letter('cost')}${it.first_row}:${it.letter('cost')}${it.row(n - 1)}"
    margins = lay.products.range("gross_margin")
    total_units = f"${it.letter(MONTHS[-1])}${lay.payout_rows['paid_units']}"
    total_row = lay.total_row(br)
    # The split's scalars on the total row's helper cells: S, k, W (+ parts), n / W, n mod W (+ parts), left.
    s = {k: f"${get_column_letter(br.col('cw') + j)}${total_row + 1}" for j, k in
         enumerate(("S", "k", "W", "W1", "W0", "A", "B", "B1", "B0", "left"))}
    for j, (k, text) in enumerate((("S", "Weights"), ("k", "Reduced by 10^"), ("W", "Weight W"), ("W1", "high"),
                                   ("W0", "low"), ("A", "Units / W"), ("B", "Units mod W"), ("B1", "high"),
                                   ("B0", "low"), ("left", "Units left"))):
        w.label(total_row, br.col("cw") + j, text, "helper_header")
    rng = {k: br.range(k, qualified=False) for k in ("cw", "x", "q", "rho")}
    scalars = {"S": f"SUM({rng['cw']})", "k": fx.reduction(s["S"]), "W": f"SUM({rng['x']})", "W1": fx.hi(s["W"]),
               "W0": fx.lo(s["W"]), "A": fx.floor_div(total_units, f"MAX({s['W']},1)"),
               "B": f"{total_units}-MAX({s['W']},1)*{s['A']}", "B1": fx.hi(s["B"]), "B0": fx.lo(s["B"]),
               "left": f"{total_units}-SUM({rng['q']})"}
    for j, k in enumerate(s):
        w.formula(total_row + 1, br.col("cw") + j, scalars[k], "helper")
    for i in range(br.rows):
        r = br.row(i)
        c = {k: br.cell(k, i) for k in br.columns}
        w.formula(r, br.col("region"), rt.rel("name", i), "calc_text")
        w.formula(r, br.col("revenue"), rt.rel("year", i), "calc_amount")
        cells = (f"{TARGETS}!${cube.letter('year')}${cube.row(i * P)}:${cube.letter('year')}"
                 f"${cube.row(i * P + P - 1)}")
        w.formula(r, br.col("gross_profit"), f"SUMPRODUCT({cells},{margins})", "calc_amount")
        w.formula(r, br.col("item_cost"), f'IF({c["region"]}="",0,SUMPRODUCT(({regions}={c["region"]})*{costs}))',
                  "calc_amount")
        # The weight: the region's commission at target in whole units (a derived weight).
        at_sum = f'SUMPRODUCT(({at.range("region")}={c["region"]})*{at.range("year")})'
        w.formula(r, br.col("cw"), f'IF({c["region"]}="",0,{fx.round_half(f"{at_sum}/{ctx.unit}")})', "helper")
        # When every region's commission rounds to no unit (the total is then fewer units than
        # regions), the regions with any commission weigh 1 each (engine: budget_summary).
        w.formula(r, br.col("x"), f'IF({s["S"]}=0,IF({c["region"]}="",0,--({at_sum}>0)),'
                  f'{fx.reduced(c["cw"], s["k"])})', "helper")
        qhat = f"INT({s['B']}*{c['x']}/MAX({s['W']},1))"
        w.formula(r, br.col("rr"), fx.product_remainder(s["B1"], s["B0"], fx.hi(c["x"]), fx.lo(c["x"]), s["W1"],
                                                        s["W0"], qhat), "helper")
        w.formula(r, br.col("q"), f"{s['A']}*{c['x']}+{qhat}+{fx.correction(c['rr'], s['W'])}", "helper")
        w.formula(r, br.col("rho"), fx.fixed(c["rr"], s["W"]), "helper")
        rank = fx.rank(rng["rho"], f"{br.cell('rho', 0, col_abs=True, row_abs=True)}:{c['rho']}", c["rho"])
        w.formula(r, br.col("units"), f"{c['q']}+({rank}<{s['left']})", "helper")
        w.formula(r, br.col("commission"), ctx.amount(c["units"], False), "calc_amount")
        w.formula(r, br.col("cost"), f"{c['item_cost']}+{c['commission']}", "calc_amount")
        w.formula(r, br.col("roi"), f'IF({c["cost"]}<>0,({c["gross_profit"]}-{c["cost"]})/{c["cost"]},"")',
                  "calc_percent")
        rois = br.range("roi", qualified=False)
        w.formula(r, br.col("top"), f'IF(ISNUMBER({c["roi"]}),IF({c["roi"]}=MAX({rois}),{i + 1},0),0)', "helper")
    w.label(total_row, 1, "Total", "total_label")
    for key in ("revenue", "gross_profit", "item_cost", "commission", "cost"):
        col = br.letter(key)
        w.formula(total_row, br.col(key), f"SUM({col}{br.first_row}:{col}{br.last_row})", "total_amount")
    # Checks: the regions' commission adds up to the commission line, their revenue to the total.
    w.label(total_row + 1, 1, "Check: commission by region - line")
    w.formula(total_row + 1, br.col("commission"), ctx.check(f"{br.letter('commission')}{total_row}",
                                                            it.ref("cost", n)), "check")
    w.label(total_row + 2, 1, "Check: revenue by region - total")
    w.formula(total_row + 2, br.col("revenue"), ctx.check(f"{br.letter('revenue')}{total_row}",
                                                         lay.company.ref("year", 0)), "check")
    flag_nonzero(ctx.sheets[BUDGET], f"{br.letter('revenue')}{total_row + 1}:{br.letter('commission')}{total_row + 2}")


def _reallocation(ctx: Context, w) -> None:
    lay = ctx.layout
    ra, br = lay.reallocation, lay.budget_regions
    block_title(w, ra)
    headers(w, ra, {"from_region": "From region", "from_roi": "Its ROI", "to_region": "To region", "to_roi": "Its ROI",
                    "amount": "Amount"})
    headers(w, ra, {"defined": "Regions with ROI", "low": "Lowest", "high": "Highest", "units": "Units"},
            "helper_header")
    r = ra.row(0)
    c = {k: ra.cell(k, 0) for k in ra.columns}
    roi, names = br.range("roi", qualified=False), br.range("region", qualified=False)
    share = lay.param("reallocation_share")
    item_cost = br.range("item_cost", qualified=False)
    w.formula(r, ra.col("defined"), f"COUNT({roi})", "helper")
    w.formula(r, ra.col("low"), f"IF({c['defined']}>=2,MATCH(MIN({roi}),{roi},0),0)", "helper")
    # The last of the regions with the highest ROI, as the engine's stable ranking gives it.
    w.formula(r, ra.col("high"), f"IF({c['defined']}>=2,MAX({br.range('top', qualified=False)}),0)", "helper")
    low = c["low"]
    R = br.rows
    units = fx.round_half(f"{fx.n_(share)}*{fx.pick(item_cost, R, low)}/{ctx.unit}")
    w.formula(r, ra.col("units"), f"IF({low}>0,{units},0)", "helper")
    low_, high_ = f"MAX({c['low']},1)", f"MAX({c['high']},1)"
    valid = f"AND({c['low']}>0,{c['units']}>0,{fx.pick(roi, R, low_)}<{fx.pick(roi, R, high_)})"
    w.formula(r, ra.col("from_region"), f'IF({valid},{fx.pick(names, R, low_)},"")', "calc_text")
    w.formula(r, ra.col("from_roi"), f'IF({valid},{fx.pick(roi, R, low_)},"")', "calc_percent")
    w.formula(r, ra.col("to_region"), f'IF({valid},{fx.pick(names, R, high_)},"")', "calc_text")
    w.formula(r, ra.col("to_roi"), f'IF({valid},{fx.pick(roi, R, high_)},"")', "calc_percent")
    w.formula(r, ra.col("amount"), f'IF({valid},{ctx.amount(c["units"], False)},"")', "calc_amount")
