"""Small helpers shared by the tests."""

from __future__ import annotations

import tomllib
from importlib import resources

from aop_xl.plan import Plan, plan_from_dict


def sample_dict() -> dict:
    text = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def sample_with(change) -> Plan:
    data = sample_dict()
    change(data)
    return plan_from_dict(data)
