"""aop_xl: the annual operating plan in Excel, with numbers that add up to the cent."""

from aop_xl.engine.quota import annual_quotas, quotas
from aop_xl.engine.split import split
from aop_xl.engine.spread import spread
from aop_xl.engine.targets import plan_targets
from aop_xl.errors import AddinError, AopError, PlanError, WorkbookError
from aop_xl.plan import Plan, load_plan, plan_from_dict

__version__ = "0.1.0"

__all__ = [
    "AddinError",
    "AopError",
    "Plan",
    "PlanError",
    "WorkbookError",
    "annual_quotas",
    "load_plan",
    "plan_from_dict",
    "plan_targets",
    "quotas",
    "split",
    "spread",
]
