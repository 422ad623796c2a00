"""Distribute a round: one workbook per region (or rep) into the round's outbox.

Steps, under the round's lock:

1. The unit's plan document (:class:`aop_xl.cycle.regional.RoundSlices`) and its content
   hash. A unit whose content was already issued keeps its issue number; a unit whose content
   changed (``--plan`` revised the round's plan) gets the next one, and a file of its earlier
   issue that comes back is stale. A unit already written with the same bytes is skipped, so a
   re-run after an interruption finishes the round and a complete re-run writes nothing.
2. The unit's top-down numbers (:mod:`aop_xl.cycle.numbers`, checked against the engine on
   a unit of every shape) and its identity with the round key's MAC, made here: workers never
   see the key.
3. Workers build the workbooks (:mod:`aop_xl.cycle.fastpath`): the first unit of every shape
   normally and proven as the template, the others rendered from it. The pool is local
   processes, or a Dask cluster through ``distributed``'s ``concurrent.futures`` executor.
4. This process writes each file atomically (:func:`aop_xl.cycle.outputs.write_output`:
   never over a file in use) and records it in the ledger, as results arrive.

A unit that cannot be built or written is reported with its reason and the others go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aop_xl.cycle.fastpath import UnitJob, UnitResult, build_units, prove_shape, shape_key
from aop_xl.cycle.numbers import UnitNumbers, batch_numbers, engine_numbers
from aop_xl.cycle.outputs import FileInUse, file_names, remove_stale_temporary, write_output
from aop_xl.cycle.regional import RoundSlices, Unit, canonical, make_identity, sha256, topdown_hash, unit_plan
from aop_xl.cycle.round import OUTBOX, Round, RoundError, plan_hash
from aop_xl.engine.targets import target_units
from aop_xl.errors import AopError, PlanError
from aop_xl.files import display
from aop_xl.plan import load_plan

#: Units per task sent to a worker.
BATCH = 48
#: Workbooks written between two flushes of the ledger to disk (a crash loses at most these
#: entries; the files are whole, and the next run records them again).
SYNC_EVERY = 64
Progress = Callable[[str, int, int], None]


@dataclass
class DistributeSummary:
    """What a distribution did."""

    kind: str
    outbox: Path
    written: list[tuple[str, str]] = field(default_factory=list)  # (unit key, file name)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (unit key, reason)
    notes: list[str] = field(default_factory=list)
    fast: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        """The summary as the command prints it."""
        total = len(self.written) + len(self.unchanged) + len(self.failed)
        out = [f"{len(self.written)} of {total} workbooks written to {display(self.outbox)}"
               + (f" ({self.fast} from shape templates)" if self.written else "")
               + (f", {len(self.unchanged)} unchanged" if self.unchanged else "")
               + (f", {len(self.failed)} failed" if self.failed else "")]
        out += [f"note: {n}" for n in self.notes]
        out += [f"failed: {key}: {reason}" for key, reason in self.failed]
        return out


def distribute(rnd: Round, kind: str = "region", *, workers: int | None = None, scheduler: str | None = None,
               plan_path: str | os.PathLike | None = None, fast: bool = True,
               progress: Progress | None = None) -> DistributeSummary:
    """Write one workbook per unit of the round (see the module's text).

    Args:
        rnd: the open round.
        kind: "region" or "rep".
        workers: worker processes (default: the machine's cores); 1 builds in this process.
        scheduler: a Dask scheduler's address (``tcp://host:8786``): build on that cluster.
        plan_path: revise the round's plan first (same company and year); units whose
            workbook changes get a new issue.
        fast: use shape templates (off: every workbook built normally; same bytes, slower).
        progress: called with (what, done, total).

    Returns:
        The :class:`DistributeSummary`.

    Raises:
        RoundError: the round is locked, busy, was distributed by the other kind, or the
            cluster cannot be reached.
        PlanError: the revised plan is not valid.
    """
    with rnd.locked():
        rnd.refuse_if_locked()
        if rnd.kind is not None and rnd.kind != kind:
            raise RoundError(f"{display(rnd.folder)}: this round went out by {rnd.kind}; it cannot also go out by "
                             f"{kind} (start another round)")
        summary = DistributeSummary(kind, rnd.path(OUTBOX))
        if plan_path is not None:
            _revise(rnd, plan_path, summary)
        return _distribute(rnd, kind, workers, scheduler, fast, progress, summary)


def _revise(rnd: Round, plan_path, summary: DistributeSummary) -> None:
    from aop_xl.cycle.master import write_master

    plan = load_plan(plan_path)
    old = rnd.plan
    if (plan.plan.company, plan.plan.year) != (old.plan.company, old.plan.year):
        raise PlanError(f"{display(plan_path)}: the plan is {plan.plan.company} {plan.plan.year}; this round is "
                        f"{old.plan.company} {old.plan.year}")
    if plan_hash(plan) == plan_hash(old):
        summary.notes.append("the plan is the round's plan already")
        return
    rnd.write_plan(plan)
    rnd.ledger.append("plan revised", plan_sha256=plan_hash(plan), plan_file=str(plan_path))
    summary.notes.append("the round's plan was revised; units whose workbook changed get a new issue")
    try:
        write_master(rnd)
    except AopError as exc:
        summary.notes.append(f"the master workbook was not rebuilt: {exc}")


def _distribute(rnd: Round, kind: str, workers, scheduler, fast: bool, progress, summary) -> DistributeSummary:
    plan = rnd.plan
    outbox = summary.outbox
    for path in remove_stale_temporary(outbox):
        summary.notes.append(f"removed {path.name}, left by an interrupted write")
    slices = RoundSlices(plan, kind)
    names = file_names([u.name for u in slices.units], prefix=f"AOP_{plan.plan.year}_")
    states = rnd.units()
    current = {u.key for u in slices.units}
    for key, state in states.items():
        if key not in current and key.startswith(f"{kind}:") and state.state != "withdrawn":
            rnd.ledger.append("withdrawn", key, reason="no longer in the round's plan", issue=state.issue)
            summary.notes.append(f"{key}: withdrawn (no longer in the plan)")
    base_hash = sha256(canonical({k: v for k, v in slices._base.items() if k not in ("regions", "reps", "budget")}))

    # What to build: units whose workbook is not in the outbox as issued. Only keys and hashes
    # are kept for all of them; documents and jobs are made a batch at a time.
    by_shape: dict[str, list[tuple[Unit, str, int]]] = {}
    for unit in slices.units:
        doc = slices.document(unit)
        content = sha256(canonical(doc))
        state = states.get(unit.key)
        file = names[unit.name]
        if state is not None and state.content == content:
            issue = state.issue
            if state.file == file and _sha_of(outbox / file) == state.sha256:
                summary.unchanged.append((unit.key, file))
                continue
        else:
            issue = (max(state.issues) if state is not None and state.issues else 0) + 1
        by_shape.setdefault(shape_key(doc, base_hash), []).append((unit, content, issue))
    total = sum(len(group) for group in by_shape.values())
    if progress:
        progress("preparing", 0, total)
    if not total:
        return summary

    live: dict[str, tuple[UnitJob, str]] = {}  # unit key -> (job, content) until written
    checked: dict[str, bool] = {}

    def jobs(items: list[tuple[Unit, str, int]]) -> list[UnitJob]:
        made, contents = make_jobs(slices, [(u, slices.document(u), c, i) for u, c, i in items], rnd.key, rnd.id,
                                   base_hash, summary.notes, checked)
        for key, job in made.items():
            live[key] = (job, contents[key])
        return list(made.values())

    done = 0

    def record(result: UnitResult) -> None:
        nonlocal done
        done += 1
        key, file = result.unit.key, names[result.unit.name]
        job, content = live.pop(key)
        if result.error is not None:
            summary.failed.append((key, result.error))
        else:
            try:
                write_output(outbox / file, result.data, error=RoundError)
            except (FileInUse, RoundError) as exc:
                summary.failed.append((key, str(exc)))
            else:
                rnd.ledger.append("distributed", key, sync=False, issue=job.identity["issue"], file=file,
                                  sha256=sha256(result.data), topdown_hash=job.identity["topdown_hash"],
                                  content=content, fast=result.fast)
                summary.written.append((key, file))
                summary.fast += bool(result.fast)
                if len(summary.written) % SYNC_EVERY == 0:
                    rnd.ledger.sync()
        if progress:
            progress(file, done, total)

    try:
        _build_all(by_shape, jobs, workers, scheduler, fast, record, summary)
    finally:
        rnd.ledger.sync()
    return summary


def _build_all(by_shape: dict[str, list], jobs, workers, scheduler, fast: bool, record, summary) -> None:
    with _executor(workers, scheduler) as pool:
        # Phase 1: the first unit of every shape, built normally and proven as its template.
        firsts = {shape: jobs(group[:1])[0] for shape, group in by_shape.items()}
        proofs = {shape: pool.submit(prove_shape, job, fast) for shape, job in firsts.items()}
        templates: dict[str, tuple[UnitJob, bytes] | None] = {}
        for shape, future in proofs.items():
            proof = _result(future, firsts[shape].unit)
            record(proof.result)
            templates[shape] = (firsts[shape], proof.template) if proof.template is not None else None
            if fast and proof.template is None and len(by_shape[shape]) > 1:
                summary.notes.append(f"{len(by_shape[shape]) - 1} workbook(s) of one shape built without the fast "
                                     f"path: {proof.reason}")
        # Phase 2: the rest, in batches, a bounded number in flight.
        in_flight: dict[cf.Future, list[UnitJob]] = {}
        limit = max(2 * (workers or os.cpu_count() or 1), 4)
        for shape, group in by_shape.items():
            for i in range(1, len(group), BATCH):
                while len(in_flight) >= limit:
                    _drain(in_flight, record, cf.FIRST_COMPLETED)
                batch = jobs(group[i:i + BATCH])
                in_flight[pool.submit(build_units, batch, templates[shape])] = batch
        while in_flight:
            _drain(in_flight, record, cf.FIRST_COMPLETED)


def _drain(in_flight: dict, record, when) -> None:
    finished, _ = cf.wait(list(in_flight), return_when=when)
    for future in finished:
        batch = in_flight.pop(future)
        try:
            results = future.result()
        except Exception as exc:  # a worker that died or a cluster error: the batch fails, the rest goes on
            results = [UnitResult(job.unit, error=f"{job.unit.key}: the worker failed ({type(exc).__name__}: "
                                                  f"{exc})") for job in batch]
        for result in results:
            record(result)


def _result(future: cf.Future, unit: Unit):
    from aop_xl.cycle.fastpath import ShapeProof

    try:
        return future.result()
    except Exception as exc:  # as in _drain
        return ShapeProof(UnitResult(unit, error=f"{unit.key}: the worker failed ({type(exc).__name__}: {exc})"),
                          reason="its first unit could not be built")


def jobs_for(plan, kind: str, key: bytes, round_id: str, issue: int = 1) -> list[UnitJob]:
    """The jobs of every unit of a plan (as a distribution makes them), for tools and tests."""
    slices = RoundSlices(plan, kind)
    pending = []
    for unit in slices.units:
        doc = slices.document(unit)
        pending.append((unit, doc, sha256(canonical(doc)), issue))
    base = sha256(canonical({k: v for k, v in slices._base.items() if k not in ("regions", "reps", "budget")}))
    jobs, _ = make_jobs(slices, pending, key, round_id, base, [])
    return list(jobs.values())


def make_jobs(slices: RoundSlices, pending, key: bytes, round_id: str, base_hash: str,
              notes: list[str], checked: dict[str, bool] | None = None) -> tuple[dict[str, UnitJob], dict]:
    """The numbers (batched where the engine computes them alike), identity and MAC of every
    pending unit: unit key -> :class:`UnitJob`, and unit key -> content hash.

    ``checked`` maps each shape whose batched numbers were compared with the engine's (on one of
    its units) to whether they agreed; it is updated, so a caller making jobs batch by batch
    compares each shape once, and a shape that disagreed takes the engine's numbers throughout."""
    plan = slices.plan
    checked = {} if checked is None else checked
    margins = {u.key: slices.margins(u) for u, *_ in pending}
    shapes = {u.key: shape_key(doc, base_hash) for u, doc, *_ in pending}
    batchable = [u for u, *_ in pending if margins[u.key].batchable and checked.get(shapes[u.key], True)]
    numbers: dict[str, UnitNumbers] = {}
    for i in range(0, len(batchable), 512):
        chunk = batchable[i:i + 512]
        for u, n in zip(chunk, batch_numbers([margins[u.key] for u in chunk], plan.plan.challenge_uplift)):
            numbers[u.key] = n
    for u, doc, *_ in pending:
        if u.key in numbers and shapes[u.key] in checked:
            continue
        try:
            tr = target_units(unit_plan(doc))
        except PlanError:
            continue  # its build reports the problem
        engine = engine_numbers(tr)
        if u.key in numbers:
            agree = checked[shapes[u.key]] = engine.same_as(numbers[u.key])
            if not agree:  # never expected: the batch is not used for this shape's units
                for v, *_ in pending:
                    if shapes[v.key] == shapes[u.key]:
                        numbers.pop(v.key, None)
                notes.append(f"{u.key}: batched numbers differ from the engine's; its shape uses the engine")
                numbers[u.key] = engine
        else:
            numbers[u.key] = engine
            diff = slices.margin_differences(u, tr)
            if diff:
                notes.append(f"{u.key}: its workbook's {'; '.join(diff)} (amounts beyond 2^31 units split by "
                             "weights the engine rounds to nine digits)")
    for u, doc, *_ in pending:  # units of shapes whose batch disagreed
        if u.key not in numbers:
            try:
                numbers[u.key] = engine_numbers(target_units(unit_plan(doc)))
            except PlanError:
                numbers[u.key] = UnitNumbers(np.zeros((len(plan.products), 12), np.int64),
                                             np.zeros((0, 12), np.int64), np.zeros((0, 12), np.int64))
    jobs, contents = {}, {}
    for u, doc, content, issue in pending:
        identity = make_identity(key, round_id, plan.plan.company, plan.plan.year, u, issue,
                                 topdown_hash(doc, numbers[u.key]))
        jobs[u.key] = UnitJob(u, doc, numbers[u.key], identity, shapes[u.key])
        contents[u.key] = content
    return jobs, contents


def _sha_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None


class _InProcess(cf.Executor):
    # workers=1: the same tasks, run here one after the other.
    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[cf.Executor]:
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise RoundError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from None
        try:
            client = Client(scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise RoundError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({exc})") from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
        return
    count = workers or os.cpu_count() or 1
    if count < 1:
        raise RoundError(f"--workers: must be at least 1, got {count}")
    if count == 1:
        yield _InProcess()
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with cf.ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        yield pool
