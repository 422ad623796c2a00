"""Integrity checks for workbooks: ``aop-xl validate`` (rules, reports) and ``aop-xl diff``.

- :func:`~aop_xl.checks.validate.validate` / :func:`~aop_xl.checks.validate.validate_file`:
  every rule of :mod:`aop_xl.checks.rules` over files read safely by
  :mod:`aop_xl.checks.reader`; reports in :mod:`aop_xl.checks.formats`, baselines in
  :mod:`aop_xl.checks.baseline`.
- :func:`~aop_xl.checks.diff.diff_files`: what changed between two workbooks, in business
  terms for AOP workbooks; :func:`~aop_xl.checks.diff.dump` for git's textconv.

The rules, formats and exit codes are described in ``docs/ci.md``.
"""
