"""Mutation score of the engine and the formula-writing code, with the fast tests alone.

mutmut plants one small change at a time (``<`` for ``<=``, ``+ 1`` for ``+ 2``, a constant,
a dropped call...) in ``src/aop_xl/engine/`` and ``src/aop_xl/workbook/formulas.py`` and
runs the tests that need no LibreOffice (``-m "not libreoffice"``) against each; a mutant
that no test notices "survives". The score is killed / (killed + survived); each survivor
is either equivalent (the change cannot alter any result) or a missing test.

It runs in a scratch copy of the repository (mutmut writes a ``mutants/`` tree and its own
``setup.cfg`` there), so the checkout is left as it was. It is slow (an hour or more for
everything on two cores) and not part of CI. Usage, from the repository root::

    uv run python bench/mutation.py                          # engine + formulas.py
    uv run python bench/mutation.py src/aop_xl/engine/kpi.py # one module
    uv run python bench/mutation.py --keep /tmp/mut          # keep the work tree to inspect

It prints the counts, the score and every surviving mutant with its diff (``--report FILE``
writes the same to a file). Fast tests that fail on the unmutated code are left out and
listed first: mutmut needs a green run to start from.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGETS = ["src/aop_xl/engine/*.py", "src/aop_xl/workbook/formulas.py"]
# Copied into the scratch tree: what the package and its fast tests need.
COPY = ["src", "tests", "addin", "pyproject.toml", "uv.lock", "README.md", "docs"]
# The tests that need no LibreOffice; a fixed Hypothesis seed so that every mutant meets the
# same generated examples (a mutant killed only by chance would make the score drift).
PYTEST_SELECTION = ["tests", "-m", "not libreoffice"]
PYTEST_ARGS = ["-p", "no:cacheprovider", "--hypothesis-seed=0", "-q", "-o", "addopts="]


def setup_cfg(targets: list[str], deselect: list[str]) -> str:
    lines = ["[mutmut]", "source_paths = src", "only_mutate ="]
    lines += [f"    {t}" for t in targets]
    # mutmut runs the tests inside mutants/, where only src/, tests/ and the project files
    # are copied by default: the add-in sources and the docs are read by tests too.
    lines += ["also_copy ="] + [f"    {name}" for name in ("addin", "docs", "README.md")]
    selection = PYTEST_SELECTION + [a for nodeid in deselect for a in ("--deselect", nodeid)]
    lines += ["pytest_add_cli_args_test_selection ="] + [f"    {a}" for a in selection]
    lines += ["pytest_add_cli_args ="] + [f"    {a}" for a in PYTEST_ARGS]
    # Generated plans make some tests slow; a mutant that loops is still cut off.
    lines += ["timeout_multiplier = 10.0", "timeout_constant = 30.0", ""]
    return "\n".join(lines)


def prepare(work: Path, rev: str | None) -> None:
    """The files of commit ``rev`` (or of the working tree when None) in ``work``."""
    if rev is not None:
        archive = subprocess.run(["git", "archive", rev, *COPY], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive.stdout, check=True)
        return
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, work / name)


def failing_before_mutation(work: Path) -> list[str]:
    """Fast tests that fail on the unmutated code: mutmut needs a green run, so they are left
    out (and listed in the report: a failing test kills nothing)."""
    cmd = [sys.executable, "-m", "pytest", *PYTEST_SELECTION, *PYTEST_ARGS, "-rf", "--no-header"]
    env = dict(os.environ, PYTHONPATH=str(work / "src"), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(cmd, cwd=work, env=env, text=True, capture_output=True, check=False).stdout
    return sorted({m.group(1) for m in re.finditer(r"^FAILED (\S+?)(?: - .*)?$", out, re.MULTILINE)})


def mutmut(work: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "mutmut", *args]
    return subprocess.run(cmd, cwd=work, env=env, text=True, capture_output=capture, check=False)


def results(work: Path) -> dict[str, list[str]]:
    """Mutant names by status (killed, survived, timeout, ...)."""
    out = mutmut(work, "results", "--all", "true", capture=True).stdout
    by_status: dict[str, list[str]] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m:
            by_status.setdefault(m.group(2).strip(), []).append(m.group(1))
    return by_status


def report(work: Path, by_status: dict[str, list[str]]) -> str:
    killed = len(by_status.get("killed", [])) + len(by_status.get("timeout", []))
    survived = by_status.get("survived", [])
    lines = [f"{status}: {len(names)}" for status, names in sorted(by_status.items())]
    if killed + len(survived):
        lines.append(f"score: {killed} / {killed + len(survived)} = {killed / (killed + len(survived)):.1%}")
    for name in survived:
        lines.append("")
        lines.append(f"--- {name}")
        lines.append(mutmut(work, "show", name, capture=True).stdout.rstrip())
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS, help="files (globs) to mutate")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--max-children", type=int, default=2, help="mutants run in parallel")
    parser.add_argument("--report", type=Path, help="also write the report to this file")
    parser.add_argument("--rev", default="HEAD", help="the commit to test (default HEAD)")
    parser.add_argument("--worktree", action="store_true", help="test the working tree instead of a commit")
    args = parser.parse_args(argv)

    if args.keep:
        work = args.keep.resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="aop-xl-mutation-"))
    try:
        prepare(work, None if args.worktree else args.rev)
        deselect = failing_before_mutation(work)
        # mutmut reads pyproject.toml's [tool.mutmut] first; the project's has none, so it
        # falls back to this setup.cfg, written only in the scratch tree.
        (work / "setup.cfg").write_text(setup_cfg(args.targets, deselect), encoding="utf-8")
        run = mutmut(work, "run", "--max-children", str(args.max_children))
        if run.returncode not in (0, 1):
            print(f"mutmut run failed with exit code {run.returncode}", file=sys.stderr)
            return run.returncode
        head = [f"failing before mutation, left out: {len(deselect)}", *(f"  {t}" for t in deselect)]
        text = "\n".join(head) + "\n" + report(work, results(work))
        if args.report:
            args.report.write_text(text, encoding="utf-8")
        print(text)
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
