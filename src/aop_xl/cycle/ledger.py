"""The round's ledger: an append-only file of entries, each hash-chained to the one before.

One JSON object per line (UTF-8): ``seq`` (from 1), ``time`` (UTC, ISO 8601), ``user``,
``action``, ``unit`` (``region:East``, ``rep:An Nguyen`` or null), ``data`` (what the action
recorded), ``prev`` (the previous entry's hash; 64 zeros for the first), ``hash`` (sha256 of the
canonical JSON of the fields above) and ``mac`` (HMAC-SHA256 of ``hash`` with the round's
key). Anyone can recompute a plain hash chain after editing a line; without the key nobody can
recompute the MACs, so :meth:`Ledger.verify` finds an edited, removed, reordered or inserted
entry.

Entries are written with one ``write`` call to a file opened for appending, and flushed to
disk before the command goes on (a batch flushes its entries in groups and at its end; a crash
loses at most the last group, whose work a re-run does again). A process killed in the middle
of a write can leave a last line without its newline: readers ignore such a line (it was never
acknowledged) and the next writer cuts it off before appending; ``verify`` mentions it.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aop_xl.errors import AopError

GENESIS = "0" * 64
_FIELDS = ("seq", "time", "user", "action", "unit", "data", "prev")


class LedgerError(AopError):
    """The ledger cannot be read or written."""


def current_user() -> str:
    """Who runs the command (the login name; ``unknown`` where the system gives none)."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError, ImportError):
        return "unknown"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def entry_hash(entry: dict) -> str:
    """sha256 of an entry's canonical JSON (every field but ``hash`` and ``mac``)."""
    body = {k: entry.get(k) for k in _FIELDS}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    """What :meth:`Ledger.verify` found."""

    entries: int
    problems: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


class Ledger:
    """The ledger file of a round.

    Args:
        path: the ``ledger.jsonl`` file.
        key: the round's secret key (for the MACs).
    """

    def __init__(self, path: Path, key: bytes):
        self.path = Path(path)
        self._key = key
        self._entries: list[dict] | None = None
        self._torn = False

    # ---------------------------------------------------------------- reading

    def entries(self) -> list[dict]:
        """Every acknowledged entry, in order (a torn last line is left out)."""
        if self._entries is None:
            self._entries, self._torn = self._read()
        return self._entries

    def _read(self) -> tuple[list[dict], bool]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], False
        except OSError as exc:
            raise LedgerError(f"{self.path}: cannot be read ({exc.strerror})") from None
        lines = raw.split(b"\n")
        torn = lines[-1] != b""
        out = []
        for n, line in enumerate(lines[:-1], start=1):
            try:
                entry = json.loads(line.decode("utf-8"))
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
            except (UnicodeDecodeError, ValueError) as exc:
                raise LedgerError(f"{self.path.name} line {n}: not a ledger entry ({exc}); "
                                  "run `aop-xl round verify` for details") from None
            out.append(entry)
        return out, torn

    # ---------------------------------------------------------------- writing

    def append(self, action: str, unit: str | None = None, *, sync: bool = True, **data: Any) -> dict:
        """Append one entry.

        Args:
            action: what happened (``distributed``, ``returned``, ``accepted`` ...).
            unit: the unit it concerns, or None for the round.
            sync: flush it to disk before returning; a batch that appends many entries may
                leave it to :meth:`sync` (a crash before then loses the entries written since,
                never a part of one).
            **data: what is recorded with it (JSON values).

        Returns:
            The entry written.
        """
        return self.append_many([(action, unit, data)], sync=sync)[0]

    def append_many(self, items: list[tuple[str, str | None, dict]], *, sync: bool = True) -> list[dict]:
        """Append several entries with one write (see :meth:`append`)."""
        entries = self.entries()
        out, lines = [], []
        for action, unit, data in items:
            prev = (out[-1] if out else entries[-1] if entries else {"hash": GENESIS})["hash"]
            entry = {"seq": len(entries) + len(out) + 1, "time": _now(), "user": current_user(), "action": action,
                     "unit": unit, "data": data, "prev": prev}
            entry["hash"] = entry_hash(entry)
            entry["mac"] = hmac.new(self._key, entry["hash"].encode(), hashlib.sha256).hexdigest()
            out.append(entry)
            lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
            try:
                if self._torn:
                    # An interrupted write left a line without its end: cut it off first.
                    os.ftruncate(fd, self._good_size())
                    self._torn = False
                os.write(fd, "".join(lines).encode("utf-8"))
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise LedgerError(f"{self.path}: cannot be written ({exc.strerror})") from None
        entries.extend(out)
        return out

    def sync(self) -> None:
        """Flush the entries appended without ``sync`` to disk."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        except OSError as exc:
            raise LedgerError(f"{self.path}: cannot be written ({exc.strerror})") from None
        finally:
            os.close(fd)

    def _good_size(self) -> int:
        raw = self.path.read_bytes()
        return raw.rfind(b"\n") + 1

    # ---------------------------------------------------------------- checking

    def verify(self) -> Verification:
        """Check the chain: every entry's hash, its link to the one before, its MAC, its number.

        Returns:
            A :class:`Verification`; ``problems`` name each entry that fails (``entry 12:
            hash does not match its content (edited)``).
        """
        try:
            entries, torn = self._read()
        except LedgerError as exc:
            return Verification(0, [str(exc)], [])
        problems, notes = [], []
        prev = GENESIS
        for n, entry in enumerate(entries, start=1):
            where = f"entry {n}"
            if entry.get("seq") != n:
                problems.append(f"{where}: numbered {entry.get('seq')!r} (removed, inserted or reordered entries)")
            if entry.get("prev") != prev:
                problems.append(f"{where}: not linked to the entry before it (removed, inserted or reordered)")
            try:
                digest = entry_hash(entry)
            except (TypeError, ValueError):
                digest = None
            if digest != entry.get("hash"):
                problems.append(f"{where}: its hash does not match its content (edited)")
            mac = hmac.new(self._key, str(entry.get("hash")).encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(mac, str(entry.get("mac") or "")):
                problems.append(f"{where}: its MAC is not the round key's (written without the key)")
            prev = entry.get("hash")
        if torn:
            notes.append("the last line is incomplete (a write was interrupted); it is not an entry and is cut "
                         "off by the next command that writes")
        return Verification(len(entries), problems, notes)
