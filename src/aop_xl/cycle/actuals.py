"""Loading CRM actuals: exports become deal lines of the plan's year, every row accounted for.

:func:`load_actuals` reads exports (:mod:`aop_xl.cycle.crm`), checks each row against the plan
(reps, regions, products, the months a rep covers), places it in a fiscal month, credits split
deals exactly, and merges the lines with those already loaded so that loading a file twice
does not count it twice. The rules are in docs/actuals.md:

- **Every row is accounted for**: loaded, updated (a deal exported again with changes),
  already loaded, after the as-of month, outside the two fiscal years kept (the plan's and the
  one before), or unmappable, with its file, line and the reason, field by field.
- **Idempotent**: a line with a deal id belongs to its deal; a deal exported again replaces
  its earlier lines (or, unchanged, is already loaded). A line without an id is known by its
  content: date, region, product, rep, customer, amount, type, and which occurrence of that
  content it is in its file.
- **Split credit**: the lines of a deal with shares share its amount, split exactly to the
  cent by the shares (largest remainder, the earlier line first on a tie).
- **Derived values**: a blank region is the rep's region that month; a blank type is "new"
  for a customer's first purchase among the lines loaded and "recurring" after it; the first
  line of a deal of amount > 0 counts its order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aop_xl.cycle.crm import CrmError, Mapping, parse, read_export
from aop_xl.engine.commission import rep_year
from aop_xl.engine.exact import apportion
from aop_xl.engine.kpi import DEAL_COLUMNS
from aop_xl.errors import AopError, PlanError
from aop_xl.plan import Plan
from aop_xl.plan_checks import _did_you_mean, name_key, shown
from aop_xl.workbook.styles import unit_decimals

#: The columns of the loaded lines, as the workbook's Actuals sheet keeps them.
LINE_COLUMNS = ("key", "source", "date", "fy", "period", "deal", "region", "product", "rep", "customer", "type",
                "share", "amount", "order", "created", "complaint", "nps")
#: Most problems printed one per line; the rest are counted.
SHOWN_PROBLEMS = 200


def amount_decimals(plan: Plan) -> int:
    """Decimal places an actual amount may have: cents, or the unit's finer decimals."""
    return max(2, unit_decimals(plan.plan.unit))


@dataclass
class Tally:
    """Rows and the money in them (units of 10^-decimals)."""

    rows: int = 0
    units: int = 0

    def add(self, rows: int, units: int) -> None:
        self.rows += int(rows)
        self.units += int(units)


@dataclass
class LoadReport:
    """What a load did with every row of every file."""

    decimals: int
    currency: str
    as_of: int | None = None
    as_of_month: str = ""
    files: int = 0
    rows: int = 0
    loaded: Tally = field(default_factory=Tally)
    updated: Tally = field(default_factory=Tally)
    repeated: Tally = field(default_factory=Tally)
    already: Tally = field(default_factory=Tally)
    after: Tally = field(default_factory=Tally)
    outside: Tally = field(default_factory=Tally)
    unmappable: Tally = field(default_factory=Tally)
    unmappable_units_unknown: int = 0
    problems: list[str] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    years: str = ""
    #: why nothing was loaded, when a load could not go on
    stopped: str | None = None

    def money(self, units: int) -> str:
        d = self.decimals
        return f"{units / 10**d:,.{d}f} {self.currency}".rstrip()

    def summary(self) -> list[str]:
        """The summary lines of the load: rows and money loaded and skipped, and why."""
        def line(label: str, t: Tally, extra: str = "") -> str:
            return f"  {label}: {t.rows:,} row{'s' if t.rows != 1 else ''}, {self.money(t.units)}{extra}"

        out = [f"Read {self.rows:,} row{'s' if self.rows != 1 else ''} from {self.files} file"
               f"{'s' if self.files != 1 else ''}"
               + (f"; as of {self.as_of_month} (fiscal month {self.as_of})" if self.as_of else "") + "."]
        out.append(line("loaded", self.loaded))
        if self.updated.rows:
            out.append(line("updated (deals exported again with changes, earlier lines replaced)", self.updated))
        if self.repeated.rows:
            out.append(line("in a later file of this load too (the later one counts)", self.repeated))
        out.append(line("already loaded (not counted again)", self.already))
        if self.after.rows:
            out.append(line(f"after the as-of month {self.as_of_month} (not loaded yet)", self.after))
        if self.outside.rows:
            out.append(line(f"outside the fiscal years kept ({self.years})", self.outside))
        unknown = (f" (and {self.unmappable_units_unknown:,} without a readable amount)"
                   if self.unmappable_units_unknown else "")
        out.append(line("unmappable (listed below with file and line)", self.unmappable, unknown))
        if self.file_problems:
            out.append(f"  files not read: {len(self.file_problems)} (listed below)")
        return out

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.file_problems or self.stopped)

    def errors(self) -> list[str]:
        """Every problem, one line each: files, then why the load stopped, then rows."""
        return self.file_problems + ([self.stopped] if self.stopped else []) + self.problems


@dataclass
class Loaded:
    """The result of a load: every line now loaded (earlier ones first), the as-of month and
    the report."""

    lines: pd.DataFrame
    as_of: int
    report: LoadReport


def empty_lines() -> pd.DataFrame:
    """A table of loaded lines with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in LINE_COLUMNS})


_DTYPES = {"key": object, "source": object, "date": "datetime64[ns]", "fy": np.int64, "period": np.int64,
           "deal": object, "region": object, "product": object, "rep": object, "customer": object, "type": object,
           "share": float, "amount": np.int64, "order": np.int64, "created": "datetime64[ns]", "complaint": float,
           "nps": float}


def _resolve(text: np.ndarray, names: Sequence[str]) -> np.ndarray:
    # Names as the plan spells them (compared as plan names are: case, Unicode variants and
    # invisible characters aside), None when unknown; each distinct text looked up once.
    keys = {name_key(n): n for n in names}
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    found = np.array([keys.get(name_key(u)) if u else None for u in uniques] + [None], dtype=object)
    return found[codes]


class _Rows:
    # One export's rows while they are checked: parsed values, problems, and what became of
    # each row.

    def __init__(self, name: str, where: str, lines: np.ndarray, parsed):
        self.name, self.where, self.lines, self.p = name, where, lines, parsed
        self.problems: dict[int, list[str]] = parsed.problems
        self.n = len(lines)
        self.state = np.zeros(self.n, dtype=np.int8)  # see the constants below

    def refuse(self, mask, message: Callable[[int], str]) -> None:
        for i in np.flatnonzero(np.asarray(mask)):
            self.problems.setdefault(int(i), []).append(message(int(i)))

    def has_problem(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[list(self.problems)] = True
        return out

    def label(self, i: int) -> str:
        return f"{self.name} {self.where} {self.lines[i]}"


PENDING, OUTSIDE, AFTER, BAD, OK = 0, 1, 2, 3, 4


def _check(rows: _Rows, plan: Plan, year) -> dict[str, np.ndarray]:
    # Fiscal months, names and the months reps cover; returns the resolved columns.
    p, h = rows.p, plan.plan
    date = p.date
    valid = ~np.isnat(date)
    months_since = np.where(valid, date.astype("datetime64[M]").astype(np.int64), 0)  # months since 1970-01
    period = months_since - ((h.year - 1970) * 12 + h.fiscal_year_start - 1) + 1
    fy = np.where(period >= 1, 0, -1)
    inside = valid & (period >= -11) & (period <= 12)
    rows.state[valid & ~inside] = OUTSIDE
    period = np.where(fy == 0, period, period + 12)
    text = p.text
    rep = _resolve(text["rep"], plan.rep_names)
    product = _resolve(text["product"], plan.product_names)
    region = _resolve(text["region"], plan.region_names)
    known_rep = rep != None  # noqa: E711 (elementwise)
    cy = inside & (fy == 0)
    rows.refuse(cy & ~known_rep & (text["rep"] != ""),
                lambda i: f"rep: {shown(text['rep'][i])} is not a rep of the plan"
                          f"{_did_you_mean(text['rep'][i], plan.rep_names)}")
    checked = ~(valid & ~inside)  # a row without a readable date still has its names checked
    rows.refuse(checked & (product == None) & (text["product"] != ""),  # noqa: E711
                lambda i: f"product: {shown(text['product'][i])} is not a product of the plan"
                          f"{_did_you_mean(text['product'][i], plan.product_names)}")
    rows.refuse(checked & (region == None) & (text["region"] != ""),  # noqa: E711
                lambda i: f"region: {shown(text['region'][i])} is not a region of the plan"
                          f"{_did_you_mean(text['region'][i], plan.region_names)}")
    # A blank region is the rep's that month (in the year before: the rep's plan region).
    rep_index = pd.Index(plan.rep_names).get_indexer(np.where(known_rep, rep, ""))
    month = np.clip(period - 1, 0, 11)
    safe = np.maximum(rep_index, 0)
    if plan.reps:
        own = np.where(fy == 0, year.region[safe, month],
                       np.array([plan.region_names.index(r.region) for r in plan.reps])[safe])
    else:
        own = np.zeros(rows.n, dtype=np.int64)
    own = np.where(rep_index >= 0, own, -1)
    blank_region = text["region"] == ""
    names = np.array([*plan.region_names, None], dtype=object)
    region = np.where(blank_region, names[own], region)
    rows.refuse(inside & (fy == -1) & blank_region & (own < 0) & (text["rep"] != ""),
                lambda i: f"region: blank, and the rep {shown(text['rep'][i])} is not in the plan to take the "
                          "region from")
    covered = np.where(cy & (rep_index >= 0), year.covered[safe, month] if plan.reps else True, True)
    rows.refuse(inside & ~covered, lambda i: _not_covered(plan, rep[i], int(period[i])))
    # Reps of the year before need not be in this year's plan: their lines keep the name.
    rep = np.where(known_rep | (fy != -1), rep, text["rep"])
    return {"fy": fy, "period": period, "rep": rep, "product": product, "region": region, "inside": inside}


def _not_covered(plan: Plan, rep: str, period: int) -> str:
    r = plan.reps[plan.rep_names.index(rep)]
    h = plan.plan
    span = []
    if r.start is not None:
        span.append(f"starts {r.start}")
    if r.end is not None:
        span.append(f"ends {r.end}")
    return f"rep: {shown(rep)} does not cover {h.period_month(period)} ({', '.join(span)})"


#: Shares are compared and split at this many decimals.
SHARE_DECIMALS = 9


def _splits(rows: _Rows, live: np.ndarray) -> np.ndarray:
    # Credited units of each line: a deal's amount split exactly by the shares of its lines
    # (largest remainder, ties to the earlier line). ``live``: rows still to be loaded.
    p = rows.p
    units = p.units.copy()
    share = p.share
    deal = p.text["deal"]
    has = ~np.isnan(share) & live
    rows.refuse(has & (deal == ""), lambda i: f"share: {share[i]:.6g} of the deal needs a deal id to find the "
                                              "deal's other lines")
    grouped = has & (deal != "")
    if not grouped.any():
        return units
    split_deals = set(deal[grouped])
    members = np.flatnonzero(live & pd.Series(deal).isin(split_deals).to_numpy())
    g = pd.DataFrame({"i": members, "deal": deal[members], "share": share[members], "units": units[members],
                      "rep": [name_key(r) for r in p.text["rep"][members]],
                      "bad": rows.has_problem()[members]})
    by = g.groupby("deal", sort=False)
    total = by["share"].transform("sum")
    message = np.full(len(g), "", dtype=object)
    w = rows.where

    def lines(d: str) -> str:
        return ", ".join(str(rows.lines[i]) for i in g.loc[g["deal"] == d, "i"])

    def flag(mask, text: Callable[[int], str]) -> None:
        hit = np.asarray(mask) & (message == "")
        for k in np.flatnonzero(hit):
            message[k] = text(k)

    d = g["deal"].to_numpy()
    flag(g["share"].isna().groupby(g["deal"]).transform("any"),
         lambda k: f"share: deal {shown(d[k])} has lines with a share and lines without ({w}s {lines(d[k])})")
    flag(by["units"].transform("nunique") > 1,
         lambda k: f"amount: the lines of deal {shown(d[k])} ({w}s {lines(d[k])}) give different amounts; each "
                   "line of a split deal gives the deal's whole amount")
    flag((total - 1).abs() > 1e-9,
         lambda k: f"share: the shares of deal {shown(d[k])} ({w}s {lines(d[k])}) add up to {total.iloc[k]:.4%}, "
                   "not 100%")
    flag(g.duplicated(["deal", "rep"]).groupby(g["deal"]).transform("any"),
         lambda k: f"rep: deal {shown(d[k])} credits a rep on two lines ({w}s {lines(d[k])})")
    first_bad = g[g["bad"]].groupby("deal")["i"].first()
    flag(g["deal"].isin(set(first_bad.index)),
         lambda k: f"deal {shown(d[k])}: its {w} {rows.lines[first_bad[d[k]]]} cannot be loaded, so neither can its "
                   "other lines")
    for k in np.flatnonzero(message != ""):
        if not g["bad"].iloc[k]:
            rows.problems.setdefault(int(g["i"].iloc[k]), []).append(message[k])
    good = g[message == ""]
    if len(good):
        codes, _ = pd.factorize(good["deal"])
        position = good.groupby(codes).cumcount().to_numpy()
        width = int(position.max()) + 1
        k = codes.max() + 1
        weights = np.zeros((k, width), dtype=np.int64)
        weights[codes, position] = np.round(good["share"].to_numpy() * 10**SHARE_DECIMALS).astype(np.int64)
        amount = np.zeros(k, dtype=np.int64)
        amount[codes] = good["units"].to_numpy()
        parts = apportion(np.abs(amount), weights)
        units[good["i"].to_numpy()] = parts[codes, position] * np.sign(amount)[codes]
    return units


def _content_keys(frame: pd.DataFrame) -> np.ndarray:
    # The key of a line without a deal id: a hash of its content and which occurrence of that
    # content it is within its file (two equal rows of one export are two deals).
    days = frame["date"].to_numpy().astype("datetime64[D]").astype(str)
    text = (pd.Series(days, index=frame.index, dtype=object) + "|" + frame["region"] + "|" + frame["product"] + "|"
            + frame["rep"] + "|" + frame["customer"] + "|" + frame["amount"].astype(str) + "|" + frame["given_type"])
    occurrence = text.groupby([frame["_batch"], text]).cumcount() + 1
    full = text + "#" + occurrence.astype(str)
    return np.array(["h" + hashlib.blake2b(t.encode("utf-8"), digest_size=10).hexdigest() for t in full],
                    dtype=object)


def read_rows(path: str | Path, plan: Plan, mapping: Mapping, year,
              report: LoadReport) -> tuple[pd.DataFrame, _Rows, int]:
    """One export's rows checked against the plan: the rows as candidate lines (with their
    fiscal month), their checker, and the latest fiscal month of a good row of the plan year."""
    export = read_export(path, mapping)
    parsed = parse(export, mapping, report.decimals)
    rows = _Rows(export.name, export.where, export.lines, parsed)
    report.files += 1
    report.rows += rows.n
    cols = _check(rows, plan, year)
    good = (cols["fy"] == 0) & cols["inside"] & ~rows.has_problem()
    latest = int(cols["period"][good].max(initial=0))
    frame = pd.DataFrame({
        "file": export.name, "line": export.lines,
        "date": parsed.date.astype("datetime64[ns]"), "fy": cols["fy"], "period": cols["period"],
        "deal": parsed.text["deal"], "region": cols["region"], "product": cols["product"], "rep": cols["rep"],
        "customer": parsed.text["customer"], "given_type": parsed.type, "share": parsed.share,
        "amount": parsed.units, "created": parsed.created.astype("datetime64[ns]"), "complaint": parsed.complaint,
        "nps": parsed.nps,
    })
    return frame, rows, latest


def _finish(frame: pd.DataFrame, rows: _Rows, as_of: int, report: LoadReport) -> pd.DataFrame:
    # Window by the as-of month, split credit, problems into the report; the good lines.
    state = rows.state
    after = (state == PENDING) & (frame["fy"].to_numpy() == 0) & (frame["period"].to_numpy() > as_of)
    state[after] = AFTER
    units = _splits(rows, state == PENDING)
    bad = (state == PENDING) & rows.has_problem()
    state[bad] = BAD
    state[state == PENDING] = OK
    amount_ok = rows.p.amount_ok
    raw = rows.p.units
    report.outside.add((state == OUTSIDE).sum(), raw[(state == OUTSIDE) & amount_ok].sum())
    report.after.add(after.sum(), raw[after & amount_ok].sum())
    report.unmappable.add(bad.sum(), raw[bad & amount_ok].sum())
    report.unmappable_units_unknown += int((bad & ~amount_ok).sum())
    for i in np.flatnonzero(bad):
        report.problems.append(f"{rows.label(i)}: {'; '.join(dict.fromkeys(rows.problems[int(i)]))}")
    keep = state == OK
    good = frame.loc[keep].copy()
    good["amount"] = units[keep]
    return good


def load_actuals(paths: Sequence[str | Path], plan: Plan, existing: pd.DataFrame | None = None, *,
                 as_of: int | None = None, previous_as_of: int | None = None, mapping: Mapping | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> Loaded:
    """Load CRM exports into the plan year's deal lines, merged with the lines already loaded.

    Args:
        paths: CSV or XLSX exports; a file that cannot be read is reported and the others
            are loaded.
        plan: the plan (reps, regions, products, the fiscal year, in-year rep changes).
        existing: lines loaded before (:data:`LINE_COLUMNS`), or None.
        as_of: the fiscal month (1..12) the actuals are complete through; rows after it are
            not loaded. None: the later of ``previous_as_of`` and the latest month of a row
            of the plan year.
        previous_as_of: the as-of month of the lines already loaded.
        mapping: the column mapping (default: common CRM headers).
        progress: called with (what, done, total) after each file.

    Returns:
        The :class:`Loaded` lines, as-of month and report.

    Raises:
        PlanError: an as-of outside 1..12. When no as-of month can be told (no row of the
            plan year and none given) nothing is loaded and the report says so.
    """
    mapping = mapping or Mapping()
    h = plan.plan
    report = LoadReport(amount_decimals(plan), h.currency)
    report.years = f"{h.period_month(-11)} to {h.period_month(12)}"
    year = rep_year(plan)
    existing = empty_lines() if existing is None else existing
    frames, latest = [], 0
    for k, path in enumerate(paths):
        try:
            frame, rows, last = read_rows(path, plan, mapping, year, report)
        except (CrmError, PlanError) as exc:
            report.file_problems += getattr(exc, "problems", None) or [str(exc)]
        else:
            frames.append((frame, rows))
            latest = max(latest, last)
        if progress is not None:
            progress(Path(path).name, k + 1, len(paths))
    if as_of is None:
        as_of = max(previous_as_of or 0, latest,
                    int(existing.loc[existing["fy"] == 0, "period"].max()) if (existing["fy"] == 0).any() else 0)
    elif isinstance(as_of, bool) or not isinstance(as_of, (int, np.integer)) or not 1 <= as_of <= 12:
        raise PlanError(f"as-of: must be a month of the fiscal year {h.year} ({h.period_month(1)} to "
                        f"{h.period_month(12)}), got {as_of!r}")
    if as_of == 0:
        # Nothing of the plan year yet: every row is still checked and reported, nothing loaded.
        report.stopped = (f"no actuals of the fiscal year {h.year} ({h.period_month(1)} to {h.period_month(12)}) to "
                          "tell the as-of month from; give it (as-of YYYY-MM); nothing was loaded")
        for f, rows in frames:
            _finish(f, rows, 12, report)
        report.loaded = Tally()
        return Loaded(existing, 0, report)
    report.as_of, report.as_of_month = int(as_of), h.period_month(int(as_of))
    good = [_finish(f, rows, int(as_of), report) for f, rows in frames]
    lines = _merge(existing, good, report)
    return Loaded(lines, int(as_of), report)


def _merge(existing: pd.DataFrame, batches: list[pd.DataFrame], report: LoadReport) -> pd.DataFrame:
    # New lines after the lines already loaded; a deal's lines replaced as a whole by its
    # latest export; a line without a deal id once only.
    parts = []
    for b, frame in enumerate(batches):
        if len(frame):
            frame = frame.reset_index(drop=True)
            frame["_batch"], frame["_row"] = b, np.arange(len(frame))
            frame["_typed"] = bool((frame["given_type"] != "").all())
            parts.append(frame)
    if not parts:
        return _finalise(existing, None)
    new = pd.concat(parts, ignore_index=True)
    has_deal = (new["deal"] != "").to_numpy()
    # A line without a deal id is known by its content; a deal by its id.
    keys = np.full(len(new), "", dtype=object)
    if (~has_deal).any():
        keys[~has_deal] = _content_keys(new[~has_deal])
    new["key"] = keys
    # Lines without a deal id: once only (already loaded, or in an earlier file of this load).
    content = new[~has_deal]
    known = set(existing.loc[existing["deal"] == "", "key"]) if len(existing) else set()
    dup = content["key"].duplicated().to_numpy()
    if known:
        dup = dup | content["key"].isin(known).to_numpy()
    report.already.add(dup.sum(), content.loc[dup, "amount"].sum())
    content = content[~dup]
    report.loaded.add(len(content), content["amount"].sum())
    # Deals: the latest file's lines of a deal count; an earlier file's are replaced.
    deals = new[has_deal]
    latest = deals.groupby("deal", sort=False)["_batch"].transform("max").to_numpy()
    superseded = deals[deals["_batch"].to_numpy() != latest]
    report.repeated.add(len(superseded), superseded["amount"].sum())
    deals = deals[deals["_batch"].to_numpy() == latest]
    old = existing[existing["deal"] != ""]
    both = deals["deal"].isin(set(old["deal"])).to_numpy() if len(old) else np.zeros(len(deals), dtype=bool)
    same = np.zeros(len(deals), dtype=bool)
    if both.any():
        changed = _changed_deals(old, deals[both])
        same[both] = ~deals.loc[both, "deal"].isin(changed).to_numpy()
    report.already.add(same.sum(), deals.loc[same, "amount"].sum())
    replacing = both & ~same
    old_amount = old[old["deal"].isin(set(deals.loc[replacing, "deal"]))]["amount"].sum()
    report.updated.add(replacing.sum(), deals.loc[replacing, "amount"].sum() - old_amount)
    report.loaded.add((~both).sum(), deals.loc[~both, "amount"].sum())
    deals = deals[~same]
    kept = existing[~existing["deal"].isin(set(deals["deal"]))] if len(deals) and len(old) else existing
    added = pd.concat([content, deals], ignore_index=True).sort_values(["_batch", "_row"], kind="stable")
    return _finalise(kept, added)


_PRIME = np.uint64(0x100000001B3)


def _mix(h: np.ndarray, x: np.ndarray) -> np.ndarray:
    # One column into a running 64-bit hash per line (FNV-style; wraps around by design).
    with np.errstate(over="ignore"):
        return (h ^ x.astype(np.uint64)) * _PRIME


def _changed_deals(old: pd.DataFrame, new: pd.DataFrame) -> set[str]:
    # Deals whose lines in ``new`` differ from their lines in ``old``: each deal's lines are
    # summed into one number (the order of its lines does not matter), compared within this
    # load only. A type counts only when the export gives types.
    old = old[old["deal"].isin(set(new["deal"]))]
    flags = new["_typed"].to_numpy(dtype=bool)
    if flags.all() or not flags.any():
        old_typed = np.full(len(old), bool(flags.all()))
    else:
        typed = new.groupby("deal", sort=False)["_typed"].all()
        old_typed = old["deal"].map(typed).fillna(False).to_numpy(dtype=bool)
    both = {"old": (old, old["type"].to_numpy(dtype=object), old_typed),
            "new": (new, new["given_type"].to_numpy(dtype=object), new["_typed"].to_numpy(dtype=bool))}
    texts = {}
    for col in ("region", "product", "rep", "customer"):
        texts[col] = pd.Index(pd.unique(np.concatenate([old[col].to_numpy(dtype=object),
                                                        new[col].to_numpy(dtype=object)])))
    texts["type"] = pd.Index(["", "new", "recurring"])
    sums = {}
    for side, (frame, types, typed_lines) in both.items():
        h = np.full(len(frame), np.uint64(0xCBF29CE484222325), dtype=np.uint64)
        for col in ("fy", "period", "amount"):
            h = _mix(h, frame[col].to_numpy(dtype=np.int64).view(np.uint64))
        for col in ("date", "created"):
            h = _mix(h, frame[col].to_numpy(dtype="datetime64[ns]").view(np.int64).view(np.uint64))
        for col in ("share", "complaint", "nps"):
            x = frame[col].to_numpy(dtype=float)
            h = _mix(h, np.where(np.isnan(x), -1.5e300, x).view(np.uint64))
        for col in ("region", "product", "rep", "customer"):
            h = _mix(h, texts[col].get_indexer(frame[col].to_numpy(dtype=object)).astype(np.int64).view(np.uint64))
        kinds = texts["type"].get_indexer(np.where(typed_lines, types, "")).astype(np.int64)
        h = _mix(h, kinds.view(np.uint64))
        codes, deals = pd.factorize(frame["deal"].to_numpy(dtype=object))
        total = np.zeros(len(deals), dtype=np.uint64)
        np.add.at(total, codes, h)
        count = np.bincount(codes, minlength=len(deals))
        sums[side] = pd.DataFrame({"count": count, "sum": total}, index=pd.Index(deals))
    old_sums = sums["old"].reindex(sums["new"].index)
    differ = (old_sums["count"].to_numpy() != sums["new"]["count"].to_numpy()) | \
        (old_sums["sum"].to_numpy() != sums["new"]["sum"].to_numpy())
    return set(sums["new"].index[differ])


_COMPARED = ("date", "fy", "period", "region", "product", "rep", "customer", "amount", "share", "created",
             "complaint", "nps")


def _finalise(kept: pd.DataFrame, added: pd.DataFrame | None) -> pd.DataFrame:
    # The new lines' derived values (type, order), then every line in the stored form.
    kept = kept.reset_index(drop=True)
    if added is None or not len(added):
        return kept.loc[:, list(LINE_COLUMNS)].astype(_DTYPES) if len(kept) else empty_lines()
    added = added.reset_index(drop=True)
    # Order: the first line of a deal with an amount > 0 (each line without a deal id).
    positive = added["amount"] > 0
    deal = added["deal"]
    first = ~(deal.ne("") & deal.where(positive).duplicated()) & positive
    added["order"] = first.astype(np.int64)
    # Type: given, else "new" up to a customer's first purchase among all lines loaded (the
    # lines loaded before come first on the same day), "recurring" after it.
    added["type"] = added["given_type"]
    blank = (added["type"] == "").to_numpy()
    if blank.any():
        before = kept.loc[kept["amount"] > 0, ["customer", "date"]].assign(seq=-1)
        mine = added.loc[positive, ["customer", "date"]].assign(seq=np.flatnonzero(positive.to_numpy()))
        firsts = pd.concat([before, mine]).sort_values(["date", "seq"], kind="stable").drop_duplicates("customer")
        firsts = firsts.set_index("customer")
        sub = added.loc[blank, ["customer", "date"]]
        first_date = firsts["date"].reindex(sub["customer"]).to_numpy()
        first_seq = firsts["seq"].reindex(sub["customer"]).to_numpy(dtype=float)
        dates = sub["date"].to_numpy()
        seq = np.flatnonzero(blank)
        earlier = (first_date < dates) | ((first_date == dates) & (first_seq < seq))
        added.loc[blank, "type"] = np.where(earlier, "recurring", "new")
    added["source"] = added["file"] + ":" + added["line"].astype(str)
    added = added.loc[:, list(LINE_COLUMNS)]
    out = pd.concat([kept.loc[:, list(LINE_COLUMNS)], added], ignore_index=True) if len(kept) else added
    return out.astype(_DTYPES)


def engine_deals(lines: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """The loaded lines as the engine's deal table (:data:`aop_xl.engine.kpi.DEAL_COLUMNS`)."""
    out = pd.DataFrame({
        "fy": lines["fy"].astype(np.int64), "period": lines["period"].astype(np.int64),
        "region": lines["region"], "product": lines["product"], "rep": lines["rep"],
        "customer": lines["customer"], "type": lines["type"],
        "amount": np.round(lines["amount"].to_numpy(dtype=np.int64) / 10**decimals, decimals),
        "order": lines["order"].astype(np.int64),
        "cycle_days": (lines["date"] - lines["created"]).dt.days.astype(float),
        "complaint": lines["complaint"].astype(float), "nps": lines["nps"].astype(float),
    })
    return out.loc[:, list(DEAL_COLUMNS)]


class ActualsError(AopError):
    """Actuals that cannot be loaded into a workbook."""
