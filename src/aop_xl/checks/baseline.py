"""Baselines: the findings a team has accepted, so that CI fails only on new ones.

A baseline file is JSON: ``{"schema": "aop-xl/baseline", "version": 1, "findings": [{"rule",
"file", "sheet", "range", "message"}, ...]}``. A finding matches an entry with the same rule,
file, sheet and range (the wording may change between versions); an entry accepts as many
findings as it appears times. Write one with ``aop-xl validate ... --baseline FILE
--update-baseline``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from aop_xl.checks.validate import Report
from aop_xl.errors import AopError

SCHEMA_ID = "aop-xl/baseline"


class BaselineError(AopError):
    """The baseline file is missing or not a baseline."""


def load(path: str | Path) -> Counter:
    """The accepted findings of a baseline file, as a multiset of keys."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline (write one with --update-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a baseline file ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID or not isinstance(data.get("findings"), list):
        raise BaselineError(f'{path}: not a baseline file (expected {{"schema": "{SCHEMA_ID}", "findings": [...]}})')
    keys = Counter()
    for i, entry in enumerate(data["findings"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("rule"), str) and isinstance(entry.get("file"), str)):
            raise BaselineError(f"{path}: findings[{i}]: needs at least a rule and a file")
        keys[(entry["rule"], entry["file"], entry.get("sheet") or "", entry.get("range") or "")] += 1
    return keys


def apply(report: Report, accepted: Counter) -> None:
    """Remove the accepted findings from ``report`` (counting them per file)."""
    left = Counter(accepted)
    for r in report.files:
        kept = []
        for f in r.findings:
            key = f.key()
            if left[key] > 0:
                left[key] -= 1
                r.suppressed += 1
            else:
                kept.append(f)
        r.findings = kept


def write(report: Report, path: str | Path) -> int:
    """Write every finding of ``report`` as the accepted baseline; returns how many."""
    from aop_xl.workbook.build import write_atomic

    entries = [{"rule": f.rule.id, "file": f.file, "sheet": f.sheet, "range": f.range, "message": f.message}
               for f in report.findings]
    doc = {"schema": SCHEMA_ID, "version": 1, "findings": entries}
    write_atomic(path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return len(entries)
