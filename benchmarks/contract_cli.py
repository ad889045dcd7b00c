"""The real `meshplane` CLI, for timing it as a user runs it: ``python contract_cli.py test CONTRACT --path FILE``.
Goes through ``main`` exactly as the ``meshplane`` script does, so start-up cost is measured honestly."""

from __future__ import annotations

import sys

from meshplane.cli.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
