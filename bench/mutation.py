"""Mutation score of the engine and the formula-writing code, with the fast tests alone.

mutmut plants one small change at a time (``<`` for ``<=``, ``+ 1`` for ``+ 2``, a constant,
a dropped call...) in ``src/aop_xl/engine/`` and ``src/aop_xl/workbook/formulas.py`` and
runs the tests that need no LibreOffice (``-m "not libreoffice"``) against each; a mutant
that no test notices "survives". The score is killed / (killed + survived + not covered);
a timeout counts as killed. Each survivor is either equivalent (the change cannot alter any
result) or a missing test.

Which tests: the whole fast suite takes more than ten minutes, and mutmut runs every test
that calls a mutated function, so the workbook tests (which build whole workbooks through
the engine) would make each engine mutant cost minutes. Each target is therefore tested
with the tests written for it:

- ``src/aop_xl/engine/*``: the engine's own test files (``ENGINE_TESTS``: splits, units,
  targets, spread, commission, budget, KPIs, reconcile, the in-year plan, commission and
  KPIs, the reference property tests, and the UDFs that call the engine). The engine's
  doctests are not run: they illustrate, the tests above check.
- ``src/aop_xl/workbook/formulas.py``: the golden test of the sample workbook's XML
  (``FORMULA_TESTS``), which holds every formula the template writes; what a formula
  computes is checked by the LibreOffice tests, which are too slow to run per mutant.

It runs in a scratch copy of the repository (mutmut writes a ``mutants/`` tree and its own
``setup.cfg`` there), so the checkout is left as it was. Targets of the two groups are run
one group after the other. It is slow (about an hour for the engine on two shared cores)
and not part of CI. Usage, from the repository root::

    uv run python bench/mutation.py                          # engine + formulas.py
    uv run python bench/mutation.py src/aop_xl/engine/kpi.py # one module
    uv run python bench/mutation.py --keep /tmp/mut          # keep the work tree to inspect
    uv run python bench/mutation.py --recheck /tmp/mut --tests tests/test_spread.py  # its survivors, with today's tests

It prints the counts per module and in all, the score and every surviving mutant with its
diff (``--report FILE`` writes the same to a file). Fast tests that fail on the unmutated
code are left out and listed first: mutmut needs a green run to start from.
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
# The engine's own fast test files (see the docstring for why not the whole fast suite).
ENGINE_TESTS = [
    f"tests/{name}.py"
    for name in (
        "test_split",
        "test_units",
        "test_targets",
        "test_spread",
        "test_commission",
        "test_budget",
        "test_kpi",
        "test_reconcile",
        "test_inyear_plan",
        "test_inyear_commission",
        "test_inyear_kpi",
        "test_inyear_deals",
        "test_reference_cube",
        "test_reference_split",
        "test_reference_spread",
        "test_udfs",
    )
]
# Every formula of the template, as text, in the sample workbook's golden XML.
FORMULA_TESTS = ["tests/test_workbook_golden.py::test_sample_workbook_matches_golden_xml"]
FORMULAS = "src/aop_xl/workbook/formulas.py"
# Only tests that need no LibreOffice; a fixed Hypothesis seed so that every mutant meets the
# same generated examples (a mutant killed only by chance would make the score drift).
MARKER = ["-m", "not libreoffice"]
PYTEST_ARGS = ["-p", "no:cacheprovider", "--hypothesis-seed=0", "-q", "-o", "addopts="]


def selection_of(target: str) -> list[str]:
    """The test files a target is run against."""
    return FORMULA_TESTS if target == FORMULAS else ENGINE_TESTS


def setup_cfg(targets: list[str], tests: list[str], deselect: list[str]) -> str:
    lines = ["[mutmut]", "source_paths = src", "only_mutate ="]
    lines += [f"    {t}" for t in targets]
    # mutmut runs the tests inside mutants/, where only src/, tests/ and the project files
    # are copied by default: the add-in sources and the docs are read by tests too.
    lines += ["also_copy ="] + [f"    {name}" for name in ("addin", "docs", "README.md")]
    selection = tests + MARKER + [a for nodeid in deselect for a in ("--deselect", nodeid)]
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


def failing_before_mutation(work: Path, tests: list[str]) -> list[str]:
    """Fast tests that fail on the unmutated code: mutmut needs a green run, so they are left
    out (and listed in the report: a failing test kills nothing)."""
    cmd = [sys.executable, "-m", "pytest", *tests, *MARKER, *PYTEST_ARGS, "-rfE", "--no-header"]
    env = dict(os.environ, PYTHONPATH=str(work / "src"), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(cmd, cwd=work, env=env, text=True, capture_output=True, check=False).stdout
    # "FAILED tests/t.py::test_x[a b] - message": a parameter id may hold spaces; tests that
    # error (in a fixture) are left out as well.
    found = re.finditer(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", out, re.MULTILINE)
    return sorted({m.group(1) for m in found})


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


KILLED = ("killed", "timeout")
NOT_KILLED = ("survived", "no tests")


def module_of(mutant: str) -> str:
    """``aop_xl.engine.kpi`` of ``aop_xl.engine.kpi.x_rag__mutmut_3``."""
    return mutant.rsplit(".", 1)[0]


def counts(by_status: dict[str, list[str]]) -> list[str]:
    """One line per module, then the total: killed, survived, timeout, not covered, score."""
    modules = sorted({module_of(name) for names in by_status.values() for name in names})
    lines = []
    for module in [*modules, None]:
        n = {s: sum(1 for x in names if module is None or module_of(x) == module) for s, names in by_status.items()}
        killed = sum(n.get(s, 0) for s in KILLED)
        total = killed + sum(n.get(s, 0) for s in NOT_KILLED)
        other = ", ".join(f"{s} {c}" for s, c in sorted(n.items()) if c and s not in KILLED + NOT_KILLED)
        score = f"{killed / total:.1%}" if total else "-"
        lines.append(
            f"{module or 'all':<28} killed {n.get('killed', 0):>4}  survived {n.get('survived', 0):>3}"
            f"  timeout {n.get('timeout', 0):>2}  no tests {n.get('no tests', 0):>2}  score {score}"
            + (f"  ({other})" if other else "")
        )
    return lines


def report(work: Path, by_status: dict[str, list[str]]) -> str:
    lines = counts(by_status)
    for name in sorted(n for s in NOT_KILLED for n in by_status.get(s, [])):
        lines.append("")
        lines.append(f"--- {name}")
        lines.append(mutmut(work, "show", name, capture=True).stdout.rstrip())
    return "\n".join(lines) + "\n"


#: Written into every work tree, so that ``--keep`` replaces only a directory this script made.
WORK_MARK = ".aop-xl-mutation"


def work_dir(keep: Path | None) -> Path:
    """A fresh work tree: a new temporary directory, or ``keep`` emptied. A ``keep`` that holds
    anything but a previous work tree of this script is refused, never deleted."""
    if keep is None:
        work = Path(tempfile.mkdtemp(prefix="aop-xl-mutation-"))
    else:
        work = keep.resolve()
        if work.exists() and (not work.is_dir() or any(work.iterdir())):
            if not (work / WORK_MARK).is_file():
                raise ValueError(f"--keep {keep}: exists and is not a work tree of this script; remove it or choose another")
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
    (work / WORK_MARK).write_text("work tree of bench/mutation.py\n", encoding="utf-8")
    return work


def recheck(work: Path, tests: list[str], names: list[str] | None, deselect: str | None) -> int:
    """Run the survivors of a kept work tree against the tests as they are now.

    A full run takes hours; after tests are written for its survivors, this re-runs only
    those mutants (the mutated sources of the kept tree, the test files copied from the
    checkout) and prints ``killed`` or ``SURVIVED`` per mutant and the counts. The tests must
    pass with no mutant active first. ``deselect`` (a ``-k`` expression) leaves out tests that
    need a source fix made after the run, which the kept tree lacks.
    """
    mutants = work / "mutants"
    if not (work / WORK_MARK).is_file() or not mutants.is_dir():
        print(f"--recheck {work}: not a work tree kept by this script (--keep)", file=sys.stderr)
        return 2
    for name in {*tests, "tests/reference.py", "tests/plans.py", "tests/conftest.py"}:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, mutants / name)
    if names is None:
        names = sorted(n for s in NOT_KILLED for n in results(work).get(s, []))
    cmd = [sys.executable, "-m", "pytest", *tests, "-x", *MARKER, *PYTEST_ARGS, *(["-k", deselect] if deselect else [])]

    def run(mutant: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, MUTANT_UNDER_TEST=mutant, PYTHONPATH=str(mutants / "src"), PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run(cmd, cwd=mutants, env=env, text=True, capture_output=True, check=False)

    base = run("")
    if base.returncode != 0:
        print("the tests fail with no mutant active; fix them or leave some out with --deselect", file=sys.stderr)
        print(base.stdout[-3000:], file=sys.stderr)
        return 1
    survived = []
    for name in names:
        status = "killed" if run(name).returncode != 0 else "SURVIVED"
        if status == "SURVIVED":
            survived.append(name)
        print(f"{status} {name}", flush=True)
    print(f"rechecked {len(names)}: killed {len(names) - len(survived)}, survived {len(survived)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS, help="files (globs) to mutate")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--max-children", type=int, default=2, help="mutants run in parallel")
    parser.add_argument("--report", type=Path, help="also write the report to this file")
    parser.add_argument("--rev", default="HEAD", help="the commit to test (default HEAD)")
    parser.add_argument("--worktree", action="store_true", help="test the working tree instead of a commit")
    parser.add_argument("--recheck", type=Path, metavar="WORK",
                        help="re-run the survivors of a kept work tree against TESTS as they are now (see recheck())")
    parser.add_argument("--tests", nargs="+", default=ENGINE_TESTS, help="with --recheck: the test files")
    parser.add_argument("--mutants", nargs="+", help="with --recheck: only these mutants (default: every survivor)")
    parser.add_argument("--deselect", help="with --recheck: a pytest -k expression of tests to leave out")
    args = parser.parse_args(argv)
    if args.recheck:
        return recheck(args.recheck.resolve(), args.tests, args.mutants, args.deselect)

    try:
        work = work_dir(args.keep)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        prepare(work, None if args.worktree else args.rev)
        groups: dict[tuple[str, ...], list[str]] = {}
        for target in args.targets:
            groups.setdefault(tuple(selection_of(target)), []).append(target)
        by_status: dict[str, list[str]] = {}
        head: list[str] = []
        texts: list[str] = []
        for tests, targets in groups.items():
            deselect = failing_before_mutation(work, list(tests))
            head += [f"failing before mutation, left out: {len(deselect)}", *(f"  {t}" for t in deselect)]
            # mutmut reads pyproject.toml's [tool.mutmut] first; the project's has none, so it
            # falls back to this setup.cfg, written only in the scratch tree.
            (work / "setup.cfg").write_text(setup_cfg(targets, list(tests), deselect), encoding="utf-8")
            shutil.rmtree(work / "mutants", ignore_errors=True)
            run = mutmut(work, "run", "--max-children", str(args.max_children))
            if run.returncode not in (0, 1):
                print(f"mutmut run failed with exit code {run.returncode}", file=sys.stderr)
                return run.returncode
            group_status = results(work)
            texts.append(report(work, group_status))
            for status, names in group_status.items():
                by_status.setdefault(status, []).extend(names)
        if len(groups) > 1:
            texts.insert(0, "\n".join(counts(by_status)) + "\n")
        text = "\n".join(head) + "\n" + "\n".join(texts)
        unchecked = len(by_status.get("not checked", []))
        if unchecked:
            # mutmut leaves every mutant unchecked when its own first run of the tests fails
            # (a test that fails only under its instrumentation): the counts mean nothing.
            text += (f"\nERROR: {unchecked} mutants were not checked (did mutmut's first run of the tests fail? "
                     f"see its output above); the score above is not a score\n")
        if args.report:
            args.report.write_text(text, encoding="utf-8")
        print(text)
        return 1 if unchecked else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
