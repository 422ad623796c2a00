"""Quotas: each rep's base quota (its share of its region's target, split exactly among the
region's reps), the challenge quota (base x (1 + uplift), halves away from zero, exactly),
and their months: each rep's row of its region's rep x month table, filled by running-total
rounding so that the reps of a region add up to the region's months (docs/engine.md).

The reps of a region are scattered over the rep block (plan order); every per-region sum
and rank carries a ``(region column = region)`` factor. Per-region helpers (decimals, weight
sums, the challenge months) sit in the regions block at the bottom. A month's aggregates (units
left to place, reps with room) are written into each rep's formula rather than read from the
regions block: LibreOffice's threaded calculation computes an INDEX into a block that itself
sums the reps' cells wrong (#VALUE!).
"""

from __future__ import annotations

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import CUBE_PRINT_LAST, GRIDS, MONTHS, QUARTERS, QUOTAS, TARGETS
from aop_xl.workbook.sheets import (
    Context,
    block_title,
    cube_headers,
    flag_nonzero,
    headers,
    hide_helpers,
    months_check,
    page_setup,
    quarter_sums,
    set_widths,
    title,
)
from aop_xl.workbook.sheets.running import Rows, Season, aggregate_k, aggregate_rp, month_row


def build(ctx: Context) -> None:
    """Write the Quotas sheet."""
    lay = ctx.layout
    ws = ctx.sheets[QUOTAS]
    w = ctx.writer(QUOTAS)
    title(w, "Quotas", "Base quota: the rep's share of its region's target. Challenge: base x (1 + uplift).", ctx)
    _base(ctx, w)
    _challenge(ctx, w)
    _regions(ctx, w)
    set_widths(ws, {1: 24, 2: 18, 3: 16, **{c: 14 for c in range(4, 8)}, **{c: 13 for c in range(8, 20)}, 20: 11,
                    21: 11, 22: 2})
    first = lay.base_quotas.col("ri")
    last = max(max(t.columns.values()) for t in (lay.base_quotas, lay.challenge_quotas, lay.quota_regions))
    set_widths(ws, {c: 10 for c in range(first, last + 1)})
    hide_helpers(ws, first, last)
    page_setup(ctx, ws, CUBE_PRINT_LAST, lay.quota_regions.last_row, title_rows="4:5")
    ws.freeze_panes = "C6"


def _season(ctx: Context) -> Season:
    lay = ctx.layout
    c, rows = lay.company, lay.season_rows

    def row(key: str) -> tuple[str, ...]:
        return tuple(f"{TARGETS}!${c.letter(m)}${rows[key]}" for m in MONTHS)

    return Season(weight=row("w"), running=row("C"), running_hi=row("C1"), running_lo=row("C0"),
                  total=lay.scalar("mW"), total_hi=lay.scalar("mW1"), total_lo=lay.scalar("mW0"))


def _month_headers(w, table) -> None:
    helper = {"al": "Units / W", "be": "Units mod W", "be1": "high", "be0": "low"}
    helper.update({f"{g}_{m}": f"{g} {k + 1}" for g in GRIDS for k, m in enumerate(MONTHS)})
    headers(w, table, helper, "helper_header")


def _total(ctx: Context, w, table, label: str) -> None:
    row = ctx.layout.total_row(table)
    w.label(row, 1, label, "total_label")
    w.label(row, 2, "", "total_label")
    for key in ("year", *MONTHS):
        col = table.letter(key)
        w.formula(row, table.col(key), f"SUM({col}{table.first_row}:{col}{table.last_row})", "total_amount")
    quarter_sums(w, table, row, "total_amount")
    months_check(ctx, w, table, row)
    flag_nonzero(ctx.sheets[QUOTAS], f"{table.letter('check')}{table.first_row}:{table.letter('check')}{row}")


def _region_value(ctx: Context, key: str, ri: str) -> str:
    """A per-region helper of the regions block for the rep whose region position is ``ri``."""
    qr = ctx.layout.quota_regions
    return fx.pick(qr.range(key, qualified=False), qr.rows, f"MAX({ri},1)")


def _base(ctx: Context, w) -> None:
    lay = ctx.layout
    bq, a, rt, qr = lay.base_quotas, lay.reps, lay.region_targets, lay.quota_regions
    block_title(w, bq)
    cube_headers(ctx, w, bq, "Rep", "Region")
    headers(w, bq, {"ri": "Region position", "ru": "Region (units)", "e": "Share", "d": "Decimals",
                    "x": "Share x 10^d", "w": "Share used", "rr": "Raw remainder", "q": "Floor", "rho": "Remainder",
                    "units": "Units"}, "helper_header")
    _month_headers(w, bq)
    season = _season(ctx)
    names = rt.range("name")
    label = bq.letter("label")
    for i in range(bq.rows):
        r = bq.row(i)
        c = {k: bq.cell(k, i) for k in bq.columns}
        w.formula(r, bq.col("name"), fx.text_ref(a.rel("name", i)), "calc_text")
        w.formula(r, bq.col("label"), f'IF({c["name"]}="","",{fx.text_ref(a.rel("region", i))})', "calc_text")
        match = f"MATCH({c['label']},{names},0)"
        w.formula(r, bq.col("ri"), f'IF({c["label"]}="",0,IF(ISNA({match}),0,{match}))', "helper")
        region_units = fx.pick(rt.range("units"), rt.rows, f"MAX({c['ri']},1)")
        w.formula(r, bq.col("ru"), f"IF({c['ri']}>0,{region_units},0)", "helper")
        w.formula(r, bq.col("e"), f'IF({c["ri"]}=0,0,{fx.n_(a.rel("share", i))})', "helper")
        w.formula(r, bq.col("d"), fx.decimals(c["e"]), "helper")
        reg = {k: _region_value(ctx, k, c["ri"]) for k in ("D", "k", "W", "W1", "W0", "A", "B", "B1", "B0", "left")}
        w.formula(r, bq.col("x"), f"ROUND({c['e']}*10^{reg['D']},0)", "helper")
        w.formula(r, bq.col("w"), fx.reduced(c["x"], reg["k"]), "helper")
        qhat = f"INT({reg['B']}*{c['w']}/MAX({reg['W']},1))"
        w.formula(r, bq.col("rr"), fx.product_remainder(reg["B1"], reg["B0"], fx.hi(c["w"]), fx.lo(c["w"]),
                                                        reg["W1"], reg["W0"], qhat), "helper")
        w.formula(r, bq.col("q"), f"{reg['A']}*{c['w']}+{qhat}+{fx.correction(c['rr'], reg['W'])}", "helper")
        w.formula(r, bq.col("rho"), fx.fixed(c["rr"], reg["W"]), "helper")
        groups, rhos = bq.range("label", qualified=False), bq.range("rho", qualified=False)
        rank = fx.group_rank(groups, c["label"], rhos, f"${label}${bq.first_row}:{c['label']}",
                             f"{bq.cell('rho', 0, col_abs=True, row_abs=True)}:{c['rho']}", c["rho"])
        w.formula(r, bq.col("units"), f"IF({c['ri']}=0,0,{c['q']}+({rank}<{reg['left']}))", "helper")
        rows = Rows(bq.first_row, bq.last_row, groups=label, group=c["label"])

        def agg(m: int, ri=c["ri"], rows=rows, r=r) -> tuple[str, str]:
            key = MONTHS[m]
            total = fx.pick(rt.range(f"u_{key}"), rt.rows, f"MAX({ri},1)")
            return (f"({aggregate_k(total, rows, bq.letter(f'f_{key}'), r)})",
                    aggregate_rp(rows, bq.letter(f"key_{key}"), r))

        month_row(w, bq, i, rows, season, c["units"], agg,
                  lambda row, col, units: w.formula(row, col, ctx.amount(units), "calc_amount"))
        w.formula(r, bq.col("year"), ctx.amount(c["units"]), "calc_amount")
        quarter_sums(w, bq, r)
        months_check(ctx, w, bq, r)
    _total(ctx, w, bq, "Total base quotas")


def _challenge(ctx: Context, w) -> None:
    lay = ctx.layout
    cq, bq = lay.challenge_quotas, lay.base_quotas
    block_title(w, cq)
    cube_headers(ctx, w, cq, "Rep", "Region")
    headers(w, cq, {"ri": "Region position", "units": "Units"}, "helper_header")
    _month_headers(w, cq)
    season = _season(ctx)
    uplift = fx.n_(lay.param("challenge_uplift"))
    label = cq.letter("label")
    for i in range(cq.rows):
        r = cq.row(i)
        c = {k: cq.cell(k, i) for k in cq.columns}
        w.formula(r, cq.col("name"), bq.cell("name", i, col_abs=True), "calc_text")
        w.formula(r, cq.col("label"), bq.cell("label", i, col_abs=True), "calc_text")
        w.formula(r, cq.col("ri"), bq.cell("ri", i, col_abs=True), "helper")
        w.formula(r, cq.col("units"), fx.grow(bq.cell("units", i, col_abs=True), uplift), "helper")
        rows = Rows(cq.first_row, cq.last_row, groups=label, group=c["label"])

        def agg(m: int, ri=c["ri"], rows=rows, r=r) -> tuple[str, str]:
            key = MONTHS[m]
            total = _region_value(ctx, f"cmval_{key}", ri)
            return (f"({aggregate_k(total, rows, cq.letter(f'f_{key}'), r)})",
                    aggregate_rp(rows, cq.letter(f"key_{key}"), r))

        month_row(w, cq, i, rows, season, c["units"], agg,
                  lambda row, col, units: w.formula(row, col, ctx.amount(units), "calc_amount"))
        w.formula(r, cq.col("year"), ctx.amount(c["units"]), "calc_amount")
        quarter_sums(w, cq, r)
        months_check(ctx, w, cq, r)
    _total(ctx, w, cq, "Total challenge quotas")


def _regions(ctx: Context, w) -> None:
    lay = ctx.layout
    qr, bq, cq, rt, co = lay.quota_regions, lay.base_quotas, lay.challenge_quotas, lay.region_targets, lay.company
    srows = lay.season_rows
    sc = {k: lay.scalar(k) for k in lay.scalars.columns}
    block_title(w, qr)
    headers(w, qr, {"name": "Region", "reps": "Reps", "target": "Region target", "base_sum": "Sum of base quotas",
                    "challenge_sum": "Sum of challenge quotas", "check": "Check: base - target"})
    helper = {"units": "Region (units)", "D": "Share decimals", "S": "Shares x 10^d", "k": "Reduced by 10^",
              "W": "Share weight", "W1": "high", "W0": "low", "A": "Units / W", "B": "Units mod W", "B1": "high",
              "B0": "low", "left": "Units left", "ch": "Challenge total (units)", "chA": "/ W", "chB": "mod W",
              "chB1": "high", "chB0": "low"}
    helper.update({f"cq{x}_{q}": f"Challenge Q{n + 1} {x}" for x in ("rr", "q", "rho", "val", "a", "b", "b1", "b0")
                   for n, q in enumerate(QUARTERS)})
    helper.update({f"cm{x}_{m}": f"Challenge month {k + 1} {x}" for x in ("rr", "q", "rho", "val")
                   for k, m in enumerate(MONTHS)})
    headers(w, qr, helper, "helper_header")
    regions = bq.range("label", qualified=False)

    def over(table, key: str, name: str, *conds: str) -> str:
        rng = table.range(key, qualified=False)
        groups = table.range("label", qualified=False)
        return f"SUMPRODUCT(({groups}={name})*{''.join(c + '*' for c in conds)}{rng})"

    for i in range(qr.rows):
        r = qr.row(i)
        c = {k: qr.cell(k, i) for k in qr.columns}
        name = c["name"]
        w.formula(r, qr.col("name"), rt.rel("name", i), "calc_text")
        w.formula(r, qr.col("reps"), f'IF({name}="",0,SUMPRODUCT(--({regions}={name})))', "calc_integer")
        w.formula(r, qr.col("target"), rt.rel("year", i), "calc_amount")
        w.formula(r, qr.col("base_sum"), f'IF({name}="",0,{over(bq, "year", name)})', "calc_amount")
        w.formula(r, qr.col("challenge_sum"), f'IF({name}="",0,{over(cq, "year", name)})', "calc_amount")
        w.formula(r, qr.col("check"), f"IF({qr.cell('reps', i)}>0,"
                  f"{ctx.check(qr.cell('base_sum', i), qr.cell('target', i))},0)", "check")
        # The split of the region's units by its reps' shares.
        w.formula(r, qr.col("units"), rt.rel("units", i), "helper")
        d_range = bq.range("d", qualified=False)
        w.formula(r, qr.col("D"), "+".join(f"(SUMPRODUCT(({regions}={name})*({d_range}>={k}))>0)"
                                           for k in range(1, 7)), "helper")
        w.formula(r, qr.col("S"), f'IF({name}="",0,{over(bq, "x", name)})', "helper")
        w.formula(r, qr.col("k"), fx.reduction(c["S"]), "helper")
        w.formula(r, qr.col("W"), f'IF({name}="",0,{over(bq, "w", name)})', "helper")
        w.formula(r, qr.col("W1"), fx.hi(c["W"]), "helper")
        w.formula(r, qr.col("W0"), fx.lo(c["W"]), "helper")
        w.formula(r, qr.col("A"), fx.floor_div(c["units"], f"MAX({c['W']},1)"), "helper")
        w.formula(r, qr.col("B"), f"{c['units']}-MAX({c['W']},1)*{c['A']}", "helper")
        w.formula(r, qr.col("B1"), fx.hi(c["B"]), "helper")
        w.formula(r, qr.col("B0"), fx.lo(c["B"]), "helper")
        w.formula(r, qr.col("left"), f'IF({name}="",0,{c["units"]}-{over(bq, "q", name)})', "helper")
        # The challenge total of the region's reps, split quarters first like the company's.
        w.formula(r, qr.col("ch"), f'IF({name}="",0,{over(cq, "units", name)})', "helper")
        w.formula(r, qr.col("chA"), fx.floor_div(c["ch"], f"MAX({sc['mW']},1)"), "helper")
        w.formula(r, qr.col("chB"), f"{c['ch']}-MAX({sc['mW']},1)*{c['chA']}", "helper")
        w.formula(r, qr.col("chB1"), fx.hi(c["chB"]), "helper")
        w.formula(r, qr.col("chB0"), fx.lo(c["chB"]), "helper")

        def season(key: str, q: int) -> str:
            return f"{TARGETS}!${co.letter(QUARTERS[q])}${srows[key]}"

        rhos_q = f"${qr.letter('cqrho_q1')}{r}:${qr.letter('cqrho_q4')}{r}"
        qs = f"${qr.letter('cqq_q1')}{r}:${qr.letter('cqq_q4')}{r}"
        for q, qk in enumerate(QUARTERS):
            cc = {x: qr.cell(f"cq{x}_{qk}", i) for x in ("rr", "q", "rho", "val", "a", "b", "b1", "b0")}
            big = season("e", q)
            qhat = f"INT({c['chB']}*{big}/MAX({sc['mW']},1))"
            w.formula(r, qr.col(f"cqrr_{qk}"), fx.product_remainder(c["chB1"], c["chB0"], season("d", q),
                                                                    season("x", q), sc["mW1"], sc["mW0"], qhat), "helper")
            w.formula(r, qr.col(f"cqq_{qk}"), f"{c['chA']}*{big}+{qhat}+{fx.correction(cc['rr'], sc['mW'])}", "helper")
            w.formula(r, qr.col(f"cqrho_{qk}"), fx.fixed(cc["rr"], sc["mW"]), "helper")
            rank = fx.rank(rhos_q, f"${qr.letter('cqrho_q1')}{r}:{cc['rho']}", cc["rho"])
            w.formula(r, qr.col(f"cqval_{qk}"), f"{cc['q']}+({rank}<{c['ch']}-SUM({qs}))", "helper")
            w.formula(r, qr.col(f"cqa_{qk}"), fx.floor_div(cc["val"], f"MAX({big},1)"), "helper")
            w.formula(r, qr.col(f"cqb_{qk}"), f"{cc['val']}-MAX({big},1)*{cc['a']}", "helper")
            w.formula(r, qr.col(f"cqb1_{qk}"), fx.hi(cc["b"]), "helper")
            w.formula(r, qr.col(f"cqb0_{qk}"), fx.lo(cc["b"]), "helper")
        for m, key in enumerate(MONTHS):
            q, qk = m // 3, QUARTERS[m // 3]
            cc = {x: qr.cell(f"cm{x}_{key}", i) for x in ("rr", "q", "rho", "val")}
            wm = f"{TARGETS}!${co.letter(key)}${srows['w']}"
            wm1, wm0 = f"{TARGETS}!${co.letter(key)}${srows['w1']}", f"{TARGETS}!${co.letter(key)}${srows['w0']}"
            big = season("e", q)
            b = qr.cell(f"cqb_{qk}", i, col_abs=True)
            qhat = f"INT({b}*{wm}/MAX({big},1))"
            w.formula(r, qr.col(f"cmrr_{key}"), fx.product_remainder(qr.cell(f"cqb1_{qk}", i, col_abs=True),
                                                                     qr.cell(f"cqb0_{qk}", i, col_abs=True), wm1, wm0,
                                                                     season("d", q), season("x", q), qhat), "helper")
            w.formula(r, qr.col(f"cmq_{key}"), f"{qr.cell(f'cqa_{qk}', i, col_abs=True)}*{wm}+{qhat}+"
                      f"{fx.correction(cc['rr'], big)}", "helper")
            w.formula(r, qr.col(f"cmrho_{key}"), fx.fixed(cc["rr"], big), "helper")
            first, last = MONTHS[3 * q], MONTHS[3 * q + 2]
            rhos = f"${qr.letter(f'cmrho_{first}')}{r}:${qr.letter(f'cmrho_{last}')}{r}"
            rank = fx.rank(rhos, f"${qr.letter(f'cmrho_{first}')}{r}:{cc['rho']}", cc["rho"])
            left = (f"{qr.cell(f'cqval_{qk}', i, col_abs=True)}-SUM(${qr.letter(f'cmq_{first}')}{r}:"
                    f"${qr.letter(f'cmq_{last}')}{r})")
            w.formula(r, qr.col(f"cmval_{key}"), f"{cc['q']}+({rank}<{left})", "helper")
    flag_nonzero(ctx.sheets[QUOTAS], qr.area("check"))
