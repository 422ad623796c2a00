"""Summary: the one page a CFO reads in a minute.

Top band: the headline figures (with the number of failing checks and a link to the first
block that fails), targets by quarter, the budget and its return, targets by region (the
largest regions, the rest added up) and by product class. Middle band: a chart over each of
those tables (the tables are the charts' data, so no hidden data block prints). Bottom band:
the KPI status with red/amber/green, and the SMART goals. Every number is a formula over the
other sheets; categories are words, not codes.

A workbook with actuals loaded (an In-year sheet) also lists the largest movers under the
bottom band (:func:`add_movers`, written by ``aop-xl actuals``), each cell a reference to the
In-year sheet's movers table; the printed page grows to hold them. A build never writes them.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.formatting.rule import FormulaRule, Rule
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import (
    BCG_CLASSES,
    KPI,
    QUARTERS,
    QUOTAS,
    SUMMARY,
    SUMMARY_KEYS,
    SUMMARY_REGIONS,
    TARGETS,
    Layout,
    Table,
    summary_movers,
    summary_print_rows,
)
from aop_xl.workbook.live_formats import add_amount_rules
from aop_xl.workbook.sheets import Context, amounts_note, block_title, headers, page_setup, set_widths
from aop_xl.workbook.styles import (AMBER_FILL, DAYS, GREEN_FILL, PERCENT, RED_FILL, Styles, Writer, amount_format,
                                    unit_decimals)
from aop_xl.workbook.widths import MAX_WIDTH, amount_width, largest_amount, text_width

LABELS = {"company": "Company", "year": "Plan year", "total_target": "Total target", "growth":
          "Growth on prior year", "base_quotas": "Base quotas (all reps)", "challenge_quotas":
          "Challenge quotas (all reps)", "sales_cost": "Selling cost (budget)", "gross_profit": "Gross profit",
          "roi": "Return on the selling budget", "cost_of_sales_ratio": "Selling cost / revenue",
          "break_even_revenue": "Break-even revenue", "kpi_red": "KPIs red", "kpi_amber": "KPIs amber",
          "kpi_green": "KPIs green", "checks": "Checks"}
_STYLES = {"company": "calc_text", "year": "calc_integer", "growth": "calc_percent", "roi": "calc_percent",
           "cost_of_sales_ratio": "calc_percent", "kpi_red": "calc_integer", "kpi_amber": "calc_integer",
           "kpi_green": "calc_integer", "total_target": "headline_amount", "checks": "calc_text"}
#: Widths of the Summary's columns A..L (characters): tables, gaps, tables.
WIDTHS = {1: 30, 2: 18, 3: 2, 4: 12, 5: 16, 6: 2, 7: 24, 8: 16, 9: 2, 10: 16, 11: 16, 12: 9}
LAST_COL = 12


def failing_checks(lay: Layout) -> str:
    """Formula text: how many check cells do not show 0 (a blank text counts as failing)."""
    sc = lay.summary_checks
    return f"SUM({sc.range('failing', qualified=False)})"


def failing_in(area: str) -> str:
    """Formula text: the check cells of ``area`` that fail (a number other than 0).

    COUNTIF with a numeric criterion skips blanks and text alike in Excel, LibreOffice and
    Gnumeric; comparisons and IS functions over a range inside SUMPRODUCT do not (Gnumeric
    counts a blank as unequal to 0 and takes ISNUMBER(range) at the formula's own row)."""
    return f'COUNTIF({area},">0")+COUNTIF({area},"<0")'


def headline_formulas(lay: Layout) -> dict[str, str]:
    """Formula text of each headline value."""
    py = lay.param("prior_year_revenue")
    total = lay.company.ref("year", 0)
    counts = lay.kpi_counts
    n = failing_checks(lay)
    return {
        "company": fx.text_ref(lay.param("company")),
        "year": fx.text_ref(lay.param("year")),
        "total_target": total,
        "growth": f'IF(ISNUMBER({py}),IF({py}>0,{total}/{py}-1,""),"")',
        "base_quotas": f"{QUOTAS}!${lay.base_quotas.letter('year')}${lay.total_row(lay.base_quotas)}",
        "challenge_quotas": f"{QUOTAS}!${lay.challenge_quotas.letter('year')}${lay.total_row(lay.challenge_quotas)}",
        "sales_cost": lay.ret("sales_cost"),
        "gross_profit": lay.ret("gross_profit"),
        "roi": lay.ret("roi"),
        "cost_of_sales_ratio": lay.ret("cost_of_sales_ratio"),
        "break_even_revenue": lay.ret("break_even_revenue"),
        "kpi_red": counts.ref("count", 0),
        "kpi_amber": counts.ref("count", 1),
        "kpi_green": counts.ref("count", 2),
        "checks": f'IF({n}=0,"All checks pass",{n}&IF({n}=1," check fails"," checks fail"))',
    }


def build(ctx: Context) -> None:
    """Write the Summary sheet."""
    lay = ctx.layout
    ws = ctx.sheets[SUMMARY]
    w = ctx.writer(SUMMARY)
    company, year = lay.param("company"), lay.param("year")
    w.formula(1, 1, f'"Annual operating plan "&{year}&IF({company}="",""," - "&{company})', "title")
    w.formula(2, 1, f'{amounts_note(ctx)}&"   Status: "&{lay.param("status")}&"   Version: "&{lay.param("version")}',
              "subtitle")
    _headline(ctx, w, ws)
    _quarters(ctx, w)
    _budget(ctx, w)
    _regions(ctx, w)
    _classes(ctx, w)
    _kpis(ctx, w, ws)
    _goals(ctx, w, ws)
    _checks(ctx, w)
    _charts(ctx, ws)
    set_widths(ws, WIDTHS)
    page_setup(ctx, ws, LAST_COL, summary_print_rows(lay), one_page=True)


def _headline(ctx: Context, w, ws) -> None:
    lay = ctx.layout
    s = lay.summary
    block_title(w, s)
    f = headline_formulas(lay)
    for i, key in enumerate(SUMMARY_KEYS):
        w.label(s.row(i), s.col("label"), LABELS[key], "label")
        w.formula(s.row(i), s.col("value"), f[key], _STYLES.get(key, "calc_amount"))
    value = f"${s.letter('value')}"
    for i, fill in ((SUMMARY_KEYS.index("kpi_red"), RED_FILL), (SUMMARY_KEYS.index("kpi_amber"), AMBER_FILL),
                    (SUMMARY_KEYS.index("kpi_green"), GREEN_FILL)):
        ws.conditional_formatting.add(s.cell("value", i), FormulaRule(formula=[f"{value}{s.row(i)}>0"], fill=fill))
    checks = SUMMARY_KEYS.index("checks")
    ws.conditional_formatting.add(s.cell("value", checks), FormulaRule(formula=[f"{failing_checks(lay)}>0"],
                                                                       fill=RED_FILL))
    # The link to the first block with a failing check, under the count.
    sc = lay.summary_checks
    first = f"${sc.letter('first')}${sc.row(0)}"
    link = f"INDEX({sc.range('link', qualified=False)},MAX({first},1))"
    w.formula(s.last_row + 1, s.col("value"), f'IF({failing_checks(lay)}=0,"",HYPERLINK({link},"Go to the first"))',
              "calc_text")


def _quarters(ctx: Context, w) -> None:
    lay = ctx.layout
    q, c = lay.summary_quarters, lay.company
    block_title(w, q, col=q.col("label"))
    headers(w, q, {"label": "Period", "value": "Target"})
    for i, key in enumerate((*QUARTERS, "h1", "h2")):
        w.label(q.row(i), q.col("label"), key.upper(), "label")
        w.formula(q.row(i), q.col("value"), c.ref(key, 0), "calc_amount")


def _budget(ctx: Context, w) -> None:
    lay = ctx.layout
    b = lay.summary_budget
    block_title(w, b, col=b.col("label"))
    headers(w, b, {"label": "", "value": "Amount"})
    for i, (label, key) in enumerate((("Selling cost", "sales_cost"), ("Gross profit", "gross_profit"))):
        w.label(b.row(i), b.col("label"), label, "label")
        w.formula(b.row(i), b.col("value"), lay.ret(key), "calc_amount")
    w.label(b.row(2), b.col("label"), "Return", "label")
    w.formula(b.row(2), b.col("value"), lay.ret("roi"), "calc_percent")


def _regions(ctx: Context, w) -> None:
    """The largest regions by target, in order (ties: the earlier region), the rest summed."""
    lay = ctx.layout
    sr, rt = lay.summary_regions, lay.region_targets
    block_title(w, sr, col=sr.col("label"))
    headers(w, sr, {"label": "Region", "value": "Target"})
    names, years, ranks = rt.range("name"), rt.range("year"), rt.range("rank")
    n = rt.rows
    shown = min(SUMMARY_REGIONS, n)
    for k in range(shown):
        r = sr.row(k)
        pos = f"MATCH({k},{ranks},0)"
        found = f"ISNUMBER({pos})"
        w.formula(r, sr.col("label"), f'IF({found},{fx.pick(names, n, pos)},"")', "calc_text")
        w.formula(r, sr.col("value"), f'IF({found},{fx.pick(years, n, pos)},"")', "calc_amount")
    r = sr.row(SUMMARY_REGIONS)
    if n > SUMMARY_REGIONS:
        top = f"{sr.letter('value')}{sr.first_row}:{sr.letter('value')}{sr.row(shown - 1)}"
        w.label(r, sr.col("label"), "Other regions", "label")
        # In whole units: the difference of two large sums of amounts is exact only once rounded.
        unit = ctx.unit
        w.formula(r, sr.col("value"), f"ROUND((SUM({years})-SUM({top}))/{unit},0)*{unit}", "calc_amount")


def _classes(ctx: Context, w) -> None:
    lay = ctx.layout
    sc, ct = lay.summary_classes, lay.class_targets
    block_title(w, sc, col=sc.col("label"))
    headers(w, sc, {"label": "Class", "value": "Target", "share": "Share"})
    total = lay.company.ref("year", 0)
    for k, name in enumerate(BCG_CLASSES):
        r = sc.row(k)
        w.label(r, sc.col("label"), fx.BCG_WORDS[name], "label")
        w.formula(r, sc.col("value"), ct.ref("year", k), "calc_amount")
        w.formula(r, sc.col("share"), f'IF({total}<>0,{sc.cell("value", k)}/{total},"")', "calc_percent")


def _kpis(ctx: Context, w, ws) -> None:
    lay = ctx.layout
    sk, kpi = lay.summary_kpis, lay.kpi
    block_title(w, sk, col=sk.col("metric"))
    headers(w, sk, {"metric": "KPI", "target": "Target to date", "actual": "Actual", "variance": "Variance (+ good)",
                    "status": "Status"})
    for i in range(min(sk.rows, kpi.rows)):
        r = sk.row(i)
        for key, src, style in (("metric", "metric", "calc_text"), ("target", "ytd", "calc_number"),
                                ("actual", "actual", "calc_number"), ("variance", "variance", "calc_number"),
                                ("status", "status", "calc_text")):
            ref = kpi.ref(src, i)
            w.formula(r, sk.col(key), f'IF({ref}="","",{ref})' if key != "metric" else fx.text_ref(ref), style)
    # Each KPI's numbers in its unit's format, as on the KPI sheet.
    unit = f"{KPI}!${kpi.letter('unit')}{kpi.first_row}"
    cells = f"{sk.letter('target')}{sk.first_row}:{sk.letter('variance')}{sk.last_row}"
    for k, (name, fmt) in enumerate((("percent", PERCENT), ("days", DAYS),
                                     ("currency", amount_format(ctx.styles.decimals, ctx.styles.display)))):
        dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=410 + k, formatCode=fmt))
        ws.conditional_formatting.add(cells, Rule(type="expression", dxf=dxf, formula=[f'{unit}="{name}"']))
    rows = f"{sk.letter('metric')}{sk.first_row}:{sk.letter('status')}{sk.last_row}"
    status = f"${sk.letter('status')}{sk.first_row}"
    for name, fill in zip(("red", "amber", "green"), (RED_FILL, AMBER_FILL, GREEN_FILL)):
        ws.conditional_formatting.add(rows, FormulaRule(formula=[f'{status}="{name}"'], fill=fill))


def _goals(ctx: Context, w, ws) -> None:
    lay = ctx.layout
    g = lay.summary_goals
    block_title(w, g, col=g.col("label"))
    # Each goal takes three rows of the KPI table's height, its text merged over H:L and wrapped.
    for i in range(3):
        r = g.row(3 * i)
        w.label(r, g.col("label"), f"Goal {i + 1}", "cover_label")
        w.formula(r, g.col("value"), fx.text_ref(lay.param(f"goal_{i + 1}")), "calc_long")
        ws.merge_cells(start_row=r, start_column=g.col("value"), end_row=r + 2, end_column=LAST_COL)
        ws.cell(r, g.col("value")).alignment = Alignment(wrap_text=True, vertical="top")


def _checks(ctx: Context, w) -> None:
    """Per block of check cells: how many fail, a link to the block, and the first failing
    block's position (hidden helper columns, outside the print area)."""
    lay = ctx.layout
    sc = lay.summary_checks
    headers(w, sc, {"block": "Check block", "failing": "Failing", "link": "Link", "first": "First failing"},
            "helper_header")
    blocks = lay.check_blocks()
    for i, (label, area) in enumerate(blocks):
        r = sc.row(i)
        w.label(r, sc.col("block"), label, "helper")
        w.formula(r, sc.col("failing"), failing_in(area), "helper")
        sheet, ref = area.rsplit("!", 1)
        first_cell = ref.split(":")[0].replace("$", "")
        w.text(r, sc.col("link"), f"#{sheet}!{first_cell}", "helper")
    failing = sc.range("failing", qualified=False)
    # The position of the first block with a failing check: only that block's term is not 0.
    cell = [sc.cell("failing", i, col_abs=True, row_abs=True) for i in range(len(blocks))]
    # (No one-cell ranges: Gnumeric saves A1:A1 as A1.)
    before = ["", cell[0]] + [f"{cell[0]}:{cell[i - 1]}" for i in range(2, len(blocks))]
    positions = "+".join(f"({cell[0]}>0)*1" if i == 0 else
                         f"({cell[i]}>0)*(1-MIN(1,SUM({before[i]})))*{i + 1}" for i in range(len(blocks)))
    w.formula(sc.row(0), sc.col("first"), f"IF(SUM({failing})=0,0,{positions})", "helper")
    ws = ctx.sheets[SUMMARY]
    ws.column_dimensions.group(get_column_letter(sc.col("block")), get_column_letter(sc.col("first")),
                               outline_level=1, hidden=True)


#: Headers and cell styles of the largest movers block (a workbook with actuals).
MOVER_HEADERS = {"rank": "Rank", "member": "Member", "dimension": "Across", "variance": "Variance"}
_MOVER_STYLES = {"rank": "calc_integer", "member": "calc_text", "dimension": "calc_text", "variance": "calc_amount"}


def movers(w, lay: Layout, in_year: Table) -> None:
    """Write the largest movers block's title, headers and formulas with the writer ``w``.

    Every cell refers to the same cell of the In-year sheet's movers table (``in_year``), so
    the Summary shows what In-year calculates. :func:`add_movers` writes the block into a
    workbook; the contract check records the same cells to compare a workbook with.
    """
    sm = summary_movers(lay)
    block_title(w, sm)
    headers(w, sm, MOVER_HEADERS)
    for k in range(sm.rows):
        for key, style in _MOVER_STYLES.items():
            w.formula(sm.row(k), sm.col(key), in_year.ref(key, k), style)


def add_movers(wb, plan, lay: Layout, in_year: Table, variances=()) -> None:
    """Add the largest movers block to the Summary of a workbook with actuals (or write it again).

    Args:
        wb: the openpyxl workbook (its Summary as built).
        plan: the workbook's plan (the number formats of its amounts, its members' names).
        lay: the workbook's layout.
        in_year: the In-year sheet's movers table.
        variances: the movers' variances now: a column too narrow for one is widened.

    The variances take the Summary's amount format and its rules that follow the display
    setting; the printed page is extended to the block, still one page.
    """
    ws = wb[SUMMARY]
    h = plan.plan
    styles = Styles(wb, h.currency, unit_decimals(h.unit), h.display)
    movers(Writer(ws, styles), lay, in_year)
    sm = summary_movers(lay)
    for k in range(sm.rows):  # under its header, not against the member's name
        ws.cell(sm.row(k), sm.col("rank")).alignment = Alignment(horizontal="left")
    area = f"{sm.letter('variance')}{sm.first_row}:{sm.letter('variance')}{sm.last_row}"
    if not any(str(cf.sqref) == area for cf in ws.conditional_formatting):  # written again: rules kept
        add_amount_rules(ws, lay, {(sm.row(k), sm.col("variance")) for k in range(sm.rows)})
    names = [*plan.region_names, *plan.product_names]
    largest = max([largest_amount(plan), *(abs(v) for v in variances)])
    need = {"rank": text_width(str(sm.rows)), "member": max((len(n) for n in names), default=18) + 2,
            "dimension": text_width("product"), "variance": amount_width(largest, styles.decimals, styles.display)}
    for key, width in need.items():
        dim = ws.column_dimensions[sm.letter(key)]
        if (dim.width or 0) < width:
            dim.width = round(min(width, MAX_WIDTH), 1)
    ws.print_area = f"A1:{get_column_letter(LAST_COL)}{summary_print_rows(lay, movers=True)}"


def _bar(title: str, data: Reference, cats: Reference, colour: str, width: float, height: float,
         horizontal: bool = False) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    if horizontal:  # the first category on top, as in the table, and the values' axis below
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.crosses = "max"
    chart.title = title
    chart.legend = None
    chart.height, chart.width = height, width
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(cats)
    chart.series[0].graphicalProperties.solidFill = colour
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    labels = DataLabelList()
    labels.showVal = labels.showCatName = labels.showSerName = labels.showPercent = False
    labels.showLegendKey = labels.showBubbleSize = labels.showLeaderLines = False
    chart.dataLabels = labels
    return chart


def _span_cm(first: int, last: int) -> float:
    # Width of columns first..last in centimetres (a character of Calibri 11 is 7 px + 5 px padding).
    px = sum(WIDTHS.get(c, 8.43) * 7 + 5 for c in range(first, last + 1))
    return px * 2.54 / 96


def _charts(ctx: Context, ws) -> None:
    lay = ctx.layout
    q, sb, sr, sc = lay.summary_quarters, lay.summary_budget, lay.summary_regions, lay.summary_classes
    top, bottom = lay.summary_chart_rows
    height = (bottom - top) * 15 * 2.54 / 72 * 0.95
    values = Reference(ws, min_col=q.col("value"), min_row=q.first_row, max_row=q.row(3))
    names = Reference(ws, min_col=q.col("label"), min_row=q.first_row, max_row=q.row(3))
    ws.add_chart(_bar("Targets by quarter", values, names, "1F3864", _span_cm(1, 2) * 0.96, height), f"A{top}")
    values = Reference(ws, min_col=sb.col("value"), min_row=sb.first_row, max_row=sb.row(1))
    names = Reference(ws, min_col=sb.col("label"), min_row=sb.first_row, max_row=sb.row(1))
    ws.add_chart(_bar("Selling cost vs gross profit", values, names, "C55A11", _span_cm(4, 5) * 0.96, height),
                 f"D{top}")
    # The regions' chart leaves "Other regions" out: beside the largest regions, the sum of
    # thirty others would flatten every bar. Bars run across, so long names stay readable.
    n = lay.region_targets.rows
    shown = min(SUMMARY_REGIONS, n)
    values = Reference(ws, min_col=sr.col("value"), min_row=sr.first_row, max_row=sr.row(shown - 1))
    names = Reference(ws, min_col=sr.col("label"), min_row=sr.first_row, max_row=sr.row(shown - 1))
    title = "Targets by region" if n <= SUMMARY_REGIONS else f"The {SUMMARY_REGIONS} largest regions"
    ws.add_chart(_bar(title, values, names, "2E75B6", _span_cm(7, 8) * 0.96, height, horizontal=True), f"G{top}")
    pie = PieChart()
    pie.title = "Targets by product class"
    pie.height, pie.width = height, _span_cm(10, 12) * 0.96
    pie.add_data(Reference(ws, min_col=sc.col("value"), min_row=sc.first_row, max_row=sc.last_row),
                 titles_from_data=False)
    pie.set_categories(Reference(ws, min_col=sc.col("label"), min_row=sc.first_row, max_row=sc.last_row))
    labels = DataLabelList()
    labels.showPercent = labels.showCatName = True
    labels.showVal = labels.showSerName = labels.showLegendKey = labels.showBubbleSize = False
    labels.showLeaderLines = False
    labels.separator = ": "
    pie.dataLabels = labels
    pie.legend = None
    ws.add_chart(pie, f"J{top}")
