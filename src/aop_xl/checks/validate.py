"""``aop-xl validate``: every rule over every file, one report.

:func:`validate` checks a batch: a file that cannot be read is reported (as unusable, exit
code 2) and the batch goes on. Each file is read once (:mod:`aop_xl.checks.reader`), indexed
once (:mod:`aop_xl.checks.index`), and goes through the contract rules when it is an AOP
workbook, the modelling and limit rules always, and the recalculation rules with ``recalc``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aop_xl.checks.contract import ContractChecks, is_aop_workbook
from aop_xl.checks.index import FormulaIndex
from aop_xl.checks.limits import LimitChecks
from aop_xl.checks.modelling import ModellingChecks
from aop_xl.checks.package import DEFAULT_LIMITS, Limits
from aop_xl.checks.reader import Workbook, read_workbook
from aop_xl.checks.rules import SEVERITIES, Finding, at_least
from aop_xl.errors import AopError


@dataclass
class FileReport:
    """The result for one file: its findings, or why it could not be checked."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # one line: why the file is unusable
    aop: bool = False  # checked against the standard workbook's contract
    seconds: float = 0.0
    suppressed: int = 0  # findings accepted by the baseline


@dataclass
class Report:
    """The result of a batch."""

    files: list[FileReport]
    engines: list[str] = field(default_factory=list)  # spreadsheet engines used by --recalc
    notes: list[str] = field(default_factory=list)  # e.g. an engine that could not run

    @property
    def findings(self) -> list[Finding]:
        return [f for report in self.files for f in report.findings]

    @property
    def unusable(self) -> list[FileReport]:
        return [r for r in self.files if r.error is not None]

    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        out = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    def exit_code(self, fail_on: str = "error") -> int:
        """0 clean, 1 findings at or above ``fail_on``, 2 a file was unusable (or an engine failed)."""
        if self.unusable or self.notes:
            return 2
        return 1 if any(at_least(f.severity, fail_on) for f in self.findings) else 0


def display_name(path: Path) -> str:
    """How a file is named in findings: relative to the working directory when inside it."""
    try:
        rel = Path(os.path.relpath(path))
    except ValueError:
        return path.as_posix()
    return rel.as_posix() if not rel.as_posix().startswith("../") else path.as_posix()


def check_workbook(wb: Workbook, file: str) -> tuple[list[Finding], bool, dict | None]:
    """Every static rule over a workbook already read.

    Returns:
        (findings, whether it is an AOP workbook, its formula cells that are the template's own
        by sheet, or None).
    """
    index = FormulaIndex(wb)
    findings: list[Finding] = []
    aop = is_aop_workbook(wb)
    template_formulas = template_values = None
    if aop:
        contract = ContractChecks(wb, file)
        findings.extend(contract.run())
        template_formulas, template_values = contract.template_formulas, contract.template_values
    findings.extend(ModellingChecks(wb, index, file, template_formulas, template_values).run())
    findings.extend(LimitChecks(wb, index, file).run())
    return _ordered(findings), aop, template_formulas


def _ordered(findings: list[Finding]) -> list[Finding]:
    sheet_order: dict[str, int] = {}
    for f in findings:
        sheet_order.setdefault(f.sheet or "", len(sheet_order))
    return sorted(findings, key=lambda f: (f.rule.id, sheet_order[f.sheet or ""], _row_col(f.range)))


def _row_col(ref: str | None) -> tuple[int, int]:
    from aop_xl.checks.reader import range_bounds

    if not ref:
        return (0, 0)
    try:
        r1, c1, _, _ = range_bounds(ref.split(":")[0] if ":" in ref else ref)
    except ValueError:
        return (0, 0)
    return (r1, c1)


def validate_file(path: str | os.PathLike, *, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> FileReport:
    """Check one file with the static rules (no recalculation).

    Args:
        path: the workbook.
        limits: what the reader accepts (sizes, cells).
        name: how findings name the file (default: the path, relative when possible).

    Returns:
        The :class:`FileReport`; an unreadable file gives a report with ``error`` set.

    Examples:
        >>> validate_file("workbooks/AOP_2027.xlsx").findings  # doctest: +SKIP
        []
    """
    path = Path(path)
    report = FileReport(file=name or display_name(path))
    start = time.perf_counter()
    with _collector_paused():
        try:
            wb = read_workbook(path, limits)
        except AopError as exc:
            report.error = str(exc)
        else:
            report.findings, report.aop, template_formulas = check_workbook(wb, report.file)
            report._workbook = wb  # kept for --recalc, with the cells that are the template's
            report._template_formulas = template_formulas
    report.seconds = time.perf_counter() - start
    return report


@contextlib.contextmanager
def _collector_paused():
    # A check allocates hundreds of thousands of small objects (cells, keys, tokens) that
    # form no reference cycles; refcounting frees them, and the cyclic collector would only
    # rescan them again and again (a third of the time on the blank template).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate(paths: Iterable[str | os.PathLike], *, recalc: bool = False, limits: Limits = DEFAULT_LIMITS,
             progress: Callable[[str, int, int], None] | None = None,
             engines: tuple[str, ...] = ("LibreOffice", "Gnumeric")) -> Report:
    """Check a batch of files: every rule, one :class:`Report`.

    Args:
        paths: the workbooks.
        recalc: recalculate in LibreOffice (and Gnumeric where installed) first and apply
            the V40x rules to the results.
        limits: what the reader accepts.
        progress: called with (what, done, total) as the batch advances.
        engines: the spreadsheet engines ``recalc`` uses where installed (LibreOffice always).

    Returns:
        The :class:`Report` (unusable files included, with their reason).

    Raises:
        EngineError: ``recalc`` and LibreOffice is not installed.
    """
    paths = [Path(p) for p in paths]
    total = len(paths) * (2 if recalc else 1)
    if recalc:
        from aop_xl.engines import require_libreoffice

        require_libreoffice()
    reports = []
    for i, path in enumerate(paths):
        if progress:
            progress(f"checking {path.name}", i, total)
        reports.append(validate_file(path, limits=limits))
    report = Report(files=reports)
    if recalc:
        _recalc(report, paths, progress, total, engines)
    if progress:
        progress("done", total, total)
    for r in report.files:
        r.__dict__.pop("_workbook", None)
        r.__dict__.pop("_template_formulas", None)
    return report


def _recalc(report: Report, paths: list[Path], progress, total: int, engines: tuple[str, ...]) -> None:
    from aop_xl.checks.recalc import recalc_findings, recalculate
    from aop_xl.workbook.plan_reader import book_identity

    from aop_xl.checks.contract import CheckedBook

    usable = [(p, r) for p, r in zip(paths, report.files) if r.error is None]
    if progress:
        progress(f"recalculating {len(usable)} file(s)", len(paths), total)
    rec = recalculate([p for p, _ in usable], use=engines)
    report.engines = rec.engines
    report.notes.extend(rec.problems)
    for k, (path, file_report) in enumerate(usable):
        if progress:
            progress(f"checking the recalculated {path.name}", len(paths) + k, total)
        wb = file_report._workbook
        areas = None
        if file_report.aop:
            try:
                areas = book_identity(CheckedBook(wb)).layout.check_areas()
            except AopError:
                areas = None
        file_report.findings.extend(recalc_findings(file_report.file, path, wb, rec, areas,
                                                    getattr(file_report, "_template_formulas", None)))
        file_report.findings = _ordered(file_report.findings)



def clear_caches() -> None:
    """Forget everything cached between files (tokenised shapes, rebuilt templates), so that a
    benchmark measures a run as cold as a fresh ``aop-xl validate``."""
    from aop_xl.checks import contract, formula, index

    formula.plan_of.cache_clear()
    formula._CELL_CACHE.clear()
    index._TABLES.clear()
    index._CANON.clear()
    contract._blank_expected.cache_clear()
    contract._placeholder_expected.cache_clear()
