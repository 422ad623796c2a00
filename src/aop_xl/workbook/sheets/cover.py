"""Cover: the plan header (company, year, currency, version, status), the template and the
SMART goals, all read from Assumptions and the meta sheet by formula."""

from __future__ import annotations

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import COVER, COVER_KEYS, Layout
from aop_xl.workbook.sheets import Context, page_setup, set_widths

LABELS = {"company": "Company", "year": "Plan year", "currency": "Currency", "version": "Version",
          "status": "Status", "template": "Template", "goal_1": "SMART goal 1", "goal_2": "SMART goal 2",
          "goal_3": "SMART goal 3"}
HOW_TO = (
    "How to use this workbook",
    "Inputs are the blue-on-yellow cells (Assumptions; sales on Commission; actuals on KPI). "
    "Everything else is a formula.",
    "Targets split the company total exactly, to the rounding unit: every total adds up, and check cells show 0.",
    "Sheets are protected without a password so formulas are not overwritten by accident.",
)


def cover_formula(lay: Layout, key: str) -> str:
    if key == "template":
        return f'{lay.meta_cell("template_id")}&" v"&{lay.meta_cell("template_version")}'
    return fx.text_ref(lay.param(key))


def build(ctx: Context) -> None:
    """Write the Cover sheet."""
    lay = ctx.layout
    w = ctx.writer(COVER)
    w.formula(1, 1, f'IF({lay.param("company")}="","Annual operating plan",'
              f'{lay.param("company")}&" - annual operating plan "&{lay.param("year")})', "title")
    w.label(2, 1, "The standard AOP workbook (aop_xl).", "subtitle")
    c = lay.cover
    for i, key in enumerate(COVER_KEYS):
        w.label(c.row(i), c.col("label"), LABELS[key], "label_bold")
        style = "calc_long" if key.startswith("goal") else "calc_text"
        w.formula(c.row(i), c.col("value"), cover_formula(lay, key), style)
    row = c.last_row + 2
    for k, text in enumerate(HOW_TO):
        w.label(row + k, 1, text, "section" if k == 0 else "label")
    set_widths(ctx.sheets[COVER], {1: 18, 2: 110})
    page_setup(ctx, ctx.sheets[COVER], 2, row + len(HOW_TO) - 1, portrait=False, one_page=True)
