"""Install the built add-in for the current user, as ``xlwings addin install`` does.

Excel opens every workbook and add-in in its per-user start-up folder when it starts; this
copies ``aop_xl.xlam`` there (and xlwings' own add-in if it is missing), and writes the
settings file that tells the add-in which Python to run.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

from aop_xl.errors import AddinError
from aop_xl.files import display, write_atomic
from aop_xl.plan_checks import one_line
from aop_xl.xl.addin import ADDIN_FILE_NAME, CONFIG_NAME, xlwings_dir

MAC_EXCEL_DATA = Path("Library/Containers/com.microsoft.Excel/Data")
MAC_STARTUP = (
    MAC_EXCEL_DATA
    / "Library/Application Support/Microsoft/Office/365"
    / "User Content.localized/Startup.localized/Excel"
)
MAC_SCRIPTS = Path("Library/Application Scripts/com.microsoft.Excel")


def _system(platform: str | None) -> str:
    platform = platform or sys.platform
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "macos"
    raise AddinError(
        f"installing the add-in needs Excel for Windows or macOS; this system is {platform!r}. "
        f"Copy {ADDIN_FILE_NAME} to a computer with Excel and install it there."
    )


def startup_folder(*, platform: str | None = None, home: Path | None = None) -> Path:
    """Excel's per-user start-up folder, whose workbooks and add-ins open with Excel.

    Args:
        platform: a ``sys.platform`` value; default the running system.
        home: the user's home folder; default ``Path.home()`` (and on Windows
            ``%APPDATA%`` for the roaming profile).

    Returns:
        Windows: ``%APPDATA%\\Microsoft\\Excel\\XLSTART``; macOS: the Startup folder in
        Excel's sandbox container.

    Raises:
        AddinError: the system is neither Windows nor macOS.
    """
    system = _system(platform)
    if system == "macos":
        return (home or Path.home()) / MAC_STARTUP
    if home is None:
        appdata = os.environ.get("APPDATA")
        roaming = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    else:
        roaming = home / "AppData" / "Roaming"
    return roaming / "Microsoft" / "Excel" / "XLSTART"


def _config_line(key: str, value: str) -> str:
    return f'"{key}","{value}"\n'  # the format VBA's Write # produces


def install_addin(
    addin_path: str | os.PathLike[str],
    *,
    platform: str | None = None,
    home: Path | None = None,
    interpreter: str | None = None,
    install_xlwings: bool = True,
) -> list[Path]:
    """Install the add-in for the current user; Excel loads it at its next start.

    Copies the add-in into Excel's start-up folder and, like ``xlwings addin install``:
    copies xlwings' own add-in there if missing, writes the settings file with the Python
    interpreter to use if there is none yet, and on macOS installs the AppleScript that
    RunPython needs.

    Args:
        addin_path: the built add-in.
        platform: a ``sys.platform`` value; default the running system.
        home: the user's home folder; default ``Path.home()``.
        interpreter: Python interpreter Excel should run; default this one.
        install_xlwings: also install ``xlwings.xlam`` if missing.

    Returns:
        The files written.

    Raises:
        AddinError: unsupported system, missing add-in, or a file cannot be written
            (for instance while Excel has the add-in open).
    """
    source = Path(addin_path)
    system = _system(platform)
    if not source.is_file():
        raise AddinError(f"{source}: add-in not found; build it first (aop-xl addin build)")
    folder = startup_folder(platform=platform, home=home)
    home = home or Path.home()
    xw_dir = xlwings_dir()
    version = importlib.metadata.version("xlwings")
    key = "INTERPRETER_WIN" if system == "windows" else "INTERPRETER_MAC"
    setting = _config_line(key, interpreter or sys.executable)
    # Where xlwings' VBA looks for <name>.conf: see GetConfigFilePath in its .bas.
    if system == "windows":
        configs = [home / f".{name}" / f"{name}.conf" for name in (CONFIG_NAME, "xlwings")]
    else:
        configs = [home / MAC_EXCEL_DATA / f"{name}.conf" for name in (CONFIG_NAME, "xlwings")]
    copies = [(source, folder / ADDIN_FILE_NAME)]
    if install_xlwings and not (folder / "xlwings.xlam").exists():
        copies.append((xw_dir / "addin" / "xlwings.xlam", folder / "xlwings.xlam"))
    if system == "macos":
        script = f"xlwings-{version}.applescript"
        copies.append((xw_dir / script, home / MAC_SCRIPTS / script))
    # Each file is written whole or not at all (aop_xl.files): Excel never finds half an add-in.
    contents = []
    for src, target in copies:
        try:
            contents.append((target, src.read_bytes()))
        except OSError as exc:
            raise AddinError(f"{display(src)}: cannot be read ({one_line(exc.strerror or str(exc))})") from None
    for target in configs[: 2 if install_xlwings else 1]:
        if not target.exists():
            # Windows VBA reads the file in the ANSI code page; macOS VBA in UTF-8.
            contents.append((target, setting.encode("cp1252" if system == "windows" else "utf-8")))
    written = []
    for target, data in contents:
        try:
            written.append(write_atomic(target, data, create_folder=True, error=AddinError))
        except AddinError as exc:
            raise AddinError(f"{exc}; quit Excel and try again") from None
    return written
