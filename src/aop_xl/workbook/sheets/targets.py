"""Targets: the company total split to quarters, months, regions and products, margins first.

The engine's rules (docs/engine.md) in formulas, on magnitudes ("sign space"; a planned
decline multiplies back by -1) and in whole units of the plan's unit:

- the seasonality's weights as whole numbers (helper rows under the company row), the
  company quarters split from the total and the months from each quarter;
- the regions split from the total (fixed targets as locks), and the region x month table
  by running-total rounding;
- products: a region with its own mix splits its target by it; the other regions form a
  region x product table (the grid block at the bottom) whose product totals split their
  total; each region's product x month table (the cube) by running-total rounding.

Helper columns (from W, grouped) hold the arithmetic; see :mod:`aop_xl.workbook.sheets.running`.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from aop_xl.engine.calendar import MONTH_NAMES
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import (
    BCG_CLASSES,
    CUBE_PRINT_LAST,
    GRIDS,
    MONTHS,
    QUARTERS,
    SEASON_ROW_LABELS,
    TARGETS,
)
from aop_xl.workbook.sheets import (
    Context,
    block_title,
    cube_headers,
    flag_nonzero,
    headers,
    hide_helpers,
    months_check,
    page_setup,
    prior_year,
    quarter_sums,
    set_widths,
    title,
)
from aop_xl.workbook.sheets.running import Rows, Season, aggregate_k, aggregate_rp, allotment, month_row


def _growth_default(ctx: Context, kind_ref: str, kinds: tuple[str, ...]) -> str:
    # The class's default growth: nested IFs over the growth-default settings (0 if unknown).
    expr = "0"
    for k in reversed(kinds):
        expr = f'IF({kind_ref}="{k}",{fx.n_(ctx.layout.param("growth_" + k))},{expr})'
    return expr


def growth_units(ctx: Context, table, i: int, kind: str, kinds: tuple[str, ...]) -> str:
    """A member's growth target in whole units: prior-year revenue in units x (1 + growth)."""
    py, g = table.rel("prior_year_revenue", i), table.rel("growth", i)
    growth = f"IF(ISNUMBER({g}),{g},{_growth_default(ctx, table.rel(kind, i), kinds)})"
    return fx.grow(f"ROUND({py}/{ctx.layout.scalar('unit')},0)", growth)


def member_weight(ctx: Context, table, i: int, kind: str, kinds: tuple[str, ...]) -> str:
    """Effective weight of a region/product: its weight, else its growth target in units."""
    name, wt, py = (table.rel(c, i) for c in ("name", "weight", "prior_year_revenue"))
    return (f'IF({name}="",0,IF(ISNUMBER({wt}),{wt},IF(ISNUMBER({py}),'
            f'{growth_units(ctx, table, i, kind, kinds)},0)))')


def derived(table, i: int) -> str:
    """1 when a member's weight is derived from its prior-year revenue."""
    name, wt, py = (table.rel(c, i) for c in ("name", "weight", "prior_year_revenue"))
    return f'IF(AND({name}<>"",NOT(ISNUMBER({wt})),ISNUMBER({py})),1,0)'


def max_decimals(rng: str) -> str:
    """The most decimal places in a range of ``decimals`` cells, capped at 6."""
    return f"MIN(MAX({rng}),6)"


def build(ctx: Context) -> None:
    """Write the Targets sheet."""
    lay = ctx.layout
    ws = ctx.sheets[TARGETS]
    w = ctx.writer(TARGETS)
    title(w, "Targets", "Region x product x month, split exactly to the rounding unit, margins first.", ctx)
    _scalars(ctx, w)
    _company(ctx, w)
    _regions(ctx, w)
    _products(ctx, w)
    _classes(ctx, w)
    _cube(ctx, w)
    _grid(ctx, w)
    set_widths(ws, {1: 24, 2: 20, 3: 16, **{c: 14 for c in range(4, 8)}, **{c: 13 for c in range(8, 20)}, 20: 11,
                    21: 11, 22: 2})
    last = max(max(t.columns.values()) for t in (lay.scalars, lay.region_targets, lay.product_targets, lay.cube,
                                                 lay.grid))
    set_widths(ws, {c: 10 for c in range(lay.scalars.col("unit"), last + 1)})
    hide_helpers(ws, lay.scalars.col("unit"), last)
    rows = lay.season_rows
    ws.row_dimensions.group(min(rows.values()), max(rows.values()), outline_level=1, hidden=True)
    page_setup(ctx, ws, CUBE_PRINT_LAST, lay.total_row(lay.cube), title_rows="4:5")
    ws.freeze_panes = "C6"


def _season(ctx: Context) -> Season:
    lay = ctx.layout
    c, rows = lay.company, lay.season_rows

    def row(key: str) -> tuple[str, ...]:
        return tuple(f"{TARGETS}!${c.letter(m)}${rows[key]}" for m in MONTHS)

    return Season(weight=row("w"), running=row("C"), running_hi=row("C1"), running_lo=row("C0"),
                  total=lay.scalar("mW"), total_hi=lay.scalar("mW1"), total_lo=lay.scalar("mW0"))


def _scalars(ctx: Context, w) -> None:
    lay = ctx.layout
    s, rt, pt, c = lay.scalars, lay.region_targets, lay.product_targets, lay.company
    rows = lay.season_rows
    row = s.row(0)
    cell = {k: s.cell(k, 0, col_abs=True, row_abs=True) for k in s.columns}
    labels = {"unit": "Unit", "mul": "Mul", "div": "Div", "sign": "Sign", "total_units": "Total (units)",
              "n": "|Total| (units)", "start": "First month", "has_months": "Month weights?",
              "lock_sum": "Fixed (units)", "rest": "To split",
              "mD": "Month decimals", "mS": "Month weights x 10^d", "mk": "Reduced by 10^", "mW": "Month weight W",
              "mW1": "W high", "mW0": "W low", "mA": "Total / W", "mB": "Total mod W", "mB1": "high", "mB0": "low",
              "rD": "Region decimals", "rS": "Region weights x 10^d", "rk": "Reduced by 10^", "rW": "Region weight W",
              "rW1": "W high", "rW0": "W low", "rA": "To split / W", "rB": "To split mod W", "rB1": "high",
              "rB0": "low", "rLeft": "Units left (regions)",
              "pD": "Product decimals", "pS": "Product weights x 10^d", "pk": "Reduced by 10^",
              "pW": "Product weight W", "pW1": "W high", "pW0": "W low", "gN": "Regions on product weights (units)",
              "gN1": "high (24 bits)", "gN0": "low (24 bits)", "gA": "/ W", "gB": "mod W", "gB1": "high",
              "gB0": "low", "gLeft": "Units left (products)"}
    for key, text in labels.items():
        w.label(s.header_row, s.col(key), text, "helper_header")
    u = lay.param("unit")
    unit = cell["unit"]
    per = f"ROUND(1/{unit},0)"
    month_row = f"${c.letter(MONTHS[0])}${{r}}:${c.letter(MONTHS[-1])}${{r}}"

    def mrow(key: str) -> str:
        return month_row.format(r=rows[key])

    f = {
        "unit": f"IF(ISNUMBER({u}),IF({u}>0,{u},1),1)",
        "div": f"IF({unit}<1,IF(ABS(1/{unit}-{per})<={fx.HALF}*(1/{unit}),{per},1),1)",
        "mul": f"IF({cell['div']}>1,1,{unit})",
        "total_units": _total_units(ctx, unit),
        "sign": f"IF({cell['total_units']}<0,-1,1)",
        "n": f"ABS({cell['total_units']})",
        "start": f"IF(ISNUMBER({lay.param('fiscal_year_start')}),{lay.param('fiscal_year_start')},1)",
        "has_months": f"IF(COUNT({lay.month_weights.range('weight')})>0,1,0)",
        "lock_sum": f"SUM({rt.range('lock_units', qualified=False)})",
        "rest": f"MAX({cell['n']}-{cell['lock_sum']},0)",
        "mD": max_decimals(mrow("d")),
        "mS": f"SUM({mrow('x')})",
        "mk": fx.reduction(cell["mS"]),
        "mW": f"SUM({mrow('w')})",
        "mA": fx.floor_div(cell["n"], f"MAX({cell['mW']},1)"),
        "mB": f"{cell['n']}-MAX({cell['mW']},1)*{cell['mA']}",
        "rD": max_decimals(rt.range("d", qualified=False)),
        "rS": f"SUM({rt.range('x', qualified=False)})",
        "rk": fx.reduction(cell["rS"]),
        "rW": f"SUM({rt.range('w', qualified=False)})",
        "rA": fx.floor_div(cell["rest"], f"MAX({cell['rW']},1)"),
        "rB": f"{cell['rest']}-MAX({cell['rW']},1)*{cell['rA']}",
        "rLeft": f"{cell['rest']}-SUM({rt.range('q', qualified=False)})",
        "pD": max_decimals(pt.range("d", qualified=False)),
        "pS": f"SUM({pt.range('x', qualified=False)})",
        "pk": fx.reduction(cell["pS"]),
        "pW": f"SUM({pt.range('w', qualified=False)})",
        "gN": f"SUMPRODUCT(({rt.range('has_mix', qualified=False)}=0)*{rt.range('units', qualified=False)})",
        "gN1": fx.hi(cell["gN"], fx.B24),
        "gN0": fx.lo(cell["gN"], fx.B24),
        "gA": fx.floor_div(cell["gN"], f"MAX({cell['pW']},1)"),
        "gB": f"{cell['gN']}-MAX({cell['pW']},1)*{cell['gA']}",
        "gLeft": f"{cell['gN']}-SUM({pt.range('q', qualified=False)})",
    }
    for whole in ("mW", "mB", "rW", "rB", "pW", "gB"):
        f[whole + "1"] = fx.hi(cell[whole])
        f[whole + "0"] = fx.lo(cell[whole])
    for key in labels:
        w.formula(row, s.col(key), f[key], "helper")


def _total_units(ctx: Context, unit: str) -> str:
    lay = ctx.layout
    tt, py, g = (lay.param(k) for k in ("total_target", "prior_year_revenue", "growth"))
    derived_total = fx.grow(f"ROUND({py}/{unit},0)", fx.n_(g))
    regions = f"SUM({lay.region_targets.range('pyu', qualified=False)})"
    return f"IF(ISNUMBER({tt}),ROUND({tt}/{unit},0),IF(ISNUMBER({py}),{derived_total},{regions}))"


def _company(ctx: Context, w) -> None:
    lay = ctx.layout
    c, rt, rows = lay.company, lay.region_targets, lay.season_rows
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
    for i, q in enumerate(QUARTERS):
        w.label(c.header_row, c.col(q), f"Q{i + 1}", "header")
    w.label(row, 1, "Total target", "total_label")
    w.formula(row, c.col("year"), ctx.amount(lay.scalar("n")), "total_amount")
    for key in MONTHS:
        w.formula(row, c.col(key), ctx.amount(f"{c.letter(key)}{rows['M']}"), "total_amount")
    quarter_sums(w, c, row, "total_amount")
    prior_year(w, c, row, lay.param("prior_year_revenue"), "total_amount")
    months_check(ctx, w, c, row)
    w.formula(row, c.col("check_total"), ctx.check(f"SUM({rt.range('year', qualified=False)})",
                                                   c.cell("year", 0, col_abs=True, row_abs=True)), "check")
    for key, label in SEASON_ROW_LABELS:
        w.label(rows[key], 1, label, "helper_header")
    _seasonality(ctx, w)
    flag_nonzero(ctx.sheets[TARGETS], f"{c.letter('check')}{row}:{c.letter('check_total')}{row}")


def _seasonality(ctx: Context, w) -> None:
    """Whole-number month weights, the company quarters from the total and months from each
    quarter (largest remainder), and the region x month table's column aggregates."""
    lay = ctx.layout
    c, rows, qw, mw = lay.company, lay.season_rows, lay.quarter_weights, lay.month_weights
    sc = {k: lay.scalar(k) for k in lay.scalars.columns}

    def at(key: str, col: str) -> str:
        return f"{col}{rows[key]}"

    def qcell(key: str, q: int, absolute: bool = False) -> str:
        col = c.letter(QUARTERS[q])
        return f"${col}${rows[key]}" if absolute else f"{col}{rows[key]}"

    for m, key in enumerate(MONTHS):
        col = c.col(key)
        L = c.letter(key)
        typed = f"IF({sc['has_months']}=1,{fx.n_(mw.ref('weight', m))},{fx.n_(qw.ref('weight', m // 3))})"
        w.formula(rows["e"], col, typed, "helper")
        w.formula(rows["d"], col, fx.decimals(at("e", L)), "helper")
        w.formula(rows["x"], col, f"ROUND({at('e', L)}*10^{sc['mD']},0)", "helper")
        w.formula(rows["w"], col, fx.reduced(at("x", L), sc["mk"]), "helper")
        first = c.letter(MONTHS[0])
        w.formula(rows["C"], col, f"SUM(${first}${rows['w']}:{L}${rows['w']})", "helper")
        w.formula(rows["C1"], col, fx.hi(at("C", L)), "helper")
        w.formula(rows["C0"], col, fx.lo(at("C", L)), "helper")
        w.formula(rows["w1"], col, fx.hi(at("w", L)), "helper")
        w.formula(rows["w0"], col, fx.lo(at("w", L)), "helper")
    # Quarters: QW, its parts, raw remainder, floor, remainder, the quarter, and its rest.
    n_quarters = f"${c.letter(QUARTERS[0])}${rows['C']}:${c.letter(QUARTERS[-1])}${rows['C']}"
    rho_q = f"${c.letter(QUARTERS[0])}${rows['C1']}:${c.letter(QUARTERS[-1])}${rows['C1']}"
    for q in range(4):
        col = c.col(QUARTERS[q])
        months = [c.letter(MONTHS[3 * q + k]) for k in range(3)]
        w.formula(rows["e"], col, f"SUM({months[0]}{rows['w']}:{months[2]}{rows['w']})", "helper")
        qw_cell = qcell("e", q)
        w.formula(rows["d"], col, fx.hi(qw_cell), "helper")
        w.formula(rows["x"], col, fx.lo(qw_cell), "helper")
        qhat = f"INT({sc['mB']}*{qw_cell}/MAX({sc['mW']},1))"
        w.formula(rows["w"], col, fx.product_remainder(sc["mB1"], sc["mB0"], qcell("d", q), qcell("x", q),
                                                       sc["mW1"], sc["mW0"], qhat), "helper")
        w.formula(rows["C"], col, f"{sc['mA']}*{qw_cell}+{qhat}+{fx.correction(qcell('w', q), sc['mW'])}", "helper")
        w.formula(rows["C1"], col, fx.fixed(qcell("w", q), sc["mW"]), "helper")
        first_rho = f"${c.letter(QUARTERS[0])}${rows['C1']}"
        rank = fx.rank(rho_q, f"{first_rho}:{qcell('C1', q)}", qcell("C1", q))
        w.formula(rows["C0"], col, f"{qcell('C', q)}+({rank}<{sc['n']}-SUM({n_quarters}))", "helper")
        target = qcell("C0", q)
        w.formula(rows["w1"], col, fx.floor_div(target, f"MAX({qw_cell},1)"), "helper")
        w.formula(rows["w0"], col, f"{target}-MAX({qw_cell},1)*{qcell('w1', q)}", "helper")
        w.formula(rows["mrr"], col, fx.hi(qcell("w0", q)), "helper")
        w.formula(rows["mq"], col, fx.lo(qcell("w0", q)), "helper")
    # Months: each quarter split by its months' weights.
    for m, key in enumerate(MONTHS):
        q = m // 3
        col = c.col(key)
        L = c.letter(key)
        big = qcell("e", q, True)
        b, b1, b0 = qcell("w0", q, True), qcell("mrr", q, True), qcell("mq", q, True)
        qhat = f"INT({b}*{at('w', L)}/MAX({big},1))"
        w.formula(rows["mrr"], col, fx.product_remainder(b1, b0, at("w1", L), at("w0", L), qcell("d", q, True),
                                                         qcell("x", q, True), qhat), "helper")
        w.formula(rows["mq"], col, f"{qcell('w1', q, True)}*{at('w', L)}+{qhat}+{fx.correction(at('mrr', L), big)}",
                  "helper")
        w.formula(rows["mrho"], col, fx.fixed(at("mrr", L), big), "helper")
        first, last = c.letter(MONTHS[3 * q]), c.letter(MONTHS[3 * q + 2])
        rhos = f"${first}${rows['mrho']}:${last}${rows['mrho']}"
        rank = fx.rank(rhos, f"${first}${rows['mrho']}:{L}${rows['mrho']}", at("mrho", L))
        left = f"{qcell('C0', q, True)}-SUM(${first}${rows['mq']}:${last}${rows['mq']})"
        w.formula(rows["M"], col, f"{at('mq', L)}+({rank}<{left})", "helper")
        # The region x month table's aggregates for this month.
        rt = lay.region_targets
        reg = Rows(rt.first_row, rt.last_row)
        w.formula(rows["k"], col, aggregate_k(at("M", L), reg, rt.letter(f"f_{key}"), rows["k"]), "helper")
        w.formula(rows["rp"], col, aggregate_rp(reg, rt.letter(f"key_{key}"), rows["rp"]), "helper")


def _regions(ctx: Context, w) -> None:
    lay = ctx.layout
    rt, a, cube, P = lay.region_targets, lay.regions, lay.cube, lay.capacity.products
    sc = {k: lay.scalar(k) for k in lay.scalars.columns}
    block_title(w, rt)
    cube_headers(ctx, w, rt, "Region", "Market", check_total="Check: cells - region")
    helper = {"e": "Weight", "der": "From prior year?", "locked": "Fixed?", "lock_units": "Fixed (units)",
              "pyu": "Growth target (units)", "d": "Decimals", "x": "Weight x 10^d", "w": "Weight used",
              "rr": "Raw remainder", "q": "Floor", "rho": "Remainder", "units": "Units",
              "al": "Units / W", "be": "Units mod W", "be1": "high", "be0": "low",
              "has_mix": "Own mix?", "xD": "Mix decimals", "xS": "Mix x 10^d", "xk": "Reduced by 10^",
              "xW": "Mix weight", "xW1": "high", "xW0": "low", "xA": "Units / mix", "xB": "Units mod mix",
              "xB1": "high", "xB0": "low", "xLeft": "Units left (products)"}
    helper.update({f"{g}_{m}": f"{g} {k + 1}" for g in GRIDS for k, m in enumerate(MONTHS)})
    helper.update({f"ck_{m}": f"Cube units to place {k + 1}" for k, m in enumerate(MONTHS)})
    helper.update({f"crp_{m}": f"Cube rows with room {k + 1}" for k, m in enumerate(MONTHS)})
    headers(w, rt, helper, "helper_header")
    unit, sign = sc["unit"], sc["sign"]
    season = _season(ctx)
    reg_rows = Rows(rt.first_row, rt.last_row)
    for i in range(rt.rows):
        r = rt.row(i)
        c = {k: rt.cell(k, i) for k in rt.columns}
        name, target = a.rel("name", i), a.rel("target", i)
        w.formula(r, rt.col("name"), fx.text_ref(name), "calc_text")
        w.formula(r, rt.col("label"), fx.words(a.rel("market", i), fx.MARKET_WORDS), "calc_text")
        w.formula(r, rt.col("e"), member_weight(ctx, a, i, "market", ("core", "growth", "new")), "helper")
        w.formula(r, rt.col("der"), derived(a, i), "helper")
        w.formula(r, rt.col("locked"), f'IF(AND({name}<>"",ISNUMBER({target})),1,0)', "helper")
        w.formula(r, rt.col("lock_units"), f"IF({c['locked']}=1,{sign}*ROUND({target}/{unit},0),0)", "helper")
        # The region's part of a total derived from the regions: its fixed target, else its
        # growth target (whether or not it has a weight).
        py = a.rel("prior_year_revenue", i)
        grown = growth_units(ctx, a, i, "market", ("core", "growth", "new"))
        w.formula(r, rt.col("pyu"), f'IF({name}="",0,IF({c["locked"]}=1,ROUND({target}/{unit},0),'
                  f'IF(ISNUMBER({py}),{grown},0)))', "helper")
        w.formula(r, rt.col("d"), f"IF(OR({c['locked']}=1,{c['der']}=1),0,{fx.decimals(c['e'])})", "helper")
        w.formula(r, rt.col("x"), f"IF({c['locked']}=1,0,ROUND({c['e']}*10^{sc['rD']},0))", "helper")
        w.formula(r, rt.col("w"), fx.reduced(c["x"], sc["rk"]), "helper")
        qhat = f"INT({sc['rB']}*{c['w']}/MAX({sc['rW']},1))"
        w.formula(r, rt.col("rr"), fx.product_remainder(sc["rB1"], sc["rB0"], fx.hi(c["w"]), fx.lo(c["w"]),
                                                        sc["rW1"], sc["rW0"], qhat), "helper")
        w.formula(r, rt.col("q"), f"{sc['rA']}*{c['w']}+{qhat}+{fx.correction(c['rr'], sc['rW'])}", "helper")
        w.formula(r, rt.col("rho"), f"IF({c['locked']}=1,-1,{fx.fixed(c['rr'], sc['rW'])})", "helper")
        rank = fx.rank(rt.range("rho", qualified=False), f"{rt.cell('rho', 0, col_abs=True, row_abs=True)}:{c['rho']}",
                       c["rho"])
        w.formula(r, rt.col("units"), f"IF({c['locked']}=1,{c['lock_units']},{c['q']}+({rank}<{sc['rLeft']}))",
                  "helper")
        # Its place by target (0 = the largest; ties: the earlier region), for the Summary.
        units = rt.range("units", qualified=False)
        w.formula(r, rt.col("rank"), fx.rank(units, f"{rt.cell('units', 0, col_abs=True, row_abs=True)}:{c['units']}",
                                             c["units"]), "helper")
        # The region x month table (running-total rounding over the company's months).
        rows = lay.season_rows

        def season_agg(m: int) -> tuple[str, str]:
            col = lay.company.letter(MONTHS[m])
            return f"{TARGETS}!${col}${rows['k']}", f"{TARGETS}!${col}${rows['rp']}"

        month_row(w, rt, i, reg_rows, season, c["units"], season_agg,
                  lambda row, col, units: w.formula(row, col, ctx.amount(units), "calc_amount"))
        w.formula(r, rt.col("year"), ctx.amount(c["units"]), "calc_amount")
        quarter_sums(w, rt, r)
        prior_year(w, rt, r, f'IF({name}="","",{a.rel("prior_year_revenue", i)})')
        months_check(ctx, w, rt, r)
        first, last = cube.row(i * P), cube.row(i * P + P - 1)
        year = cube.letter("year")
        w.formula(r, rt.col("check_total"), ctx.check(f"SUM({year}{first}:{year}{last})", c["year"]), "check")
        # Own product mix: its decimals, weights and the split of the region's units.
        mix_row = f"{lay.mix.rel('p0', i)}:{lay.mix.rel(f'p{P - 1}', i).split('!')[1]}"
        w.formula(r, rt.col("has_mix"), f"IF(COUNT({mix_row})>0,1,0)", "helper")

        def cube_range(key: str) -> str:
            L = cube.letter(key)
            return f"${L}${first}:${L}${last}"

        w.formula(r, rt.col("xD"), max_decimals(cube_range("md")), "helper")
        w.formula(r, rt.col("xS"), f"SUM({cube_range('mx')})", "helper")
        w.formula(r, rt.col("xk"), fx.reduction(c["xS"]), "helper")
        w.formula(r, rt.col("xW"), f"SUM({cube_range('mw')})", "helper")
        w.formula(r, rt.col("xW1"), fx.hi(c["xW"]), "helper")
        w.formula(r, rt.col("xW0"), fx.lo(c["xW"]), "helper")
        w.formula(r, rt.col("xA"), fx.floor_div(c["units"], f"MAX({c['xW']},1)"), "helper")
        w.formula(r, rt.col("xB"), f"{c['units']}-MAX({c['xW']},1)*{c['xA']}", "helper")
        w.formula(r, rt.col("xB1"), fx.hi(c["xB"]), "helper")
        w.formula(r, rt.col("xB0"), fx.lo(c["xB"]), "helper")
        w.formula(r, rt.col("xLeft"), f"{c['units']}-SUM({cube_range('mq')})", "helper")
        # The aggregates of this region's product x month table.
        cube_rows = Rows(first, last)
        for m, key in enumerate(MONTHS):
            w.formula(r, rt.col(f"ck_{key}"), aggregate_k(rt.cell(f"u_{key}", i), cube_rows, cube.letter(f"f_{key}"), r),
                      "helper")
            w.formula(r, rt.col(f"crp_{key}"), aggregate_rp(cube_rows, cube.letter(f"key_{key}"), r), "helper")
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
    py = f"{table.letter('py')}{table.first_row}:{table.letter('py')}{table.last_row}"
    prior_year(w, table, row, f'IF(COUNT({py})>0,SUM({py}),"")', "total_amount")
    months_check(ctx, w, table, row)
    total = lay.company.cell("year", 0, col_abs=True, row_abs=True)
    w.formula(row, table.col("check_total"), ctx.check(f"{table.letter('year')}{row}", total), "check")
    ws = ctx.sheets[TARGETS]
    flag_nonzero(ws, f"{table.letter('check')}{table.first_row}:{table.letter('check_total')}{row}")


def _products(ctx: Context, w) -> None:
    lay = ctx.layout
    pt, a, cube, grid = lay.product_targets, lay.products, lay.cube, lay.grid
    R, P = lay.capacity.regions, lay.capacity.products
    sc = {k: lay.scalar(k) for k in lay.scalars.columns}
    block_title(w, pt)
    cube_headers(ctx, w, pt, "Product", "BCG class")
    headers(w, pt, {"e": "Weight", "der": "From prior year?", "pyu": "Growth target (units)", "d": "Decimals",
                    "x": "Weight x 10^d", "w": "Weight used", "rr": "Raw remainder", "q": "Floor", "rho": "Remainder",
                    "u": "Product total, regions on product weights (units)", "cu": "Running total", "cu1": "high",
                    "cu0": "low", "gk": "Units to place", "grp": "Rows with room"}, "helper_header")
    grid_rows = Rows(grid.first_row, grid.last_row)
    for j in range(pt.rows):
        r = pt.row(j)
        c = {k: pt.cell(k, j) for k in pt.columns}
        w.formula(r, pt.col("name"), fx.text_ref(a.rel("name", j)), "calc_text")
        w.formula(r, pt.col("label"), fx.words(a.rel("bcg", j), fx.BCG_WORDS), "calc_text")
        w.formula(r, pt.col("e"), member_weight(ctx, a, j, "bcg", BCG_CLASSES), "helper")
        w.formula(r, pt.col("der"), derived(a, j), "helper")
        w.formula(r, pt.col("pyu"), f"IF({c['der']}=1,{c['e']},0)", "helper")
        w.formula(r, pt.col("d"), f"IF({c['der']}=1,0,{fx.decimals(c['e'])})", "helper")
        w.formula(r, pt.col("x"), f"ROUND({c['e']}*10^{sc['pD']},0)", "helper")
        w.formula(r, pt.col("w"), fx.reduced(c["x"], sc["pk"]), "helper")
        qhat = f"INT({sc['gB']}*{c['w']}/MAX({sc['pW']},1))"
        w.formula(r, pt.col("rr"), fx.product_remainder(sc["gB1"], sc["gB0"], fx.hi(c["w"]), fx.lo(c["w"]),
                                                        sc["pW1"], sc["pW0"], qhat), "helper")
        w.formula(r, pt.col("q"), f"{sc['gA']}*{c['w']}+{qhat}+{fx.correction(c['rr'], sc['pW'])}", "helper")
        w.formula(r, pt.col("rho"), fx.fixed(c["rr"], sc["pW"]), "helper")
        rank = fx.rank(pt.range("rho", qualified=False), f"{pt.cell('rho', 0, col_abs=True, row_abs=True)}:{c['rho']}",
                       c["rho"])
        w.formula(r, pt.col("u"), f"{c['q']}+({rank}<{sc['gLeft']})", "helper")
        w.formula(r, pt.col("cu"), f"SUM({pt.cell('u', 0, col_abs=True, row_abs=True)}:{c['u']})", "helper")
        w.formula(r, pt.col("cu1"), fx.hi(c["cu"], fx.B24), "helper")
        w.formula(r, pt.col("cu0"), fx.lo(c["cu"], fx.B24), "helper")
        w.formula(r, pt.col("gk"), aggregate_k(c["u"], grid_rows, grid.letter(f"f_{j}"), r), "helper")
        w.formula(r, pt.col("grp"), aggregate_rp(grid_rows, grid.letter(f"key_{j}"), r), "helper")
        for key in ("year", *MONTHS):
            col = cube.letter(key)
            w.formula(r, pt.col(key), "+".join(f"{col}{cube.row(i * P + j)}" for i in range(R)), "calc_amount")
        quarter_sums(w, pt, r)
        prior_year(w, pt, r, f'IF({a.rel("name", j)}="","",{a.rel("prior_year_revenue", j)})')
        months_check(ctx, w, pt, r)
    _total_row(ctx, w, pt, "Total of products")


def _classes(ctx: Context, w) -> None:
    lay = ctx.layout
    ct, pt = lay.class_targets, lay.product_targets
    block_title(w, ct)
    cube_headers(ctx, w, ct, "Class", "")
    classes = pt.range("label", qualified=False)
    for k, name in enumerate(BCG_CLASSES):
        r = ct.row(k)
        w.label(r, ct.col("name"), fx.BCG_WORDS[name])
        for key in ("year", *MONTHS):
            w.formula(r, ct.col(key), f"SUMPRODUCT(({classes}=$A{r})*{pt.range(key, qualified=False)})",
                      "calc_amount")
        quarter_sums(w, ct, r)
        pys = pt.range("py", qualified=False)
        prior_year(w, ct, r, f'IF(SUMPRODUCT(({classes}=$A{r})*({pys}<>""))>0,SUMIF({classes},$A{r},{pys}),"")')
        months_check(ctx, w, ct, r)
    _total_row(ctx, w, ct, "Total of classes")


def _cube(ctx: Context, w) -> None:
    lay = ctx.layout
    cube, rt, pt, grid, R, P = (lay.cube, lay.region_targets, lay.product_targets, lay.grid, lay.capacity.regions,
                                lay.capacity.products)
    block_title(w, cube)
    cube_headers(ctx, w, cube, "Region", "Product")
    helper = {"me": "Mix weight", "md": "Decimals", "mx": "Weight x 10^d", "mw": "Weight used", "mrr": "Raw remainder",
              "mq": "Floor", "mrho": "Remainder", "mval": "Split of the region (units)", "t": "Units",
              "al": "Units / W", "be": "Units mod W", "be1": "high", "be0": "low"}
    helper.update({f"{g}_{m}": f"{g} {k + 1}" for g in GRIDS for k, m in enumerate(MONTHS)})
    headers(w, cube, helper, "helper_header")
    season = _season(ctx)
    for i in range(R):
        reg = {k: rt.cell(k, i, col_abs=True, row_abs=True) for k in rt.columns}
        first, last = cube.row(i * P), cube.row(i * P + P - 1)
        rows = Rows(first, last)
        mrhos = f"${cube.letter('mrho')}${first}:${cube.letter('mrho')}${last}"

        def agg(m: int, reg=reg) -> tuple[str, str]:
            return reg[f"ck_{MONTHS[m]}"], reg[f"crp_{MONTHS[m]}"]

        for j in range(P):
            r = cube.row(i * P + j)
            c = {k: f"{cube.letter(k)}{r}" for k in cube.columns}
            w.formula(r, cube.col("name"), reg["name"], "calc_text")
            w.formula(r, cube.col("label"), pt.cell("name", j, col_abs=True, row_abs=True), "calc_text")
            w.formula(r, cube.col("me"), f"IF({reg['has_mix']}=1,{fx.n_(lay.mix.ref(f'p{j}', i))},0)", "helper")
            w.formula(r, cube.col("md"), fx.decimals(c["me"]), "helper")
            w.formula(r, cube.col("mx"), f"ROUND({c['me']}*10^{reg['xD']},0)", "helper")
            w.formula(r, cube.col("mw"), fx.reduced(c["mx"], reg["xk"]), "helper")
            qhat = f"INT({reg['xB']}*{c['mw']}/MAX({reg['xW']},1))"
            w.formula(r, cube.col("mrr"), fx.product_remainder(reg["xB1"], reg["xB0"], fx.hi(c["mw"]), fx.lo(c["mw"]),
                                                               reg["xW1"], reg["xW0"], qhat), "helper")
            w.formula(r, cube.col("mq"), f"{reg['xA']}*{c['mw']}+{qhat}+{fx.correction(c['mrr'], reg['xW'])}",
                      "helper")
            w.formula(r, cube.col("mrho"), fx.fixed(c["mrr"], reg["xW"]), "helper")
            rank = fx.rank(mrhos, f"${cube.letter('mrho')}${first}:{c['mrho']}", c["mrho"])
            w.formula(r, cube.col("mval"), f"{c['mq']}+({rank}<{reg['xLeft']})", "helper")
            w.formula(r, cube.col("t"), f"IF({reg['has_mix']}=1,{c['mval']},{grid.cell(f'u_{j}', i, col_abs=True, row_abs=True)})",
                      "helper")
            month_row(w, cube, i * P + j, rows, season, c["t"], agg,
                      lambda row, col, units: w.formula(row, col, ctx.amount(units), "calc_amount"))
            w.formula(r, cube.col("year"), ctx.amount(c["t"]), "calc_amount")
            quarter_sums(w, cube, r)
            months_check(ctx, w, cube, r)
    _total_row(ctx, w, cube, "Total of cells")


def _grid(ctx: Context, w) -> None:
    """The region x product table of the regions on the products' weights: running totals
    along the products follow the product totals (docs/engine.md)."""
    lay = ctx.layout
    grid, rt, pt, P = lay.grid, lay.region_targets, lay.product_targets, lay.capacity.products
    sc = {k: lay.scalar(k) for k in lay.scalars.columns}
    block_title(w, grid)
    headers(w, grid, {"name": "Region", "t": "Units", "t1": "high (24 bits)", "t0": "low (24 bits)"}, "helper_header")
    for g in GRIDS:
        for j in range(P):
            w.formula(grid.header_row, grid.col(f"{g}_{j}"), f'"{g} "&{pt.cell("name", j, col_abs=True, row_abs=True)}',
                      "helper_header")
    rows = Rows(grid.first_row, grid.last_row)
    z = f"MAX({sc['gN']},1)"
    for i in range(grid.rows):
        r = grid.row(i)
        c = {k: f"{grid.letter(k)}{r}" for k in ("t", "t1", "t0")}
        w.formula(r, grid.col("name"), rt.cell("name", i, col_abs=True, row_abs=True), "calc_text")
        w.formula(r, grid.col("t"), f"IF({rt.cell('has_mix', i, col_abs=True, row_abs=True)}=1,0,"
                  f"{rt.cell('units', i, col_abs=True, row_abs=True)})", "helper")
        w.formula(r, grid.col("t1"), fx.hi(c["t"], fx.B24), "helper")
        w.formula(r, grid.col("t0"), fx.lo(c["t"], fx.B24), "helper")
        for j in range(P):
            letters = {g: grid.letter(f"{g}_{j}") for g in GRIDS}
            cell = {g: f"{letters[g]}{r}" for g in GRIDS}
            prev = "(" + "+".join(f"{grid.letter(f'u_{k}')}{r}" for k in range(j)) + ")" if j else "0"
            cu, cu1, cu0 = (pt.cell(k, j, col_abs=True, row_abs=True) for k in ("cu", "cu1", "cu0"))
            qhat = f"INT({c['t']}*{cu}/{z})"
            w.formula(r, grid.col(f"rr_{j}"), fx.product_remainder(c["t1"], c["t0"], cu1, cu0, sc["gN1"], sc["gN0"],
                                                                   qhat, fx.B24), "helper")
            w.formula(r, grid.col(f"f_{j}"), f"{qhat}+{fx.correction(cell['rr'], z)}-{prev}", "helper")
            w.formula(r, grid.col(f"room_{j}"), f"{c['t']}-{prev}-MAX({cell['f']},0)", "helper")
            w.formula(r, grid.col(f"key_{j}"), f"IF({cell['room']}>0,IF({cell['f']}>=0,{fx.fixed(cell['rr'], z)},-1),-2)",
                      "helper")
            k, rp = pt.cell("gk", j, col_abs=True, row_abs=True), pt.cell("grp", j, col_abs=True, row_abs=True)
            w.formula(r, grid.col(f"u_{j}"), allotment(rows, r, letters, k, rp), "helper")
