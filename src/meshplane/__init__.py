"""Meshplane: a self-serve data mesh platform.

The package is layered (see ``README.md``): ``spec`` is the pure domain model, ``governance`` and
``contracts`` reason over it, ``registry`` and ``adapters`` touch technology, the services compose them
and ``cli``/``web`` are thin shells.
"""

__version__ = "0.1.0"
