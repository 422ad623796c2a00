"""Untrusted files: each gives a finding or a clear exit 2, never a hang, a traceback or a
memory blow-up.

Every hostile file is made here and checked by the real command in a child process with a
memory limit (address space) and a time-out that only guards against a hang.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
import textwrap
import zipfile

import pytest
from checks_helpers import sheet_xml, write_package

from aop_xl.checks.package import Limits
from aop_xl.checks.validate import validate_file

MEMORY = 2 * 2**30  # bytes of address space for the child (imports included)
HANG = 120  # seconds; a guard against a hang, not a speed requirement


def run_validate(path, *args):
    """``aop-xl validate PATH`` in a child process under a memory limit."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))
        from aop_xl.cli import main
        sys.argv = ["aop-xl", "validate", {str(path)!r}, *{list(args)!r}]
        main()
    """)
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG, env=env)


def assert_unusable(result, *words):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    line = next(x for x in result.stdout.splitlines() if "cannot be checked" in x)
    for word in words:
        assert word in line, line


def assert_finding(result, rule_id):
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f" {rule_id} " in result.stdout, result.stdout


def test_zip_bomb_by_ratio(tmp_path):
    path = write_package(tmp_path / "bomb.xlsx", {"Sheet1": sheet_xml("")})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/zeros.bin", "w") as fh:
        chunk = bytes(2**20)
        for _ in range(40):  # 40 MiB of zeros: about 40 KiB compressed
            fh.write(chunk)
    assert_unusable(run_validate(path), "zip bomb")


def test_zip_bomb_declaring_its_size(tmp_path):
    # A member that claims 4 GiB: refused from the directory, before anything is unpacked.
    path = write_package(tmp_path / "declared.xlsx", {"Sheet1": sheet_xml("")})
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x01\x02")  # the last central directory entry: the sheet
    struct.pack_into("<I", data, end + 24, 0xFFFFFFF0)  # its uncompressed size
    path.write_bytes(bytes(data))
    assert_unusable(run_validate(path), "zip bomb")


def test_billion_laughs(tmp_path):
    # Ten levels of ten references each: 10^9 "lol"s if a parser expanded them.
    entities = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>').replace(
        "<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet", 1)
    path = write_package(tmp_path / "laughs.xlsx", {"Sheet1": xml})
    assert_unusable(run_validate(path), "DTD")


def test_huge_declared_dimension(tmp_path):
    path = write_package(tmp_path / "dimension.xlsx", {"Sheet1": sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576" spans="1:16384"/>', dimension="A1:XFD1048576")})
    assert_finding(run_validate(path), "X310")


def test_merged_whole_column(tmp_path):
    path = write_package(tmp_path / "merged.xlsx", {"Images": sheet_xml(
        '<row r="1"><c r="B1"><v>1</v></c></row>',
        '<mergeCells count="2"><mergeCell ref="B1:B1048576"/><mergeCell ref="A2:XFD2"/></mergeCells>')})
    assert_finding(run_validate(path), "X309")


def test_strict_open_xml(tmp_path):
    path = write_package(tmp_path / "strict.xlsx", {"Sheet1": sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row>', ns="http://purl.oclc.org/ooxml/spreadsheetml/main")}, strict=True)
    assert_finding(run_validate(path), "X311")


def ole2(stream_names: list[str]) -> bytes:
    # The start of an OLE2 compound file: its signature, then directory entry names (UTF-16).
    body = b"".join(name.encode("utf-16-le").ljust(64, b"\0") for name in stream_names)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + body + bytes(4096)


def test_encrypted_workbook(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(ole2(["Root Entry", "EncryptionInfo", "EncryptedPackage"]))
    assert_unusable(run_validate(path), "encrypted")


def test_legacy_xls_renamed(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(ole2(["Root Entry", "Workbook", "\x05SummaryInformation"]))
    assert_unusable(run_validate(path), ".xls")


def test_csv_renamed(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_text("region,target\nEast,9600000\nWest,6000000\n", encoding="utf-8")
    assert_unusable(run_validate(path), "CSV")


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(random.Random(2027).randbytes(200_000))
    assert_unusable(run_validate(path), "not a workbook")


def test_damaged_member(tmp_path):
    path = write_package(tmp_path / "damaged.xlsx", {"Sheet1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    data = bytearray(path.read_bytes())
    at = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    data[at + 10:at + 20] = b"\xff" * 10  # inside the deflated sheet
    path.write_bytes(bytes(data))
    result = run_validate(path)
    assert result.returncode == 2 and "Traceback" not in result.stderr + result.stdout


def test_malformed_xml(tmp_path):
    path = write_package(tmp_path / "malformed.xlsx", {"Sheet1": sheet_xml('<row r="1"><c r="A1"><v>1</v></row>')})
    assert_unusable(run_validate(path), "malformed XML")


def test_unclosed_cells_do_not_make_the_fast_reader_quadratic(tmp_path):
    # Thousands of "<c" without their end: the expression must not rescan the part for each.
    xml = sheet_xml('<row r="1">' + '<c r="A1"><v>1</v>' * 50_000 + "</row>")
    path = write_package(tmp_path / "unclosed.xlsx", {"Sheet1": xml})
    assert_unusable(run_validate(path), "malformed XML")


def test_cell_limit(tmp_path):
    cells = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 30))
    path = write_package(tmp_path / "many.xlsx", {"Sheet1": sheet_xml(cells)})
    report = validate_file(path, limits=Limits(cells=20))
    assert report.error is not None and "over the limit" in report.error


@pytest.mark.parametrize("name", ["missing.xlsx", "folder"])
def test_missing_file_or_folder(tmp_path, name):
    (tmp_path / "folder").mkdir()
    report = validate_file(tmp_path / name)
    assert report.error is not None and "\n" not in report.error
