"""The ribbon macros: one function per button of the add-in's AOP tab (``addin/ribbon.xml``).

Each takes the workbook it acts on, a :class:`~aop_xl.workbook.book.Book`; ``None`` (what the
ribbon passes) means the workbook that called it, through xlwings. Each returns a
:class:`MacroResult`. In live Excel the result is shown to the user with an alert, and an
:class:`~aop_xl.errors.AopError` is shown as one message naming the sheet and cell instead of a
traceback; headless (an :class:`~aop_xl.workbook.book.OpenpyxlBook`) errors are raised.

Macros change the open workbook but never save it (in Excel the user saves; headless, call
``book.save()``); files they write (a built workbook, a PDF) appear only when complete.
xlwings is imported only on the live path, so this module imports without Excel.
See ``docs/macros.md``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from aop_xl.engine.commission import commission_statement
from aop_xl.cycle.round import round_of_master
from aop_xl.engine.reconcile import reconcile
from aop_xl.errors import AopError, PlanError, WorkbookError
from aop_xl.workbook.book import Book
from aop_xl.workbook.build import build_workbook as build_file
from aop_xl.workbook.layout import (ACTUALS, BOTTOM_UP, KPI, RECONCILE, SHEETS, STATEMENTS, SUMMARY,
                                    TEMPLATE_VERSION)
from aop_xl.workbook.plan_reader import (book_identity, book_name, cell_ref, is_standard_workbook, read_plan,
                                         read_sales, read_sheet_plan)
from aop_xl.workbook.reports import (check_findings, error_findings, formula_findings, read_bottom_up,
                                     split_differences, topdown_series, write_bottom_up, write_reconcile,
                                     write_statements)
from aop_xl.workbook.sheets.meta import plan_fingerprint
from aop_xl.workbook.styles import unit_decimals

DEFAULT_TOLERANCE = inspect.signature(reconcile).parameters["tolerance"].default
#: Where the Collect button looks for returned workbooks, in the round folder.
INBOX = "inbox"
ACTUALS_FILE = "actuals.csv"
ALERT_LINES = 25


@dataclass
class MacroResult:
    """What a macro did: messages for the user, findings (problems found), files written."""

    title: str
    messages: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """No findings and no error."""
        return not self.findings and self.error is None

    def text(self, limit: int = ALERT_LINES) -> str:
        """The result as the alert shows it (long lists of findings cut to ``limit`` lines)."""
        lines = [self.error] if self.error else list(self.messages)
        if self.findings:
            lines += ["", *self.findings[:limit]]
            if len(self.findings) > limit:
                lines.append(f"... and {len(self.findings) - limit} more")
        return "\n".join(lines)


def _caller() -> Book:
    from aop_xl.xl.xlwings_book import XlwingsBook  # the only path that needs xlwings (and Excel)

    return XlwingsBook.caller()


def _run(title: str, book: Book | None, action: Callable[[Book], MacroResult]) -> MacroResult:
    # Live: show the result, and an AopError as one message. Headless: return it, raise errors.
    if book is None:
        book = _caller()
    try:
        result = action(book)
    except AopError as exc:
        if not book.interactive:
            raise
        problems = exc.problems if isinstance(exc, PlanError) else [str(exc)]
        result = MacroResult(title, error=f"{title} stopped:", findings=list(problems))
    if book.interactive:
        book.alert(result.text(), f"AOP - {title}")
    return result


def _money(amount: float, unit: float) -> str:
    return f"{amount:,.{unit_decimals(unit)}f}"


def _free_path(folder: Path, name: str) -> Path:
    # Never overwrite a file (the open workbook least of all): "AOP_2027 (2).xlsx" and so on.
    path, n = folder / name, 1
    while path.exists():
        n += 1
        path = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
    return path


# ---------------------------------------------------------------------------- build


def build_workbook(book: Book | None = None) -> MacroResult:
    """Build the standard AOP workbook from the plan on this workbook's Assumptions sheet.

    The new workbook is written next to this one as ``AOP_<year>.xlsx`` (``AOP_<year> (2).xlsx``
    and so on when that file exists: nothing is overwritten) and opened in Excel. A workbook
    that is not a standard AOP workbook (a new, empty book) gets the blank template instead,
    ``AOP_template.xlsx``, to start a plan in. An unsaved book writes to the home folder.
    """
    return _run("Build workbook", book, _build)


def _build(book: Book) -> MacroResult:
    folder = book.path.parent if book.path is not None else Path.home()
    if not is_standard_workbook(book):
        path = build_file(None, _free_path(folder, "AOP_template.xlsx"), blank=True)
        message = (f"{book_name(book)} is not a standard AOP workbook, so the blank template was written: {path}. "
                   "Fill in its Assumptions sheet, then click Build workbook there.")
    else:
        plan = read_plan(book)
        path = build_file(plan, _free_path(folder, f"AOP_{plan.plan.year}.xlsx"))
        message = (f"Built the AOP workbook of {plan.plan.company} {plan.plan.year} (version {plan.plan.version}): "
                   f"{path}")
    book.open_workbook(path)
    return MacroResult("Build workbook", messages=[message], paths=[path])


# ---------------------------------------------------------------------------- recalculate splits


def recalculate_splits(book: Book | None = None) -> MacroResult:
    """Recalculate, then compare every target and quota cell with the engine's exact split.

    Findings: each differing cell (sheet!cell, workbook value, engine value) and each check
    cell that is not 0.
    """
    return _run("Recalculate splits", book, _recalculate)


def _recalculate(book: Book) -> MacroResult:
    book.calculate()
    sp = read_sheet_plan(book)
    compared, findings = split_differences(book, sp)
    checks = check_findings(book, sp.layout)
    if not findings and not checks:
        message = f"All {compared:,} target and quota cells match the engine exactly; every check cell is 0."
    else:
        message = (f"{len(findings):,} of {compared:,} target and quota cells differ from the engine; "
                   f"{len(checks):,} check cells are not 0.")
    return MacroResult("Recalculate splits", messages=[message], findings=findings + checks)


# ---------------------------------------------------------------------------- validate


def validate_workbook(book: Book | None = None) -> MacroResult:
    """Check the workbook like code; the result's findings list every problem.

    Checks, in order: the template id and version (meta sheet); every standard sheet present;
    the plan on Assumptions validates (each problem names its cell); after recalculating,
    every check cell is 0 and no cell of any sheet holds an error value; the fingerprint
    matches the plan's top-down numbers (else: inputs changed since the build); every cell
    where the template has a formula still has one (a typed-over formula names its cell).
    """
    return _run("Validate", book, _validate)


def _validate(book: Book) -> MacroResult:
    title = "Validate"
    try:
        identity = book_identity(book)
    except WorkbookError as exc:
        return MacroResult(title, messages=["Not a standard AOP workbook."], findings=[str(exc)])
    if identity.template_version != TEMPLATE_VERSION:
        return MacroResult(title, messages=["Another template version."], findings=[
            f"template version {identity.template_version}: this aop_xl validates version {TEMPLATE_VERSION}"])
    missing = [s for s in SHEETS if s not in book.sheet_names()]
    if missing:
        return MacroResult(title, messages=["Sheets are missing."],
                           findings=[f"{s}: sheet missing" for s in missing])
    findings = []
    try:
        sp = read_sheet_plan(book)
    except PlanError as exc:
        sp, findings = None, list(exc.problems)
    book.calculate()
    findings += check_findings(book, identity.layout)
    findings += error_findings(book)
    if sp is not None and not identity.blank and plan_fingerprint(sp.plan) != identity.fingerprint:
        findings.append(f"{cell_ref(identity.layout.meta.sheet, identity.layout.meta_cell('fingerprint'))}: inputs "
                        "changed since the build: the plan's top-down targets are not the ones this workbook was "
                        "built with (rebuild it, or send it again)")
    formulas, missing_formulas = formula_findings(book, identity.capacity)
    findings += missing_formulas
    kind = "blank template" if identity.blank else f"plan {sp.plan.plan.company} {sp.plan.plan.year}" if sp else "plan"
    message = (f"No findings: {identity.template_id} v{identity.template_version} ({kind}); the plan validates, "
               f"every check cell is 0, no error values, all {formulas:,} template formulas in place."
               if not findings else f"{len(findings):,} findings:")
    return MacroResult(title, messages=[message], findings=findings)


# ---------------------------------------------------------------------------- commission


def commission_statements(book: Book | None = None, folder: str | Path | None = None) -> MacroResult:
    """Commission statements.

    With actuals loaded (an Actuals sheet, ``aop-xl actuals``): one statement per rep for the
    as-of period, on year-to-date tiers with true-ups, written as files (.xlsx, and PDF where
    LibreOffice is installed) to ``folder`` (default: ``Statements <year>-<period>`` next to
    the workbook) by :func:`aop_xl.cycle.statements.write_statements`, which also records the
    closed periods' payments on the Actuals sheet (save the workbook to keep them). Without
    actuals: one statement per rep on the Statements sheet, from the sales entered on the
    Commission sheet (``RepSales``) and the plan's quotas and tiers.
    """
    return _run("Commission statements", book,
                lambda b: _statements_in_year(b, folder) if ACTUALS in b.sheet_names() else _statements(b))


def _statements_in_year(book: Book, folder) -> MacroResult:
    from aop_xl import engines
    from aop_xl.cycle.statements import statement_rows, write_statements
    from aop_xl.cycle.inyear import read_year

    if folder is None:
        if book.path is None:
            raise WorkbookError("save the workbook first: the statements are written next to it")
        rows = statement_rows(read_year(book))
        end = int(rows["end"].max())
        period = rows.loc[rows["end"] == end, "period"].iloc[0]
        plan_year = book_plan_year(book)
        folder = book.path.parent / f"Statements {plan_year}-{period}"
    pdf = engines.libreoffice() is not None
    out = write_statements(book, folder, pdf=pdf)
    files = len(out.written)
    messages = [f"{files} statement files for {out.period} written to {out.folder}: payments "
                f"{out.total_payment:,.2f} {out.currency}."]
    if not pdf:
        messages.append("No PDFs: LibreOffice is not installed (the .xlsx statements print from Excel).")
    if out.recorded:
        messages.append(f"{out.recorded} payments of closed periods recorded as made on the {ACTUALS} sheet: save "
                        "the workbook to keep them.")
    return MacroResult("Commission statements", messages=messages, findings=list(out.failures),
                       paths=list(out.written))


def book_plan_year(book: Book) -> int:
    """The plan year of a standard workbook (read from its Assumptions sheet)."""
    return read_plan(book).plan.year


def _statements(book: Book) -> MacroResult:
    sp = read_sheet_plan(book)
    plan = sp.plan
    if not plan.reps:
        reps = sp.layout.reps
        raise PlanError(f"{cell_ref(reps.sheet, reps.area('name'))}: the plan has no reps, so no statements")
    sales = read_sales(book, sp)
    statement = commission_statement(plan, sales)
    write_statements(book, plan, statement)
    unit = plan.plan.unit
    message = (f"Statements for {len(plan.reps)} reps written to the {STATEMENTS} sheet: total commission "
               f"{_money(statement['commission'].sum(), unit)} {plan.plan.currency} ({plan.commission.mode}); "
               f"sales entered for {len(sales)} of {len(plan.reps)} reps (blank counts as 0).")
    return MacroResult("Commission statements", messages=[message])


# ---------------------------------------------------------------------------- KPIs


def refresh_kpis(book: Book | None = None, actuals: str | Path | None = None) -> MacroResult:
    """Refresh the KPI sheet's actuals, then recalculate.

    With deals loaded (an Actuals sheet) and no ``actuals`` file: the KPIs the deals give
    (revenue, growth, new-business and recurring revenue, churn, retention, average order
    value, repurchase and return rates, sales cycle), year to date to the as-of period, by
    :func:`aop_xl.cycle.inyear.year_numbers`, the function ``aop-xl actuals`` uses. Otherwise
    from a file of KPI actuals.

    Args:
        book: the workbook (None: the calling workbook).
        actuals: a CSV or .xlsx file with columns ``metric`` and ``actual``; default
            ``actuals.csv`` next to the workbook. Metrics match the plan's ignoring case.
    """
    return _run("Refresh KPIs", book, lambda b: _refresh_in_year(b) if actuals is None and ACTUALS in
                b.sheet_names() else _refresh(b, actuals))


def _refresh_in_year(book: Book) -> MacroResult:
    from aop_xl.cycle.inyear import read_year, write_kpi_actuals, year_numbers

    year = read_year(book)
    deals = year.deals
    as_of = year.as_of or int(deals.loc[deals["fy"] == 0, "period"].max() if (deals["fy"] == 0).any() else 12)
    numbers = year_numbers(year.plan, deals, as_of, year.payments)
    written = write_kpi_actuals(book, year.sheet_plan, numbers.kpis)
    book.calculate()
    k = numbers.kpis
    shown = [f"{m} {s or '(no status)'}" for m, s in zip(k["metric"], k["status"])]
    month = year.plan.plan.period_month(as_of)
    messages = [f"KPIs to {month} from {len(year.lines):,} deal lines: {', '.join(shown)}."]
    if written:
        messages.append(f"Actuals from the deals written on the {KPI} sheet for: {', '.join(written)}.")
    movers = numbers.movers
    if len(movers):
        messages.append("Largest movers: " + "; ".join(f"{d} {m} {_money(v, year.plan.plan.unit)}" for d, m, v in
                                                        zip(movers["dimension"], movers["member"], movers["variance"]))
                        + ".")
    return MacroResult("Refresh KPIs", messages=messages)


def read_actuals(path: str | Path) -> dict[str, float | None]:
    """metric -> actual (None where the file gives none) from a CSV or .xlsx file."""
    path = Path(path)
    hint = "a CSV or .xlsx file with the columns metric, actual"
    if not path.is_file():
        raise WorkbookError(f"{path}: no actuals file ({hint})")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        else:
            frame = pd.read_csv(path, dtype=object, skipinitialspace=True, encoding="utf-8-sig")
    except Exception as exc:  # pandas raises many types for an unreadable file
        raise WorkbookError(f"{path.name}: cannot be read ({type(exc).__name__}: {exc}); expected {hint}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not {"metric", "actual"} <= set(frame.columns):
        raise WorkbookError(f"{path.name}: columns are {list(frame.columns)}; expected {hint}")
    out, problems = {}, []
    for n, (metric, actual) in enumerate(zip(frame["metric"], frame["actual"])):
        where = f"{path.name} row {n + 2}"
        blank = pd.isna(actual) or not str(actual).strip()
        if pd.isna(metric) or not str(metric).strip():
            if not blank:
                problems.append(f"{where}: metric missing")
            continue
        metric = str(metric).strip()
        value = None if blank else _number(actual)
        if not blank and pd.isna(value):
            problems.append(f"{where}: actual of {metric} must be a number, got {actual!r}")
        elif metric.casefold() in {m.casefold() for m in out}:
            problems.append(f"{where}: {metric} appears more than once")
        else:
            out[metric] = None if value is None else float(value)
    if problems:
        raise PlanError(problems)
    return out


def _number(text) -> float:
    # Plain numbers with a decimal point; commas only as thousands separators ("1,500,000").
    text = str(text).strip()
    if "," in text:
        if not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
            return float("nan")
        text = text.replace(",", "")
    return pd.to_numeric(text, errors="coerce")


def _refresh(book: Book, actuals) -> MacroResult:
    sp = read_sheet_plan(book)
    if actuals is None:
        if book.path is None:
            raise WorkbookError(f"save the workbook first: {ACTUALS_FILE} is looked for next to it")
        actuals = book.path.parent / ACTUALS_FILE
    values = read_actuals(actuals)
    kpi, kpis = sp.layout.kpi, sp.plan.kpis
    rows = {}
    for k, i in enumerate(sp.rows["kpis"]):
        rows.setdefault(kpis[k].metric.strip().casefold(), []).append((k, i))
    written, unknown = set(), []
    for metric, value in values.items():
        hits = rows.get(metric.casefold())
        if hits is None:
            unknown.append(metric)
        elif value is not None:
            for k, i in hits:
                book.write(kpi.sheet, kpi.cell("actual", i), [[value]])
                written.add(k)
    book.calculate()
    status = book.read(kpi.sheet, kpi.area("status"))
    shown = [f"{kpis[k].metric} {status[i][0] or '(no status)'}" for k, i in enumerate(sp.rows["kpis"]) if k in written]
    messages = [f"Actuals from {Path(actuals).name} written for {len(written)} of {len(kpis)} KPIs"
                + (f": {', '.join(shown)}." if shown else ".")]
    if unknown:
        messages.append(f"Not KPIs of the plan (ignored): {', '.join(unknown)}.")
    without = [kpis[k].metric for k in range(len(kpis)) if k not in written]
    if without:
        messages.append(f"No actual in the file (cells left as they were): {', '.join(without)}.")
    return MacroResult("Refresh KPIs", messages=messages, paths=[Path(actuals)])


# ---------------------------------------------------------------------------- reconcile


def reconcile_plan(book: Book | None = None, method: str = "keep", tolerance: float | None = None,
                   alpha: float = 0.5) -> MacroResult:
    """Reconcile top-down targets with the bottom-up proposals of the Bottom-up sheet.

    Without a Bottom-up sheet, it is created with the top-down targets as a starting point
    (inputs to overwrite; click again afterwards). With one, the gaps at every level and the
    proposal (:func:`aop_xl.engine.reconcile.reconcile`) are written to the Reconcile sheet.

    Args:
        book: the workbook (None: the calling workbook).
        method: "keep", "accept", "blend" or "scale" (domain.md section 3).
        tolerance: the largest |gap %| accepted; None for the engine's default (5%).
        alpha: the weight of top-down in "blend".
    """
    return _run("Reconcile", book, lambda b: _reconcile(b, method, tolerance, alpha))


def _reconcile(book: Book, method: str, tolerance: float | None, alpha: float) -> MacroResult:
    rnd = round_of_master(book.path)
    if rnd is not None:
        return _reconcile_round(book, rnd, method, tolerance, alpha)
    plan = read_plan(book)
    if BOTTOM_UP not in book.sheet_names():
        write_bottom_up(book, plan)
        message = (f"Created the {BOTTOM_UP} sheet with the top-down targets as a starting point. Overwrite the "
                   "yellow cells with the regions' proposals, then click Reconcile again.")
        return MacroResult("Reconcile", messages=[message])
    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    rec = reconcile(topdown_series(plan), read_bottom_up(book, plan), tolerance=tolerance, method=method,
                    alpha=alpha, unit=plan.plan.unit)
    write_reconcile(book, plan, rec, tolerance, alpha)
    unit = plan.plan.unit
    gap = rec.total_bottomup - rec.total_topdown
    message = (f"Top-down {_money(rec.total_topdown, unit)}, bottom-up {_money(rec.total_bottomup, unit)} "
               f"(gap {_money(gap, unit)}); {len(rec.flagged)} of {len(rec.gaps)} rows outside "
               f"{tolerance:.1%}. Proposal ({method}) {_money(rec.total_proposal, unit)}: see the {RECONCILE} sheet.")
    return MacroResult("Reconcile", messages=[message])


# ---------------------------------------------------------------------------- planning round
#
# On a round's master workbook (aop_xl.cycle), the round's buttons call the same library
# functions as `aop-xl distribute`, `collect` and `reconcile`; the sheets they change are
# written into the open workbook (the file is open, so it is not rewritten on disk).


def generate_regional_workbooks(book: Book | None = None, by: str = "region") -> MacroResult:
    """Write one workbook per region (or rep) into the round's outbox, as ``aop-xl distribute``.

    The open workbook must be the master of a planning round (``aop-xl round init``).
    """
    return _run("Generate regional workbooks", book, lambda b: _distribute(b, by))


def collect_submissions(book: Book | None = None, inbox: str | Path | None = None,
                        replace: bool = False) -> MacroResult:
    """Collect returned workbooks (default: the round's ``inbox`` folder), as ``aop-xl collect``,
    and write the collected proposals into this workbook's Bottom-up sheet."""
    return _run("Collect submissions", book, lambda b: _collect(b, inbox, replace))


def _round(book: Book):
    rnd = round_of_master(book.path)
    if rnd is None:
        raise WorkbookError(f"{book_name(book)} is not the master workbook of a planning round: start one with "
                            "`aop-xl round init PLAN -o FOLDER` and open the AOP workbook in that folder")
    return rnd


def _distribute(book: Book, by: str) -> MacroResult:
    from aop_xl.cycle.distribute import distribute

    summary = distribute(_round(book), by)
    lines = summary.lines()
    return MacroResult("Generate regional workbooks", messages=[lines[0], *[x for x in lines if x.startswith("note")]],
                       findings=[f"{key}: {reason}" for key, reason in summary.failed],
                       paths=[summary.outbox / f for _, f in summary.written])


def _collect(book: Book, inbox, replace: bool) -> MacroResult:
    from aop_xl.cycle.collect import collect
    from aop_xl.cycle.master import write_round_bottom_up
    from aop_xl.cycle.proposals import round_bottom_up

    rnd = _round(book)
    folder = Path(inbox) if inbox is not None else rnd.folder / INBOX
    if inbox is None and not folder.is_dir():
        raise WorkbookError(f"put the returned workbooks in {folder} (or give inbox=...), then click again")
    summary = collect(rnd, [folder], replace=replace, update_master=False)
    write_round_bottom_up(book, rnd.plan, round_bottom_up(rnd))
    counts = ", ".join(f"{n} {s}" for s, n in summary.counts().items() if n) or "no files"
    findings = [f"{Path(o.file).name}: {o.state}: {o.reason}" for o in summary.outcomes
                if o.state != "accepted" and not o.seen_before]
    return MacroResult("Collect submissions", messages=[f"{len(summary.outcomes)} file(s) in {folder}: {counts}. The "
                                                        f"{BOTTOM_UP} sheet shows the accepted proposals."],
                       findings=findings, paths=summary.reports)


def _reconcile_round(book: Book, rnd, method: str, tolerance: float | None, alpha: float) -> MacroResult:
    from aop_xl.cycle.master import write_round_bottom_up
    from aop_xl.cycle.proposals import round_bottom_up
    from aop_xl.cycle.reconcile import reconcile_round

    result = reconcile_round(rnd, method=method, tolerance=tolerance, alpha=alpha, update_master=False)
    write_round_bottom_up(book, rnd.plan, round_bottom_up(rnd))
    write_reconcile(book, rnd.plan, result.result, result.tolerance, alpha)
    lines = result.lines(rnd.plan.plan.unit)
    return MacroResult("Reconcile", messages=[*lines[:2], f"See the {RECONCILE} sheet."], paths=result.files)


# ---------------------------------------------------------------------------- PDF


def export_summary_pdf(book: Book | None = None, path: str | Path | None = None) -> MacroResult:
    """Print the one-page Summary sheet to PDF, by default next to the workbook as
    ``<workbook name> - Summary.pdf`` (replacing an earlier export of that name)."""
    return _run("Export summary PDF", book, lambda b: _export(b, path))


def _export(book: Book, path) -> MacroResult:
    if SUMMARY not in book.sheet_names():
        raise WorkbookError(f"{book_name(book)}: no {SUMMARY} sheet to export")
    if path is None:
        if book.path is None:
            raise WorkbookError("save the workbook first: the PDF is written next to it")
        path = book.path.with_name(f"{book.path.stem} - Summary.pdf")
    written = book.export_pdf(SUMMARY, Path(path))
    return MacroResult("Export summary PDF", messages=[f"Summary exported: {written}"], paths=[Path(written)])
