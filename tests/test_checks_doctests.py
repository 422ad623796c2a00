"""The examples in the checks' docstrings run (the package is outside pytest's doctest paths)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["aop_xl.checks.formula", "aop_xl.checks.cells", "aop_xl.checks.modelling", "aop_xl.checks.limits"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
