"""Running the real ``aop-xl`` console script in a subprocess, as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AOP_XL = Path(sys.executable).with_name("aop-xl.exe" if os.name == "nt" else "aop-xl")


def aop_xl(*args: str, cwd: Path, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run ``aop-xl ARGS`` in ``cwd`` and return the finished process (text output)."""
    assert AOP_XL.is_file(), f"{AOP_XL}: the console script is not installed"
    return subprocess.run(
        [str(AOP_XL), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=300,
        **kwargs,
    )


def one_error(result: subprocess.CompletedProcess, *expected: str) -> str:
    """The one ``error:`` line of a failed run (exit code 2, nothing else on stderr), which
    contains every string of ``expected``."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


def files_in(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, hidden ones included, as sorted relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
