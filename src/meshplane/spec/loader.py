"""Load descriptors and turn every validation problem into a located, actionable diagnostic.

Pydantic reports errors by ``loc`` (field path) and type; we map each ``loc`` back to the line and column
recorded by :mod:`meshplane.spec.yamlio`, drop the union-tag segments pydantic inserts, and add a hint
("did you mean `outputPort`?") from the names the model accepts at that point.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from meshplane.spec import yamlio
from meshplane.spec.diagnostics import Diagnostic, Severity, did_you_mean, has_errors
from meshplane.spec.model import Component, DataProduct, Expectation, Mesh, Source

M = TypeVar("M", bound=BaseModel)

DESCRIPTOR_FILE = "dataproduct.yaml"
MESH_FILE = "mesh.yaml"


@dataclass
class Loaded(Generic[M]):
    """A model (``None`` when it could not be built), the parsed document and every diagnostic."""

    model: M | None
    document: yamlio.Document
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.model is not None and not has_errors(self.diagnostics)


def load_model(doc: yamlio.Document, model: type[M]) -> Loaded[M]:
    """Validate a parsed document against ``model``; never raises for bad input."""
    result: Loaded[M] = Loaded(None, doc, list(doc.diagnostics))
    if doc.data is None and has_errors(doc.diagnostics):
        return result  # unparseable: the syntax error says it all
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else f"a {type(doc.data).__name__}"
        result.diagnostics.append(
            doc.diagnostic(
                (),
                f"expected a mapping of fields at the top level, got {got}",
                code="wrong-type",
                expected=f"a {model.__name__} document",
                hint="see `meshplane schema` for the fields a descriptor takes",
            )
        )
        return result
    try:
        result.model = model.model_validate(doc.data)
    except ValidationError as exc:
        result.diagnostics.extend(_diagnostics(doc, model, exc))
    result.diagnostics.sort(key=lambda d: (d.line, d.column))
    return result


def load_file(path: Path, model: type[M]) -> Loaded[M]:
    return load_model(yamlio.load(path), model)


def load_dataproduct(path: Path) -> Loaded[DataProduct]:
    return load_file(path, DataProduct)


def load_mesh(path: Path) -> Loaded[Mesh]:
    return load_file(path, Mesh)


# -- pydantic errors → diagnostics ---------------------------------------------------------------------


def _diagnostics(doc: yamlio.Document, model: type[BaseModel], exc: ValidationError) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[tuple[str, str, int, int]] = set()
    for error in exc.errors(include_url=False):
        diag = _one(doc, model, error)
        key = (diag.code, diag.message, diag.line, diag.column)
        if key not in seen:
            seen.add(key)
            found.append(diag)
    return found


def _one(doc: yamlio.Document, model: type[BaseModel], error: Any) -> Diagnostic:
    path = data_path(doc.data, error["loc"])
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        name = str(error["loc"][-1])
        return doc.diagnostic(
            path, f"missing required field `{name}`", code="missing-field", hint=f"add `{name}:` here"
        )
    if kind == "extra_forbidden":
        name = str(path[-1])
        allowed = accepted_fields(model, error["loc"][:-1])
        return doc.diagnostic(
            path,
            f"unknown field `{name}`",
            code="unknown-field",
            at_key=True,
            expected="one of " + _list(allowed) if allowed else None,
            hint=did_you_mean(name, allowed) or "remove it, or move custom data under `specific`",
        )
    if kind == "union_tag_invalid":
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        field_name = str(ctx.get("discriminator", "")).strip("'")
        tag = str(ctx.get("tag"))
        return doc.diagnostic(
            (*path, field_name),
            f"unknown {field_name} `{tag}`",
            code="unknown-value",
            expected="one of " + _list(tags),
            hint=did_you_mean(tag, tags),
        )
    if kind == "union_tag_not_found":
        field_name = str(ctx.get("discriminator", "")).strip("'")
        return doc.diagnostic(
            path,
            f"missing `{field_name}`, which says what this entry is",
            code="missing-field",
            hint=f"add `{field_name}:`",
        )
    if kind in ("literal_error", "enum"):
        choices = [c.strip().strip("'") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        choices = [c for c in choices if c]
        return doc.diagnostic(
            path,
            f"`{given}` is not allowed",
            code="unknown-value",
            expected="one of " + _list(choices),
            hint=did_you_mean(str(given), choices),
        )
    if kind == "string_pattern_mismatch":
        return doc.diagnostic(
            path,
            f"`{given}` is not a valid name",
            code="invalid-value",
            expected="letters, digits, `_`, `-` or `.`, starting with a letter or digit",
            hint="rename it, e.g. `" + _slug(str(given)) + "`",
        )
    message = str(error["msg"])
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif given is not None and kind.endswith("_type"):
        message = f"{message}, got `{_short(given)}`"
        if kind == "string_type" and isinstance(given, int | float | bool):
            return doc.diagnostic(
                path,
                message,
                code="invalid-value",
                hint=f"quote it so YAML reads text: '{_short(given)}'"
                + (" (a version needs three parts, e.g. 1.2.0)" if path[-1:] == ("version",) else ""),
            )
    return doc.diagnostic(path, message, code="invalid-value")


def data_path(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Follow ``loc`` through the actual data, skipping the union-tag segments pydantic adds."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            path.append(part)  # a missing key: locate at its parent
            node = None
    return tuple(path)


def _is_tag(part: str) -> bool:
    return "[" in part or part in _UNION_TAGS


def accepted_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The camelCase field names the model accepts at ``loc`` (best effort through lists and unions)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    models = _models_in(current)
    return sorted({f.alias or n for m in models for n, f in m.model_fields.items()})


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _models_in(annotation):
        if isinstance(part, str):
            if part in _tags_of(candidate):
                return candidate
            for name, info in candidate.model_fields.items():
                if part in (name, info.alias):
                    return info.annotation
    if isinstance(part, int):
        args = [a for a in typing.get_args(_unwrap(annotation)) if a is not type(None)]
        return args[0] if args else None
    for arg in typing.get_args(_unwrap(annotation)):
        if isinstance(part, str) and isinstance(arg, type) and issubclass(arg, BaseModel) and part in _tags_of(arg):
            return arg
    return None


def _tags_of(model: type[BaseModel]) -> set[str]:
    tags: set[str] = set()
    for name in ("kind", "type"):
        info = model.model_fields.get(name)
        if info is not None and typing.get_origin(info.annotation) is typing.Literal:
            tags.update(str(a) for a in typing.get_args(info.annotation))
    return tags


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _list(items: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _slug(text: str) -> str:
    import re

    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip()).strip("_.-").lower()
    return slug or "my_name"


#: The ``kind``/``type`` values of every tagged union, read from the models so a new kind needs no edit here.
_UNION_TAGS = frozenset(
    tag for union in (Component, Expectation, Source) for model in _models_in(union) for tag in _tags_of(model)
)


__all__ = [
    "DESCRIPTOR_FILE",
    "MESH_FILE",
    "Loaded",
    "Severity",
    "load_dataproduct",
    "load_file",
    "load_mesh",
    "load_model",
]
