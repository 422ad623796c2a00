"""Summary: one printable landscape page with the headline numbers, the SMART goals, the KPI
status and four charts (targets by quarter, by region, by product class; budget vs gross
profit). Every number is a formula over the other sheets."""

from __future__ import annotations

from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.worksheet.properties import PageSetupProperties

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import QUOTAS, SUMMARY, SUMMARY_KEYS, TARGETS, Layout
from aop_xl.workbook.sheets import Context, block_title, set_widths
from aop_xl.workbook.styles import AMBER_FILL, GREEN_FILL, RED_FILL

LABELS = {"company": "Company", "year": "Plan year", "total_target": "Total target", "growth":
          "Growth on prior year", "base_quotas": "Base quotas (all reps)", "challenge_quotas":
          "Challenge quotas (all reps)", "sales_cost": "Sales cost (budget)", "gross_profit": "Gross profit",
          "roi": "ROI of the sales budget", "cost_of_sales_ratio": "Cost of sales ratio", "break_even_revenue":
          "Break-even revenue", "kpi_red": "KPIs red", "kpi_amber": "KPIs amber", "kpi_green": "KPIs green",
          "checks": "Checks (sum of differences; 0 = all add up)"}
_STYLES = {"company": "calc_text", "year": "calc_integer", "growth": "calc_percent", "roi": "calc_percent",
           "cost_of_sales_ratio": "calc_percent", "kpi_red": "calc_integer", "kpi_amber": "calc_integer",
           "kpi_green": "calc_integer", "total_target": "headline_amount", "checks": "check"}


def headline_formulas(lay: Layout) -> dict[str, str]:
    """Formula text of each headline value."""
    py = lay.param("prior_year_revenue")
    total = lay.company.ref("year", 0)
    counts = lay.kpi_counts
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
        "checks": "+".join(f"SUMPRODUCT(ABS({area}))" for area in lay.check_areas()),
    }


def build(ctx: Context) -> None:
    """Write the Summary sheet."""
    lay = ctx.layout
    ws = ctx.sheets[SUMMARY]
    w = ctx.writer(SUMMARY)
    company, year = lay.param("company"), lay.param("year")
    w.formula(1, 1, f'"Annual operating plan "&{year}&IF({company}="",""," - "&{company})', "title")
    w.formula(2, 1, f'"Currency: "&{lay.param("currency")}&"   Status: "&{lay.param("status")}'
              f'&"   Version: "&{lay.param("version")}', "subtitle")
    s = lay.summary
    block_title(w, s)
    f = headline_formulas(lay)
    for i, key in enumerate(SUMMARY_KEYS):
        w.label(s.row(i), s.col("label"), LABELS[key], "label")
        w.formula(s.row(i), s.col("value"), f[key], _STYLES.get(key, "calc_amount"))
    value = f"${s.letter('value')}"
    for i, name in ((SUMMARY_KEYS.index("kpi_red"), RED_FILL), (SUMMARY_KEYS.index("kpi_amber"), AMBER_FILL),
                    (SUMMARY_KEYS.index("kpi_green"), GREEN_FILL)):
        ref = s.cell("value", i)
        ws.conditional_formatting.add(ref, FormulaRule(formula=[f"{value}{s.row(i)}>0"], fill=name))
    checks = s.cell("value", SUMMARY_KEYS.index("checks"))
    ws.conditional_formatting.add(checks, FormulaRule(formula=[f"{checks}<>0"], fill=RED_FILL))
    g = lay.summary_goals
    block_title(w, g)
    for i in range(3):
        w.label(g.row(i), g.col("label"), f"Goal {i + 1}", "label")
        w.formula(g.row(i), g.col("value"), fx.text_ref(lay.param(f"goal_{i + 1}")), "calc_long")
    d = lay.chart_data
    block_title(w, d)
    for i, (label, key) in enumerate((("Sales cost", "sales_cost"), ("Gross profit", "gross_profit"))):
        w.label(d.row(i), d.col("label"), label)
        w.formula(d.row(i), d.col("value"), lay.ret(key), "calc_amount")
    _charts(ctx, ws)
    set_widths(ws, {1: 34, 2: 26, 3: 2, **{c: 10 for c in range(4, 17)}})
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_area = f"A1:P{d.last_row + 1}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _bar(title: str, data: Reference, cats: Reference, *, from_rows: bool = False, colour: str = "1F3864") -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.legend = None
    chart.height, chart.width = 6.5, 12.5
    chart.add_data(data, from_rows=from_rows, titles_from_data=False)
    chart.set_categories(cats)
    chart.series[0].graphicalProperties.solidFill = colour
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.majorGridlines = None
    return chart


def _charts(ctx: Context, ws) -> None:
    lay = ctx.layout
    t, s = ctx.sheets[TARGETS], ws
    c, rt, ct, d = lay.company, lay.region_targets, lay.class_targets, lay.chart_data
    quarters = Reference(t, min_col=c.col("q1"), max_col=c.col("q4"), min_row=c.first_row)
    quarter_names = Reference(t, min_col=c.col("q1"), max_col=c.col("q4"), min_row=c.header_row)
    ws.add_chart(_bar("Targets by quarter", quarters, quarter_names, from_rows=True), "D1")
    regions = Reference(t, min_col=rt.col("year"), min_row=rt.first_row, max_row=rt.last_row)
    region_names = Reference(t, min_col=rt.col("name"), min_row=rt.first_row, max_row=rt.last_row)
    ws.add_chart(_bar("Targets by region", regions, region_names, colour="2E75B6"), "K1")
    pie = PieChart()
    pie.title = "Targets by product class"
    pie.height, pie.width = 6.5, 12.5
    pie.add_data(Reference(t, min_col=ct.col("year"), min_row=ct.first_row, max_row=ct.last_row),
                 titles_from_data=False)
    pie.set_categories(Reference(t, min_col=ct.col("name"), min_row=ct.first_row, max_row=ct.last_row))
    pie.dataLabels = DataLabelList()
    pie.dataLabels.showPercent = True
    ws.add_chart(pie, "D15")
    budget = Reference(s, min_col=d.col("value"), min_row=d.first_row, max_row=d.last_row)
    names = Reference(s, min_col=d.col("label"), min_row=d.first_row, max_row=d.last_row)
    ws.add_chart(_bar("Budget vs gross profit", budget, names, colour="C55A11"), "K15")
