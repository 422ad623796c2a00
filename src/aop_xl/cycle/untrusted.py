"""A returned file is untrusted: check its container before anything parses it.

:func:`open_package` takes the file's bytes and either returns the checked parts a reader may
parse, or raises :class:`Malformed` with one sentence saying what the file is instead:

- not a zip package: an Excel 97-2003 ``.xls`` (or other compound file), a text file such as
  a CSV renamed to ``.xlsx``, anything else;
- over the size limits: the file itself, the number of parts, the uncompressed size of a part
  or of all parts, or a compression ratio no workbook has (a zip bomb); sizes are counted
  while decompressing, never taken from the headers;
- not a workbook without macros: no ``xl/workbook.xml``, a macro-enabled workbook, an
  encrypted one;
- a worksheet reaching beyond the rows and columns a regional workbook can have (a reader
  would allocate the whole rectangle).

Nothing in a file is followed: links, macros, connections and embedded objects are never
opened, and nothing is written back.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string, get_column_letter

#: Limits of a returned file (a regional workbook is well under a megabyte).
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_PARTS = 2_000
MAX_PART_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 250 * 1024 * 1024
#: Compression ratio beyond which a part is a zip bomb (worksheet XML compresses about 10 to 30x).
MAX_RATIO = 200
#: A ratio is judged only for parts bigger than this (tiny parts compress oddly well).
RATIO_FLOOR = 1024 * 1024
#: The largest block a regional workbook sheet can hold.
MAX_ROWS, MAX_COLS = 50_000, 2_000

_CELL_REF = re.compile(rb'<(?:\w+:)?c [^>]*?r="([A-Z]{1,3})([0-9]{1,7})"')
_FAR_ROW = re.compile(rb' r="[A-Z]{0,3}([0-9]{5,})"')
_FAR_COL = re.compile(rb' r="([A-Z]{3})[0-9]')


class Malformed(ValueError):
    """The file is not a readable workbook; the message says what it is instead."""


@dataclass(frozen=True)
class CheckedPackage:
    """A zip package whose parts passed the limits, with their decompressed contents."""

    data: bytes
    parts: dict[str, bytes]


def what_is(data: bytes) -> str:
    """What a file that is not a zip package looks like, in words."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ("an Excel 97-2003 (.xls) or other compound file, not an .xlsx workbook; open it in Excel and "
                "save it as Excel Workbook (.xlsx)")
    if not data:
        return "an empty file"
    head = data[:4096]
    try:
        head.decode("utf-8")
        text = True
    except UnicodeDecodeError:
        text = head.count(b"\x00") == 0 and sum(b < 9 for b in head) == 0
    if text:
        kind = "a CSV or other text file" if b"," in head or b";" in head or b"\t" in head else "a text file"
        return f"{kind}, not an .xlsx workbook (a renamed file?)"
    return "not an .xlsx workbook (not a zip package)"


def open_package(data: bytes, needed: tuple[str, ...] = (), read=None) -> CheckedPackage:
    """Check a returned file's container and decompress its parts within the limits.

    Args:
        data: the file's bytes.
        needed: parts that must be present (besides ``xl/workbook.xml``).
        read: which parts a reader will parse (a function of the part name; default all):
            only those are decompressed (and counted); the others are never opened, by this
            module or by the reader, so their declared sizes are only bounded.

    Returns:
        The :class:`CheckedPackage` (the decompressed contents of the parts read).

    Raises:
        Malformed: see the module's text.
    """
    if len(data) > MAX_FILE_BYTES:
        raise Malformed(f"{len(data):,} bytes, more than the {MAX_FILE_BYTES:,} a returned workbook may have")
    if not data.startswith(b"PK\x03\x04"):
        raise Malformed(what_is(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise Malformed(f"a damaged zip package ({exc}), not a readable .xlsx workbook") from None
    if len(infos) > MAX_PARTS:
        raise Malformed(f"{len(infos):,} parts, more than the {MAX_PARTS:,} a workbook may have")
    names = {i.filename for i in infos}
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        raise Malformed("an encrypted workbook; remove the password and save it again")
    if "xl/workbook.xml" not in names:
        raise Malformed("a zip package without xl/workbook.xml: not an .xlsx workbook")
    if "xl/vbaProject.bin" in names:
        raise Malformed("a macro-enabled workbook (it holds a VBA project); save it as Excel Workbook (.xlsx)")
    missing = [n for n in needed if n not in names]
    if missing:
        raise Malformed(f"a workbook without its part {missing[0]}")
    parts, total = {}, 0
    for info in infos:
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise Malformed(f"part {info.filename} is encrypted")
        if read is not None and not read(info.filename):
            if info.file_size > MAX_PART_BYTES:
                raise Malformed(f"part {info.filename} declares {info.file_size:,} bytes, more than the "
                                f"{MAX_PART_BYTES:,} a part may have (a zip bomb?)")
            continue
        content = _inflate(archive, info, MAX_TOTAL_BYTES - total)
        total += len(content)
        parts[info.filename] = content
    return CheckedPackage(data, parts)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes:
    # Decompress in chunks, counting what comes out, and stop at the first limit passed.
    limit = min(MAX_PART_BYTES, room)
    out = bytearray()
    try:
        with archive.open(info) as fh:
            while True:
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                out += chunk
                if len(out) > limit:
                    what = "the uncompressed size allowed for all parts" if room < MAX_PART_BYTES else \
                        f"the {MAX_PART_BYTES:,} bytes a part may have"
                    raise Malformed(f"part {info.filename} inflates beyond {what} (a zip bomb?)")
                if len(out) > RATIO_FLOOR and len(out) > MAX_RATIO * max(info.compress_size, 1):
                    raise Malformed(f"part {info.filename} inflates more than {MAX_RATIO} times its compressed "
                                    "size (a zip bomb?)")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise Malformed(f"part {info.filename} cannot be decompressed ({exc})") from None
    return bytes(out)


def check_extent(xml: bytes, sheet: str) -> None:
    """Refuse a worksheet whose cells reach beyond :data:`MAX_ROWS` x :data:`MAX_COLS`.

    Only references that could be that far are looked at: rows of five or more digits,
    columns of three letters.

    Raises:
        Malformed: naming the sheet and the farthest cell.
    """
    rows = [int(r) for r in _FAR_ROW.findall(xml)]
    cols = [column_index_from_string(c.decode()) for c in set(_FAR_COL.findall(xml))]
    last_row, last_col = max(rows, default=0), max(cols, default=0)
    cells = xml.count(b"<c ")
    if last_row > MAX_ROWS or last_col > MAX_COLS or cells > MAX_ROWS * 10:
        far = [(c.decode(), int(r)) for c, r in _CELL_REF.findall(xml)]
        col, row = max(far, key=lambda cr: (column_index_from_string(cr[0]) > MAX_COLS or cr[1] > MAX_ROWS,
                                             cr[1], column_index_from_string(cr[0])), default=("A", last_row))
        raise Malformed(f"sheet {sheet} reaches cell {col}{row}; a regional workbook stays within "
                        f"{get_column_letter(MAX_COLS)}{MAX_ROWS}")
