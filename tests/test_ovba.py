"""The VBA project writer, checked with independent readers: oletools (olevba's
decompressor and parser) and olefile (the compound file)."""

from __future__ import annotations

import random
import struct
import warnings
import zipfile

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # oletools still uses pyparsing's pre-3.0 names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

from aop_xl.errors import AddinError
from aop_xl.xl.addin import xlwings_dir
from aop_xl.xl.cfb import build_cfb
from aop_xl.xl.ovba import (
    WORKSHEET_BASE,
    ModuleKind,
    VbaModule,
    build_vba_project,
    compress,
    document_module,
    parse_module,
)


def decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


# --- compression (MS-OVBA 2.4.1) ----------------------------------------------------------

LOREM = (
    "Sub Recalculate()\r\n    ' Split every annual target into months that add up exactly.\r\n"
    '    Dim region As String, total As Double\r\n    RunPython "import aop_xl"\r\nEnd Sub\r\n'
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b'Attribute VB_Name = "M"\r\n', id="short-text"),
        pytest.param((LOREM * 60).encode(), id="text-over-4096"),
        pytest.param(b"a" * 20000, id="one-byte-repeated"),
        pytest.param(b"Dim x As Long\r\n" * 1500, id="repeated-line"),
        pytest.param(random.Random(7).randbytes(10000), id="random-10000"),
        pytest.param(random.Random(8).randbytes(8192), id="random-two-full-chunks"),
        pytest.param(random.Random(9).randbytes(3000), id="random-short"),
    ],
)
def test_compression_round_trips_through_olevba(data):
    packed = compress(data)
    assert packed[0] == 0x01
    assert decompress(packed) == data


def test_compression_shrinks_repetitive_text_and_stores_noise_raw():
    assert len(compress(b"a" * 20000)) < 100
    assert len(compress((LOREM * 60).encode())) < len(LOREM * 60) // 5
    noise = compress(random.Random(1).randbytes(4096))
    header = struct.unpack_from("<H", noise, 1)[0]
    assert header == 0x3FFF  # raw chunk: flag 0, signature 0b011, size 4098
    assert len(noise) == 1 + 2 + 4096


def test_short_incompressible_last_chunk_is_padded_as_the_spec_says():
    # 4000 random bytes do not fit a compressed chunk; a raw chunk always holds 4096 bytes.
    data = random.Random(2).randbytes(4000)
    assert decompress(compress(data)) == data + bytes(96)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(b"ab \r\nXYZ"), max_size=12000).map(bytes))
def test_compression_round_trips_for_text_like_data(data):
    assert decompress(compress(data)) == data


# --- compound file ------------------------------------------------------------------------


def test_compound_file_reads_back_with_olefile():
    rng = random.Random(3)
    streams = {
        "PROJECT": b'ID="{x}"\r\n',
        "PROJECTwm": b"\0\0",
        "VBA/dir": rng.randbytes(700),
        "VBA/exactly_4095": rng.randbytes(4095),
        "VBA/exactly_4096": rng.randbytes(4096),
        "VBA/big": rng.randbytes(70000),
        "VBA/Nested/deep": b"deep",
    }
    streams.update({f"VBA/M{i:02d}": rng.randbytes(i * 97) for i in range(1, 40)})
    data = build_cfb(streams)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(streams)
    for path, content in streams.items():
        assert ole.openstream(path).read() == content, path
        assert ole.get_size(path) == len(content)
    assert build_cfb(dict(reversed(list(streams.items())))) == data


@pytest.mark.parametrize(
    "streams, fragment",
    [
        ({"VBA/" + "x" * 32: b""}, "invalid name"),
        ({"VBA/a": b"", "VBA/A": b""}, "used twice"),
        ({"VBA": b"", "VBA/a": b""}, "it is a stream"),
    ],
)
def test_compound_file_rejects_bad_names(streams, fragment):
    with pytest.raises(AddinError, match=fragment):
        build_cfb(streams)


# --- VBA project --------------------------------------------------------------------------

MODULES = [
    document_module("ThisWorkbook", code="Private Sub Workbook_Open()\nEnd Sub\n"),
    document_module("Sheet1", WORKSHEET_BASE),
    VbaModule(
        "Helpers",
        ModuleKind.STANDARD,
        "Option Explicit\n\nFunction Twice(x)\n    Twice = 2 * x\nEnd Function\n",
    ),
    parse_module(
        'VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  \'True\nEND\nAttribute VB_Name = "Counter"\n'
        "Attribute VB_Exposed = True\nPrivate n As Long\nPublic Sub Bump()\n    n = n + 1\nEnd Sub\n"
    ),
]


def parsed(vba_project: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(vba_project)
    parser = VBA_Parser(str(path), relaxed=False)
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_olevba_reads_every_module_with_its_exact_source(tmp_path):
    got = parsed(build_vba_project(MODULES, project_name="Demo"), tmp_path)
    ext = {ModuleKind.STANDARD: ".bas", ModuleKind.CLASS: ".cls", ModuleKind.DOCUMENT: ".cls"}
    assert got == {m.name + ext[m.kind]: m.source() for m in MODULES}
    assert got["Helpers.bas"] == (
        'Attribute VB_Name = "Helpers"\r\nOption Explicit\r\n\r\nFunction Twice(x)\r\n'
        "    Twice = 2 * x\r\nEnd Function\r\n"
    )
    counter = got["Counter.cls"].splitlines()
    assert counter[:8] == [
        'Attribute VB_Name = "Counter"',
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = False",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = False",
    ]


def _decrypt(hex_text: str) -> tuple[int, int, bytes]:
    """MS-OVBA 2.4.3.3 data decryption, written here independently of the encryptor."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = raw[:3]
    key = seed ^ key_enc
    plain, enc1, enc2 = key, key_enc, version_enc
    out = []
    for enc in raw[3:]:
        byte = enc ^ ((enc2 + plain) & 0xFF)
        enc2, enc1, plain = enc1, enc, byte
        out.append(byte)
    data = bytes(out[(seed & 6) // 2 :])
    (length,) = struct.unpack_from("<I", data)
    assert length == len(data) - 4
    return seed ^ version_enc, key, data[4:]


def _project_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.split("\r\n\r\n")[0].splitlines())


def test_project_stream_protection_values_decrypt_as_office_writes_them():
    with zipfile.ZipFile(xlwings_dir() / "quickstart_addin_ribbon.xlam") as zf:
        excel_made = zf.read("xl/vbaProject.bin")
    ours = build_vba_project(MODULES, project_name="Demo")
    for blob in (excel_made, ours):
        ole = olefile.OleFileIO(blob)
        props = _project_properties(ole.openstream("PROJECT").read().decode("cp1252"))
        key = sum(props["ID"].strip('"').encode()) & 0xFF
        expected = {"CMG": bytes(4), "DPB": b"\0", "GC": b"\xff"}  # unprotected, no password, visible
        for name, value in expected.items():
            assert _decrypt(props[name].strip('"')) == (2, key, value), name


def test_streams_and_references(tmp_path):
    ole = olefile.OleFileIO(build_vba_project(MODULES, project_name="Demo"))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x00\x00"
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert project.splitlines()[1:6] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Module=Helpers",
        "Class=Counter",
        'Name="Demo"',
    ]
    wm = ole.openstream("PROJECTwm").read()
    assert wm.startswith(b"ThisWorkbook\0" + "ThisWorkbook".encode("utf-16-le") + b"\0\0")
    assert wm.endswith(b"Counter\0" + "Counter".encode("utf-16-le") + b"\0\0\0\0")
    directory = decompress(ole.openstream("VBA/dir").read())
    assert b"*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#" in directory  # stdole
    assert b"*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#" in directory  # Office
    for name in ("ThisWorkbook", "Sheet1", "Helpers", "Counter"):
        assert ole.openstream(f"VBA/{name}").read()[0] == 0x01  # source only, at offset 0


def dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """Walk the records of a decompressed dir stream (MS-OVBA 2.3.4.2)."""
    records, pos = [], 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x09:  # PROJECTVERSION: Reserved (always 4), then 6 bytes of version
            size = 6
        records.append((rid, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    assert pos == len(data) and records[-1] == (0x10, b"")
    return records


def test_dir_stream_records():
    with zipfile.ZipFile(xlwings_dir() / "quickstart_addin_ribbon.xlam") as zf:
        excel_made = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
    assert [
        p for r, p in dir_records(decompress(excel_made.openstream("VBA/dir").read())) if r == 0x19
    ] == [
        b"ThisWorkbook",
        b"Dictionary",
        b"RibbonMyAddin",
        b"Sheet2",
        b"xlwings",
    ]  # the walker reads Office's own dir stream

    ole = olefile.OleFileIO(build_vba_project(MODULES, project_name="Demo"))
    records = dir_records(decompress(ole.openstream("VBA/dir").read()))
    first = dict(records[:8])
    assert first[0x03] == struct.pack("<H", 1252) and first[0x04] == b"Demo"
    assert [p for r, p in records if r == 0x16] == [b"stdole", b"Office"]
    libids = [p[4 : 4 + struct.unpack_from("<I", p)[0]] for r, p in records if r == 0x0D]
    assert [x[:42] for x in libids] == [
        b"*\\G{00020430-0000-0000-C000-000000000046}#",
        b"*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#",
    ]
    assert dict(records)[0x0F] == struct.pack("<H", len(MODULES))
    modules = []
    for rid, payload in records:
        if rid == 0x19:
            modules.append([payload.decode()])
        elif rid in (0x31, 0x21, 0x22):
            modules[-1].append((rid, payload))
    expected_type = {ModuleKind.STANDARD: 0x21, ModuleKind.CLASS: 0x22, ModuleKind.DOCUMENT: 0x22}
    assert modules == [[m.name, (0x31, bytes(4)), (expected_type[m.kind], b"")] for m in MODULES]


def test_same_modules_give_same_bytes():
    assert build_vba_project(MODULES, project_name="Demo") == build_vba_project(
        MODULES, project_name="Demo"
    )


@pytest.mark.parametrize(
    "modules, fragment",
    [
        ([VbaModule("Euro", ModuleKind.STANDARD, "' price in \u20ac\n' \u4e2d\n")], "Euro"),
        ([VbaModule("A", ModuleKind.STANDARD), VbaModule("a", ModuleKind.STANDARD)], "more than once"),
        ([VbaModule("1st", ModuleKind.STANDARD)], "'1st'"),
        ([VbaModule("x" * 32, ModuleKind.STANDARD)], "at most 31"),
    ],
)
def test_invalid_projects_name_the_module(modules, fragment):
    with pytest.raises(AddinError, match=fragment):
        build_vba_project(modules)


def test_parse_module_needs_a_name():
    with pytest.raises(AddinError, match="Helpers.bas: no 'Attribute VB_Name"):
        parse_module("Sub A()\nEnd Sub\n", origin="Helpers.bas")
