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
    "billions": lambda: plan_from_dict(company_plan_dict(40, 60, 200, total=1_500_000_000, unit=0.01)),
    "thousands": lambda: plan_from_dict(company_plan_dict(12, 20, 80, total=850_000_000, unit=1000,
                                                          display="thousands", seed=3)),
}
PORTRAIT = {"Assumptions"}  # every other sheet prints landscape
FOOTER = re.compile(r"(?P<left>.+ · AOP \d{4} · version .+ · \S+)\s{2,}(?P<sheet>\S.*?)\s{2,}Page (?P<n>\d+) of (?P<of>\d+)\s*$")


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
    paths = {name: build_workbook(plan, folder / f"{name}.xlsx") for name, plan in plans.items()}
    pdfs = convert(list(paths.values()), folder / "pdf", "pdf", ".pdf")
    return {name: (plans[name], read_pages(pdfs[paths[name]])) for name in PLANS}


@pytest.mark.parametrize("name", PLANS)
def test_every_page_has_the_plans_footer_and_its_number(printed, name):
    plan, pages = printed[name]
    h = plan.plan
    for page in pages:
        assert page.footer, f"{name} page {page.number}: no footer in {page.text.splitlines()[-3:]}"
        assert page.footer["left"].startswith(f"{h.company} · AOP {h.year} · version {h.version} · {h.status}")
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
