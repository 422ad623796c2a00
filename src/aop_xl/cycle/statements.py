"""One commission statement per rep, ready to send: an .xlsx and its PDF.

:func:`write_statements` reads the year from a workbook (:func:`aop_xl.cycle.inyear.read_year`),
computes the statements with the engine (:func:`aop_xl.engine.commission.inyear_statements`)
and writes, for every rep, ``<year>-<period> <rep>.xlsx``: the statement of the as-of period
(sales, quotas, attainment, the band reached, commission per band, year-to-date commission in
the plan's mode, already paid, this payment, the draw) and every payout period of the year
to date. The PDFs are printed from those files by LibreOffice
(:func:`aop_xl.engines.pdf_export`), in one run. Each file appears whole or not at all; a
rep whose file fails does not stop the others, and every failure is reported at the end.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins

from aop_xl import engines
from aop_xl.cycle.inyear import (Year, read_year, record_payments, save, shown_subtitles, store_values,
                                 year_numbers)
from aop_xl.engine.commission import inyear_statements
from aop_xl.engine.kpi import rep_month_sales
from aop_xl.errors import AopError, PlanError, WorkbookError
from aop_xl.files import OutputError, check_output, display, make_folder, write_atomic
from aop_xl.plan import Plan
from aop_xl.workbook.book import Book, OpenpyxlBook
from aop_xl.workbook.build import FIXED_TIME, workbook_bytes
from aop_xl.workbook.reports import band_floors
from aop_xl.workbook.styles import unit_decimals

#: Characters a file name may not hold on Windows, macOS or Linux (and controls).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
NAME_CHARS = 80


def file_stem(text: str) -> str:
    """A rep's name as a file name: characters no file system takes become ``_``.

    Examples:
        >>> file_stem("Nguyễn / Ops: East"), file_stem("CON"), file_stem("..")
        ('Nguyễn _ Ops_ East', '_CON', '_')
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join("_" if _UNSAFE.match(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                   for ch in text)
    text = text.strip().rstrip(". ")[:NAME_CHARS].rstrip(". ") or "_"
    return f"_{text}" if text.split(".")[0].upper() in _RESERVED else text


@dataclass
class StatementFiles:
    """What :func:`write_statements` wrote, and what failed."""

    folder: Path
    period: str
    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    total_payment: float = 0.0
    currency: str = ""
    recorded: int = 0


def statement_rows(year: Year, as_of: int | None = None) -> pd.DataFrame:
    """The engine's statements of a workbook's year, every payout period to ``as_of``, with
    the payments recorded as made."""
    plan = year.plan
    if not plan.reps:
        raise PlanError("reps: the plan has no reps, so no statements")
    as_of = as_of or year.as_of
    if as_of is None:
        raise PlanError("as_of: the workbook has no as-of period yet; load actuals first (aop-xl actuals)")
    return inyear_statements(plan, rep_month_sales(plan, year.deals), as_of, year.payments)


def write_statements(source: str | os.PathLike | Book, folder: str | os.PathLike, *, pdf: bool = True,
                     progress: Callable[[str, int, int], None] | None = None) -> StatementFiles:
    """Write one statement per rep (.xlsx, and .pdf through LibreOffice) into ``folder``, and
    record in the workbook the payments of the closed periods as made.

    Recording them fixes what was paid: a deal that arrives later for a paid period is paid
    with the next period's true-up. A workbook given as a path is saved (whole or not at
    all); an open :class:`~aop_xl.workbook.book.Book` is changed, not saved.

    Args:
        source: the workbook (a path, or an open :class:`~aop_xl.workbook.book.Book`).
        folder: where the statements go (created when missing).
        pdf: print each statement to PDF as well.
        progress: called with (what, done, total).

    Returns:
        The :class:`StatementFiles`: files written, failures (one line each).

    Raises:
        PlanError, WorkbookError: the workbook cannot be read or has no actuals.
    """
    if not isinstance(source, Book):
        check_output(source, suffix=".xlsx", what="workbook", error=WorkbookError)
    book = source if isinstance(source, Book) else OpenpyxlBook(source)
    year = read_year(book)
    rows = statement_rows(year)
    plan = year.plan
    folder = Path(folder)
    make_folder(folder, error=OutputError)
    as_of = int(rows["end"].max())
    current = rows[rows["end"] == as_of].reset_index(drop=True)
    label = f"{plan.plan.year}-{current['period'].iloc[0]}"
    out = StatementFiles(folder, label, currency=plan.plan.currency)
    stems: set[str] = set()
    targets = []
    for k, rep in enumerate(plan.reps):
        stem = f"{label} {file_stem(rep.name)}"
        n, base = 2, stem
        while stem.casefold() in stems:
            stem, n = f"{base} ({n})", n + 1
        stems.add(stem.casefold())
        targets.append((rep.name, folder / f"{stem}.xlsx", folder / f"{stem}.pdf"))
    with tempfile.TemporaryDirectory(prefix="aop_xl-statements-") as tmp:
        staged = []
        for k, (name, xlsx, pdf_path) in enumerate(targets):
            try:
                data = statement_bytes(plan, year, rows[rows["rep"] == name], as_of)
                write_atomic(xlsx, data, suffix=".xlsx", what="statement", error=OutputError)
            except AopError as exc:
                out.failures.append(f"{display(xlsx)}: {exc}")
                continue
            out.written.append(xlsx)
            out.total_payment += float(current.loc[current["rep"] == name, "payment"].iloc[0])
            copy = Path(tmp) / f"{k:05d}.xlsx"
            copy.write_bytes(data)
            staged.append((copy, pdf_path))
            if progress is not None:
                progress(name, k + 1, len(targets))
        if pdf and staged:
            try:
                printed = engines.pdf_export([c for c, _ in staged], Path(tmp) / "pdf")
            except engines.EngineError as exc:
                out.failures.append(f"PDF: {exc}")
            else:
                for copy, pdf_path in staged:
                    try:
                        write_atomic(pdf_path, printed[copy].read_bytes(), suffix=".pdf", what="statement",
                                     error=OutputError)
                        out.written.append(pdf_path)
                    except AopError as exc:
                        out.failures.append(f"{display(pdf_path)}: {exc}")
    subtitles = shown_subtitles(book)
    out.recorded = record_payments(book, year, rows)
    if out.recorded and not isinstance(source, Book):
        numbers = year_numbers(plan, year.deals, as_of, year.payments)
        store_values(book, year.sheet_plan, plan, year.lines, as_of, numbers, year.payments, subtitles)
        save(book)
    return out


_MONEY_ROWS = ("ytd_sales", "ytd_base_quota", "base_quota", "challenge_quota")


def statement_bytes(plan: Plan, year: Year, rows: pd.DataFrame, as_of: int) -> bytes:
    """One rep's statement as .xlsx bytes (values, formatted, one printed page).

    Args:
        plan: the plan.
        year: the workbook's year (for the rep's monthly sales).
        rows: the rep's rows of :func:`aop_xl.engine.commission.inyear_statements`.
        as_of: the as-of period.
    """
    h = plan.plan
    decimals = unit_decimals(h.unit)
    money = "#,##0" + ("." + "0" * max(decimals, 2) if max(decimals, 2) else "")
    now = rows[rows["end"] == as_of].iloc[0]
    wb = Workbook()
    ws = wb.active
    ws.title = "Statement"
    bold = Font(name="Calibri", size=10, bold=True)
    head_fill = PatternFill(fill_type="solid", start_color="FFE7ECF3", end_color="FFE7ECF3")
    thin = Side(style="thin", color="FF9AA5B1")
    ws["A1"] = "Commission statement"
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color="FF1F3864")
    period = f"{now['period']} {h.year}" + (" (to date, not yet due)" if not now["closed"] else "")
    ws.append([f"{h.company} - plan {h.year}, version {h.version}"])
    ws.append([])
    info = [("Rep", str(now["rep"])), ("Region", str(now["region"])), ("Period", period),
            ("Actuals to", h.period_month(as_of)), ("Currency", h.currency),
            ("Commission mode", plan.commission.mode), ("Paid", plan.commission.payout)]
    for label, value in info:
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = bold
        ws.cell(ws.max_row, 2).data_type = "s"
    ws.append([])
    summary = [
        ("Sales this period", now["sales"], money), ("Sales, year to date", now["ytd_sales"], money),
        ("Base quota to date", now["ytd_base_quota"], money), ("Base quota (year, in-year)", now["base_quota"], money),
        ("Challenge quota (year, in-year)", now["challenge_quota"], money),
        ("Attainment (year to date / year)", _pct(now["attainment"]), "0.0%"),
        ("Attainment to date", _pct(now["ytd_attainment"]), "0.0%"), ("Band reached", int(now["band"]), "0"),
        ("Commission to date, marginal", now["commission_marginal"], money),
        ("Commission to date, retroactive", now["commission_retroactive"], money),
        (f"Commission to date ({plan.commission.mode})", now["ytd_commission"], money),
        ("Minimum attainment met", "yes" if now["min_attainment_met"] else "no", None),
        ("Cap applied", "yes" if now["capped"] else "no", None),
        ("Draw guaranteed to date", now["guarantee"], money), ("Due to date", now["paid_to_date"], money),
        ("Already paid", now["paid_before"], money),
        ("This payment" + (" (a clawback)" if now["payment"] < 0 else ""), now["payment"], money),
        ("Draw advanced, not yet recovered", now["draw_balance"], money),
    ]
    for label, value, fmt in summary:
        ws.append([label, value])
        if fmt:
            ws.cell(ws.max_row, 2).number_format = fmt
        if label.startswith("This payment"):
            ws.cell(ws.max_row, 1).font = ws.cell(ws.max_row, 2).font = Font(name="Calibri", size=11, bold=True)
    ws.append([])
    ws.append(["Commission per band (marginal, on the sales to date)"])
    ws.cell(ws.max_row, 1).font = bold
    ws.append(["Band", "From sales of", "Rate", "Commission in band"])
    _header(ws, head_fill, thin, bold)
    floors = band_floors(plan, float(now["base_quota"]), float(now["challenge_quota"]))
    for k, tier in enumerate(plan.commission.tiers):
        ws.append([f"Band {k + 1}", floors[k], tier.rate, float(now[f"band_{k + 1}"])])
        ws.cell(ws.max_row, 2).number_format = money
        ws.cell(ws.max_row, 3).number_format = "0.00%"
        ws.cell(ws.max_row, 4).number_format = money
    ws.append([])
    ws.append(["Payout periods of the year"])
    ws.cell(ws.max_row, 1).font = bold
    ws.append(["Period", "Sales", "Sales to date", "Commission to date", "Due to date", "Payment"])
    _header(ws, head_fill, thin, bold)
    for _, r in rows.iterrows():
        ws.append([f"{r['period']}" + ("" if r["closed"] else " (open)"), r["sales"], r["ytd_sales"],
                   r["ytd_commission"], r["paid_to_date"], r["payment"]])
        for c in range(2, 7):
            ws.cell(ws.max_row, c).number_format = money
    ws.append([])
    ws.append(["Sales credited by month"])
    ws.cell(ws.max_row, 1).font = bold
    ws.append(["Month", "Sales"])
    _header(ws, head_fill, thin, bold)
    sales = rep_month_sales(plan, year.deals)[plan.rep_names.index(str(now["rep"]))]
    for m in range(as_of):
        ws.append([h.period_month(m + 1), float(sales[m])])
        ws.cell(ws.max_row, 2).number_format = money
    for col, width in {"A": 38, "B": 20, "C": 18, "D": 20, "E": 16, "F": 16}.items():
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=1):
        row[0].alignment = Alignment(vertical="top")
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.oddFooter.center.text = f"{h.company} - commission statement - &P / &N"
    wb.properties.creator = wb.properties.lastModifiedBy = "aop_xl"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    return workbook_bytes(wb)


def _pct(x: float):
    return None if pd.isna(x) else float(x)


def _header(ws, fill, thin, bold) -> None:
    for cell in ws[ws.max_row]:
        cell.font, cell.fill, cell.border = bold, fill, Border(bottom=thin)


__all__ = ["StatementFiles", "file_stem", "statement_bytes", "statement_rows", "write_statements"]
