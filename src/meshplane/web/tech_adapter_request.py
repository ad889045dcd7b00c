"""What a Tech Adapter request asks for: the data product, the component, and the adapter that serves it.

Witboost sends the whole data product in the Data Product Specification (DPS) shape; we translate it with
the DPS codec's own reader, so a descriptor that imports with ``meshplane import --from dps`` is understood
here the same way, with the same located messages. A native ``meshplane/v1`` product (``apiVersion`` set)
is accepted too, which is what :class:`~meshplane.adapters.remote.RemoteAdapter` sends with
``dialect="native"``. Problems raise :class:`~meshplane.errors.MeshplaneError`; the app answers them 400.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meshplane.adapters.base import TechAdapter
from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.spec import yamlio
from meshplane.spec.codecs import dps
from meshplane.spec.codecs.common import Reporter
from meshplane.spec.diagnostics import Diagnostic, Severity, did_you_mean, has_errors
from meshplane.spec.loader import load_model
from meshplane.spec.model import API_VERSION, Component, DataProduct, Kind

#: Chooses the adapter for a component; raises ``NotFoundError`` when none serves it.
Lookup = Callable[[Component], TechAdapter]

_VERSION_SUFFIX = re.compile(r":\d+(\.\d+)*$")
_TEMPLATE_URN = re.compile(r"^urn:dmb:[iu]tm:(?P<name>[^:]+)(:.*)?$")


@dataclass
class Target:
    """The component a request names, within its product, and what reading it noticed."""

    dataproduct: DataProduct
    component: Component
    #: The component as last provisioned, from ``latestEnrichedDescriptor``.
    previous: Component | None = None
    #: Warnings worth showing in the operation's logs (quirks the DPS reader worked around).
    notes: list[str] = field(default_factory=list)
    #: The environment the descriptor names (Witboost's, e.g. ``development``), if any.
    environment: str | None = None

    @property
    def component_id(self) -> str:
        return self.dataproduct.component_id(self.component)


def read_target(descriptor: str, *, source: str = "descriptor", latest: str | None = None) -> Target:
    """The component a ``COMPONENT_DESCRIPTOR`` names. ``latest`` is the ``latestEnrichedDescriptor``."""
    doc = _parse(descriptor, source)
    data = doc.data
    if isinstance(data, dict) and "descriptor" in data and "descriptorKind" in data:
        # provisionInfo.request may hold the whole ProvisioningRequest rather than its descriptor.
        return read_target(str(data["descriptor"]), source=f"{source}.descriptor", latest=latest)
    if not isinstance(data, dict) or not isinstance(data.get("dataProduct"), dict):
        raise InvalidInputError(
            f"the {source} has no `dataProduct` mapping",
            [doc.diagnostic((), "expected `dataProduct:` and `componentIdToProvision:`", code="wrong-type")],
            hint="a COMPONENT_DESCRIPTOR is YAML with `dataProduct:` (the whole product) and `componentIdToProvision:`",
        )
    wanted = data.get("componentIdToProvision")
    if not isinstance(wanted, str) or not wanted.strip():
        raise InvalidInputError(
            f"the {source} does not say which component to provision",
            [doc.diagnostic(("componentIdToProvision",), "missing or empty", code="missing-field")],
            hint="add `componentIdToProvision: <component id>`",
        )
    dp, notes = read_product(doc, "dataProduct")
    component = dp.component(wanted.strip())
    if component is None:
        known = [dp.component_id(c) for c in dp.components]
        hint = did_you_mean(wanted, known) or ("it has " + ", ".join(known) if known else "it has no components")
        raise NotFoundError(f"component `{wanted}` is not in data product `{dp.id}`", hint=hint)
    target = Target(dp, component, notes=notes, environment=_text(data["dataProduct"].get("environment")))
    if latest:
        target.previous = _previous(latest, target)
    return target


def read_product(doc: yamlio.Document, key: str | None) -> tuple[DataProduct, list[str]]:
    """The product under ``key`` (or the whole document): native when it says ``apiVersion: meshplane/v1``
    or has a native ``kind`` (``source-aligned`` …), else DPS (whose products are ``kind: dataproduct``)."""
    sub = _subdocument(doc, key) if key else doc
    prefix = (key,) if key else ()
    data = sub.data if isinstance(sub.data, dict) else {}
    if data.get("apiVersion") == API_VERSION or data.get("kind") in {k.value for k in Kind}:
        loaded = load_model(sub, DataProduct)
        diagnostics, dp = loaded.diagnostics, loaded.model
    else:
        rep = Reporter(sub, list(sub.diagnostics))
        dp = dps.read_product(sub.data, rep) if isinstance(sub.data, dict) else None
        diagnostics = rep.diagnostics
    diagnostics = [_prefixed(d, prefix) for d in diagnostics]
    if dp is None or has_errors(diagnostics):
        raise InvalidInputError(
            f"the data product in the {doc.file} cannot be read",
            diagnostics,
            hint="write it in the Data Product Specification shape, or as a native meshplane/v1 descriptor",
        )
    notes = [d.render() for d in diagnostics if d.severity is Severity.WARNING]
    return dp, notes


def _previous(latest: str, target: Target) -> Component | None:
    """The component in the product as last provisioned; a note (not a refusal) when that cannot be read."""
    try:
        doc = _parse(latest, "latestEnrichedDescriptor")
        key = "dataProduct" if isinstance(doc.data, dict) and "dataProduct" in doc.data else None
        dp, _ = read_product(doc, key)
    except InvalidInputError as exc:
        target.notes.append(f"latestEnrichedDescriptor ignored, provisioning as a first deploy: {exc}")
        return None
    return dp.component(target.component_id)


def _parse(text: str, source: str) -> yamlio.Document:
    doc = yamlio.parse(text, source, duplicate_keys=Severity.WARNING)
    if has_errors(doc.diagnostics):
        raise InvalidInputError(f"the {source} is not valid YAML", doc.diagnostics, hint="send YAML (or JSON) text")
    return doc


def _subdocument(doc: yamlio.Document, key: str) -> yamlio.Document:
    """The document rooted at ``key``, keeping the line and column of everything in it."""

    def under(table: dict[tuple[str | int, ...], tuple[int, int]]) -> dict[tuple[str | int, ...], tuple[int, int]]:
        return {path[1:]: at for path, at in table.items() if path[:1] == (key,)}

    return yamlio.Document(doc.file, doc.data[key], under(doc.value_positions), under(doc.key_positions))


def _prefixed(diag: Diagnostic, prefix: tuple[str, ...]) -> Diagnostic:
    if not prefix:
        return diag
    path = ".".join([*prefix, diag.path]) if diag.path else ".".join(prefix)
    return dataclasses.replace(diag, path=path)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


# -- which adapter -----------------------------------------------------------------------------------------


class AdapterChoice:
    """Which adapter serves a component, from an explicit ``name → adapter`` mapping or a catalog lookup.

    With a mapping: the component's ``infrastructureTemplateId`` (exactly, or without its ``:<version>``
    suffix) or ``platform`` names a key or an adapter's ``name``; failing that, the one adapter serving the
    component's kind. A component naming an ``infrastructureTemplateId`` nobody here serves is refused
    rather than routed by kind: a Witboost descriptor asking for CDP HDFS must not land in a local folder.
    Without a mapping, the built-in catalog decides (``meshplane.adapters.catalog``: ``adapter_for`` for
    components, ``get_adapter`` for reverse provisioning), under the same naming rules.
    """

    def __init__(
        self,
        adapters: Mapping[str, TechAdapter] | None = None,
        lookup: Lookup | None = None,
        by_name: Callable[[str], TechAdapter] | None = None,
    ) -> None:
        if adapters is None and lookup is None:
            lookup, by_name = _catalog()
        self.adapters: dict[str, TechAdapter] = dict(adapters or {})
        self.lookup = lookup
        #: The adapter registered under a name (the catalog's ``get_adapter``), for reverse provisioning.
        self.by_name = by_name

    def names(self) -> list[str]:
        return sorted(self.adapters)

    def for_component(self, component: Component) -> TechAdapter:
        if not self.adapters and self.lookup is not None:
            return self.lookup(component)
        template = component.infrastructure_template_id
        for wanted in (template, component.platform):
            found = self.named(wanted) if wanted else None
            if found is not None:
                return found
        if template:
            raise NotFoundError(
                f"no tech adapter here serves infrastructureTemplateId `{template}` (component `{component.name}`)",
                hint=f"this server has {self._listing()}; start it with an adapter registered under that id",
            )
        serving = _unique(a for a in self.adapters.values() if component.kind in a.kinds)
        if len(serving) == 1:
            return serving[0]
        if not serving:
            raise NotFoundError(
                f"no tech adapter here serves {component.kind} components (component `{component.name}`)",
                hint=f"this server has {self._listing()}",
            )
        names = ", ".join(sorted(a.name for a in serving))
        raise InvalidInputError(
            f"several tech adapters serve {component.kind} components ({names}); component `{component.name}` "
            "does not say which",
            hint="set its `infrastructureTemplateId` to one of them",
        )

    def for_template(self, template: str) -> TechAdapter:
        """The adapter for reverse provisioning ``template``; the only one supporting it when none is named."""
        found = self.named(template)
        if found is not None:
            return found
        if not self.adapters and self.by_name is not None:
            return self.by_name(_short_name(template))
        capable = _unique(a for a in self.adapters.values() if a.supports_reverse)
        if len(capable) == 1:
            return capable[0]
        raise NotFoundError(
            f"no tech adapter here does reverse provisioning for `{template}`",
            hint=f"this server has {self._listing()}; name one as useCaseTemplateId",
        )

    def named(self, wanted: str) -> TechAdapter | None:
        for key in dict.fromkeys((wanted, _VERSION_SUFFIX.sub("", wanted), _short_name(wanted))):
            if key in self.adapters:
                return self.adapters[key]
            for adapter in self.adapters.values():
                if adapter.name == key:
                    return adapter
        return None

    def _listing(self) -> str:
        if not self.adapters:
            return "no adapters"
        return ", ".join(
            f"`{k}` ({', '.join(sorted(a.kinds)) or 'no kinds'})" for k, a in sorted(self.adapters.items())
        )


def _unique(adapters: Any) -> list[TechAdapter]:
    found: list[TechAdapter] = []
    for adapter in adapters:
        if not any(adapter is seen for seen in found):
            found.append(adapter)
    return found


def _short_name(template: str) -> str:
    """``urn:dmb:itm:delta:1`` (or ``urn:dmb:utm:…``) → ``delta``: the catalog's naming rule, for templates.

    >>> _short_name("urn:dmb:utm:delta:0.0.0")
    'delta'
    """
    match = _TEMPLATE_URN.match(template.strip())
    return match["name"] if match else template.strip()


def _catalog() -> tuple[Lookup | None, Callable[[str], TechAdapter] | None]:
    """The built-in catalog's ``adapter_for`` and ``get_adapter``, when that module is there."""
    try:
        catalog = importlib.import_module("meshplane.adapters.catalog")
    except ImportError:
        return None, None
    lookup = getattr(catalog, "adapter_for", None)
    by_name = getattr(catalog, "get_adapter", None)
    return (lookup if callable(lookup) else None), (by_name if callable(by_name) else None)
