"""Commission: the tier table, each rep's statement (sales are inputs) in both modes, and the
commission at target (sales = base quota, year to date by month) that the budget uses.

The rules are :mod:`aop_xl.engine.commission`'s: floors as fractions of the base quota are
rounded to 6 decimals; negative sales earn nothing; attainment is rounded to 12 decimals
before it meets the minimum; a cap fills the bands from the lowest up; band amounts are
differences of running totals rounded to the unit, so they add up to the commission.
Unused tier columns get a floor of 1E+300, which no sales reach.
"""

from __future__ import annotations

from aop_xl.engine.commission import ATTAINMENT_DECIMALS, FLOOR_DECIMALS
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import COMMISSION, MONTHS, QUOTAS
from aop_xl.workbook.sheets import (
    Context,
    block_title,
    flag_nonzero,
    hide_helpers,
    headers,
    month_header_ref,
    page_setup,
    set_widths,
    title,
)


def build(ctx: Context) -> None:
    """Write the Commission sheet."""
    lay = ctx.layout
    ws = ctx.sheets[COMMISSION]
    w = ctx.writer(COMMISSION)
    title(w, "Commission", "Tiered commission on each rep's sales: marginal and retroactive, per band.", ctx)
    _tiers(ctx, w)
    _statement(ctx, w)
    _at_target(ctx, w)
    st = lay.statement
    set_widths(ws, {1: 24, 2: 16, 3: 16, 4: 15, 5: 15, 6: 11, 7: 8})
    set_widths(ws, {st.col(f"band_{k + 1}"): 13 for k in range(lay.capacity.tiers)})
    set_widths(ws, {st.col(k): 14 for k in ("commission", "marginal", "retroactive")})
    set_widths(ws, {st.col("effective_rate"): 10, st.col("check"): 10})
    first, last = st.col("floor_1"), st.col("retro_raw")
    set_widths(ws, {c: 10 for c in range(first, last + 1)})
    hide_helpers(ws, first, last)
    last_col = max(st.col("check"), lay.at_target.col(MONTHS[-1]))
    page_setup(ctx, ws, last_col, lay.total_row(lay.at_target))
    ws.freeze_panes = "C6"


def _tiers(ctx: Context, w) -> None:
    lay = ctx.layout
    g, a = lay.tier_grid, lay.tiers
    w.label(g.rows["label"] - 1, 1, "Tier table", "section")
    labels = {"label": "Band", "floor": "Floor (input)", "basis": "Floor: fraction of base quota or amount",
              "rate": "Rate", "used": "In use"}
    for key, text in labels.items():
        w.label(g.rows[key], 1, text, "header" if key == "label" else "label")
    uplift = lay.param("challenge_uplift")
    for k in range(g.bands):
        col = g.col(k)
        floor = g.cell("floor", k, absolute=False)
        used = g.cell("used", k, absolute=False)
        w.label(g.rows["label"], col, f"Band {k + 1}", "header")
        w.formula(g.rows["floor"], col, fx.text_ref(a.ref("floor", k)), "calc_number")
        w.formula(g.rows["basis"], col, f'IF({floor}="","",IF({floor}="base",1,IF({floor}="challenge",'
                  f'1+{fx.n_(uplift)},{floor})))', "calc_number")
        w.formula(g.rows["rate"], col, f"IF({used}=1,{fx.n_(a.ref('rate', k))},0)", "calc_rate")
        w.formula(g.rows["used"], col, f'IF({floor}="",0,1)', "calc_integer")
    w.label(g.rows["needs_base"], 1, "Needs a base quota", "label")
    w.formula(g.rows["needs_base"], g.col(0), _needs_base(ctx), "calc_integer")


def _needs_base(ctx: Context) -> str:
    # "base" floor, or quota-based numeric floors above 0, or a minimum attainment.
    lay = ctx.layout
    g = lay.tier_grid
    basis, min_att = lay.param("floor_basis"), lay.param("min_attainment")
    base_floor = "+".join(f'({g.cell("floor", k)}="base")' for k in range(g.bands))
    numeric = "+".join(f'AND(ISNUMBER({g.cell("floor", k)}),{fx.n_(g.cell("floor", k))}>0)' for k in range(g.bands))
    return f'IF(OR({base_floor}>0,AND({basis}<>"absolute",{numeric}>0),{fx.n_(min_att)}>0),1,0)'


def needs_base_cell(ctx: Context) -> str:
    # 1 when the tiers need a base quota (the engine refuses a statement without one).
    g = ctx.layout.tier_grid
    return g.cell("needs_base", 0)


def floor_formula(ctx: Context, k: int, base: str, chal: str) -> str:
    """Floor amount of band ``k`` for a rep with quotas ``base`` and ``chal`` (1E+300 if unused)."""
    lay = ctx.layout
    g = lay.tier_grid
    f = g.cell("floor", k)
    basis = lay.param("floor_basis")
    # Floors and sales are compared at 15 significant digits (see formulas.significant).
    floor = f'IF({f}="base",{base},IF({f}="challenge",{chal},IF({basis}="absolute",{f},ROUND({f}*{base},{FLOOR_DECIMALS}))))'
    return f'IF({g.cell("used", k)}=0,{fx.BIG},{fx.significant(floor)})'


def _capped(ctx: Context, expr: str) -> str:
    cap = ctx.layout.param("cap")
    return f"IF(ISNUMBER({cap}),MIN({expr},{cap}),{expr})"


def _eligible(ctx: Context, sales: str, base: str) -> str:
    m = ctx.layout.param("min_attainment")
    return (f"IF({fx.n_(m)}<=0,1,IF({base}>0,IF(ROUND({sales}/{base},{ATTAINMENT_DECIMALS})>={fx.n_(m)},1,0),"
            f"IF({sales}>0,1,0)))")


def _statement(ctx: Context, w) -> None:
    lay = ctx.layout
    st, g, bq, cq = lay.statement, lay.tier_grid, lay.base_quotas, lay.challenge_quotas
    K = g.bands
    block_title(w, st)
    labels = {"rep": "Rep", "region": "Region", "sales": "Sales (input)", "base": "Base quota",
              "challenge": "Challenge quota", "attainment": "Attainment", "band": "Band reached",
              "commission": "Commission (plan mode)", "marginal": "Marginal", "retroactive": "Retroactive",
              "effective_rate": "Effective rate", "check": "Check: bands - marginal"}
    labels.update({f"band_{k + 1}": f"Band {k + 1}" for k in range(K)})
    headers(w, st, labels)
    helper = {f"floor_{k + 1}": f"Floor {k + 1}" for k in range(K + 1)}
    helper.update({f"raw_{k + 1}": f"Band {k + 1} (exact)" for k in range(K)})
    helper.update({f"cum_{k + 1}": f"Running {k + 1} (units)" for k in range(K)})
    helper.update(sales0="Sales (>= 0)", eligible="Eligible", retro_raw="Retroactive (exact)")
    headers(w, st, helper, "helper_header")
    rates = g.range("rate")
    mode, unit = lay.param("commission_mode"), ctx.unit
    for i in range(st.rows):
        r = st.row(i)
        c = {k: st.cell(k, i) for k in st.columns}
        w.formula(r, st.col("rep"), bq.rel("name", i), "calc_text")
        w.formula(r, st.col("region"), bq.rel("label", i), "calc_text")
        # Plans carry no actuals: sales are entered in the workbook (or given to the builder).
        rep = ctx.plan.reps[i].name if ctx.plan is not None and i < len(ctx.plan.reps) else None
        w.value(r, st.col("sales"), ctx.sales.get(rep), "input_amount")
        w.formula(r, st.col("base"), bq.rel("year", i), "calc_amount")
        w.formula(r, st.col("challenge"), cq.rel("year", i), "calc_amount")
        sales = f"{fx.n_(c['sales'])}"
        w.formula(r, st.col("sales0"), fx.significant(f"MAX({sales},0)"), "helper")
        for k in range(K):
            w.formula(r, st.col(f"floor_{k + 1}"), floor_formula(ctx, k, f"${c['base']}", f"${c['challenge']}"),
                      "helper")
        w.formula(r, st.col(f"floor_{K + 1}"), fx.BIG, "helper")
        s0 = f"${c['sales0']}"
        for k in range(K):
            lo, hi = f"{st.letter(f'floor_{k + 1}')}{r}", f"{st.letter(f'floor_{k + 2}')}{r}"
            w.formula(r, st.col(f"raw_{k + 1}"), f"MAX(MIN({s0},{hi})-{lo},0)*{g.cell('rate', k)}", "helper")
        no_quota = f"AND({needs_base_cell(ctx)}=1,{c['base']}<=0)"
        w.formula(r, st.col("eligible"), f"IF({no_quota},0,{_eligible(ctx, sales, c['base'])})", "helper")
        for k in range(K):
            running = "+".join(f"{st.letter(f'raw_{j + 1}')}{r}" for j in range(k + 1))
            w.formula(r, st.col(f"cum_{k + 1}"), f"IF(${c['eligible']}=1,"
                      f"{fx.round_half(f'{_capped(ctx, running)}/{unit}')},0)", "helper")
            prev = f"-{st.letter(f'cum_{k}')}{r}" if k else ""
            w.formula(r, st.col(f"band_{k + 1}"), ctx.amount(f"({st.letter(f'cum_{k + 1}')}{r}{prev})", False),
                      "calc_amount")
        floors = f"{st.letter('floor_1')}{r}:{st.letter(f'floor_{K}')}{r}"
        # A row without a rep, or a rep without a quota (nothing to earn), reaches no band.
        w.formula(r, st.col("band"), f'IF(OR({c["rep"]}="",{no_quota}),0,SUMPRODUCT(--({floors}<={c["sales0"]})))',
                  "calc_integer")
        retro = _capped(ctx, f"{fx.pick(rates, K, 'MAX(' + c['band'] + ',1)', across=True)}*{c['sales0']}")
        w.formula(r, st.col("retro_raw"), f"IF({c['eligible']}=1,{retro},0)", "helper")
        w.formula(r, st.col("marginal"), ctx.amount(f"{st.letter(f'cum_{K}')}{r}", False), "calc_amount")
        w.formula(r, st.col("retroactive"), ctx.amount(fx.round_half(f"{c['retro_raw']}/{unit}"), False),
                  "calc_amount")
        w.formula(r, st.col("attainment"), f'IF({c["base"]}>0,{sales}/{c["base"]},"")', "calc_percent")
        w.formula(r, st.col("commission"), f'IF({mode}="retroactive",{c["retroactive"]},{c["marginal"]})',
                  "calc_amount")
        w.formula(r, st.col("effective_rate"), f"IF({sales}>0,{c['commission']}/{sales},0)", "calc_rate")
        bands = f"{st.letter('band_1')}{r}:{st.letter(f'band_{K}')}{r}"
        # Bands add up to the commission; sales typed or pasted as text (counted as 0) fail too.
        w.formula(r, st.col("check"), f'{ctx.check(f"SUM({bands})", c["marginal"])}+IF(ISTEXT({c["sales"]}),1,0)',
                  "check")
    row = lay.total_row(st)
    w.label(row, 1, "Total", "total_label")
    w.label(row, 2, "", "total_label")
    for key in ("sales", "base", "challenge", *[f"band_{k + 1}" for k in range(K)], "commission", "marginal",
                "retroactive"):
        col = st.letter(key)
        w.formula(row, st.col(key), f"SUM({col}{st.first_row}:{col}{st.last_row})", "total_amount")
    bands = f"{st.letter('band_1')}{row}:{st.letter(f'band_{K}')}{row}"
    w.formula(row, st.col("check"), ctx.check(f"SUM({bands})", f"{st.letter('marginal')}{row}"), "check")
    flag_nonzero(ctx.sheets[COMMISSION], f"{st.letter('check')}{st.first_row}:{st.letter('check')}{row}")


def commission_of(ctx: Context, sales: str, base: str, i: int) -> str:
    """Unrounded commission (plan mode, cap, minimum attainment) of ``sales`` >= 0 for rep ``i``,
    using the rep's floor helper cells on the statement."""
    lay = ctx.layout
    st, g = lay.statement, lay.tier_grid
    K, r = g.bands, st.row(i)
    F = f"${st.letter('floor_1')}{r}:${st.letter(f'floor_{K}')}{r}"
    U = f"${st.letter('floor_2')}{r}:${st.letter(f'floor_{K + 1}')}{r}"
    rates = g.range("rate")
    low = f"(({sales}<={U})*{sales}+({sales}>{U})*{U})"
    marginal = f"SUMPRODUCT({rates},({low}-{F})*({low}>{F}))"
    retro = f"{fx.pick(rates, K, f'MAX(SUMPRODUCT(--({F}<={sales})),1)', across=True)}*{sales}"
    mode = lay.param("commission_mode")
    return (f'IF({_eligible(ctx, sales, base)}=1,IF({mode}="retroactive",{_capped(ctx, retro)},'
            f'{_capped(ctx, marginal)}),0)')


def _at_target(ctx: Context, w) -> None:
    lay = ctx.layout
    yb, at, bq, st = lay.ytd_base, lay.at_target, lay.base_quotas, lay.statement
    for table in (yb, at):
        block_title(w, table)
        headers(w, table, {"rep": "Rep", "region": "Region", "year": "Year"})
        for m, key in enumerate(MONTHS):
            w.formula(table.header_row, table.col(key), month_header_ref(lay, m), "header")
    unit = ctx.unit
    m0 = bq.letter(MONTHS[0])
    for i in range(yb.rows):
        r, ra = yb.row(i), at.row(i)
        base = f"${st.letter('base')}{st.row(i)}"
        for table, row in ((yb, r), (at, ra)):
            w.formula(row, table.col("rep"), bq.rel("name", i), "calc_text")
            w.formula(row, table.col("region"), bq.rel("label", i), "calc_text")
        for key in MONTHS:
            ytd = f"SUM({QUOTAS}!${m0}${bq.row(i)}:{bq.letter(key)}${bq.row(i)})"
            w.formula(r, yb.col(key), fx.significant(f"ROUND({ytd}/{unit},0)*{ctx.mul}/{ctx.div}"), "calc_amount")
            sales = f"{yb.letter(key)}{r}"
            w.formula(ra, at.col(key), f"IF({base}>0,{commission_of(ctx, sales, base, i)},0)", "calc_amount")
        w.formula(r, yb.col("year"), f"{yb.letter(MONTHS[-1])}{r}", "calc_amount")
        w.formula(ra, at.col("year"), f"{at.letter(MONTHS[-1])}{ra}", "calc_amount")
    row = lay.total_row(at)
    w.label(row, 1, "Total", "total_label")
    w.label(row, 2, "", "total_label")
    for key in ("year", *MONTHS):
        col = at.letter(key)
        w.formula(row, at.col(key), f"SUM({col}{at.first_row}:{col}{at.last_row})", "total_amount")
