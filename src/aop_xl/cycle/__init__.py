"""The planning round: regional workbooks out, submissions back, reconciled, with a ledger.

A round is a folder (:mod:`aop_xl.cycle.round`): the master workbook, the round's plan, a
secret key and an append-only, hash-chained ledger (:mod:`aop_xl.cycle.ledger`). Regional
workbooks are written by :mod:`aop_xl.cycle.distribute`, returned files read by
:mod:`aop_xl.cycle.collect` and the proposals reconciled by :mod:`aop_xl.cycle.reconcile`.
See docs/round.md.
"""
