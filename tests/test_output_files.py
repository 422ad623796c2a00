"""No output ever destroys or hides a file: where ``aop-xl build`` and ``aop-xl addin build``
write, with which permissions, and what is left when the write fails or is killed.

CLI cases run the real console script; a failure is exit code 2, one ``error:`` line naming
the path, and no new file (no temporary file either).
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from aop_cli import aop_xl, files_in, one_error

from aop_xl import files
from aop_xl.errors import WorkbookError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions, links and signals")
SAMPLE_TOML = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")


@pytest.fixture
def plan_dir(tmp_path) -> Path:
    (tmp_path / "plan.toml").write_text(SAMPLE_TOML, encoding="utf-8")
    return tmp_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- where ---------------------------------------------------------------------------------------


def test_the_plan_file_is_never_the_output(plan_dir):
    before = (plan_dir / "plan.toml").read_bytes()
    one_error(aop_xl("build", "plan.toml", "-o", "plan.toml", cwd=plan_dir),
              "plan.toml: is the plan file the workbook is built from")
    assert (plan_dir / "plan.toml").read_bytes() == before
    # Also when the plan file has the workbook's suffix, or the output is a link to it.
    (plan_dir / "plan.toml").rename(plan_dir / "plan.xlsx")
    one_error(aop_xl("build", "plan.xlsx", "-o", "./plan.xlsx", cwd=plan_dir), "is the plan file")
    assert (plan_dir / "plan.xlsx").read_bytes() == before
    assert files_in(plan_dir) == ["plan.xlsx"]


@pytest.mark.parametrize("name", ["AOP.csv", "AOP.xlsm", "AOP.toml", "AOP", "AOP.xlsx.bak"])
def test_a_workbook_is_written_only_to_an_xlsx_file(plan_dir, name):
    one_error(aop_xl("build", "plan.toml", "-o", name, cwd=plan_dir),
              f"{name}: the workbook must have a name ending in .xlsx")
    assert files_in(plan_dir) == ["plan.toml"]


def test_the_suffix_is_compared_ignoring_case(plan_dir):
    result = aop_xl("build", "-o", "AOP.XLSX", cwd=plan_dir)
    assert result.returncode == 0, result.stderr
    assert (plan_dir / "AOP.XLSX").read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("args", [("build", "-o", ""), ("build", "--blank", "-o", ""), ("addin", "build", "-o", "")])
def test_an_empty_output_name_is_refused(plan_dir, args):
    one_error(aop_xl(*args, cwd=plan_dir), "the output file name is empty")
    assert files_in(plan_dir) == ["plan.toml"]


def test_a_folder_is_not_an_output_file(plan_dir):
    (plan_dir / "out.xlsx").mkdir()
    one_error(aop_xl("build", "-o", "out.xlsx", cwd=plan_dir), "out.xlsx: is a folder")
    one_error(aop_xl("build", "-o", ".", cwd=plan_dir), ".: is a folder")
    assert files_in(plan_dir) == ["out.xlsx", "plan.toml"]


def test_a_missing_folder_of_an_explicit_output_is_named(plan_dir):
    one_error(aop_xl("build", "-o", "nowhere/AOP.xlsx", cwd=plan_dir), "nowhere/AOP.xlsx: folder", "does not exist")
    assert files_in(plan_dir) == ["plan.toml"]


def test_the_default_workbooks_folder_is_created(plan_dir):
    result = aop_xl("build", "plan.toml", cwd=plan_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {Path('workbooks') / 'AOP_2027.xlsx'}"
    assert (plan_dir / "workbooks" / "AOP_2027.xlsx").read_bytes()[:2] == b"PK"
    result = aop_xl("build", "--blank", cwd=plan_dir)
    assert result.returncode == 0, result.stderr
    assert files_in(plan_dir) == ["plan.toml", "workbooks", str(Path("workbooks/AOP_2027.xlsx")),
                                  str(Path("workbooks/AOP_template.xlsx"))]


def test_a_file_in_the_way_of_the_default_folder_is_named(plan_dir):
    (plan_dir / "workbooks").write_text("not a folder", encoding="utf-8")
    one_error(aop_xl("build", cwd=plan_dir), "workbooks: is a file, not a folder")
    assert (plan_dir / "workbooks").read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("name", ["aop_xl.zip", "aop_xl.xlsx", "aop_xl.xlam.tmp"])
def test_the_addin_is_written_only_to_an_xlam_file(tmp_path, name):
    one_error(aop_xl("addin", "build", "-o", name, cwd=tmp_path),
              f"{name}: the add-in must have a name ending in .xlam")
    assert files_in(tmp_path) == []


# --- permissions and links -------------------------------------------------------------------------


@posix_only
def test_a_new_file_gets_the_mode_the_umask_gives(plan_dir):
    for umask, expected in ((0o022, 0o644), (0o027, 0o640), (0o002, 0o664)):
        out = plan_dir / f"AOP_{umask:o}.xlsx"
        result = aop_xl("build", "-o", out.name, cwd=plan_dir, preexec_fn=lambda u=umask: os.umask(u))
        assert result.returncode == 0, result.stderr
        assert mode(out) == expected, (oct(umask), oct(mode(out)))


@posix_only
@pytest.mark.parametrize("old_mode", [0o644, 0o640, 0o664, 0o600])
def test_a_rebuilt_file_keeps_its_mode(plan_dir, old_mode):
    out = plan_dir / "AOP.xlsx"
    out.write_bytes(b"old")
    out.chmod(old_mode)
    result = aop_xl("build", "-o", "AOP.xlsx", cwd=plan_dir, preexec_fn=lambda: os.umask(0o077))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:2] == b"PK"
    assert mode(out) == old_mode


@posix_only
@pytest.mark.parametrize(("command", "name"), [(("build",), "AOP.xlsx"), (("addin", "build"), "aop_xl.xlam")])
def test_a_read_only_target_is_refused_and_left_alone(plan_dir, command, name):
    out = plan_dir / name
    out.write_bytes(b"keep me")
    out.chmod(0o444)
    one_error(aop_xl(*command, "-o", name, cwd=plan_dir), f"{name}: is read-only; it is not replaced")
    assert out.read_bytes() == b"keep me" and mode(out) == 0o444
    assert files_in(plan_dir) == sorted([name, "plan.toml"])


@posix_only
def test_a_symlinked_target_is_followed_and_the_link_kept(plan_dir):
    (plan_dir / "shared").mkdir()
    real = plan_dir / "shared" / "AOP_2027.xlsx"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = plan_dir / "AOP.xlsx"
    link.symlink_to(Path("shared") / "AOP_2027.xlsx")
    result = aop_xl("build", "-o", "AOP.xlsx", cwd=plan_dir)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(Path("shared") / "AOP_2027.xlsx")
    assert real.read_bytes()[:2] == b"PK" and mode(real) == 0o640
    assert files_in(plan_dir) == ["AOP.xlsx", "plan.toml", "shared", str(Path("shared/AOP_2027.xlsx"))]


@posix_only
def test_a_dangling_link_creates_the_file_it_points_to(plan_dir):
    (plan_dir / "AOP.xlsx").symlink_to("target.xlsx")
    result = aop_xl("build", "-o", "AOP.xlsx", cwd=plan_dir)
    assert result.returncode == 0, result.stderr
    assert (plan_dir / "AOP.xlsx").is_symlink()
    assert (plan_dir / "target.xlsx").read_bytes()[:2] == b"PK"


@posix_only
def test_a_read_only_folder_is_refused(plan_dir):
    folder = plan_dir / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        one_error(aop_xl("build", "-o", "locked/AOP.xlsx", cwd=plan_dir), "locked/AOP.xlsx: folder", "is read-only")
        assert files_in(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_folder_the_system_refuses_gives_one_line(tmp_path, monkeypatch):
    # What a user without write permission on the folder meets (an administrator never does).
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "open", refuse)
    with pytest.raises(WorkbookError) as err:
        files.write_atomic(tmp_path / "AOP.xlsx", b"data", error=WorkbookError)
    assert str(err.value) == f"{tmp_path / 'AOP.xlsx'}: cannot write in folder {tmp_path} (Permission denied)"


# --- failed and killed writes --------------------------------------------------------------------------


@posix_only
def test_the_file_size_limit_gives_one_line_and_no_file(plan_dir):
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # ulimit -f: the workbook is ~70 kB

    result = aop_xl("build", "-o", "AOP.xlsx", cwd=plan_dir, preexec_fn=limit)
    one_error(result, "AOP.xlsx: cannot write (File too large); nothing was written")
    assert files_in(plan_dir) == ["plan.toml"]
    result = aop_xl("addin", "build", "-o", "aop_xl.xlam", cwd=plan_dir, preexec_fn=limit)
    one_error(result, "aop_xl.xlam: cannot write (File too large)")
    assert files_in(plan_dir) == ["plan.toml"]


def test_a_full_disk_gives_one_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "AOP.xlsx"
    target.write_bytes(b"previous")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fd, mode):
            self.fh = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fdopen", Full)
    with pytest.raises(WorkbookError) as err:
        files.write_atomic(target, b"new content", error=WorkbookError)
    assert str(err.value) == f"{target}: cannot write (No space left on device); nothing was written"
    assert target.read_bytes() == b"previous"
    assert files_in(tmp_path) == ["AOP.xlsx"]


# A build killed while openpyxl writes its worksheets: the worksheet writer sends the signal to
# its own process at the third sheet, so the kill lands in the middle of saving every time.
KILLED_BUILD = textwrap.dedent(
    """
    import os, signal, sys
    from openpyxl.worksheet import _writer
    write = _writer.WorksheetWriter.write
    sheets = []
    def write_and_kill(self):
        write(self)
        sheets.append(self)
        if len(sheets) == 3:
            os.kill(os.getpid(), signal.{signal})
    _writer.WorksheetWriter.write = write_and_kill
    from aop_xl.cli import main
    main(["build", "-o", "AOP.xlsx"])
    """
)


@posix_only
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_killed_build_leaves_no_temporary_file(plan_dir, signame):
    temp = plan_dir / "system-temp"
    temp.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", KILLED_BUILD.format(signal=signame)],
        cwd=plan_dir, env={**os.environ, "TMPDIR": str(temp)}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    assert files_in(temp) == [], "nothing is left in the system's temporary folder"
    assert files_in(plan_dir) == ["plan.toml", "system-temp"], "no workbook and no temporary file next to it"
    if signame == "SIGTERM":
        assert result.returncode == 128 + signal.SIGTERM


def test_worksheets_are_never_written_to_the_temporary_folder(tmp_path, monkeypatch):
    from openpyxl.worksheet import _writer

    from aop_xl import load_plan
    from aop_xl.workbook.build import build_workbook

    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file was created")

    monkeypatch.setattr(_writer, "create_temporary_file", refuse)
    path = build_workbook(load_plan(), tmp_path / "AOP.xlsx")
    assert path.read_bytes()[:2] == b"PK"


def test_control_characters_in_an_output_name_stay_on_one_line(plan_dir):
    result = aop_xl("build", "-o", "bad\nname.csv", cwd=plan_dir)
    one_error(result, '"bad\\nname.csv": the workbook must have a name ending in .xlsx')
    assert files_in(plan_dir) == ["plan.toml"]

