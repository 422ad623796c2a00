"""Helpers of the planning-round tests: rounds on small plans, and returned files edited the way
a manager's spreadsheet program edits them (cell values changed in the sheet XML, everything
else, cached values included, kept)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from aop_xl.plan import Plan, load_plan, plan_from_dict

SAMPLE = load_plan()


def small_plan(regions: int = 3, reps_per_region: int = 2, **header) -> Plan:
    """The sample plan cut to a few regions (each with a few reps)."""
    d = SAMPLE.model_dump(mode="json", exclude_none=True)
    names = [f"Region {i + 1}" for i in range(regions)]
    d["regions"] = [{"name": n, "market": "core", "weight": 10 + 7 * i} for i, n in enumerate(names)]
    d["reps"] = [{"name": f"{n} rep {k + 1}", "region": n, "share": 1 + k} for n in names
                 for k in range(reps_per_region)]
    d["budget"] = [b for b in d["budget"] if "region" not in b]
    d["plan"].update(header)
    return plan_from_dict(d)


def write_plan(plan: Plan, path: Path) -> Path:
    import json

    path.write_text(json.dumps(plan.model_dump(mode="json"), ensure_ascii=False), encoding="utf-8")
    return path


def sheet_part(data: bytes, sheet: str) -> str:
    """The part name of a sheet in an .xlsx package."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % re.escape(escape(sheet)), workbook).group(1)
    target = re.search(r'<Relationship [^>]*Id="%s"[^>]*Target="([^"]+)"' % rid, rels)
    if target is None:
        target = re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else f"xl/{t}"


def edit_cells(data: bytes, sheet: str, cells: dict[tuple[int, int], object]) -> bytes:
    """The package with these cells' values replaced, as a spreadsheet program saves an edit:
    numbers as numbers, text as inline strings, the cell's style kept."""
    part = sheet_part(data, sheet)
    src = zipfile.ZipFile(io.BytesIO(data))
    xml = src.read(part).decode("utf-8")
    for (row, col), value in cells.items():
        ref = f"{get_column_letter(col)}{row}"
        m = re.search(r'<c r="%s"([^>]*?)(/>|>.*?</c>)' % ref, xml, re.S)
        assert m is not None, f"{sheet}!{ref} is not in the sheet"
        attrs = re.sub(r' t="[^"]*"', "", m.group(1).rstrip(" /")).rstrip()
        if value is None:
            new = f'<c r="{ref}"{attrs}/>'
        elif isinstance(value, str):
            new = f'<c r="{ref}"{attrs} t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        else:
            new = f'<c r="{ref}"{attrs}><v>{value!r}</v></c>'
        xml = xml[:m.start()] + new + xml[m.end():]
    return replace_part(data, part, xml.encode("utf-8"))


def replace_part(data: bytes, part: str, content: bytes) -> bytes:
    """The package with one part's content replaced."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == part else src.read(info.filename))
    return out.getvalue()


def read_part(data: bytes, part: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(part).decode("utf-8")


def test_edit_cells_changes_only_the_cells_asked():
    from openpyxl import load_workbook

    from aop_xl.workbook.build import workbook_bytes, workbook_for

    data = workbook_bytes(workbook_for(small_plan(2, 1)))
    edited = edit_cells(data, "Assumptions", {(1, 1): "changed", (2, 1): 12.5})
    wb = load_workbook(io.BytesIO(edited))
    assert wb["Assumptions"]["A1"].value == "changed" and wb["Assumptions"]["A2"].value == 12.5
    original = load_workbook(io.BytesIO(data))
    assert wb["Assumptions"]["A3"].value == original["Assumptions"]["A3"].value
