"""Writing an output file so that no file is ever destroyed, hidden or left half-written.

Every file aop_xl writes (a workbook, the add-in, a copy of it in Excel's start-up folder)
goes through :func:`write_atomic`:

- the target is checked before any work (:func:`check_output`): a name with the expected
  suffix, not the plan file it is built from, not a folder, not a read-only file, in a folder
  that exists and can be written;
- a symbolic link is followed: the file it points to is replaced and the link kept;
- the content is written to a temporary file next to the target and renamed over it only
  when complete, so the target is either the old file or the new one; on any failure (disk
  full, file-size limit, interruption) the temporary file is removed;
- a new file gets the permissions the user's umask gives; a replaced file keeps its own.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from aop_xl.errors import AopError
from aop_xl.plan_checks import one_line, shown


class OutputError(AopError):
    """An output file cannot be written where it was asked to be."""


def display(path: str | os.PathLike[str]) -> str:
    """A path as a message shows it: as typed, or quoted with escapes when it holds a control
    character (so the message stays one line)."""
    text = os.fspath(path)
    return text if one_line(text) == text and text.strip() == text and text else shown(text, limit=200)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(
    path: str | os.PathLike[str],
    *,
    suffix: str | None = None,
    source: str | os.PathLike[str] | None = None,
    what: str = "file",
    error: type[AopError] = OutputError,
) -> Path:
    """Refuse an output target that cannot or must not be written, before any work.

    Args:
        path: the file to write.
        suffix: the suffix it must have (``".xlsx"``), compared ignoring case; None for any.
        source: the input file it is made from (the plan file), which it must not replace.
        what: what is written, for messages (``"workbook"``).
        error: the exception class to raise.

    Returns:
        The file that will be replaced or created: ``path`` with symbolic links followed.

    Raises:
        error: with one message naming the path and what is accepted.
    """
    text = os.fspath(path)
    if not text.strip():
        raise error(f"the output file name is empty; give a file name{f' ending in {suffix}' if suffix else ''}")
    target = Path(text)
    name = display(text)
    if source is not None and _same_file(target, Path(source)):
        raise error(f"{name}: is the plan file the {what} is built from; give another output file")
    real = Path(os.path.realpath(target))
    folder = real.parent
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise error(f"{name}: cannot be used ({one_line(exc.strerror or str(exc))})") from None
    ending = f" ending in {suffix}" if suffix else ""
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise error(f"{name}: is a folder; give a file name{ending}")
    if suffix is not None and target.suffix.lower() != suffix:
        raise error(f"{name}: the {what} must have a name{ending}")
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{name}: is not a regular file; it is not replaced")
        if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
            raise error(f"{name}: is read-only; it is not replaced (make it writable, or give another file)")
    if not folder.is_dir():
        raise error(f"{name}: folder {display(folder)} does not exist")
    if not os.stat(folder).st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise error(f"{name}: folder {display(folder)} is read-only")
    return real


def make_folder(folder: str | os.PathLike[str], *, error: type[AopError] = OutputError) -> None:
    """Create ``folder`` (and its parents) if missing.

    Raises:
        error: it cannot be created, or a file of that name is in the way.
    """
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise error(f"{display(folder)}: is a file, not a folder") from None
    except OSError as exc:
        raise error(f"{display(folder)}: cannot create the folder ({one_line(exc.strerror or str(exc))})") from None


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    suffix: str | None = None,
    source: str | os.PathLike[str] | None = None,
    what: str = "file",
    create_folder: bool = False,
    error: type[AopError] = OutputError,
) -> Path:
    """Write ``data`` to ``path`` all at once: the target is the old file or the new one, never
    a part of it, and no temporary file is left behind.

    Args:
        path: the target file; a symbolic link is followed (the file it points to is
            replaced, the link is kept).
        data: the file's content.
        suffix, source, what: as :func:`check_output`.
        create_folder: create the target's folder if it is missing.
        error: the exception class to raise.

    Returns:
        ``path``.

    Raises:
        error: the target is refused by :func:`check_output`, or the write failed (the
            message gives the system's reason: no space left, file too large ...).

    Examples:
        >>> write_atomic("AOP_2027.xlsx", data, suffix=".xlsx")  # doctest: +SKIP
        PosixPath('AOP_2027.xlsx')
    """
    if create_folder and os.fspath(path).strip():
        make_folder(Path(os.path.realpath(path)).parent, error=error)
    real = check_output(path, suffix=suffix, source=source, what=what, error=error)
    name = display(path)
    try:
        old = os.stat(real)
    except FileNotFoundError:
        old = None
    tmp = real.parent / f".{real.name}.{secrets.token_hex(4)}.tmp"
    try:
        # 0o666 less the umask, as for any new file; O_EXCL never reuses an existing file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise error(f"{name}: cannot write in folder {display(real.parent)} "
                    f"({one_line(exc.strerror or str(exc))})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            _keep_owner(tmp, old)
        os.replace(tmp, real)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise error(f"{name}: cannot write ({one_line(exc.strerror or str(exc))}); "
                        "nothing was written") from None
        raise
    return Path(path)


def _keep_owner(tmp: Path, old: os.stat_result) -> None:
    # A file replaced by its owner (or by an administrator) keeps its owner and group where the
    # system allows it; otherwise it belongs to whoever rebuilt it, as any new file would.
    if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(tmp, old.st_uid, old.st_gid)
        except OSError:
            pass
