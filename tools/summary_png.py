"""Render the sample plan's Summary page to docs/summary.png (shown in the README).

    uv run python tools/summary_png.py

LibreOffice prints the sample workbook to PDF (Carlito gives Calibri's widths), pdftoppm
turns the Summary's page into a PNG, and docs/summary.png.sha256 records the digest of the
Summary as built (its sheet, drawing and charts). tests/test_docs_summary.py rebuilds the
sample and fails when the digest no longer matches: run this script again and commit both.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PNG = ROOT / "docs" / "summary.png"
STAMP = ROOT / "docs" / "summary.png.sha256"


def summary_digest(xlsx: bytes) -> str:
    """sha256 over the parts that make the Summary's picture: the Summary sheet, its drawing,
    the charts and the styles (in name order)."""
    from aop_xl.workbook.layout import SHEETS, SUMMARY

    sheet = f"xl/worksheets/sheet{SHEETS.index(SUMMARY) + 1}.xml"
    h = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        for name in sorted(z.namelist()):
            if name == sheet or name == "xl/styles.xml" or re.match(r"xl/(charts|drawings)/[^/]+\.xml$", name):
                h.update(name.encode() + b"\0" + z.read(name))
    return h.hexdigest()


def sample_bytes() -> bytes:
    from aop_xl import load_plan
    from aop_xl.workbook.build import workbook_bytes, workbook_for

    return workbook_bytes(workbook_for(load_plan()))


def main() -> int:
    from aop_xl import engines
    from aop_xl.workbook.layout import SUMMARY

    data = sample_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "sample.xlsx"
        book.write_bytes(data)
        pdf = engines.libreoffice_convert([book], Path(tmp), "pdf", ".pdf", 300)[book]
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout.split("\f")
        page = next(i + 1 for i, t in enumerate(text) if re.search(rf"\s{SUMMARY}\s+Page \d+ of", t))
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str(Path(tmp) / "summary")], check=True)
        PNG.write_bytes((Path(tmp) / "summary.png").read_bytes())
    STAMP.write_text(summary_digest(data) + "\n", encoding="utf-8")
    print(f"wrote {PNG.relative_to(ROOT)} and {STAMP.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
