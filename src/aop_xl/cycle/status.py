"""``aop-xl round status`` as text: the round, then one line per region (or rep)."""

from __future__ import annotations

from typing import Any

from aop_xl.plan_checks import one_line


def status_text(status: dict[str, Any]) -> str:
    """The table of units and their states (from :meth:`aop_xl.cycle.round.Round.status`)."""
    head = f"round {status['round_id']}: {status['company']} {status['year']}"
    if status.get("by"):
        head += f", by {status['by']}"
    if status.get("locked"):
        head += f"; approved and locked at {status['locked']}"
    elif status.get("reconciled"):
        r = status["reconciled"]
        head += f"; last reconciled ({r['method']}, {r['flagged']} lines outside tolerance)"
    rows = [("unit", "state", "issue", "file", "when", "by", "reason")]
    for u in status["units"]:
        rows.append((one_line(u["unit"]), u["state"], str(u["issue"] or ""), one_line(u.get("accepted_file") or
                     u.get("file") or ""), u.get("when") or "", one_line(u.get("by") or ""),
                     one_line(u.get("reason") or "")))
    if len(rows) == 1:
        return head + "\nnothing distributed yet"
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(6)) + ("  " + r[6] if r[6] else "") for r in rows]
    counts: dict[str, int] = {}
    for u in status["units"]:
        counts[u["state"]] = counts.get(u["state"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    return "\n".join([head, *[line.rstrip() for line in lines], f"{len(status['units'])} units: {summary}"])
