"""KPI: each metric's target (from Assumptions), the actual (input), variance, lag and status.

The rules are :mod:`aop_xl.engine.kpi`'s: lag = 1 - actual / target (lower-is-better:
1 - target / actual), 0 or 100% where that ratio has no meaning, rounded to 12 decimals, as
are the thresholds, before they are compared; red above the red threshold, amber above the
amber one, else green; no status without an actual. Conditional formatting colours each row
from the status formula.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule, Rule
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat

from aop_xl.engine.kpi import KPI_CATALOGUE, LAG_DECIMALS, MISSED_LAG
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import KPI, MONTHS, TARGETS
from aop_xl.workbook.sheets import Context, block_title, flag_nonzero, headers, page_setup, set_widths, title
from aop_xl.workbook.styles import AMBER_FILL, DAYS, GREEN_FILL, PERCENT, RED_FILL, amount_format

STATUSES = ("red", "amber", "green")


def build(ctx: Context) -> None:
    """Write the KPI sheet."""
    lay, plan = ctx.layout, ctx.plan
    ws = ctx.sheets[KPI]
    w = ctx.writer(KPI)
    title(w, "KPI", "Actual to date vs target to date. Enter actuals in the yellow cells; targets are on "
                    "Assumptions.", ctx)
    t, a = lay.kpi, lay.kpis
    block_title(w, t)
    headers(w, t, {"metric": "Metric", "unit": "Unit", "direction": "Better when", "target": "Target (year)",
                   "ytd": "Target to date", "actual": "Actual to date (input)", "variance": "Variance (+ is good)",
                   "lag": "Lag", "status": "Status", "check": "Check: actual not a number"})
    red, amber = lay.param("red"), lay.param("amber")
    missed = fx.num(MISSED_LAG)
    as_of = lay.param("as_of")
    period = f"IF(ISNUMBER({as_of}),MIN(MAX(INT({as_of}),1),12),12)"
    c0, rows = lay.company, lay.season_rows
    periods = f"{TARGETS}!${c0.letter(MONTHS[0])}${c0.header_row - 1}:${c0.letter(MONTHS[-1])}${c0.header_row - 1}"
    months = f"{TARGETS}!${c0.letter(MONTHS[0])}${c0.first_row}:${c0.letter(MONTHS[-1])}${c0.first_row}"
    running = f"{TARGETS}!${c0.letter(MONTHS[0])}${rows['C']}:${c0.letter(MONTHS[-1])}${rows['C']}"
    total = c0.ref("year", 0)
    flows = [m for m, spec in KPI_CATALOGUE.items() if spec[0] == "flow"]
    w.formula(t.title_row, t.col("ytd"), f'"Actuals run to period "&{period}&" ("&INDEX({TARGETS}!$'
              f'{c0.letter(MONTHS[0])}${c0.header_row}:${c0.letter(MONTHS[-1])}${c0.header_row},1,{period})&")"',
              "subtitle")
    for i in range(t.rows):
        r = t.row(i)
        c = {k: t.cell(k, i) for k in t.columns}
        code = f"LOWER(TRIM({a.rel('metric', i)}))"
        w.formula(r, t.col("metric"), fx.metric_words(a.rel("metric", i)), "calc_text")
        w.formula(r, t.col("unit"), fx.text_ref(a.rel("unit", i)), "calc_text")
        w.formula(r, t.col("direction"), f'IF({c["metric"]}="","",IF({a.rel("direction", i)}="lower","lower",'
                  f'"higher"))', "calc_text")
        w.formula(r, t.col("target"), f'IF({c["metric"]}="","",IF({code}="revenue",{total},'
                  f'{fx.n_(a.rel("target", i))}))', "calc_number")
        flow = "OR(" + ",".join(f'{code}="{m}"' for m in flows) + ")"
        to_date = (f"IF({code}=\"revenue\",SUMPRODUCT(({periods}<={period})*{months}),"
                   f"IF({flow},{c['target']}*INDEX({running},1,{period})/MAX({lay.scalar('mW')},1),{c['target']}))")
        w.formula(r, t.col("ytd"), f'IF({c["metric"]}="","",{to_date})', "calc_number")
        actual = None
        if plan is not None and i < len(plan.kpis):
            actual = plan.kpis[i].actual
        w.value(r, t.col("actual"), actual, "input_number")
        act, tgt = c["actual"], c["ytd"]
        none = f'OR({c["metric"]}="",NOT(ISNUMBER({act})))'
        w.formula(r, t.col("variance"), f'IF({none},"",IF({c["direction"]}="lower",{tgt}-{act},{act}-{tgt}))',
                  "calc_number")
        lower = f"IF({act}>0,1-{tgt}/{act},IF({act}<={tgt},0,{missed}))"
        higher = f"IF({tgt}>0,1-{act}/{tgt},IF({act}>={tgt},0,{missed}))"
        w.formula(r, t.col("lag"), f'IF({none},"",ROUND(IF({c["direction"]}="lower",{lower},{higher}),'
                  f'{LAG_DECIMALS}))', "calc_percent")
        lag = c["lag"]
        w.formula(r, t.col("status"), f'IF(ISNUMBER({lag}),IF({lag}>ROUND({red},{LAG_DECIMALS}),"red",'
                  f'IF({lag}>ROUND({amber},{LAG_DECIMALS}),"amber","green")),"")', "calc_text")
        # An actual typed or pasted as text would silently give no status: it fails a check.
        w.formula(r, t.col("check"), f"IF(ISTEXT({act}),1,0)", "check_count")
    flag_nonzero(ws, t.range("check", qualified=False))
    _unit_formats(ctx, ws)
    rows_ = f"{t.letter('metric')}{t.first_row}:{t.letter('status')}{t.last_row}"
    status = f"${t.letter('status')}{t.first_row}"
    for name, fill in zip(STATUSES, (RED_FILL, AMBER_FILL, GREEN_FILL)):
        ws.conditional_formatting.add(rows_, FormulaRule(formula=[f'{status}="{name}"'], fill=fill))
    k = lay.kpi_counts
    block_title(w, k, col=k.col("label"))
    headers(w, k, {"label": "Status", "count": "KPIs"})
    statuses = t.range("status", qualified=False)
    metrics = t.range("metric", qualified=False)
    for i, name in enumerate(STATUSES):
        w.label(k.row(i), k.col("label"), name)
        w.formula(k.row(i), k.col("count"), f'COUNTIF({statuses},"{name}")', "calc_integer")
    w.label(k.row(3), k.col("label"), "no actual yet")
    w.formula(k.row(3), k.col("count"), f'SUMPRODUCT(({metrics}<>"")*({statuses}=""))', "calc_integer")
    counts = f"{k.letter('label')}{k.first_row}:{k.letter('count')}{k.row(2)}"
    label = f"${k.letter('label')}{k.first_row}"
    for name, fill in zip(STATUSES, (RED_FILL, AMBER_FILL, GREEN_FILL)):
        ws.conditional_formatting.add(counts, FormulaRule(formula=[f'{label}="{name}"'], fill=fill))
    set_widths(ws, {1: 28, 2: 11, 3: 11, 4: 15, 5: 15, 6: 15, 7: 15, 8: 10, 9: 10, 10: 10, 11: 2, 12: 16, 13: 8})
    page_setup(ctx, ws, k.col("count"), max(t.last_row, k.last_row))
    ws.freeze_panes = "B6"


def _unit_formats(ctx: Context, ws) -> None:
    """A KPI's numbers take its unit's format (percent, days, currency), whatever the unit
    cell says later: conditional number formats keyed on the unit column."""
    t = ctx.layout.kpi
    cells = f"{t.letter('target')}{t.first_row}:{t.letter('variance')}{t.last_row}"
    unit = f"${t.letter('unit')}{t.first_row}"
    for k, (name, fmt) in enumerate((("percent", PERCENT), ("days", DAYS),
                                     ("currency", amount_format(ctx.styles.decimals, ctx.styles.display)))):
        dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=400 + k, formatCode=fmt))
        ws.conditional_formatting.add(cells, Rule(type="expression", dxf=dxf, formula=[f'{unit}="{name}"']))
