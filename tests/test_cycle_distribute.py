"""Distribute: identical bytes on a re-run, the same bytes from the pool and from Dask, and the
faults: one bad region of 300, a process killed mid-run, a target file held open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import zipfile

import pytest
from aop_cli import AOP_XL, aop_xl
from test_cycle_support import SAMPLE, small_plan, write_plan

from aop_xl.cycle.distribute import distribute
from aop_xl.cycle.round import init_round, open_round
from aop_xl.plan import plan_from_dict


def _outbox(rnd) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((rnd.folder / "outbox").iterdir())}


@pytest.fixture(scope="module")
def round_by_region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round") / "r"
    plan = write_plan(small_plan(4, 2), folder.parent / "plan.json")
    rnd = init_round(plan, folder)
    summary = distribute(rnd, "region", workers=1)
    assert summary.ok and len(summary.written) == 4 and summary.fast == 3  # one shape: a template and 3 rendered
    return rnd, _outbox(rnd)


def test_a_rerun_writes_nothing_and_a_lost_outbox_comes_back_identical(round_by_region):
    rnd, first = round_by_region
    entries = len(rnd.ledger.entries())
    again = distribute(rnd, "region", workers=1)
    assert again.ok and not again.written and len(again.unchanged) == 4
    assert len(open_round(rnd.folder).ledger.entries()) == entries
    for p in (rnd.folder / "outbox").iterdir():
        p.unlink()
    rebuilt = distribute(rnd, "region", workers=1)
    assert len(rebuilt.written) == 4
    assert _outbox(rnd) == first
    issues = [e["data"]["issue"] for e in open_round(rnd.folder).ledger.entries() if e["action"] == "distributed"]
    assert issues == [1] * 8  # the same issue, written twice


def test_the_process_pool_and_a_dask_cluster_write_the_same_bytes(round_by_region):
    from distributed import LocalCluster

    rnd, first = round_by_region
    for p in (rnd.folder / "outbox").iterdir():
        p.unlink()
    assert distribute(rnd, "region", workers=2).ok
    assert _outbox(rnd) == first
    for p in (rnd.folder / "outbox").iterdir():
        p.unlink()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        summary = distribute(rnd, "region", scheduler=cluster.scheduler_address)
    assert summary.ok and len(summary.written) == 4 and summary.fast == 3
    assert _outbox(rnd) == first


def test_an_unreachable_scheduler_is_one_error_line(round_by_region, tmp_path):
    rnd, _ = round_by_region
    for p in (rnd.folder / "outbox").iterdir():
        p.unlink()  # work to do, so the cluster is needed
    result = aop_xl("distribute", str(rnd.folder), "--scheduler", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cannot connect to the Dask scheduler" in result.stderr and "Traceback" not in result.stderr


def _regions_plan(n: int, bad: int | None = None):
    d = SAMPLE.model_dump(mode="json", exclude_none=True)
    d["regions"] = [{"name": f"R{i:04d}", "market": "core", "weight": 1 + i % 7} for i in range(n)]
    d["products"] = d["products"][:2]
    d["reps"], d["kpis"] = [], []
    d["budget"] = []
    if bad is not None:  # more budget lines than a regional workbook holds
        d["budget"] = [{"item": f"Line {k}", "category": "other", "kind": "one_time", "amount": 1,
                        "region": f"R{bad:04d}"} for k in range(201)]
    return plan_from_dict(d)


def test_one_bad_region_of_300_gives_299_workbooks_the_reason_and_exit_1(tmp_path):
    plan = write_plan(_regions_plan(300, bad=137), tmp_path / "plan.json")
    assert aop_xl("round", "init", str(plan), "-o", "r", cwd=tmp_path).returncode == 0
    result = aop_xl("distribute", "r", "--workers", "2", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("299 of 300 workbooks written") and "1 failed" in lines[0]
    failed = [line for line in lines if line.startswith("failed: ")]
    assert failed == [f"failed: region:R0137: {failed[0].split(': ', 2)[2]}"]
    assert "budget" in failed[0] and "200" in failed[0]
    outbox = sorted(p.name for p in (tmp_path / "r" / "outbox").iterdir())
    assert len(outbox) == 299 and "AOP_2027_R0137.xlsx" not in outbox
    assert aop_xl("round", "verify", "r", cwd=tmp_path).returncode == 0


@pytest.mark.skipif(os.name != "posix", reason="kills a process group (POSIX)")
def test_a_run_killed_midway_leaves_no_partial_workbook_and_a_rerun_completes(tmp_path):
    plan = write_plan(_regions_plan(600), tmp_path / "plan.json")
    assert aop_xl("round", "init", str(plan), "-o", "r", cwd=tmp_path).returncode == 0
    outbox = tmp_path / "r" / "outbox"
    proc = subprocess.Popen([str(AOP_XL), "distribute", "r", "--workers", "1"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if outbox.is_dir() and sum(1 for p in outbox.glob("*.xlsx")) >= 20:
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = sorted(outbox.glob("*.xlsx"))
    assert 20 <= len(written) < 600, "the run was not stopped midway"
    for path in written:  # every workbook there is whole
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
    leftovers = [p.name for p in outbox.iterdir() if not p.name.endswith(".xlsx")]
    assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers)
    assert aop_xl("round", "verify", "r", cwd=tmp_path).returncode == 0
    result = aop_xl("distribute", "r", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"AOP_2027_R{i:04d}.xlsx" for i in range(600))
    status = json.loads(aop_xl("round", "status", "r", "--json", cwd=tmp_path).stdout)
    assert {u["state"] for u in status["units"]} == {"distributed"} and len(status["units"]) == 600
    assert aop_xl("round", "verify", "r", cwd=tmp_path).returncode == 0


def test_a_file_held_open_is_left_intact_and_the_batch_goes_on(tmp_path):
    plan = small_plan(3, 1)
    rnd = init_round(write_plan(plan, tmp_path / "plan.json"), tmp_path / "r")
    assert distribute(rnd, "region", workers=1).ok
    before = _outbox(rnd)
    target = rnd.folder / "outbox" / "AOP_2027_Region 2.xlsx"
    (target.parent / f".~lock.{target.name}#").write_text("someone,host")  # open in LibreOffice
    revised = plan.model_dump(mode="json")
    revised["plan"]["total_target"] = 30_000_000
    summary = distribute(rnd, "region", workers=1, plan_path=write_plan(plan_from_dict(revised),
                                                                        tmp_path / "revised.json"))
    assert not summary.ok
    assert [key for key, _ in summary.failed] == ["region:Region 2"]
    assert "file in use" in summary.failed[0][1]
    assert target.read_bytes() == before[target.name]
    assert sorted(f for _, f in summary.written) == ["AOP_2027_Region 1.xlsx", "AOP_2027_Region 3.xlsx"]


def test_a_revised_plan_reissues_only_the_units_it_changes(tmp_path):
    plan = small_plan(3, 1)
    rnd = init_round(write_plan(plan, tmp_path / "plan.json"), tmp_path / "r")
    distribute(rnd, "region", workers=1)
    revised = plan.model_dump(mode="json")
    revised["budget"].append({"item": "Fair", "category": "promotions", "kind": "one_time", "amount": 5000,
                              "months": None, "start_month": 3, "region": "Region 3"})
    summary = distribute(rnd, "region", workers=1, plan_path=write_plan(plan_from_dict(revised),
                                                                        tmp_path / "revised.json"))
    assert [f for _, f in summary.written] == ["AOP_2027_Region 3.xlsx"]
    units = open_round(rnd.folder).units()
    assert {k: u.issue for k, u in units.items()} == {"region:Region 1": 1, "region:Region 2": 1,
                                                     "region:Region 3": 2}
    assert any(e["action"] == "plan revised" for e in open_round(rnd.folder).ledger.entries())


def test_a_round_goes_out_by_one_kind(round_by_region):
    from aop_xl.cycle.round import RoundError

    rnd, _ = round_by_region
    with pytest.raises(RoundError, match="went out by region"):
        distribute(rnd, "rep", workers=1)


def test_by_rep_writes_one_workbook_per_rep(tmp_path):
    rnd = init_round(None, tmp_path / "r")
    summary = distribute(rnd, "rep", workers=1)
    assert summary.ok and len(summary.written) == len(SAMPLE.reps)
    assert sorted(f for _, f in summary.written) == sorted(f"AOP_2027_{r.name}.xlsx" for r in SAMPLE.reps)


def test_the_progress_callback_counts_every_unit(tmp_path):
    rnd = init_round(write_plan(small_plan(3, 1), tmp_path / "plan.json"), tmp_path / "r")
    seen = []
    distribute(rnd, "region", workers=1, progress=lambda what, done, total: seen.append((done, total)))
    assert seen[-1] == (3, 3) and [d for d, _ in seen] == sorted(d for d, _ in seen)

