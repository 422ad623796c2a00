"""Targets: the company total split to regions, products and months, exactly, in formulas.

Helper columns (from column W, grouped) hold the split arithmetic in whole units of the
plan's unit and in "sign space" (the magnitude; a planned decline multiplies back by -1):
weights, locks, exact shares, remainders and units. See :mod:`aop_xl.workbook.formulas`.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from aop_xl.engine.calendar import MONTH_NAMES
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import BCG_CLASSES, MONTH_REMS, MONTHS, TARGETS
from aop_xl.workbook.sheets import (
    Context,
    block_title,
    cube_headers,
    flag_nonzero,
    group_columns,
    headers,
    months_check,
    quarter_sums,
    set_widths,
    title,
)


def _growth_default(ctx: Context, kind_ref: str, kinds: tuple[str, ...]) -> str:
    # The class's default growth: nested IFs over the growth-default settings (0 if unknown).
    expr = "0"
    for k in reversed(kinds):
        expr = f'IF({kind_ref}="{k}",{ctx.layout.param("growth_" + k)},{expr})'
    return expr


def member_weight(ctx: Context, table, i: int, kind: str, kinds: tuple[str, ...]) -> str:
    """Effective weight of a region/product: weight, else prior-year revenue x (1 + growth)."""
    name, wt, py, g = (table.rel(c, i) for c in ("name", "weight", "prior_year_revenue", "growth"))
    growth = f"IF(ISNUMBER({g}),{g},{_growth_default(ctx, table.rel(kind, i), kinds)})"
    return f'IF({name}="",0,IF(ISNUMBER({wt}),{wt},IF(ISNUMBER({py}),{py}*(1+{growth}),0)))'


def build(ctx: Context) -> None:
    """Write the Targets sheet."""
    lay = ctx.layout
    ws = ctx.sheets[TARGETS]
    w = ctx.writer(TARGETS)
    title(w, "Targets", "Region x product x month, split exactly to the rounding unit (largest remainder).")
    _scalars(ctx, w)
    _company(ctx, w)
    _regions(ctx, w)
    _products(ctx, w)
    _classes(ctx, w)
    _cube(ctx, w)
    set_widths(ws, {1: 24, 2: 20, 3: 16, **{c: 14 for c in range(4, 8)}, **{c: 13 for c in range(8, 20)}, 20: 11,
                    21: 11, 22: 2})
    last_helper = lay.cube.col(MONTH_REMS[-1])
    set_widths(ws, {c: 10 for c in range(lay.cube.col("share"), last_helper + 1)})
    group_columns(ws, lay.cube.col("share"), last_helper)
    ws.freeze_panes = "C6"


def _scalars(ctx: Context, w) -> None:
    lay = ctx.layout
    s, rt = lay.scalars, lay.region_targets
    row = s.row(0)
    cell = {k: s.cell(k, 0, col_abs=True, row_abs=True) for k in s.columns}
    labels = {"unit": "Unit", "mul": "Mul", "div": "Div", "sign": "Sign", "total_units": "Total (units)",
              "n": "|Total| (units)", "lock_sum": "Fixed (units)", "rest": "To split", "free_w": "Free weight",
              "w_div": "Weight divisor", "left": "Units left", "month_wsum": "Month weight", "month_wdiv":
              "Month divisor", "has_months": "Month weights?", "start": "First month"}
    for key, text in labels.items():
        w.label(s.header_row, s.col(key), text, "helper_header")
    u = lay.param("unit")
    unit = cell["unit"]
    per = f"ROUND(1/{unit},0)"
    f = {
        "unit": f"IF(N({u})>0,{u},1)",
        "div": f"IF({unit}<1,IF(ABS(1/{unit}-{per})<={fx.HALF}*(1/{unit}),{per},1),1)",
        "mul": f"IF({cell['div']}>1,1,{unit})",
        "total_units": _total_units(ctx, unit),
        "sign": f"IF({cell['total_units']}<0,-1,1)",
        "n": f"ABS({cell['total_units']})",
        "lock_sum": f"SUM({rt.range('lock_units', qualified=False)})",
        "rest": f"{cell['n']}-{cell['lock_sum']}",
        "free_w": fx.exact_sum([rt.cell("free_weight", i, col_abs=True, row_abs=True) for i in range(rt.rows)],
                               rt.range("free_weight", qualified=False)),
        "w_div": f"IF({cell['free_w']}>0,{cell['free_w']},1)",
        "left": fx.left_over(f"MAX({cell['rest']},0)", rt.range("share", qualified=False)),
        "month_wsum": fx.pairwise_sum([f"${get_column_letter(lay.company.col(m))}${lay.month_weight_row}"
                                       for m in MONTHS]),
        "month_wdiv": f"IF({cell['month_wsum']}>0,{cell['month_wsum']},1)",
        "has_months": f"IF(COUNT({lay.month_weights.range('weight')})>0,1,0)",
        "start": f"IF(ISNUMBER({lay.param('fiscal_year_start')}),{lay.param('fiscal_year_start')},1)",
    }
    for key in labels:
        w.formula(row, s.col(key), f[key], "helper")


def _total_units(ctx: Context, unit: str) -> str:
    lay = ctx.layout
    tt, py, g = (lay.param(k) for k in ("total_target", "prior_year_revenue", "growth"))
    derived = fx.round_half_signed(f"{py}*(1+N({g}))/{unit}")
    regions = f"SUM({lay.region_targets.range('py_units', qualified=False)})"
    return f"IF(ISNUMBER({tt}),ROUND({tt}/{unit},0),IF(ISNUMBER({py}),{derived},{regions}))"


def _company(ctx: Context, w) -> None:
    lay = ctx.layout
    c, rt = lay.company, lay.region_targets
    row = c.row(0)
    w.label(c.header_row - 1, 1, "Company", "section")
    w.label(c.header_row - 1, c.col(MONTHS[0]) - 1, "Period", "helper_header")
    start = lay.scalar("start")
    for m, key in enumerate(MONTHS):
        col = c.col(key)
        w.value(c.header_row - 1, col, m + 1, "helper")
        names = ",".join(f'"{x}"' for x in MONTH_NAMES)
        w.formula(c.header_row, col, f"CHOOSE(MOD({start}-1+{m},12)+1,{names})", "header")
    headers(w, c, {"name": "", "label": "", "year": "Year", "check": "Check: months - year",
                   "check_total": "Check: regions - total"})
    for i, q in enumerate(("Q1", "Q2", "Q3", "Q4")):
        w.label(c.header_row, c.col(f"q{i + 1}"), q, "header")
    w.label(row, 1, "Total target", "total_label")
    w.formula(row, c.col("year"), f"{lay.scalar('total_units')}*{ctx.mul}/{ctx.div}", "total_amount")
    for key in MONTHS:
        w.formula(row, c.col(key), f"SUM({rt.range(key, qualified=False).replace('$', '')})", "total_amount")
    quarter_sums(w, c, row, "total_amount")
    months_check(ctx, w, c, row)
    w.formula(row, c.col("check_total"), ctx.check(f"SUM({rt.range('year', qualified=False)})",
                                                   c.cell("year", 0, col_abs=True, row_abs=True)), "check")
    # Seasonality: effective month weights (a quarter's weight on each of its months) and shares.
    qw, mw = lay.quarter_weights, lay.month_weights
    w.label(lay.month_weight_row, 1, "Month weight", "label")
    w.label(lay.month_share_row, 1, "Seasonality share", "label")
    for m, key in enumerate(MONTHS):
        col = c.col(key)
        weight = f"IF({lay.scalar('has_months')}=1,N({mw.ref('weight', m)}),N({qw.ref('weight', m // 3)}))"
        w.formula(lay.month_weight_row, col, weight, "calc_number")
        cell = f"{get_column_letter(col)}{lay.month_weight_row}"
        w.formula(lay.month_share_row, col, f"{cell}/{lay.scalar('month_wdiv')}", "calc_percent")
    quarter_sums(w, c, lay.month_share_row, "calc_percent")
    flag_nonzero(ctx.sheets[TARGETS], f"{c.letter('check')}{row}:{c.letter('check_total')}{row}")


def _regions(ctx: Context, w) -> None:
    lay = ctx.layout
    rt, a, cube, P = lay.region_targets, lay.regions, lay.cube, lay.capacity.products
    block_title(w, rt)
    cube_headers(ctx, w, rt, "Region", "Market", check_total="Check: cells - region")
    helper = {"weight": "Weight", "locked": "Fixed?", "lock_units": "Fixed (units)", "free_weight": "Free weight",
              "share": "Exact share", "rem": "Remainder", "units": "Units", "has_mix": "Own mix?",
              "mix_wsum": "Mix weight", "mix_wdiv": "Mix divisor", "mix_left": "Units left (products)",
              "py_units": "Growth target (units)"}
    headers(w, rt, helper, "helper_header")
    unit, sign = lay.scalar("unit"), lay.scalar("sign")
    rems = rt.range("rem", qualified=False)
    first_rem = rt.cell("rem", 0, col_abs=True, row_abs=True)
    for i in range(rt.rows):
        r = rt.row(i)
        c = {k: rt.cell(k, i) for k in rt.columns}
        name, target, py, g = a.rel("name", i), a.rel("target", i), a.rel("prior_year_revenue", i), a.rel("growth", i)
        w.formula(r, rt.col("name"), fx.text_ref(name), "calc_text")
        w.formula(r, rt.col("label"), fx.text_ref(a.rel("market", i)), "calc_text")
        w.formula(r, rt.col("weight"), member_weight(ctx, a, i, "market", ("core", "growth", "new")), "helper")
        w.formula(r, rt.col("locked"), f'IF(AND({name}<>"",ISNUMBER({target})),1,0)', "helper")
        w.formula(r, rt.col("lock_units"), f"IF({c['locked']}=1,{sign}*ROUND({target}/{unit},0),0)", "helper")
        w.formula(r, rt.col("free_weight"), f"IF({c['locked']}=1,0,{c['weight']})", "helper")
        w.formula(r, rt.col("share"), f"MAX({lay.scalar('rest')},0)*({c['free_weight']}/{lay.scalar('w_div')})",
                  "helper")
        w.formula(r, rt.col("rem"), fx.remainder(c["share"], f"{c['free_weight']}>0"), "helper")
        rank = fx.rank(rems, f"{first_rem}:{c['rem']}", c["rem"])
        w.formula(r, rt.col("units"), f"IF({c['locked']}=1,{c['lock_units']},"
                  f"{fx.allot(c['share'], rank, lay.scalar('left'))})", "helper")
        mix_row = f"{lay.mix.rel('p0', i)}:{lay.mix.rel(f'p{P - 1}', i).split('!')[1]}"
        w.formula(r, rt.col("has_mix"), f"IF(COUNT({mix_row})>0,1,0)", "helper")
        mix_cells = [lay.mix.rel(f"p{j}", i) for j in range(P)]
        total_weight = f"${lay.product_targets.letter('weight')}${lay.total_row(lay.product_targets)}"
        w.formula(r, rt.col("mix_wsum"), f"IF({c['has_mix']}=1,{fx.exact_sum(mix_cells, mix_row)},{total_weight})",
                  "helper")
        w.formula(r, rt.col("mix_wdiv"), f"IF({c['mix_wsum']}>0,{c['mix_wsum']},1)", "helper")
        shares = f"${cube.letter('share')}${cube.row(i * P)}:${cube.letter('share')}${cube.row(i * P + P - 1)}"
        w.formula(r, rt.col("mix_left"), fx.left_over(c["units"], shares), "helper")
        growth = f"IF(ISNUMBER({g}),{g},{_growth_default(ctx, a.rel('market', i), ('core', 'growth', 'new'))})"
        py_units = fx.round_half_signed(f"{py}*(1+{growth})/{unit}")
        w.formula(r, rt.col("py_units"), f'IF({name}="",0,IF({c["locked"]}=1,ROUND({target}/{unit},0),'
                  f'IF(ISNUMBER({py}),{py_units},0)))', "helper")
        # Results: the year from the split, the months and quarters from the cube.
        w.formula(r, rt.col("year"), ctx.amount(c["units"]), "calc_amount")
        first, last = cube.row(i * P), cube.row(i * P + P - 1)
        for key in MONTHS:
            col = cube.letter(key)
            w.formula(r, rt.col(key), f"SUM({col}{first}:{col}{last})", "calc_amount")
        quarter_sums(w, rt, r)
        months_check(ctx, w, rt, r)
        year = cube.letter("year")
        w.formula(r, rt.col("check_total"), ctx.check(f"SUM({year}{first}:{year}{last})", c["year"]), "check")
    _total_row(ctx, w, rt, "Total of regions")


def _total_row(ctx: Context, w, table, label: str) -> None:
    lay = ctx.layout
    row = lay.total_row(table)
    w.label(row, 1, label, "total_label")
    w.label(row, 2, "", "total_label")
    for key in ("year", *MONTHS):
        col = table.letter(key)
        w.formula(row, table.col(key), f"SUM({col}{table.first_row}:{col}{table.last_row})", "total_amount")
    quarter_sums(w, table, row, "total_amount")
    months_check(ctx, w, table, row)
    total = lay.company.cell("year", 0, col_abs=True, row_abs=True)
    w.formula(row, table.col("check_total"), ctx.check(f"{table.letter('year')}{row}", total), "check")
    ws = ctx.sheets[TARGETS]
    flag_nonzero(ws, f"{table.letter('check')}{table.first_row}:{table.letter('check_total')}{row}")


def _products(ctx: Context, w) -> None:
    lay = ctx.layout
    pt, a, cube, R, P = lay.product_targets, lay.products, lay.cube, lay.capacity.regions, lay.capacity.products
    block_title(w, pt)
    cube_headers(ctx, w, pt, "Product", "BCG class")
    headers(w, pt, {"weight": "Weight"}, "helper_header")
    for j in range(pt.rows):
        r = pt.row(j)
        w.formula(r, pt.col("name"), fx.text_ref(a.rel("name", j)), "calc_text")
        w.formula(r, pt.col("label"), fx.text_ref(a.rel("bcg", j)), "calc_text")
        w.formula(r, pt.col("weight"), member_weight(ctx, a, j, "bcg", BCG_CLASSES), "helper")
        for key in ("year", *MONTHS):
            col = cube.letter(key)
            w.formula(r, pt.col(key), "+".join(f"{col}{cube.row(i * P + j)}" for i in range(R)), "calc_amount")
        quarter_sums(w, pt, r)
        months_check(ctx, w, pt, r)
    _total_row(ctx, w, pt, "Total of products")
    row = lay.total_row(pt)
    weights = [pt.cell("weight", j, col_abs=True, row_abs=True) for j in range(pt.rows)]
    w.formula(row, pt.col("weight"), fx.exact_sum(weights, pt.range("weight", qualified=False)), "helper")


def _classes(ctx: Context, w) -> None:
    lay = ctx.layout
    ct, pt = lay.class_targets, lay.product_targets
    block_title(w, ct)
    cube_headers(ctx, w, ct, "Class", "")
    classes = pt.range("label", qualified=False)
    for k, name in enumerate(BCG_CLASSES):
        r = ct.row(k)
        w.label(r, ct.col("name"), name)
        for key in ("year", *MONTHS):
            w.formula(r, ct.col(key), f"SUMPRODUCT(({classes}=$A{r})*{pt.range(key, qualified=False)})",
                      "calc_amount")
        quarter_sums(w, ct, r)
        months_check(ctx, w, ct, r)
    _total_row(ctx, w, ct, "Total of classes")


def _cube(ctx: Context, w) -> None:
    lay = ctx.layout
    cube, rt, pt, R, P = lay.cube, lay.region_targets, lay.product_targets, lay.capacity.regions, lay.capacity.products
    block_title(w, cube)
    cube_headers(ctx, w, cube, "Region", "Product")
    helper = {"share": "Exact share", "rem": "Remainder", "units": "Units", "month_left": "Units left (months)"}
    helper.update({k: f"Remainder {m + 1}" for m, k in enumerate(MONTH_REMS)})
    headers(w, cube, helper, "helper_header")
    shares = {key: f"{get_column_letter(cube.col(key))}${lay.month_share_row}" for key in MONTHS}
    share_row = f"${cube.letter(MONTHS[0])}${lay.month_share_row}:${cube.letter(MONTHS[-1])}${lay.month_share_row}"
    r0, r1 = cube.letter(MONTH_REMS[0]), cube.letter(MONTH_REMS[-1])
    for i in range(R):
        reg = {k: rt.cell(k, i, col_abs=True, row_abs=True)
               for k in ("name", "units", "has_mix", "mix_wdiv", "mix_left")}
        first, last = cube.row(i * P), cube.row(i * P + P - 1)
        rems = f"${cube.letter('rem')}${first}:${cube.letter('rem')}${last}"
        for j in range(P):
            r = cube.row(i * P + j)
            c = {k: f"{cube.letter(k)}{r}" for k in ("share", "rem", "units", "month_left")}
            w.formula(r, cube.col("name"), reg["name"], "calc_text")
            w.formula(r, cube.col("label"), pt.cell("name", j, col_abs=True, row_abs=True), "calc_text")
            product_weight = pt.cell("weight", j, col_abs=True, row_abs=True)
            weight = f"IF({reg['has_mix']}=1,N({lay.mix.ref(f'p{j}', i)}),{product_weight})"
            w.formula(r, cube.col("share"), f"{reg['units']}*({weight}/{reg['mix_wdiv']})", "helper")
            w.formula(r, cube.col("rem"), fx.remainder(c["share"], f"{c['share']}>0"), "helper")
            rank = fx.rank(rems, f"${cube.letter('rem')}${first}:{c['rem']}", c["rem"])
            w.formula(r, cube.col("units"), fx.allot(c["share"], rank, reg["mix_left"]), "helper")
            w.formula(r, cube.col("month_left"), fx.left_over(c["units"], f"{c['units']}*{share_row}"), "helper")
            u = f"${cube.letter('units')}{r}"
            for m, key in enumerate(MONTHS):
                share = f"{u}*{shares[key]}"
                rem_cell = f"{cube.letter(MONTH_REMS[m])}{r}"
                w.formula(r, cube.col(MONTH_REMS[m]), fx.remainder(share, f"{shares[key]}>0"), "helper")
                rank = fx.rank(f"${r0}{r}:${r1}{r}", f"${r0}{r}:{rem_cell}", rem_cell)
                w.formula(r, cube.col(key), ctx.amount(f"({fx.allot(share, rank, '$' + c['month_left'])})"),
                          "calc_amount")
            w.formula(r, cube.col("year"), ctx.amount(c["units"]), "calc_amount")
            quarter_sums(w, cube, r)
            months_check(ctx, w, cube, r)
    _total_row(ctx, w, cube, "Total of cells")
