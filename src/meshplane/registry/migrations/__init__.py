"""Alembic migrations of the registry schema; run by ``meshplane.registry.migrate``, not imported."""
