"""The planning round: regional workbooks out, submissions back, reconciled, with a ledger.

A round is a folder (:mod:`aop_xl.cycle.round`): the master workbook, the round's plan, a
secret key and an append-only, hash-chained ledger (:mod:`aop_xl.cycle.ledger`). Regional
workbooks are written by :mod:`aop_xl.cycle.distribute`, returned files read by
:mod:`aop_xl.cycle.collect` and the proposals reconciled by :mod:`aop_xl.cycle.reconcile`.
See docs/round.md.

The year in motion (actuals are another input of the same cycle): CRM exports are read by
:mod:`aop_xl.cycle.crm` and loaded as deal lines by :mod:`aop_xl.cycle.actuals`;
:mod:`aop_xl.cycle.inyear` puts them into the workbook and reads them back;
:mod:`aop_xl.cycle.statements` writes the reps' commission statements;
:mod:`aop_xl.cycle.sample_actuals` invents CRM data for demos and tests. See docs/actuals.md.
"""
