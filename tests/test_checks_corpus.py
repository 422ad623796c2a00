"""Every workbook of the corpus (files saved by Excel, LibreOffice and others) goes through
validate: no crash, no hang, a clear reason for the files that cannot be checked.

The corpus lives outside the project (see checks_helpers.CORPUS); without it these tests skip.
"""

from __future__ import annotations

import json
import signal

import pytest
from checks_helpers import CORPUS, corpus_files

from aop_xl.checks.reader import read_workbook
from aop_xl.checks.validate import validate_file
from aop_xl.errors import AopError

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS}")
HANG = 30  # seconds for one file; a guard against a hang, not a speed requirement


class Hang(Exception):
    pass


def guarded(fn, *args, **kwargs):
    if not hasattr(signal, "SIGALRM"):
        return fn(*args, **kwargs)

    def alarm(signum, frame):
        raise Hang(f"no result within {HANG} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_the_corpus_is_the_one_described():
    listed = {entry["file"] for entry in json.loads((CORPUS / "provenance.json").read_text(encoding="utf-8"))}
    assert listed == {p.name for p in corpus_files()}


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_validate_every_corpus_file(path):
    report = guarded(validate_file, path)
    if report.error is not None:
        assert "\n" not in report.error and path.name in report.error
        return
    for f in report.findings:
        assert f.message and "\n" not in f.message, f
        assert f.cells >= 1


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_both_readers_agree(path):
    # The regular-expression reader and the ElementTree one give the same cells.
    try:
        fast = guarded(read_workbook, path)
    except AopError:
        return
    slow = guarded(read_workbook, path, fast=False)
    for a, b in zip(fast.sheets, slow.sheets, strict=True):
        for store in ("formulas", "values", "styles", "computed", "arrays", "merged", "dimension", "rich",
                      "ignored_text"):
            assert getattr(a, store) == getattr(b, store), f"{a.name}: {store}"


def test_unusable_corpus_files_say_why():
    reasons = {}
    for path in corpus_files():
        report = validate_file(path)
        if report.error is not None:
            reasons[path.name] = report.error
    kinds = " ".join(reasons.values())
    for word in ("encrypted", ".xls", "empty file", ".ods", ".xlsb", "owner file", "text file"):
        assert word in kinds, f"no corpus file refused as {word!r}: {reasons}"
