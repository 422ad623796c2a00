"""The planning round's speed, as ratios against named baselines measured in the same run.

- distribute 1,000 regional workbooks (6 shapes: 1 to 3 reps, with or without a budget line)
  against (a) building each with the library's builder from scratch (openpyxl), and (b) the
  floor: zipping the same XML parts with ``zipfile`` at the same compression level;
- collect the 1,000 returned workbooks against reading the same sheets with openpyxl in
  read-only mode;
- the Dask path (a LocalCluster of 2 worker processes) against the local pool of 2;
- peak memory of distributing 1,000 and 10,000 workbooks (by rep), each in its own process.

Baselines that take minutes are timed on an evenly spaced sample and counted per workbook.
The machine is shared: only the ratios are meaningful.

Run: uv run python bench/bench_round.py [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from aop_xl.cycle.collect import collect
from aop_xl.cycle.distribute import distribute, jobs_for
from aop_xl.cycle.fastpath import normal_build
from aop_xl.cycle.round import init_round, open_round
from aop_xl.files import write_atomic
from aop_xl.plan import load_plan, plan_from_dict
from aop_xl.workbook.layout import ASSUMPTIONS, BOTTOM_UP, META, QUOTAS, TARGETS

READ_SHEETS = (META, ASSUMPTIONS, TARGETS, QUOTAS, BOTTOM_UP)


def round_plan(regions: int, reps_per_region: int | None = None):
    """The sample's products and settings with many regions (1 to 3 reps each, or a fixed
    number; every other region with a travel budget line)."""
    d = load_plan().model_dump(mode="json", exclude_none=True)
    d["regions"] = [{"name": f"Region {i:05d}", "market": ("core", "growth", "new")[i % 3], "weight": 5 + i % 17}
                    for i in range(regions)]
    d["reps"] = [{"name": f"Rep {i:05d}-{k}", "region": f"Region {i:05d}", "share": 1 + k % 2}
                 for i in range(regions) for k in range(reps_per_region or 1 + i % 3)]
    d["budget"] = [{"item": f"Travel {i:05d}", "category": "travel", "kind": "recurring", "amount": 500 + i,
                    "months": 12, "region": f"Region {i:05d}"} for i in range(0, regions, 2)]
    d["kpis"] = []
    d["plan"]["total_target"] = 480_000_000
    return plan_from_dict(d)


def write_plan(plan, path: Path) -> Path:
    path.write_text(json.dumps(plan.model_dump(mode="json")), encoding="utf-8")
    return path


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def sample(items: list, n: int) -> list:
    step = max(len(items) // n, 1)
    return items[::step][:n]


def floor_seconds(files: list[Path]) -> float:
    """Zipping every workbook's parts (read beforehand) with zipfile, default deflate level."""
    parts = []
    for f in files:
        with zipfile.ZipFile(f) as z:
            parts.append([(i.filename, z.read(i)) for i in z.infolist()])

    def run():
        for workbook in parts:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                for name, data in workbook:
                    z.writestr(name, data)

    return seconds(run)


def openpyxl_read(path: Path) -> None:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for name in READ_SHEETS:
            for _ in wb[name].iter_rows(values_only=True):
                pass
    finally:
        wb.close()


def table(rows: list[tuple[str, str, str]]) -> None:
    print("| measure | baseline | ratio |")
    print("| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def speed(tmp: Path, regions: int, sample_size: int) -> None:
    from distributed import LocalCluster

    plan = round_plan(regions)
    plan_path = write_plan(plan, tmp / "plan.json")
    rnd = init_round(plan_path, tmp / "fast")
    summary = distribute(rnd, "region", workers=1)  # warm-up of imports is inside: a fair one-process run
    assert summary.ok, summary.lines()
    rnd_timed = init_round(plan_path, tmp / "timed")
    t_fast = seconds(lambda: distribute(rnd_timed, "region", workers=1))
    files = sorted((tmp / "timed" / "outbox").glob("*.xlsx"))
    assert len(files) == regions

    jobs = jobs_for(plan, "region", rnd_timed.key, rnd_timed.id)
    chosen = sample(jobs, sample_size)
    out = tmp / "baseline"
    out.mkdir()
    t_base = seconds(lambda: [write_atomic(out / f"{i}.xlsx", normal_build(job)[1], suffix=".xlsx")
                              for i, job in enumerate(chosen)]) * regions / len(chosen)
    t_floor = floor_seconds(files)

    rnd_pool = init_round(plan_path, tmp / "pool")
    t_pool = seconds(lambda: distribute(rnd_pool, "region", workers=2))
    pooled = {f.name: f.read_bytes() for f in (tmp / "pool" / "outbox").iterdir()}
    for f in (tmp / "pool" / "outbox").iterdir():
        f.unlink()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        t_dask = seconds(lambda: distribute(rnd_pool, "region", scheduler=cluster.scheduler_address))
    same = pooled == {f.name: f.read_bytes() for f in (tmp / "pool" / "outbox").iterdir()}

    inbox = tmp / "inbox"
    shutil.copytree(tmp / "timed" / "outbox", inbox)
    t_collect = seconds(lambda: collect(rnd_timed, [inbox]))
    read = sample(sorted(inbox.iterdir()), sample_size)
    t_openpyxl = seconds(lambda: [openpyxl_read(p) for p in read]) * regions / len(read)

    print(f"\n{regions:,} regional workbooks (6 shapes); baselines timed on {len(chosen)} and {len(read)} of them\n")
    table([
        (f"distribute {regions:,} (one process, files written)", "building each with the library's builder "
         "(openpyxl) and writing it", f"{t_base / t_fast:.1f}x faster"),
        (f"distribute {regions:,} (one process, files written)", "zipping the same XML parts with zipfile "
         "(default deflate level), in memory", f"{t_fast / t_floor:.2f}x the floor"),
        (f"distribute {regions:,}, Dask LocalCluster of 2 processes", "local pool of 2 processes",
         f"{t_dask / t_pool:.2f}x the time" + ("" if same else " (bytes differ!)")),
        (f"collect {regions:,} (calamine, every check, ledger)", "openpyxl read-only reading the same 5 sheets",
         f"{t_openpyxl / t_collect:.1f}x faster"),
    ])


def _descendants_rss() -> dict[int, int]:
    # Resident kB of every process below this one (Linux /proc): the pool's workers are children
    # of its start-up server, not of this process, so getrusage does not see them.
    parent, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in stat.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields.get("PPid", "0").strip() or 0)
        rss[pid] = int(fields.get("VmHWM", "0 kB").split()[0] or 0)
    me = {os.getpid()}
    changed = True
    while changed:
        changed = False
        for pid, pp in parent.items():
            if pp in me and pid not in me:
                me.add(pid)
                changed = True
    return {pid: rss[pid] for pid in me if pid != os.getpid()}


def memory(workbooks: int) -> None:
    # One distribution by rep in this process (and its pool); print the peak resident sizes.
    peaks: dict[int, int] = {}
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid, kb in _descendants_rss().items():
                peaks[pid] = max(peaks.get(pid, 0), kb)
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    with tempfile.TemporaryDirectory() as tmp:
        plan = round_plan(workbooks // 10, reps_per_region=10)
        # The round (and its master workbook, when the plan fits one) is made by another
        # process, before the watch starts: only the distribution counts here.
        aop_xl = Path(sys.executable).with_name("aop-xl")
        subprocess.run([str(aop_xl), "round", "init", str(write_plan(plan, Path(tmp) / "plan.json")), "-o",
                        str(Path(tmp) / "r")], check=True, capture_output=True)
        rnd = open_round(Path(tmp) / "r")
        watcher.start()
        summary = distribute(rnd, "rep", workers=2)
        assert summary.ok and len(summary.written) == workbooks, summary.lines()[:3]
    done.set()
    watcher.join()
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"workbooks": workbooks, "coordinator_mb": round(me),
                      "worker_mb": round(max(peaks.values(), default=0) / 1024)}))


def memory_table(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--memory", str(n)], capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
        rows.append(json.loads(out))
    base = rows[0]
    print("\n| workbooks (by rep, 2 workers) | coordinator peak | worker peak | ratio to the smallest |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['workbooks']:,} | {r['coordinator_mb']} MB | {r['worker_mb']} MB | "
              f"{r['coordinator_mb'] / base['coordinator_mb']:.2f} / {r['worker_mb'] / base['worker_mb']:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="200 regional workbooks, small samples, no 10,000 run")
    ap.add_argument("--memory", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory:
        memory(args.memory)
        return
    regions, samples, sizes = (200, 20, [1_000]) if args.quick else (1_000, 100, [1_000, 10_000])
    with tempfile.TemporaryDirectory() as tmp:
        speed(Path(tmp), regions, samples)
    memory_table(sizes)


if __name__ == "__main__":
    main()
