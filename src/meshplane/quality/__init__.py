"""The quality gate: data tested against its contract, on DuckDB or where the data lives.

``run_checks(con, relation, contract)`` tests what a DuckDB connection can read in one scan and gives a
:class:`ContractReport` (``report.blocking`` is the gate). ``quarantine(con, relation, plan)`` returns the
failing rows with the reasons, for the runtime to set aside. ``test_target`` is what ``meshplane test``
runs: an ODCS contract against a file, a DuckDB or PostgreSQL table, or a deployed output port.
"""

from __future__ import annotations

from meshplane.quality.engine import DuckDBEngine, Engine, measure, quarantine, run_checks
from meshplane.quality.report import ContractReport, jsonable
from meshplane.quality.targets import test_target

__all__ = [
    "ContractReport",
    "DuckDBEngine",
    "Engine",
    "jsonable",
    "measure",
    "quarantine",
    "run_checks",
    "test_target",
]
