"""The round's ledger: hash-chained, MAC'd, append-only; every edit is found by verify."""

from __future__ import annotations

import json

import pytest

from aop_xl.cycle.ledger import GENESIS, Ledger, entry_hash

KEY = b"s" * 32


@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path / "ledger.jsonl", KEY)
    led.append("round started", None, plan_sha256="ab" * 32)
    led.append("distributed", "region:East", issue=1, file="AOP_2027_East.xlsx")
    led.append("distributed", "region:West", issue=1, file="AOP_2027_West.xlsx")
    led.append("accepted", "region:East", sha256="cd" * 32)
    return led


def _lines(led):
    return led.path.read_text(encoding="utf-8").splitlines()


def _write(led, lines):
    led.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_entries_are_chained_and_verify(ledger):
    entries = Ledger(ledger.path, KEY).entries()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:]))
    assert all(entry_hash(e) == e["hash"] for e in entries)
    assert entries[1]["unit"] == "region:East" and entries[1]["data"]["issue"] == 1
    assert entries[0]["user"] and entries[0]["time"].endswith("Z")
    result = Ledger(ledger.path, KEY).verify()
    assert result.ok and result.entries == 4 and not result.notes


def test_an_edited_entry_is_found(ledger):
    lines = _lines(ledger)
    entry = json.loads(lines[1])
    entry["data"]["file"] = "other.xlsx"
    _write(ledger, [lines[0], json.dumps(entry), *lines[2:]])
    assert Ledger(ledger.path, KEY).verify().problems == ["entry 2: its hash does not match its content (edited)"]


def test_an_edit_with_the_chain_recomputed_but_without_the_key_is_found(ledger):
    lines = [json.loads(line) for line in _lines(ledger)]
    lines[1]["data"]["file"] = "other.xlsx"
    prev = lines[0]["hash"]
    for e in lines[1:]:
        e["prev"] = prev
        e["hash"] = prev = entry_hash(e)
    _write(ledger, [json.dumps(e) for e in lines])
    problems = Ledger(ledger.path, KEY).verify().problems
    assert problems == [f"entry {n}: its MAC is not the round key's (written without the key)" for n in (2, 3, 4)]


def test_a_removed_entry_is_found(ledger):
    lines = _lines(ledger)
    _write(ledger, [lines[0], *lines[2:]])
    problems = Ledger(ledger.path, KEY).verify().problems
    assert "entry 2: numbered 3 (removed, inserted or reordered entries)" in problems
    assert "entry 2: not linked to the entry before it (removed, inserted or reordered)" in problems


def test_reordered_entries_are_found(ledger):
    lines = _lines(ledger)
    _write(ledger, [lines[0], lines[2], lines[1], lines[3]])
    assert not Ledger(ledger.path, KEY).verify().ok


def test_another_key_does_not_verify(ledger):
    assert len(Ledger(ledger.path, b"t" * 32).verify().problems) == 4


def test_a_line_that_is_not_json_is_a_problem_not_a_traceback(ledger):
    with ledger.path.open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    result = Ledger(ledger.path, KEY).verify()
    assert not result.ok and "line 5: not a ledger entry" in result.problems[0]


def test_an_interrupted_write_is_noted_and_cut_off_by_the_next_append(ledger):
    with ledger.path.open("ab") as fh:
        fh.write(b'{"seq": 5, "time": "2027')  # killed in the middle of a write
    fresh = Ledger(ledger.path, KEY)
    result = fresh.verify()
    assert result.ok and result.entries == 4
    assert result.notes and "interrupted" in result.notes[0]
    fresh.append("returned", None, file="x.xlsx")
    assert Ledger(ledger.path, KEY).verify() == type(result)(5, [], [])
    assert ledger.path.read_bytes().endswith(b"\n")
