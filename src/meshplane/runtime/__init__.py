"""Running pipelines with their contracts enforced.

``run(session, dp)`` reads the data product's input ports (pinned: versions and watermarks recorded),
runs its workloads on a locked DuckDB connection, tests the staged output against each port's contract and
commits each port once to its Delta table with an app transaction, so a retried, recovered or concurrent run
never duplicates data. ``run_all`` runs many upstream first. ``service`` is the facade the CLI calls
(runs, quarantine, versions, restore, reads as of a version, a time or a valid time).
"""

from meshplane.runtime.commit import WriteMode, app_id, write_mode
from meshplane.runtime.runner import BatchResult, Progress, run, run_all
from meshplane.runtime.timetravel import PortVersion

__all__ = ["BatchResult", "PortVersion", "Progress", "WriteMode", "app_id", "run", "run_all", "write_mode"]
