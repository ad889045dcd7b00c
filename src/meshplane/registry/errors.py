"""Registry errors: a deploy that cannot get its lock, a lock lost mid-deploy, a registry that cannot be opened.

They are domain errors (``MeshplaneError``) carrying a hint, so the CLI and the web layer show a sentence a
person can act on instead of a database driver's traceback.
"""

from __future__ import annotations

from datetime import datetime

from meshplane.errors import MeshplaneError, NotFoundError


class RegistryError(MeshplaneError):
    """The registry cannot be opened or used (bad URL, unreachable server, unwritable folder, …)."""


class RegistryNotFoundError(RegistryError, NotFoundError):
    """A deployment or plan the caller named is not in the registry."""


class ConcurrentDeployError(RegistryError):
    """Another deploy of the same data product in the same environment holds the lock."""

    def __init__(self, message: str, *, holder: str, locked_at: datetime | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.holder = holder
        self.locked_at = locked_at


class LockLostError(RegistryError):
    """The lease's lock was broken (judged stale) and possibly taken by another deploy."""
