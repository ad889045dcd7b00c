"""Small helpers the port adapters share: narrowing a component to a port, and safe component names."""

from __future__ import annotations

import re

from meshplane.errors import InvalidInputError
from meshplane.spec.model import BoundaryPort, Component, OutputPort


def as_port(component: Component | None, adapter: str) -> OutputPort | BoundaryPort:
    """The component as an output or boundary port; any other kind is a wrong adapter choice."""
    if not isinstance(component, OutputPort | BoundaryPort):
        kind = getattr(component, "kind", "nothing")
        raise InvalidInputError(
            f"the {adapter} adapter provisions output and boundary ports, not {kind}",
            hint="set `infrastructureTemplateId` to an adapter for this kind, or leave it out for the default",
        )
    return component


def safe_name(text: str, default: str = "port") -> str:
    """A valid component name from a folder or table name: other characters become ``_``.

    >>> safe_name("Daily Revenue (EUR)")
    'Daily_Revenue__EUR_'
    """
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", text.strip()).lstrip("_.-")
    return name or default
