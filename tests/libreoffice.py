"""Recalculate workbooks in LibreOffice headless: the real spreadsheet engine of the tests.

One ``soffice`` process converts many files (start-up costs seconds), with a private profile
that forces "always recalculate on load" for OOXML files, so every formula's value in the
converted copy comes from LibreOffice, not from a cached value.

Without ``soffice`` the tests that need it are skipped with a message saying how to enable
them, unless ``AOP_XL_REQUIRE_LIBREOFFICE=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineWorkbook

from aop_xl import engines
from aop_xl.workbook.engine_values import engine_cells

ENABLE_HINT = "LibreOffice is not installed: apt-get install libreoffice-calc-nogui (or set PATH to soffice)"


def soffice() -> str | None:
    """Path of the soffice executable, or None."""
    return engines.libreoffice()


def require_soffice() -> str:
    """The soffice path; skip the test without it (fail under AOP_XL_REQUIRE_LIBREOFFICE=1)."""
    path = soffice()
    if path is None:
        if os.environ.get("AOP_XL_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(ENABLE_HINT + " (required: AOP_XL_REQUIRE_LIBREOFFICE=1)")
        pytest.skip(ENABLE_HINT)
    return path


def convert(paths: list[Path], outdir: Path, target: str, suffix: str, timeout: float = 600) -> dict[Path, Path]:
    """Convert ``paths`` in one soffice run; return input path -> converted file.

    The soffice run itself (the profile that always recalculates, the time-out) belongs to
    :mod:`aop_xl.engines`.

    Args:
        paths: input files (distinct file names).
        outdir: where the converted files go.
        target: soffice's --convert-to argument (e.g. "pdf").
        suffix: the converted files' suffix (e.g. ".pdf").
        timeout: seconds for the whole batch.

    Raises:
        RuntimeError: soffice failed or did not finish (an :class:`aop_xl.engines.EngineError`).
    """
    require_soffice()
    return engines.libreoffice_convert(list(paths), Path(outdir), target, suffix, timeout)


def recalc(paths: list[Path], outdir: Path, timeout: float = 600) -> dict[Path, Path]:
    """Recalculate .xlsx ``paths`` in one soffice run; return input path -> recalculated copy."""
    return convert(paths, outdir, "xlsx:Calc MS Excel 2007 XML", ".xlsx", timeout)


# ---------------------------------------------------------------- comparing with the engine


class Recalculated:
    """The values of a recalculated workbook (read with python-calamine, fast) and its errors.

    Errors are found in the XML itself (cells of type ``e``), so user text such as "#N/A"
    (a string) is never mistaken for an error.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        book = CalamineWorkbook.from_path(str(path))
        self.sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                       for name in book.sheet_names}

    def value(self, sheet: str, ref: str):
        """The cell's value: a float, a str, a bool, or None when empty."""
        col, row = coordinate_from_string(ref.replace("$", ""))
        rows = self.sheets[sheet]
        c = column_index_from_string(col) - 1
        if row - 1 >= len(rows) or c >= len(rows[row - 1]):
            return None
        v = rows[row - 1][c]
        return None if v == "" else v

    def cells(self):
        """Every non-empty cell as (sheet, A1 reference, value)."""
        for sheet, rows in self.sheets.items():
            for r, row in enumerate(rows, 1):
                for c, v in enumerate(row):
                    if v != "" and v is not None:
                        yield sheet, f"{get_column_letter(c + 1)}{r}", v

    def errors(self) -> list[str]:
        """Every cell of every sheet that holds an error value, as Sheet!A1=#ERR."""
        out = []
        with zipfile.ZipFile(self.path) as z:
            names = re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', z.read("xl/workbook.xml").decode())
            rels = _rel_targets(z.read("xl/_rels/workbook.xml.rels").decode())
            for name, rid in names:
                xml = z.read("xl/" + rels[rid].lstrip("/").removeprefix("xl/")).decode()
                for m in re.finditer(r'<c r="([A-Z]+[0-9]+)"[^>]*t="e"[^>]*>(?:<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>', xml):
                    out.append(f"{name}!{m.group(1)}={m.group(2)}")
        return out


def _rel_targets(xml: str) -> dict[str, str]:
    out = {}
    for rel in re.findall(r"<Relationship [^>]*/>", xml):
        rid = re.search(r'Id="([^"]+)"', rel).group(1)
        out[rid] = re.search(r'Target="([^"]+)"', rel).group(1)
    return out


def formula_cells(path: Path) -> dict[str, set[str]]:
    """Sheet name -> references of the cells that hold a formula in an .xlsx file (plain or
    shared), read from its XML."""
    out: dict[str, set[str]] = {}
    with zipfile.ZipFile(path) as z:
        names = re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', z.read("xl/workbook.xml").decode())
        rels = _rel_targets(z.read("xl/_rels/workbook.xml.rels").decode())
        for name, rid in names:
            xml = z.read("xl/" + rels[rid].lstrip("/").removeprefix("xl/")).decode()
            out[name] = set(re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*><f[ >/]', xml))
    return out


def nonzero_checks(book: Recalculated, layout, built: Path | None = None) -> list[str]:
    """Check cells (layout.check_areas) that do not show 0. Given the built file, every check
    cell that holds a formula there must show the number 0: a blank or a text is a failure."""
    out = []
    formulas = formula_cells(built) if built is not None else {}
    for area in layout.check_areas():
        sheet, ref = area.rsplit("!", 1)
        sheet = sheet.strip("'")
        c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cell = f"{get_column_letter(c)}{r}"
                v = book.value(sheet, cell)
                if cell in formulas.get(sheet, ()):
                    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0):
                        out.append(f"{sheet}!{cell}={v!r}")
                elif v not in (None, 0):
                    out.append(f"{sheet}!{cell}={v!r}")
    return out


#: Products and ratios of amounts agree with the engine to the 15 significant digits a file
#: stores (LibreOffice writes 15; the engine keeps 17).
SIGNIFICANT = 1e-14


def compare(book: Recalculated, expectations, unit: float) -> list[str]:
    """Compare a recalculated workbook with (sheet, cell, expected, kind, what) expectations.

    Kinds: ``units`` (a whole number of units, exactly the engine's), ``money`` (an amount of
    whole units, exactly the engine's), ``amount``/``rate``
    (to 15 significant digits), ``int``, ``text``, ``empty`` (no value or ""). Returns every mismatch.
    """
    out = []
    for sheet, ref, expected, kind, what in expectations:
        got = book.value(sheet, ref)
        bad = False
        if kind == "empty":
            bad = got not in (None, "")
        elif kind == "text":
            bad = (got if got is not None else "") != expected
        elif not isinstance(got, (int, float)) or isinstance(got, bool):
            bad = True
        elif kind in ("units", "money"):
            q = got / unit
            want = expected if kind == "units" else round(expected / unit)
            # Exact: the same whole number of units (a file stores 15 significant digits).
            bad = round(q) != want or abs(q - round(q)) > max(1e-6, 1e-11 * abs(q))
        elif kind == "int":
            bad = got != expected
        else:
            # The engine's float, as a file stores it: 15 significant digits.
            bad = abs(got - expected) > SIGNIFICANT * max(1.0, abs(expected))
        if bad:
            out.append(f"{sheet}!{ref} ({what}): workbook {got!r}, engine {expected!r} [{kind}]")
    return out


def expectations(plan, layout, sales: dict | None = None) -> tuple[list, list[str]]:
    """Every workbook cell with an engine counterpart, and the engine's value for it
    (:func:`aop_xl.workbook.engine_values.engine_cells`, the values the build also caches).

    Args:
        plan: the plan the workbook was built from (or filled with).
        layout: the workbook's layout.
        sales: rep name -> annual sales entered on the Commission sheet.

    Returns:
        (expectations for :func:`compare`, notes on parts the engine refused to compute).
    """
    cells, notes = engine_cells(plan, layout, sales)
    return [(c.sheet, c.ref, c.value, c.kind, c.what) for c in cells], notes
