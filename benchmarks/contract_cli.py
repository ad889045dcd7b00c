"""The real `meshplane` CLI with `test` registered (when app.py does not register it yet), for timing the CLI
as a user runs it: ``python contract_cli.py test CONTRACT --path FILE``. Imports exactly what
``meshplane`` imports, so start-up cost is measured honestly."""

from __future__ import annotations

import sys

from meshplane.cli import cmd_test
from meshplane.cli.app import app, main

if not any(c.name == "test" for c in app.registered_commands):
    app.command("test")(cmd_test.test)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
