"""Quotas: each rep's base quota (its share of its region's target, split exactly among the
region's reps), the challenge quota (base x (1 + uplift), rounded to the unit, halves up),
and both split over the fiscal months by the seasonality, exactly.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import MONTH_REMS, MONTHS, QUOTAS, TARGETS
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


def build(ctx: Context) -> None:
    """Write the Quotas sheet."""
    lay = ctx.layout
    ws = ctx.sheets[QUOTAS]
    w = ctx.writer(QUOTAS)
    title(w, "Quotas", "Base quota: the rep's share of its region's target. Challenge: base x (1 + uplift).")
    _base(ctx, w)
    _challenge(ctx, w)
    _regions(ctx, w)
    set_widths(ws, {1: 24, 2: 18, 3: 16, **{c: 14 for c in range(4, 8)}, **{c: 13 for c in range(8, 20)}, 20: 11,
                    21: 11, 22: 2})
    bq = lay.base_quotas
    set_widths(ws, {c: 10 for c in range(bq.col("reg_units"), bq.col(MONTH_REMS[-1]) + 1)})
    group_columns(ws, bq.col("reg_units"), bq.col(MONTH_REMS[-1]))
    ws.freeze_panes = "C6"


def _month_split(ctx: Context, w, table, i: int, units: str) -> None:
    """Months of a rep's quota: the seasonality split of ``units`` (a same-row helper cell)."""
    lay = ctx.layout
    r = table.row(i)
    share_row = f"{TARGETS}!${get_column_letter(lay.company.col(MONTHS[0]))}${lay.month_share_row}:" \
                f"${get_column_letter(lay.company.col(MONTHS[-1]))}${lay.month_share_row}"
    left = f"{table.letter('month_left')}{r}"
    w.formula(r, table.col("month_left"), fx.left_over(units, f"{units}*{share_row}"), "helper")
    r0, r1 = table.letter(MONTH_REMS[0]), table.letter(MONTH_REMS[-1])
    for m, key in enumerate(MONTHS):
        f = f"{TARGETS}!{get_column_letter(lay.company.col(key))}${lay.month_share_row}"
        share = f"{units}*{f}"
        rem = f"{table.letter(MONTH_REMS[m])}{r}"
        w.formula(r, table.col(MONTH_REMS[m]), fx.remainder(share, f"{f}>0"), "helper")
        rank = fx.rank(f"${r0}{r}:${r1}{r}", f"${r0}{r}:{rem}", rem)
        w.formula(r, table.col(key), ctx.amount(f"({fx.allot(share, rank, '$' + left)})"), "calc_amount")
    w.formula(r, table.col("year"), ctx.amount(units), "calc_amount")
    quarter_sums(w, table, r)
    months_check(ctx, w, table, r)


def _month_headers(w, table) -> None:
    helper = {"month_left": "Units left (months)", **{k: f"Remainder {m + 1}" for m, k in enumerate(MONTH_REMS)}}
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


def _base(ctx: Context, w) -> None:
    lay = ctx.layout
    bq, a, rt = lay.base_quotas, lay.reps, lay.region_targets
    block_title(w, bq)
    cube_headers(ctx, w, bq, "Rep", "Region")
    headers(w, bq, {"reg_units": "Region (units)", "share_eff": "Share", "share_sum": "Region's shares",
                    "share": "Exact share", "rem": "Remainder", "units": "Units"}, "helper_header")
    _month_headers(w, bq)
    region_names, region_units = rt.range("name"), rt.range("units")
    regions = bq.range("label", qualified=False)
    rems = bq.range("rem", qualified=False)
    shares = bq.range("share", qualified=False)
    share_eff = bq.range("share_eff", qualified=False)
    g0, rem0 = bq.cell("label", 0, col_abs=True, row_abs=True), bq.cell("rem", 0, col_abs=True, row_abs=True)
    for i in range(bq.rows):
        r = bq.row(i)
        c = {k: bq.cell(k, i) for k in bq.columns}
        w.formula(r, bq.col("name"), fx.text_ref(a.rel("name", i)), "calc_text")
        w.formula(r, bq.col("label"), f'IF({c["name"]}="","",{fx.text_ref(a.rel("region", i))})', "calc_text")
        w.formula(r, bq.col("reg_units"), f'IF({c["label"]}="",0,SUMPRODUCT(({region_names}={c["label"]})'
                  f'*{region_units}))', "helper")
        w.formula(r, bq.col("share_eff"), f'IF({c["name"]}="",0,N({a.rel("share", i)}))', "helper")
        w.formula(r, bq.col("share_sum"), f"SUMPRODUCT(({regions}={c['label']})*{share_eff})", "helper")
        w.formula(r, bq.col("share"), f"IF({c['share_sum']}>0,{c['reg_units']}*({c['share_eff']}/{c['share_sum']}),0)",
                  "helper")
        w.formula(r, bq.col("rem"), fx.remainder(c["share"], f"{c['share_eff']}>0"), "helper")
        rank = fx.group_rank(regions, c["label"], rems, f"{g0}:{c['label']}", f"{rem0}:{c['rem']}", c["rem"])
        left = f"({c['reg_units']}-SUMPRODUCT(({regions}={c['label']})*INT({shares}+{fx.SLACK})))"
        w.formula(r, bq.col("units"), fx.allot(c["share"], rank, left), "helper")
        _month_split(ctx, w, bq, i, f"${bq.letter('units')}{r}")
    _total(ctx, w, bq, "Total base quotas")


def _challenge(ctx: Context, w) -> None:
    lay = ctx.layout
    cq, bq = lay.challenge_quotas, lay.base_quotas
    block_title(w, cq)
    cube_headers(ctx, w, cq, "Rep", "Region")
    headers(w, cq, {"units": "Units"}, "helper_header")
    _month_headers(w, cq)
    uplift = lay.param("challenge_uplift")
    for i in range(cq.rows):
        r = cq.row(i)
        w.formula(r, cq.col("name"), bq.cell("name", i, col_abs=True), "calc_text")
        w.formula(r, cq.col("label"), bq.cell("label", i, col_abs=True), "calc_text")
        base = bq.cell("units", i, col_abs=True)
        w.formula(r, cq.col("units"), fx.round_half(f"{base}*(1+N({uplift}))"), "helper")
        _month_split(ctx, w, cq, i, f"${cq.letter('units')}{r}")
    _total(ctx, w, cq, "Total challenge quotas")


def _regions(ctx: Context, w) -> None:
    lay = ctx.layout
    qr, bq, cq, rt = lay.quota_regions, lay.base_quotas, lay.challenge_quotas, lay.region_targets
    block_title(w, qr)
    headers(w, qr, {"name": "Region", "reps": "Reps", "target": "Region target", "base_sum": "Sum of base quotas",
                    "challenge_sum": "Sum of challenge quotas", "check": "Check: base - target"})
    regions = bq.range("label", qualified=False)
    for i in range(qr.rows):
        r = qr.row(i)
        name = qr.cell("name", i)
        w.formula(r, qr.col("name"), rt.rel("name", i), "calc_text")
        w.formula(r, qr.col("reps"), f'IF({name}="",0,SUMPRODUCT(--({regions}={name})))', "calc_integer")
        w.formula(r, qr.col("target"), rt.rel("year", i), "calc_amount")
        w.formula(r, qr.col("base_sum"), f'IF({name}="",0,SUMPRODUCT(({regions}={name})*'
                  f'{bq.range("year", qualified=False)}))', "calc_amount")
        w.formula(r, qr.col("challenge_sum"), f'IF({name}="",0,SUMPRODUCT(({regions}={name})*'
                  f'{cq.range("year", qualified=False)}))', "calc_amount")
        w.formula(r, qr.col("check"), f"IF({qr.cell('reps', i)}>0,"
                  f"{ctx.check(qr.cell('base_sum', i), qr.cell('target', i))},0)", "check")
    flag_nonzero(ctx.sheets[QUOTAS], qr.area("check"))
