"""A built .xlsx package as a template: copy the parts that do not change, render the rest.

:class:`Package` splits a zip written by :func:`aop_xl.workbook.build.workbook_bytes` into its
entries (local header, compressed data, central directory record) so that another package
can be assembled with some parts replaced: unchanged parts are copied compressed as they
are, replaced parts are compressed exactly as :mod:`zipfile` compresses them (zlib's default
level, raw deflate), and the headers keep every field but the CRC, sizes and offsets. The
result is byte for byte what ``zipfile`` writes for the same parts.

:class:`SheetXml` splits a worksheet part at its cells, so that the cells whose values
differ can be rendered (:func:`cell_xml`, as openpyxl writes a cell) and the rest copied.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter


class TemplateError(ValueError):
    """A package or sheet cannot serve as a template (the fast path is not used then)."""


@dataclass(frozen=True)
class _Entry:
    name: str
    header: bytes  # local file header, name and extra field
    data: bytes  # compressed
    record: bytes  # central directory record


_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


class Package:
    """The entries of a zip package, to assemble copies with some parts replaced.

    Args:
        data: the package's bytes (no zip64, no data descriptors: as ``workbook_bytes`` writes).

    Raises:
        TemplateError: the package has a structure this class does not reproduce.
    """

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
        end_at = len(data) - _END.size
        if data[end_at:end_at + 4] != b"PK\x05\x06":
            raise TemplateError("package: an archive comment or zip64 record")
        _, _, _, _, count, cd_size, cd_offset, _ = _END.unpack_from(data, end_at)
        if count != len(infos) or cd_offset + cd_size != end_at:
            raise TemplateError("package: unexpected central directory")
        self._end = data[end_at:]
        entries = []
        pos = cd_offset
        for info in infos:
            if info.flag_bits & 0x08 or info.compress_type != zipfile.ZIP_DEFLATED:
                raise TemplateError(f"package: {info.filename} uses a data descriptor or no deflate")
            n, m, k = struct.unpack_from("<3H", data, pos + 28)
            record = data[pos:pos + 46 + n + m + k]
            pos += len(record)
            off = info.header_offset
            ln, lm = struct.unpack_from("<2H", data, off + 26)
            header = data[off:off + 30 + ln + lm]
            start = off + len(header)
            entries.append(_Entry(info.filename, header, data[start:start + info.compress_size], record))
        self.entries = entries
        self.names = [e.name for e in entries]
        self._contents = {}
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for e in entries:
                self._contents[e.name] = archive.read(e.name)

    def read(self, name: str) -> bytes:
        """The uncompressed content of a part."""
        return self._contents[name]

    def assemble(self, replace: dict[str, bytes], compressed: dict[str, tuple[bytes, int, int]] | None = None) -> bytes:
        """The package with the named parts' contents replaced (names must exist).

        Args:
            replace: part name -> its new uncompressed content.
            compressed: part name -> a replacement already compressed (:func:`compress`).

        Returns:
            The new package's bytes.
        """
        out, records = [], []
        offset = 0
        for e in self.entries:
            content = replace.get(e.name)
            done = (compressed or {}).get(e.name)
            if content is None and done is None:
                header, data, record = e.header, e.data, e.record
            else:
                data, crc, size = done if done is not None else compress(content)
                header = e.header[:14] + struct.pack("<3L", crc, len(data), size) + e.header[26:]
                record = e.record[:16] + struct.pack("<3L", crc, len(data), size) + e.record[28:]
            records.append(record[:42] + struct.pack("<L", offset) + record[46:])
            out.append(header)
            out.append(data)
            offset += len(header) + len(data)
        directory = b"".join(records)
        end = self._end[:12] + struct.pack("<2L", len(directory), offset) + self._end[20:]
        return b"".join(out) + directory + end


def compress(content: bytes) -> tuple[bytes, int, int]:
    """A part's content compressed as zipfile compresses it: (data, CRC-32, uncompressed size)."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return c.compress(content) + c.flush(), zlib.crc32(content), len(content)


# ------------------------------------------------------------------------ worksheet cells

_CELL = re.compile(r'<c r="([A-Z]{1,3}[0-9]+)"([^>]*?)(?:/>|>.*?</c>)', re.S)
_STYLE = re.compile(r' s="([0-9]+)"')


class SheetXml:
    """A worksheet part split at its cells.

    Args:
        xml: the worksheet XML as openpyxl writes it.
    """

    def __init__(self, xml: str):
        self._pieces: list[str] = []
        self._at: dict[str, tuple[int, str]] = {}  # address -> (piece index, style id)
        pos = 0
        for m in _CELL.finditer(xml):
            self._pieces.append(xml[pos:m.start()])
            style = _STYLE.search(m.group(2))
            self._at[m.group(1)] = (len(self._pieces), style.group(1) if style else "")
            self._pieces.append(m.group(0))
            pos = m.end()
        self._pieces.append(xml[pos:])

    def render(self, values: dict[tuple[int, int], Any]) -> str:
        """The sheet with the cells at (row, column) holding these values (same styles).

        Raises:
            TemplateError: a cell of ``values`` is not in the template.
        """
        pieces = list(self._pieces)
        for (row, col), value in values.items():
            address = f"{get_column_letter(col)}{row}"
            hit = self._at.get(address)
            if hit is None:
                raise TemplateError(f"no cell {address} in the template")
            pieces[hit[0]] = cell_xml(address, hit[1], value)
        return "".join(pieces)


def _escape(text: str) -> str:
    # As ElementTree escapes element text.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def cell_xml(address: str, style: str, value: Any) -> str:
    """One cell as openpyxl (without lxml) writes it: ``<c r=".." s=".." t="..">...</c>``.

    Args:
        address: the cell's address ("G6").
        style: its style index ("8"), or "" for none.
        value: None, a bool, a number or a string (always literal text).
    """
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{address}"{s} t="n" />'
    if isinstance(value, str):
        if value == "":
            return f'<c r="{address}"{s} t="inlineStr" />'
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'<c r="{address}"{s} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{address}"{s} t="b"><v>{int(value)}</v></c>'
    if not math.isfinite(value):
        raise TemplateError(f"{address}: {value!r} is not a number a cell can hold")
    return f'<c r="{address}"{s} t="n"><v>{"%.16g" % value}</v></c>'
