"""The exception hierarchy of aop_xl.

Every error a user can cause is an ``AopError``; its message names the plan field, sheet or
cell at fault and says what was expected. ``cli.py`` turns them into one line on stderr and
exit code 2.
"""

from __future__ import annotations


class AopError(Exception):
    """Base class of every error aop_xl raises on purpose."""


class PlanError(AopError, ValueError):
    """The plan (or an argument standing in for part of it) is not valid.

    ``problems`` holds one message per problem; ``str()`` joins them with newlines.
    """

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class WorkbookError(AopError):
    """A workbook is not what it claims to be (missing sheet, foreign template, bad cell)."""


class AddinError(AopError):
    """The Excel add-in cannot be built or installed."""
