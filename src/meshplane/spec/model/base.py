"""The shared base of every descriptor model: camelCase in files, snake_case in Python, unknown keys refused.

Refusing unknown keys is what lets the loader say "unknown field `ouputPorts`, did you mean `outputPorts`?"
instead of silently ignoring a typo. Extension data goes under ``specific``, as in the Data Product
Specification.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal, get_origin

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
        """The descriptor as a person writes it: camelCase keys, defaults and empty values left out — except
        the ``kind``/``type`` tags of unions, without which the data would not load back as the same thing."""
        data = _data(self)
        assert isinstance(data, dict)
        return data


_Fields = list[tuple[str, str, bool, bool, Any]]
_FIELDS: dict[type[BaseModel], _Fields] = {}
_REQUIRED = object()


def _fields(cls: type[BaseModel]) -> _Fields:
    """Per class, once: (name, alias, is union tag, has default factory, default). Asking pydantic for a
    default each time costs an ``inspect.signature`` call, which dominated large dumps."""
    table = _FIELDS.get(cls)
    if table is None:
        table = []
        for name, info in cls.model_fields.items():
            tag = name in ("kind", "type") and get_origin(info.annotation) is Literal
            factory = info.default_factory is not None
            default = _REQUIRED if info.is_required() else (info.default_factory if factory else info.default)
            table.append((name, info.alias or name, tag, factory, default))
        _FIELDS[cls] = table
    return table


def _data(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        out: dict[str, Any] = {}
        for name, alias, tag, factory, default in _fields(type(obj)):
            value = getattr(obj, name)
            if value is None:
                continue
            if not tag and default is not _REQUIRED and value == (default() if factory else default):
                continue
            out[alias] = _data(value)
        return out
    if isinstance(obj, list | tuple):
        return [_data(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _data(v) for k, v in obj.items()}
    if isinstance(obj, Enum):
        return obj.value
    return obj
