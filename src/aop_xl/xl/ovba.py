"""Write a VBA project storage (``vbaProject.bin``, MS-OVBA) from module source text.

The project carries source code only: ``_VBA_PROJECT`` has version 0xFFFF and no
performance cache, so Office compiles the modules from source when it opens the file.
Streams written (MS-OVBA 2.2): ``PROJECT`` (text properties), ``PROJECTwm`` (module
names), ``VBA/_VBA_PROJECT``, ``VBA/dir`` (compressed project information, references and
modules) and one compressed source stream per module under ``VBA/``. Compression is the
MS-OVBA 2.4.1 algorithm; the container is written by :mod:`aop_xl.xl.cfb`.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from aop_xl.errors import AddinError
from aop_xl.xl.cfb import build_cfb

CODEPAGE = 1252
_CODEC = "cp1252"
_LCID = 0x0409
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}")

WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"


class ModuleKind(Enum):
    """What a VBA module is: a standard (.bas), class (.cls) or document module."""

    STANDARD = "standard"
    CLASS = "class"
    DOCUMENT = "document"


# Attribute lines Office writes at the top of class and document modules, in this order.
_CLASS_ATTRIBUTES = (
    "VB_Base",
    "VB_GlobalNameSpace",
    "VB_Creatable",
    "VB_PredeclaredId",
    "VB_Exposed",
    "VB_TemplateDerived",
    "VB_Customizable",
)
_DEFAULTS = {
    ModuleKind.CLASS: (f'"{CLASS_BASE}"', "False", "False", "False", "False", "False", "False"),
    ModuleKind.DOCUMENT: (f'"{WORKBOOK_BASE}"', "False", "False", "True", "True", "False", "True"),
}


@dataclass(frozen=True)
class VbaModule:
    """One VBA module.

    Attributes:
        name: module name (a VBA identifier, at most 31 characters).
        kind: standard, class or document module.
        code: the code as the VBA editor shows it, without the leading ``Attribute`` lines.
        attributes: module attributes other than ``VB_Name`` as (name, value text) pairs,
            e.g. ``("VB_Base", '"0{00020820-0000-0000-C000-000000000046}"')`` for a sheet.
    """

    name: str
    kind: ModuleKind
    code: str = ""
    attributes: tuple[tuple[str, str], ...] = ()

    def source(self) -> str:
        """Return the text stored in the module stream: attribute lines, then the code.

        Returns:
            The source with CRLF line ends, as Office stores it.
        """
        lines = [f'Attribute VB_Name = "{self.name}"']
        given = dict(self.attributes)
        if self.kind in _DEFAULTS:
            for key, default in zip(_CLASS_ATTRIBUTES, _DEFAULTS[self.kind]):
                lines.append(f"Attribute {key} = {given.get(key, default)}")
        lines += [f"Attribute {k} = {v}" for k, v in self.attributes if k not in _CLASS_ATTRIBUTES]
        code = self.code.replace("\r\n", "\n").replace("\r", "\n")
        if code and not code.endswith("\n"):
            code += "\n"
        return "\r\n".join(lines) + "\r\n" + code.replace("\n", "\r\n")


def document_module(name: str, base: str = WORKBOOK_BASE, code: str = "") -> VbaModule:
    """Make the document module of the workbook (``ThisWorkbook``) or of a sheet.

    Args:
        name: the code name, e.g. ``"ThisWorkbook"`` or ``"Sheet1"``.
        base: ``WORKBOOK_BASE`` or ``WORKSHEET_BASE``.
        code: event handlers, if any.

    Returns:
        The module.
    """
    return VbaModule(name, ModuleKind.DOCUMENT, code, (("VB_Base", f'"{base}"'),))


def parse_module(text: str, *, origin: str = "module") -> VbaModule:
    """Read a module exported by the VBA editor (.bas or .cls text).

    Args:
        text: the file content; a ``VERSION 1.0 CLASS`` block marks a class module, a
            ``VB_Base`` of a workbook or worksheet marks a document module.
        origin: file name used in error messages.

    Returns:
        The module, named after its ``Attribute VB_Name`` line.

    Raises:
        AddinError: the text has no ``Attribute VB_Name`` line.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kind = ModuleKind.STANDARD
    if lines and lines[0].strip().upper().startswith("VERSION ") and "CLASS" in lines[0].upper():
        kind = ModuleKind.CLASS
        ends = [i for i, line in enumerate(lines) if line.strip().upper() == "END"]
        if not ends:
            raise AddinError(f"{origin}: class header 'VERSION 1.0 CLASS' has no END line")
        lines = lines[ends[0] + 1 :]
    attributes: list[tuple[str, str]] = []
    while lines and (m := re.match(r"Attribute\s+(VB_\w+)\s*=\s*(.*)$", lines[0])):
        attributes.append((m.group(1), m.group(2).strip()))
        lines.pop(0)
    names = [v for k, v in attributes if k == "VB_Name"]
    if not names:
        raise AddinError(f"{origin}: no 'Attribute VB_Name = \"...\"' line at the top")
    base = dict(attributes).get("VB_Base", "").strip('"').upper()
    if base in (WORKBOOK_BASE, WORKSHEET_BASE):
        kind = ModuleKind.DOCUMENT
    rest = tuple((k, v) for k, v in attributes if k != "VB_Name")
    return VbaModule(names[0].strip('"'), kind, "\n".join(lines), rest)


@dataclass(frozen=True)
class Reference:
    """A registered type library the project refers to (MS-OVBA REFERENCEREGISTERED)."""

    name: str
    libid: str


STDOLE = Reference(
    "stdole",
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb"
    "#OLE Automation",
)
OFFICE = Reference(
    "Office",
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
    r"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
)
DEFAULT_REFERENCES = (STDOLE, OFFICE)


# --- MS-OVBA 2.4.1 compression ------------------------------------------------------------

_CHUNK = 4096


def compress(data: bytes) -> bytes:
    """Compress with the MS-OVBA 2.4.1 algorithm.

    Args:
        data: the bytes to compress.

    Returns:
        A CompressedContainer: signature byte 0x01, then one chunk per 4096 input bytes.
        As the specification says, an incompressible chunk is stored raw and padded to
        4096 bytes.
    """
    data = bytes(data)
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(data, start, min(start + _CHUNK, len(data)))
    return bytes(out)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """One CompressedChunk: greedy longest match, nearest candidate on ties (2.4.1.3.19.4)."""
    body = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions in this chunk
    pos = start

    def remember(p: int) -> None:
        if p + 3 <= end:
            seen.setdefault(data[p : p + 3], []).append(p)

    while pos < end:
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if pos >= end:
                break
            bit_count = max((pos - start - 1).bit_length(), 4)
            limit = min((0xFFFF >> bit_count) + 3, end - pos)
            best_len, best_at = 0, 0
            for cand in reversed(seen.get(data[pos : pos + 3], ())):
                if data[cand + best_len] != data[pos + best_len]:
                    continue  # cannot beat the best match so far
                n = 0
                while n < limit and data[cand + n] == data[pos + n]:
                    n += 1
                if n > best_len:
                    best_len, best_at = n, cand
                    if n == limit:
                        break
            if best_len >= 3:
                token = ((pos - best_at - 1) << (16 - bit_count)) | (best_len - 3)
                body += struct.pack("<H", token)
                body[flag_at] |= 1 << bit
                for p in range(pos, pos + best_len):
                    remember(p)
                pos += best_len
            else:
                body.append(data[pos])
                remember(pos)
                pos += 1
    if len(body) > _CHUNK:  # raw chunk: header flag 0, size field 4095
        return struct.pack("<H", 0x3FFF) + data[start:end].ljust(_CHUNK, b"\0")
    return struct.pack("<H", 0xB000 | (len(body) - 1)) + body


# --- streams ------------------------------------------------------------------------------


def _mbcs(text: str, what: str) -> bytes:
    try:
        return text.encode(_CODEC)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise AddinError(f"{what}: {bad!r} cannot be stored in code page {CODEPAGE}") from None


def _rec(rid: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _pair(rid: int, rid_unicode: int, text: str, what: str) -> bytes:
    """A record and its Unicode twin (names, doc strings, help files, constants)."""
    return _rec(rid, _mbcs(text, what)) + _rec(rid_unicode, text.encode("utf-16-le"))


def _dir_stream(project_name: str, modules: Sequence[VbaModule], refs: Sequence[Reference]) -> bytes:
    """The decompressed ``dir`` stream (MS-OVBA 2.3.4.2)."""
    u16, u32 = (lambda v: struct.pack("<H", v)), (lambda v: struct.pack("<I", v))
    out = bytearray()
    out += _rec(0x01, u32(1))  # PROJECTSYSKIND: 32-bit Windows
    out += _rec(0x02, u32(_LCID)) + _rec(0x14, u32(_LCID)) + _rec(0x03, u16(CODEPAGE))
    out += _rec(0x04, _mbcs(project_name, "VBA project name"))
    out += _pair(0x05, 0x40, "", "doc string") + _pair(0x06, 0x3D, "", "help file")
    out += _rec(0x07, u32(0)) + _rec(0x08, u32(0))  # help context, library flags
    out += struct.pack("<HIIH", 0x09, 4, 1, 0)  # PROJECTVERSION 1.0
    out += _pair(0x0C, 0x3C, "", "constants")
    for ref in refs:
        out += _pair(0x16, 0x3E, ref.name, f"reference {ref.name}")
        libid = _mbcs(ref.libid, f"reference {ref.name}")
        out += struct.pack("<HII", 0x0D, len(libid) + 10, len(libid)) + libid + u32(0) + u16(0)
    out += _rec(0x0F, u16(len(modules))) + _rec(0x13, u16(0xFFFF))
    for m in modules:
        out += _pair(0x19, 0x47, m.name, f"VBA module {m.name}")
        out += _pair(0x1A, 0x32, m.name, f"VBA module {m.name}")  # stream name
        out += _pair(0x1C, 0x48, "", "doc string")
        out += _rec(0x31, u32(0))  # source starts at offset 0: no p-code
        out += _rec(0x1E, u32(0)) + _rec(0x2C, u16(0xFFFF))
        out += _rec(0x21 if m.kind is ModuleKind.STANDARD else 0x22, b"")
        out += _rec(0x2B, b"")
    out += _rec(0x10, b"")
    return bytes(out)


def _encrypt(data: bytes, project_id: str, seed: int = 0x37) -> str:
    """MS-OVBA 2.4.3.2 data encryption, as hex text for ``PROJECT`` (CMG, DPB, GC)."""
    key = sum(project_id.encode("ascii")) & 0xFF
    out = [seed, seed ^ 2, seed ^ key]
    plain, enc1, enc2 = key, seed ^ key, seed ^ 2
    for byte in bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data:
        enc = byte ^ ((enc2 + plain) & 0xFF)
        out.append(enc)
        enc2, enc1, plain = enc1, enc, byte
    return bytes(out).hex().upper()


def _project_stream(project_name: str, project_id: str, modules: Sequence[VbaModule]) -> bytes:
    """The ``PROJECT`` stream: project properties as text (MS-OVBA 2.3.1)."""
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind is ModuleKind.DOCUMENT:
            lines.append(f"Document={m.name}/&H00000000")
        else:
            lines.append(("Module=" if m.kind is ModuleKind.STANDARD else "Class=") + m.name)
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(bytes(4), project_id)}"',  # not protected
        f'DPB="{_encrypt(bytes(1), project_id)}"',  # no password
        f'GC="{_encrypt(bytes([0xFF]), project_id)}"',  # visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return _mbcs("\r\n".join(lines) + "\r\n", "PROJECT stream")


def build_vba_project(
    modules: Sequence[VbaModule],
    *,
    project_name: str = "VBAProject",
    references: Sequence[Reference] = DEFAULT_REFERENCES,
) -> bytes:
    """Write ``vbaProject.bin`` for the given modules.

    Args:
        modules: the modules, in the order the VBA editor should list them. A workbook
            needs a document module for itself and one per sheet, named after the code
            names in its XML parts.
        project_name: the VBA project's name (a VBA identifier).
        references: type libraries the code uses; VBA and the host application (Excel)
            are always available and need no entry.

    Returns:
        The bytes of the compound file; the same input always gives the same bytes.

    Raises:
        AddinError: a name is not a VBA identifier, two modules share a name, or source
            text has characters outside code page 1252.
    """
    for name, what in [(project_name, "VBA project name")] + [
        (m.name, "VBA module name") for m in modules
    ]:
        if not _IDENTIFIER.fullmatch(name):
            raise AddinError(f"{what} {name!r}: use a letter, then letters, digits or _ (at most 31)")
    names = [m.name.upper() for m in modules]
    if dupes := sorted({m.name for m in modules if names.count(m.name.upper()) > 1}):
        raise AddinError(f"VBA module names used more than once: {', '.join(dupes)}")
    project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"vba-project:{project_name}")).upper() + "}"
    streams = {
        "PROJECT": _project_stream(project_name, project_id, modules),
        "PROJECTwm": b"".join(
            _mbcs(m.name, "VBA module name") + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
            for m in modules
        )
        + b"\0\0",
        "VBA/_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000),
        "VBA/dir": compress(_dir_stream(project_name, modules, references)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(_mbcs(m.source(), f"VBA module {m.name}"))
    return build_cfb(streams, label=f"VBA project {project_name}")
