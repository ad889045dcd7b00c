"""The shared base of every descriptor model: camelCase in files, snake_case in Python, unknown keys refused.

Refusing unknown keys is what lets the loader say "unknown field `ouputPorts`, did you mean `outputPorts`?"
instead of silently ignoring a typo. Extension data goes under ``specific``, as in the Data Product
Specification.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class SpecModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=False,
        validate_default=False,
        use_enum_values=False,
    )

    def to_data(self) -> dict[str, Any]:
        """The normalized descriptor: camelCase keys, defaults and empty values left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
