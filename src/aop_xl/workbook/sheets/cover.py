"""Cover: the plan header (company, year, currency, version, status), the template and the
SMART goals, all read from Assumptions and the meta sheet by formula."""

from __future__ import annotations

import math

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import COVER, COVER_KEYS, Layout
from aop_xl.workbook.sheets import Context, page_setup, set_widths
from aop_xl.workbook.widths import text_width

LABELS = {"company": "Company", "year": "Plan year", "currency": "Currency", "version": "Version",
          "status": "Status", "template": "Template", "goal_1": "SMART goal 1", "goal_2": "SMART goal 2",
          "goal_3": "SMART goal 3"}
HOW_TO = (
    "How to use this workbook",
    "Inputs are the blue-on-yellow cells: the plan on Assumptions, sales on Commission, actuals on KPI. "
    "Everything else is a formula.",
    "Change a weight, the total or the seasonality on Assumptions: every target, quota, commission and budget "
    "figure follows, split exactly to the rounding unit.",
    "To add a region, product, rep, budget line or KPI, fill the next empty row of its block: "
    "the formulas already cover the spare rows.",
    "The Summary says \"All checks pass\" or how many checks fail, with a link to the first; "
    "each check names the row to fix.",
    "Amounts are in the plan's currency and scale (each sheet's subtitle says which): "
    "\"Show amounts in\" on Assumptions switches units, thousands and millions.",
    "Columns marked + above hold helper calculations (Data > Group and Outline > Show Detail opens them). "
    "Sheets are protected without a password.",
    "Every sheet is set up for A4 with the plan in its footer; the Summary prints on one page.",
)
#: Width of the Cover's value column; a goal's row is as tall as its text at this width.
VALUE_WIDTH = 105


def cover_formula(lay: Layout, key: str) -> str:
    if key == "template":
        return f'{lay.meta_cell("template_id")}&" v"&{lay.meta_cell("template_version")}'
    return fx.text_ref(lay.param(key))


def build(ctx: Context) -> None:
    """Write the Cover sheet."""
    lay = ctx.layout
    ws = ctx.sheets[COVER]
    w = ctx.writer(COVER)
    w.formula(1, 1, f'IF({lay.param("company")}="","Annual operating plan",'
              f'{lay.param("company")}&" - annual operating plan "&{lay.param("year")})', "title")
    w.label(2, 1, "The standard AOP workbook (aop_xl).", "subtitle")
    c = lay.cover
    goals = (ctx.plan.plan.goals if ctx.plan is not None else []) + [""] * 3
    for i, key in enumerate(COVER_KEYS):
        w.label(c.row(i), c.col("label"), LABELS[key], "cover_label")
        w.formula(c.row(i), c.col("value"), cover_formula(lay, key), "cover_value")
        if key.startswith("goal_"):
            text = goals[int(key[-1]) - 1] or ""
            ws.row_dimensions[c.row(i)].height = 15 * max(2, math.ceil(text_width(text) / (VALUE_WIDTH - 4)))
    row = c.last_row + 2
    for k, text in enumerate(HOW_TO):
        w.label(row + k, 1, text, "section" if k == 0 else "label")
    set_widths(ws, {1: 18, 2: VALUE_WIDTH})
    page_setup(ctx, ws, 2, row + len(HOW_TO) - 1, portrait=False, one_page=True)
