"""Run `meshplane ARGS`, but SIGKILL this process right after the Nth Delta table is provisioned (before the
registry hears about it): the worst moment for a deploy to die. Used by test_recovery.py."""

import os
import signal
import sys

from meshplane.adapters import delta
from meshplane.cli.app import main

original = delta.DeltaStorageAdapter.provision
calls = {"n": 0}


def provision_then_die(self, request):  # type: ignore[no-untyped-def]
    result = original(self, request)
    calls["n"] += 1
    if calls["n"] == int(os.environ["KILL_AFTER"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return result


delta.DeltaStorageAdapter.provision = provision_then_die  # type: ignore[method-assign]
sys.exit(main(sys.argv[1:]))
