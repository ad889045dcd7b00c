"""The root of Meshplane's exception tree.

Services raise these; the edges translate them (the CLI prints ``Error: …`` and exits non-zero, the web
layer answers with a status code). Nothing below the edges prints or exits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from meshplane.spec.diagnostics import Diagnostic


class MeshplaneError(Exception):
    """Anything a user can cause and fix. ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFoundError(MeshplaneError):
    """A named thing (file, data product, port, template) does not exist."""


class InvalidInputError(MeshplaneError):
    """Input was read but is not acceptable; carries the located diagnostics."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = (), *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.diagnostics = list(diagnostics)


class UnsupportedError(MeshplaneError):
    """A feature needs an optional extra or a technology that is not available."""


class AuthenticationError(MeshplaneError):
    """The caller could not be identified: no token, a bad signature, an expired token, an unknown user."""


class PermissionDeniedError(MeshplaneError):
    """The caller is known but may not do this (no grant on a port, not an owner of the data product)."""


class ConflictError(MeshplaneError):
    """The request clashes with the current state (a decision already taken, a duplicate request)."""
