"""The Excel layer: the ``=AOP_*`` worksheet functions (``udfs``, through xlwings), their
conversion stages (``convert``) and the add-in builder. Only this package imports xlwings,
and only in the modules that need it, so ``import aop_xl.xl`` works without Excel."""
