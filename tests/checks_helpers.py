"""Helpers for the checks' tests: workbooks written part by part, patched parts, the corpus."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from aop_xl import engines

#: Real workbooks saved by Excel, LibreOffice and other programs (see its provenance.json);
#: used from where they are, never copied into the project. Tests skip when it is absent.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "AOP_2027.xlsx"
TEMPLATE = ROOT / "workbooks" / "AOP_template.xlsx"

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def corpus_files() -> list[Path]:
    """Every workbook-like file of the corpus (not its README and JSON)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.suffix.lower() not in (".md", ".json"))


def sheet_xml(cells: str, extra: str = "", dimension: str | None = None, ns: str = MAIN_NS) -> str:
    """A worksheet part: ``cells`` is the inside of <sheetData> (rows and cells)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{ns}" xmlns:r="{REL_NS if ns == MAIN_NS else STRICT_REL}">{dim}'
            f"<sheetData>{cells}</sheetData>{extra}</worksheet>")


def write_package(path: Path, sheets: dict[str, str], *, names: str = "", strict: bool = False,
                  extra_parts: dict[str, bytes | str] | None = None) -> Path:
    """A minimal .xlsx: ``sheets`` maps sheet name -> worksheet XML (see :func:`sheet_xml`)."""
    main, rel = (STRICT_MAIN, STRICT_REL) if strict else (MAIN_NS, REL_NS)
    rel_type = "http://purl.oclc.org/ooxml/officeDocument/relationships" if strict else \
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    content_types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                     'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                     'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
                     '"application/xml"/></Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 f'package/2006/relationships"><Relationship Id="rId1" Type="{rel_type}/officeDocument" '
                 'Target="xl/workbook.xml"/></Relationships>')
    entries = "".join(f'<sheet name="{name}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, name in enumerate(sheets))
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
                f"<sheets>{entries}</sheets>{names}</workbook>")
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               'package/2006/relationships">' + "".join(
                   f'<Relationship Id="rId{i + 1}" Type="{rel_type}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                   for i in range(len(sheets))) + "</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        for i, xml in enumerate(sheets.values()):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
        for name, data in (extra_parts or {}).items():
            z.writestr(name, data)
    return path


def patch_part(path: Path, part: str, old: str, new: str, count: int = 1) -> Path:
    """Replace text in one part of a package (to make what openpyxl refuses to write)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                text = data.decode("utf-8")
                assert old in text, f"{part}: {old!r} not found"
                data = text.replace(old, new, count).encode("utf-8")
            dst.writestr(info.filename, data)
    tmp.replace(path)
    return path


def part_text(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(part).decode("utf-8")


def sheet_part(path: Path, title: str) -> str:
    """The part name of the worksheet called ``title`` in a file written by openpyxl."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    index = wb.sheetnames.index(title)
    wb.close()
    return f"xl/worksheets/sheet{index + 1}.xml"


def book(path: Path, fill) -> Path:
    """A workbook made with openpyxl: ``fill(ws, wb)`` writes its first sheet."""
    wb = Workbook()
    fill(wb.active, wb)
    wb.save(path)
    return path


def require_gnumeric() -> str:
    """Gnumeric's ssconvert; skip without it (fail under AOP_XL_REQUIRE_GNUMERIC=1, as in CI)."""
    exe = engines.gnumeric()
    if exe is None:
        if os.environ.get("AOP_XL_REQUIRE_GNUMERIC") == "1":
            pytest.fail(engines.GNUMERIC_HINT + " (required: AOP_XL_REQUIRE_GNUMERIC=1)")
        pytest.skip(engines.GNUMERIC_HINT)
    return exe
