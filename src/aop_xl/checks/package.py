"""Open an untrusted .xlsx package safely: what the file is, and its parts within limits.

Files handed to ``aop-xl validate`` are untrusted. Before anything parses XML this module
says what the file really is (a zip package, an encrypted workbook, a legacy .xls, a CSV or
HTML file renamed .xlsx, random bytes) and refuses, with one line naming the file, anything
that is not an Office Open XML workbook. Parts are read within limits on their declared and
actual sizes and compression ratio (zip bombs), and XML with a document type declaration is
refused before a parser sees it (entity expansion, "billion laughs"): Office Open XML never
uses one. Strict Open XML namespaces are mapped to their transitional equivalents.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from aop_xl.errors import WorkbookError


@dataclass(frozen=True)
class Limits:
    """What the checks accept from one file (bounded time and memory whatever it holds)."""

    #: Uncompressed bytes of one part.
    part_bytes: int = 256 * 2**20
    #: Uncompressed bytes of all parts read.
    total_bytes: int = 1024 * 2**20
    #: Compression ratio above which a part larger than ``ratio_floor`` is a zip bomb.
    ratio: int = 200
    ratio_floor: int = 8 * 2**20
    #: Cells (values and formulas) of the whole workbook.
    cells: int = 2_000_000
    #: Parts in the package.
    parts: int = 10_000


DEFAULT_LIMITS = Limits()

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_BIFF_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")

#: Strict Open XML namespace -> transitional namespace.
STRICT_NAMESPACES = {
    b"http://purl.oclc.org/ooxml/spreadsheetml/main": b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    b"http://purl.oclc.org/ooxml/officeDocument/relationships":
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    b"http://purl.oclc.org/ooxml/drawingml/main": b"http://schemas.openxmlformats.org/drawingml/2006/main",
}
STRICT_MARK = b"http://purl.oclc.org/ooxml/"


def sniff(head: bytes, size: int) -> str | None:
    """What a file that is not a zip package is, from its first bytes, or None for a zip.

    Returns a reason such as ``"a legacy Excel 97-2003 workbook (.xls)"`` for the error message.
    """
    if size == 0:
        return "an empty file (0 bytes)"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return None
    if head.startswith(_OLE2):
        return None  # decided by :func:`ole2_kind`, which needs more than the head
    if head[:2] in _BIFF_BOF:
        return "a legacy Excel workbook (.xls, BIFF), not .xlsx: save it as an Excel Workbook (.xlsx)"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lower = text[:512].lower()
    if lower.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower():
        return "an XML Spreadsheet 2003 file, not .xlsx: save it as an Excel Workbook (.xlsx)"
    if lower.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in lower[:200]:
        return "an HTML page named like a workbook (web exports often are): save it as .xlsx"
    if _looks_like_text(head):
        if any(sep in head for sep in (b",", b";", b"\t")):
            return "a text file (CSV or tab-separated), not a workbook: import it and save as .xlsx"
        return "a text file, not a workbook"
    return "not a workbook: unrecognised content (not a zip package)"


def _looks_like_text(head: bytes) -> bool:
    sample = head[:4096]
    if not sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            return False
    printable = sum(1 for b in sample if b >= 32 or b in (9, 10, 13))
    return printable / len(sample) > 0.97


def ole2_kind(data: bytes) -> str:
    """Why an OLE2 compound file is not checkable (encrypted OOXML or a legacy .xls)."""
    if _ENCRYPTED in data:
        return ("an encrypted (password-protected) workbook: it cannot be checked without the "
                "password; check a copy saved without one")
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "a legacy Excel 97-2003 workbook (.xls), not .xlsx: save it as an Excel Workbook (.xlsx)"
    return "an OLE2 compound file (not an .xlsx workbook)"


class Package:
    """The parts of a zip package, read within :class:`Limits`.

    Args:
        path: the file.
        limits: the limits.

    Raises:
        WorkbookError: not an Office Open XML workbook, or beyond the limits (one line naming
            the file and the reason).
    """

    def __init__(self, path: str | Path, limits: Limits = DEFAULT_LIMITS):
        self.path = Path(path)
        self.name = str(path)
        self.limits = limits
        self.read_bytes = 0
        self.strict = False
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as fh:
                head = fh.read(8192)
        except FileNotFoundError:
            raise WorkbookError(f"{self.name}: no such file") from None
        except IsADirectoryError:
            raise WorkbookError(f"{self.name}: is a directory, not a workbook") from None
        except OSError as exc:
            raise WorkbookError(f"{self.name}: cannot be read ({exc.strerror})") from None
        reason = sniff(head, size)
        if reason is not None and "~$" in self.path.name and size < 4096:
            reason = "an Excel owner file (Excel writes it beside a workbook it has open), not a workbook"
        if reason is None and head.startswith(_OLE2):
            with open(self.path, "rb") as fh:
                reason = ole2_kind(fh.read(min(size, 64 * 2**20)))
        if reason is not None:
            raise WorkbookError(f"{self.name}: {reason}")
        try:
            self.zip = zipfile.ZipFile(self.path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise WorkbookError(f"{self.name}: a damaged zip package ({exc})") from None
        if len(infos) > limits.parts:
            raise WorkbookError(f"{self.name}: {len(infos):,} parts in the package, over the limit of "
                                f"{limits.parts:,}")
        self.infos = {}
        total = 0
        for info in infos:
            name = info.filename.replace("\\", "/").lstrip("/")
            self.infos[name.lower()] = info
            total += info.file_size
            if info.file_size > limits.part_bytes:
                raise WorkbookError(f"{self.name}: part {name} unpacks to {info.file_size:,} bytes, over the "
                                    f"limit of {limits.part_bytes:,} (a zip bomb?)")
            if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise WorkbookError(f"{self.name}: part {name} is compressed {ratio:,}:1 "
                                    f"(limit {limits.ratio}:1 for parts over {limits.ratio_floor // 2**20} MiB): "
                                    "a zip bomb?")
        if total > limits.total_bytes:
            raise WorkbookError(f"{self.name}: the package unpacks to {total:,} bytes, over the limit of "
                                f"{limits.total_bytes:,} (a zip bomb?)")
        if "mimetype" in self.infos and b"opendocument" in self._raw("mimetype"):
            raise WorkbookError(f"{self.name}: an OpenDocument spreadsheet (.ods), not .xlsx: save it as an "
                                "Excel Workbook (.xlsx)")
        if "xl/workbook.bin" in self.infos:
            raise WorkbookError(f"{self.name}: an Excel Binary Workbook (.xlsb): save it as an Excel "
                                "Workbook (.xlsx) to check it")
        if "[content_types].xml" not in self.infos:
            raise WorkbookError(f"{self.name}: a zip archive but not an Office Open XML package "
                                "(no [Content_Types].xml)")

    def has(self, name: str) -> bool:
        return name.lstrip("/").lower() in self.infos

    def names(self) -> list[str]:
        return [info.filename for info in self.infos.values()]

    def _raw(self, name: str) -> bytes:
        info = self.infos[name.lstrip("/").lower()]
        try:
            with self.zip.open(info) as fh:
                data = fh.read(self.limits.part_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise WorkbookError(f"{self.name}: part {info.filename} cannot be unpacked ({exc})") from None
        if len(data) > self.limits.part_bytes:
            raise WorkbookError(f"{self.name}: part {info.filename} unpacks to more than "
                                f"{self.limits.part_bytes:,} bytes (a zip bomb?)")
        self.read_bytes += len(data)
        if self.read_bytes > self.limits.total_bytes:
            raise WorkbookError(f"{self.name}: the parts read unpack to more than {self.limits.total_bytes:,} "
                                "bytes (a zip bomb?)")
        return data

    def xml(self, name: str) -> bytes:
        """The bytes of an XML part, refused if it declares a DTD, strict namespaces mapped.

        Raises:
            WorkbookError: missing part, unpacking failed, limits, or a DTD.
        """
        if not self.has(name):
            raise WorkbookError(f"{self.name}: part {name} is missing")
        data = self._raw(name)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise WorkbookError(f"{self.name}: part {name} declares a DTD or entities, which Office Open XML "
                                "never does (an entity-expansion attack?)")
        if STRICT_MARK in data:
            for strict, transitional in STRICT_NAMESPACES.items():
                if strict in data:
                    self.strict = True
                    data = data.replace(strict, transitional)
        return data

    def close(self) -> None:
        self.zip.close()


def resolve(source: str, target: str) -> str:
    """A relationship target as a part name (no leading slash), relative to ``source``'s folder."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def rels_name(part: str) -> str:
    """The relationships part of ``part`` (``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")
