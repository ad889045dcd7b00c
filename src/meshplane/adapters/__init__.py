"""Everything that touches a technology, each behind a small protocol (see ``base``)."""
