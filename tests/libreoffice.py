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

import numpy as np
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineWorkbook

from aop_xl import engines
from aop_xl.engine.budget import MONTH_COLUMNS, budget_summary
from aop_xl.engine.commission import commission_statement
from aop_xl.engine.kpi import kpi_status
from aop_xl.engine.quota import quota_units
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError
from aop_xl.workbook.layout import BCG_CLASSES, MONTHS, QUARTERS, RETURN_KEYS

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


def nonzero_checks(book: Recalculated, layout) -> list[str]:
    """Check cells (layout.check_areas) that do not show 0."""
    out = []
    for area in layout.check_areas():
        sheet, ref = area.rsplit("!", 1)
        sheet = sheet.strip("'")
        c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                v = book.value(sheet, f"{get_column_letter(c)}{r}")
                if v not in (None, 0):
                    out.append(f"{sheet}!{get_column_letter(c)}{r}={v!r}")
    return out


def compare(book: Recalculated, expectations, unit: float) -> list[str]:
    """Compare a recalculated workbook with (sheet, cell, expected, kind, what) expectations.

    Kinds: ``units`` (a whole number of units, exactly the engine's), ``amount``/``rate``
    (1e-9 relative), ``int``, ``text``, ``empty`` (no value or ""). Returns every mismatch.
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
        elif kind == "units":
            q = got / unit
            # LibreOffice stores 15 significant digits: a whole number of units within that.
            bad = round(q) != expected or abs(q - round(q)) > max(1e-6, 1e-11 * abs(q))
        elif kind == "int":
            bad = got != expected
        else:
            bad = abs(got - expected) > 1e-9 * max(1.0, abs(expected))
        if bad:
            out.append(f"{sheet}!{ref} ({what}): workbook {got!r}, engine {expected!r} [{kind}]")
    return out


def expectations(plan, layout, sales: dict | None = None) -> tuple[list, list[str]]:
    """Every workbook cell with an engine counterpart, and the engine's value for it.

    Args:
        plan: the plan the workbook was built from (or filled with).
        layout: the workbook's layout.
        sales: rep name -> annual sales entered on the Commission sheet.

    Returns:
        (expectations for :func:`compare`, notes on parts the engine refused to compute).
    """
    exp, notes = [], []
    t = target_units(plan)
    R, P = len(plan.regions), len(plan.products)
    stride = layout.capacity.products  # cube rows per region in the workbook

    def add(table, key, i, value, kind, what):
        exp.append((table.sheet, table.cell(key, i), value, kind, what))

    def months_and_quarters(table, i, months, what):
        for m, key in enumerate(MONTHS):
            add(table, key, i, int(months[m]), "units", f"{what} {key}")
        for q, key in enumerate(QUARTERS):
            add(table, key, i, int(months[3 * q:3 * q + 3].sum()), "units", f"{what} {key}")

    c = layout.company
    add(c, "year", 0, int(t.total), "units", "total")
    months_and_quarters(c, 0, t.cells.sum(axis=(0, 1)), "total")
    for i in range(R):
        add(layout.region_targets, "year", i, int(t.regions[i]), "units", f"region {i}")
        months_and_quarters(layout.region_targets, i, t.cells[i].sum(axis=0), f"region {i}")
        for j in range(P):
            add(layout.cube, "year", i * stride + j, int(t.region_products[i, j]), "units", f"cell {i},{j}")
            months_and_quarters(layout.cube, i * stride + j, t.cells[i, j], f"cell {i},{j}")
    for j in range(P):
        add(layout.product_targets, "year", j, int(t.region_products[:, j].sum()), "units", f"product {j}")
        months_and_quarters(layout.product_targets, j, t.cells[:, j].sum(axis=0), f"product {j}")
    bcg = np.array([p.bcg for p in plan.products])
    for k, name in enumerate(BCG_CLASSES):
        sel = bcg == name
        add(layout.class_targets, "year", k, int(t.region_products[:, sel].sum()), "units", f"class {name}")
        months_and_quarters(layout.class_targets, k, t.cells[:, sel].sum(axis=(0, 1)), f"class {name}")

    base, chal, base_m, chal_m = quota_units(plan)
    for i in range(len(plan.reps)):
        add(layout.base_quotas, "year", i, int(base[i]), "units", f"base quota {i}")
        months_and_quarters(layout.base_quotas, i, base_m[i], f"base quota {i}")
        add(layout.challenge_quotas, "year", i, int(chal[i]), "units", f"challenge quota {i}")
        months_and_quarters(layout.challenge_quotas, i, chal_m[i], f"challenge quota {i}")

    st = layout.statement
    try:
        s = commission_statement(plan, sales or {})
    except PlanError as exc:
        notes.append(f"commission statement: engine refused ({exc})")
        s = None
    if s is not None:
        for i, row in s.iterrows():
            for key, col, kind in (("sales", "sales", "amount"), ("base", "base_quota", "amount"),
                                   ("challenge", "challenge_quota", "amount"), ("band", "band", "int"),
                                   ("commission", "commission", "amount"), ("marginal", "commission_marginal",
                                   "amount"), ("retroactive", "commission_retroactive", "amount"),
                                   ("effective_rate", "effective_rate", "rate")):
                add(st, key, i, float(row[col]) if kind != "int" else int(row[col]), kind, f"rep {i} {col}")
            att = row["attainment"]
            add(st, "attainment", i, None if np.isnan(att) else float(att), "empty" if np.isnan(att) else "rate",
                f"rep {i} attainment")
            for k in range(len(plan.commission.tiers)):
                add(st, f"band_{k + 1}", i, float(row[f"band_{k + 1}"]), "amount", f"rep {i} band_{k + 1}")

    try:
        b = budget_summary(plan)
    except PlanError as exc:
        notes.append(f"budget: engine refused ({exc})")
        b = None
    if b is not None:
        it = layout.items
        n_items = len(plan.budget)
        for i, row in b.items.iterrows():
            pos = i if i < n_items else layout.capacity.budget  # the derived commission line
            add(it, "cost", pos, float(row["cost"]), "amount", f"item {i} cost")
            for key in MONTH_COLUMNS:
                add(it, key, pos, float(row[key]), "amount", f"item {i} {key}")
        ret = {"revenue": b.revenue, "gross_profit": b.gross_profit, "commission_at_target": b.commission_at_target,
               "sales_cost": b.sales_cost, "shared_cost": b.shared_cost, "roi": b.roi,
               "cost_of_sales_ratio": b.cost_of_sales_ratio, "weighted_gross_margin": b.weighted_gross_margin,
               "break_even_revenue": b.break_even_revenue}
        for key, value in ret.items():
            add(layout.returns, "value", RETURN_KEYS.index(key), value, "empty" if value is None else "amount", key)
        for i, row in b.by_region.iterrows():
            for key, col in (("revenue", "revenue"), ("gross_profit", "gross_profit"), ("item_cost", "item_cost"),
                             ("commission", "commission_at_target"), ("cost", "cost")):
                add(layout.budget_regions, key, i, float(row[col]), "amount", f"region {i} {col}")
            roi = row["roi"]
            missing = roi is None or pd.isna(roi)
            add(layout.budget_regions, "roi", i, None if missing else float(roi), "empty" if missing else "rate",
                f"region {i} roi")
        ra = layout.reallocation
        if len(b.reallocation):
            row = b.reallocation.iloc[0]
            add(ra, "from_region", 0, row["from_region"], "text", "reallocation from")
            add(ra, "to_region", 0, row["to_region"], "text", "reallocation to")
            add(ra, "from_roi", 0, float(row["from_roi"]), "rate", "reallocation from roi")
            add(ra, "to_roi", 0, float(row["to_roi"]), "rate", "reallocation to roi")
            add(ra, "amount", 0, float(row["amount"]), "amount", "reallocation amount")
        else:
            for key in ("from_region", "to_region", "amount"):
                add(ra, key, 0, None, "empty", f"reallocation {key}")

    k = kpi_status(plan)
    for i, row in k.iterrows():
        add(layout.kpi, "target", i, float(row["target"]), "amount", f"kpi {i} target")
        add(layout.kpi, "ytd", i, float(row["ytd_target"]), "amount", f"kpi {i} target to date")
        if row["status"] is None:
            for key in ("variance", "lag", "status"):
                add(layout.kpi, key, i, None, "empty", f"kpi {i} {key}")
        else:
            add(layout.kpi, "variance", i, float(row["variance"]), "amount", f"kpi {i} variance")
            add(layout.kpi, "lag", i, float(row["lag"]), "rate", f"kpi {i} lag")
            add(layout.kpi, "status", i, row["status"], "text", f"kpi {i} status")
    return exp, notes
