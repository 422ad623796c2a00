"""The Excel add-in build, checked with independent readers: olevba for the VBA project,
the zip and XML parsers for the package, and LibreOffice for a full import."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import uuid
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest

from aop_xl.errors import AddinError
from aop_xl.xl import addin
from aop_xl.xl.addin import (
    addin_modules,
    build_addin,
    build_default_addin,
    default_modules,
    source_dir,
    udf_wrapper_module,
    xlwings_dir,
    xlwings_modules,
)
from aop_xl.xl.install import install_addin, startup_folder
from aop_xl.xl.ovba import ModuleKind

with warnings.catch_warnings():  # oletools still uses pyparsing's pre-3.0 names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

ADDIN_DIR = Path(__file__).resolve().parents[1] / "addin"
CUSTOMUI = "{http://schemas.microsoft.com/office/2009/07/customui}"
# Button label -> Python macro in aop_xl.xl.macros, by ribbon group.
PLANNED_BUTTONS = {
    "Plan": {
        "Build workbook": "build_workbook",
        "Recalculate splits": "recalculate_splits",
        "Validate": "validate_workbook",
    },
    "Sales": {"Commission statements": "commission_statements", "Refresh KPIs": "refresh_kpis"},
    "Reconcile": {"Reconcile": "reconcile_plan"},
    "Output": {"Export summary PDF": "export_summary_pdf"},
}
RIBBON_SUB = re.compile(
    r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)",
    re.MULTILINE | re.IGNORECASE,
)
UDF_SOURCE = '''
import xlwings as xw


@xw.func(category="aop_xl")
@xw.arg("x", doc='The number to scale, e.g. "3".')
def AOP_TWICE(x, factor=2):
    """Multiplies x by factor ≥ 0."""
    return x * factor


@xw.func
def AOP_GREETING(name):
    return "Hello " + name


def helper():
    return 1
'''


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


@pytest.fixture
def udf_module(tmp_path, monkeypatch) -> str:
    """A throwaway Python module with two @xw.func functions."""
    name = f"aop_test_udfs_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(UDF_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def built(tmp_path, udf_module) -> tuple[Path, list]:
    """The add-in built from the repository's sources, with the throwaway UDFs."""
    modules = default_modules(ADDIN_DIR, udf_module=udf_module)
    path = build_addin(
        tmp_path / "out" / "aop_xl.xlam",
        ribbon_xml=(ADDIN_DIR / "ribbon.xml").read_text(encoding="utf-8"),
        vba_modules=modules,
    )
    return path, addin_modules(modules)


def olevba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path), relaxed=False)
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


# --- (2) olevba reads exactly our modules -------------------------------------------------


def test_olevba_lists_exactly_our_modules_with_their_source(built):
    path, modules = built
    got = olevba_modules(path)
    assert sorted(got) == sorted(
        [
            "ThisWorkbook.cls",
            "Sheet1.cls",
            "xlwings.bas",
            "Dictionary.cls",
            "AopRibbon.bas",
            "AopFunctions.bas",
        ]
    )
    by_name = {m.name: m for m in modules}
    assert list(by_name) == [
        "ThisWorkbook",
        "Sheet1",
        "xlwings",
        "Dictionary",
        "AopRibbon",
        "AopFunctions",
    ]
    for name, module in by_name.items():
        ext = ".bas" if module.kind is ModuleKind.STANDARD else ".cls"
        assert got[name + ext] == module.source(), name
    # Independently of the parser: the .bas files come through byte for byte.
    assert got["AopRibbon.bas"] == crlf(
        (ADDIN_DIR / "vba" / "AopRibbon.bas").read_text(encoding="utf-8")
    )
    original = (xlwings_dir() / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    assert original.count('PROJECT_NAME As String = "myaddin"') == 1
    assert got["xlwings.bas"] == crlf(original.replace('"myaddin"', '"aop_xl"', 1))
    for doc, base in (("ThisWorkbook", "00020819"), ("Sheet1", "00020820")):
        assert got[f"{doc}.cls"].startswith(
            f'Attribute VB_Name = "{doc}"\r\nAttribute VB_Base = "0{{{base}-0000-0000-C000-000000000046}}"\r\n'
        )
    assert got["ThisWorkbook.cls"].endswith(
        "Private Sub Workbook_Open()\r\n    AopRegisterFunctions\r\n    ThisWorkbook.Saved = True\r\nEnd Sub\r\n"
    )


def test_udf_wrappers_are_in_the_addin(built):
    code = olevba_modules(built[0])["AopFunctions.bas"]
    assert "Function AOP_TWICE(x, Optional factor)" in code
    assert "Function AOP_GREETING(name)" in code
    assert "helper" not in code
    assert "Public Sub AopRegisterFunctions()" in code


def test_function_help_is_registered_like_xlwings_import_functions(udf_module):
    text = udf_wrapper_module(udf_module)
    help_code = text[text.index("Public Sub AopRegisterFunctions()") :]
    twice = (
        "    ReDim args(0 To 1)\n"
        '    args(0) = "The number to scale, e.g. ""3""."\n'
        '    args(1) = "Positional argument 2"\n'
        '    Application.MacroOptions Macro:="\'" & ThisWorkbook.Name & "\'!AOP_TWICE", '
        'Description:="Multiplies x by factor >= 0.", Category:="aop_xl", ArgumentDescriptions:=args\n'
    )
    assert twice in help_code
    assert "Description:=\"Python function 'AOP_GREETING' defined in" in help_code
    assert 'Category:="xlwings", ArgumentDescriptions:=args' in help_code  # xlwings' default


# --- package ------------------------------------------------------------------------------


def test_package_is_an_addin_with_the_ribbon(built):
    path, _ = built
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {"customUI/customUI14.xml", "xl/vbaProject.bin", "xl/workbook.xml"} <= set(names)
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in zf.infolist())
        types = ElementTree.fromstring(zf.read("[Content_Types].xml"))
        overrides = {
            e.get("PartName"): e.get("ContentType") for e in types if e.tag.endswith("Override")
        }
        assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
        rels = ElementTree.fromstring(zf.read("_rels/.rels"))
        ribbon_rels = [
            r.get("Target")
            for r in rels
            if r.get("Type") == "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
        ]
        assert ribbon_rels == ["customUI/customUI14.xml"]
        book_rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        assert any(
            r.get("Target") == "vbaProject.bin"
            and r.get("Type") == "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
            for r in book_rels
        )
        assert zf.read("customUI/customUI14.xml") == (ADDIN_DIR / "ribbon.xml").read_bytes()
        workbook = zf.read("xl/workbook.xml").decode()
        assert 'codeName="ThisWorkbook"' in workbook
        assert 'codeName="Sheet1"' in zf.read("xl/worksheets/sheet1.xml").decode()
        assert zf.testzip() is None


# --- (3) determinism ----------------------------------------------------------------------


def test_two_builds_give_identical_bytes(tmp_path, udf_module):
    ribbon = (ADDIN_DIR / "ribbon.xml").read_text(encoding="utf-8")
    first = build_addin(
        tmp_path / "a.xlam",
        ribbon_xml=ribbon,
        vba_modules=default_modules(ADDIN_DIR, udf_module=udf_module),
    )
    second = build_addin(
        tmp_path / "b" / "c.xlam",
        ribbon_xml=ribbon,
        vba_modules=default_modules(ADDIN_DIR, udf_module=udf_module),
    )
    assert first.read_bytes() == second.read_bytes()
    changed = [
        replace(m, code=m.code + "' x\n") if m.name == "AopRibbon" else m
        for m in default_modules(ADDIN_DIR, udf_module=None)
    ]
    third = build_addin(tmp_path / "d.xlam", ribbon_xml=ribbon, vba_modules=changed)
    assert third.read_bytes() != first.read_bytes()


# --- (4) ribbon integrity -----------------------------------------------------------------


def ribbon_buttons() -> list[ElementTree.Element]:
    root = ElementTree.parse(ADDIN_DIR / "ribbon.xml").getroot()
    assert root.tag == f"{CUSTOMUI}customUI"
    return list(root.iter(f"{CUSTOMUI}button"))


def test_every_on_action_has_a_ribbon_sub():
    root = ElementTree.parse(ADDIN_DIR / "ribbon.xml").getroot()
    actions = [e.get("onAction") for e in root.iter() if e.get("onAction")]
    subs = RIBBON_SUB.findall((ADDIN_DIR / "vba" / "AopRibbon.bas").read_text(encoding="utf-8"))
    assert actions and sorted(actions) == sorted(subs)
    assert len(set(actions)) == len(actions)


def test_buttons_run_the_planned_macros():
    root = ElementTree.parse(ADDIN_DIR / "ribbon.xml").getroot()
    (tab,) = root.iter(f"{CUSTOMUI}tab")
    assert (tab.get("id"), tab.get("label")) == ("AOP", "AOP")
    bas = (ADDIN_DIR / "vba" / "AopRibbon.bas").read_text(encoding="utf-8")
    bodies = dict(re.findall(r"Sub\s+(\w+)\(control As IRibbonControl\)\n(.*?)End Sub", bas, re.DOTALL))
    found = {}
    for group in tab.iter(f"{CUSTOMUI}group"):
        for button in group.iter(f"{CUSTOMUI}button"):
            assert (
                button.get("imageMso")
                and button.get("screentip")
                and button.get("size") in ("large", "normal")
            )
            (call,) = re.findall(r'RunPython "([^"]*)"', bodies[button.get("onAction")])
            match = re.fullmatch(r"import aop_xl\.xl\.macros as m; m\.(\w+)\(\)", call)
            assert match, call
            found.setdefault(group.get("label"), {})[button.get("label")] = match.group(1)
    assert found == PLANNED_BUTTONS
    large = {b.get("label") for b in ribbon_buttons() if b.get("size") == "large"}
    assert {"Build workbook", "Commission statements", "Reconcile", "Export summary PDF"} <= large


def test_ribbon_macros_exist_in_the_macros_module():
    # A missing module is a failure (ImportError), never a skip: the ribbon calls into it.
    from aop_xl.xl import macros

    for group in PLANNED_BUTTONS.values():
        for name in group.values():
            fn = getattr(macros, name)
            params = inspect.signature(fn).parameters.values()
            assert all(
                p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params
            ), f"{name} must be callable without arguments (RunPython calls m.{name}())"


def test_build_rejects_a_ribbon_calling_an_unknown_sub(tmp_path):
    ribbon = (
        (ADDIN_DIR / "ribbon.xml")
        .read_text(encoding="utf-8")
        .replace('onAction="AopRefreshKpis"', 'onAction="AopRefreshEverything"')
    )
    with pytest.raises(AddinError, match="AopRefreshEverything"):
        build_addin(
            tmp_path / "x.xlam",
            ribbon_xml=ribbon,
            vba_modules=default_modules(ADDIN_DIR, udf_module=None),
        )
    with pytest.raises(AddinError, match="not well-formed"):
        build_addin(tmp_path / "x.xlam", ribbon_xml="<customUI", vba_modules=[])
    assert not (tmp_path / "x.xlam").exists()


# --- xlwings parts ------------------------------------------------------------------------


def test_xlwings_module_matches_the_installed_xlwings():
    xlwings_module, dictionary = xlwings_modules()
    assert (xlwings_module.name, xlwings_module.kind) == ("xlwings", ModuleKind.STANDARD)
    assert (dictionary.name, dictionary.kind) == ("Dictionary", ModuleKind.CLASS)
    version = importlib.metadata.version("xlwings")
    assert f'Public Const XLWINGS_VERSION As String = "{version}"' in xlwings_module.code
    assert 'Public Const PROJECT_NAME As String = "aop_xl"' in xlwings_module.code


def test_udf_wrapper_module_generates_wrappers_and_restores_state(udf_module):
    import xlwings

    before = (xlwings.func, "pythoncom" in sys.modules, "xlwings.udfs" in sys.modules)
    text = udf_wrapper_module(udf_module)
    assert text.startswith('Attribute VB_Name = "AopFunctions"\n')
    assert '#Const App = "Microsoft Excel"' in text
    assert (
        f'AOP_TWICE = XLPy.CallUDF("{udf_module}", "AOP_TWICE", Array(x, factor), ActiveWorkbook, Application.Caller)'
        in text
    )
    assert "Function AOP_GREETING(name)" in text
    assert (xlwings.func, "pythoncom" in sys.modules, "xlwings.udfs" in sys.modules) == before


def test_udf_wrapper_module_errors_name_the_module(tmp_path, monkeypatch):
    (tmp_path / "aop_test_no_udfs.py").write_text("def plain():\n    return 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AddinError, match="aop_test_no_udfs: defines no function"):
        udf_wrapper_module("aop_test_no_udfs")
    with pytest.raises(AddinError, match="aop_test_missing_udfs: cannot be imported"):
        udf_wrapper_module("aop_test_missing_udfs")


def test_default_build_with_the_project_udfs(tmp_path):
    # The worksheet functions ship with the package: a missing module fails the build here.
    assert importlib.util.find_spec("aop_xl.xl.udfs") is not None, "aop_xl.xl.udfs is missing"
    path = build_default_addin(tmp_path / "aop_xl.xlam")
    code = olevba_modules(path)["AopFunctions.bas"]
    assert re.search(r'XLPy\.CallUDF\("aop_xl\.xl\.udfs", "AOP_\w+"', code)


def test_source_dir_finds_the_repository_sources():
    assert source_dir() == ADDIN_DIR


# --- installation -------------------------------------------------------------------------


def test_install_on_windows_copies_addins_and_writes_settings(tmp_path):
    addin_file = tmp_path / "aop_xl.xlam"
    addin_file.write_bytes(b"add-in bytes")
    home = tmp_path / "home"
    written = install_addin(
        addin_file, platform="win32", home=home, interpreter=r"C:\Python311\python.exe"
    )
    xlstart = home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    assert startup_folder(platform="win32", home=home) == xlstart
    assert (xlstart / "aop_xl.xlam").read_bytes() == b"add-in bytes"
    assert (xlstart / "xlwings.xlam").read_bytes() == (
        xlwings_dir() / "addin" / "xlwings.xlam"
    ).read_bytes()
    setting = '"INTERPRETER_WIN","C:\\Python311\\python.exe"\n'
    assert (home / ".aop_xl" / "aop_xl.conf").read_text(encoding="cp1252") == setting
    assert (home / ".xlwings" / "xlwings.conf").read_text(encoding="cp1252") == setting
    assert len(written) == 4

    # A second install replaces the add-in but keeps the user's settings and xlwings.xlam.
    (home / ".aop_xl" / "aop_xl.conf").write_text('"INTERPRETER_WIN","python"\n', encoding="cp1252")
    (xlstart / "xlwings.xlam").write_bytes(b"user's xlwings")
    addin_file.write_bytes(b"new add-in")
    assert install_addin(addin_file, platform="win32", home=home) == [xlstart / "aop_xl.xlam"]
    assert (xlstart / "aop_xl.xlam").read_bytes() == b"new add-in"
    assert (xlstart / "xlwings.xlam").read_bytes() == b"user's xlwings"
    assert (home / ".aop_xl" / "aop_xl.conf").read_text(
        encoding="cp1252"
    ) == '"INTERPRETER_WIN","python"\n'


def test_install_on_macos_uses_the_sandboxed_startup_folder(tmp_path):
    addin_file = tmp_path / "aop_xl.xlam"
    addin_file.write_bytes(b"add-in bytes")
    home = tmp_path / "home"
    install_addin(addin_file, platform="darwin", home=home, interpreter="/opt/py/bin/python")
    data = home / "Library" / "Containers" / "com.microsoft.Excel" / "Data"
    startup = (
        data
        / "Library"
        / "Application Support"
        / "Microsoft"
        / "Office"
        / "365"
        / "User Content.localized"
        / "Startup.localized"
        / "Excel"
    )
    assert (startup / "aop_xl.xlam").read_bytes() == b"add-in bytes"
    assert (startup / "xlwings.xlam").is_file()
    script = f"xlwings-{importlib.metadata.version('xlwings')}.applescript"
    assert (home / "Library" / "Application Scripts" / "com.microsoft.Excel" / script).is_file()
    assert (data / "aop_xl.conf").read_text(
        encoding="utf-8"
    ) == '"INTERPRETER_MAC","/opt/py/bin/python"\n'


def test_install_elsewhere_needs_excel(tmp_path):
    addin_file = tmp_path / "aop_xl.xlam"
    addin_file.write_bytes(b"x")
    with pytest.raises(AddinError, match="Excel for Windows or macOS"):
        install_addin(addin_file, platform="linux", home=tmp_path)
    with pytest.raises(AddinError, match="missing.xlam: add-in not found"):
        install_addin(tmp_path / "missing.xlam", platform="win32", home=tmp_path)


# --- (5) LibreOffice imports the VBA project ----------------------------------------------


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        return exe
    message = "LibreOffice is missing; to run this test install LibreOffice: apt-get install libreoffice-calc-nogui"
    if os.environ.get("AOP_XL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(message + " (required because AOP_XL_REQUIRE_LIBREOFFICE=1)")
    pytest.skip(message)


def as_xlsm(xlam: Path, target: Path) -> Path:
    """The same package relabelled as a macro-enabled workbook, which LibreOffice opens."""
    with zipfile.ZipFile(xlam) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.ms-excel.addin.macroEnabled.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            dst.writestr(info.filename, data)
    return target


def basic_text(module_xml: bytes) -> tuple[str, str]:
    """(module type, code) of a LibreOffice Basic module, without LibreOffice's own header."""
    element = ElementTree.fromstring(module_xml)
    lines = (element.text or "").split("\n")
    while lines and (
        lines[0].startswith("Rem Attribute VBA_ModuleType=")
        or lines[0] in ("Option VBASupport 1", "Option ClassModule")
    ):
        lines.pop(0)
    return element.get("{http://openoffice.org/2000/script}moduleType"), "\n".join(lines).rstrip()


@pytest.mark.libreoffice
def test_libreoffice_imports_every_module(built, tmp_path):
    exe = soffice()
    path, modules = built
    xlsm = as_xlsm(path, tmp_path / "aop_xl.xlsm")
    out = tmp_path / "ods"
    result = subprocess.run(
        [
            exe,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(out),
            str(xlsm),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    ods = out / "aop_xl.ods"
    assert ods.is_file(), f"LibreOffice did not convert the add-in:\n{result.stdout}\n{result.stderr}"
    kinds = {ModuleKind.STANDARD: "normal", ModuleKind.CLASS: "class", ModuleKind.DOCUMENT: "document"}
    with zipfile.ZipFile(ods) as zf:
        library = sorted(
            n for n in zf.namelist() if n.startswith("Basic/AopXl/") and not n.endswith("script-lb.xml")
        )
        assert library == sorted(f"Basic/AopXl/{m.name}.xml" for m in modules)
        for m in modules:
            kind, code = basic_text(zf.read(f"Basic/AopXl/{m.name}.xml"))
            # LibreOffice drops Attribute lines, also those inside procedures.
            source = [
                line
                for line in m.code.replace("\r\n", "\n").split("\n")
                if not line.lstrip().startswith("Attribute ")
            ]
            assert (kind, code) == (kinds[m.kind], "\n".join(source).rstrip()), m.name
        assert "RunPython" in basic_text(zf.read("Basic/AopXl/AopRibbon.xml"))[1]
        assert b'table:name="_aop_xl.conf"' in zf.read("content.xml")


def test_addin_module_imports_no_xlwings():
    code = f"import sys, {addin.__name__}; print('xlwings' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_committed_addin_is_the_build_of_its_sources(tmp_path):
    # The .xlam under addin/ is what users install; it must be exactly what the sources,
    # the UDF module and the locked xlwings version build today.
    committed = source_dir() / "aop_xl.xlam"
    rebuilt = build_default_addin(tmp_path / "aop_xl.xlam")
    assert committed.read_bytes() == rebuilt.read_bytes(), (
        "addin/aop_xl.xlam is stale: rebuild it with `uv run aop-xl addin build` and commit it"
    )
