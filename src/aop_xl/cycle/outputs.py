"""Files the round writes: safe, unique names, and writes that never replace a file in use.

Names: a unit may be called anything a plan allows (``../x``, ``CON``, ``a/b``, unicode, 200
characters). :func:`file_names` turns each into a file name that every common file system
accepts: Unicode NFC, no path separators, no characters Windows refuses, no control or
invisible characters, not a device name, at most 60 characters of its own. A name that had
to change, or that would clash with another one ignoring case, gets the first 8 hex digits of
the sha256 of the unit's real name, so names stay unique and the same on every run.

Writes: :func:`write_output` writes atomically (:func:`aop_xl.files.write_atomic`) and refuses
to replace a file another program holds open, recognised by the lock file Excel (``~$name``)
or LibreOffice (``.~lock.name#``) keeps beside it, or by the sharing violation Windows
reports: the old file stays as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from aop_xl.errors import AopError
from aop_xl.files import display, write_atomic

_BAD = set('<>:"/\\|?*')
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(10)),
            *(f"LPT{i}" for i in range(10)), "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}
STEM_CHARS = 60
_TEMP = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")


class FileInUse(AopError):
    """A target file is open in another program; it was left as it was."""


def safe_stem(name: str, limit: int = STEM_CHARS) -> str:
    """A file-name stem for ``name`` (see the module's text), without the uniqueness suffix."""
    text = unicodedata.normalize("NFC", name)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in _BAD or cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append("_")
        elif ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    stem = re.sub(r"_{2,}", "_", re.sub(r" {2,}", " ", "".join(out))).strip(" ._")
    stem = stem[:limit].rstrip(" .")
    while len(stem.encode("utf-8")) > 3 * limit:
        stem = stem[:-1]
    if not stem:
        stem = "unit"
    if stem.split(".")[0].strip().upper() in _DEVICES:
        stem = "_" + stem
    return stem


def file_names(names: list[str], prefix: str, suffix: str = ".xlsx") -> dict[str, str]:
    """A safe, unique file name for each name (``prefix`` + stem + ``suffix``).

    Args:
        names: the units' names (unique).
        prefix: put before each stem (``AOP_2027_``), already safe.
        suffix: the file suffix.

    Returns:
        name -> file name, unique ignoring case, the same for the same names on every run.
    """
    stems = {n: safe_stem(n) for n in names}
    groups: dict[str, list[str]] = {}
    for n, s in stems.items():
        groups.setdefault(s.casefold(), []).append(n)
    out = {}
    for n, s in stems.items():
        if s != n or len(groups[s.casefold()]) > 1:
            s = f"{s}-{hashlib.sha256(n.encode('utf-8')).hexdigest()[:8]}"
        out[n] = f"{prefix}{s}{suffix}"
    seen: dict[str, str] = {}
    for n, f in out.items():
        if f.casefold() in seen:  # two hashes alike in 8 digits: use more of them
            out[n] = f"{prefix}{stems[n]}-{hashlib.sha256(n.encode('utf-8')).hexdigest()[:20]}{suffix}"
        seen[out[n].casefold()] = n
    return out


def lock_file(path: Path) -> Path | None:
    """The lock file of a program that has ``path`` open, or None."""
    name = path.name
    for candidate in (f"~${name}", f"~${name[2:]}" if len(name) > 2 else None, f".~lock.{name}#"):
        if candidate and (path.parent / candidate).exists():
            return path.parent / candidate
    return None


def write_output(path: Path, data: bytes, *, error: type[AopError] = AopError) -> Path:
    """Write ``data`` to ``path`` atomically unless the file is open in another program.

    Raises:
        FileInUse: the file is open elsewhere (its lock file exists, or Windows refuses to
            replace it); the old file is left as it was.
        error: the file cannot be written (see :func:`aop_xl.files.write_atomic`).
    """
    lock = lock_file(path) if path.exists() else None
    if lock is not None:
        raise FileInUse(f"{display(path)}: file in use (open in another program: {lock.name} exists); the old "
                        "file is left as it was: close it and run the command again")
    try:
        return write_atomic(path, data, suffix=path.suffix.lower() or None, error=error)
    except error as exc:
        if os.name == "nt" and "denied" in str(exc).lower() and path.exists():
            raise FileInUse(f"{display(path)}: file in use (another program has it open); the old file is left "
                            "as it was: close it and run the command again") from None
        raise


def remove_stale_temporary(folder: Path) -> list[Path]:
    """Remove temporary files an interrupted write left in ``folder`` (ours: ``.name.hex.tmp``)."""
    removed = []
    if folder.is_dir():
        for p in folder.iterdir():
            if _TEMP.match(p.name) and p.is_file():
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
    return removed
