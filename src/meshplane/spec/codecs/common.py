"""What every codec shares: the import result, located reporting, name and version normalisation.

Codecs translate files written by other tools, so they meet quirks rather than errors: a problem that a
person can live with becomes a WARNING that says what was assumed, a file that cannot be understood becomes
an ERROR located at the offending line. Nothing here raises for bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from meshplane.spec.diagnostics import Diagnostic, Severity
from meshplane.spec.ids import DataProductId, SemVer, is_dp_id, is_name
from meshplane.spec.model import Component, DataContract, DataProduct, Kind
from meshplane.spec.model.base import SpecModel
from meshplane.spec.yamlio import Document

M = TypeVar("M", bound=BaseModel)
FieldPath = tuple[str | int, ...]

#: The key under a native ``specific`` where a codec records what the source said before normalisation.
SOURCE = "source"
#: The key under a foreign ``specific``/custom property where Meshplane keeps native-only fields on export.
NATIVE = "meshplane"


@dataclass
class ContractInfo:
    """Identity of an imported ODCS contract, and what the native contract has no field for."""

    schema_name: str
    id: str | None = None
    name: str | None = None
    version: str | None = None
    status: str | None = None
    #: Unmapped ODCS content, in the shape :func:`meshplane.spec.codecs.odcs_write.contract_to_odcs` restores.
    specific: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    data_products: list[DataProduct] = field(default_factory=list)
    #: Standalone contracts (ODCS): one per schema object, as (schema object name, contract).
    contracts: list[tuple[str, DataContract]] = field(default_factory=list)
    #: Same order as ``contracts``.
    contract_info: list[ContractInfo] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


class Reporter:
    """Collects diagnostics located in the source document (``path`` is a field path in its data)."""

    def __init__(self, doc: Document, diagnostics: list[Diagnostic] | None = None) -> None:
        self.doc = doc
        self.diagnostics: list[Diagnostic] = diagnostics if diagnostics is not None else []

    @property
    def file(self) -> str:
        return self.doc.file

    def origin(self, path: Sequence[str | int]) -> tuple[Document, FieldPath]:
        """The document and the path inside it where ``path`` was written (multi-file readers override)."""
        return self.doc, tuple(path)

    def add(
        self,
        severity: Severity,
        path: Sequence[str | int],
        message: str,
        *,
        code: str,
        hint: str | None = None,
        expected: str | None = None,
        at_key: bool = False,
    ) -> None:
        doc, where = self.origin(path)
        self.diagnostics.append(
            doc.diagnostic(where, message, code=code, severity=severity, hint=hint, expected=expected, at_key=at_key)
        )

    def error(self, path: Sequence[str | int], message: str, *, code: str = "codec-invalid", **kw: Any) -> None:
        self.add(Severity.ERROR, path, message, code=code, **kw)

    def warning(self, path: Sequence[str | int], message: str, *, code: str = "codec-quirk", **kw: Any) -> None:
        self.add(Severity.WARNING, path, message, code=code, **kw)

    def info(self, path: Sequence[str | int], message: str, *, code: str = "codec-not-mapped", **kw: Any) -> None:
        self.add(Severity.INFO, path, message, code=code, **kw)


# -- shape checks ----------------------------------------------------------------------------------------


def mapping(rep: Reporter, value: Any, path: FieldPath, what: str, *, required: bool = False) -> dict[str, Any]:
    """``value`` if it is a mapping; otherwise an error (or nothing when absent and optional) and ``{}``."""
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    got = "nothing" if value is None else f"a {_type_name(value)}"
    rep.error(path, f"{what} must be a mapping of fields, got {got}", expected="a mapping")
    return {}


def sequence(rep: Reporter, value: Any, path: FieldPath, what: str) -> list[Any]:
    """``value`` if it is a list; ``[]`` when absent; an error for anything else."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    rep.error(path, f"{what} must be a list, got a {_type_name(value)}", expected="a list")
    return []


def text(value: Any) -> str | None:
    """A scalar as text (numbers and booleans included), ``None`` for absent or structured values."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def custom_properties(value: Any, rep: Reporter, path: FieldPath) -> tuple[dict[str, Any], list[Any]]:
    """Bitol ``customProperties`` (a list of ``{property, value}``) as a mapping, plus malformed entries."""
    found: dict[str, Any] = {}
    odd: list[Any] = []
    for i, item in enumerate(sequence(rep, value, path, "customProperties")):
        if isinstance(item, dict) and text(item.get("property")):
            found[text(item["property"]) or ""] = item.get("value")
        else:
            rep.warning((*path, i), "a custom property needs `property` and `value`; kept as written")
            odd.append(item)
    return found, odd


def _type_name(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "text", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def describe(value: Any) -> str:
    """What a document's top level turned out to be, for "expected a mapping, got …" messages."""
    return "an empty file" if value is None else f"a {_type_name(value)}"


def build(model: type[M], data: dict[str, Any], rep: Reporter, path: FieldPath, what: str) -> M | None:
    """Validate one native object; report each problem at the source object and return ``None`` on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            msg = str(err["msg"]).removeprefix("Value error, ")
            rep.error(path, f"{what} cannot be imported: {loc + ': ' if loc else ''}{msg}", code="codec-invalid")
        return None


_COMPONENT: TypeAdapter[Component] = TypeAdapter(Component)


def native_data(obj: Any) -> Any:
    """Native data for a model (see ``SpecModel.to_data``: union tags kept) or a list or dict of them."""
    if isinstance(obj, SpecModel):
        return obj.to_data()
    if isinstance(obj, list):
        return [native_data(v) for v in obj]
    if isinstance(obj, dict):
        return {k: native_data(v) for k, v in obj.items()}
    if isinstance(obj, Enum):
        return obj.value
    return obj


def build_component(data: dict[str, Any], rep: Reporter, path: FieldPath, what: str) -> Component | None:
    """A native component from its native data (any kind), reporting problems at ``path``."""
    try:
        return _COMPONENT.validate_python(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            rep.error(path, f"{what} cannot be imported: {loc}: {str(err['msg']).removeprefix('Value error, ')}")
        return None


def aliases(model: type[BaseModel]) -> set[str]:
    """The camelCase field names of a native model."""
    return {f.alias or n for n, f in model.model_fields.items()}


def own_specific(specific: dict[str, Any], fmt: str) -> dict[str, Any]:
    """A native ``specific`` without what the ``fmt`` codec kept there (it goes back into the format)."""
    return {
        k: v
        for k, v in specific.items()
        if k != fmt and not (k == SOURCE and isinstance(v, dict) and v.get("format") == fmt)
    }


def assumed_kind(rep: Reporter, path: FieldPath, fmt: str, reads_products: bool) -> str:
    """The native kind a foreign descriptor does not state: aggregate if it reads other data products."""
    kind = Kind.AGGREGATE if reads_products else Kind.SOURCE_ALIGNED
    why = "it reads another data product" if reads_products else "it reads no other data product"
    rep.warning(
        path,
        f"{fmt} does not say whether a product is source-aligned, aggregate or consumer-aligned; "
        f"assumed `{kind.value}` because {why}",
        code="codec-default",
        hint="set `kind` in the imported descriptor if this is wrong",
    )
    return kind.value


# -- names, ids and versions -----------------------------------------------------------------------------

_NOT_ID = re.compile(r"[^a-z0-9_.\-]+")


def slugify(value: str) -> str:
    """A valid native id part: lowercase, anything outside ``[a-z0-9_.-]`` becomes ``_``.

    >>> slugify("Transport Management")
    'transport_management'
    """
    slug = _NOT_ID.sub("_", value.strip().lower())
    return re.sub(r"_+", "_", slug).strip("_.-")


def read_identity(
    rep: Reporter,
    *,
    raw_id: str | None,
    raw_name: str | None,
    raw_domain: str | None,
    raw_version: Any,
    paths: tuple[FieldPath, FieldPath, FieldPath, FieldPath],
) -> tuple[str, str, str, str, dict[str, str]] | None:
    """(native id, name, domain, semantic version, the originals that had to change) — the identity every
    codec reads the same way; ``None`` when there is no name at all."""
    semver, semver_changed = version(raw_version, rep, paths[3])
    ident = product_identity(
        rep, raw_id=raw_id, raw_name=raw_name, raw_domain=raw_domain, semver=semver, paths=paths[:3]
    )
    if ident is None:
        return None
    dp_id, name, domain, source = ident
    if semver_changed and raw_version is not None:
        source["version"] = str(raw_version)
    return dp_id, name, domain, semver, source


def product_identity(
    rep: Reporter,
    *,
    raw_id: str | None,
    raw_name: str | None,
    raw_domain: str | None,
    semver: str,
    paths: tuple[FieldPath, FieldPath, FieldPath],
) -> tuple[str, str, str, dict[str, str]] | None:
    """(native id, name, domain, the originals that had to change) — ``None`` when there is no name at all.

    A valid ``urn:dmb:dp:…`` id is kept and gives the name and domain where the source's are not valid
    names; anything else (a UUID, "Transport Management") is slugified into ``urn:dmb:dp:<domain>:<name>:<major>``.
    """
    id_path, name_path, domain_path = paths
    changed: dict[str, str] = {}
    if raw_id and is_dp_id(raw_id):
        parsed = DataProductId.parse(raw_id)
        name = raw_name if raw_name and is_name(raw_name) else parsed.name
        domain = raw_domain if raw_domain and is_name(raw_domain) else parsed.domain
        for key, raw, new in (("name", raw_name, name), ("domain", raw_domain, domain)):
            if raw and raw != new:
                changed[key] = raw
        return raw_id, name, domain, changed
    domain = slugify(raw_domain or "")
    if not domain:
        rep.warning(domain_path, "no domain; assumed `unassigned`", code="codec-default", hint="set the domain")
        domain = "unassigned"
    elif domain != raw_domain:
        changed["domain"] = raw_domain or ""
    name = slugify(raw_name or "")
    if not name and raw_id and slugify(raw_id.split(":")[-1]):
        name = slugify(raw_id.split(":")[-1])
        rep.warning(name_path, f"no name; `{name}` taken from the id", code="codec-default", hint="add a name")
    if not name:
        rep.error(name_path, "the data product has no name", code="missing-field", hint="add a name")
        return None
    if name != raw_name:
        changed["name"] = raw_name or ""
    new_id = f"urn:dmb:dp:{domain}:{name}:{SemVer.parse(semver).major}"
    if raw_id:
        changed["id"], changed["nativeId"] = raw_id, new_id
        rep.info(
            id_path,
            f"id `{raw_id}` is not a native data product id; imported as `{new_id}` "
            "(the original is kept under specific.source)",
            code="codec-renamed",
        )
    else:
        rep.info(id_path, f"no id; imported as `{new_id}`", code="codec-renamed")
    return new_id, name, domain, changed


def restore(source: dict[str, Any], key: str, current: Any, normalize: Callable[[str], Any]) -> Any:
    """What the source wrote for ``key`` if importing it again would give ``current``; else ``current``.

    Export uses this to write back ``mailto:x`` or ``DRAFT`` as the source had them, but never undoes a change
    made to the native descriptor after the import.
    """
    raw = source.get(key)
    if raw is None:
        return current
    try:
        return raw if normalize(str(raw)) == current else current
    except (ValueError, KeyError):
        return current


def component_name(value: Any, used: set[str], rep: Reporter, path: FieldPath, what: str) -> str | None:
    """A valid, unique component name: kept when valid, else slugified (with a note of the original)."""
    raw = text(value)
    if not raw:
        rep.error(path, f"{what} has no name", code="codec-invalid", hint="add `name:`")
        return None
    name = raw if is_name(raw) else slugify(raw)
    if not name:
        rep.error(path, f"{what} name `{raw}` has no letters or digits", code="codec-invalid")
        return None
    if name != raw:
        rep.info(path, f"{what} name `{raw}` became `{name}` (a native name has no spaces)", code="codec-renamed")
    if name in used:
        base, n = name, 2
        while f"{base}_{n}" in used:
            n += 1
        name = f"{base}_{n}"
        rep.warning(path, f"{what} name `{raw}` is used twice; this one is imported as `{name}`", code="codec-renamed")
    used.add(name)
    return name


def version(value: Any, rep: Reporter, path: FieldPath, *, what: str = "version") -> tuple[str, bool]:
    """A semantic version and whether it differs from what the source wrote (``v1.0.0``, ``1.2``, absent)."""
    raw = text(value)
    if not raw:
        rep.warning(path, f"no {what}; assumed 1.0.0", code="codec-default", hint=f"set `{path[-1]}`")
        return "1.0.0", True
    candidate = raw[1:] if raw[:1] in "vV" else raw
    parts = candidate.split(".")
    if len(parts) < 3 and all(p.isdigit() for p in parts):
        candidate = ".".join([*parts, *["0"] * (3 - len(parts))])
    try:
        SemVer.parse(candidate)
    except ValueError:
        rep.warning(path, f"{what} `{raw}` is not a semantic version; assumed 1.0.0", code="codec-default")
        return "1.0.0", True
    if candidate != raw:
        rep.warning(path, f"{what} `{raw}` read as `{candidate}`", code="codec-quirk")
    return candidate, candidate != raw


# -- YAML output -----------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the same dict written twice stays readable, without &id001 anchors


def to_yaml(data: Any) -> str:
    """Block-style YAML in the order the codec built it; strings YAML 1.1 would misread are quoted."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=110)


def prune(data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is ``None``, an empty string or an empty collection (export hygiene)."""
    return {k: v for k, v in data.items() if v is not None and v != "" and v != [] and v != {}}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` added: missing keys set, lists appended, mappings merged; ``base`` wins.

    This is how export puts back what an import kept under ``specific``: the native data decides, the kept
    data fills what the native model has no field for.
    """
    out = dict(base)
    for key, value in extra.items():
        if key not in out:
            out[key] = value
        elif isinstance(out[key], list) and isinstance(value, list):
            out[key] = out[key] + value
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = merge(out[key], value)
    return out
