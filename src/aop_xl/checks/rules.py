"""The rules of ``aop-xl validate``: stable ids, severities, and what each finding says.

Ids never change meaning: a rule that is dropped leaves its id unused. Prefixes: ``C`` the
contract of the standard AOP workbook, ``M`` modelling practice (FAST standard, ICAEW code),
``X`` Excel's limits and file structure (what makes Excel "repair" a file, or tools choke),
``V`` values (cached errors; with ``--recalc``, recalculated ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "note")
_RANK = {"error": 3, "warning": 2, "note": 1}


def at_least(severity: str, level: str) -> bool:
    """True when ``severity`` is ``level`` or more severe (``never`` is above every severity)."""
    if level == "never":
        return False
    return _RANK[severity] >= _RANK[level]


@dataclass(frozen=True)
class Rule:
    """One check: id, short name, category, severity, what it flags and how to fix it."""

    id: str
    name: str
    category: str
    severity: str
    title: str
    help: str
    recalc: bool = False  # needs --recalc

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


@dataclass
class Finding:
    """One problem: the rule, where (file, sheet, cell or range, how many cells) and what.

    ``message`` says in one line what is wrong and what was expected; ``range`` is an A1
    address on ``sheet`` (or None for the whole workbook or sheet).
    """

    rule: Rule
    file: str
    message: str
    sheet: str | None = None
    range: str | None = None
    cells: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def location(self) -> str:
        """``Targets!B7:F7``, ``Targets``, or the file alone."""
        if self.sheet is None:
            return ""
        from aop_xl.workbook.layout import quote_sheetname

        return f"{quote_sheetname(self.sheet)}!{self.range}" if self.range else quote_sheetname(self.sheet)

    def key(self) -> tuple[str, str, str, str]:
        """What a baseline remembers: rule, file, sheet and range (not the wording)."""
        return (self.rule.id, self.file, self.sheet or "", self.range or "")


_CATALOGUE = [
    # -- contract of the standard AOP workbook (recognised by its hidden identity sheet)
    Rule("C101", "missing-sheet", "contract", "error",
         "A sheet of the standard workbook is missing",
         "Every sheet the template defines must be present (rename it back, or rebuild the workbook)."),
    Rule("C102", "defined-name", "contract", "error",
         "A defined name of the template is missing or points elsewhere",
         "Defined names are how macros and other workbooks find blocks; restore the template's reference."),
    Rule("C103", "unknown-template", "contract", "error",
         "The identity sheet names an unknown template, version or capacity",
         "The workbook must come from this aop_xl's template; rebuild it with `aop-xl build`."),
    Rule("C104", "fingerprint", "contract", "warning",
         "The fingerprint does not match the targets the inputs give",
         "The inputs were changed after the workbook was built (or the fingerprint was edited); rebuild it "
         "or accept the new numbers."),
    Rule("C105", "formula-changed", "contract", "error",
         "A formula differs from the template's formula in that cell",
         "Calculation cells are the template's; restore the formula (the expected one is in the message)."),
    Rule("C106", "formula-overwritten", "contract", "error",
         "A template formula was replaced by a typed value or cleared",
         "Put the template's formula back; change the inputs on the input cells instead."),
    Rule("C107", "input-outside-inputs", "contract", "warning",
         "A value is typed outside the input cells, or an input cell holds a formula",
         "Inputs belong in the input cells (blue on yellow, unlocked); calculation cells hold the template's "
         "formulas."),
    Rule("C108", "invalid-input", "contract", "error",
         "An input cell holds a value the plan does not accept",
         "Correct the input; the message says what was expected."),
    # -- modelling practice, any workbook
    Rule("M201", "number-in-formulas", "modelling", "error",
         "A number is typed where the row or column holds formulas",
         "A typed number among copies of one formula is usually a pasted value or an override: restore the "
         "formula, or move the number to an input cell."),
    Rule("M202", "pattern-break", "modelling", "warning",
         "A formula breaks the pattern of its row or column",
         "The cells before and after hold copies of one formula (same relative R1C1 form) and this one "
         "differs: check it."),
    Rule("M203", "embedded-constant", "modelling", "warning",
         "A formula embeds a business number",
         "Numbers that may change (rates, prices, amounts, years) belong in labelled input cells. Integers up "
         "to 100, 0.5, scale factors (1000, 10^6), calendar constants, tolerances below 1e-6 and sentinels "
         "of 1e100 or more are not flagged."),
    Rule("M204", "volatile-function", "modelling", "warning",
         "A formula calls a volatile function",
         "OFFSET, INDIRECT, TODAY, NOW, RAND, RANDBETWEEN, CELL and INFO recalculate on every change and hide "
         "dependencies; use INDEX or an input cell for the date."),
    Rule("M205", "external-link", "modelling", "error",
         "A formula, name or link refers to another workbook",
         "Links to other files break when the workbook is sent out; copy the values in as inputs."),
    Rule("M206", "unsupported-function", "modelling", "warning",
         "A function outside the Excel 2016 and LibreOffice set, or one that needs `_xlfn.`",
         "Use functions that Excel 2016, LibreOffice and Gnumeric all evaluate (no XLOOKUP, LET, LAMBDA, "
         "IFS, dynamic arrays); a user-defined function needs its add-in."),
    Rule("M207", "circular-reference", "modelling", "error",
         "Formulas refer to themselves, directly or in a loop",
         "Circular references give results that depend on iteration settings; break the loop."),
    Rule("M208", "whole-column-sum", "modelling", "warning",
         "A sum or count over a whole column or row",
         "A whole-column range picks up anything added below (totals, notes) and is slow; sum the block's "
         "rows."),
    Rule("M209", "number-as-text", "modelling", "warning",
         "A number is stored as text among numbers",
         "Text is ignored by SUM and compares unequal to numbers; enter it as a number (or mark it with a "
         "leading apostrophe if it really is text)."),
    Rule("M210", "total-leaves-out-row", "modelling", "error",
         "A total leaves out a row (or column) of the block it sums",
         "The summed range stops short of cells that belong to the block; extend it."),
    # -- Excel limits and file structure
    Rule("X301", "sheet-name", "limits", "error",
         "A sheet name Excel does not accept",
         "1-31 characters, none of [ ] : * ? / \\, no leading or trailing apostrophe, not 'History'."),
    Rule("X302", "duplicate-sheet-name", "limits", "error",
         "Two sheets whose names differ only in case",
         "Excel compares sheet names without case; rename one."),
    Rule("X303", "defined-name-syntax", "limits", "error",
         "A defined name Excel does not accept",
         "A letter, underscore or backslash first, then letters, digits, underscores, periods; not a cell "
         "reference; at most 255 characters."),
    Rule("X304", "long-validation-list", "limits", "error",
         "A list validation over 255 characters",
         "Excel truncates such a list and repairs the file; put the list in cells and refer to the range."),
    Rule("X305", "duplicate-table-name", "limits", "error",
         "Two tables (or a table and a defined name) with the same name",
         "Excel repairs the file and renames one; give each table a unique name."),
    Rule("X306", "beyond-grid", "limits", "error",
         "A reference beyond Excel's grid (1,048,576 rows, 16,384 columns)",
         "Excel refuses or repairs such a reference; fix the address."),
    Rule("X307", "formula-too-long", "limits", "error",
         "A formula over 8,192 characters",
         "Excel cannot store it; split it into helper cells."),
    Rule("X308", "nesting-too-deep", "limits", "error",
         "More than 64 levels of nested functions",
         "Excel refuses the formula; use helper cells."),
    Rule("X309", "merged-whole-column", "limits", "warning",
         "A merged range spanning a whole column or row",
         "A merge of a million cells makes many readers stall (openpyxl takes minutes); merge only the cells "
         "used."),
    Rule("X310", "huge-extent", "limits", "note",
         "The sheet's used range is declared far larger than its cells",
         "Readers that allocate the declared dimension or formatted rows slow down; clear the formatting of "
         "unused rows and columns."),
    Rule("X311", "strict-ooxml", "limits", "warning",
         "Saved as Strict Open XML",
         "Excel opens it, but most libraries (openpyxl, pandas) see no sheets; save as Excel Workbook."),
    # -- values
    Rule("V401", "cached-error", "values", "error",
         "A cell holds an error value (#DIV/0!, #REF!, #N/A ...) as saved",
         "Fix the formula or its inputs; wrap expected errors (IFERROR) only where the blank is meant."),
    Rule("V402", "check-not-zero", "values", "error",
         "A check cell is not 0 after recalculation",
         "A total differs from the sum of its parts; the message names the check cell and its value.",
         recalc=True),
    Rule("V403", "recalculated-error", "values", "error",
         "A cell holds an error after recalculation by a spreadsheet engine",
         "The formula fails in that engine (LibreOffice or Gnumeric); use functions all engines evaluate.",
         recalc=True),
    Rule("V404", "engines-disagree", "values", "warning",
         "LibreOffice and Gnumeric calculate different values",
         "The formula depends on behaviour the engines do not share (rounding, text handling); simplify it.",
         recalc=True),
]

#: Every rule by id.
RULES: dict[str, Rule] = {rule.id: rule for rule in _CATALOGUE}


def rule(rule_id: str) -> Rule:
    """The rule with id ``rule_id``."""
    return RULES[rule_id]
