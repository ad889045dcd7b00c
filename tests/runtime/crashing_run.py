"""Run one data product, but SIGKILL this process right after its Nth port is committed to Delta (before
the registry hears about it): the worst moment for a run to die. Used by test_exactly_once.py.

Usage: python crashing_run.py MESH DATA_PRODUCT (KILL_AFTER in the environment)."""

import os
import signal
import sys
from pathlib import Path

from meshplane.provisioning.service import open_session
from meshplane.runtime import runner

original = runner.commit
calls = {"n": 0}


def commit_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
    result = original(*args, **kwargs)
    calls["n"] += 1
    if calls["n"] == int(os.environ["KILL_AFTER"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return result


runner.commit = commit_then_die  # type: ignore[assignment]
with open_session(Path(sys.argv[1])) as session:
    dp = session.workspace.find(sys.argv[2])
    assert dp is not None
    record = runner.run(session, dp)
print(record.status.value)
