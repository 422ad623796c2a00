"""Files the round writes: safe unique names whatever a region is called; never over a file in use."""

from __future__ import annotations

import unicodedata

import pytest

from aop_xl.cycle.outputs import FileInUse, file_names, remove_stale_temporary, safe_stem, write_output

HOSTILE = ["../x", "CON", "con.txt", "a/b", "a\\b", 'a:b*c?"d<e>|f', "  trailing. ", "...", "NUL", "LPT1",
           "x" * 200, "Zażółć gęślą jaźń", "北京", "e\u0301t\u00e9", "\u00e9t\u00e9", "tab\there", "zero\u200bwidth",
           "=cmd|' /C calc'!A0", ".hidden", "East", "EAST2"]
WINDOWS_BAD = set('<>:"/\\|?*')
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def test_every_name_becomes_a_portable_unique_file_name():
    names = file_names(HOSTILE, prefix="AOP_2027_")
    files = list(names.values())
    assert len({f.casefold() for f in files}) == len(files)
    for name, f in names.items():
        stem = f[len("AOP_2027_"):-len(".xlsx")]
        assert f.endswith(".xlsx") and f.startswith("AOP_2027_")
        assert not WINDOWS_BAD & set(f), f
        assert all(unicodedata.category(ch)[0] != "C" for ch in f), f
        assert not stem.endswith((".", " ")) and not stem.startswith((".", " "))
        assert stem.split(".")[0].split("-")[0].upper() not in DEVICES
        assert len(stem) <= 60 + 9 and len(f.encode("utf-8")) < 255
        assert unicodedata.normalize("NFC", f) == f


def test_names_are_kept_when_they_are_safe_and_marked_when_changed():
    names = file_names(["East", "a/b", "a_b", "CON"], prefix="")
    assert names["East"] == "East.xlsx"
    assert names["a_b"] != names["a/b"]  # "a/b" becomes a_b plus a hash of its real name
    assert names["a/b"].startswith("a_b-") and names["CON"].startswith("_CON-")
    assert file_names(["East", "a/b"], prefix="") == {"East": "East.xlsx", "a/b": names["a/b"]}  # stable


def test_composed_and_decomposed_spellings_do_not_clash():
    names = file_names(["e\u0301t\u00e9", "\u00e9t\u00e9"], prefix="")
    assert len(set(names.values())) == 2


def test_a_stem_is_never_empty_or_a_path():
    assert safe_stem("../..") == "unit"
    assert safe_stem("../x") == "x"
    assert safe_stem("/etc/passwd") == "etc_passwd"


@pytest.mark.parametrize("lock", ["~$Report.xlsx", "~$port.xlsx", ".~lock.Report.xlsx#"])
def test_a_file_open_in_another_program_is_left_as_it_was(tmp_path, lock):
    target = tmp_path / "Report.xlsx"
    target.write_bytes(b"old")
    (tmp_path / lock).write_bytes(b"owner")
    with pytest.raises(FileInUse, match="file in use"):
        write_output(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["Report.xlsx", lock])


def test_a_new_file_is_written_and_leftover_temporaries_are_removed(tmp_path):
    write_output(tmp_path / "a.xlsx", b"data")
    assert (tmp_path / "a.xlsx").read_bytes() == b"data"
    (tmp_path / ".a.xlsx.0123abcd.tmp").write_bytes(b"partial")
    (tmp_path / "keep.tmp").write_bytes(b"not ours")
    assert [p.name for p in remove_stale_temporary(tmp_path)] == [".a.xlsx.0123abcd.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "keep.tmp"]
