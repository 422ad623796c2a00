"""The workbook as its reader sees it on paper (LibreOffice's PDF export is the printer).

Three plans go through ONE soffice run: the sample (24 million in cents), a company of 40
regions x 60 products x 200 reps planning 1.5 billion in cents, and a plan in thousands shown
in thousands. Each page is read back as text (pdftotext) and named by its footer, so the tests
know which sheet printed on which page without trusting the PDF's internals.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from libreoffice import convert, require_soffice
from plans import company_plan_dict

from aop_xl import load_plan
from aop_xl.plan import plan_from_dict
from aop_xl.workbook import build_workbook
from aop_xl.workbook.layout import HIDDEN_SHEETS, SHEETS, SUMMARY

pytestmark = pytest.mark.libreoffice

PLANS = {
    "sample": load_plan,
    "blank": lambda: None,
    "billions": lambda: plan_from_dict(company_plan_dict(40, 60, 200, total=1_500_000_000, unit=0.01)),
    "thousands": lambda: plan_from_dict(company_plan_dict(12, 20, 80, total=850_000_000, unit=1000,
                                                          display="thousands", seed=3)),
}
PORTRAIT = {"Assumptions"}  # every other sheet prints landscape
FOOTER = re.compile(r"(?P<left>.+ · AOP \d{4} · version .+ · \S+|Annual operating plan \(standard template\))\s{2,}"
                    r"(?P<sheet>\S.*?)\s{2,}Page (?P<n>\d+) of (?P<of>\d+)\s*$")
#: Pages per sheet: the sample exactly; the blank template (40 regions x 60 products x 200 reps
#: of empty rows) at most.
SAMPLE_PAGES = {"Cover": 1, "Assumptions": 2, "Targets": 1, "Quotas": 1, "Commission": 1, "Budget": 1, "KPI": 1,
                "Summary": 1}
BLANK_PAGES = {"Cover": 1, "Assumptions": 5, "Targets": 25, "Quotas": 6, "Commission": 9, "Budget": 3, "KPI": 1,
               "Summary": 1}


class Page:
    def __init__(self, number: int, text: str, width: float, height: float):
        self.number, self.text, self.landscape = number, text, width > height
        lines = [line for line in text.splitlines() if line.strip()]
        self.footer = FOOTER.match(lines[-1].strip()) if lines else None
        self.sheet = self.footer["sheet"] if self.footer else None


def read_pages(pdf) -> list[Page]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True, check=True)
    sizes = [tuple(map(float, m)) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info.stdout)]
    texts = text.split("\f")[: len(sizes)]
    return [Page(i + 1, t, *sizes[i]) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    require_soffice()
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    folder = tmp_path_factory.mktemp("print")
    plans = {name: make() for name, make in PLANS.items()}
    paths = {name: build_workbook(plan, folder / f"{name}.xlsx", blank=plan is None) for name, plan in plans.items()}
    pdfs = convert(list(paths.values()), folder / "pdf", "pdf", ".pdf")
    return {name: (plans[name], read_pages(pdfs[paths[name]])) for name in PLANS}


@pytest.mark.parametrize("name", PLANS)
def test_every_page_has_the_plans_footer_and_its_number(printed, name):
    plan, pages = printed[name]
    left = ("Annual operating plan (standard template)" if plan is None else
            f"{plan.plan.company} · AOP {plan.plan.year} · version {plan.plan.version} · {plan.plan.status}")
    for page in pages:
        assert page.footer, f"{name} page {page.number}: no footer in {page.text.splitlines()[-3:]}"
        assert page.footer["left"].startswith(left)
        assert (int(page.footer["n"]), int(page.footer["of"])) == (page.number, len(pages))


@pytest.mark.parametrize("name", PLANS)
def test_every_visible_sheet_prints_in_order_and_the_summary_on_one_landscape_page(printed, name):
    _, pages = printed[name]
    order = [p.sheet for i, p in enumerate(pages) if i == 0 or pages[i - 1].sheet != p.sheet]
    assert order == [s for s in SHEETS if s not in HIDDEN_SHEETS]
    summary = [p for p in pages if p.sheet == SUMMARY]
    assert len(summary) == 1 and summary[0].landscape
    for page in pages:
        assert page.landscape == (page.sheet not in PORTRAIT), f"{name} page {page.number} ({page.sheet})"


@pytest.mark.parametrize("name", PLANS)
def test_pages_per_sheet(printed, name):
    _, pages = printed[name]
    count: dict[str, int] = {}
    for page in pages:
        count[page.sheet] = count.get(page.sheet, 0) + 1
    if name == "sample":
        assert count == SAMPLE_PAGES
    elif name == "blank":
        assert all(count[s] <= n for s, n in BLANK_PAGES.items()), count
    assert count["Cover"] == 1 and count["Summary"] == 1


@pytest.mark.parametrize("name", PLANS)
def test_no_number_is_too_wide_for_its_column(printed, name):
    _, pages = printed[name]
    hashes = [(p.sheet, p.number, line.strip()) for p in pages for line in p.text.splitlines() if "###" in line]
    assert not hashes, f"{name}: cells print as ###: {hashes[:5]}"


def test_amounts_print_in_the_plans_scale_without_a_currency_code(printed):
    _, sample = printed["sample"]
    summary = next(p for p in sample if p.sheet == SUMMARY).text
    assert "Amounts in USD" in summary and "24,000,000.00" in summary
    _, thousands = printed["thousands"]
    summary = next(p for p in thousands if p.sheet == SUMMARY).text
    assert "Amounts in USD thousands" in summary and "850,000" in summary and "850,000,000" not in summary
    _, billions = printed["billions"]
    summary = next(p for p in billions if p.sheet == SUMMARY).text
    assert "1,500,000,000.00" in summary
    for pages in (sample, thousands, billions):
        for page in pages:
            # A formatted amount (digit groups) never carries the code; the goals' prose may.
            money = re.search(r"\d{1,3}(,\d{3})+(\.\d+)? ?USD|USD ?\d{1,3}(,\d{3})+", page.text)
            assert not money, f"page {page.number} ({page.sheet}) prints {money.group(0)!r}"


def test_long_tables_repeat_their_titles_on_every_page(printed):
    _, pages = printed["billions"]
    targets = [p for p in pages if p.sheet == "Targets"]
    assert len(targets) > 3
    first_title = next(line.strip() for line in targets[0].text.splitlines() if "Q1" in line)
    for page in targets[1:]:
        assert any("Q1" in line and "Q4" in line for line in page.text.splitlines()), f"page {page.number}"
    assert first_title


@pytest.mark.parametrize("name", ["sample", "billions"])
def test_every_chart_lies_inside_its_sheets_print_area(name):
    from openpyxl.utils import column_index_from_string, get_column_letter

    from aop_xl.workbook.build import workbook_for

    wb = workbook_for(PLANS[name]())
    charts = 0
    for ws in wb.worksheets:
        if not ws._charts:
            continue
        area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
        m = re.search(r"\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$", area)
        last_col, last_row = column_index_from_string(m.group(3)), int(m.group(4))

        def px(col):  # a column's width in pixels at Calibri 11 (7 px a character, 5 px padding)
            width = ws.column_dimensions[get_column_letter(col)].width
            return (width if width else 8.43) * 7 + 5

        def row_px(row):
            height = ws.row_dimensions[row].height
            return (height if height else 15) * 96 / 72

        right_edge = sum(px(c) for c in range(1, last_col + 1))
        bottom_edge = sum(row_px(r) for r in range(1, last_row + 1))
        for chart in ws._charts:
            charts += 1
            m = re.match(r"([A-Z]+)(\d+)$", chart.anchor)
            col, row = column_index_from_string(m.group(1)), int(m.group(2))
            assert col <= last_col and row <= last_row, f"{ws.title}: chart at {chart.anchor} outside {area}"
            left = sum(px(c) for c in range(1, col))
            top = sum(row_px(r) for r in range(1, row))
            assert left + chart.width / 2.54 * 96 <= right_edge, f"{ws.title}: chart at {chart.anchor} too wide"
            assert top + chart.height / 2.54 * 96 <= bottom_edge, f"{ws.title}: chart at {chart.anchor} too tall"
    assert charts == 4
