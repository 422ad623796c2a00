"""The ``aop-xl`` command: each command builds its inputs and calls one library function.

Library errors (``AopError``) become one line per problem on stderr and exit code 2 here, and
only here.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from pathlib import Path

import click

from aop_xl.errors import AopError

# Folders and unreadable files are refused by load_plan, in the one-line form of every bad input.
#: Empty rows a built workbook carries after each member block (docs/workbook.md, "Spare rows").
DEFAULT_SPARE = 5
PLAN_ARGUMENT = click.argument("plan", required=False, type=click.Path(path_type=Path))


def _fail(problems: list[str]) -> None:
    from aop_xl.plan_checks import one_line

    for problem in problems:
        click.echo(f"error: {one_line(problem)}", err=True)  # one problem, one line
    sys.exit(2)


def _terminated(signum, frame):
    # A termination request raises here like Ctrl+C does, so that a file being written is
    # removed on the way out; the exit code is the one a shell reports for the signal.
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _signals():
    # SIGTERM cleans up as it leaves; SIGXFSZ (over the file-size limit, ulimit -f) is
    # ignored so that the write fails with an error that is reported, instead of killing the
    # process with its temporary file in place.
    wanted = {signal.SIGTERM: _terminated}
    if hasattr(signal, "SIGXFSZ"):
        wanted[signal.SIGXFSZ] = signal.SIG_IGN
    previous = {}
    try:
        for signum, handler in wanted.items():
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread: leave the signals as they are
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Group(click.Group):
    # Every subcommand runs inside the root group's invoke, so this is the one place where a
    # library error turns into its message lines and exit code 2 (click's own usage errors
    # already exit 2).
    def invoke(self, ctx):
        try:
            with _signals():
                return super().invoke(ctx)
        except AopError as exc:
            _fail(getattr(exc, "problems", None) or [str(exc)])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aop-xl")
def main() -> None:
    """aop_xl: the annual operating plan in Excel, exact to the cent.

    PLAN is a plan file (TOML, or JSON); without it every command uses the embedded sample
    plan (Northwind Trading, FY2027).
    """


@main.group()
def plan() -> None:
    """Check and inspect a plan file."""


@plan.command("check")
@PLAN_ARGUMENT
def plan_check(plan: Path | None) -> None:
    """Validate PLAN and print totals by region, product and quarter, quotas and ROI."""
    from aop_xl.plan import load_plan
    from aop_xl.report import plan_summary_text

    click.echo(plan_summary_text(load_plan(plan)))


@plan.command("show")
@PLAN_ARGUMENT
@click.option("--json", "as_json", is_flag=True, help="Print the engine's results as JSON.")
def plan_show(plan: Path | None, as_json: bool) -> None:
    """Print the engine's results for PLAN: targets, quotas, budget and KPIs."""
    from aop_xl.plan import load_plan
    from aop_xl.report import plan_results, plan_summary_text

    loaded = load_plan(plan)
    if as_json:
        click.echo(json.dumps(plan_results(loaded), indent=2, ensure_ascii=False))
    else:
        click.echo(plan_summary_text(loaded))


@main.command("build")
@PLAN_ARGUMENT
@click.option("-o", "--output", metavar="PATH", help="Where to write the workbook (a .xlsx file).")
@click.option("--blank", is_flag=True, help="Write the empty standard template instead of a plan's workbook.")
@click.option("--password", default=None, help="Protect the sheets with this password (default: no password).")
@click.option("--spare", type=click.IntRange(0, 1000), default=DEFAULT_SPARE, show_default=True,
              help="Empty rows after the regions, products, reps, budget lines and KPIs, for members added in Excel.")
def build(plan: Path | None, output: str | None, blank: bool, password: str | None, spare: int) -> None:
    """Build the standard AOP workbook of PLAN (default: workbooks/AOP_<year>.xlsx).

    With --blank, write the empty template (default: workbooks/AOP_template.xlsx).
    """
    from aop_xl.errors import WorkbookError
    from aop_xl.files import check_output, display, make_folder
    from aop_xl.plan import load_plan
    from aop_xl.workbook.build import build_workbook

    if blank and plan is not None:
        raise click.UsageError("--blank writes the empty template; give either PLAN or --blank")
    checks = {"suffix": ".xlsx", "source": plan, "what": "workbook", "error": WorkbookError}
    if output is not None:
        check_output(output, **checks)  # before any work
    loaded = None if blank else load_plan(plan)
    if output is None:
        target = Path("workbooks") / ("AOP_template.xlsx" if blank else f"AOP_{loaded.plan.year}.xlsx")
        make_folder(target.parent, error=WorkbookError)
        check_output(target, **checks)
    else:
        target = Path(output)
    build_workbook(loaded, target, blank=blank, password=password, spare=spare)
    click.echo(f"wrote {display(target)}")


@main.group()
def addin() -> None:
    """Build and install the Excel add-in (the AOP ribbon tab and =AOP_* functions)."""


@addin.command("build")
@click.option("-o", "--output", metavar="PATH", help="Where to write the add-in (a .xlam file).")
def addin_build(output: str | None) -> None:
    """Assemble aop_xl.xlam from the ribbon XML and VBA sources (default: addin/aop_xl.xlam)."""
    from aop_xl.errors import AddinError
    from aop_xl.files import check_output, display
    from aop_xl.xl.addin import ADDIN_FILE_NAME, ADDIN_SUFFIX, build_default_addin, source_dir

    if output is not None:
        check_output(output, suffix=ADDIN_SUFFIX, what="add-in", error=AddinError)  # before any work
    written = build_default_addin(Path(output) if output is not None else source_dir() / ADDIN_FILE_NAME)
    click.echo(f"wrote {display(written)}")


@addin.command("install")
def addin_install() -> None:
    """Copy the add-in (and xlwings' add-in if missing) into Excel's start-up folder."""
    import tempfile

    from aop_xl.xl.addin import ADDIN_FILE_NAME, build_default_addin, source_dir
    from aop_xl.xl.install import install_addin

    built = source_dir() / ADDIN_FILE_NAME
    with tempfile.TemporaryDirectory() as tmp:
        if not built.is_file():
            built = build_default_addin(Path(tmp) / ADDIN_FILE_NAME)
        for path in install_addin(built):
            click.echo(f"installed {path}")
    click.echo("Restart Excel: the AOP tab appears on the ribbon.")


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit"]), default="text",
              show_default=True, help="Report format on standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report to a file, e.g. sarif:validate.sarif (repeatable).")
@click.option("--recalc", is_flag=True,
              help="Recalculate in LibreOffice (and Gnumeric where installed) first: check cells must be 0, "
                   "no cell may hold an error.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding is at least this severe.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Accepted findings (JSON): only findings not in it count.")
@click.option("--update-baseline", is_flag=True, help="Write every finding to --baseline as accepted, then exit 0.")
def validate(files, fmt, reports, recalc, fail_on, baseline, update_baseline) -> None:
    """Check workbooks like code: contract, modelling, Excel limits and values.

    Exit code 0 clean, 1 findings at or above --fail-on, 2 unusable input. Rules and formats:
    docs/ci.md.
    """
    from aop_xl.checks import baseline as baselines
    from aop_xl.checks.formats import render, summary
    from aop_xl.checks.progress import progress_bar
    from aop_xl.checks.validate import validate as run_checks
    from aop_xl.workbook.build import write_atomic

    targets = []
    for spec in reports:
        kind, _, path = spec.partition(":")
        if kind not in ("text", "json", "sarif", "junit") or not path:
            raise click.BadParameter(f"{spec!r}: give FORMAT:PATH, FORMAT one of text, json, sarif, junit",
                                     param_hint="--report")
        if not Path(path).parent.is_dir():  # before the work, not after
            raise click.BadParameter(f"{path}: folder {Path(path).parent} does not exist", param_hint="--report")
        targets.append((kind, Path(path)))
    if update_baseline and baseline is None:
        raise click.UsageError("--update-baseline needs --baseline FILE")
    accepted = baselines.load(baseline) if baseline is not None and not update_baseline else None
    with progress_bar("validate") as progress:
        report = run_checks(files, recalc=recalc, progress=progress)
    if update_baseline:
        count = baselines.write(report, baseline)
        click.echo(f"wrote {baseline}: {count} accepted finding(s)")
        sys.exit(2 if report.unusable else 0)
    if accepted is not None:
        baselines.apply(report, accepted)
    for kind, path in targets:
        write_atomic(path, (render(report, kind, fail_on) + "\n").encode("utf-8"))
    click.echo(render(report, fmt, fail_on))
    if fmt != "text":  # the document went to standard output; people read standard error
        for unusable in report.unusable:
            click.echo(f"error: {unusable.error}", err=True)
        click.echo(summary(report, fail_on), err=True)
    sys.exit(report.exit_code(fail_on))


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path), required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--values-only", is_flag=True, help="Compare what a reader sees: inputs, numbers, results; no formula text.")
@click.option("--textconv", is_flag=True, help="Print OLD alone as stable text, for git's textconv.")
def diff(old, new, fmt, values_only, textconv) -> None:
    """What changed from OLD to NEW: inputs, targets by region, product and quarter, quotas,
    commission, then sheets, names, rows, columns and cells.

    Exit code 0 no differences, 1 differences, 2 unusable input. As git's textconv and
    difftool: docs/ci.md.
    """
    from aop_xl.checks.diff import diff_files, dump, render_text

    if textconv:
        if new is not None:
            raise click.UsageError("--textconv prints one workbook: give OLD only")
        click.echo(dump(old), nl=False)
        return
    if new is None:
        raise click.UsageError("give OLD and NEW (or --textconv OLD)")
    changes = diff_files(old, new, values_only=values_only)
    click.echo(json.dumps(changes.as_json(), indent=2, ensure_ascii=False) if fmt == "json" else render_text(changes))
    sys.exit(0 if changes.empty else 1)


# ---------------------------------------------------------------------------- the planning round

ROUND_ARGUMENT = click.argument("round_dir", metavar="ROUND_DIR", type=click.Path(path_type=Path))


@main.group("round")
def round_group() -> None:
    """Start a planning round, show its state, verify its ledger, approve it (docs/round.md)."""


@round_group.command("init")
@PLAN_ARGUMENT
@click.option("-o", "--output", "folder", required=True, metavar="ROUND_DIR",
              help="The round folder to create (new or empty).")
def round_init(plan: Path | None, folder: str) -> None:
    """Start a planning round of PLAN in ROUND_DIR: master workbook, ledger, secret key."""
    from aop_xl.cycle.round import init_round
    from aop_xl.files import display

    rnd = init_round(plan, folder)
    click.echo(f"started round {rnd.id} ({rnd.info['company']} {rnd.info['year']}) in {display(rnd.folder)}")
    if rnd.master_path.exists():
        click.echo(f"wrote {display(rnd.master_path)}")
    else:
        click.echo("no master workbook: the plan is beyond a workbook's limits (the round works on CSV and JSON)")


@round_group.command("status")
@ROUND_ARGUMENT
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def round_status(round_dir: Path, as_json: bool) -> None:
    """The state of every region (or rep) of the round."""
    from aop_xl.cycle.round import open_round
    from aop_xl.cycle.status import status_text

    status = open_round(round_dir).status()
    click.echo(json.dumps(status, indent=2, ensure_ascii=False) if as_json else status_text(status))


@round_group.command("verify")
@ROUND_ARGUMENT
def round_verify(round_dir: Path) -> None:
    """Check the ledger's hash chain and MACs; exit 1 when an entry was edited, removed or added."""
    from aop_xl.cycle.round import open_round

    result = open_round(round_dir).verify()
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"{result.entries} entries, {'chain intact' if result.ok else f'{len(result.problems)} problem(s)'}")
    sys.exit(0 if result.ok else 1)


@round_group.command("approve")
@ROUND_ARGUMENT
def round_approve(round_dir: Path) -> None:
    """Record the last reconciliation as the decision and lock the round."""
    from aop_xl.cycle.reconcile import approve_round
    from aop_xl.cycle.round import open_round

    from aop_xl.workbook.styles import unit_decimals

    rnd = open_round(round_dir)
    decision = approve_round(rnd)
    total = f"{decision['total_proposal']:,.{unit_decimals(rnd.plan.plan.unit)}f}"
    click.echo(f"round {rnd.id} approved ({decision['method']}, proposal {total}) and locked")


@main.command("distribute")
@ROUND_ARGUMENT
@click.option("--by", "kind", type=click.Choice(["region", "rep"]), default="region", show_default=True,
              help="One workbook per region, or per rep.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per core).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Build on a Dask cluster (tcp://host:8786) instead of local processes.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None,
              help="Revise the round's plan first; changed regions get a new issue.")
def distribute_command(round_dir: Path, kind: str, workers: int | None, scheduler: str | None,
                       plan_path: Path | None) -> None:
    """Write one workbook per region (or rep) into ROUND_DIR/outbox; exit 1 if any failed."""
    from aop_xl.checks.progress import progress_bar
    from aop_xl.cycle.distribute import distribute
    from aop_xl.cycle.round import open_round

    rnd = open_round(round_dir)
    with progress_bar("distribute") as progress:
        summary = distribute(rnd, kind, workers=workers, scheduler=scheduler, plan_path=plan_path,
                             progress=progress)
    for line in summary.lines():
        click.echo(line)
    sys.exit(0 if summary.ok else 1)


@main.command("collect")
@ROUND_ARGUMENT
@click.argument("inboxes", nargs=-1, required=True, metavar="INBOX...", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="A newer file for a region already accepted replaces it.")
def collect_command(round_dir: Path, inboxes: tuple[Path, ...], replace: bool) -> None:
    """Read returned workbooks (files or folders); each ends accepted, stale, foreign, tampered,
    duplicate or malformed, with its reason. Exit 1 if any file was not accepted."""
    from aop_xl.checks.progress import progress_bar
    from aop_xl.cycle.collect import collect
    from aop_xl.cycle.round import open_round

    rnd = open_round(round_dir)
    with progress_bar("collect") as progress:
        summary = collect(rnd, list(inboxes), replace=replace, progress=progress)
    for line in summary.lines():
        click.echo(line)
    sys.exit(0 if summary.ok else 1)


@main.command("reconcile")
@ROUND_ARGUMENT
@click.option("--tolerance", type=float, default=None, help="Largest |gap %| accepted, as a fraction (default 0.05).")
@click.option("--method", type=click.Choice(["keep", "accept", "blend", "scale"]), default="keep", show_default=True,
              help="The proposal: keep top-down, accept bottom-up, blend, or scale bottom-up to the top-down total.")
@click.option("--alpha", type=float, default=0.5, show_default=True, help="Weight of top-down in blend.")
def reconcile_command(round_dir: Path, tolerance: float | None, method: str, alpha: float) -> None:
    """Fill the master's Reconcile sheet and write reconcile/gaps.csv, proposal.csv, reconcile.json."""
    from aop_xl.cycle.reconcile import reconcile_round
    from aop_xl.cycle.round import open_round

    rnd = open_round(round_dir)
    result = reconcile_round(rnd, method=method, tolerance=tolerance, alpha=alpha)
    for line in result.lines(rnd.plan.plan.unit):
        click.echo(line)


# ---------------------------------------------------------------------------- the year in motion


def _money(amount: float, unit: float, currency: str) -> str:
    from aop_xl.workbook.styles import unit_decimals

    return f"{amount:,.{unit_decimals(unit)}f} {currency}"


@main.command("actuals")
@click.argument("files", nargs=-1, required=True, metavar="FILE...", type=click.Path(path_type=Path))
@click.option("--into", "workbook", required=True, metavar="WORKBOOK", type=click.Path(path_type=Path),
              help="The standard workbook to load into (built by aop-xl build).")
@click.option("--as-of", "as_of", metavar="YYYY-MM", default=None,
              help="The month the actuals are complete through (default: the latest month loaded).")
@click.option("--mapping", metavar="MAPPING.toml", type=click.Path(path_type=Path), default=None,
              help="Column mapping for the export's headers (docs/actuals.md).")
@click.option("--plan", "plan_path", metavar="PLAN", type=click.Path(path_type=Path), default=None,
              help="A plan file whose reps' changes (start, end, moves, draw) the workbook takes.")
def actuals_command(files: tuple[Path, ...], workbook: Path, as_of: str | None, mapping: Path | None,
                    plan_path: Path | None) -> None:
    """Load CRM exports (CSV or XLSX) of deals into WORKBOOK.

    Loading a file again never counts it twice. Every row that cannot be loaded is listed
    with its file and line; then the exit code is 2 (the rows that could be loaded are).
    """
    from aop_xl.checks.progress import progress_bar
    from aop_xl.cycle.inyear import load_into
    from aop_xl.plan_checks import one_line

    with progress_bar("actuals") as progress:
        result = load_into(workbook, list(files), as_of=as_of, mapping=mapping, plan_file=plan_path,
                           progress=progress)
    report = result.report
    for line in report.summary():
        click.echo(line)
    h = result.plan.plan
    if result.numbers is not None:
        k = result.numbers.kpis
        revenue = k[k["metric"].str.casefold() == "revenue"]
        if len(revenue):
            r = revenue.iloc[0]
            click.echo(f"Revenue to {report.as_of_month}: {_money(r['actual'], h.unit, h.currency)} against "
                       f"{_money(r['ytd_target'], h.unit, h.currency)} to date ({r['status'] or 'no status'}).")
        st = result.numbers.statements
        if len(st):
            now = st[st["end"] == report.as_of]
            state = "due" if bool(now["closed"].iloc[0]) else "accrued, not yet due"
            click.echo(f"Commission for {now['period'].iloc[0]} {h.year} ({state}): "
                       f"{_money(now['payment'].sum(), h.unit, h.currency)} for {len(now)} reps.")
    click.echo(f"wrote {workbook}" if result.written else f"nothing written to {workbook}")
    for problem in report.errors():
        click.echo(f"error: {one_line(problem)}", err=True)
    sys.exit(2 if report.failed else 0)


@main.command("sample-actuals")
@PLAN_ARGUMENT
@click.option("-o", "--output", required=True, metavar="FILE", help="The export to write (.csv or .xlsx).")
@click.option("--months", type=click.IntRange(0, 12), default=12, show_default=True,
              help="Months of the plan year to include.")
@click.option("--prior-year/--no-prior-year", default=True, show_default=True,
              help="Include the twelve months before the plan year (growth and churn need them).")
def sample_actuals_command(plan: Path | None, output: str, months: int, prior_year: bool) -> None:
    """Write realistic, deterministic CRM data for PLAN: seasonality, reps far ahead and behind,
    returns, split deals, churned customers."""
    from aop_xl.cycle.sample_actuals import sample_actuals, write_sample
    from aop_xl.errors import PlanError
    from aop_xl.files import check_output, write_atomic
    from aop_xl.plan import load_plan

    suffix = Path(output).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise PlanError(f"{output}: the export must have a name ending in .csv or .xlsx")
    check_output(output, suffix=suffix, source=plan, what="export")
    loaded = load_plan(plan)
    rows = sample_actuals(loaded, months, prior_year=prior_year)
    write_atomic(output, write_sample(rows, output), suffix=suffix, source=plan, what="export")
    click.echo(f"wrote {output}: {len(rows):,} deal lines")


@main.command("statements")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("-o", "--output", "folder", required=True, metavar="DIR", type=click.Path(path_type=Path),
              help="The folder for the statements (created when missing).")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Print each statement to PDF (LibreOffice).")
def statements_command(workbook: Path, folder: Path, pdf: bool) -> None:
    """Write one commission statement per rep (xlsx and PDF) for WORKBOOK's as-of period."""
    from aop_xl.checks.progress import progress_bar
    from aop_xl.cycle.statements import write_statements
    from aop_xl.plan_checks import one_line

    with progress_bar("statements") as progress:
        out = write_statements(workbook, folder, pdf=pdf, progress=progress)
    click.echo(f"wrote {len(out.written)} files to {folder} ({out.period}); payments "
               f"{out.total_payment:,.2f} {out.currency}")
    if out.recorded:
        click.echo(f"recorded {out.recorded} payments of closed periods as made in {workbook}")
    for failure in out.failures:
        click.echo(f"error: {one_line(failure)}", err=True)
    sys.exit(2 if out.failures else 0)

if __name__ == "__main__":  # pragma: no cover
    main()
