"""A minimal, deterministic writer of Compound File Binary files (MS-CFB, version 3).

Only what a VBA project storage needs: 512-byte sectors, one FAT (no DIFAT sectors, so up
to about 7 MB), a mini stream with its miniFAT for streams under 4096 bytes, and the
directory as a balanced binary tree per storage, every node coloured black (MS-CFB 2.6.4
allows this). CLSIDs, state bits and timestamps are zero, and the layout depends only on
the input, so the same streams always give the same bytes.

Layout of the file: header, FAT sectors, directory sectors, miniFAT sectors, the mini
stream, then every regular stream, each as one contiguous run of sectors.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from aop_xl.errors import AddinError

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
MAX_FAT_SECTORS = 109  # all held in the header's DIFAT array

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_BLACK = 1
_ILLEGAL_NAME_CHARS = set("/\\:!")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """CFB order of sibling names: shorter first, then by upper-cased code units."""
    return (len(name.encode("utf-16-le")), name.upper())


def _tree(items: list[tuple[str, bytes]], label: str) -> _Entry:
    """Build the directory tree from "storage/stream" paths."""
    root = _Entry("Root Entry", _ROOT)
    for path, data in items:
        parts = path.split("/")
        node = root
        for depth, name in enumerate(parts):
            if not name or len(name) > 31 or _ILLEGAL_NAME_CHARS & set(name):
                raise AddinError(
                    f"{label}: stream path {path!r} has an invalid name part {name!r} "
                    "(1 to 31 characters, none of / \\ : !)"
                )
            found = [c for c in node.children if c.name.upper() == name.upper()]
            if depth == len(parts) - 1:
                if found:
                    raise AddinError(f"{label}: stream path {path!r} is used twice")
                node.children.append(_Entry(name, _STREAM, bytes(data)))
            elif not found:
                node.children.append(_Entry(name, _STORAGE))
                node = node.children[-1]
            elif found[0].kind == _STORAGE:
                node = found[0]
            else:
                raise AddinError(f"{label}: {path!r} needs {name!r} as a storage, it is a stream")
    return root


def _number(root: _Entry) -> list[_Entry]:
    """Give every entry its directory index (breadth first, siblings in CFB order)."""
    order, queue = [root], [root]
    while queue:
        node = queue.pop(0)
        node.children.sort(key=lambda e: _sort_key(e.name))
        for child in node.children:
            child.sid = len(order)
            order.append(child)
            queue.append(child)
    for node in order:
        node.child = _balanced(node.children)
    return order


def _balanced(siblings: list[_Entry]) -> int:
    """Link sorted siblings into a balanced binary search tree; return its root's index."""
    if not siblings:
        return NOSTREAM
    mid = len(siblings) // 2
    node = siblings[mid]
    node.left = _balanced(siblings[:mid])
    node.right = _balanced(siblings[mid + 1 :])
    return node.sid


def _pack_entry(e: _Entry | None) -> bytes:
    """One 128-byte directory entry (an unused one when ``e`` is None)."""
    if e is None:
        return b"\0" * 66 + struct.pack("<BBIII", 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + b"\0" * 48
    name = e.name.encode("utf-16-le") + b"\0\0"
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(name), e.kind, _BLACK, e.left, e.right, e.child)
        + b"\0" * 16  # CLSID
        + struct.pack("<IQQIQ", 0, 0, 0, e.start, e.size)
    )


def _chain(table: list[int], first: int, count: int) -> None:
    """Write a contiguous chain of ``count`` sectors starting at ``first`` into ``table``."""
    for i in range(count):
        table[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def _sectors(n_bytes: int, size: int) -> int:
    return -(-n_bytes // size)


def build_cfb(streams: Mapping[str, bytes], *, label: str = "compound file") -> bytes:
    """Write a compound file holding the given streams.

    Args:
        streams: stream data by path; "/" separates storages, e.g. ``{"VBA/dir": b"..."}``.
            Storages are created as the paths need them.
        label: what the file is, named in error messages.

    Returns:
        The bytes of the compound file.

    Raises:
        AddinError: a name is invalid or repeated, or the file would need DIFAT sectors.
    """
    entries = _number(_tree(list(streams.items()), label))
    small = [e for e in entries if e.kind == _STREAM and 0 < len(e.data) < MINI_CUTOFF]
    large = [e for e in entries if e.kind == _STREAM and len(e.data) >= MINI_CUTOFF]

    # Mini stream: small streams back to back, each padded to whole mini sectors.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for e in small:
        n = _sectors(len(e.data), MINI_SECTOR)
        e.start, e.size = len(mini_fat), len(e.data)
        mini_fat.extend([0] * n)
        _chain(mini_fat, e.start, n)
        mini_stream += e.data.ljust(n * MINI_SECTOR, b"\0")

    n_dir = _sectors(len(entries) * 128, SECTOR)
    n_minifat = _sectors(len(mini_fat) * 4, SECTOR)
    n_mini = _sectors(len(mini_stream), SECTOR)
    n_large = [_sectors(len(e.data), SECTOR) for e in large]
    n_other = n_dir + n_minifat + n_mini + sum(n_large)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_other:
        n_fat += 1
    if n_fat > MAX_FAT_SECTORS:
        raise AddinError(f"{label}: too large for a compound file without DIFAT sectors")

    fat = [FREESECT] * (n_fat * SECTOR // 4)
    fat[:n_fat] = [FATSECT] * n_fat
    dir_start = n_fat
    _chain(fat, dir_start, n_dir)
    minifat_start = dir_start + n_dir
    _chain(fat, minifat_start, n_minifat)
    mini_start = minifat_start + n_minifat
    _chain(fat, mini_start, n_mini)
    root = entries[0]
    root.start, root.size = (mini_start, len(mini_fat) * MINI_SECTOR) if n_mini else (ENDOFCHAIN, 0)
    sector = mini_start + n_mini
    for e, n in zip(large, n_large):
        e.start, e.size = sector, len(e.data)
        _chain(fat, sector, n)
        sector += n

    difat = list(range(n_fat)) + [FREESECT] * (MAX_FAT_SECTORS - n_fat)
    header = (
        _SIGNATURE
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack(
            "<IIIIIIIII",
            0,  # directory sectors (always 0 in version 3)
            n_fat,
            dir_start,
            0,  # transaction signature
            MINI_CUTOFF,
            minifat_start if n_minifat else ENDOFCHAIN,
            n_minifat,
            ENDOFCHAIN,  # first DIFAT sector
            0,  # DIFAT sectors
        )
        + struct.pack(f"<{MAX_FAT_SECTORS}I", *difat)
    )
    directory = b"".join(_pack_entry(e) for e in entries)
    directory += _pack_entry(None) * (n_dir * 4 - len(entries))
    mini_fat += [FREESECT] * (n_minifat * SECTOR // 4 - len(mini_fat))
    body = [
        struct.pack(f"<{len(fat)}I", *fat),
        directory,
        struct.pack(f"<{len(mini_fat)}I", *mini_fat),
        bytes(mini_stream).ljust(n_mini * SECTOR, b"\0"),
    ]
    body += [e.data.ljust(n * SECTOR, b"\0") for e, n in zip(large, n_large)]
    return header + b"".join(body)
