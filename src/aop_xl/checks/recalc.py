"""``--recalc``: recalculate in LibreOffice (and Gnumeric where installed), then V402-V404.

All files go through one LibreOffice run (:mod:`aop_xl.engines`); Gnumeric converts them one
by one. The recalculated copies are read like any workbook; then every check cell of an AOP
workbook (:meth:`aop_xl.workbook.layout.Layout.check_areas`) must be 0, no cell may hold an
error, and where both engines ran their numbers must agree.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aop_xl import engines
from aop_xl.checks.cells import addr, box, rectangles
from aop_xl.checks.reader import Workbook, range_bounds, read_workbook
from aop_xl.checks.rules import RULES, Finding
from aop_xl.errors import AopError
from aop_xl.workbook.book import XlError

AGREE_REL = 1e-9  # relative tolerance between the engines' numbers


@dataclass
class Recalculated:
    """The recalculated copies of the files, by engine, and what could not be done."""

    books: dict[str, dict[Path, Workbook]] = field(default_factory=dict)  # engine -> path -> workbook
    problems: list[str] = field(default_factory=list)  # one line each (engine missing, failed ...)
    engines: list[str] = field(default_factory=list)


ENGINES = ("LibreOffice", "Gnumeric")


def recalculate(paths: list[Path], workdir: Path | None = None, timeout: float | None = None,
                use: tuple[str, ...] = ENGINES) -> Recalculated:
    """Recalculate ``paths`` in the engines of ``use`` that are installed (LibreOffice is required).

    Raises:
        EngineError: LibreOffice is not installed.
    """
    engines.require_libreoffice()
    result = Recalculated()
    with tempfile.TemporaryDirectory(prefix="aop_xl-recalc-", dir=workdir) as tmp:
        out = Path(tmp)
        batch_timeout = timeout or 300 + 120 * len(paths)
        runs = [("LibreOffice", lambda: engines.libreoffice_recalc(paths, out / "libreoffice", batch_timeout))]
        if "Gnumeric" in use and engines.gnumeric() is not None:
            runs.append(("Gnumeric", lambda: engines.gnumeric_recalc(paths, out / "gnumeric", timeout or 600)))
        for name, go in runs:
            try:
                copies = go()
            except AopError as exc:
                result.problems.append(f"{name}: {exc}")
                continue
            result.engines.append(name)
            books = result.books[name] = {}
            for src, copy in copies.items():
                try:
                    books[src] = read_workbook(copy)
                except AopError as exc:
                    result.problems.append(f"{name}: the recalculated copy of {src.name} is unreadable ({exc})")
    return result


def recalc_findings(file: str, path: Path, original: Workbook, rec: Recalculated, check_areas: list[str] | None,
                    template_formulas: dict[str, set[tuple[int, int]]] | None = None) -> Iterator[Finding]:
    """V402-V404 for one file from its recalculated copies.

    Args:
        file: the file name findings carry.
        path: the file's path (the key in ``rec``).
        original: the file as read (its formula cells say which cells are calculated).
        rec: the recalculated copies.
        check_areas: qualified ranges of the AOP workbook's check cells, or None.
        template_formulas: by sheet, the formula cells that are the template's own: a check
            cell is judged only where it holds the template's check formula (elsewhere the
            contract rules already report what is there instead).
    """
    copies = {engine: books[path] for engine, books in rec.books.items() if path in books}
    for engine, book in copies.items():
        for sheet in book.sheets:
            by_error: dict[str, list[tuple[int, int]]] = {}
            for key, value in sheet.values.items():
                if isinstance(value, XlError):
                    by_error.setdefault(str(value), []).append(key)
            for error, cells in sorted(by_error.items()):
                for r in rectangles(cells):
                    first = (r[0], r[1])
                    src = original.sheet(sheet.name)
                    formula = src.formulas.get(first) if src is not None else None
                    what = f" (={formula[:70]})" if formula else ""
                    yield Finding(RULES["V403"], file, f"{engine} gives {error}{what}", sheet=sheet.name,
                                  range=box(*r[:4]), cells=r[4])
        for area in check_areas or []:
            sheet_name, _, ref = area.rpartition("!")
            sheet_name = sheet_name.strip("'").replace("''", "'")
            sheet = book.sheet(sheet_name)
            if sheet is None:
                continue
            r1, c1, r2, c2 = range_bounds(ref)
            ours = template_formulas.get(sheet_name) if template_formulas is not None else None
            bad = {}
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if ours is not None and (r, c) not in ours:
                        continue
                    value = sheet.values.get((r, c))
                    # Numbers only: an error is V403's, and text where a check should be means
                    # the layout is not this one (the contract rules say so).
                    if isinstance(value, float) and not isinstance(value, bool) and value != 0:
                        bad[(r, c)] = value
            for r in rectangles(bad):
                value = bad[(r[0], r[1])]
                yield Finding(RULES["V402"], file, f"the check cell {addr(r[0], r[1])} shows {value!r} in {engine}, "
                              "expected 0", sheet=sheet_name, range=box(*r[:4]), cells=r[4])
    if len(copies) == 2:
        yield from _disagreements(file, original, copies["LibreOffice"], copies["Gnumeric"])


def _disagreements(file: str, original: Workbook, lo: Workbook, gn: Workbook) -> Iterator[Finding]:
    for sheet in original.sheets:
        a, b = lo.sheet(sheet.name), gn.sheet(sheet.name)
        if a is None or b is None:
            continue
        differ: dict[tuple[int, int], tuple] = {}
        for key in sheet.formulas:
            x, y = a.values.get(key), b.values.get(key)
            if isinstance(x, float) and isinstance(y, float) and not isinstance(x, bool) and not isinstance(y, bool):
                if not math.isclose(x, y, rel_tol=AGREE_REL, abs_tol=1e-9):
                    differ[key] = (x, y)
        for r in rectangles(differ):
            x, y = differ[(r[0], r[1])]
            yield Finding(RULES["V404"], file, f"LibreOffice gives {x!r}, Gnumeric {y!r} "
                          f"(={sheet.formulas[(r[0], r[1])][:60]})", sheet=sheet.name, range=box(*r[:4]), cells=r[4])
