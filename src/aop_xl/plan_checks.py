"""Checks of a plan that span fields, and the wording of every validation message.

Messages name the plan field and the value (``regions[2].weight: must be >= 0, got -5``) in
the words of the plan file, never in those of the library that checks it; user text in a
message is quoted with every character that would not show (a control, a line separator, a
zero-width space) written as an escape, so that one problem is always one line.

All problems of a plan are collected, not just the first: the field problems pydantic finds,
and the cross-field problems below. A cross-field check runs only when none of the fields it
reads had a field problem, so a bad field never causes follow-on problems.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aop_xl.errors import PlanError
from aop_xl.units import is_whole

if TYPE_CHECKING:
    from aop_xl.plan import Plan

#: The blocks of a plan that are lists of members (``regions[2].weight``); the other
#: top-level keys are tables (``plan.unit``).
MEMBER_BLOCKS = ("regions", "products", "reps", "budget", "kpis")

# ------------------------------------------------------------------ text in messages

_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_SHOWN_CHARS = 60  # characters of a value quoted back in a message


def _hidden(ch: str) -> bool:
    # Characters that do not show as themselves on one line: controls, format characters
    # (bidi controls, zero-width spaces), separators other than the space, surrogates,
    # unassigned code points and noncharacters.
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Cs", "Cn", "Zl", "Zp") or (cat == "Zs" and ch != " ")


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if not _hidden(ch):
        return ch
    cp = ord(ch)
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def shown(text: str, limit: int = _SHOWN_CHARS) -> str:
    """User text as a message quotes it: in double quotes, on one line, hidden characters escaped.

    Args:
        text: the text.
        limit: characters shown before the rest is cut to ``...``.

    Examples:
        >>> shown("East")
        '"East"'
        >>> shown("East\\u200b\\x85")
        '"East\\\\u200b\\\\u0085"'
    """
    cut = len(text) > limit
    body = "".join(_escape(ch) for ch in (text[:limit] if cut else text))
    return f'"{body}{"..." if cut else ""}"'


def one_line(text: str) -> str:
    """A message made safe to print as one line: controls and separators escaped, rest kept."""
    return "".join(_escape(ch) if ch not in ('"', "\\") else ch for ch in text)


_NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refused_kind(ch: str) -> str | None:
    cp = ord(ch)
    cat = unicodedata.category(ch)
    if cat == "Cc":
        return "control characters"
    if cat == "Cs":
        return "lone surrogates (half of a character)"
    if ch in _BIDI:
        return "bidirectional controls"
    if cat in ("Zl", "Zp"):
        return "line or paragraph separators"
    if (cp & 0xFFFE) == 0xFFFE or _NONCHARACTER.match(ch):
        return "noncharacters"
    return None


def text_problem(text: str) -> str | None:
    """Why a text cannot be a name or a label in the workbook, or None when it can.

    Refused: control characters (C0 and C1, tab and line breaks included), line and paragraph
    separators, bidirectional controls, noncharacters (U+FFFE, U+FFFF ...) and lone surrogates:
    the workbook cannot hold them, or they would make one name look like another. The message
    gives the position (counted from 1) and the code point, never the character itself.

    Examples:
        >>> text_problem("North\\x85")
        'must not contain control characters: U+0085 at character 6'
    """
    for i, ch in enumerate(text, start=1):
        if ch.isprintable() and ch not in _BIDI:
            continue
        kind = _refused_kind(ch)
        if kind is not None:
            return f"must not contain {kind}: U+{ord(ch):04X} at character {i}"
    return None


# Characters that do not show and are ignored when names are compared: soft hyphen,
# combining grapheme joiner, Mongolian vowel separator, zero-width space / non-joiner / joiner,
# word joiner and invisible operators, zero-width no-break space (BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"))


def name_key(name: str) -> str:
    """The form in which two names are compared: Unicode compatibility form (NFKC: composed
    accents, fullwidth letters as ASCII), invisible characters removed, case folded, trimmed.

    Examples:
        >>> name_key("Ｅａｓｔ\\u200b") == name_key("east")
        True
    """
    text = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    return unicodedata.normalize("NFKC", text.casefold()).strip()


# ------------------------------------------------------------------ values in messages


def describe(value: Any) -> str:
    """A value as a message shows it, in the spelling of the plan file (TOML/JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"{'-' if value < 0 else ''}a number of {digits} digits" if digits > 300 else f"{float(value):.6g}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return f"a {type(value).__name__}"


def location(path: Iterable[str | int]) -> str:
    """A path in the plan document as the plan file spells it: ``regions[2].product_mix.Widgets``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part) else shown(part)
            out += ("." if out else "") + key
    return out


# ------------------------------------------------------------------ field problems

# What each kind of type error expects, in the plan file's words.
_EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "finite_number": "a finite number",
}
_FIELD_FIRST = re.compile(r"^([a-z_]+): (.*)$")
_BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}


def data_path(data: Any, loc: tuple[Any, ...], kind: str) -> tuple[str | int, ...]:
    """The path in the document of a pydantic error's ``loc``.

    pydantic's loc also names the branch of a union or a validator (``float``,
    ``literal['base','challenge']``, ``[key]``): only the parts that are in the document are
    kept (and the missing key of a ``missing`` error).
    """
    node, path = data, []
    for i, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, Mapping) and part in node:
            node = node[part]
        elif not (i == len(loc) - 1 and kind == "missing"):
            continue
        path.append(part)
    return tuple(path)


def _expected(err: Mapping[str, Any]) -> str | None:
    kind = err["type"]
    if kind == "literal_error":
        return (err.get("ctx") or {}).get("expected", "one of the allowed values")
    return _EXPECTED.get(kind)


def _message(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required"
    if kind in _BOUNDS:
        return f"must be {_BOUNDS[kind]} {describe(next(iter(ctx.values())))}, got {describe(value)}"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"expected {'at least' if kind == 'too_short' else 'at most'} {n} items, got {ctx.get('actual_length')}"
    if kind == "value_error":
        return one_line(str(ctx.get("error", err.get("msg", ""))))
    expected = _expected(err)
    if expected is not None:
        return f"must be {expected}, got {describe(value)}"
    return f"is not valid, got {describe(value)}"


def field_problems(errors: Sequence[Mapping[str, Any]], data: Any) -> tuple[list[str], frozenset[str]]:
    """The messages for pydantic's errors on a plan document, and the fields in error.

    The errors of the branches of one union (``floor``: a number, ``"base"`` or
    ``"challenge"``) become one message.

    Args:
        errors: ``ValidationError.errors()``.
        data: the plan document that was validated.

    Returns:
        One message per field in error, in the order found, and the set of fields in error
        (``"regions.weight"``, ``"plan.unit"``, ``"seasonality"``; see :func:`field_of`).
    """
    by_path: dict[tuple[str | int, ...], list[Mapping[str, Any]]] = {}
    for err in errors:
        by_path.setdefault(data_path(data, tuple(err["loc"]), err["type"]), []).append(err)
    problems = []
    for path, errs in by_path.items():
        expected = [_expected(e) for e in errs]
        if len(errs) > 1 and all(expected):
            alternatives = list(dict.fromkeys(expected))
            last = alternatives.pop()
            message = f"must be {', '.join(alternatives)}{',' if ' or ' in last else ' or'} {last}" if alternatives \
                else f"must be {last}"
            problems.append(f"{location(path) or 'plan file'}: {message}, got {describe(errs[0].get('input'))}")
        else:
            for message in dict.fromkeys(_message(e) for e in errs):
                field = _FIELD_FIRST.match(message) if errs[0]["type"] == "value_error" else None
                if field:  # a check of a whole member that names the field first: "months: ..."
                    problems.append(f"{location((*path, field.group(1)))}: {field.group(2)}")
                else:
                    problems.append(f"{location(path) or 'plan file'}: {message}")
    return problems, frozenset(field_of(path) for path in by_path)


def field_of(path: Sequence[str | int]) -> str:
    """The field a document path belongs to, as the cross-field checks name what they read:
    ``("regions", 2, "weight")`` -> ``"regions.weight"``; ``("plan", "goals", 1)`` ->
    ``"plan.goals"``; a member or section as a whole -> ``"regions"``."""
    if not path:
        return ""
    head = str(path[0])
    if head in MEMBER_BLOCKS:
        return f"{head}.{path[2]}" if len(path) > 2 and isinstance(path[1], int) and isinstance(path[2], str) else head
    return f"{head}.{path[1]}" if len(path) > 1 and isinstance(path[1], str) else head


def _reads_invalid(reads: Iterable[str], invalid: frozenset[str]) -> bool:
    return any(r == i or r.startswith(i + ".") or i.startswith(r + ".") for r in reads for i in invalid)


# ------------------------------------------------------------------ cross-field checks


def is_multiple_of_unit(amount: float, unit: float) -> bool:
    """True when ``amount`` is a whole number of ``unit`` (tolerating float representation)."""
    return bool(is_whole(amount / unit))


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if name_key(c) == name_key(value)]
    return f" (did you mean {shown(close[0])}?)" if close else ""


def _duplicates(kind: str, names: list[str]) -> list[str]:
    # Excel compares names case-insensitively, and names that look alike (composed or
    # decomposed accents, fullwidth letters, a trailing zero-width space) would be taken for
    # one another by every reader: they are refused as duplicates.
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names):
        key = name_key(name)
        if key in seen:
            first = names[seen[key]]
            problems.append(
                f"{kind}[{i}].name: {shown(name)} duplicates {kind}[{seen[key]}].name {shown(first)}"
                + ("" if first == name else " (names are compared ignoring case)"
                   if first.casefold() == name.casefold()
                   else " (names are compared ignoring case, Unicode variants and invisible characters)")
            )
        else:
            seen[key] = i
    return problems


def _rep_regions(plan: Plan) -> list[str]:
    regions = plan.region_names
    return [f"reps[{i}].region: {shown(rep.region)} is not a region{_did_you_mean(rep.region, regions)}"
            for i, rep in enumerate(plan.reps) if rep.region not in regions]


def _rep_changes(plan: Plan) -> list[str]:
    # In-year changes (start, end, moves, draw) against the fiscal year and the regions. A
    # month is compared as a fiscal period (plan.Header.month_period): 1..12 is the year.
    h = plan.plan
    first, last = h.period_month(1), h.period_month(12)
    year = f"the fiscal year {h.year} ({first} to {last})"
    regions = plan.region_names
    problems = []
    for i, rep in enumerate(plan.reps):
        where = f"reps[{i}]"
        start = h.month_period(rep.start) if rep.start is not None else 1
        end = h.month_period(rep.end) if rep.end is not None else 12
        if rep.start is not None and start > 12:
            problems.append(f"{where}.start: {shown(rep.start)} is after {year}")
        if rep.end is not None and end < 1:
            problems.append(f"{where}.end: {shown(rep.end)} is before {year}")
        if rep.start is not None and rep.end is not None and end < start:
            problems.append(f"{where}.end: {shown(rep.end)} is before start {shown(rep.start)}")
        if rep.draw is not None and not is_multiple_of_unit(rep.draw, h.unit):
            problems.append(f"{where}.draw: {describe(rep.draw)} is not a multiple of the unit {h.unit:g}")
        region, previous = rep.region, None
        for j, move in enumerate(rep.moves):
            at = f"{where}.moves[{j}]"
            p = h.month_period(move.month)
            if not 1 <= p <= 12:
                problems.append(f"{at}.month: {shown(move.month)} is outside {year}")
            elif previous is not None and p <= previous[1]:
                problems.append(f"{at}.month: {shown(move.month)} is not after moves[{j - 1}].month "
                                f"{shown(previous[0])}")
            elif p <= max(start, 1):
                problems.append(f"{at}.month: {shown(move.month)} is not after the first month the rep covers "
                                f"({h.period_month(max(start, 1))}); give the region as {where}.region instead")
            elif p > min(end, 12):
                problems.append(f"{at}.month: {shown(move.month)} is after the last month the rep covers "
                                f"({h.period_month(min(end, 12))})")
            previous = (move.month, p)
            if move.region not in regions:
                problems.append(f"{at}.region: {shown(move.region)} is not a region"
                                f"{_did_you_mean(move.region, regions)}")
            elif move.region == region:
                problems.append(f"{at}.region: {shown(move.region)} is the region the rep is in before the move")
            region = move.region
    return problems


def _budget_regions(plan: Plan) -> list[str]:
    regions = plan.region_names
    return [f"budget[{i}].region: {shown(item.region)} is not a region{_did_you_mean(item.region, regions)}"
            for i, item in enumerate(plan.budget) if item.region is not None and item.region not in regions]


def _product_mixes(plan: Plan) -> list[str]:
    products = plan.product_names
    problems = []
    for i, r in enumerate(plan.regions):
        if r.product_mix is not None:
            for name in r.product_mix:
                if name not in products:
                    problems.append(
                        f"regions[{i}].product_mix: {shown(name)} is not a product{_did_you_mean(name, products)}"
                    )
            if not any(plan.product_mix(r)):
                problems.append(f"regions[{i}].product_mix: weights are all zero")
    return problems


def _region_targets(plan: Plan) -> list[str]:
    unit = plan.plan.unit
    problems = []
    for i, r in enumerate(plan.regions):
        if r.target is not None and not math.isfinite(r.target / unit):
            problems.append(f"regions[{i}].target: {describe(r.target)} is too large")
        elif r.target is not None and not is_multiple_of_unit(r.target, unit):
            problems.append(f"regions[{i}].target: {describe(r.target)} is not a multiple of the unit {unit:g}")
    return problems


def _weights_given(plan: Plan) -> list[str]:
    problems = []
    for i, r in enumerate(plan.regions):
        if r.target is None and r.weight is None and r.prior_year_revenue is None:
            problems.append(f"regions[{i}]: give weight, prior_year_revenue or target")
    for i, p in enumerate(plan.products):
        if p.weight is None and p.prior_year_revenue is None:
            problems.append(f"products[{i}]: give weight or prior_year_revenue")
    return problems


def _overflows(plan: Plan) -> list[str]:
    # Numbers near the largest float (1.8e308) overflow to infinity as soon as they are summed
    # or grown: say so, rather than let a total become "inf".
    problems = []
    largest = "more than 1.8e308, the largest number"

    def over(field: str, values: Iterable[float], what: str, advice: str = "") -> None:
        if not math.isfinite(sum(abs(v) for v in values)):  # the sum is inf when it overflows
            problems.append(f"{field}: {what} {largest}{advice}")

    relative = "; weights are relative: use smaller numbers"
    over("regions", plan.region_weights(), "the weights add up to", relative)
    over("products", plan.product_weights(), "the weights add up to", relative)
    for i, r in enumerate(plan.regions):
        if r.product_mix is not None:
            over(f"regions[{i}].product_mix", r.product_mix.values(), "the weights add up to", relative)
    over("seasonality", plan.seasonality.month_weights(), "the weights add up to", relative)
    for name in plan.region_names:
        over("reps", [plan.reps[i].share for i in plan.reps_of(name)],
             f"the shares of region {shown(name)} add up to", "; shares are relative: use smaller numbers")
    h = plan.plan
    if h.total_target is None and h.prior_year_revenue is not None:
        over("plan.prior_year_revenue", [h.prior_year_revenue * (1 + (h.growth or 0.0))], "x (1 + growth) is")
    elif h.total_target is None:
        g = plan.growth_defaults.market
        grown = [r.target if r.target is not None else
                 (r.prior_year_revenue or 0.0) * (1 + (r.growth if r.growth is not None else g[r.market]))
                 for r in plan.regions]
        over("regions", grown, "the targets from prior-year revenue x (1 + growth) add up to")
    for i, item in enumerate(plan.budget):
        over(f"budget[{i}].amount", [item.cost], f"x {item.months_active} months is")
    if not problems:
        over("budget", [item.cost for item in plan.budget], "the costs add up to")
    return problems


def _totals(plan: Plan) -> list[str]:
    problems: list[str] = []
    h = plan.plan
    unit = h.unit
    if h.total_target is None and h.prior_year_revenue is None:
        missing = [i for i, r in enumerate(plan.regions) if r.target is None and r.prior_year_revenue is None]
        if missing:
            return [
                "plan.total_target: required (or plan.prior_year_revenue, or prior_year_revenue or target "
                f"on every region; regions[{missing[0]}] has neither)"
            ]
    try:
        total = plan.total_target()
    except PlanError as exc:  # a total too large to round to the unit
        return exc.problems
    if not math.isfinite(total / unit):
        return [f"plan.total_target: {describe(total)} is too large"]
    if not is_multiple_of_unit(total, unit):
        problems.append(f"plan.total_target: {describe(total)} is not a multiple of the unit {unit:g}")
    if total < 0 and not h.allow_negative:
        problems.append(
            f"plan.total_target: must be >= 0, got {describe(total)} (set plan.allow_negative = true for a planned decline)"
        )
    locks = plan.region_locks()
    unlocked = [i for i in range(len(plan.regions)) if i not in locks]
    locked_sum = sum(locks.values())
    if locks and abs(locked_sum) > abs(total) + unit / 2:
        problems.append(
            f"regions: fixed targets add up to {describe(locked_sum)}, more than plan.total_target {describe(total)}"
        )
    weights = plan.region_weights()
    rest = total - locked_sum
    if abs(rest) >= unit / 2 and not any(weights[i] for i in unlocked):
        problems.append("regions: weights are all zero" + (" (for the regions without a fixed target)" if locks else ""))
    if not any(plan.product_weights()) and any(r.product_mix is None for r in plan.regions):
        problems.append("products: weights are all zero")
    for name in plan.region_names:
        idx = plan.reps_of(name)
        if idx and not any(plan.reps[i].share for i in idx):
            problems.append(f"reps: shares of region {shown(name)} are all zero")
    return problems


def _tiers(plan: Plan) -> list[str]:
    c = plan.commission
    problems = []
    if c.tiers[0].floor not in (0, 0.0):
        problems.append(f"commission.tiers[0].floor: the first band must start at 0, got {describe(c.tiers[0].floor)}")
    if c.floor_basis == "absolute":
        if any(isinstance(t.floor, str) for t in c.tiers) and any(
            not isinstance(t.floor, str) and t.floor > 0 for t in c.tiers
        ):
            problems.append('commission.tiers: with floor_basis = "absolute" do not mix amounts with "base"/"challenge"')
            return problems
    floors = [tier_floor_fraction(t.floor, plan.plan.challenge_uplift) for t in plan.commission.tiers]
    for i in range(1, len(floors)):
        if floors[i] <= floors[i - 1]:
            problems.append(
                f"commission.tiers[{i}].floor: tiers must be in ascending order of floor, "
                f"got {describe(c.tiers[i].floor)} after {describe(c.tiers[i - 1].floor)}"
            )
    return problems


def _decimals(plan: Plan) -> list[str]:
    # Weights and rates are decimals of at most 6 places (docs/engine.md): ties are decided by
    # the decimals the user wrote, growth and uplift are applied exactly.
    from aop_xl.engine.exact import WEIGHT_DECIMALS, decimal_places

    problems = []

    def check(field: str, value: float | None, what: str) -> None:
        if value is not None and decimal_places(value) > WEIGHT_DECIMALS:
            problems.append(f"{field}: {value!r} has more than {WEIGHT_DECIMALS} decimal places ({what} are "
                            "decimals: round it)")

    s = plan.seasonality
    for key in ("quarters", "months"):
        for i, w in enumerate(getattr(s, key) or []):
            check(f"seasonality.{key}[{i}]", w, "weights")
    for kind, members in (("regions", plan.regions), ("products", plan.products)):
        for i, m in enumerate(members):
            check(f"{kind}[{i}].weight", m.weight, "weights")
            check(f"{kind}[{i}].growth", m.growth, "rates")
    for i, r in enumerate(plan.regions):
        for name, w in (r.product_mix or {}).items():
            check(f"regions[{i}].product_mix.{name}", w, "weights")
    for i, rep in enumerate(plan.reps):
        check(f"reps[{i}].share", rep.share, "shares")
    check("plan.challenge_uplift", plan.plan.challenge_uplift, "rates")
    check("plan.growth", plan.plan.growth, "rates")
    for kind, rates in (("market", plan.growth_defaults.market), ("bcg", plan.growth_defaults.bcg)):
        for name, rate in rates.items():
            check(f"growth_defaults.{kind}.{name}", rate, "rates")
    return problems


def _exact_targets(plan: Plan) -> list[str]:
    # The engine's own arithmetic: amounts within the size bound, weights it can keep exact.
    from aop_xl.engine.targets import target_units

    try:
        target_units(plan)
    except PlanError as exc:
        return exc.problems
    return []


Check = Callable[["Plan"], list[str]]

#: The cross-field checks, in the order their problems are reported, each with the fields it
#: reads (``"regions.name"``; a whole section: ``"plan"``). A check runs only when none of the
#: fields it reads had a field problem. One more check is one more line.
CHECKS: tuple[tuple[tuple[str, ...], Check], ...] = (
    (("regions.name",), lambda plan: _duplicates("regions", plan.region_names)),
    (("products.name",), lambda plan: _duplicates("products", plan.product_names)),
    (("reps.name",), lambda plan: _duplicates("reps", plan.rep_names)),
    (("regions.name", "reps.region"), _rep_regions),
    (("regions.name", "budget.region"), _budget_regions),
    (("plan.year", "plan.fiscal_year_start", "plan.unit", "regions.name", "reps.region", "reps.start", "reps.end",
      "reps.moves", "reps.draw"), _rep_changes),
    (("products.name", "regions.product_mix"), _product_mixes),
    (("plan.unit", "regions.target"), _region_targets),
    (("regions", "products"), _weights_given),
    (("plan.challenge_uplift", "commission"), _tiers),
    (("seasonality", "regions", "products", "reps", "plan", "growth_defaults"), _decimals),
)

#: Checks of the plan as a whole (totals, locks, weights that cannot all be zero): they need
#: every member to be complete, so they run only when the checks above found nothing.
WHOLE_PLAN_CHECKS: tuple[tuple[tuple[str, ...], Check], ...] = (
    (("plan", "regions", "products", "reps", "seasonality", "budget", "growth_defaults"), _overflows),
    (("plan", "regions", "products", "reps", "growth_defaults"), _totals),
    (("plan", "regions", "products", "reps", "seasonality", "growth_defaults"), _exact_targets),
)


def plan_problems(plan: Plan, invalid: frozenset[str] = frozenset()) -> list[str]:
    """The problems a plan has across fields: names, references, totals, locks, tiers.

    Args:
        plan: the plan; after field problems, a plan holding only the fields that passed
            their own checks (the others are absent).
        invalid: the fields that had a field problem (see :func:`field_problems`); the
            checks that read them are skipped.

    Returns:
        One message per problem, in the order of :data:`CHECKS` then
        :data:`WHOLE_PLAN_CHECKS`.
    """
    problems: list[str] = []
    for reads, check in CHECKS:
        if not _reads_invalid(reads, invalid):
            problems += check(plan)
    if problems:
        return problems
    for reads, check in WHOLE_PLAN_CHECKS:
        if not _reads_invalid(reads, invalid):
            problems += check(plan)
            if problems:
                break
    return problems


def tier_floor_fraction(floor: float | str, challenge_uplift: float) -> float:
    """A tier floor as a fraction of the base quota ("base" is 1, "challenge" 1 + uplift)."""
    if floor == "base":
        return 1.0
    if floor == "challenge":
        return 1.0 + challenge_uplift
    return float(floor)
