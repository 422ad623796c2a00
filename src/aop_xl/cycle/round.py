"""A planning round: a folder with the master workbook, the round's plan, a secret key and the
ledger, and the state of every unit as the ledger tells it.

::

    ROUND_DIR/
      round.json        round id, company, year, when and by whom it was started
      plan.json         the round's plan (replaced only by ``distribute --plan``, recorded)
      round.key         the round's secret key (hex; readable by its owner only)
      ledger.jsonl      the ledger (aop_xl.cycle.ledger)
      AOP_<year>.xlsx   the master workbook (when the plan fits a workbook)
      outbox/           the regional workbooks to send
      reconcile/        gaps.csv, proposal.csv, reconcile.json
      reports/          one report per collect run (CSV and JSON)

Commands that change a round hold its lock (``.lock``), so two of them never interleave.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aop_xl.cycle.ledger import Ledger, Verification, current_user
from aop_xl.cycle.regional import canonical, sha256
from aop_xl.errors import AopError, PlanError
from aop_xl.files import display, make_folder, write_atomic
from aop_xl.plan import Plan, load_plan, plan_from_dict

ROUND_FORMAT = "aop-xl/round"
ROUND_FILE, PLAN_FILE, KEY_FILE, LEDGER_FILE, LOCK_FILE = "round.json", "plan.json", "round.key", "ledger.jsonl", ".lock"
OUTBOX, RECONCILE_DIR, REPORTS = "outbox", "reconcile", "reports"

#: The states a unit goes through, in order (``round status``).
STATES = ("pending", "distributed", "returned", "validated", "accepted", "rejected", "approved", "locked")


class RoundError(AopError):
    """A round folder is missing, damaged, locked or busy."""


def plan_document(plan: Plan) -> dict:
    """The plan as the JSON document the round stores (all fields, defaults included)."""
    return plan.model_dump(mode="json")


def plan_hash(plan: Plan) -> str:
    return sha256(canonical(plan_document(plan)))


@dataclass
class UnitState:
    """What the ledger says about one unit."""

    key: str
    issue: int = 0
    file: str | None = None
    sha256: str | None = None
    topdown_hash: str | None = None
    content: str | None = None
    issues: dict[int, dict] = field(default_factory=dict)  # issue -> its distributed entry's data
    accepted: dict | None = None  # the accepted submission (data of its ``accepted`` entry)
    state: str = "pending"
    reason: str | None = None
    when: str | None = None
    by: str | None = None


class Round:
    """An open round folder (:func:`open_round`, :func:`init_round`)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        info_path = self.folder / ROUND_FILE
        if not info_path.is_file():
            raise RoundError(f"{display(self.folder)}: not a planning round (no {ROUND_FILE}); start one with "
                             "`aop-xl round init PLAN -o FOLDER`")
        try:
            self.info = json.loads(info_path.read_text(encoding="utf-8"))
            key_text = (self.folder / KEY_FILE).read_text(encoding="ascii").strip()
            self.key = bytes.fromhex(key_text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise RoundError(f"{display(self.folder)}: the round's {ROUND_FILE} or {KEY_FILE} cannot be read "
                             f"({exc})") from None
        if self.info.get("format") != ROUND_FORMAT or len(self.key) < 16:
            raise RoundError(f"{display(info_path)}: not a round of aop-xl (format {self.info.get('format')!r})")
        self.id: str = self.info["round_id"]
        self.ledger = Ledger(self.folder / LEDGER_FILE, self.key)
        self._plan: Plan | None = None
        self._units: dict[str, UnitState] = {}
        self._folded = 0

    # ---------------------------------------------------------------- files

    @property
    def plan(self) -> Plan:
        """The round's plan (plan.json)."""
        if self._plan is None:
            path = self.folder / PLAN_FILE
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise RoundError(f"{display(path)}: cannot be read ({exc})") from None
            try:
                self._plan = plan_from_dict(data)
            except PlanError as exc:
                raise PlanError([f"{PLAN_FILE}: {p}" for p in exc.problems]) from None
        return self._plan

    @property
    def master_path(self) -> Path:
        return self.folder / f"AOP_{self.info['year']}.xlsx"

    def path(self, name: str) -> Path:
        """A sub-folder of the round (created when missing)."""
        folder = self.folder / name
        make_folder(folder, error=RoundError)
        return folder

    @contextlib.contextmanager
    def locked(self):
        """Hold the round's lock: another command on the round waits for nothing and is refused."""
        path = self.folder / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                _lock(fd)
            except OSError:
                raise RoundError(f"{display(self.folder)}: another aop-xl command is working on this round; "
                                 "run this one when it has finished") from None
            yield self
        finally:
            os.close(fd)

    def write_plan(self, plan: Plan) -> None:
        """Replace the round's plan (the caller records it in the ledger)."""
        text = json.dumps(plan_document(plan), ensure_ascii=False, indent=2) + "\n"
        write_atomic(self.folder / PLAN_FILE, text.encode("utf-8"), error=RoundError)
        self._plan = plan

    # ---------------------------------------------------------------- state

    @property
    def kind(self) -> str | None:
        """"region" or "rep" once the round has been distributed, else None."""
        for e in self.ledger.entries():
            if e["action"] == "distributed":
                return e["unit"].split(":", 1)[0]
        return None

    @property
    def locked_at(self) -> str | None:
        """When the round was approved and locked, or None."""
        for e in self.ledger.entries():
            if e["action"] == "round locked":
                return e["time"]
        return None

    def refuse_if_locked(self) -> None:
        when = self.locked_at
        if when is not None:
            raise RoundError(f"{display(self.folder)}: the round was approved and locked at {when}; nothing more "
                             "can be distributed, collected or reconciled")

    def units(self) -> dict[str, UnitState]:
        """Every unit the ledger knows, by key (``region:East``), in order of first mention.

        Kept up to date as entries are appended: each entry is read once.
        """
        entries = self.ledger.entries()
        if self._folded > len(entries):  # the ledger was read again from the file
            self._units, self._folded = {}, 0
        for e in entries[self._folded:]:
            self._fold(e)
        self._folded = len(entries)
        return self._units

    def _fold(self, e: dict) -> None:
        key, action, data = e.get("unit"), e["action"], e.get("data", {})
        if not key:
            return
        u = self._units.setdefault(key, UnitState(key))
        if action == "distributed":
            issue = data["issue"]
            if issue >= u.issue:
                if issue > u.issue:  # a new issue: earlier submissions no longer count
                    u.accepted, u.state, u.reason = None, "distributed", None
                u.issue, u.file, u.sha256 = issue, data["file"], data["sha256"]
                u.topdown_hash, u.content = data["topdown_hash"], data["content"]
            u.issues[issue] = data
        elif action == "withdrawn":
            u.state, u.reason = "withdrawn", data.get("reason")
        elif action in ("returned", "validated"):
            if u.accepted is None:
                u.state, u.reason = action, None
        elif action == "accepted":
            u.accepted = dict(data)
            u.state, u.reason = "accepted", None
        elif action == "rejected":
            if u.accepted is None:
                u.state, u.reason = "rejected", f"{data.get('state')}: {data.get('reason')}"
        elif action in ("approved", "locked"):
            u.state = action
        u.when, u.by = e["time"], e["user"]

    def verify(self) -> Verification:
        """Check the ledger's chain and MACs (:meth:`aop_xl.cycle.ledger.Ledger.verify`)."""
        return self.ledger.verify()

    def status(self) -> dict[str, Any]:
        """The round and each unit's state, as ``round status --json`` prints it."""
        units = self.units()
        rounds = [e for e in self.ledger.entries() if not e.get("unit")]
        return {
            "round_id": self.id, "company": self.info["company"], "year": self.info["year"],
            "folder": str(self.folder), "by": self.kind, "locked": self.locked_at,
            "reconciled": next((e["data"] for e in reversed(rounds) if e["action"] == "reconciled"), None),
            "units": [{"unit": u.key.split(":", 1)[1], "kind": u.key.split(":", 1)[0], "state": u.state,
                       "issue": u.issue, "file": u.file, "accepted_file": (u.accepted or {}).get("file"),
                       "reason": u.reason, "when": u.when, "by": u.by} for u in units.values()],
        }


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def round_of_master(path: str | os.PathLike | None) -> Round | None:
    """The round whose master workbook ``path`` is, or None (another workbook, never saved)."""
    if path is None:
        return None
    path = Path(path)
    if not (path.parent / ROUND_FILE).is_file():
        return None
    rnd = Round(path.parent)
    return rnd if path.name.casefold() == rnd.master_path.name.casefold() else None


def open_round(folder: str | os.PathLike) -> Round:
    """Open an existing round folder.

    Raises:
        RoundError: the folder is not a round, or its files cannot be read.
    """
    return Round(Path(folder))


def init_round(plan_path: str | os.PathLike | None, folder: str | os.PathLike) -> Round:
    """Start a planning round: the folder, its plan, key and ledger, and the master workbook.

    Args:
        plan_path: the plan file (None: the sample plan).
        folder: the round folder to create (it may exist if it is empty).

    Returns:
        The open :class:`Round`.

    Raises:
        PlanError: the plan is not valid, or a rep changes region (moves: in-year only).
        RoundError: the folder is a file, holds other files, or cannot be written.
    """
    from aop_xl.cycle.master import write_master
    from aop_xl.cycle.regional import check_round_plan

    plan = load_plan(plan_path)
    check_round_plan(plan)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RoundError(f"{display(folder)}: is a file; give a folder for the round")
    if folder.is_dir() and any(folder.iterdir()):
        what = "already a planning round" if (folder / ROUND_FILE).exists() else "not empty"
        raise RoundError(f"{display(folder)}: {what}; give a new or empty folder")
    make_folder(folder, error=RoundError)
    round_id = f"aop-{plan.plan.year}-{secrets.token_hex(6)}"
    key_path = folder / KEY_FILE
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    except OSError as exc:
        raise RoundError(f"{display(key_path)}: cannot be written ({exc.strerror})") from None
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    info = {"format": ROUND_FORMAT, "version": 1, "round_id": round_id, "company": plan.plan.company,
            "year": plan.plan.year, "created": created, "created_by": current_user()}
    text = json.dumps(plan_document(plan), ensure_ascii=False, indent=2) + "\n"
    write_atomic(folder / PLAN_FILE, text.encode("utf-8"), error=RoundError)
    write_atomic(folder / ROUND_FILE, (json.dumps(info, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
                 error=RoundError)
    rnd = Round(folder)
    with rnd.locked():
        rnd.ledger.append("round started", round_id=round_id, company=plan.plan.company, year=plan.plan.year,
                          plan_sha256=plan_hash(plan), plan_file=str(plan_path) if plan_path else "sample plan")
        write_master(rnd)
    return rnd
