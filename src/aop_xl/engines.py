"""Spreadsheet engines run headless: LibreOffice and Gnumeric recalculation, PDF export.

This module is the one place that knows how to run them: their command lines, LibreOffice's
private profile, time-outs, and how a run that hangs is stopped. Tests, checks and macros
all go through it.

- **LibreOffice** (``soffice``) converts many files in one process (start-up costs seconds).
  It runs with a private profile, one per process, that forces "always recalculate on load"
  for OOXML and ODF files, so every formula's value in the converted copy comes from
  LibreOffice and not from a value cached in the file (openpyxl writes none).
- **Gnumeric** (``ssconvert --recalc``) converts one file per run.

A run that outlives its time-out is killed with its whole process group and reported as an
:class:`EngineError`, never left hanging.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from aop_xl.errors import AopError

LIBREOFFICE_HINT = ("LibreOffice is needed to recalculate workbooks and print PDFs without Excel: install it "
                    "(apt-get install libreoffice-calc-nogui) or put soffice on PATH")
GNUMERIC_HINT = "Gnumeric's ssconvert is not installed (apt-get install gnumeric)"
#: LibreOffice's export filters by what the output is.
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"
PDF_FILTER = "pdf:calc_pdf_Export"

# The private profile: recalculate every formula when an .xlsx (or .ods) file is loaded.
_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
# One LibreOffice at a time per profile: a second soffice on the same profile would hand its
# work to the first and return at once.
_LIBREOFFICE_LOCK = threading.Lock()


class EngineError(AopError, RuntimeError):
    """A spreadsheet engine is missing, failed, or did not finish in time."""


def libreoffice() -> str | None:
    """Path of LibreOffice's ``soffice``, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def gnumeric() -> str | None:
    """Path of Gnumeric's ``ssconvert``, or None."""
    return shutil.which("ssconvert")


def require_libreoffice() -> str:
    """The soffice path, or an EngineError saying how to install it."""
    exe = libreoffice()
    if exe is None:
        raise EngineError(LIBREOFFICE_HINT)
    return exe


_PROFILES: dict[int, Path] = {}


def libreoffice_profile() -> Path:
    """This process's private LibreOffice profile: created on first use (LibreOffice fills
    it on its first start, which costs seconds, so later runs reuse it) and removed when the
    process exits."""
    pid = os.getpid()
    profile = _PROFILES.get(pid)
    if profile is None or not profile.is_dir():
        profile = Path(tempfile.mkdtemp(prefix=f"aop_xl-libreoffice-{pid}-"))
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
        if pid not in _PROFILES:
            atexit.register(_remove_profile, pid)
        _PROFILES[pid] = profile
    return profile


def _remove_profile(pid: int) -> None:
    # Only the process that made the profile removes it (a forked child inherits the table).
    if os.getpid() == pid and pid in _PROFILES:
        shutil.rmtree(_PROFILES.pop(pid), ignore_errors=True)


def run(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess:
    """Run an engine's command; on time-out kill its process group and raise EngineError.

    Args:
        cmd: the command line.
        timeout: seconds.
        what: what the run does, for the error message ("LibreOffice converting 3 files").
    """
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    except OSError as exc:
        raise EngineError(f"{what}: cannot start {cmd[0]} ({exc.strerror})") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise EngineError(f"{what}: no result within {timeout:g} s (stopped)") from None
    except BaseException:
        _kill(proc)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()
    proc.communicate()


def libreoffice_convert(paths: list[Path], outdir: Path, target: str = XLSX_FILTER, suffix: str = ".xlsx",
                        timeout: float = 600) -> dict[Path, Path]:
    """Convert files in one LibreOffice run (recalculating on load); input path -> output.

    Args:
        paths: input files; files with the same name are staged under distinct names.
        outdir: where the converted files go (created).
        target: soffice's ``--convert-to`` argument (:data:`XLSX_FILTER`, :data:`PDF_FILTER`, "pdf").
        suffix: the converted files' suffix (".xlsx", ".pdf").
        timeout: seconds for the whole batch.

    Returns:
        Every input path mapped to its converted file.

    Raises:
        EngineError: LibreOffice is missing, failed, left a file unconverted, or timed out.
    """
    exe = require_libreoffice()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [Path(p) for p in paths]
    if not paths:
        return {}
    with tempfile.TemporaryDirectory(prefix="aop_xl-stage-") as stage:
        sources = _distinct(paths, Path(stage))
        cmd = [exe, f"-env:UserInstallation={libreoffice_profile().as_uri()}", "--headless", "--norestore",
               "--nologo", "--convert-to", target, "--outdir", str(outdir), *map(str, sources)]
        with _LIBREOFFICE_LOCK:
            proc = run(cmd, timeout, f"LibreOffice converting {len(paths)} file(s)")
    out = {p: outdir / (src.stem + suffix) for p, src in zip(paths, sources)}
    missing = [str(p) for p, o in out.items() if not o.exists()]
    if proc.returncode != 0 or missing:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise EngineError(f"LibreOffice failed (exit {proc.returncode})"
                          + (f"; not converted: {', '.join(missing)}" if missing else "")
                          + (f": {detail[-1]}" if detail else ""))
    return out


def _distinct(paths: list[Path], stage: Path) -> list[Path]:
    # LibreOffice names outputs after the inputs' stems: copy clashing inputs under new names.
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return paths
    out = []
    for i, p in enumerate(paths):
        copy = stage / f"{i:04d}-{p.name}"
        shutil.copyfile(p, copy)
        out.append(copy)
    return out


def libreoffice_recalc(paths: list[Path], outdir: Path, timeout: float = 600) -> dict[Path, Path]:
    """Recalculate .xlsx files in one LibreOffice run; input path -> recalculated .xlsx copy."""
    return libreoffice_convert(paths, outdir, XLSX_FILTER, ".xlsx", timeout)


def pdf_export(paths: list[Path], outdir: Path, timeout: float = 600) -> dict[Path, Path]:
    """Print workbooks to PDF with LibreOffice (formulas recalculated first); path -> PDF."""
    return libreoffice_convert(paths, outdir, PDF_FILTER, ".pdf", timeout)


def gnumeric_recalc(paths: list[Path], outdir: Path, timeout: float = 300) -> dict[Path, Path]:
    """Recalculate .xlsx files with Gnumeric (``ssconvert --recalc``), one run per file.

    Args:
        paths: input .xlsx files.
        outdir: where the recalculated copies go (created).
        timeout: seconds per file.

    Returns:
        Every input path mapped to its recalculated copy.

    Raises:
        EngineError: ssconvert is missing, failed on a file, or timed out.
    """
    exe = gnumeric()
    if exe is None:
        raise EngineError(GNUMERIC_HINT)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, path in enumerate(Path(p) for p in paths):
        target = outdir / f"{i:04d}-{path.stem}.xlsx"
        proc = run([exe, "--recalc", "--export-type=Gnumeric_Excel:xlsx2", str(path), str(target)], timeout,
                   f"Gnumeric recalculating {path.name}")
        if proc.returncode != 0 or not target.exists():
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise EngineError(f"Gnumeric could not recalculate {path.name} (exit {proc.returncode})"
                              + (f": {detail[-1]}" if detail else ""))
        out[path] = target
    return out
