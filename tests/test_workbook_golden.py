"""Golden files: the sample workbook's XML parts, and the committed workbooks' bytes.

The XML parts are normalised (timestamps in docProps/core.xml, calcPr and the workbook view
removed, relationships sorted, pretty-printed) and compared with tests/golden/sample/, so an
unintended change to the template shows as a readable diff naming the part and the lines.
workbooks/AOP_2027.xlsx and workbooks/AOP_template.xlsx are rebuilt and must be the committed
bytes. Regenerate both after an intended change with AOP_XL_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import zipfile
from pathlib import Path
from xml.dom import minidom

import openpyxl.xml
import pytest

from aop_xl import load_plan
from aop_xl.cli import DEFAULT_SPARE
from aop_xl.workbook import workbook_bytes, workbook_for

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "sample"
# What `aop-xl build` and `aop-xl build --blank` write (the plan's workbook with its spare rows).
COMMITTED = {"AOP_2027.xlsx": lambda: workbook_for(load_plan(), spare=DEFAULT_SPARE),
             "AOP_template.xlsx": lambda: workbook_for(None)}
UPDATE = os.environ.get("AOP_XL_UPDATE_GOLDEN") == "1"
HINT = "if the change is intended, regenerate with AOP_XL_UPDATE_GOLDEN=1 uv run pytest tests/test_workbook_golden.py"


def normalise(name: str, data: bytes) -> str:
    """One XML part as stable, pretty-printed text."""
    text = data.decode("utf-8")
    if name == "docProps/core.xml":
        text = re.sub(r"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", "", text)
    if name == "xl/workbook.xml":
        text = re.sub(r"<calcPr[^>]*/>", "", text)
        text = re.sub(r"<bookViews>.*?</bookViews>", "", text, flags=re.S)
    if name.endswith(".rels"):
        rels = sorted(re.findall(r"<Relationship [^>]*/>", text), key=lambda r: re.search(r'Id="([^"]*)"', r).group(1))
        text = re.sub(r"(<Relationships[^>]*>).*(</Relationships>)", lambda m: m.group(1) + "".join(rels) + m.group(2),
                      text, flags=re.S)
    pretty = minidom.parseString(text.encode("utf-8")).toprettyxml(indent="  ")
    return "\n".join(line for line in pretty.splitlines() if line.strip()) + "\n"


def sample_parts() -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(workbook_for(load_plan())))) as z:
        return {name: normalise(name, z.read(name)) for name in sorted(z.namelist())}


def _golden_path(part: str) -> Path:
    return GOLDEN / (part if part.endswith((".xml", ".rels")) else part + ".xml")


def test_sample_workbook_matches_golden_xml():
    parts = sample_parts()
    if UPDATE:
        for old in sorted(GOLDEN.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
        for part, text in parts.items():
            path = _golden_path(part)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    golden = {str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8") for p in GOLDEN.rglob("*") if p.is_file()}
    expected_names = {str(_golden_path(p).relative_to(GOLDEN)) for p in parts}
    problems = []
    if set(golden) != expected_names:
        problems.append(f"parts differ: missing {sorted(set(golden) - expected_names)}, "
                        f"new {sorted(expected_names - set(golden))}")
    for part, text in parts.items():
        want = golden.get(str(_golden_path(part).relative_to(GOLDEN)))
        if want is not None and want != text:
            diff = difflib.unified_diff(want.splitlines(), text.splitlines(), f"golden/{part}", f"built/{part}",
                                        lineterm="", n=2)
            problems.append("\n".join(list(diff)[:60]))
    assert not problems, "\n\n".join(problems) + f"\n\n{HINT}"


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_workbooks_are_rebuilt_byte_for_byte(name):
    if openpyxl.xml.LXML:
        pytest.skip("the committed bytes are openpyxl's pure-Python serialisation; this environment has lxml")
    data = workbook_bytes(COMMITTED[name]())
    path = ROOT / "workbooks" / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path} is missing; {HINT}"
    assert path.read_bytes() == data, f"{path} differs from a fresh build; {HINT}"
