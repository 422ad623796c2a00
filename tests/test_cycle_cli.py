"""The round's commands as a user runs them: one error line and exit code 2 for bad input,
exit 1 when a batch or a check finds a problem, never a traceback."""

from __future__ import annotations

import json

import pytest
from aop_cli import aop_xl, one_error
from test_cycle_support import small_plan, write_plan


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    write_plan(small_plan(2, 1), base / "plan.json")
    result = aop_xl("round", "init", "plan.json", "-o", "r", cwd=base)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("started round aop-2027-")
    return base


def test_init_refuses_a_folder_that_is_not_empty(started):
    one_error(aop_xl("round", "init", "plan.json", "-o", "r", cwd=started), "r: already a planning round")
    (started / "other").mkdir()
    (started / "other" / "notes.txt").write_text("mine")
    one_error(aop_xl("round", "init", "plan.json", "-o", "other", cwd=started), "other: not empty")


def test_a_plan_with_a_rep_changing_region_is_refused_by_init(tmp_path):
    # A regional workbook plans one region; a rep moving from Region 1 to Region 2 in July has
    # quotas in both, so the round refuses the plan before writing anything.
    d = small_plan(2, 1).model_dump(mode="json", exclude_none=True)
    d["reps"][0]["moves"] = [{"month": "2027-07", "region": "Region 2"}]
    (tmp_path / "plan.json").write_text(json.dumps(d), encoding="utf-8")
    one_error(aop_xl("round", "init", "plan.json", "-o", "r", cwd=tmp_path),
              'reps[0].moves: "Region 1 rep 1" changes region during the year; a planning round plans each '
              "region on its own")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_folder_that_is_not_a_round_is_one_error(started):
    for args in (("round", "status", "."), ("distribute", "."), ("collect", ".", "."), ("reconcile", "."),
                 ("round", "approve", "."), ("round", "verify", ".")):
        one_error(aop_xl(*args, cwd=started), "not a planning round (no round.json)")


def test_status_before_and_after_distributing(started):
    before = aop_xl("round", "status", "r", cwd=started)
    assert before.returncode == 0 and before.stdout.splitlines()[-1] == "nothing distributed yet"
    assert aop_xl("distribute", "r", "--workers", "1", cwd=started).returncode == 0
    text = aop_xl("round", "status", "r", cwd=started).stdout.splitlines()
    assert text[1].split() == ["unit", "state", "issue", "file", "when", "by", "reason"]
    assert [line.split()[:4] for line in text[2:4]] == [["Region", "1", "distributed", "1"],
                                                        ["Region", "2", "distributed", "1"]]
    assert text[-1] == "2 units: 2 distributed"
    status = json.loads(aop_xl("round", "status", "r", "--json", cwd=started).stdout)
    assert status["by"] == "region" and [u["file"] for u in status["units"]] == ["AOP_2027_Region 1.xlsx",
                                                                                 "AOP_2027_Region 2.xlsx"]


def test_approve_before_reconciling_and_a_missing_inbox_are_one_error(started):
    one_error(aop_xl("round", "approve", "r", cwd=started), "reconcile the round before approving it")
    one_error(aop_xl("collect", "r", "nowhere", cwd=started), "nowhere: no such file or folder")
    one_error(aop_xl("reconcile", "r", "--alpha", "2", "--method", "blend", cwd=started), "alpha")


def test_verify_exits_1_and_names_an_edited_entry(started, tmp_path):
    import shutil

    copy = tmp_path / "r"
    shutil.copytree(started / "r", copy)
    lines = (copy / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[0])
    entry["data"]["company"] = "Someone else"
    (copy / "ledger.jsonl").write_text("\n".join([json.dumps(entry), *lines[1:]]) + "\n", encoding="utf-8")
    result = aop_xl("round", "verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    assert "problem: entry 1: its hash does not match its content (edited)" in result.stdout
    ok = aop_xl("round", "verify", "r", cwd=started)
    assert ok.returncode == 0 and ok.stdout.strip().endswith("chain intact")


def test_collect_exits_1_when_a_file_is_not_accepted_and_reconcile_approve_lock(started):
    inbox = started / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "r1.xlsx").write_bytes((started / "r" / "outbox" / "AOP_2027_Region 1.xlsx").read_bytes())
    (inbox / "notes.csv").write_text("a,b\n")
    result = aop_xl("collect", "r", "inbox", cwd=started)
    assert result.returncode == 1 and "1 accepted, 1 malformed" in result.stdout
    rec = aop_xl("reconcile", "r", "--method", "accept", cwd=started)
    assert rec.returncode == 0 and rec.stdout.startswith("top-down 24,000,000.00, bottom-up 24,000,000.00")
    approved = aop_xl("round", "approve", "r", cwd=started)
    assert approved.returncode == 0
    assert approved.stdout.strip().endswith("approved (accept, proposal 24,000,000.00) and locked")
    one_error(aop_xl("distribute", "r", cwd=started), "approved and locked")
