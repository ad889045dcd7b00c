"""Data contracts compiled into checks and SQL: pure logic, the SQL runs elsewhere (``meshplane.quality``).

``compile_contract(contract, relation)`` gives a :class:`CheckPlan` — the checks (schema, type, required,
unique, primary key and every quality expectation), one aggregate statement measuring them all in a single
scan, the custom queries that need their own statement, samples and quarantine queries. ``evaluate`` turns
the measured numbers into :class:`CheckResult` values with a status and a message.

>>> from meshplane.spec.model import Column, DataContract
>>> plan = compile_contract(DataContract(columns=[Column(name="id", type="string", required=True)]), '"t"')
>>> [c.id for c in plan.checks]
['required:id']
>>> evaluate(plan, {"required:id": 2}, 1000, {})[0].message
'2 of 1,000 rows (0.2%) are NULL in `id`; none allowed'
"""

from __future__ import annotations

from meshplane.contracts.compiler import check_schema, compile_contract
from meshplane.contracts.evaluate import evaluate, row_result
from meshplane.contracts.model import KEYED, ROW_LEVEL, Check, CheckPlan, CheckResult, Kind, Status
from meshplane.contracts.rowsql import REASONS
from meshplane.contracts.sqltext import count_condition, quote_ident, quote_string, substitute_relation

__all__ = [
    "KEYED",
    "REASONS",
    "ROW_LEVEL",
    "Check",
    "CheckPlan",
    "CheckResult",
    "Kind",
    "Status",
    "check_schema",
    "compile_contract",
    "count_condition",
    "evaluate",
    "quote_ident",
    "quote_string",
    "row_result",
    "substitute_relation",
]
