"""One module per sheet of the standard workbook, and what they share.

Each module has ``build(ctx)``, which writes its sheet from the :class:`Context`: the
openpyxl workbook, the :class:`~aop_xl.workbook.layout.Layout`, the styles and the plan (None
for the blank template). Addresses come from the layout only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.formatting.rule import CellIsRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from aop_xl.plan import Plan
from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import HALVES, MONTHS, QUARTERS, TARGETS, Layout, Table
from aop_xl.workbook.styles import RED_FILL, Styles, Writer


@dataclass
class Context:
    """Everything a sheet builder needs."""

    wb: object
    layout: Layout
    styles: Styles
    plan: Plan | None
    sheets: dict = field(default_factory=dict)
    sales: dict = field(default_factory=dict)
    #: sheet -> the fixed part of its subtitle (the rest, the amounts note, is a formula)
    subtitles: dict = field(default_factory=dict)

    def writer(self, name: str) -> Writer:
        return Writer(self.sheets[name], self.styles)

    def __post_init__(self) -> None:
        # Scalars every sheet uses, as absolute qualified addresses.
        self.unit = self.layout.scalar("unit")
        self.mul = self.layout.scalar("mul")
        self.div = self.layout.scalar("div")
        self.sign = self.layout.scalar("sign")

    def amount(self, units: str, signed: bool = True) -> str:
        """Formula text turning sign-space whole units into an amount."""
        return fx.amount(units, self.mul, self.div, self.sign if signed else None)

    def check(self, parts: str, total: str) -> str:
        return fx.check(parts, total, self.unit)


def title(w: Writer, text: str, subtitle: str | None = None, ctx: Context | None = None) -> None:
    """The sheet title (A1) and an optional subtitle (A2); given the context, the subtitle ends
    with the currency and scale of the sheet's amounts (a formula: it follows the settings)."""
    w.label(1, 1, text, "title")
    if subtitle and ctx is not None:
        ctx.subtitles[text] = subtitle
        w.formula(2, 1, f'"{subtitle.replace(chr(34), chr(34) * 2)} "&{amounts_note(ctx)}', "subtitle")
    elif subtitle:
        w.label(2, 1, subtitle, "subtitle")


def amounts_text(currency: str, display: str) -> str:
    """What :func:`amounts_note` shows: "Amounts in USD thousands."."""
    scale = {"thousands": " thousands", "millions": " millions"}.get(display, "")
    return f"Amounts in {currency}{scale}."


def amounts_note(ctx: Context) -> str:
    """Formula text: "Amounts in USD thousands." from the currency and display settings."""
    lay = ctx.layout
    cur, disp = lay.param("currency"), lay.param("display")
    return (f'"Amounts in "&{cur}&IF({disp}="thousands"," thousands",IF({disp}="millions"," millions",""))'
            f'&"."')


def block_title(w: Writer, table: Table, text: str | None = None, col: int | None = None) -> None:
    """The block's title, two rows above its first row, over its first column (or ``col``)."""
    col = min(table.columns.values()) if col is None else col
    w.label(table.title_row, col, text if text is not None else table.title, "section")


def headers(w: Writer, table: Table, labels: dict[str, str], style: str = "header") -> None:
    """Column headers of a block on its header row."""
    for key, text in labels.items():
        w.label(table.header_row, table.col(key), text, style)


def month_header_ref(layout: Layout, m: int) -> str:
    """Absolute reference to the fiscal month name header of month ``m`` (0-based)."""
    c = layout.company
    return f"{TARGETS}!${get_column_letter(c.col(MONTHS[m]))}${c.header_row}"


def cube_headers(ctx: Context, w: Writer, table: Table, name: str, label: str, year: str = "Year",
                 check: str = "Check: months - year", check_total: str | None = None) -> None:
    """Headers of a block with the Targets column set: names, year, quarters, months, checks."""
    headers(w, table, {"name": name, "label": label, "year": year, "check": check})
    for i, q in enumerate(QUARTERS):
        w.label(table.header_row, table.col(q), f"Q{i + 1}", "header")
    for i, h in enumerate(HALVES):
        w.label(table.header_row, table.col(h), f"H{i + 1}", "header")
    for key, text in (("py", "Prior year"), ("growth", "Growth"), ("yoy", "Change on prior year")):
        w.label(table.header_row, table.col(key), text, "header")
    for m, key in enumerate(MONTHS):
        w.formula(table.header_row, table.col(key), month_header_ref(ctx.layout, m), "header")
    if check_total:
        w.label(table.header_row, table.col("check_total"), check_total, "header")


def quarter_sums(w: Writer, table: Table, row: int, style: str = "calc_amount") -> None:
    """Q1..Q4 of a row, each the sum of its three months, and H1, H2 the sums of two quarters."""
    for i, q in enumerate(QUARTERS):
        first = get_column_letter(table.col(MONTHS[3 * i]))
        last = get_column_letter(table.col(MONTHS[3 * i + 2]))
        w.formula(row, table.col(q), f"SUM({first}{row}:{last}{row})", style)
    for i, h in enumerate(HALVES):
        first, last = table.letter(QUARTERS[2 * i]), table.letter(QUARTERS[2 * i + 1])
        w.formula(row, table.col(h), f"{first}{row}+{last}{row}", style)


def prior_year(w: Writer, table: Table, row: int, py: str | None, style: str = "calc_amount") -> None:
    """Prior year, growth and change on prior year of a row (blank without a prior year)."""
    if py is None:
        return
    year = f"{table.letter('year')}{row}"
    prior = f"{table.letter('py')}{row}"
    w.formula(row, table.col("py"), f'IF(ISNUMBER({py}),{py},"")', style)
    w.formula(row, table.col("growth"), f'IF(ISNUMBER({prior}),IF({prior}>0,{year}/{prior}-1,""),"")',
              "calc_percent")
    w.formula(row, table.col("yoy"), f'IF(ISNUMBER({prior}),{year}-{prior},"")', style)


def months_check(ctx: Context, w: Writer, table: Table, row: int, total: str = "year") -> None:
    """The row's check cell: its months minus its year (or its ``total`` column)."""
    m0, m1 = get_column_letter(table.col(MONTHS[0])), get_column_letter(table.col(MONTHS[-1]))
    y = f"{table.letter(total)}{row}"
    w.formula(row, table.col("check"), ctx.check(f"SUM({m0}{row}:{m1}{row})", y), "check")


def flag_nonzero(ws, ref: str) -> None:
    """Check cells turn red when they are not 0."""
    ws.conditional_formatting.add(ref, CellIsRule(operator="notEqual", formula=["0"], fill=RED_FILL))


def set_widths(ws, widths: dict[int, float]) -> None:
    for col, width in sorted(widths.items()):
        ws.column_dimensions[get_column_letter(col)].width = width


def group_columns(ws, first: int, last: int, hidden: bool = False) -> None:
    """Outline (group) helper columns so they fold away."""
    ws.column_dimensions.group(get_column_letter(first), get_column_letter(last), outline_level=1, hidden=hidden)


#: Excel's limit on the text of a header or footer.
_FOOTER_CHARS = 255


def footer_text(ctx: Context) -> str:
    """The left footer: company, plan year, version and status (a literal; ``&`` doubled)."""
    plan = ctx.plan
    if plan is None:
        text = "Annual operating plan (standard template)"
    else:
        h = plan.plan
        company = h.company if len(h.company) <= 60 else h.company[:59] + "…"
        text = f"{company} · AOP {h.year} · version {h.version} · {h.status}"
    return text.replace("&", "&&")


def page_setup(ctx: Context, ws, last_col: int, last_row: int, *, title_rows: str | None = None,
               portrait: bool = False, one_page: bool = False) -> None:
    """Print setup of a sheet: A4, landscape (or portrait), one page wide (or one page), the
    print area without helper columns, print titles, and a footer with the plan and
    "page n of m"."""
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, 1)}"
    ws.page_setup.orientation = "portrait" if portrait else "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.oddFooter.left.text = footer_text(ctx)[:_FOOTER_CHARS - 40]
    ws.oddFooter.left.size = 8
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.center.size = 8
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddFooter.right.size = 8


def hide_helpers(ws, first: int, last: int) -> None:
    """Helper columns are grouped and hidden (Data > Show Detail shows them)."""
    ws.column_dimensions.group(get_column_letter(first), get_column_letter(last), outline_level=1, hidden=True)
