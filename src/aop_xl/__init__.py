"""aop_xl: the annual operating plan in Excel, with numbers that add up to the cent."""

from aop_xl.engine.budget import BudgetSummary, budget_summary, roi
from aop_xl.engine.commission import band_reached, commission, commission_by_band, commission_statement, ytd_payments
from aop_xl.engine.kpi import health_score, health_tier, kpi_status, lag, rag
from aop_xl.engine.quota import annual_quotas, quotas
from aop_xl.engine.reconcile import Reconciliation, reconcile
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
    "BudgetSummary",
    "Reconciliation",
    "band_reached",
    "budget_summary",
    "commission",
    "commission_by_band",
    "commission_statement",
    "health_score",
    "health_tier",
    "kpi_status",
    "lag",
    "rag",
    "reconcile",
    "roi",
    "ytd_payments",
]
